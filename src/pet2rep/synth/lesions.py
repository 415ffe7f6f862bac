"""Lesions of a synthetic case: which organs and states are drawn, where they sit, and the labels they make.

A lesion is centred on a key plane the renderer will choose where its organ reaches one, else (increased uptake
only) where the MIP shows it; :func:`labels_of` turns a case's lesions into its CE labels (``labels.json``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pet2rep.synth.anatomy import SOFT_HU, Structure
from pet2rep.synth.phantom import CaseDraw, Grid, plane_y, world_to_body
from pet2rep.vocab import ORGANS, STATES

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


def place_lesions(
    draw: CaseDraw, rng: np.random.Generator, pet_grid: Grid, key_slices: list[int], specs: list[tuple[str, str]]
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
            planes = [(abs(plane_y(pet_grid, j) - c[1]), n, j) for n, j in enumerate(key_slices)]
            planes = [p for p in planes if ylo <= plane_y(pet_grid, p[2]) <= yhi]
            key = min(planes)[1:] if planes else None
            if key is None and state != "increased":
                continue
            y = plane_y(pet_grid, key[1]) if key else c[1]
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
                    centre_body=world_to_body(centre, draw.scale, draw.shift),
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


def draw_specs(draw: CaseDraw, rng: np.random.Generator) -> list[tuple[str, str]]:
    n = int(rng.choice(5, p=[0.1, 0.3, 0.3, 0.2, 0.1]))
    present = {s.organ for s in draw.structures}
    specs = []
    for _ in range(n):
        state = _weighted_choice(rng, _STATE_P)
        weights = {k: v for k, v in _LESION_WEIGHTS[state].items() if k in present}
        specs.append((_weighted_choice(rng, weights), state))
    return specs


def labels_of(lesions: list[Lesion]) -> dict[str, list[str]]:
    """Organ key -> sorted abnormal states, for all 24 organs (empty list = normal)."""
    labels: dict[str, list[str]] = {o: [] for o in ORGANS}
    for les in lesions:
        if les.state not in labels[les.organ]:
            labels[les.organ].append(les.state)
    return {o: sorted(v, key=STATES.index) for o, v in labels.items()}
