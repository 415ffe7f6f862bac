"""The dataset card (README.md): the YAML header ``datasets`` and the Hub read, and the prose of ``card_template.md``.

The prose lives in ``card_template.md`` beside this module (``string.Template`` placeholders, ``${name}``); this
module only computes the values that fill it, from the build's counts and the render options.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from string import Template
from typing import Any

from pet2rep import __version__
from pet2rep.dataset.schema import (
    CONFIG_DESCRIPTIONS,
    DATASET_CONFIGS,
    DEFAULT_CONFIG,
    DESCRIPTION,
    FIELD_DOCS,
    NIFTI_COMPRESS_LEVEL,
    PNG_COMPRESS_LEVEL,
)
from pet2rep.errors import InputError, MissingFileError, Pet2RepError, require
from pet2rep.imaging.cases import BUILD_MARKER
from pet2rep.imaging.render_options import MASK_OVERLAY_RGB, RenderOptions
from pet2rep.paper import CITATION, PAPER_TITLE, PAPER_URL
from pet2rep.vocab import LANGS

TEMPLATE = "card_template.md"
#: The YAML block of the card that holds the benchmark version (:func:`benchmark_version`).
BENCHMARK_KEY = "pet2rep"
_HASH = re.compile(r"sha256:[0-9a-f]{64}")


def read_card(folder: str | Path) -> tuple[dict, str]:
    """The YAML header (as a dict) and the body of ``<folder>/README.md``.

    Raises:
        MissingFileError: no README.md. InputError: no YAML header, or it does not parse.
    """
    yaml = require("yaml", "hf")
    path = Path(folder) / "README.md"
    if not path.is_file():
        raise MissingFileError(f"{path} not found: not a pet2rep dataset folder (build one with `pet2rep build`)")
    text = path.read_text(encoding="utf-8")
    m = re.match(r"---\n(.*?)\n---\n?(.*)", text, flags=re.S)
    if not m:
        raise InputError(f"{path}: expected a YAML header between '---' lines")
    try:
        meta = yaml.safe_load(m.group(1))
    except yaml.YAMLError as e:
        raise InputError(f"{path}: the YAML header does not parse ({e})") from e
    if not isinstance(meta, dict):
        raise InputError(f"{path}: the YAML header is not a mapping")
    return meta, m.group(2)


def split_counts(infos: dict) -> dict[str, dict[str, int]]:
    """config -> split -> number of rows, from config -> ``datasets.DatasetInfo``."""
    return {
        config: {name: int(split.num_examples) for name, split in info.splits.items()}
        for config, info in infos.items()
    }


def _size_category(n: int) -> str:
    for limit, name in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K")):
        if n < limit:
            return name
    return "100K<n<1M"


def card_metadata(
    infos: dict, splits: dict[str, list[str]], *, license: str, pretty_name: str, content_hash: str = ""
) -> dict:
    """The YAML header of the card: Hub metadata, ``configs:`` (fused default), ``dataset_info:`` and the
    benchmark version (``pet2rep:``, :func:`benchmark_version`).

    Every ``configs:`` entry carries ``version:`` (the pet2rep version), which ``datasets`` passes on to each loaded
    split: ``load_dataset(folder, "fused", split="test").info.version`` is the version that built the rows.

    Args:
        infos: config -> ``datasets.DatasetInfo`` (splits with their counts and sizes).
        splits: config -> its split names, in file order.
        license: the card's ``license:``.
        pretty_name: the card's ``pretty_name:``.
        content_hash: :func:`~pet2rep.dataset.parquet.content_hash` of the parquet files (the test set's identity).
    """
    n_cases = max((sum(counts.values()) for counts in split_counts(infos).values()), default=0)
    configs = []
    for config in (c for c in DATASET_CONFIGS if c in infos):
        entry: dict[str, Any] = {"config_name": config}
        if config == DEFAULT_CONFIG:
            entry["default"] = True
        entry["version"] = __version__
        entry["data_files"] = [{"split": s, "path": f"{config}/{s}-*.parquet"} for s in splits[config]]
        configs.append(entry)
    dataset_info = []
    for config in (c for c in DATASET_CONFIGS if c in infos):
        info = infos[config]._to_yaml_dict()
        info.pop("config_name", None)
        dataset_info.append({"config_name": config, **info})
    return {
        "pretty_name": pretty_name,
        "license": license,
        "language": list(LANGS),
        "task_categories": ["image-to-text"],
        "tags": ["medical", "pet-ct", "radiology-report-generation", "nuclear-medicine", "pet2rep"],
        "size_categories": [_size_category(n_cases)],
        BENCHMARK_KEY: {"benchmark": pretty_name, "pet2rep_version": __version__, "content_hash": content_hash},
        "configs": configs,
        "dataset_info": dataset_info,
    }


@dataclass(frozen=True)
class BenchmarkVersion:
    """What identifies a built test set: the pet2rep version that built it and the content hash of its files.

    Attributes:
        name: the card's ``pretty_name`` (``PET2Rep`` unless the build was given another name).
        pet2rep_version: the version of pet2rep that rendered the rows.
        content_hash: ``sha256:<hex>`` of the parquet files (:func:`~pet2rep.dataset.parquet.content_hash`).
    """

    name: str
    pet2rep_version: str
    content_hash: str

    def record(self) -> dict[str, str]:
        return {"name": self.name, "pet2rep_version": self.pet2rep_version, "content_hash": self.content_hash}

    def __str__(self) -> str:
        return f"{self.name} (pet2rep {self.pet2rep_version}, {self.content_hash[:19]})"


def benchmark_version(folder: str | Path) -> BenchmarkVersion | None:
    """The benchmark version a ``pet2rep build`` card records; None when the folder has no such card.

    Read from the card's ``pet2rep:`` YAML block; a card written before that block existed is read from its text
    ("built with pet2rep X", "content hash of the parquet files: `sha256:...`").
    """
    try:
        meta, body = read_card(folder)
    except Pet2RepError:
        return None
    block = meta.get(BENCHMARK_KEY)
    name = str(meta.get("pretty_name") or "PET2Rep")
    if isinstance(block, dict) and block.get("pet2rep_version") and _HASH.fullmatch(str(block.get("content_hash"))):
        return BenchmarkVersion(
            str(block.get("benchmark") or name), str(block["pet2rep_version"]), block["content_hash"]
        )
    version = re.search(r"built with pet2rep ([^)\s]+)\)", body)
    digest = re.search(r"content hash of the parquet files: `(sha256:[0-9a-f]{64})`", body)
    if version and digest:
        return BenchmarkVersion(name, version.group(1), digest.group(1))
    return None


_STRATEGY_TEXT = {
    "center": "the planes above (`--slices center`, the paper's protocol)",
    "lesion": "planes through the lesions (`--slices lesion`): a greedy choice of {n} planes at least {gap} PET "
    "voxels apart that cut as many lesion components and as much lesion volume as possible, the planes left once "
    "every lesion is cut being the paper's planes above; a case without a mask "
    "uses SUV hot spots, an empty mask the planes above",
    "hotspot": "planes through SUV hot spots (`--slices hotspot`, no mask needed): foci above a PERCIST-like SUV "
    "threshold with brain, bladder, heart and kidneys excluded (`pet2rep.imaging.slices.HotspotRule`), then a greedy "
    "choice of {n} planes at least {gap} PET voxels apart that cut as many foci and as much of their volume as "
    "possible (the planes left once every focus is cut: the paper's planes above); a case without a hot spot uses "
    "the planes above",
}


def _slice_choice(options: RenderOptions, masks_given: bool) -> str:
    """The card's "Plane choice" text: the build's strategy, the ``lesion`` config's, where the masks came from."""
    text = _STRATEGY_TEXT[options.slice_strategy].format(n=options.num_slices, gap=options.min_slice_gap_vox)
    masks = (
        "a masks folder given to the build (`--masks`), then the case folders' own"
        if masks_given
        else "the case folders (`seg.nii.gz`, autoPET `SEG.nii.gz`, nnU-Net `labels/<id>.nii.gz`)"
    )
    return (
        f"`fused`, `separate`, `mip` and the `slice_indices` of `volumes`: {text}. `lesion`: always planes through "
        f"the lesions (SUV hot spots without a mask). Lesion masks: {masks}. Each picture row records the strategy "
        "used (`slice_strategy`) and the `lesion_coverage` of its planes against the case's mask."
    )


def _mask_overlay_text(options: RenderOptions) -> str:
    if not options.mask_overlay:
        return "off: no picture shows a segmentation."
    rgb = ", ".join(str(c) for c in MASK_OVERLAY_RGB)
    return (
        f"on (`--mask-overlay`): the lesion mask's outline, 1 pixel wide in cyan (RGB {rgb}), is drawn on every fused "
        "picture of a case with a mask (`mask_overlay` per row). A mask-prompted setting: the segmentation is given "
        "to the model, so scores are not comparable with builds without it."
    )


def _render_values(options: RenderOptions, *, masks_given: bool = False) -> dict[str, str]:
    """The placeholders of "How the slices are made" that follow the render options."""
    ct_mode = (
        f"soft-tissue window W{options.ct_window[0]:g}/L{options.ct_window[1]:g} HU"
        if options.ct_mode == "window"
        else f"z-scored HU (body mask mean and std), z {options.zscore_range[0]:g}..{options.zscore_range[1]:g}"
    )
    size_rule = (
        "one pixel per PET voxel (native grid)"
        if options.aspect == "native"
        else "rows rescaled so that pixels are square in mm"
    )
    return {
        "num_slices": str(options.num_slices),
        "slice_spacing_vox": str(options.slice_spacing_vox),
        "body_threshold_hu": f"{options.body_threshold_hu:g}",
        "ct_mode": ct_mode,
        "suv_min": f"{options.suv_window[0]:g}",
        "suv_max": f"{options.suv_window[1]:g}",
        "fusion_alpha": f"{options.fusion_alpha:g}",
        "fusion_fade": f"{options.fusion_fade:.0%}",
        "mip_colormap": str(options.mip_colormap),
        "size_rule": size_rule,
        "slice_choice": _slice_choice(options, masks_given),
        "mask_overlay": _mask_overlay_text(options),
    }


def card_text(metadata: dict, *, summary, options: RenderOptions) -> str:
    """The whole README.md: YAML header then the sections of ``card_template.md``.

    Args:
        metadata: the YAML header (:func:`card_metadata`).
        summary: the :class:`~pet2rep.dataset.build.BuildSummary` (counts, files, failures, content hash).
        options: the render options the pictures were made with.
    """
    yaml = require("yaml", "hf")
    counts = split_counts(summary.infos)
    config_rows = [
        f"| `{c}`{' (default)' if c == DEFAULT_CONFIG else ''} | {CONFIG_DESCRIPTIONS[c]} | "
        + ", ".join(f"{s}: {n}" for s, n in counts[c].items())
        + " |"
        for c in DATASET_CONFIGS
        if c in counts
    ]
    failures = [f"- `{f.case_id}` ({', '.join(f.configs)}): {f.error}: {f.message}" for f in summary.failures]
    values = {
        "header": yaml.safe_dump(metadata, sort_keys=False, allow_unicode=True, width=1000),
        "build_marker": BUILD_MARKER,
        "version": __version__,
        "description": DESCRIPTION,
        "paper_title": PAPER_TITLE,
        "paper_url": PAPER_URL,
        "n_cases": str(len(summary.cases)),
        "n_failures": str(len(summary.failures)),
        "content_hash": summary.content_hash,
        "config_rows": "\n".join(config_rows),
        "tree": "\n".join(f.relative_to(summary.out).as_posix() for f in summary.files),
        "fields": "\n".join(f"| `{name}` | {kind} | {meaning} |" for name, kind, meaning in FIELD_DOCS),
        "failures": "\n".join(failures) or "none",
        "citation": CITATION,
        "license": str(metadata.get("license")),
        "png_level": str(PNG_COMPRESS_LEVEL),
        "nifti_level": str(NIFTI_COMPRESS_LEVEL),
        **_render_values(options, masks_given=getattr(summary, "masks_dir", None) is not None),
    }
    template = resources.files(__package__).joinpath(TEMPLATE).read_text(encoding="utf-8")
    return Template(template).substitute(values)


__all__ = [
    "BENCHMARK_KEY",
    "BenchmarkVersion",
    "benchmark_version",
    "card_metadata",
    "card_text",
    "read_card",
    "split_counts",
]
