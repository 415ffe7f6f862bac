"""PET2Rep as a ``datasets`` builder: :class:`Pet2Rep` (``GeneratorBasedBuilder``) and its :class:`Pet2RepConfig`.

A thin adapter: cases are found by :func:`pet2rep.imaging.cases.scan_cases` (generic, autoPET, nnU-Net and DICOM
layouts), split by :func:`pet2rep.dataset.splits.assign_splits`, and each row is made by
:func:`pet2rep.dataset.rows.case_rows`. The Hub layout's ``dataset_script/pet2rep.py`` re-exports these classes.
``pet2rep build`` does not go through the builder: it streams rows to parquet itself (:mod:`pet2rep.dataset.build`)
with the same rows and features.

``datasets`` 5 no longer runs loading scripts, so the builder is used directly::

    from pet2rep.dataset.builder import Pet2Rep

    builder = Pet2Rep(config_name="fused", data_dir="path/to/cases", cache_dir="/tmp/pet2rep-cache")
    builder.download_and_prepare(num_proc=2)  # cases are split between the processes
    ds = builder.as_dataset(split="test")

By default the first case that cannot be built raises its :class:`~pet2rep.errors.Pet2RepError`. With
``failures_dir`` set, failed cases are recorded there (one JSON file per case, see
:func:`pet2rep.dataset.failures.read_failures`) and left out, so the good cases are kept and every bad one reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import datasets

from pet2rep.dataset.failures import write_failure
from pet2rep.dataset.rows import case_rows
from pet2rep.dataset.schema import (
    CONFIG_DESCRIPTIONS,
    DATASET_CONFIGS,
    DATASET_NAME,
    DATASET_VERSION,
    DEFAULT_CONFIG,
    WRITER_BATCH_SIZE,
    dataset_info,
)
from pet2rep.dataset.splits import assign_splits
from pet2rep.errors import InputError, Pet2RepError
from pet2rep.imaging.cases import scan_cases
from pet2rep.imaging.render_options import RenderOptions


@dataclass
class Pet2RepConfig(datasets.BuilderConfig):
    """A PET2Rep config.

    Attributes:
        render_options: how key slices are chosen and drawn (:class:`pet2rep.imaging.render.RenderOptions`).
        writer_batch_size: rows held in memory before the writer flushes (small for ``volumes``).
        failures_dir: when set, failed cases are recorded there and left out instead of raising.
        masks_dir: a folder of lesion masks ``<case_id>.nii.gz`` looked in before each case's own
            (:func:`pet2rep.imaging.masks.find_mask`).
    """

    render_options: RenderOptions = field(default_factory=RenderOptions)
    writer_batch_size: int = 32
    failures_dir: str | None = None
    masks_dir: str | None = None


class Pet2Rep(datasets.GeneratorBasedBuilder):
    """PET2Rep key slices (or volumes) and reference reports of a folder of PET/CT cases."""

    VERSION = datasets.Version(DATASET_VERSION)
    BUILDER_CONFIG_CLASS = Pet2RepConfig
    BUILDER_CONFIGS = [  # noqa: RUF012 - the datasets API declares it as a class attribute
        Pet2RepConfig(
            name=name,
            version=datasets.Version(DATASET_VERSION),
            description=CONFIG_DESCRIPTIONS[name],
            writer_batch_size=WRITER_BATCH_SIZE[name],
        )
        for name in DATASET_CONFIGS
    ]
    DEFAULT_CONFIG_NAME = DEFAULT_CONFIG

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("dataset_name", DATASET_NAME)
        super().__init__(*args, **kwargs)
        self._writer_batch_size = self._writer_batch_size or self.config.writer_batch_size

    def _info(self) -> datasets.DatasetInfo:
        return dataset_info(self.config.name)

    def _fail(self, case_id: str, error: Pet2RepError) -> None:
        if self.config.failures_dir is None:
            raise error
        write_failure(self.config.failures_dir, case_id, self.config.name, type(error).__name__, str(error))

    def _split_generators(self, dl_manager):
        data_dir = self.config.data_dir
        if not data_dir:
            raise InputError("the pet2rep builder needs data_dir=<a case folder or a folder of cases>")
        scan = scan_cases(data_dir)
        splits, unassigned = assign_splits(data_dir, scan.cases, [cid for cid, _ in scan.failures])
        for case_id, error in [*scan.failures, *unassigned]:
            self._fail(case_id, error)
        generators = []
        for split, cases in splits.items():
            if not cases:
                continue
            generator = datasets.SplitGenerator(name=split, gen_kwargs={"cases": cases})
            generator.split_info.num_examples = len(cases)  # the progress bar's total; recounted when written
            generators.append(generator)
        if not generators:
            raise InputError(f"{data_dir}: no case to build")
        return generators

    def _generate_examples(self, cases):
        config = self.config
        for case in cases:
            try:
                row = case_rows(case, (config.name,), config.render_options, masks_dir=config.masks_dir)[config.name]
            except Pet2RepError as e:
                self._fail(case.case_id, e)
                continue
            yield case.case_id, row


__all__ = ["Pet2Rep", "Pet2RepConfig"]
