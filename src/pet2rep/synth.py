"""A synthetic whole-body FDG PET/CT cohort: phantom volumes, structured reports and uptake labels.

Each case is a generic-layout folder (``ct.nii.gz``, ``pet.nii.gz`` + ``meta.json`` or ``suv.nii.gz``,
``report.txt``, ``report_en.txt``, ``labels.json``, ``truth.json``). The anatomy is one inspectable table,
:data:`ANATOMY` (part name -> CE organ, shape, centre and radii in body coordinates, HU, SUV range); every case
scales and jitters it, adds lesions with increased, decreased or absent uptake, and writes reports from that
ground truth so that the clinical-efficacy extractor recovers exactly ``labels.json``.

Body coordinates (mm): ``x`` toward the patient's right, ``y`` anterior, ``d`` depth below the vertex.
World coordinates are nibabel RAS+ (z = superior). Everything is drawn from ``numpy.random.default_rng``
seeded by (seed, case index): a case does not depend on how many others are made, and files are
byte-identical across runs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from nibabel.orientations import apply_orientation, inv_ornt_aff
from scipy import ndimage

from pet2rep.errors import InputError
from pet2rep.imaging.geometry import apply_affine
from pet2rep.imaging.io import save_volume, write_json
from pet2rep.imaging.render import CaseVolumes, RenderOptions, choose_key_slices
from pet2rep.imaging.suv import F18_HALF_LIFE_S, suv_parameters

ORGANS = (
    "brain",
    "eye",
    "sinus",
    "pharynx",
    "salivary_gland",
    "thyroid",
    "cervical_lymph_node",
    "lung",
    "mediastinal_lymph_node",
    "breast",
    "esophagus",
    "liver",
    "gallbladder",
    "pancreas",
    "spleen",
    "kidney",
    "adrenal",
    "stomach",
    "intestine",
    "abdominal_lymph_node",
    "prostate",
    "uterus_adnexa",
    "bladder",
    "bone",
)
"""The 24 organ keys of the clinical-efficacy metric, head to toe (equal to ``pet2rep.text.ce.ORGANS``)."""

STATES = ("increased", "decreased", "absent")
"""The abnormal uptake states (equal to ``pet2rep.text.ce.STATES``)."""

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


@dataclass(frozen=True)
class Part:
    """One structure of the phantom.

    Attributes:
        name: unique part name (``kidney_right``).
        organ: CE organ key it belongs to, or None (body, heart, airway ...).
        shape: ``ellipsoid``, ``cylinder`` (axis head-feet), ``shell`` (ellipsoidal wall) or ``tube``
            (cylindrical wall).
        centre: (x, y, d) in body coordinates, mm.
        radii: semi-axes (x, y, d) in mm (for cylinders: cross-section radii and half-length).
        hu: CT value, or None for a region that is not drawn (lymph-node stations).
        suv: (low, high) range of its physiological SUV, drawn per case; None when not drawn.
        thickness: wall thickness of shells and tubes, mm.
        bands: (period, width) in mm: the wall exists only in bands along the body axis (ribs).
        sex: ``"M"`` / ``"F"`` for sex-specific organs.
    """

    name: str
    organ: str | None
    shape: str
    centre: tuple[float, float, float]
    radii: tuple[float, float, float]
    hu: float | None
    suv: tuple[float, float] | None
    thickness: float = 0.0
    bands: tuple[float, float] | None = None
    sex: str | None = None


def _pair(name, organ, shape, centre, radii, hu, suv, **kw) -> tuple[Part, Part]:
    """A right / left pair mirrored across x = 0 (right first)."""
    x, y, d = centre
    return (
        Part(f"{name}_right", organ, shape, (abs(x), y, d), radii, hu, suv, **kw),
        Part(f"{name}_left", organ, shape, (-abs(x), y, d), radii, hu, suv, **kw),
    )


FAT_HU, SOFT_HU = -95.0, 40.0
FAT_SUV, SOFT_SUV = (0.25, 0.4), (0.55, 0.85)

# Painted in this order: later parts overwrite earlier ones.
ANATOMY: tuple[Part, ...] = (
    # body outline: fat, then muscle / soft tissue inside
    Part("head", None, "ellipsoid", (0, 5, 110), (78, 98, 112), FAT_HU, FAT_SUV),
    Part("head_soft", None, "ellipsoid", (0, 5, 110), (73, 93, 107), SOFT_HU, SOFT_SUV),
    Part("neck", None, "cylinder", (0, 0, 255), (58, 56, 50), FAT_HU, FAT_SUV),
    Part("neck_soft", None, "cylinder", (0, 0, 255), (52, 50, 50), SOFT_HU, SOFT_SUV),
    Part("trunk", None, "cylinder", (0, 0, 600), (160, 110, 320), FAT_HU, FAT_SUV),
    Part("trunk_soft", None, "cylinder", (0, 0, 600), (146, 96, 316), SOFT_HU, SOFT_SUV),
    *_pair("arm", None, "cylinder", (200, 0, 540), (36, 40, 240), FAT_HU, FAT_SUV),
    *_pair("arm_soft", None, "cylinder", (200, 0, 540), (30, 34, 238), SOFT_HU, SOFT_SUV),
    *_pair("leg", None, "cylinder", (92, 0, 1110), (72, 78, 200), FAT_HU, FAT_SUV),
    *_pair("leg_soft", None, "cylinder", (92, 0, 1110), (62, 68, 200), SOFT_HU, SOFT_SUV),
    *_pair("breast", "breast", "ellipsoid", (85, 108, 460), (55, 35, 55), -40.0, (0.7, 1.1), sex="F"),
    # head and neck
    Part("skull", "bone", "shell", (0, 5, 105), (72, 92, 100), 900.0, (0.6, 0.9), thickness=7.0),
    Part("brain", "brain", "ellipsoid", (0, 5, 100), (64, 84, 86), 35.0, (7.0, 11.0)),
    *_pair("eye", "eye", "ellipsoid", (32, 80, 140), (12, 12, 12), 15.0, (1.0, 1.4)),
    *_pair("sinus", "sinus", "ellipsoid", (24, 58, 165), (13, 15, 16), -950.0, (0.1, 0.2)),
    Part("pharynx", "pharynx", "cylinder", (0, 25, 195), (14, 12, 30), 45.0, (2.0, 3.2)),
    Part("pharynx_lumen", None, "cylinder", (0, 25, 195), (6, 5, 30), -900.0, (0.1, 0.2)),
    *_pair("parotid", "salivary_gland", "ellipsoid", (48, 5, 175), (15, 20, 22), 20.0, (1.6, 2.4)),
    Part("cervical_spine", "bone", "cylinder", (0, -28, 255), (11, 11, 55), 350.0, (1.2, 1.6)),
    *_pair("thyroid", "thyroid", "ellipsoid", (16, 24, 262), (9, 8, 18), 85.0, (1.2, 1.8)),
    Part("trachea", None, "cylinder", (0, 14, 320), (9, 9, 90), -950.0, (0.05, 0.1)),
    # chest
    *_pair("humerus", "bone", "cylinder", (200, 0, 540), (11, 11, 225), 700.0, (0.8, 1.1)),
    Part("ribs", "bone", "tube", (0, 0, 450), (150, 100, 140), 600.0, (0.8, 1.2), thickness=7.0, bands=(24.0, 10.0)),
    Part("lung_right", "lung", "ellipsoid", (82, -5, 430), (62, 78, 125), -850.0, (0.4, 0.6)),
    Part("lung_left", "lung", "ellipsoid", (-82, -5, 435), (58, 76, 120), -850.0, (0.4, 0.6)),
    Part("heart", None, "ellipsoid", (-25, 32, 480), (55, 48, 55), 40.0, (2.5, 9.0)),
    Part("esophagus", "esophagus", "cylinder", (4, -42, 450), (8, 8, 140), 35.0, (1.2, 1.8)),
    # abdomen
    Part("liver", "liver", "ellipsoid", (62, 12, 585), (100, 85, 75), 60.0, (1.9, 2.6)),
    Part("gallbladder", "gallbladder", "ellipsoid", (58, 62, 630), (16, 16, 30), 10.0, (0.8, 1.2)),
    Part("stomach", "stomach", "ellipsoid", (-55, 35, 585), (48, 38, 52), 30.0, (1.6, 2.6)),
    Part("stomach_gas", None, "ellipsoid", (-55, 50, 552), (26, 16, 14), -950.0, (0.2, 0.3)),
    Part("spleen", "spleen", "ellipsoid", (-100, -30, 580), (42, 35, 58), 50.0, (1.6, 2.3)),
    Part("pancreas", "pancreas", "ellipsoid", (-12, 5, 630), (62, 14, 14), 40.0, (1.2, 1.8)),
    *_pair("adrenal", "adrenal", "ellipsoid", (55, -38, 605), (11, 8, 16), 20.0, (1.1, 1.5)),
    Part("kidney_right", "kidney", "ellipsoid", (75, -45, 670), (30, 28, 55), 35.0, (3.0, 6.0)),
    Part("kidney_left", "kidney", "ellipsoid", (-75, -45, 660), (30, 28, 55), 35.0, (3.0, 6.0)),
    Part("spine", "bone", "cylinder", (0, -75, 585), (18, 16, 290), 320.0, (1.3, 2.0)),
    Part("intestine", "intestine", "ellipsoid", (0, 32, 765), (120, 62, 88), 25.0, (1.4, 2.2)),
    # pelvis
    *_pair("pelvis", "bone", "shell", (92, -25, 850), (48, 55, 60), 550.0, (1.0, 1.5), thickness=8.0),
    Part("sacrum", "bone", "ellipsoid", (0, -78, 860), (38, 18, 45), 350.0, (1.2, 1.8)),
    Part("uterus", "uterus_adnexa", "ellipsoid", (0, 5, 870), (32, 25, 42), 45.0, (1.6, 2.6), sex="F"),
    *_pair("ovary", "uterus_adnexa", "ellipsoid", (55, 5, 880), (14, 11, 14), 35.0, (1.5, 2.5), sex="F"),
    Part("bladder", "bladder", "ellipsoid", (0, 45, 915), (45, 38, 38), 8.0, (15.0, 40.0)),
    Part("prostate", "prostate", "ellipsoid", (0, 25, 975), (20, 17, 17), 45.0, (1.4, 2.2), sex="M"),
    *_pair("femoral_head", "bone", "ellipsoid", (88, -10, 930), (24, 24, 24), 500.0, (1.0, 1.4)),
    *_pair("femur", "bone", "cylinder", (92, -5, 1110), (14, 14, 180), 700.0, (0.8, 1.1)),
    # lymph-node stations: regions where nodal lesions are placed, not drawn
    *_pair("cervical_nodes", "cervical_lymph_node", "ellipsoid", (36, 5, 240), (14, 20, 35), None, None),
    Part("mediastinal_nodes", "mediastinal_lymph_node", "ellipsoid", (5, 10, 420), (25, 25, 55), None, None),
    Part("paraaortic_nodes", "abdominal_lymph_node", "cylinder", (0, -30, 700), (35, 18, 60), None, None),
    Part("mesenteric_nodes", "abdominal_lymph_node", "ellipsoid", (0, 30, 700), (40, 25, 30), None, None),
    *_pair("iliac_nodes", "abdominal_lymph_node", "ellipsoid", (55, -10, 830), (15, 15, 30), None, None),
)

# Lesion catalogue: organ -> states it can take and a relative frequency per state.
_LESION_WEIGHTS: dict[str, dict[str, float]] = {
    "increased": {
        "lung": 3,
        "liver": 3,
        "cervical_lymph_node": 3,
        "mediastinal_lymph_node": 3,
        "abdominal_lymph_node": 3,
        "bone": 3,
        "breast": 2,
        "thyroid": 1,
        "esophagus": 1,
        "stomach": 1,
        "intestine": 1,
        "pancreas": 1,
        "spleen": 1,
        "adrenal": 1,
        "pharynx": 1,
        "salivary_gland": 1,
        "prostate": 1,
        "uterus_adnexa": 1,
        "gallbladder": 0.5,
    },
    "decreased": {"liver": 3, "kidney": 2, "spleen": 1, "brain": 1},
    "absent": {"kidney": 2, "liver": 2, "brain": 1, "spleen": 0.5},
}
_STATE_P = {"increased": 0.6, "decreased": 0.2, "absent": 0.2}
_MIP_VISIBLE_BELOW = 3.5
# Parts that host lesions (lymph-node organs use their stations; bone avoids thin walls).
_LESION_PARTS = {
    "bone": ("spine", "pelvis_right", "pelvis_left", "sacrum", "femoral_head_right", "femoral_head_left"),
    "uterus_adnexa": ("uterus", "ovary_right", "ovary_left"),
}


# ----------------------------------------------------------------------------------------------- phantom
@dataclass
class Structure:
    """A part placed in world space for one case (what ``truth.json`` lists under ``anatomy``)."""

    name: str
    organ: str | None
    shape: str
    centre_mm: np.ndarray
    radii_mm: np.ndarray
    hu: float | None
    suv: float | None
    thickness_mm: float = 0.0
    bands: tuple[float, float] | None = None

    def to_json(self) -> dict:
        return {
            "name": self.name,
            "organ": self.organ,
            "shape": self.shape,
            "centre_mm": [round(float(v), 3) for v in self.centre_mm],
            "radii_mm": [round(float(v), 3) for v in self.radii_mm],
            "hu": self.hu,
            "suv": None if self.suv is None else round(float(self.suv), 4),
            "thickness_mm": round(float(self.thickness_mm), 3),
            "bands": list(self.bands) if self.bands else None,
        }

    @classmethod
    def from_json(cls, d: dict) -> Structure:
        return cls(
            d["name"],
            d["organ"],
            d["shape"],
            np.asarray(d["centre_mm"], dtype=np.float64),
            np.asarray(d["radii_mm"], dtype=np.float64),
            d["hu"],
            d["suv"],
            d.get("thickness_mm", 0.0),
            tuple(d["bands"]) if d.get("bands") else None,
        )

    def extent(self) -> float:
        return float(np.max(self.radii_mm))

    def bbox(self, margin: float) -> tuple[np.ndarray, np.ndarray]:
        return self.centre_mm - self.radii_mm - margin, self.centre_mm + self.radii_mm + margin

    def coverage(self, x: np.ndarray, y: np.ndarray, z: np.ndarray, h: float) -> np.ndarray:
        """Fraction of a voxel of size ``h`` inside the structure (a linear ramp across the boundary)."""
        c, r = self.centre_mm.astype(np.float32), self.radii_mm.astype(np.float32)
        dx, dy, dz = x - c[0], y - c[1], z - c[2]
        if self.shape == "ellipsoid":
            return _ellipsoid_cov(dx, dy, dz, r, h)
        if self.shape == "cylinder":
            return _cylinder_cov(dx, dy, dz, r, h)
        t = np.float32(self.thickness_mm)
        if self.shape == "shell":
            cov = _ellipsoid_cov(dx, dy, dz, r, h) - _ellipsoid_cov(dx, dy, dz, np.maximum(r - t, 1.0), h)
        elif self.shape == "tube":
            inner = np.array([max(r[0] - t, 1.0), max(r[1] - t, 1.0), r[2]], dtype=np.float32)
            cov = _cylinder_cov(dx, dy, dz, r, h) - _cylinder_cov(dx, dy, dz, inner, h)
        else:
            raise ValueError(f"unknown shape {self.shape!r}")
        cov = np.clip(cov, 0.0, 1.0)
        if self.bands:
            period, width = self.bands
            cov = cov * (np.mod(dz, np.float32(period)) < np.float32(width))
        return cov


def _ellipsoid_cov(dx, dy, dz, r, h):
    q = np.sqrt((dx / r[0]) ** 2 + (dy / r[1]) ** 2 + (dz / r[2]) ** 2)
    rho = np.sqrt(dx * dx + dy * dy + dz * dz)
    dist = rho * (1.0 - 1.0 / np.maximum(q, np.float32(1e-6)))  # radial distance to the surface
    return np.clip(np.float32(0.5) - dist / np.float32(h), 0.0, 1.0)


def _cylinder_cov(dx, dy, dz, r, h):
    q = np.sqrt((dx / r[0]) ** 2 + (dy / r[1]) ** 2)
    rho = np.sqrt(dx * dx + dy * dy)
    dist = rho * (1.0 - 1.0 / np.maximum(q, np.float32(1e-6)))
    cov_xy = np.clip(np.float32(0.5) - dist / np.float32(h), 0.0, 1.0)
    cov_z = np.clip(np.float32(0.5) - (np.abs(dz) - r[2]) / np.float32(h), 0.0, 1.0)
    return cov_xy * cov_z


@dataclass
class _Grid:
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


def _rasterize(
    grid: _Grid,
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


# ----------------------------------------------------------------------------------------------- lesions
@dataclass
class Lesion:
    """A lesion of one case (what ``truth.json`` lists under ``lesions``)."""

    organ: str
    state: str
    part: str
    centre_mm: np.ndarray
    centre_body: np.ndarray
    radius_mm: float
    suv: float
    hu: float
    key_slice: int | None = None
    location: int | None = None  # 1-based key-slice location, None when only the MIP shows it
    on_mip: bool = False

    def structure(self) -> Structure:
        r = np.full(3, self.radius_mm)
        return Structure(f"lesion_{self.organ}", self.organ, "ellipsoid", self.centre_mm, r, self.hu, self.suv)


def _weighted_choice(rng: np.random.Generator, weights: dict[str, float]) -> str:
    keys = sorted(weights)
    p = np.array([weights[k] for k in keys], dtype=np.float64)
    return keys[int(rng.choice(len(keys), p=p / p.sum()))]


# ----------------------------------------------------------------------------------------------- one case
@dataclass
class _CaseDraw:
    """Everything drawn for one case before its volumes are written."""

    case_id: str
    sex: str
    age: int
    weight_kg: float
    scale: np.ndarray
    shift: np.ndarray
    structures: list[Structure]


def _body_to_world(p: np.ndarray, scale: np.ndarray, shift: np.ndarray) -> np.ndarray:
    return np.array([p[0] * scale[0], p[1] * scale[1], -p[2] * scale[2]]) + shift


def _world_to_body(w: np.ndarray, scale: np.ndarray, shift: np.ndarray) -> np.ndarray:
    q = np.asarray(w, dtype=np.float64) - shift
    return np.array([q[0] / scale[0], q[1] / scale[1], -q[2] / scale[2]])


def _draw_case(case_id: str, rng: np.random.Generator) -> _CaseDraw:
    sex = "F" if rng.random() < 0.5 else "M"
    size = 0.95 if sex == "F" else 1.0
    scale = np.array([rng.uniform(0.92, 1.08), rng.uniform(0.9, 1.1), rng.uniform(0.94, 1.04)]) * size
    shift = np.array([rng.uniform(-12, 12), rng.uniform(-10, 10), rng.uniform(-15, 15)])
    structures = []
    for part in ANATOMY:
        if part.sex is not None and part.sex != sex:
            continue
        centre = _body_to_world(np.asarray(part.centre, dtype=np.float64), scale, shift)
        radii = np.asarray(part.radii, dtype=np.float64) * scale
        suv = None if part.suv is None else float(rng.uniform(*part.suv))
        structures.append(
            Structure(
                part.name, part.organ, part.shape, centre, radii, part.hu, suv, part.thickness * scale[0], part.bands
            )
        )
    weight = float(np.round(rng.uniform(52, 95) * size, 1))
    return _CaseDraw(case_id, sex, int(rng.integers(28, 82)), weight, scale, shift, structures)


def _grids(spec: GridSpec, rng: np.random.Generator) -> tuple[_Grid, _Grid]:
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
    return _Grid(tuple(int(n) for n in pet_n), pet_sp, pet_origin), _Grid(
        tuple(int(n) for n in ct_n), ct_sp, ct_origin
    )


# Storage orientations (nibabel ornt arrays from RAS): the CT as DICOM converters often store it (x and y
# flipped), the PET in three variants so the cohort exercises the reorientation.
_CT_ORNT = np.array([[0, -1], [1, -1], [2, 1]])
_PET_ORNTS = (
    np.array([[0, 1], [1, 1], [2, 1]]),
    np.array([[0, -1], [1, 1], [2, -1]]),
    np.array([[1, 1], [0, -1], [2, 1]]),
)


def _stored(
    data_ras: np.ndarray, affine_ras: np.ndarray, ornt: np.ndarray, *, copy: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Data and affine as stored on disk for a storage orientation (same world position per voxel), as
    nibabel's ``as_reoriented`` does it."""
    stored = apply_orientation(data_ras, ornt)
    if copy:
        stored = np.ascontiguousarray(stored)
    affine = affine_ras @ inv_ornt_aff(ornt, data_ras.shape)
    return stored, affine.astype(np.float32).astype(np.float64)


def _key_slices(ct_ras, ct_grid: _Grid, pet_grid: _Grid) -> list[int]:
    """The key slices the renderer will choose (same stored layout and float32 affines as on disk)."""
    ct_st, ct_aff = _stored(ct_ras, ct_grid.affine, _CT_ORNT, copy=False)
    dummy = np.broadcast_to(np.float32(0), pet_grid.shape)
    vols = CaseVolumes.from_arrays(ct_st, ct_aff, dummy, pet_grid.affine)
    indices, _ = choose_key_slices(vols, RenderOptions())
    return indices


def _plane_y(pet_grid: _Grid, j: int) -> float:
    return float(pet_grid.affine[1, 1] * j + pet_grid.affine[1, 3])


def _place_lesions(
    draw: _CaseDraw, rng: np.random.Generator, pet_grid: _Grid, key_slices: list[int], specs: list[tuple[str, str]]
) -> list[Lesion]:
    """Place lesions of the given (organ, state) specs: centred on a key plane where the organ reaches one,
    else (increased only) where the MIP shows them."""
    by_name = {s.name: s for s in draw.structures}
    lesions: list[Lesion] = []
    min_r = 1.3 * max(pet_grid.spacing[0], pet_grid.spacing[2])
    for organ, state in specs:
        names = _LESION_PARTS.get(organ) or [s.name for s in draw.structures if s.organ == organ]
        names = [n for n in names if n in by_name]
        for _ in range(20):
            part = by_name[names[int(rng.integers(len(names)))]]
            radius = float(max(rng.uniform(10.0, 20.0), min_r))
            c, r = part.centre_mm, part.radii_mm
            x = c[0] + rng.uniform(-0.4, 0.4) * r[0]
            z = c[2] + rng.uniform(-0.4, 0.4) * r[2]
            ylo, yhi = c[1] - 0.7 * r[1], c[1] + 0.7 * r[1]
            planes = [(abs(_plane_y(pet_grid, j) - c[1]), n, j) for n, j in enumerate(key_slices)]
            planes = [p for p in planes if ylo <= _plane_y(pet_grid, p[2]) <= yhi]
            key = min(planes)[1:] if planes else None
            if key is None and state != "increased":
                continue
            y = _plane_y(pet_grid, key[1]) if key else c[1]
            centre = np.array([x, y, z])
            if any(np.linalg.norm(centre - o.centre_mm) < radius + o.radius_mm + 8.0 for o in lesions):
                continue
            bg = part.suv if part.suv is not None else 0.7
            # Hot lesions saturate the SUV 0-5 window: the MIP shows them only where nothing along the
            # front-back ray is near saturation itself (brain, heart, kidneys, bladder).
            on_mip = state == "increased" and _max_suv_along_ap(draw.structures, x, z) < _MIP_VISIBLE_BELOW
            if state == "increased" and key is None and not on_mip:
                continue
            if state == "increased":
                suv = float(max(rng.uniform(6.0, 14.0), 2.5 * bg))
            elif state == "decreased":
                suv = float(bg * rng.uniform(0.3, 0.45))
            else:
                suv = 0.05
            hu = _lesion_hu(organ, state, part, rng)
            lesions.append(
                Lesion(
                    organ=organ,
                    state=state,
                    part=part.name,
                    centre_mm=centre,
                    centre_body=_world_to_body(centre, draw.scale, draw.shift),
                    radius_mm=radius,
                    suv=round(suv, 3),
                    hu=hu,
                    key_slice=key[1] if key else None,
                    location=key[0] + 1 if key else None,
                    on_mip=on_mip,
                )
            )
            break
    return lesions


def _max_suv_along_ap(structures: list[Structure], x: float, z: float) -> float:
    best = 0.0
    for s in structures:
        if s.suv is None or s.shape not in ("ellipsoid", "cylinder"):
            continue
        c, r = s.centre_mm, s.radii_mm
        inside = (
            ((x - c[0]) / r[0]) ** 2 + ((z - c[2]) / r[2]) ** 2 <= 1.0
            if s.shape == "ellipsoid"
            else (abs(x - c[0]) <= r[0] and abs(z - c[2]) <= r[2])
        )
        if inside:
            best = max(best, s.suv)
    return best


def _lesion_hu(organ: str, state: str, part: Structure, rng: np.random.Generator) -> float:
    if state != "increased":
        return 15.0 if organ == "brain" else 8.0  # cyst / softening: water-like
    if organ == "bone":
        return 900.0 if rng.random() < 0.3 else 120.0  # sclerotic or lytic
    if organ == "lung":
        return 35.0
    if organ == "liver":
        return 42.0
    return float((part.hu if part.hu is not None else SOFT_HU) - 8.0)


def _draw_specs(draw: _CaseDraw, rng: np.random.Generator) -> list[tuple[str, str]]:
    n = int(rng.choice(5, p=[0.1, 0.3, 0.3, 0.2, 0.1]))
    present = {s.organ for s in draw.structures}
    specs = []
    for _ in range(n):
        state = _weighted_choice(rng, _STATE_P)
        weights = {k: v for k, v in _LESION_WEIGHTS[state].items() if k in present}
        specs.append((_weighted_choice(rng, weights), state))
    return specs


# ----------------------------------------------------------------------------------------------- reports
_ZH_NORMAL: dict[str, tuple[str, ...]] = {
    "brain": (
        "脑形态、结构正常，脑实质内未见异常密度影，双侧大脑皮质放射性分布均匀、对称，FDG摄取未见明显异常。",
        "脑实质密度未见异常，双侧大脑皮质FDG摄取均匀、对称，未见异常。",
    ),
    "eye": ("双侧眼球形态和轮廓无异常，FDG摄取未见异常。", "双侧眼球对称，FDG摄取未见明显异常。"),
    "sinus": ("双侧上颌窦及筛窦黏膜未见增厚，FDG摄取未见异常。", "鼻窦窦壁完好，黏膜未见增厚，FDG摄取未见明显异常。"),
    "pharynx": (
        "鼻咽壁未见增厚，两侧咽隐窝对称，FDG呈生理性摄取。",
        "鼻咽及口咽壁未见增厚，FDG摄取未见异常。",
        "喉咽形态、结构未见异常，FDG摄取未见明显异常。",
    ),
    "salivary_gland": (
        "双侧腮腺、颌下腺形态、密度正常，FDG呈生理性摄取。",
        "双侧腮腺及颌下腺未见异常密度影，FDG摄取未见异常。",
    ),
    "thyroid": (
        "甲状腺形态、大小正常，密度均匀，FDG摄取未见异常。",
        "甲状腺两叶对称，密度均匀，FDG摄取未见明显异常。",
    ),
    "cervical_lymph_node": (
        "双侧颈部未见肿大淋巴结，FDG摄取未见异常。",
        "双侧颈深间隙及锁骨上区未见肿大淋巴结，FDG代谢未见异常。",
    ),
    "lung": (
        "两肺纹理清晰，未见明显实质性病变，FDG摄取未见异常。",
        "两肺透亮度正常，未见明显结节及肿块影，FDG代谢未见异常。",
    ),
    "mediastinal_lymph_node": (
        "纵隔及两侧肺门未见肿大淋巴结，FDG摄取未见异常。",
        "纵隔内未见肿大淋巴结，FDG代谢未见异常。",
    ),
    "breast": ("双侧乳腺腺体密度未见异常，未见明显肿块，FDG摄取未见异常。", "双侧乳腺对称，FDG摄取未见明显异常。"),
    "esophagus": ("食管未见扩张，管壁未见明显增厚或肿块，FDG摄取未见增高。", "食管管壁未见增厚，FDG摄取未见异常。"),
    "liver": (
        "肝脏形态、大小未见明显异常，肝缘光整，肝实质密度均匀，FDG摄取未见异常。",
        "肝脏大小、形态正常，肝裂未见增宽，FDG摄取未见明显异常。",
    ),
    "gallbladder": (
        "胆囊形态大小未见异常，胆囊壁未见增厚，FDG摄取未见异常。",
        "胆囊不大，胆囊壁未见增厚，FDG摄取未见明显异常。",
    ),
    "pancreas": ("胰腺形态正常，主胰管未见增宽，FDG摄取未见明显异常。", "胰腺实质密度均匀，FDG摄取未见异常。"),
    "spleen": ("脾脏形态、大小、密度未见异常，FDG摄取未见异常。", "脾脏不大，密度均匀，FDG摄取未见明显异常。"),
    "kidney": (
        "双肾形态、大小正常，实质未见明显异常密度影，肾盂肾盏及输尿管未见增宽，FDG摄取未见明显异常。",
        "双肾大小、形态未见异常，FDG呈生理性排泄。",
    ),
    "adrenal": ("双侧肾上腺未见明显增粗，FDG摄取未见异常。", "双侧肾上腺显影未见明显异常，FDG摄取未见异常。"),
    "stomach": ("胃充盈尚可，胃壁未见明显增厚，FDG摄取未见异常。", "胃充盈欠佳，胃壁FDG呈生理性摄取。"),
    "intestine": (
        "肠道充盈欠佳，肠壁未见明显增厚或肿块，FDG呈生理性摄取。",
        "部分肠管FDG呈生理性摄取，肠壁未见明显增厚。",
    ),
    "abdominal_lymph_node": (
        "腹腔、腹膜后及盆腔未见肿大淋巴结，FDG摄取未见异常。",
        "腹膜后及肠系膜区未见肿大淋巴结，FDG代谢未见异常。",
    ),
    "prostate": ("前列腺大小正常，密度均匀，FDG摄取未见异常增高。", "前列腺不大，FDG摄取未见异常。"),
    "uterus_adnexa": (
        "子宫及双侧附件区未见明显异常密度影，FDG摄取未见异常。",
        "子宫大小、形态正常，双侧附件区未见明显肿块，FDG摄取未见明显异常。",
    ),
    "bladder": ("膀胱充盈良好，膀胱壁未见增厚，FDG摄取未见异常。", "膀胱充盈可，腔内FDG呈生理性摄取。"),
    "bone": (
        "骨质密度未见异常，脊柱序列如常，FDG摄取未见异常。",
        "全身骨骼未见明显骨质破坏，FDG摄取未见异常。",
        "脊柱序列如常，部分椎体边缘骨质增生，FDG摄取未见异常。",
    ),
}
# Sentences without an uptake statement, placed after the organ named.
_ZH_EXTRA = {
    "brain": "各脑室、脑沟、脑裂、脑池未见增宽，中线结构无偏移。",
    "lung": "心影未见异常。两侧胸膜未见增厚，两侧胸腔未见积液。",
    "liver": "门静脉主干未见增宽，肝内外胆管未见扩张。",
}
_ZH_UP = {
    "increased": (
        "FDG摄取增高",
        "FDG摄取明显增高",
        "FDG代谢增高",
        "FDG摄取异常增高",
        "呈FDG高代谢",
        "FDG摄取轻度增高",
    ),
    "decreased": ("FDG摄取较本底减低", "FDG摄取减低", "FDG代谢减低", "FDG摄取较周围正常组织降低", "放射性分布稀疏"),
    "absent": ("FDG摄取缺失", "FDG摄取缺损", "呈放射性缺损区", "未见FDG摄取"),
}
_SEX_ORGANS = {"breast": "F", "uterus_adnexa": "F", "prostate": "M"}
_ZH_SHORT = {"increased": "伴FDG摄取增高", "decreased": "伴FDG摄取减低", "absent": "伴FDG摄取缺失"}
_EN_UP = {
    "increased": "increased FDG uptake",
    "decreased": "decreased FDG uptake",
    "absent": "no FDG uptake (photopenic)",
}
_EN_NORMAL = {
    "brain": "Brain: normal morphology and symmetric cortical activity; no abnormal FDG uptake.",
    "eye": "Eyes: unremarkable; no abnormal FDG uptake.",
    "sinus": "Paranasal sinuses: clear; no abnormal FDG uptake.",
    "pharynx": "Pharynx: no wall thickening; no abnormal FDG uptake.",
    "salivary_gland": "Salivary glands (parotid and submandibular): unremarkable; no abnormal FDG uptake.",
    "thyroid": "Thyroid: normal size and density; no abnormal FDG uptake.",
    "cervical_lymph_node": "Cervical lymph nodes: not enlarged; no abnormal FDG uptake.",
    "lung": "Lungs: no nodule or mass; no abnormal FDG uptake.",
    "mediastinal_lymph_node": "Mediastinal and hilar lymph nodes: not enlarged; no abnormal FDG uptake.",
    "breast": "Breasts: no mass; no abnormal FDG uptake.",
    "esophagus": "Esophagus: no wall thickening; no abnormal FDG uptake.",
    "liver": "Liver: normal size and homogeneous density; no abnormal FDG uptake.",
    "gallbladder": "Gallbladder: unremarkable; no abnormal FDG uptake.",
    "pancreas": "Pancreas: unremarkable; no abnormal FDG uptake.",
    "spleen": "Spleen: normal size; no abnormal FDG uptake.",
    "kidney": "Kidneys: normal size and shape; no abnormal FDG uptake.",
    "adrenal": "Adrenal glands: unremarkable; no abnormal FDG uptake.",
    "stomach": "Stomach: no wall thickening; no abnormal FDG uptake.",
    "intestine": "Intestine: no wall thickening; no abnormal FDG uptake.",
    "abdominal_lymph_node": "Abdominal and pelvic lymph nodes: not enlarged; no abnormal FDG uptake.",
    "prostate": "Prostate: normal size; no abnormal FDG uptake.",
    "uterus_adnexa": "Uterus and adnexa: unremarkable; no abnormal FDG uptake.",
    "bladder": "Bladder: well filled; no abnormal FDG uptake.",
    "bone": "Bones: no destruction; no abnormal FDG uptake.",
}


def _side(x: float) -> tuple[str, str]:
    return ("右", "right") if x >= 0 else ("左", "left")


def _vertebra(d: float) -> str:
    if d < 300:
        return f"C{int(np.clip(1 + (d - 205) / 16, 1, 7))}"
    if d < 620:
        return f"T{int(np.clip(1 + (d - 300) / 26.7, 1, 12))}"
    return f"L{int(np.clip(1 + (d - 620) / 36, 1, 5))}"


def _describe(lesion: Lesion, rng: np.random.Generator) -> tuple[str, str, str, str]:
    """(Chinese location, Chinese CT finding, English location, English CT finding) of a lesion."""
    x, _, d = lesion.centre_body
    zh, en = _side(x)
    size = round(2 * lesion.radius_mm)
    size2 = max(5, size - int(rng.integers(1, 6)))
    o, s, part = lesion.organ, lesion.state, lesion.part
    cyst = s != "increased"
    if o == "brain":
        lobe, lobe_en = ("额叶", "frontal") if d < 85 else ("颞叶", "temporal")
        ct = "见低密度软化灶" if s == "absent" else ("见片状低密度影" if cyst else "见结节状等密度影")
        return f"{zh}侧大脑{lobe}", ct, f"brain, {en} {lobe_en} lobe", "a hypodense area" if cyst else "a nodule"
    if o == "thyroid":
        return f"甲状腺{zh}叶", "见低密度结节", f"{en} thyroid lobe", "a hypodense nodule"
    if o == "cervical_lymph_node":
        where = rng.choice(["颈部", "颈深部"])
        return f"{zh}侧{where}", f"见肿大淋巴结，短径约{size}mm", f"{en} cervical lymph nodes", f"enlarged ({size} mm)"
    if o == "lung":
        lobe, lobe_en = ("上叶", "upper") if d < 430 else ("下叶", "lower")
        return (
            f"{zh}肺{lobe}",
            f"见一软组织密度结节，大小约{size}mm×{size2}mm，边缘见分叶",
            f"{en} lung {lobe_en} lobe",
            f"a {size} mm soft-tissue nodule",
        )
    if o == "mediastinal_lymph_node":
        return "纵隔内", f"见肿大淋巴结，短径约{size}mm", "mediastinal lymph nodes", f"enlarged ({size} mm)"
    if o == "breast":
        return f"{zh}侧乳腺", "见软组织肿块", f"{en} breast", "a soft-tissue mass"
    if o == "esophagus":
        seg, seg_en = ("中段", "middle") if d < 480 else ("下段", "lower")
        return f"食管{seg}", "管壁增厚", f"{seg_en} esophagus", "wall thickening"
    if o == "liver":
        lobe = "右" if x > 50 else "左"
        lobe_en = "right" if lobe == "右" else "left"
        ct = {
            "increased": "见稍低密度肿块，边界欠清",
            "decreased": "见低密度结节，边界尚清",
            "absent": "见囊状低密度灶，边界清",
        }[s]
        ct_en = {"increased": "an ill-defined hypodense mass", "decreased": "a hypodense nodule", "absent": "a cyst"}[
            s
        ]
        return f"肝{lobe}叶", ct, f"{lobe_en} lobe of the liver", ct_en
    if o == "gallbladder":
        return "胆囊", "壁增厚", "gallbladder", "wall thickening"
    if o == "pancreas":
        seg, seg_en = ("胰头", "head") if x > 0 else (("胰尾", "tail") if x < -40 else ("胰体", "body"))
        return seg, "见低密度肿块", f"pancreatic {seg_en} (pancreas)", "a hypodense mass"
    if o == "spleen":
        ct = {"increased": "见稍低密度结节", "decreased": "见片状低密度影", "absent": "见楔形低密度影"}[s]
        return "脾脏", ct, "spleen", "a hypodense lesion"
    if o == "kidney":
        ct = "见囊状低密度影" if s == "absent" else "见低密度灶"
        return f"{zh}肾", ct, f"{en} kidney", "a cystic lesion" if s == "absent" else "a hypodense lesion"
    if o == "adrenal":
        return f"{zh}侧肾上腺", "见结节", f"{en} adrenal gland", "a nodule"
    if o == "stomach":
        seg, seg_en = ("胃体部", "body") if d < 600 else ("胃窦部", "antrum")
        return seg, "胃壁增厚", f"gastric {seg_en} (stomach)", "wall thickening"
    if o == "intestine":
        return f"{zh}下腹部肠管", "局部肠壁增厚", f"{en} lower abdominal intestine", "focal wall thickening"
    if o == "abdominal_lymph_node":
        if part == "paraaortic_nodes":
            loc, loc_en = "腹膜后", "retroperitoneal lymph nodes"
        elif part == "mesenteric_nodes":
            loc, loc_en = "肠系膜区", "mesenteric lymph nodes"
        else:
            loc, loc_en = f"{zh}侧髂血管旁", f"{en} iliac lymph nodes"
        return loc, f"见肿大淋巴结，短径约{size}mm", loc_en, f"enlarged ({size} mm)"
    if o == "prostate":
        return f"前列腺{zh}侧叶", "见结节状影", f"prostate, {en} lobe", "a nodule"
    if o == "uterus_adnexa":
        if part == "uterus":
            return "子宫", "宫腔内见软组织密度影", "uterus", "an intracavitary soft-tissue mass"
        return f"{zh}侧附件区", "见软组织结节", f"{en} adnexa (ovary)", "a soft-tissue nodule"
    if o == "pharynx":
        return f"口咽{zh}侧", "壁增厚", f"{en} oropharynx (pharynx)", "wall thickening"
    if o == "salivary_gland":
        return f"{zh}侧腮腺", "见结节", f"{en} parotid gland", "a nodule"
    if o == "bone":
        ct = "见成骨性骨质改变" if lesion.hu > 500 else "见溶骨性骨质破坏"
        ct_en = "sclerotic bone lesion" if lesion.hu > 500 else "lytic bone destruction"
        if part == "spine":
            v = _vertebra(d)
            return f"{v}椎体", ct, f"{v} vertebral body", ct_en
        names = {
            "pelvis": ("髂骨", "iliac bone"),
            "sacrum": ("骶骨", "sacral bone"),
            "femoral_head": ("股骨头", "femoral head"),
        }
        key = part.rsplit("_", 1)[0] if part.endswith(("_right", "_left")) else part
        zh_name, en_name = names[key]
        if key == "sacrum":
            return zh_name, ct, en_name, ct_en
        return f"{zh}侧{zh_name}", ct, f"{en} {en_name}", ct_en
    raise ValueError(f"no description for organ {o!r}")


_DIAGNOSIS = {
    "lung": "考虑肺癌可能",
    "cervical_lymph_node": "考虑淋巴结转移可能",
    "mediastinal_lymph_node": "考虑淋巴结转移可能",
    "abdominal_lymph_node": "考虑淋巴结转移可能",
    "bone": "考虑骨转移可能",
    "thyroid": "甲状腺癌不除外",
    "breast": "考虑乳腺癌可能",
}


def _impression_noun(lesion: Lesion) -> str:
    o, s = lesion.organ, lesion.state
    if o.endswith("lymph_node"):
        return "肿大淋巴结"
    if o == "bone":
        return "成骨性骨质改变" if lesion.hu > 500 else "骨质破坏"
    if s == "absent":
        return "囊状低密度灶"
    if s == "decreased":
        return "低密度灶"
    nouns = {
        "esophagus": "管壁增厚",
        "stomach": "胃壁增厚",
        "intestine": "肠壁增厚",
        "pharynx": "壁增厚",
        "gallbladder": "壁增厚",
        "breast": "肿块",
        "liver": "肿块",
        "pancreas": "肿块",
        "uterus_adnexa": "软组织密度影",
    }
    return nouns.get(o, "结节")


def _diagnosis(lesion: Lesion) -> str:
    if lesion.state == "increased":
        return _DIAGNOSIS.get(lesion.organ, "考虑恶性病变可能")
    if lesion.state == "decreased":
        return "考虑良性病变可能"
    return "考虑陈旧性软化灶" if lesion.organ == "brain" else "考虑囊肿"


def write_reports(lesions: list[Lesion], sex: str, rng: np.random.Generator) -> tuple[str, str]:
    """Chinese structured report (findings head to toe + impression) and its English counterpart."""
    by_organ: dict[str, list[Lesion]] = {}
    for les in lesions:
        by_organ.setdefault(les.organ, []).append(les)
    described = {id(les): _describe(les, rng) for les in lesions}
    zh = ["影像所见：禁食状态下静脉注射18F-FDG，静息60分钟后行全身PET/CT断层显像，全身断层影像显示："]
    en = ["FINDINGS: Whole-body PET/CT was acquired 60 minutes after intravenous 18F-FDG in the fasting state."]
    for organ in ORGANS:
        if _SEX_ORGANS.get(organ, sex) != sex:
            continue
        if organ in by_organ:
            for les in by_organ[organ]:
                loc, ct, loc_en, ct_en = described[id(les)]
                up = str(rng.choice(_ZH_UP[les.state]))
                tail = ""
                if les.state == "increased" and rng.random() < 0.6:
                    tail = f"，SUVmax约{les.suv:.1f}"
                if les.state == "increased" and organ not in ("liver", "brain") and rng.random() < 0.2:
                    tail += "，高于肝脏本底"
                zh.append(f"{loc}{ct}，{up}{tail}。")
                suv_en = f" (SUVmax {les.suv:.1f})" if les.state == "increased" else ""
                en.append(f"{loc_en[0].upper()}{loc_en[1:]}: {ct_en}, with {_EN_UP[les.state]}{suv_en}.")
        else:
            zh.append(str(rng.choice(_ZH_NORMAL[organ])))
            en.append(_EN_NORMAL[organ])
        if organ in _ZH_EXTRA:
            zh.append(_ZH_EXTRA[organ])
        if organ == "lung":
            en.append("Heart: normal size.")
    zh_imp = ["影像诊断："]
    en_imp = ["IMPRESSION:"]
    ordered = sorted(lesions, key=lambda les: (ORGANS.index(les.organ), STATES.index(les.state)))
    for n, les in enumerate(ordered, start=1):
        loc, ct, loc_en, ct_en = described[id(les)]
        zh_imp.append(f"{n}.{loc}{_impression_noun(les)}{_ZH_SHORT[les.state]}，{_diagnosis(les)}。")
        en_imp.append(f"{n}. {loc_en[0].upper()}{loc_en[1:]}: {ct_en} with {_EN_UP[les.state]}.")
    if not ordered:
        zh_imp.append("1.全身PET/CT检查未见明显异常。")
        en_imp.append("1. No abnormal finding on whole-body PET/CT.")
    zh_text = "".join(zh) + "\n" + "".join(zh_imp) + "\n"
    en_text = " ".join(en) + "\n" + " ".join(en_imp) + "\n"
    return zh_text, en_text


def labels_of(lesions: list[Lesion]) -> dict[str, list[str]]:
    """Organ key -> sorted abnormal states, for all 24 organs (empty list = normal)."""
    labels: dict[str, list[str]] = {o: [] for o in ORGANS}
    for les in lesions:
        if les.state not in labels[les.organ]:
            labels[les.organ].append(les.state)
    return {o: sorted(v, key=STATES.index) for o, v in labels.items()}


# ----------------------------------------------------------------------------------------------- metadata
def _meta(draw: _CaseDraw, index: int, rng: np.random.Generator, pet_in_bq: bool) -> dict[str, Any]:
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


# ----------------------------------------------------------------------------------------------- volumes
def _pet_volume(draw: _CaseDraw, lesions: list[Lesion], grid: _Grid, rng: np.random.Generator) -> np.ndarray:
    items = [(s, s.suv) for s in draw.structures if s.suv is not None]
    items += [(les.structure(), les.suv) for les in lesions]
    suv = _rasterize(grid, items, 0.0)
    # Count noise (multiplicative) then the scanner's resolution (~6.5 mm FWHM): correlated noise.
    suv *= 1.0 + np.float32(0.12) * rng.standard_normal(suv.shape, dtype=np.float32)
    sigma = [max(6.5 / 2.355 / float(sp), 0.0) for sp in grid.spacing]
    suv = ndimage.gaussian_filter(suv, sigma=sigma, mode="constant", truncate=3.0)
    np.maximum(suv, 0.0, out=suv)
    return suv.astype(np.float32, copy=False)


def _ct_volume(draw: _CaseDraw, grid: _Grid, rng: np.random.Generator) -> np.ndarray:
    items = [(s, s.hu) for s in draw.structures if s.hu is not None]
    hu = _rasterize(grid, items, -1000.0, noise=(rng, 12.0))
    out = np.empty(grid.shape, dtype=np.int16)
    np.rint(hu, out=hu)
    np.clip(hu, -1024, 3071, out=hu)
    out[...] = hu
    return out


def _paint_lesions_ct(ct: np.ndarray, grid: _Grid, lesions: list[Lesion], rng: np.random.Generator) -> list:
    """Draw lesions into the int16 CT in place; returns the overwritten blocks (to undo)."""
    saved = []
    xs, ys, zs = grid.axis(0), grid.axis(1), grid.axis(2)
    h = float(np.mean(grid.spacing))
    for les in lesions:
        s = les.structure()
        lo, hi = s.bbox(h)
        sl = tuple(
            slice(int(np.searchsorted(a, lo[k], "left")), int(np.searchsorted(a, hi[k], "right")))
            for k, a in enumerate((xs, ys, zs))
        )
        block = ct[sl]
        saved.append((sl, block.copy()))
        cov = s.coverage(xs[sl[0], None, None], ys[None, sl[1], None], zs[None, None, sl[2]], h)
        target = np.float32(les.hu) + rng.standard_normal(block.shape, dtype=np.float32) * np.float32(12.0)
        new = block.astype(np.float32) + (target - block) * cov
        ct[sl] = np.clip(np.rint(new), -1024, 3071).astype(np.int16)
    return saved


# ----------------------------------------------------------------------------------------------- cohort
def synthesize_case(out_dir: str | Path, index: int, seed: int = 0, size: str = "small") -> Path:
    """Write one synthetic case ``synth_<index>`` under ``out_dir``; returns its folder."""
    if size not in GRIDS:
        raise InputError(f"size must be one of {list(GRIDS)}, got {size!r}")
    rng = np.random.default_rng([int(seed), int(index)])
    case_id = f"synth_{index:04d}"
    draw = _draw_case(case_id, rng)
    pet_grid, ct_grid = _grids(GRIDS[size], rng)
    specs = _draw_specs(draw, rng)
    ct = _ct_volume(draw, ct_grid, rng)

    # Lesions sit on the key planes the renderer will choose; drawing them into the CT can move the body's
    # centre of mass (a lung nodule adds to the body mask), so settle the two together.
    key = _key_slices(ct, ct_grid, pet_grid)
    lesion_rng_state = rng.bit_generator.state
    for _ in range(4):
        rng.bit_generator.state = lesion_rng_state
        lesions = _place_lesions(draw, rng, pet_grid, key, specs)
        saved = _paint_lesions_ct(ct, ct_grid, lesions, rng)
        new_key = _key_slices(ct, ct_grid, pet_grid)
        if new_key == key:
            break
        for sl, block in reversed(saved):
            ct[sl] = block
        key = new_key
    else:  # pragma: no cover - the key slices settle in one or two rounds
        raise RuntimeError(f"{case_id}: key slices did not settle")

    suv = _pet_volume(draw, lesions, pet_grid, rng)
    pet_in_bq = index % 2 == 1
    meta = _meta(draw, index, rng, pet_in_bq)
    zh, en = write_reports(lesions, draw.sex, rng)

    folder = Path(out_dir) / case_id
    folder.mkdir(parents=True, exist_ok=True)
    for stale in ("pet.nii.gz", "suv.nii.gz"):
        (folder / stale).unlink(missing_ok=True)
    ct_st, ct_aff = _stored(ct, ct_grid.affine, _CT_ORNT)
    save_volume(ct_st, ct_aff, folder / "ct.nii.gz")
    del ct_st
    factor = _suv_factor(meta) if pet_in_bq else None
    pet_data = suv / np.float32(factor) if factor else suv
    pet_st, pet_aff = _stored(pet_data.astype(np.float32), pet_grid.affine, _PET_ORNTS[index % len(_PET_ORNTS)])
    save_volume(pet_st, pet_aff, folder / ("pet.nii.gz" if pet_in_bq else "suv.nii.gz"))
    write_json(meta, folder / "meta.json")
    (folder / "report.txt").write_text(zh, encoding="utf-8")
    (folder / "report_en.txt").write_text(en, encoding="utf-8")
    write_json(labels_of(lesions), folder / "labels.json")
    truth = _truth(draw, lesions, pet_grid, ct_grid, key, seed, index, size, factor)
    write_json(truth, folder / "truth.json")
    return folder


def _truth(draw, lesions, pet_grid: _Grid, ct_grid: _Grid, key, seed, index, size, factor) -> dict:
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
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise InputError(f"n must be a positive integer, got {n!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InputError(f"seed must be a non-negative integer, got {seed!r}")
    if size not in GRIDS:
        raise InputError(f"size must be one of {list(GRIDS)}, got {size!r}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    indices = range(n)
    if progress:
        from tqdm.auto import tqdm

        indices = tqdm(indices, desc=f"synth ({size})", unit="case")
    return [synthesize_case(out, i, seed=seed, size=size) for i in indices]


# ----------------------------------------------------------------------------------------------- regions
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
