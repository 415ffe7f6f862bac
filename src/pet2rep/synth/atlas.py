"""The image reader's atlas: where the phantom's parts lie on a case's PET grid, and their masks on its pictures.

An :class:`Atlas` is what a segmentation model would give: regions only, built from the geometry of the anatomy in
``truth.json`` (:func:`atlas_from_truth`), never from its lesions, labels or drawn uptake values. :class:`Planes`
draws the atlas's parts on the coronal pictures the reader decodes (:mod:`pet2rep.synth.reader`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from pet2rep.errors import InputError, MissingFileError
from pet2rep.imaging.render import to_picture
from pet2rep.synth.anatomy import ANATOMY, Structure
from pet2rep.vocab import NODE_GROUPS, ORGANS

EXPECTED_SUV: dict[str, tuple[float, float]] = {p.name: p.suv for p in ANATOMY if p.suv is not None}
"""Part name -> population range of its physiological SUV (the reader's prior; never the case's own values)."""

"""The CE organs that are lymph-node groups: their atlas parts are stations (regions), not drawn."""


@dataclass(frozen=True)
class Atlas:
    """Where the phantom's parts lie on a case's PET grid: regions only, no uptake and no lesion.

    Attributes:
        case_id: the case.
        pet_affine: voxel -> world (mm) of the PET grid reoriented to RAS+ (the grid the pictures are cut from).
        pet_shape: that grid's size (x, y, z).
        parts: the anatomical parts in painting order (later parts lie on top), each with its CE organ (or None)
            and its shape; node stations (``organ`` a lymph-node group) are regions, not drawn.
    """

    case_id: str
    pet_affine: np.ndarray = field(repr=False)
    pet_shape: tuple[int, int, int]
    parts: tuple[Structure, ...] = field(repr=False)

    @property
    def organs(self) -> tuple[str, ...]:
        """The CE organs of this phantom, head to toe (sex-specific organs only where present)."""
        present = {p.organ for p in self.parts if p.organ}
        return tuple(o for o in ORGANS if o in present)

    @property
    def sex(self) -> str | None:
        organs = self.organs
        if "prostate" in organs:
            return "M"
        if "uterus_adnexa" in organs or "breast" in organs:
            return "F"
        return None


_ATLAS_PART_KEYS = ("name", "organ", "shape", "centre_mm", "radii_mm", "thickness_mm", "bands")


def atlas_from_truth(truth: Mapping[str, Any]) -> Atlas:
    """The atlas of a synthetic case from its ``truth.json`` content.

    Only ``case_id``, ``pet_grid`` and the geometry of ``anatomy`` (name, organ, shape, centre, radii, wall) are
    read; ``lesions``, ``labels`` and each part's drawn ``suv`` / ``hu`` are never looked at.

    Raises:
        InputError: a truth without a PET grid or anatomy.
    """
    try:
        grid = truth["pet_grid"]
        affine = np.asarray(grid["affine"], dtype=np.float64)
        shape = tuple(int(n) for n in grid["shape"])
        anatomy = truth["anatomy"]
    except (KeyError, TypeError, ValueError) as e:
        raise InputError(f"truth of case {truth.get('case_id')!r}: expected 'pet_grid' and 'anatomy' ({e})") from e
    if affine.shape != (4, 4) or len(shape) != 3:
        raise InputError(f"truth of case {truth.get('case_id')!r}: pet_grid needs a 4x4 affine and a 3-D shape")
    parts = []
    for d in anatomy:
        geometry = {k: d.get(k) for k in _ATLAS_PART_KEYS}
        geometry.update(hu=None, suv=None)
        parts.append(Structure.from_json(geometry))
    return Atlas(str(truth.get("case_id", "")), affine, shape, tuple(parts))  # type: ignore[arg-type]


def load_atlas(case_dir: str | Path) -> Atlas:
    """The atlas of a synthetic case folder (its ``truth.json``, anatomy geometry only)."""
    path = Path(case_dir)
    if path.is_dir():
        path = path / "truth.json"
    if not path.is_file():
        raise MissingFileError(f"{path}: no truth.json; the atlas is built from a synthetic case's anatomy")
    return atlas_from_truth(json.loads(path.read_text(encoding="utf-8")))


class Planes:
    """Part masks of one atlas on its pictures (rows head to feet, columns patient's right to left)."""

    def __init__(self, atlas: Atlas):
        self.atlas = atlas
        nx, _, nz = atlas.pet_shape
        self.shape = (nz, nx)
        self.drawn = [i for i, p in enumerate(atlas.parts) if p.name in EXPECTED_SUV]
        self.stations = [i for i, p in enumerate(atlas.parts) if p.organ in NODE_GROUPS and p.name not in EXPECTED_SUV]
        self._cache: dict[tuple, np.ndarray] = {}

    def pixels(self, area_mm2: float) -> int:
        """How many picture pixels (one PET voxel each, x by z) cover ``area_mm2``, at least 1."""
        a = self.atlas.pet_affine
        pixel_mm2 = float(np.linalg.norm(a[:3, 0]) * np.linalg.norm(a[:3, 2]))
        return max(1, round(area_mm2 / pixel_mm2))

    def _world(self, j: float) -> list[np.ndarray]:
        a = self.atlas.pet_affine
        nx, _, nz = self.atlas.pet_shape
        ii = np.arange(nx, dtype=np.float64)[:, None, None]
        kk = np.arange(nz, dtype=np.float64)[None, None, :]
        return [(a[r, 0] * ii + a[r, 1] * j + a[r, 2] * kk + a[r, 3]).astype(np.float32) for r in range(3)]

    def mask(self, index: int, plane: int | None, *, filled: bool = False, grow_mm: float = 0.0) -> np.ndarray:
        """Picture mask of part ``index`` on key plane ``plane`` (RAS index along the anterior axis), or its
        footprint on the MIP (``None``: the cross-section through its centre, which for the phantom's axis-aligned
        shapes is its projection). ``filled``: a shell as the solid it encloses; ``grow_mm``: radii grown by this
        much (the reach of a part's activity through the scanner's blur)."""
        key = (index, plane, filled, grow_mm)
        if key not in self._cache:
            part = self.atlas.parts[index]
            if filled and part.shape == "shell":
                part = replace(part, shape="ellipsoid")
            if grow_mm:
                part = replace(part, radii_mm=part.radii_mm + grow_mm)
            if plane is None:
                inv = np.linalg.inv(self.atlas.pet_affine)
                j = float(inv[1, :3] @ part.centre_mm + inv[1, 3])
            else:
                j = float(plane)
            x, y, z = self._world(j)
            cov = part.coverage(x, y, z, 1e-3) >= 0.5  # (nx, 1, nz)
            self._cache[key] = to_picture(cov[:, 0, :])
        return self._cache[key]

    def owner(self, plane: int) -> np.ndarray:
        """Index of the part each pixel shows (-1: outside every drawn part)."""
        key = ("owner", plane)
        if key not in self._cache:
            out = np.full(self.shape, -1, dtype=np.int32)
            for i in self.drawn:
                out[self.mask(i, plane)] = i
            self._cache[key] = out
        return self._cache[key]

    def cut_through_middle(self, index: int, planes: Sequence[int]) -> bool:
        """Whether a key plane passes through the middle 70 % of the part's front-back extent."""
        part = self.atlas.parts[index]
        a = self.atlas.pet_affine
        for j in planes:
            y = a[1, 1] * j + a[1, 3]
            if abs(y - part.centre_mm[1]) <= 0.7 * part.radii_mm[1]:
                return True
        return False
