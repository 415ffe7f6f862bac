"""Where the organs of a synthetic case lie, from its ``truth.json``: boxes on the PET grid and picture masks."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from pet2rep.errors import InputError
from pet2rep.imaging.geometry import apply_affine
from pet2rep.synth.anatomy import Structure
from pet2rep.vocab import ORGANS


def load_truth(case_or_path: Any) -> dict:
    """``truth.json`` of a synthetic case, from a :class:`~pet2rep.imaging.cases.Case`, its folder or the file."""
    path = Path(case_or_path.root if hasattr(case_or_path, "case_id") else case_or_path)
    if path.is_dir():
        path = path / "truth.json"
    return json.loads(path.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class OrganRegion:
    """Where an organ lies on a case's PET grid (RAS) and on its native-size coronal pictures.

    Attributes:
        organ: CE organ key.
        parts: anatomy parts that make it up.
        box_vox: ``((i0, i1), (j0, j1), (k0, k1))`` half-open voxel box on the RAS PET grid.
        picture_box: ``(left, top, right, bottom)`` PIL box on the native-size pictures (MIP or any slice).
        slices: key-slice indices whose plane cuts the organ.
    """

    organ: str
    parts: tuple[str, ...]
    box_vox: tuple[tuple[int, int], tuple[int, int], tuple[int, int]]
    picture_box: tuple[int, int, int, int]
    slices: tuple[int, ...]


def _pet_grid(truth: dict) -> tuple[np.ndarray, tuple[int, int, int]]:
    g = truth["pet_grid"]
    return np.asarray(g["affine"], dtype=np.float64), tuple(int(n) for n in g["shape"])  # type: ignore[return-value]


def organ_regions(truth: dict) -> dict[str, OrganRegion]:
    """Every CE organ present in the phantom -> its region (boxes from the anatomy, no lesion information)."""
    affine, shape = _pet_grid(truth)
    inv = np.linalg.inv(affine)
    parts: dict[str, list[Structure]] = {}
    for d in truth["anatomy"]:
        if d["organ"]:
            parts.setdefault(d["organ"], []).append(Structure.from_json(d))
    out = {}
    for organ in ORGANS:
        if organ not in parts:
            continue
        lo = np.full(3, np.inf)
        hi = np.full(3, -np.inf)
        for s in parts[organ]:
            corners = np.array(np.meshgrid(*[[a, b] for a, b in zip(*s.bbox(0.0), strict=True)], indexing="ij"))
            vox = apply_affine(inv, corners.reshape(3, -1))
            lo = np.minimum(lo, vox.min(axis=1))
            hi = np.maximum(hi, vox.max(axis=1))
        lo_i = np.clip(np.floor(lo).astype(int), 0, np.array(shape))
        hi_i = np.clip(np.ceil(hi).astype(int) + 1, 0, np.array(shape))
        box = tuple((int(a), int(b)) for a, b in zip(lo_i, hi_i, strict=True))
        nx, _, nz = shape
        picture = (nx - box[0][1], nz - box[2][1], nx - box[0][0], nz - box[2][0])
        cut = tuple(j for j in truth["key_slices"] if box[1][0] <= j < box[1][1])
        out[organ] = OrganRegion(organ, tuple(s.name for s in parts[organ]), box, picture, cut)  # type: ignore[arg-type]
    return out


def organ_mask(truth: dict, organ: str, plane: int | None = None) -> np.ndarray:
    """Boolean mask of an organ on a native-size coronal picture (rows = head to feet, columns = patient's right
    to left): its cross-section on key plane ``plane`` (RAS PET index along the anterior axis), or its
    projection along that axis (for the MIP) when ``plane`` is None."""
    affine, shape = _pet_grid(truth)
    structures = [Structure.from_json(d) for d in truth["anatomy"] if d["organ"] == organ]
    if not structures:
        raise InputError(f"organ {organ!r} is not in this phantom; expected one of {sorted(organ_regions(truth))}")
    nx, ny, nz = shape
    ii = np.arange(nx, dtype=np.float64)[:, None, None]
    kk = np.arange(nz, dtype=np.float64)[None, None, :]
    jj = np.arange(ny, dtype=np.float64)[None, :, None] if plane is None else np.array([[[float(plane)]]])
    world = [
        (affine[r, 0] * ii + affine[r, 1] * jj + affine[r, 2] * kk + affine[r, 3]).astype(np.float32) for r in range(3)
    ]
    mask = np.zeros((nx, jj.shape[1], nz), dtype=bool)
    for s in structures:
        mask |= s.coverage(*world, 1e-3) >= 0.5
    flat = mask.any(axis=1)
    return flat[::-1, ::-1].T
