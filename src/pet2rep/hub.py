"""The pet2rep dataset in the Hugging Face Hub layout: rows, features, deterministic shards, the card, publishing.

This module is the ``hf`` extra's part of the library. ``datasets``, ``pyarrow``, ``yaml`` and ``huggingface_hub``
are imported inside the functions that need them, so importing :mod:`pet2rep.hub` stays cheap.

The layout written by :func:`build_dataset` (and ``pet2rep build``) is what ``push_to_hub`` uploads::

    <out>/README.md                                  dataset card: YAML configs + dataset_info, then prose
    <out>/<config>/<split>-0000i-of-0000n.parquet    images / volumes embedded as bytes

Configs: ``fused`` (default; 3 fused PET/CT key slices), ``separate`` (6 images: CT and PET of each location),
``mip`` (a coronal PET MIP followed by the 3 fused slices) and ``volumes`` (the CT resampled on the PET grid and the
SUV volume as ``datasets.Nifti()``, for 3-D models). Splits: ``test``, or those of ``splits.json`` at the data root.

The build is deterministic: cases are sorted by id, PNG and gzip settings are fixed and carry no timestamps, shards
are cut by a fixed size rule and row groups hold a fixed number of rows, so two builds of the same input give
byte-identical parquet files (and README.md), whatever ``num_proc`` is.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import json
import math
import os
import pickle
import re
import shutil
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pet2rep import __version__
from pet2rep.errors import InputError, LayoutError, MissingFileError, Pet2RepError, require
from pet2rep.imaging.cases import BUILD_MARKER, SPLITS, Case, read_split_file, scan_cases
from pet2rep.imaging.render import (
    RenderOptions,
    choose_key_slices,
    load_case_volumes,
    render_volumes,
    volumes_on_pet_grid,
)
from pet2rep.paper import CITATION, PAPER_TITLE, PAPER_URL
from pet2rep.vocab import IMAGE_CONFIGS as RENDER_CONFIGS

#: Every config of the dataset, in card order; ``fused`` is the default.
CONFIGS = ("fused", "separate", "mip", "volumes")
DEFAULT_CONFIG = "fused"
#: Configs made of key-slice pictures (the rest: ``volumes``).
IMAGE_CONFIGS = RENDER_CONFIGS
VOLUME_CONFIG = "volumes"
CONFIG_DESCRIPTIONS = {
    "fused": "3 fused PET/CT coronal key slices (hot-iron PET over soft-tissue-window CT), the benchmark's default.",
    "separate": "6 images: the grayscale CT slice and the hot-iron PET slice of each of the 3 key locations.",
    "mip": "a coronal PET maximum intensity projection (inverted gray) followed by the 3 fused key slices.",
    "volumes": "the CT resampled onto the PET grid (HU, int16) and the SUV volume (float32) as NIfTI, for 3-D models.",
}

#: PNG encoder settings of every image (zlib level, no optimiser pass, no text or time chunks).
PNG_COMPRESS_LEVEL = 6
#: gzip level of the NIfTI bytes of the ``volumes`` config (the gzip header carries no time stamp or name). Level 1:
#: on realistic volumes it is several times faster than 6 for a few percent more bytes.
NIFTI_COMPRESS_LEVEL = 1
#: Rows held in memory by the datasets writer before a flush (small for whole-body volumes).
WRITER_BATCH_SIZE = {"fused": 32, "separate": 32, "mip": 32, "volumes": 2}
#: Rows per parquet row group (reading one row reads its row group).
ROW_GROUP_ROWS = {"fused": 100, "separate": 100, "mip": 100, "volumes": 1}
#: Shards are cut so that none holds more than this many bytes of Arrow data (the ``push_to_hub`` default).
DEFAULT_MAX_SHARD_BYTES = 500 * 1024 * 1024

#: Where a wheel install carries the builder (``[tool.hatch.build.targets.wheel.force-include]`` in pyproject.toml).
PACKAGED_BUILDER = ("_dataset_script", "pet2rep.py")
BUILDER_MODULE_NAME = "pet2rep_dataset_builder"

DESCRIPTION = (
    "PET2Rep: whole-body FDG PET/CT radiology report generation. Each row is one PET/CT study: coronal key slices "
    "(or the volumes) and the reference structured report, for zero-shot evaluation of vision-language models."
)


#: The card's field table: (column, type, meaning).
FIELD_DOCS = (
    ("case_id", "string", "the study's id (case folder name; `<patient>_<study>` for autoPET)"),
    ("images", "list of Image (PNG)", "picture configs: the key slices in model order (see the configs above)"),
    (
        "image_names",
        "list of string",
        "file names of the images (`<case>_fused_<plane>.png`, `<case>_ct_<plane>.png`)",
    ),
    ("ct", "Nifti", "`volumes`: the CT sampled on the PET grid, HU, int16, RAS+ grid"),
    ("suv", "Nifti", "`volumes`: the PET in SUV (body weight), float32, same grid and affine as `ct`"),
    (
        "report",
        "string",
        "the reference report in Chinese (`report.txt`, or `检查所见` of an nnU-Net report JSON); null if none",
    ),
    ("report_en", "string", "the English report (`report_en.txt`), or null"),
    (
        "ce_labels",
        "struct of 24 lists of string",
        "per organ, the FDG uptake states (`increased`, `decreased`, `absent`) that the clinical-efficacy extractor "
        "(`pet2rep.text.ce.extract_uptake`) reads in `report`, in that order; an empty list means normal or not "
        "mentioned; null "
        'without a report. Query: `"increased" in row["ce_labels"]["liver"]`',
    ),
    (
        "slice_indices",
        "list of int32",
        "the coronal key planes: indices along the front-back axis of the PET grid in RAS+ (0 = most posterior)",
    ),
    ("sex", "string", "`M`, `F` or null (from `meta.json`)"),
    ("age", "int32", "age in completed years, or null"),
    ("suv_factor", "float64", "Bq/mL -> SUV factor applied to a PET in Bq/mL; null when the input was SUV already"),
    ("pet_shape", "list of int32", "PET grid size (x, y, z) in RAS+ orientation"),
    ("pet_spacing_mm", "list of float32", "PET voxel size in mm (x, y, z)"),
)


# ----------------------------------------------------------------------------------------------------- rows
def encode_png(image) -> bytes:
    """PNG bytes of a PIL image with the fixed encoder settings (deterministic: no time or text chunks)."""
    buf = io.BytesIO()
    image.save(buf, format="PNG", compress_level=PNG_COMPRESS_LEVEL, optimize=False)
    return buf.getvalue()


def encode_nifti(image) -> bytes:
    """``.nii.gz`` bytes of a ``nibabel`` NIfTI image (gzip level :data:`NIFTI_COMPRESS_LEVEL`, header without time
    stamp or file name)."""
    return gzip.compress(image.to_bytes(), compresslevel=NIFTI_COMPRESS_LEVEL, mtime=0)


def ce_labels(report: str | None) -> dict[str, list[str]] | None:
    """Organ -> uptake states (in :data:`~pet2rep.text.ce.STATES` order) that the CE extractor reads in a Chinese
    reference report; None without a report.

    Every organ of :data:`pet2rep.text.ce.ORGANS` is a key; an empty list means normal or not mentioned.
    """
    if report is None:
        return None
    from pet2rep.text.ce import ORGANS, STATES, extract_uptake

    found = extract_uptake(report, lang="zh")
    order = {s: i for i, s in enumerate(STATES)}
    return {organ: sorted(found.get(organ, ()), key=order.__getitem__) for organ in ORGANS}


def _age_years(case: Case) -> int | None:
    age = case.age
    return None if age is None else math.floor(age)


def case_fields(case: Case) -> dict[str, Any]:
    """The per-case fields shared by every config: reports, CE labels, sex, age.

    Raises:
        InputError: a report that is not UTF-8 (or an nnU-Net report JSON without findings).
    """
    report = case.read_report("zh")
    return {
        "case_id": case.case_id,
        "report": report,
        "report_en": case.read_report("en"),
        "ce_labels": ce_labels(report),
        "sex": case.sex,
        "age": _age_years(case),
    }


def _grid_fields(vols, indices: Sequence[int]) -> dict[str, Any]:
    return {
        "slice_indices": [int(i) for i in indices],
        "suv_factor": None if vols.suv_factor is None else float(vols.suv_factor),
        "pet_shape": [int(n) for n in vols.pet_shape],
        "pet_spacing_mm": [float(s) for s in vols.pet_spacing_mm],
    }


def _check_configs(configs: Iterable[str]) -> tuple[str, ...]:
    configs = tuple(configs)
    unknown = [c for c in configs if c not in CONFIGS]
    if unknown or not configs:
        raise InputError(f"unknown dataset config(s) {unknown}; expected some of {list(CONFIGS)}")
    if len(set(configs)) != len(configs):
        raise InputError(f"dataset configs listed twice: {list(configs)}")
    return configs


def case_rows(
    case: Case,
    configs: Sequence[str] = CONFIGS,
    options: RenderOptions | None = None,
    timings: dict[str, float] | None = None,
) -> dict[str, dict[str, Any]]:
    """The dataset rows of one case in several configs, loading its volumes once.

    Args:
        case: the case.
        configs: some of :data:`CONFIGS`.
        options: rendering options (defaults: :class:`~pet2rep.imaging.render.RenderOptions`).
        timings: if given, seconds are added under ``"render"`` (load, SUV, key planes, pictures), ``"png"``
            (PNG encoding), ``"nifti"`` (resampling and gzip of the ``volumes`` config) and ``"text"`` (reports, CE).

    Returns:
        config -> row (the columns of :func:`features`; images as ``{"bytes": png, "path": None}``).

    Raises:
        Pet2RepError: any problem with the case (the subclass and message name the case and file).
    """
    configs = _check_configs(configs)
    options = options or RenderOptions()
    clock = timings if timings is not None else {}

    def tick(key: str, t0: float) -> float:
        t1 = time.perf_counter()
        clock[key] = clock.get(key, 0.0) + (t1 - t0)
        return t1

    t = time.perf_counter()
    base = case_fields(case)  # cheap failures (reports) before any voxel is read
    t = tick("text", t)
    vols = load_case_volumes(case)
    image_configs = [c for c in configs if c in IMAGE_CONFIGS]
    rendered = render_volumes(vols, image_configs, options) if image_configs else {}
    t = tick("render", t)
    rows: dict[str, dict[str, Any]] = {}
    for config in image_configs:
        rc = rendered[config]
        rows[config] = {
            **base,
            "images": [{"bytes": encode_png(img), "path": None} for img in rc.images],
            "image_names": list(rc.image_names),
            **_grid_fields(vols, rc.slice_indices),
        }
    t = tick("png", t)
    if VOLUME_CONFIG in configs:
        indices = next(iter(rendered.values())).slice_indices if rendered else choose_key_slices(vols, options)[0]
        ct_img, suv_img = volumes_on_pet_grid(vols)
        rows[VOLUME_CONFIG] = {
            **base,
            "ct": {"bytes": encode_nifti(ct_img), "path": None},
            "suv": {"bytes": encode_nifti(suv_img), "path": None},
            **_grid_fields(vols, indices),
        }
        tick("nifti", t)
    return {c: rows[c] for c in configs}


def features(config: str):
    """The ``datasets.Features`` of a config (column order as in the parquet files)."""
    datasets = require("datasets", "hf")
    from pet2rep.text.ce import ORGANS

    _check_configs([config])
    string = datasets.Value("string")
    common = {
        "report": string,
        "report_en": string,
        "ce_labels": {organ: datasets.List(string) for organ in ORGANS},
        "slice_indices": datasets.List(datasets.Value("int32")),
        "sex": string,
        "age": datasets.Value("int32"),
        "suv_factor": datasets.Value("float64"),
        "pet_shape": datasets.List(datasets.Value("int32")),
        "pet_spacing_mm": datasets.List(datasets.Value("float32")),
    }
    if config == VOLUME_CONFIG:
        head = {"case_id": string, "ct": datasets.Nifti(), "suv": datasets.Nifti()}
    else:
        head = {"case_id": string, "images": datasets.List(datasets.Image()), "image_names": datasets.List(string)}
    return datasets.Features({**head, **common})


# -------------------------------------------------------------------------------------------------- splits
def assign_splits(
    data_dir: str | Path, cases: Sequence[Case], failed_ids: Iterable[str] = ()
) -> tuple[dict[str, list[Case]], list]:
    """Cases per split: ``test`` alone, or the splits of ``splits.json`` at the data root.

    Args:
        data_dir: the data root.
        cases: the usable cases discovery found there.
        failed_ids: ids of the case folders discovery could not use (reported by the caller); ``splits.json`` may
            name them.

    Returns:
        ``(split -> cases sorted by id, failures)``; a case that ``splits.json`` does not list is a failure
        (``(case_id, InputError)``), never silently dropped.
    """
    ordered = sorted(cases, key=lambda c: c.case_id)
    split_ids = read_split_file(data_dir, case_ids=[*(c.case_id for c in ordered), *failed_ids])
    if split_ids is None:
        return {"test": ordered}, []
    where = {cid: split for split, ids in split_ids.items() for cid in ids}
    out: dict[str, list[Case]] = {s: [] for s in SPLITS if s in split_ids}
    failures = []
    for case in ordered:
        split = where.get(case.case_id)
        if split is None:
            failures.append(
                (case.case_id, InputError(f"case {case.case_id!r} is in no split of {Path(data_dir) / 'splits.json'}"))
            )
        else:
            out[split].append(case)
    return out, failures


# ------------------------------------------------------------------------------------------------- builder
def builder_path() -> Path:
    """The ``datasets`` builder file: ``dataset_script/pet2rep.py`` of the source checkout (editable install), else
    the copy a wheel install carries inside the package.

    Raises:
        MissingFileError: neither exists (the message lists both places).
    """
    package_dir = Path(__file__).resolve().parent
    candidates = [
        package_dir.parents[1] / "dataset_script" / "pet2rep.py",  # src/pet2rep -> repository root
        package_dir.joinpath(*PACKAGED_BUILDER),
    ]
    for path in candidates:
        if path.is_file():
            return path
    raise MissingFileError(
        "the pet2rep datasets builder was not found; looked in "
        + " and ".join(str(p) for p in candidates)
        + " (run from a source checkout installed with `pip install -e .[hf]`, or install the pet2rep wheel)"
    )


def load_builder_class(path: str | Path | None = None):
    """Import the builder file (``datasets`` no longer loads scripts by path) and return its builder class.

    The module is registered in ``sys.modules`` under :data:`BUILDER_MODULE_NAME` so that worker processes
    (``num_proc > 1``) can unpickle the builder.
    """
    import importlib.util

    require("datasets", "hf")
    path = Path(path) if path is not None else builder_path()
    module = sys.modules.get(BUILDER_MODULE_NAME)
    if module is None or Path(getattr(module, "__file__", "")) != path:
        spec = importlib.util.spec_from_file_location(BUILDER_MODULE_NAME, path)
        if spec is None or spec.loader is None:
            raise MissingFileError(f"cannot import the pet2rep datasets builder from {path}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[BUILDER_MODULE_NAME] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            sys.modules.pop(BUILDER_MODULE_NAME, None)
            raise
    return module.Pet2Rep


# ----------------------------------------------------------------------------------------------- failures
@dataclass(frozen=True)
class CaseFailure:
    """A case left out of the build, with the reason (the configs it is missing from)."""

    case_id: str
    configs: tuple[str, ...]
    error: str
    message: str

    def __str__(self) -> str:
        return f"{self.case_id}: {self.error}: {self.message}"


def write_failure(failures_dir: str | Path, case_id: str, config: str, error: str, message: str) -> Path:
    """Record a failed case under ``<failures_dir>/<config>/`` (one JSON file per case).

    Args:
        error: the exception's type name. message: its message (naming the case and file).
    """
    folder = Path(failures_dir) / config
    folder.mkdir(parents=True, exist_ok=True)
    record = {"case_id": case_id, "config": config, "error": error, "message": message}
    path = folder / f"{_safe_name(case_id)}.json"
    path.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    return path


def _safe_name(case_id: str) -> str:
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", case_id) or "case"
    return f"{safe}-{hashlib.sha1(case_id.encode()).hexdigest()[:8]}"


def read_failures(failures_dir: str | Path) -> list[CaseFailure]:
    """The failures recorded by :func:`write_failure`, one per case (configs merged), sorted by case id."""
    merged: dict[str, dict] = {}
    root = Path(failures_dir)
    for path in sorted(root.glob("*/*.json")) if root.is_dir() else []:
        rec = json.loads(path.read_text(encoding="utf-8"))
        entry = merged.setdefault(rec["case_id"], {"configs": set(), "error": rec["error"], "message": rec["message"]})
        entry["configs"].add(rec["config"])
    return [
        CaseFailure(cid, tuple(c for c in CONFIGS if c in e["configs"]), e["error"], e["message"])
        for cid, e in sorted(merged.items())
    ]


def share_path(share_dir: str | Path, config: str, case_id: str) -> Path:
    return Path(share_dir) / config / f"{_safe_name(case_id)}.pkl"


def share_put(share_dir: str | Path, config: str, case_id: str, value: dict) -> None:
    """Keep a row (``{"row": ...}``) or a failure (``{"error": ..., "message": ...}``) for a later config pass."""
    path = share_path(share_dir, config, case_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as f:
        pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, path)


def share_take(share_dir: str | Path, config: str, case_id: str) -> dict | None:
    """A value kept by :func:`share_put` (removed once read), or None."""
    path = share_path(share_dir, config, case_id)
    if not path.is_file():
        return None
    with open(path, "rb") as f:
        value = pickle.load(f)
    path.unlink()
    return value


# ------------------------------------------------------------------------------------------------ parquet
def write_split(ds, folder: str | Path, split: str, config: str, max_shard_bytes: int = DEFAULT_MAX_SHARD_BYTES):
    """Write one split as ``<folder>/<split>-0000i-of-0000n.parquet`` deterministically.

    Row groups hold a fixed number of rows (:data:`ROW_GROUP_ROWS`), each copied into fresh buffers so that the bytes
    do not depend on how the Arrow table was chunked (``num_proc``); a shard takes row groups until the next one
    would pass ``max_shard_bytes`` of Arrow data. Images and volumes are stored uncompressed (their bytes are
    compressed already), the rest with snappy, as ``datasets`` does; the ``datasets`` features travel in the schema
    metadata, so ``load_dataset`` decodes images and volumes.

    Returns:
        ``(files, num_bytes)``: the files written, in order, and the Arrow bytes of the split (summed over the row
        groups, so also independent of the chunking).
    """
    import pyarrow as pa
    import pyarrow.parquet as pq
    from datasets import config as ds_config
    from datasets.arrow_writer import get_parquet_column_options

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob(f"{split}-*.parquet"):
        stale.unlink()
    ds = ds.flatten_indices() if ds._indices is not None else ds
    table = ds.data.table
    schema = ds.features.arrow_schema
    options = get_parquet_column_options(ds.features, schema)
    rows_per_group = ROW_GROUP_ROWS.get(config, 100)
    parts: list[Path] = []
    writer = None
    shard_bytes = num_bytes = 0

    def close() -> None:
        writer.add_key_value_metadata({"content_defined_chunking": json.dumps(ds_config.DEFAULT_CDC_OPTIONS)})
        writer.close()

    try:
        for offset in range(0, max(table.num_rows, 1), rows_per_group):
            n = min(rows_per_group, table.num_rows - offset)
            group = table.take(pa.array(range(offset, offset + n), type=pa.int64())).cast(schema)
            size = int(group.nbytes)
            if writer is not None and shard_bytes + size > max_shard_bytes:
                close()
                writer = None
            if writer is None:
                parts.append(folder / f".{split}-part-{len(parts):05d}.parquet")
                writer = pq.ParquetWriter(
                    str(parts[-1]),
                    schema=schema,
                    use_content_defined_chunking=ds_config.DEFAULT_CDC_OPTIONS,
                    write_page_index=True,
                    **options,
                )
                shard_bytes = 0
            if n:
                writer.write_table(group, row_group_size=n)
            shard_bytes += size
            num_bytes += size
        close()
        writer = None
    finally:
        if writer is not None:
            writer.close()
    files = []
    for index, part in enumerate(parts):
        path = folder / f"{split}-{index:05d}-of-{len(parts):05d}.parquet"
        os.replace(part, path)
        files.append(path)
    return files, num_bytes


def dataset_files(folder: str | Path) -> list[Path]:
    """The parquet files of a built dataset folder (``<config>/*.parquet``), sorted."""
    root = Path(folder)
    return sorted(p for p in root.glob("*/*.parquet") if p.is_file())


def content_hash(folder: str | Path) -> str:
    """``sha256:<hex>`` over the sorted relative paths and contents of the folder's parquet files."""
    root = Path(folder)
    total = hashlib.sha256()
    for path in dataset_files(root):
        digest = hashlib.sha256()
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
        total.update(f"{path.relative_to(root).as_posix()}\t{digest.hexdigest()}\n".encode())
    return f"sha256:{total.hexdigest()}"


# --------------------------------------------------------------------------------------------------- card
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


def _size_category(n: int) -> str:
    for limit, name in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K")):
        if n < limit:
            return name
    return "100K<n<1M"


def card_metadata(infos: dict, splits: dict[str, list[str]], *, license: str, pretty_name: str) -> dict:
    """The YAML header of the card: Hub metadata, ``configs:`` (fused default) and ``dataset_info:``."""
    n_cases = max((sum(counts.values()) for counts in _split_counts(infos).values()), default=0)
    configs = []
    for config in (c for c in CONFIGS if c in infos):
        entry: dict[str, Any] = {"config_name": config}
        if config == DEFAULT_CONFIG:
            entry["default"] = True
        entry["data_files"] = [{"split": s, "path": f"{config}/{s}-*.parquet"} for s in splits[config]]
        configs.append(entry)
    dataset_info = []
    for config in (c for c in CONFIGS if c in infos):
        info = infos[config]._to_yaml_dict()
        info.pop("config_name", None)
        dataset_info.append({"config_name": config, **info})
    return {
        "pretty_name": pretty_name,
        "license": license,
        "language": ["zh", "en"],
        "task_categories": ["image-to-text"],
        "tags": ["medical", "pet-ct", "radiology-report-generation", "nuclear-medicine", "pet2rep"],
        "size_categories": [_size_category(n_cases)],
        "configs": configs,
        "dataset_info": dataset_info,
    }


def _split_counts(infos: dict) -> dict[str, dict[str, int]]:
    return {
        config: {name: int(split.num_examples) for name, split in info.splits.items()}
        for config, info in infos.items()
    }


def card_text(metadata: dict, *, summary: BuildSummary, options: RenderOptions) -> str:
    """The whole README.md: YAML header then the card sections."""
    yaml = require("yaml", "hf")
    header = yaml.safe_dump(metadata, sort_keys=False, allow_unicode=True, width=1000)
    counts = _split_counts(summary.infos)
    configs = [c for c in CONFIGS if c in counts]
    rows = "\n".join(
        f"| `{c}`{' (default)' if c == DEFAULT_CONFIG else ''} | {CONFIG_DESCRIPTIONS[c]} | "
        + ", ".join(f"{s}: {n}" for s, n in counts[c].items())
        + " |"
        for c in configs
    )
    tree = "\n".join(f.relative_to(summary.out).as_posix() for f in summary.files)
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
    fields = "\n".join(f"| `{name}` | {kind} | {meaning} |" for name, kind, meaning in FIELD_DOCS)
    failures = (
        "\n".join(f"- `{f.case_id}` ({', '.join(f.configs)}): {f.error}: {f.message}" for f in summary.failures)
        or "none"
    )
    return f"""---
{header}---

{BUILD_MARKER}

# PET2Rep (built with pet2rep {__version__})

## Description

{DESCRIPTION}

The benchmark is described in *{PAPER_TITLE}* (Zhang et al., AAAI 2026,
[arXiv:2508.04062]({PAPER_URL})).

This folder was generated by `pet2rep build` from a folder of PET/CT cases (generic, autoPET or nnU-Net layout):
every picture is made from the 3-D volumes by the `pet2rep` library, and rebuilding from the same volumes with the
same software versions gives the same files, byte for byte.

- cases: {len(summary.cases)}
- cases left out: {len(summary.failures)}
- content hash of the parquet files: `{summary.content_hash}`

## Structure

| config | content | rows |
|---|---|---|
{rows}

```
README.md
{tree}
```

Load a config with `datasets`:

```python
from datasets import load_dataset

ds = load_dataset("path/to/this/folder", "fused", split="test")  # or the Hub id of a published copy
row = ds[0]
row["images"]  # list of PIL images, in the order a model receives them
row["report"]  # the reference report (Chinese)
```

## Fields

| column | type | meaning |
|---|---|---|
{fields}

## How the slices are made

- **Grid.** Everything is drawn on the PET grid reoriented to RAS+; the CT is sampled on that grid in world coordinates
  (trilinear, -1024 HU outside the CT), only on the planes that are drawn. PET in Bq/mL is converted to SUV (body
  weight) from `meta.json` (weight, injected dose, injection and acquisition time, F-18 half-life).
- **Key slices.** {options.num_slices} coronal planes {options.slice_spacing_vox} PET voxels apart, centred on the
  front-back centre of mass of the CT body mask (HU > {options.body_threshold_hu:g}) inside the PET field of view,
  shifted to fit inside the grid (as the official demo's planes 90/100/110 of about 200).
- **Windows and colours.** CT: {ct_mode}, gray. PET: SUV {options.suv_window[0]:g}-{options.suv_window[1]:g} in
  the DICOM "Hot Iron" map (black-red-yellow-white). Fused: PET over CT; the PET opacity ramps from 0 at SUV
  {options.suv_window[0]:g} up to {options.fusion_alpha:g} at {options.fusion_fade:.0%} of the window, so near-zero
  uptake leaves the CT visible. MIP:
  coronal maximum intensity projection of the SUV, colour map `{options.mip_colormap}`.
- **Orientation and size.** Head at the top, the patient's right on the image's left (radiological convention).
  Image size: {size_rule}.
- **Encoding.** PNG (zlib level {PNG_COMPRESS_LEVEL}), NIfTI gzip level {NIFTI_COMPRESS_LEVEL}; no time stamps, so
  rebuilding from the same input with the same software versions gives byte-identical parquet files.

## Cases left out of this build

{failures}

## Citation

```bibtex
{CITATION}
```

## License

This card and the `pet2rep` code are Apache-2.0. The license of the images, volumes and reports is that of the
source cohort they were built from (`license: {metadata.get("license")}` above, set with `pet2rep build --license`):
the PET2Rep paper's 565-case cohort is private; public cohorts (autoPET, AutoPET-RG-Lym, PETWB-REP) carry their own
terms, and reports are patient data that must be de-identified before sharing. A build of the synthetic cohort
(`pet2rep synth`) contains no patient data.

## How to evaluate

- Generate one report per `case_id` from the `images` of a config and save them as JSONL
  (`{{"case_id": ..., "report": ...}}` per line). Score them with
  `pet2rep score --predictions predictions.jsonl --references references.jsonl` (BLEU-n, METEOR, ROUGE-L and the
  clinical efficacy CE precision/recall/F1 of the organ uptake states, with the benchmark's tokenizer). The
  references come from this dataset:
  `load_dataset(..., "fused", split="test").select_columns(["case_id", "report"]).to_json("references.jsonl",
  force_ascii=False)` (or pass the case folder it was built from).
- In Python with `evaluate`: `evaluate.load("metrics/pet2rep_ce").compute(predictions=[...], references=[...])`
  (a local module of the pet2rep repository).
- With lighteval (vision models): `lighteval accelerate "model_name=..." "pet2rep|0" --custom-tasks tasks/pet2rep.py
  --vision-model` runs the tasks `pet2rep:fused`, `pet2rep:separate` and `pet2rep:mip` (and `pet2rep_en:*` on
  `report_en`; set `PET2REP_DATASET` to this folder or its Hub id); `pet2rep submission` turns lighteval's details
  into a leaderboard submission.
"""


# -------------------------------------------------------------------------------------------------- build
@dataclass
class BuildSummary:
    """What a build wrote.

    Attributes:
        out: the dataset folder.
        configs: the configs built.
        cases: ids of the cases in the build (in at least one config).
        failures: cases left out, with reasons.
        skipped: folders under the data folder that pet2rep wrote (e.g. an earlier build), with what they are.
        files: the parquet files written.
        size_bytes: total size of the folder's parquet files and README.md.
        content_hash: :func:`content_hash` of the folder.
        infos: config -> ``datasets.DatasetInfo`` (splits with num_examples / num_bytes).
        timings: seconds per phase (``prepare``: render + encode + Arrow, ``parquet``, ``card``, ``register``).
        registered: the configs whose processed cache was refreshed for bare-name loading.
    """

    out: Path
    configs: tuple[str, ...]
    cases: list[str] = field(default_factory=list)
    failures: list[CaseFailure] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    size_bytes: int = 0
    content_hash: str = ""
    infos: dict = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    registered: tuple[str, ...] = ()

    @property
    def rows(self) -> dict[str, dict[str, int]]:
        """config -> split -> number of rows."""
        return _split_counts(self.infos)


def _check_out(out: Path) -> None:
    """Refuse to overwrite a folder that is not an earlier build (only README.md, config folders and dot entries)."""
    if not out.exists():
        return
    if not out.is_dir():
        raise InputError(f"--out {out} is a file; expected a folder to write the dataset into")
    entries = [p for p in out.iterdir() if not p.name.startswith(".")]
    if not entries:
        return
    readme = out / "README.md"
    is_build = readme.is_file() and BUILD_MARKER in readme.read_text(encoding="utf-8", errors="replace")
    foreign = [p.name for p in entries if p.name != "README.md" and not (p.is_dir() and p.name in CONFIGS)]
    if not is_build or foreign:
        what = f"it holds {', '.join(sorted(foreign))}" if foreign else "README.md was not written by pet2rep build"
        raise InputError(f"--out {out} exists and is not a pet2rep build ({what}); choose an empty or new folder")


def _build_progress(message: str, progress: bool) -> None:
    if progress:
        print(message, file=sys.stderr, flush=True)


def build_dataset(
    data_dir: str | Path,
    out: str | Path,
    configs: Sequence[str] = CONFIGS,
    *,
    num_proc: int = 1,
    options: RenderOptions | None = None,
    max_shard_bytes: int = DEFAULT_MAX_SHARD_BYTES,
    register: bool = True,
    cache_dir: str | Path | None = None,
    license: str = "other",
    pretty_name: str = "PET2Rep",
    progress: bool = True,
    work_dir: str | Path | None = None,
) -> BuildSummary:
    """Build the dataset from a folder of cases into the Hub layout at ``out``, through the ``datasets`` builder.

    The first config pass renders every requested config of a case at once (volumes loaded once) and keeps the
    other configs' rows for their passes. A case that fails (any :class:`~pet2rep.errors.Pet2RepError`) is left
    out and reported in the summary and the card; the good cases are written. Other exceptions abort the build.

    Args:
        data_dir: a case folder or a folder of cases (any layout of :mod:`pet2rep.imaging.cases`).
        out: the dataset folder (created; an earlier build there is replaced, anything else is refused).
        configs: some of :data:`CONFIGS`.
        num_proc: worker processes (cases are split between them).
        options: rendering options.
        max_shard_bytes: Arrow bytes per parquet shard at most.
        register: refresh the ``datasets`` cache of each config (``load_dataset(out, config)`` with
            ``download_mode="force_redownload"``) so that ``load_dataset("<basename of out>", config)`` works offline
            from any directory and returns this build.
        cache_dir: the ``datasets`` cache to register in (default: ``HF_DATASETS_CACHE``).
        license: the card's ``license:`` (the source cohort's license; ``other`` by default).
        pretty_name: the card's title in the Hub's metadata.
        progress: progress bars and phase messages on stderr.
        work_dir: where the temporary Arrow cache goes (default: a hidden folder beside ``out``).

    Returns:
        The :class:`BuildSummary`.

    Raises:
        InputError: bad arguments, an ``out`` that is not an earlier build, or no case that could be built.
        LayoutError, MissingFileError: ``data_dir`` holds no case.
    """
    require("datasets", "hf")
    configs = _check_configs(configs)
    options = options or RenderOptions()
    if isinstance(num_proc, bool) or not isinstance(num_proc, int) or num_proc < 1:
        raise InputError(f"num_proc must be a positive integer, got {num_proc!r}")
    if isinstance(max_shard_bytes, bool) or not isinstance(max_shard_bytes, int) or max_shard_bytes < 1:
        raise InputError(f"max_shard_bytes must be a positive integer, got {max_shard_bytes!r}")
    data_dir = Path(data_dir)
    out = Path(out).expanduser().resolve()
    _check_out(out)
    scan = scan_cases(data_dir)  # fails early on a data_dir without any case
    if not scan.cases:
        listing = "; ".join(str(e) for _, e in scan.failures)
        raise LayoutError(f"{data_dir}: no usable case ({listing})")

    out.parent.mkdir(parents=True, exist_ok=True)
    work_parent = Path(work_dir) if work_dir is not None else out.parent
    work_parent.mkdir(parents=True, exist_ok=True)
    work = Path(_mkdtemp(work_parent, f".{out.name}.build-"))
    summary = BuildSummary(out=out, configs=configs, skipped=list(scan.skipped))
    builder_cls = load_builder_class()
    try:
        staged = work / "staged"
        failures_dir = work / "failures"
        share_dir = work / "share"
        t0 = time.perf_counter()
        datasets_by_config: dict[str, dict[str, Any]] = {}
        for i, config in enumerate(configs):
            how = f"rendering all configs, num_proc={num_proc}" if i == 0 else "rows kept by the rendering pass"
            _build_progress(f"pet2rep build: config {config} ({i + 1}/{len(configs)}): {how}", progress)
            builder = builder_cls(
                config_name=config,
                data_dir=str(data_dir.resolve()),
                cache_dir=str(work / "arrow"),
                failures_dir=str(failures_dir),
                share_dir=str(share_dir),
                share_configs=tuple(configs[i + 1 :]) if i == 0 else (),
                render_options=options,
            )
            # Only the first pass renders; later passes read the rows it kept, which is too little work for a pool.
            with _progress_bars(progress):
                builder.download_and_prepare(num_proc=num_proc if num_proc > 1 and i == 0 else None)
            info = builder.info.copy()
            # A split (or config) whose cases all failed has no rows: it is left out of the layout and the card.
            for name in [name for name, split in info.splits.items() if not split.num_examples]:
                del info.splits[name]
            if info.splits:
                datasets_by_config[config] = {s: builder.as_dataset(split=s) for s in info.splits}
                summary.infos[config] = info
        summary.timings["prepare"] = time.perf_counter() - t0
        summary.configs = tuple(datasets_by_config)

        t0 = time.perf_counter()
        split_names: dict[str, list[str]] = {}
        for config, by_split in datasets_by_config.items():
            split_names[config] = [s for s in SPLITS if s in by_split]
            written = []
            info = summary.infos[config]
            for split in split_names[config]:
                files, num_bytes = write_split(by_split[split], staged / config, split, config, max_shard_bytes)
                info.splits[split].num_bytes = num_bytes
                written += files
            info.dataset_size = sum(info.splits[s].num_bytes for s in split_names[config])
            info.download_size = sum(p.stat().st_size for p in written)
            summary.files += [out / p.relative_to(staged) for p in written]
        summary.timings["parquet"] = time.perf_counter() - t0

        summary.failures = read_failures(failures_dir)
        _check_nothing_dropped(scan.cases, datasets_by_config, summary.failures, configs)
        built = {cid for by_split in datasets_by_config.values() for ds in by_split.values() for cid in ds["case_id"]}
        summary.cases = sorted(built)
        if not built:
            raise InputError(
                f"{data_dir}: no case could be built; "
                + "; ".join(str(f) for f in summary.failures[:20])
                + (" ..." if len(summary.failures) > 20 else "")
            )
        del datasets_by_config

        t0 = time.perf_counter()
        summary.content_hash = content_hash(staged)
        metadata = card_metadata(summary.infos, split_names, license=license, pretty_name=pretty_name)
        (staged / "README.md").write_text(card_text(metadata, summary=summary, options=options), encoding="utf-8")
        _install(staged, out)
        summary.files = dataset_files(out)
        summary.size_bytes = sum(p.stat().st_size for p in [*summary.files, out / "README.md"])
        summary.timings["card"] = time.perf_counter() - t0
    finally:
        shutil.rmtree(work, ignore_errors=True)

    if register:
        t0 = time.perf_counter()
        _build_progress(
            f"pet2rep build: refreshing the datasets cache so that load_dataset({out.name!r}, ...) works", progress
        )
        summary.registered = register_cache(out, summary.configs, cache_dir=cache_dir, progress=progress)
        summary.timings["register"] = time.perf_counter() - t0
    return summary


def _check_nothing_dropped(cases, datasets_by_config: dict, failures: list[CaseFailure], configs) -> None:
    """Every discovered case is a row or a reported failure of every config (an invariant of the builder)."""
    for config in configs:
        rows = {cid for ds in datasets_by_config.get(config, {}).values() for cid in ds["case_id"]}
        failed = {f.case_id for f in failures if config in f.configs}
        lost = sorted({c.case_id for c in cases} - rows - failed)
        if lost:
            raise Pet2RepError(f"config {config!r}: case(s) {lost} were neither built nor reported as failed")


def _mkdtemp(parent: Path, prefix: str) -> str:
    import tempfile

    return tempfile.mkdtemp(prefix=prefix, dir=parent)


@contextlib.contextmanager
def _progress_bars(enabled: bool):
    from datasets import utils as ds_utils
    from datasets.utils import logging as ds_logging

    was = ds_utils.are_progress_bars_disabled()
    level = ds_logging.get_verbosity()
    if not enabled:
        ds_utils.disable_progress_bars()
    ds_logging.set_verbosity_error()  # the cache-path chatter of a temporary builder is noise here
    try:
        yield
    finally:
        ds_logging.set_verbosity(level)
        if not enabled and not was:
            ds_utils.enable_progress_bars()


def _install(staged: Path, out: Path) -> None:
    """Replace the README.md and config folders of ``out`` with the staged ones (dot entries are left alone)."""
    out.mkdir(parents=True, exist_ok=True)
    for config in CONFIGS:
        old = out / config
        if old.is_dir():
            shutil.rmtree(old)
    (out / "README.md").unlink(missing_ok=True)
    for entry in sorted(staged.iterdir()):
        os.replace(entry, out / entry.name)


def register_cache(
    out: str | Path,
    configs: Sequence[str] | None = None,
    *,
    cache_dir: str | Path | None = None,
    progress: bool = True,
) -> tuple[str, ...]:
    """Load each config of a built folder once by path, regenerating its ``datasets`` cache.

    ``datasets`` 5.2 resolves a bare name offline (``load_dataset("pet2rep", "fused")`` from a directory without a
    ``./pet2rep`` folder) to the most recently written processed cache of a folder with that base name; a cache is
    keyed on the folder's base name, the config and a hash of the card, not on the files' content, so a plain load
    after a rebuild can return the old rows. ``download_mode="force_redownload"`` rewrites the cache from the new
    files and makes it the most recent one.

    Returns:
        The configs registered.
    """
    datasets = require("datasets", "hf")
    out = Path(out).resolve()
    meta, _ = read_card(out)
    available = [c.get("config_name") for c in meta.get("configs") or [] if isinstance(c, dict)]
    configs = tuple(available if configs is None else configs)
    done = []
    for config in configs:
        if config not in available:
            raise InputError(f"{out} has no config {config!r}; its configs: {', '.join(map(str, available))}")
        with _progress_bars(progress):
            datasets.load_dataset(
                str(out),
                config,
                cache_dir=None if cache_dir is None else str(cache_dir),
                download_mode="force_redownload",
            )
        done.append(config)
    return tuple(done)


def describe(summary: BuildSummary) -> str:
    """The end-of-build summary printed by ``pet2rep build``."""
    lines = [f"pet2rep build: wrote {summary.out}"]
    for config, splits in summary.rows.items():
        lines.append(f"  {config:<9} " + ", ".join(f"{s}: {n} rows" for s, n in splits.items()))
    lines.append(f"  cases: {len(summary.cases)} built, {len(summary.failures)} left out")
    for f in summary.failures:
        lines.append(f"    FAILED {f.case_id} [{', '.join(f.configs)}] {f.error}: {f.message}")
    for folder, what in summary.skipped:
        lines.append(f"  skipped {folder}: {what}, not a case folder")
    lines.append(f"  size: {_human(summary.size_bytes)} in {len(summary.files)} parquet file(s) + README.md")
    lines.append(f"  content hash: {summary.content_hash}")
    if summary.timings:
        lines.append("  time: " + ", ".join(f"{k} {v:.1f}s" for k, v in summary.timings.items()))
    if summary.registered:
        name = summary.out.name
        lines.append(
            f"  load: load_dataset({str(summary.out)!r}, {summary.registered[0]!r}); offline also "
            f"load_dataset({name!r}, {summary.registered[0]!r}) from any directory (datasets cache)"
        )
    return "\n".join(lines)


def _human(n: int) -> str:
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"  # pragma: no cover


def parse_size(text: str) -> int:
    """``"500MB"``, ``"2GiB"``, ``"1000"`` -> bytes (decimal and binary units)."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]?I?B?)?\s*", str(text), flags=re.I)
    if not m:
        raise InputError(f"size must be a number with an optional unit (KB, MB, GB, KiB, MiB, GiB), got {text!r}")
    unit = (m.group(2) or "").upper().rstrip("B")
    base = 1024 if unit.endswith("I") else 1000
    power = {"": 0, "K": 1, "M": 2, "G": 3, "T": 4}[unit.rstrip("I")]
    value = int(float(m.group(1)) * base**power)
    if value < 1:
        raise InputError(f"size must be at least 1 byte, got {text!r}")
    return value


# ------------------------------------------------------------------------------------------------ publish
def check_build(folder: str | Path) -> dict:
    """Check that a folder is a complete ``pet2rep build`` before publishing it.

    Returns:
        The card's YAML header.

    Raises:
        MissingFileError: no folder or no README.md. InputError: no ``configs:``, a config without parquet files,
            or parquet files whose content hash differs from the card's (a partial or edited build).
    """
    root = Path(folder)
    if not root.is_dir():
        raise MissingFileError(f"dataset folder not found: {root}")
    meta, body = read_card(root)
    configs = [c.get("config_name") for c in meta.get("configs") or [] if isinstance(c, dict)]
    if not configs:
        raise InputError(
            f"{root / 'README.md'}: no `configs:` in its YAML header; build the folder with pet2rep build"
        )
    empty = [c for c in configs if not any((root / str(c)).glob("*.parquet"))]
    if empty:
        raise InputError(f"{root}: config(s) {', '.join(map(str, empty))} have no parquet files; rebuild the folder")
    m = re.search(r"content hash of the parquet files: `(sha256:[0-9a-f]{64})`", body)
    if m and m.group(1) != content_hash(root):
        raise InputError(
            f"{root}: the parquet files do not match the card's content hash {m.group(1)} (a partial or edited "
            "build); rebuild it with pet2rep build"
        )
    return meta


def publish(
    folder: str | Path,
    repo_id: str,
    *,
    private: bool = False,
    token: str | None = None,
    endpoint: str | None = None,
    commit_message: str | None = None,
) -> str:
    """Upload a built dataset folder to the Hub (``create_repo`` + ``upload_folder``; README.md and parquet only).

    Args:
        folder: a ``pet2rep build`` output folder.
        repo_id: ``org/name`` of the dataset repository (created if missing).
        private: create the repository as private.
        token: a Hub token (default: ``HF_TOKEN`` or the token saved by ``hf auth login``).
        endpoint: the Hub URL (default: ``HF_ENDPOINT`` or huggingface.co).
        commit_message: the commit message.

    Returns:
        The dataset's URL on the Hub.

    Raises:
        InputError: a bad ``repo_id`` or a folder that is not a complete build.
        HubError: offline mode, no token, the Hub unreachable or refusing the upload.
    """
    from pet2rep.errors import HubError

    hf = require("huggingface_hub", "hf")
    if not isinstance(repo_id, str) or not re.fullmatch(r"[A-Za-z0-9][\w.-]*/[\w.-]+", repo_id):
        raise InputError(f"--repo-id must look like 'org/name' (e.g. my-lab/pet2rep), got {repo_id!r}")
    check_build(folder)
    from huggingface_hub import constants

    if constants.HF_HUB_OFFLINE:
        raise HubError(
            "HF_HUB_OFFLINE is set: publishing needs the network; unset HF_HUB_OFFLINE (and check that "
            f"{endpoint or constants.ENDPOINT} is reachable)"
        )
    token = token or hf.get_token()
    if not token:
        raise HubError(
            f"no Hugging Face token: log in with `hf auth login` or set HF_TOKEN (a token with write access to "
            f"{repo_id.split('/')[0]!r}) before publishing"
        )
    api = hf.HfApi(endpoint=endpoint, token=token)
    where = endpoint or constants.ENDPOINT
    try:
        repo = api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
        api.upload_folder(
            folder_path=str(folder),
            repo_id=repo_id,
            repo_type="dataset",
            allow_patterns=["README.md", "*/*.parquet"],
            commit_message=commit_message or f"Upload pet2rep dataset (pet2rep {__version__})",
        )
    except hf.errors.HfHubHTTPError as e:
        status = getattr(getattr(e, "response", None), "status_code", None)
        hint = {401: "the token is invalid or expired", 403: f"the token may not write to {repo_id!r}"}.get(status, "")
        raise HubError(f"the Hub refused to publish {repo_id!r} ({status}{': ' + hint if hint else ''}): {e}") from e
    except (OSError, *_httpx_errors()) as e:
        raise HubError(
            f"cannot reach the Hugging Face Hub at {where} to publish {repo_id!r}: {type(e).__name__}: {e}"
        ) from e
    return str(getattr(repo, "url", f"{where}/datasets/{repo_id}"))


def _httpx_errors() -> tuple[type[BaseException], ...]:
    try:
        import httpx
    except ImportError:  # pragma: no cover - huggingface_hub 1.x depends on httpx
        return ()
    return (httpx.TransportError,)


__all__ = [
    "CONFIGS",
    "DEFAULT_CONFIG",
    "BuildSummary",
    "CaseFailure",
    "build_dataset",
    "builder_path",
    "card_metadata",
    "case_fields",
    "case_rows",
    "ce_labels",
    "check_build",
    "content_hash",
    "describe",
    "encode_nifti",
    "encode_png",
    "features",
    "load_builder_class",
    "publish",
    "read_card",
    "register_cache",
    "write_split",
]
