"""A synthetic whole-body FDG PET/CT cohort: phantom volumes, structured reports and uptake labels on disk.

Each case is a generic-layout folder (``ct.nii.gz``, ``pet.nii.gz`` + ``meta.json`` or ``suv.nii.gz``,
``report.txt``, ``report_en.txt``, ``labels.json``, ``truth.json``, ``seg.nii.gz``: the lesion mask on the PET grid,
stored like the PET, lesion ``i`` of ``truth.json`` labelled ``i + 1``). Everything is drawn from
``numpy.random.default_rng`` seeded by (seed, case index): a case does not depend on how many others are made, and
files are byte-identical across runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from pet2rep.checks import Integer, Options, check
from pet2rep.files import write_json
from pet2rep.imaging.io import save_volume
from pet2rep.imaging.suv import F18_HALF_LIFE_S, suv_parameters
from pet2rep.synth.lesions import draw_specs, labels_of, place_lesions
from pet2rep.synth.phantom import (
    CT_ORNT,
    GRIDS,
    PET_ORNTS,
    CaseDraw,
    Grid,
    ct_volume,
    draw_case,
    draw_grids,
    key_slices,
    paint_lesions_ct,
    pet_volume,
    stored,
)
from pet2rep.synth.reports import write_reports


def _meta(draw: CaseDraw, index: int, rng: np.random.Generator, pet_in_bq: bool) -> dict[str, Any]:
    meta: dict[str, Any] = {"sex": draw.sex, "age": draw.age, "weight_kg": draw.weight_kg}
    if not pet_in_bq:
        return meta
    dose = float(np.round(draw.weight_kg * rng.uniform(3.3, 4.1) * 1e6, -5))
    uptake_s = int(rng.integers(50 * 60, 80 * 60))
    style = (index // 2) % 4
    # style 2: injected before midnight, scanned after
    inj = 23 * 3600 + int(rng.integers(0, 50 * 60)) if style == 2 else int(rng.integers(7 * 3600 + 1800, 11 * 3600))
    acq = inj + uptake_s

    def hms(t: int) -> str:
        t %= 86400
        return f"{t // 3600:02d}:{t % 3600 // 60:02d}:{t % 60:02d}"

    day = 1 + int(rng.integers(0, 27))
    if style == 0:
        inj_s, acq_s = f"2024-03-{day:02d}T{hms(inj)}", f"2024-03-{day:02d}T{hms(acq)}"
    elif style == 3:
        inj_s, acq_s = f"2024-05-{day:02d}T{hms(inj)}+08:00", f"2024-05-{day:02d}T{hms(acq)}+08:00"
    else:
        inj_s, acq_s = hms(inj), hms(acq)
    meta.update(injected_dose_bq=dose, injection_time=inj_s, acquisition_time=acq_s)
    if rng.random() < 0.5:
        meta["half_life_s"] = F18_HALF_LIFE_S
    return meta


def _suv_factor(meta: dict) -> float:
    return suv_parameters(meta).factor


def synthesize_case(out_dir: str | Path, index: int, seed: int = 0, size: str = "small") -> Path:
    """Write one synthetic case ``synth_<index>`` under ``out_dir``; returns its folder."""
    check("size", size, Options(*GRIDS))
    rng = np.random.default_rng([int(seed), int(index)])
    case_id = f"synth_{index:04d}"
    draw = draw_case(case_id, rng)
    pet_grid, ct_grid = draw_grids(GRIDS[size], rng)
    specs = draw_specs(draw, rng)
    ct = ct_volume(draw, ct_grid, rng)

    # Lesions sit on the key planes the renderer will choose; drawing them into the CT can move the body's
    # centre of mass (a lung nodule adds to the body mask), so settle the two together.
    key = key_slices(ct, ct_grid, pet_grid)
    lesion_rng_state = rng.bit_generator.state
    for _ in range(4):
        rng.bit_generator.state = lesion_rng_state
        lesions = place_lesions(draw, rng, pet_grid, key, specs)
        saved = paint_lesions_ct(ct, ct_grid, [les.structure() for les in lesions], rng)
        new_key = key_slices(ct, ct_grid, pet_grid)
        if new_key == key:
            break
        for sl, block in reversed(saved):
            ct[sl] = block
        key = new_key
    else:  # pragma: no cover - the key slices settle in one or two rounds
        raise RuntimeError(f"{case_id}: key slices did not settle")

    suv = pet_volume(draw, [les.structure() for les in lesions], pet_grid, rng)
    pet_in_bq = index % 2 == 1
    meta = _meta(draw, index, rng, pet_in_bq)
    zh, en = write_reports(lesions, draw.sex, rng)

    folder = Path(out_dir) / case_id
    folder.mkdir(parents=True, exist_ok=True)
    for stale in ("pet.nii.gz", "suv.nii.gz"):
        (folder / stale).unlink(missing_ok=True)
    ct_st, ct_aff = stored(ct, ct_grid.affine, CT_ORNT)
    save_volume(ct_st, ct_aff, folder / "ct.nii.gz")
    del ct_st
    factor = _suv_factor(meta) if pet_in_bq else None
    pet_data = suv / np.float32(factor) if factor else suv
    pet_st, pet_aff = stored(pet_data.astype(np.float32), pet_grid.affine, PET_ORNTS[index % len(PET_ORNTS)])
    save_volume(pet_st, pet_aff, folder / ("pet.nii.gz" if pet_in_bq else "suv.nii.gz"))
    seg_st, _ = stored(lesion_labels(lesions, pet_grid), pet_grid.affine, PET_ORNTS[index % len(PET_ORNTS)])
    save_volume(seg_st, pet_aff, folder / "seg.nii.gz")
    write_json(meta, folder / "meta.json")
    (folder / "report.txt").write_text(zh, encoding="utf-8")
    (folder / "report_en.txt").write_text(en, encoding="utf-8")
    write_json(labels_of(lesions), folder / "labels.json")
    truth = _truth(draw, lesions, pet_grid, ct_grid, key, seed, index, size, factor)
    write_json(truth, folder / "truth.json")
    return folder


def lesion_labels(lesions, grid: Grid) -> np.ndarray:
    """The lesion mask on ``grid`` (uint8): voxels at least half inside lesion ``i`` get label ``i + 1``."""
    out = np.zeros(grid.shape, dtype=np.uint8)
    axes = [grid.axis(k) for k in range(3)]
    h = float(np.mean(grid.spacing))
    for i, les in enumerate(lesions[:255]):
        s = les.structure()
        lo, hi = s.bbox(h)
        sl = tuple(
            slice(int(np.searchsorted(a, lo[k], "left")), int(np.searchsorted(a, hi[k], "right")))
            for k, a in enumerate(axes)
        )
        cover = s.coverage(axes[0][sl[0], None, None], axes[1][None, sl[1], None], axes[2][None, None, sl[2]], h)
        out[sl][cover >= 0.5] = i + 1
    return out


def _truth(draw, lesions, pet_grid: Grid, ct_grid: Grid, key, seed, index, size, factor) -> dict:
    inv = np.linalg.inv(pet_grid.affine)
    nx, _, nz = pet_grid.shape
    out_lesions = []
    for les in lesions:
        vox = inv[:3, :3] @ les.centre_mm + inv[:3, 3]
        i, j, k = (int(np.rint(v)) for v in vox)
        out_lesions.append(
            {
                "organ": les.organ,
                "state": les.state,
                "part": les.part,
                "centre_mm": [round(float(v), 3) for v in les.centre_mm],
                "centre_body_mm": [round(float(v), 3) for v in les.centre_body],
                "centre_vox": [i, j, k],
                "picture_xy": [nx - 1 - i, nz - 1 - k],
                "radius_mm": round(les.radius_mm, 3),
                "suv": les.suv,
                "hu": les.hu,
                "key_slice": les.key_slice,
                "location": les.location,
                "on_mip": les.on_mip,
            }
        )
    return {
        "case_id": draw.case_id,
        "seed": int(seed),
        "index": int(index),
        "size": size,
        "sex": draw.sex,
        "age": draw.age,
        "weight_kg": draw.weight_kg,
        "pet_units": "Bq/mL" if factor else "SUV",
        "suv_factor": factor,
        "body_scale": [round(float(v), 6) for v in draw.scale],
        "body_shift_mm": [round(float(v), 6) for v in draw.shift],
        "pet_grid": {"orientation": "RAS", "shape": list(pet_grid.shape), "affine": pet_grid.affine.tolist()},
        "ct_grid": {"orientation": "RAS", "shape": list(ct_grid.shape), "affine": ct_grid.affine.tolist()},
        "key_slices": list(key),
        "anatomy": [s.to_json() for s in draw.structures],
        "lesions": out_lesions,
        "labels": labels_of(lesions),
    }


def synthesize_cohort(
    out_dir: str | Path, n: int, seed: int = 0, size: str = "small", progress: bool = True
) -> list[Path]:
    """Write ``n`` synthetic cases (``synth_0000`` ...) into ``out_dir``.

    Args:
        out_dir: destination (created).
        n: number of cases (>= 1).
        seed: cohort seed; the same seed gives byte-identical files.
        size: ``"small"`` (tests), ``"medium"`` (demo) or ``"realistic"`` (CT 512x512x400, PET 192x192x260).
        progress: show a tqdm progress bar.

    Returns:
        The case folders, in order.
    """
    check("n", n, Integer(low=1))
    check("seed", seed, Integer(low=0))
    check("size", size, Options(*GRIDS))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    indices = range(n)
    if progress:
        from tqdm.auto import tqdm

        indices = tqdm(indices, desc=f"synth ({size})", unit="case")
    return [synthesize_case(out, i, seed=seed, size=size) for i in indices]
