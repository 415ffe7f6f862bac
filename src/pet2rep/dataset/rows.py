"""One case -> its dataset rows: reports, CE labels, key-slice PNGs and NIfTI volumes, encoded deterministically.

:func:`case_rows` renders every requested config of a case from one load of its volumes; :func:`case_result` is
the same for the streaming build (:mod:`pet2rep.dataset.build`): it never raises for a bad case, so one case cannot
stop the others, and it runs in worker processes.
"""

from __future__ import annotations

import gzip
import io
import math
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pet2rep.dataset.schema import (
    DATASET_CONFIGS,
    DICOM_UID_FIELDS,
    IMAGE_CONFIGS,
    NIFTI_COMPRESS_LEVEL,
    PNG_COMPRESS_LEVEL,
    VOLUME_CONFIG,
    check_configs,
)
from pet2rep.errors import Pet2RepError
from pet2rep.imaging.cases import Case
from pet2rep.imaging.render import (
    RenderOptions,
    load_case_volumes,
    render_volumes,
    select_key_slices,
    volumes_on_pet_grid,
)


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
        "source_format": case.source_format,
        **{name: case.meta.get(name) if case.source_format == "dicom" else None for name in DICOM_UID_FIELDS},
    }


def _grid_fields(vols, indices: Sequence[int]) -> dict[str, Any]:
    return {
        "slice_indices": [int(i) for i in indices],
        "suv_factor": None if vols.suv_factor is None else float(vols.suv_factor),
        "pet_shape": [int(n) for n in vols.pet_shape],
        "pet_spacing_mm": [float(s) for s in vols.pet_spacing_mm],
    }


def case_rows(
    case: Case,
    configs: Sequence[str] = DATASET_CONFIGS,
    options: RenderOptions | None = None,
    timings: dict[str, float] | None = None,
    masks_dir: str | Path | None = None,
) -> dict[str, dict[str, Any]]:
    """The dataset rows of one case in several configs, loading its volumes once.

    Picture rows record how their planes were chosen (``slice_strategy``: the strategy used, after any fallback),
    the ``lesion_coverage`` of the planes (null without a lesion mask) and ``mask_overlay`` (lesion outlines drawn).
    ``volumes`` rows carry the planes of ``options.slice_strategy`` in ``slice_indices``.

    Args:
        case: the case.
        configs: some of :data:`~pet2rep.dataset.schema.DATASET_CONFIGS`.
        options: rendering options (defaults: :class:`~pet2rep.imaging.render.RenderOptions`).
        timings: if given, seconds are added under ``"render"`` (load, SUV, key planes, pictures), ``"png"``
            (PNG encoding), ``"nifti"`` (resampling and gzip of the ``volumes`` config) and ``"text"`` (reports, CE).
        masks_dir: a folder of lesion masks ``<case_id>.nii.gz`` looked in before the case's own
            (:func:`pet2rep.imaging.masks.find_mask`).

    Returns:
        config -> row (the columns of :func:`~pet2rep.dataset.schema.features`; images as
        ``{"bytes": png, "path": None}``).

    Raises:
        Pet2RepError: any problem with the case (the subclass and message name the case and file).
    """
    configs = check_configs(configs)
    options = options or RenderOptions()
    clock = timings if timings is not None else {}

    def tick(key: str, t0: float) -> float:
        t1 = time.perf_counter()
        clock[key] = clock.get(key, 0.0) + (t1 - t0)
        return t1

    t = time.perf_counter()
    base = case_fields(case)  # cheap failures (reports) before any voxel is read
    t = tick("text", t)
    vols = load_case_volumes(case, masks_dir)
    image_configs = [c for c in configs if c in IMAGE_CONFIGS]
    rendered = render_volumes(vols, image_configs, options) if image_configs else {}
    rendered_options = {c: rc.options for c, rc in rendered.items()}
    t = tick("render", t)
    rows: dict[str, dict[str, Any]] = {}
    for config in image_configs:
        rc = rendered[config]
        rows[config] = {
            **base,
            "images": [{"bytes": encode_png(img), "path": None} for img in rc.images],
            "image_names": list(rc.image_names),
            **_grid_fields(vols, rc.slice_indices),
            "slice_strategy": rc.selection["slice_strategy"],
            "lesion_coverage": rc.selection["lesion_coverage"],
            "mask_overlay": rc.mask_overlay,
        }
    del rendered
    t = tick("png", t)
    if VOLUME_CONFIG in configs:
        # the planes of options.slice_strategy: those of a picture config that used it (``lesion`` forces its own)
        same = [c for c in image_configs if rendered_options[c].slice_strategy == options.slice_strategy]
        indices = rows[same[0]]["slice_indices"] if same else select_key_slices(vols, options)[0]
        ct_img, suv_img = volumes_on_pet_grid(vols)
        grid = _grid_fields(vols, indices)
        del vols  # the SUV image may hold the loaded array; the CT is not needed any more
        ct_bytes = encode_nifti(ct_img)
        del ct_img
        rows[VOLUME_CONFIG] = {
            **base,
            "ct": {"bytes": ct_bytes, "path": None},
            "suv": {"bytes": encode_nifti(suv_img), "path": None},
            **grid,
        }
        tick("nifti", t)
    return {c: rows[c] for c in configs}


@dataclass(frozen=True)
class CaseResult:
    """What the build got for one case: its rows, or why it has none.

    Attributes:
        case_id: the case.
        rows: config -> row, or None when the case failed.
        error: the exception's type name when it failed.
        message: the exception's message (a :class:`~pet2rep.errors.Pet2RepError` names the case and file; any other
            exception also says where it was raised, as it is a bug to report).
    """

    case_id: str
    rows: dict[str, dict[str, Any]] | None = None
    error: str = ""
    message: str = ""


def case_result(
    case: Case, configs: Sequence[str], options: RenderOptions | None = None, masks_dir: str | Path | None = None
) -> CaseResult:
    """:func:`case_rows` for the build: a case that fails, for any reason, gives a :class:`CaseResult` saying why.

    ``KeyboardInterrupt`` and ``SystemExit`` still stop the build. Every argument is picklable (worker processes).
    """
    try:
        return CaseResult(case.case_id, rows=case_rows(case, configs, options, masks_dir=masks_dir))
    except Pet2RepError as e:
        return CaseResult(case.case_id, error=type(e).__name__, message=str(e))
    except Exception as e:  # an unexpected error in one case must not hide the others' rows and failures
        frame = traceback.extract_tb(e.__traceback__)[-1]
        where = f"{frame.filename.rsplit('/', 1)[-1]}:{frame.lineno} in {frame.name}"
        message = f"case {case.case_id!r}: unexpected {type(e).__name__} at {where}: {e}"
        return CaseResult(case.case_id, error=type(e).__name__, message=message)


__all__ = ["CaseResult", "case_fields", "case_result", "case_rows", "ce_labels", "encode_nifti", "encode_png"]
