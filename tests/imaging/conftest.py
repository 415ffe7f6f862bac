"""Tiny synthetic PET/CT volumes and case folders for the imaging tests."""

from __future__ import annotations

import json
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest


def tiny_ct_pet(seed: int = 0):
    """A 40x36x50 CT (2 mm, int16, RAS) and a 20x18x25 SUV (4 mm, RAS) that share a world frame.

    The body is a box of soft tissue with a denser 'spine' column and a hot sphere; the grids are offset by
    half a CT voxel so CT samples on the PET grid fall between CT voxel centres.
    """
    rng = np.random.default_rng(seed)
    ct = np.full((40, 36, 50), -1000, dtype=np.int16)
    ct[8:32, 6:30, 4:46] = 40
    ct[18:22, 8:12, 4:46] = 400  # posterior bony column
    ct[10:14, 20:26, 30:40] = -850  # a lung-like pocket
    ct += rng.integers(-5, 6, size=ct.shape, dtype=np.int16)
    ct_affine = np.diag([2.0, 2.0, 2.0, 1.0])
    ct_affine[:3, 3] = (-40.0, -36.0, -50.0)
    suv = np.zeros((20, 18, 25), dtype=np.float32)
    suv[4:16, 3:15, 2:23] = 1.0
    suv[6:9, 7:10, 15:18] = 9.0  # hot spot at low x: the patient's left, the picture's right
    suv[12:14, 8:11, 5:7] = 4.0
    suv += rng.random(suv.shape, dtype=np.float32) * 0.1
    pet_affine = np.diag([4.0, 4.0, 4.0, 1.0])
    pet_affine[:3, 3] = (-39.0, -35.0, -49.0)
    return ct, ct_affine, suv, pet_affine


def reoriented(data: np.ndarray, affine: np.ndarray, flips=(False, False, False), perm=(0, 1, 2)):
    """The same volume in another storage order: axes permuted then flipped, affine adjusted so that every
    voxel keeps its world position."""
    out = np.transpose(data, perm)
    aff = affine[:, [*list(perm), 3]].copy()
    for ax, flip in enumerate(flips):
        if flip:
            out = np.flip(out, axis=ax)
            n = out.shape[ax]
            aff[:3, 3] = aff[:3, 3] + aff[:3, ax] * (n - 1)
            aff[:3, ax] = -aff[:3, ax]
    return np.ascontiguousarray(out), aff


def save_nifti(data: np.ndarray, affine: np.ndarray, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nib.save(nib.Nifti1Image(data, affine), str(path))
    return path


def make_generic_case(
    root: Path,
    case_id: str = "c001",
    *,
    suv: bool = True,
    meta: dict | None = None,
    report: str | None = "肝脏FDG摄取未见异常。",
    seed: int = 0,
) -> Path:
    """Write a generic-layout case folder with tiny volumes (PET as SUV or as Bq/mL with meta.json)."""
    ct, ct_aff, suv_arr, pet_aff = tiny_ct_pet(seed)
    folder = root / case_id
    save_nifti(ct, ct_aff, folder / "ct.nii.gz")
    if suv:
        save_nifti(suv_arr, pet_aff, folder / "suv.nii.gz")
    else:
        meta = meta or {
            "weight_kg": 70.0,
            "injected_dose_bq": 3.7e8,
            "injection_time": "09:00:00",
            "acquisition_time": "10:00:00",
        }
        factor = 70000.0 / (3.7e8 * 2.0 ** (-3600.0 / 6586.2))
        save_nifti((suv_arr / factor).astype(np.float32), pet_aff, folder / "pet.nii.gz")
    if meta is not None:
        (folder / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    if report is not None:
        (folder / "report.txt").write_text(report, encoding="utf-8")
    return folder


class Helpers:
    """The helpers above, handed to tests through the ``imaging`` fixture (test files do not import each other)."""

    tiny_ct_pet = staticmethod(tiny_ct_pet)
    reoriented = staticmethod(reoriented)
    save_nifti = staticmethod(save_nifti)
    make_generic_case = staticmethod(make_generic_case)


@pytest.fixture
def imaging() -> type[Helpers]:
    return Helpers


@pytest.fixture
def tiny_volumes():
    return tiny_ct_pet()


@pytest.fixture
def generic_case(tmp_path) -> Path:
    return make_generic_case(tmp_path / "data")
