# Copyright 2026 The pet2rep developers. Licensed under the Apache License, Version 2.0.
"""PET2Rep: whole-body FDG PET/CT report generation, as a ``datasets`` builder.

A thin adapter over ``pet2rep``: cases are found by :func:`pet2rep.imaging.cases.scan_cases` (generic, autoPET and
nnU-Net layouts) and each row is made by :func:`pet2rep.hub.case_rows` (key slices rendered by
:mod:`pet2rep.imaging.render`, reports and CE labels). Configs: ``fused`` (default), ``separate``, ``mip``,
``volumes``.
Splits: ``test``, or those of ``splits.json`` at the data root.

``datasets`` 5 no longer runs loading scripts, so the builder is used directly (``pet2rep build`` does this and
writes the Hub layout)::

    from pet2rep.hub import load_builder_class

    Pet2Rep = load_builder_class()
    builder = Pet2Rep(config_name="fused", data_dir="path/to/cases", cache_dir="/tmp/pet2rep-cache")
    builder.download_and_prepare(num_proc=2)  # cases are split between the processes
    ds = builder.as_dataset(split="test")

By default the first case that cannot be built raises its :class:`~pet2rep.errors.Pet2RepError`. With
``failures_dir`` set, failed cases are recorded there (one JSON file per case, see
:func:`pet2rep.hub.read_failures`) and left out, so a build keeps the good cases and still reports every bad one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import datasets

from pet2rep import hub
from pet2rep.errors import InputError, Pet2RepError
from pet2rep.imaging.cases import scan_cases
from pet2rep.imaging.render import RenderOptions


@dataclass
class Pet2RepConfig(datasets.BuilderConfig):
    """A PET2Rep config.

    Attributes:
        render_options: how key slices are chosen and drawn (:class:`pet2rep.imaging.render.RenderOptions`).
        writer_batch_size: rows held in memory before the writer flushes (small for ``volumes``).
        failures_dir: when set, failed cases are recorded there and left out instead of raising.
        share_dir: a scratch folder through which one pass hands the rows of other configs to their passes.
        share_configs: the other configs to render (with the volumes loaded once) and hand on through
            ``share_dir``.
    """

    render_options: RenderOptions = field(default_factory=RenderOptions)
    writer_batch_size: int = 32
    failures_dir: str | None = None
    share_dir: str | None = None
    share_configs: tuple[str, ...] = ()


class Pet2Rep(datasets.GeneratorBasedBuilder):
    """PET2Rep key slices (or volumes) and reference reports of a folder of PET/CT cases."""

    VERSION = datasets.Version("0.1.0")
    BUILDER_CONFIG_CLASS = Pet2RepConfig
    BUILDER_CONFIGS = [  # noqa: RUF012 - the datasets API declares it as a class attribute
        Pet2RepConfig(
            name=name,
            version=datasets.Version("0.1.0"),
            description=hub.CONFIG_DESCRIPTIONS[name],
            writer_batch_size=hub.WRITER_BATCH_SIZE[name],
        )
        for name in hub.CONFIGS
    ]
    DEFAULT_CONFIG_NAME = hub.DEFAULT_CONFIG

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("dataset_name", "pet2rep")
        super().__init__(*args, **kwargs)
        if self.config.share_configs and not self.config.share_dir:
            raise InputError("Pet2RepConfig: share_configs needs share_dir")
        unknown = [c for c in self.config.share_configs if c not in hub.CONFIGS or c == self.config.name]
        if unknown:
            raise InputError(
                f"Pet2RepConfig.share_configs: expected other configs among {list(hub.CONFIGS)}, got {unknown}"
            )
        self._writer_batch_size = self._writer_batch_size or self.config.writer_batch_size

    def _info(self) -> datasets.DatasetInfo:
        return datasets.DatasetInfo(
            description=f"{hub.DESCRIPTION} Config {self.config.name!r}: {hub.CONFIG_DESCRIPTIONS[self.config.name]}",
            features=hub.features(self.config.name),
            homepage=hub.PAPER_URL,
            citation=hub.CITATION,
        )

    def _fail(self, case_id: str, error: Pet2RepError, error_name: str | None = None) -> None:
        if self.config.failures_dir is None:
            raise error
        hub.write_failure(
            self.config.failures_dir, case_id, self.config.name, error_name or type(error).__name__, str(error)
        )

    def _split_generators(self, dl_manager):
        data_dir = self.config.data_dir
        if not data_dir:
            raise InputError("the pet2rep builder needs data_dir=<a case folder or a folder of cases>")
        scan = scan_cases(data_dir)
        splits, unassigned = hub.assign_splits(data_dir, scan.cases, [cid for cid, _ in scan.failures])
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
            if config.share_dir:
                kept = hub.share_take(config.share_dir, config.name, case.case_id)
                if kept is not None and "row" in kept:
                    yield case.case_id, kept["row"]
                    continue
                if kept is not None:
                    self._fail(case.case_id, Pet2RepError(kept["message"]), kept["error"])
                    continue
            names = (config.name, *config.share_configs)
            try:
                rows = hub.case_rows(case, names, config.render_options)
            except Pet2RepError as e:
                failed = {"error": type(e).__name__, "message": str(e)}
                for other in config.share_configs:
                    hub.share_put(config.share_dir, other, case.case_id, failed)
                self._fail(case.case_id, e)
                continue
            for other in config.share_configs:
                hub.share_put(config.share_dir, other, case.case_id, {"row": rows[other]})
            yield case.case_id, rows[config.name]
