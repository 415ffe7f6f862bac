"""Key-slice strategies: which coronal planes a model sees, and how much of the disease they show.

Planes are indices along the anterior axis (axis 1) of the RAS+ PET grid, as in :mod:`pet2rep.imaging.render`.

Strategies (``RenderOptions.slice_strategy``):

* ``center``: the paper's protocol: ``num_slices`` planes ``slice_spacing_vox`` apart around the front-back centre
  of the CT body (:func:`pet2rep.imaging.render.choose_key_slices`).
* ``lesion``: planes through the lesions of a segmentation mask (:mod:`pet2rep.imaging.masks`), chosen by
  :func:`choose_planes`.
* ``hotspot``: no mask needed: candidate foci from the SUV (:func:`hotspot_mask`), then :func:`choose_planes`.

Lesion coverage (:func:`lesion_coverage`) is measured against the lesion mask (26-connected components):

* ``components``: fraction of lesion components that at least one chosen plane intersects;
* ``volume``: fraction of the lesion volume that lies in those intersected components (the burden the pictures
  show a cut through);
* ``in_plane_volume``: fraction of the lesion voxels that lie on the chosen planes themselves.

Greedy plane choice (:func:`choose_planes`). The objective of a set of planes S is

    F(S) = covered_components(S) / n_components + covered_volume(S) / lesion_volume

(both terms are coverage functions: monotone and submodular, so greedy choice is within 1 - 1/e of the optimum).
Planes are added one at a time, each the plane with the largest gain in F among those at least
``min_gap_vox`` planes away from every plane already chosen; ties go to the plane with the most lesion voxels on it,
then to the plane nearest the body centre, then to the lower index. Once every component is covered the gain is 0
everywhere: the remaining planes go to the paper's ``center`` planes (``fill``), each to the allowed plane nearest a
``center`` plane that no chosen plane already stands for (within ``min_gap_vox``); when every ``center`` plane is
represented, to the planes that show the most lesion voxels. So a mask with one lesion gives its best plane plus the
paper's other planes, not three cuts through one lesion: on the synthetic cohort the extra cuts showed the lesions'
rims, where partial volume reads as a milder state (a cold lesion's rim as "decreased"), and the demo's reader's CE
precision fell from 0.87 (``center``) to 0.78; with the fill it is 0.86 at full component coverage
(``benchmarks/bench_lesion.py``). The planes are returned in increasing order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
from scipy import ndimage

from pet2rep.errors import GeometryError, InputError
from pet2rep.imaging.render_options import SLICE_STRATEGIES, RenderOptions

__all__ = [
    "SLICE_STRATEGIES",
    "Components",
    "HotspotRule",
    "choose_planes",
    "hotspot_mask",
    "lesion_components",
    "lesion_coverage",
    "select_slices",
]

#: 26-connectivity: voxels touching by a face, an edge or a corner belong to one component.
_CONNECTIVITY = np.ones((3, 3, 3), dtype=bool)


@dataclass(frozen=True)
class Components:
    """The connected lesion components of a mask, summarised per coronal plane.

    Attributes:
        n_planes: planes along the anterior axis.
        first, last: per component, the first and last plane it occupies (a connected set spans a run of planes).
        volume_vox: per component, its voxel count.
        plane_vox: per plane, the lesion voxels on it.
    """

    n_planes: int
    first: np.ndarray
    last: np.ndarray
    volume_vox: np.ndarray
    plane_vox: np.ndarray

    @property
    def count(self) -> int:
        return int(self.first.size)

    @property
    def total_vox(self) -> int:
        return int(self.volume_vox.sum())

    def hit(self, planes) -> np.ndarray:
        """Bool per component: intersected by at least one of ``planes``."""
        hit = np.zeros(self.count, dtype=bool)
        for j in planes:
            hit |= (self.first <= j) & (j <= self.last)
        return hit


def lesion_components(mask: np.ndarray, axis: int = 1) -> Components:
    """The 26-connected components of a bool mask, with their plane runs along ``axis``."""
    mask = np.asarray(mask, dtype=bool)
    labels, n = ndimage.label(mask, structure=_CONNECTIVITY)
    boxes = ndimage.find_objects(labels)
    first = np.array([b[axis].start for b in boxes], dtype=np.int64)
    last = np.array([b[axis].stop - 1 for b in boxes], dtype=np.int64)
    volume = np.bincount(labels.ravel(), minlength=n + 1)[1:].astype(np.int64) if n else np.zeros(0, np.int64)
    other = tuple(a for a in range(mask.ndim) if a != axis)
    return Components(int(mask.shape[axis]), first, last, volume, mask.sum(axis=other).astype(np.int64))


def lesion_coverage(comps: Components, planes, *, voxel_ml: float | None = None) -> dict | None:
    """Coverage of a set of planes (module docstring); None for a mask without lesion."""
    if comps.count == 0:
        return None
    hit = comps.hit(planes)
    total = comps.total_vox
    on_planes = int(sum(int(comps.plane_vox[j]) for j in {int(p) for p in planes}))
    out = {
        "components": round(float(hit.mean()), 6),
        "volume": round(float(comps.volume_vox[hit].sum() / total), 6),
        "in_plane_volume": round(on_planes / total, 6),
        "n_components": comps.count,
        "n_components_hit": int(hit.sum()),
    }
    if voxel_ml is not None:
        out["lesion_volume_ml"] = round(total * voxel_ml, 3)
    return out


def choose_planes(
    comps: Components, n: int, *, min_gap_vox: int, centre: int, fill: Sequence[int] = (), where: str = ""
) -> list[int]:
    """Greedy choice of ``n`` coronal planes covering the lesion components and volume (module docstring).

    Args:
        comps: the lesion components.
        n: planes to choose.
        min_gap_vox: least distance between two chosen planes.
        centre: the body's centre plane (ties go toward it).
        fill: planes to stand for once every component is covered (the ``center`` strategy's planes); none: the
            planes with the most lesion voxels.

    Raises:
        InputError: ``n`` < 1 or ``min_gap_vox`` < 1.
        GeometryError: the grid cannot hold ``n`` planes ``min_gap_vox`` apart.
    """
    if n < 1 or min_gap_vox < 1:
        raise InputError(f"choose_planes: expected n >= 1 and min_gap_vox >= 1, got n={n}, min_gap_vox={min_gap_vox}")
    n_planes = comps.n_planes
    if (n - 1) * min_gap_vox > n_planes - 1:
        prefix = f"{where}: " if where else ""
        raise GeometryError(
            f"{prefix}the PET grid has {n_planes} coronal planes; {n} key slices at least {min_gap_vox} planes "
            f"apart need {(n - 1) * min_gap_vox + 1}"
        )
    j = np.arange(n_planes)
    # covers[c, j]: component c intersects plane j
    covers = (comps.first[:, None] <= j[None, :]) & (j[None, :] <= comps.last[:, None])
    w_comp = 1.0 / comps.count if comps.count else 0.0
    w_vol = comps.volume_vox / comps.total_vox if comps.count else np.zeros(0)
    weights = w_comp + w_vol  # the gain of covering component c
    covered = np.zeros(comps.count, dtype=bool)
    allowed = np.ones(n_planes, dtype=bool)
    distance = np.abs(j - centre)
    chosen: list[int] = []
    for _ in range(n):
        gain = np.round((weights * ~covered) @ covers if comps.count else np.zeros(n_planes), 12)  # float noise
        unused = [p for p in fill if all(abs(p - c) >= min_gap_vox for c in chosen)]
        if gain.max() <= 0 and unused:  # everything is shown: the paper's planes not yet stood for
            to_fill = np.min(np.abs(j[:, None] - np.asarray(unused)[None, :]), axis=1)
            order = np.lexsort((j, distance, to_fill))
        else:  # lexicographic: gain, lesion voxels on the plane, nearness to the centre
            order = np.lexsort((j, distance, -comps.plane_vox, -gain))
        best = next((int(p) for p in order if allowed[p]), None)
        if best is None:  # pragma: no cover - excluded by the span check above
            raise GeometryError(f"{where}: no plane left {min_gap_vox} planes away from {chosen}")
        chosen.append(best)
        covered |= covers[:, best]
        allowed[max(0, best - min_gap_vox + 1) : best + min_gap_vox] = False
    return sorted(chosen)


@dataclass(frozen=True)
class HotspotRule:
    """How ``hotspot`` finds candidate foci in the SUV (every number here is recorded in the render JSON).

    The threshold is PERCIST-like: ``max(floor_suv, 1.5 * ref_mean + 2 * ref_sd)``, where the reference stands in
    for PERCIST's liver VOI without an organ segmentation: the body voxels (SUV >= ``body_suv``) between the 25th
    and 75th percentile of their SUV (background soft tissue). 26-connected components above the threshold are
    candidates; components of fewer than ``min_voxels`` voxels or under ``min_ml`` mL are noise. Physiological high
    uptake is excluded by position in the body's bounding box (body voxels; fractions of its axial length from the
    top, of its width from the midline, of its depth from the back) and size:

    * brain: centroid in the top ``head_fraction`` of the body;
    * bladder: centroid in the bottom ``pelvis_fraction``, within ``midline_fraction`` of the midline, at least
      ``organ_ml`` mL;
    * heart: centroid between ``heart_band`` (fractions from the top), on the patient's left or the midline, at least
      ``organ_ml`` mL;
    * kidneys: centroid between ``kidney_band``, in the back 45 %, more than half ``midline_fraction`` off the
      midline, at least ``organ_ml`` mL.

    The defaults were set on the synthetic cohort (whose organs sit where real ones do, as fractions of the body);
    the threshold floor of SUV 3 sits above the uptake of a normal liver.

    A lesion in the head, or a bulky lesion where an organ is expected, is excluded with it: that is the price of
    needing no mask.
    """

    floor_suv: float = 3.0
    body_suv: float = 0.3
    min_voxels: int = 3
    min_ml: float = 1.0
    head_fraction: float = 0.12
    pelvis_fraction: float = 0.25
    midline_fraction: float = 0.15
    heart_band: tuple[float, float] = (0.3, 0.55)
    kidney_band: tuple[float, float] = (0.55, 0.75)
    organ_ml: float = 60.0


def hotspot_mask(suv_ras: np.ndarray, voxel_ml: float, rule: HotspotRule | None = None) -> tuple[np.ndarray, dict]:
    """Candidate foci of an SUV volume on the RAS+ PET grid (see :class:`HotspotRule`).

    Returns:
        ``(mask, info)``: the bool mask of the kept components, and a record of the threshold, the reference and
        how many components each heuristic excluded.
    """
    rule = rule or HotspotRule()
    suv = np.asarray(suv_ras, dtype=np.float32)
    body = suv >= rule.body_suv
    info: dict = {"rule": {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(rule).items()}}
    if not body.any():
        info.update(threshold_suv=None, excluded={}, kept=0)
        return np.zeros(suv.shape, dtype=bool), info
    vals = suv[body]
    lo, hi = np.percentile(vals, [25, 75])
    ref = vals[(vals >= lo) & (vals <= hi)]
    ref_mean, ref_sd = float(ref.mean()), float(ref.std())
    threshold = max(rule.floor_suv, 1.5 * ref_mean + 2.0 * ref_sd)
    labels, n = ndimage.label(suv >= threshold, structure=_CONNECTIVITY)
    idx = np.arange(1, n + 1)
    counts = np.bincount(labels.ravel(), minlength=n + 1)[1:]
    centroids = np.array(ndimage.center_of_mass(np.ones_like(labels, dtype=np.uint8), labels, idx)).reshape(-1, 3)
    coords = [np.flatnonzero(body.any(axis=tuple(a for a in range(3) if a != ax))) for ax in range(3)]
    (x0, x1), (y0, y1), (z0, z1) = ((int(c[0]), int(c[-1])) for c in coords)
    excluded = {"noise": 0, "brain": 0, "bladder": 0, "heart": 0, "kidney": 0}
    keep = np.zeros(n + 1, dtype=bool)
    for c in range(n):
        cx, cy, cz = centroids[c]
        from_top = (z1 - cz) / max(z1 - z0, 1)
        from_mid = (cx - (x0 + x1) / 2.0) / max(x1 - x0, 1)  # RAS: negative toward the patient's left
        from_back = (cy - y0) / max(y1 - y0, 1)
        big = counts[c] * voxel_ml >= rule.organ_ml
        if counts[c] < rule.min_voxels or counts[c] * voxel_ml < rule.min_ml:
            why = "noise"
        elif from_top < rule.head_fraction:
            why = "brain"
        elif big and from_top > 1.0 - rule.pelvis_fraction and abs(from_mid) <= rule.midline_fraction:
            why = "bladder"
        elif big and rule.heart_band[0] <= from_top <= rule.heart_band[1] and from_mid <= rule.midline_fraction:
            why = "heart"
        elif (
            big
            and rule.kidney_band[0] <= from_top <= rule.kidney_band[1]
            and from_back < 0.45
            and abs(from_mid) > rule.midline_fraction / 2
        ):
            why = "kidney"
        else:
            keep[c + 1] = True
            continue
        excluded[why] += 1
    info.update(
        threshold_suv=round(threshold, 4),
        ref_mean_suv=round(ref_mean, 4),
        ref_sd_suv=round(ref_sd, 4),
        excluded=excluded,
        kept=int(keep.sum()),
    )
    return keep[labels], info


def select_slices(
    center_indices: list[int],
    options: RenderOptions,
    *,
    suv_ras: np.ndarray,
    voxel_ml: float,
    lesion_mask: np.ndarray | None = None,
    mask_name: str | None = None,
    where: str = "",
) -> tuple[list[int], dict]:
    """The key planes of ``options.slice_strategy`` and the record of how they were chosen.

    ``center_indices`` are the ``center`` planes (:func:`pet2rep.imaging.render.choose_key_slices`); the other
    strategies break ties toward their middle plane. Fallbacks, said in the record's ``slice_fallback``: ``lesion``
    without a mask uses ``hotspot``; an empty mask, or no hot spot, uses ``center``.

    Returns:
        ``(indices, record)``; the record holds ``slice_strategy`` (the strategy used), ``slice_strategy_requested``,
        ``slice_fallback`` (why they differ, else None), ``lesion_mask`` (the mask file's name or None),
        ``lesion_coverage`` (:func:`lesion_coverage` of the planes against the mask, None without a mask or with an
        empty one) and ``hotspot`` (the :func:`hotspot_mask` record when hot spots were looked for).
    """
    requested = options.slice_strategy
    used, fallback, hot_info = requested, None, None
    comps = lesion_components(lesion_mask) if lesion_mask is not None else None
    target = comps
    if requested == "lesion" and comps is None:
        used, fallback = "hotspot", "no lesion mask"
    if used == "lesion" and comps is not None and comps.count == 0:
        used, fallback = "center", "the lesion mask is empty"
    if used == "hotspot":
        hot, hot_info = hotspot_mask(suv_ras, voxel_ml)
        target = lesion_components(hot)
        if target.count == 0:
            used, fallback = "center", ((fallback + "; ") if fallback else "") + "no SUV hot spot"
    indices = list(center_indices)
    if used != "center":
        centre = center_indices[len(center_indices) // 2]
        indices = choose_planes(
            target,
            options.num_slices,
            min_gap_vox=options.min_slice_gap_vox,
            centre=centre,
            fill=center_indices,
            where=where,
        )
    record = {
        "slice_strategy": used,
        "slice_strategy_requested": requested,
        "slice_fallback": fallback,
        "lesion_mask": mask_name,
        "lesion_coverage": lesion_coverage(comps, indices, voxel_ml=voxel_ml) if comps is not None else None,
    }
    if hot_info is not None:
        record["hotspot"] = hot_info
    return indices, record
