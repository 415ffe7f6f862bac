"""Voxel grids and rasterisation: one case's body drawn onto its CT and PET grids, and how they are stored.

World coordinates are nibabel RAS+ (z = superior). Each case scales and shifts :data:`~pet2rep.synth.anatomy.ANATOMY`
(:func:`draw_case`), gets a PET and a CT grid whose fields of view and voxel centres differ (:func:`draw_grids`),
and is stored in the orientations scanners and converters use (:func:`stored`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from nibabel.orientations import apply_orientation, inv_ornt_aff
from scipy import ndimage

from pet2rep.imaging.render import CaseVolumes, RenderOptions, choose_key_slices
from pet2rep.synth.anatomy import ANATOMY, Structure

SIZES = ("small", "medium", "realistic")


@dataclass(frozen=True)
class GridSpec:
    """Voxel grids of one cohort size (shapes and spacings in RAS order: x, y, z)."""

    pet_shape: tuple[int, int, int]
    pet_spacing_mm: tuple[float, float, float]
    ct_shape: tuple[int, int, int]
    ct_spacing_mm: tuple[float, float, float]


GRIDS = {
    # Tests: tiny and fast. A 5 mm front-back PET spacing keeps the +/-10-plane key slices inside the trunk.
    "small": GridSpec((64, 100, 87), (12.0, 5.0, 12.0), (96, 96, 100), (5.2, 5.2, 10.0)),
    # Demo: readable pictures, modest files.
    "medium": GridSpec((128, 128, 174), (6.0, 6.0, 6.0), (192, 192, 160), (2.6, 2.6, 6.25)),
    # The sizes: CT 512x512x400 int16, PET 192x192x260 float32 at 4 mm.
    "realistic": GridSpec((192, 192, 260), (4.0, 4.0, 4.0), (512, 512, 400), (0.977, 0.977, 2.5)),
}


@dataclass
class Grid:
    """An axis-aligned RAS grid: voxel i has world x = origin[0] + i * spacing[0], etc."""

    shape: tuple[int, int, int]
    spacing: np.ndarray
    origin: np.ndarray

    @property
    def affine(self) -> np.ndarray:
        a = np.diag([*self.spacing, 1.0])
        a[:3, 3] = self.origin
        # NIfTI stores the affine in float32: use exactly what a reader will see.
        return a.astype(np.float32).astype(np.float64)

    def axis(self, k: int) -> np.ndarray:
        return (self.origin[k] + np.arange(self.shape[k]) * self.spacing[k]).astype(np.float32)


def rasterize(
    grid: Grid,
    items: list[tuple[Structure, float]],
    background: float,
    *,
    noise: tuple[np.random.Generator, float] | None = None,
    chunk: int = 16,
) -> np.ndarray:
    """Paint structures (in order) onto a float32 grid, slab by slab along z, with optional Gaussian noise."""
    out = np.empty(grid.shape, dtype=np.float32)
    xs, ys, zs = grid.axis(0), grid.axis(1), grid.axis(2)
    h = float(np.mean(grid.spacing))
    boxes = []
    for s, value in items:
        lo, hi = s.bbox(h)
        rng_idx = [np.searchsorted(a, lo[k], "left") for k, a in enumerate((xs, ys, zs))]
        hi_idx = [np.searchsorted(a, hi[k], "right") for k, a in enumerate((xs, ys, zs))]
        boxes.append((s, np.float32(value), rng_idx, hi_idx))
    for k0 in range(0, grid.shape[2], chunk):
        k1 = min(k0 + chunk, grid.shape[2])
        slab = np.full((grid.shape[0], grid.shape[1], k1 - k0), background, dtype=np.float32)
        for s, value, lo, hi in boxes:
            a, b = max(lo[2], k0), min(hi[2], k1)
            if a >= b or lo[0] >= hi[0] or lo[1] >= hi[1]:
                continue
            x = xs[lo[0] : hi[0], None, None]
            y = ys[None, lo[1] : hi[1], None]
            z = zs[None, None, a:b]
            cov = s.coverage(x, y, z, h)
            block = slab[lo[0] : hi[0], lo[1] : hi[1], a - k0 : b - k0]
            block += (value - block) * cov
        if noise is not None:
            rng, sd = noise
            slab += rng.standard_normal(slab.shape, dtype=np.float32) * np.float32(sd)
        out[:, :, k0:k1] = slab
    return out


@dataclass
class CaseDraw:
    """Everything drawn for one case before its volumes are written."""

    case_id: str
    sex: str
    age: int
    weight_kg: float
    scale: np.ndarray
    shift: np.ndarray
    structures: list[Structure]


def body_to_world(p: np.ndarray, scale: np.ndarray, shift: np.ndarray) -> np.ndarray:
    return np.array([p[0] * scale[0], p[1] * scale[1], -p[2] * scale[2]]) + shift


def world_to_body(w: np.ndarray, scale: np.ndarray, shift: np.ndarray) -> np.ndarray:
    q = np.asarray(w, dtype=np.float64) - shift
    return np.array([q[0] / scale[0], q[1] / scale[1], -q[2] / scale[2]])


def draw_case(case_id: str, rng: np.random.Generator) -> CaseDraw:
    sex = "F" if rng.random() < 0.5 else "M"
    size = 0.95 if sex == "F" else 1.0
    scale = np.array([rng.uniform(0.92, 1.08), rng.uniform(0.9, 1.1), rng.uniform(0.94, 1.04)]) * size
    shift = np.array([rng.uniform(-12, 12), rng.uniform(-10, 10), rng.uniform(-15, 15)])
    structures = []
    for part in ANATOMY:
        if part.sex is not None and part.sex != sex:
            continue
        centre = body_to_world(np.asarray(part.centre, dtype=np.float64), scale, shift)
        radii = np.asarray(part.radii, dtype=np.float64) * scale
        suv = None if part.suv is None else float(rng.uniform(*part.suv))
        structures.append(
            Structure(
                part.name, part.organ, part.shape, centre, radii, part.hu, suv, part.thickness * scale[0], part.bands
            )
        )
    weight = float(np.round(rng.uniform(52, 95) * size, 1))
    return CaseDraw(case_id, sex, int(rng.integers(28, 82)), weight, scale, shift, structures)


def draw_grids(spec: GridSpec, rng: np.random.Generator) -> tuple[Grid, Grid]:
    pet_sp = np.asarray(spec.pet_spacing_mm)
    ct_sp = np.asarray(spec.ct_spacing_mm)
    pet_n = np.asarray(spec.pet_shape)
    ct_n = np.asarray(spec.ct_shape)
    # PET: centred in x/y, top plane 20 mm above the vertex. CT: its own centre offsets, starting at the vertex
    # and a different length: the two fields of view and voxel centres differ.
    pet_origin = np.array(
        [-(pet_n[0] - 1) * pet_sp[0] / 2, -(pet_n[1] - 1) * pet_sp[1] / 2, 20.0 - (pet_n[2] - 1) * pet_sp[2]]
    )
    ct_origin = np.array(
        [
            -(ct_n[0] - 1) * ct_sp[0] / 2 + rng.uniform(-3, 3),
            -(ct_n[1] - 1) * ct_sp[1] / 2 + rng.uniform(-3, 3),
            rng.uniform(-8, 4) - (ct_n[2] - 1) * ct_sp[2],
        ]
    )
    return Grid(tuple(int(n) for n in pet_n), pet_sp, pet_origin), Grid(tuple(int(n) for n in ct_n), ct_sp, ct_origin)


# Storage orientations (nibabel ornt arrays from RAS): the CT as DICOM converters often store it (x and y
# flipped), the PET in three variants so the cohort exercises the reorientation.
CT_ORNT = np.array([[0, -1], [1, -1], [2, 1]])
PET_ORNTS = (
    np.array([[0, 1], [1, 1], [2, 1]]),
    np.array([[0, -1], [1, 1], [2, -1]]),
    np.array([[1, 1], [0, -1], [2, 1]]),
)


def stored(
    data_ras: np.ndarray, affine_ras: np.ndarray, ornt: np.ndarray, *, copy: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Data and affine as stored on disk for a storage orientation (same world position per voxel), as
    nibabel's ``as_reoriented`` does it."""
    stored = apply_orientation(data_ras, ornt)
    if copy:
        stored = np.ascontiguousarray(stored)
    affine = affine_ras @ inv_ornt_aff(ornt, data_ras.shape)
    return stored, affine.astype(np.float32).astype(np.float64)


def key_slices(ct_ras, ct_grid: Grid, pet_grid: Grid) -> list[int]:
    """The key slices the renderer will choose (same stored layout and float32 affines as on disk)."""
    ct_st, ct_aff = stored(ct_ras, ct_grid.affine, CT_ORNT, copy=False)
    dummy = np.broadcast_to(np.float32(0), pet_grid.shape)
    vols = CaseVolumes.from_arrays(ct_st, ct_aff, dummy, pet_grid.affine)
    indices, _ = choose_key_slices(vols, RenderOptions())
    return indices


def plane_y(pet_grid: Grid, j: int) -> float:
    return float(pet_grid.affine[1, 1] * j + pet_grid.affine[1, 3])


def pet_volume(draw: CaseDraw, lesions: Sequence[Structure], grid: Grid, rng: np.random.Generator) -> np.ndarray:
    """The case's SUV volume on ``grid``: its parts, then its lesions (as structures), noise and blur."""
    items = [(s, s.suv) for s in draw.structures if s.suv is not None]
    items += [(s, s.suv) for s in lesions]
    suv = rasterize(grid, items, 0.0)
    # Count noise (multiplicative) then the scanner's resolution (~6.5 mm FWHM): correlated noise.
    suv *= 1.0 + np.float32(0.12) * rng.standard_normal(suv.shape, dtype=np.float32)
    sigma = [max(6.5 / 2.355 / float(sp), 0.0) for sp in grid.spacing]
    suv = ndimage.gaussian_filter(suv, sigma=sigma, mode="constant", truncate=3.0)
    np.maximum(suv, 0.0, out=suv)
    return suv.astype(np.float32, copy=False)


def ct_volume(draw: CaseDraw, grid: Grid, rng: np.random.Generator) -> np.ndarray:
    items = [(s, s.hu) for s in draw.structures if s.hu is not None]
    hu = rasterize(grid, items, -1000.0, noise=(rng, 12.0))
    out = np.empty(grid.shape, dtype=np.int16)
    np.rint(hu, out=hu)
    np.clip(hu, -1024, 3071, out=hu)
    out[...] = hu
    return out


def paint_lesions_ct(ct: np.ndarray, grid: Grid, lesions: Sequence[Structure], rng: np.random.Generator) -> list:
    """Draw lesions (as structures) into the int16 CT in place; returns the overwritten blocks (to undo)."""
    saved = []
    xs, ys, zs = grid.axis(0), grid.axis(1), grid.axis(2)
    h = float(np.mean(grid.spacing))
    for s in lesions:
        lo, hi = s.bbox(h)
        sl = tuple(
            slice(int(np.searchsorted(a, lo[k], "left")), int(np.searchsorted(a, hi[k], "right")))
            for k, a in enumerate((xs, ys, zs))
        )
        block = ct[sl]
        saved.append((sl, block.copy()))
        cov = s.coverage(xs[sl[0], None, None], ys[None, sl[1], None], zs[None, None, sl[2]], h)
        target = np.float32(s.hu) + rng.standard_normal(block.shape, dtype=np.float32) * np.float32(12.0)
        new = block.astype(np.float32) + (target - block) * cov
        ct[sl] = np.clip(np.rint(new), -1024, 3071).astype(np.int16)
    return saved
