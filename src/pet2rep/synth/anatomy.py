"""The phantom's anatomy: one inspectable table of parts, and a part placed in world space.

:data:`ANATOMY` maps each part (name -> CE organ, shape, centre and radii in body coordinates, HU, SUV range) of a
generic adult; every synthetic case scales and jitters it (:mod:`pet2rep.synth.phantom`). :class:`Structure` is a
part placed for one case, with its partial-volume coverage of a voxel grid. Body coordinates (mm): ``x`` toward the
patient's right, ``y`` anterior, ``d`` depth below the vertex.

numpy only: the image reader (:mod:`pet2rep.synth.reader`) depends on this module and on nothing else of the phantom.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


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
