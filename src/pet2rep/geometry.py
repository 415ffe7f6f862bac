"""Geometry on voxel grids: canonical (RAS+) orientation, world <-> voxel maps, and CT sampled on the PET grid.

Pure functions over numpy arrays and 4x4 affines (voxel index -> world mm in nibabel's RAS+ convention:
+x toward the patient's right, +y anterior, +z superior). Sampling is trilinear in world coordinates; a
point outside the sampled volume (beyond its outermost voxel centres) gets the ``outside`` value. Only the
planes that are asked for are computed: no whole-volume resampling to render three slices.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from nibabel.orientations import apply_orientation, inv_ornt_aff, io_orientation
from scipy import ndimage

from pet2rep.errors import GeometryError

AIR_HU = -1024.0
"""Value given to CT samples that fall outside the CT field of view."""

# Slack (in voxels) that keeps grid points lying exactly on a volume's outer voxel centres inside it.
_EDGE_TOL = 1e-3


def ras_orientation(affine: np.ndarray) -> np.ndarray:
    """nibabel orientation array taking the voxel axes of ``affine`` to the closest RAS+ axes."""
    return io_orientation(np.asarray(affine, dtype=np.float64))


def reorient_to_ras(data: np.ndarray, affine: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Flip / permute voxel axes so that axis 0, 1, 2 run toward R, A, S (closest axes for obliques).

    Returns:
        ``(view, affine_ras)``: a view of ``data`` (no copy) and the affine of that view. The world position
        of every voxel is unchanged.
    """
    affine = np.asarray(affine, dtype=np.float64)
    ornt = ras_orientation(affine)
    view = apply_orientation(data, ornt)
    affine_ras = affine @ inv_ornt_aff(ornt, data.shape)
    return view, affine_ras


def spacing_mm(affine: np.ndarray) -> np.ndarray:
    """Voxel size along each voxel axis (column norms of the 3x3 part)."""
    return np.sqrt((np.asarray(affine, dtype=np.float64)[:3, :3] ** 2).sum(axis=0))


def apply_affine(affine: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Map points of shape ``(3, ...)`` through a 4x4 affine."""
    affine = np.asarray(affine, dtype=np.float64)
    pts = np.asarray(points, dtype=np.float64)
    flat = pts.reshape(3, -1)
    out = affine[:3, :3] @ flat + affine[:3, 3:4]
    return out.reshape(pts.shape)


def grid_to_volume(vol_affine: np.ndarray, grid_affine: np.ndarray) -> np.ndarray:
    """The 4x4 map from grid voxel indices to volume voxel indices (through world space)."""
    return np.linalg.inv(np.asarray(vol_affine, dtype=np.float64)) @ np.asarray(grid_affine, dtype=np.float64)


def _corners(shape: tuple[int, ...]) -> np.ndarray:
    hi = np.asarray(shape[:3], dtype=np.float64) - 1.0
    return np.array([[c[0] * hi[0], c[1] * hi[1], c[2] * hi[2]] for c in np.ndindex(2, 2, 2)]).T


def grid_bbox_in_volume(
    vol_affine: np.ndarray, vol_shape: tuple[int, ...], grid_affine: np.ndarray, grid_shape: tuple[int, ...]
) -> tuple[slice, slice, slice] | None:
    """Voxel index box of the volume covering the grid's field of view (from its 8 corners), or None when the
    two fields of view do not overlap."""
    corners = apply_affine(grid_to_volume(vol_affine, grid_affine), _corners(grid_shape))
    lo = np.floor(corners.min(axis=1) - _EDGE_TOL)
    hi = np.ceil(corners.max(axis=1) + _EDGE_TOL)
    n = np.asarray(vol_shape[:3])
    lo_c = np.maximum(lo, 0).astype(int)
    hi_c = np.minimum(hi, n - 1).astype(int)
    if np.any(hi_c < lo_c):
        return None
    return tuple(slice(int(a), int(b) + 1) for a, b in zip(lo_c, hi_c, strict=True))  # type: ignore[return-value]


def check_overlap(
    vol_affine: np.ndarray,
    vol_shape: tuple[int, ...],
    grid_affine: np.ndarray,
    grid_shape: tuple[int, ...],
    *,
    where: str = "",
) -> tuple[slice, slice, slice]:
    """Like :func:`grid_bbox_in_volume` but raise :class:`GeometryError` when the fields of view are disjoint."""
    box = grid_bbox_in_volume(vol_affine, vol_shape, grid_affine, grid_shape)
    if box is None:
        ext_v = _world_extent(vol_affine, vol_shape)
        ext_g = _world_extent(grid_affine, grid_shape)
        prefix = f"{where}: " if where else ""
        raise GeometryError(
            f"{prefix}PET and CT do not overlap in world space: CT spans {ext_v} mm, PET spans {ext_g} mm "
            "(check the affines / sform of both files)"
        )
    return box


def _world_extent(affine: np.ndarray, shape: tuple[int, ...]) -> str:
    pts = apply_affine(affine, _corners(shape))
    return " x ".join(f"[{a:.0f}, {b:.0f}]" for a, b in zip(pts.min(axis=1), pts.max(axis=1), strict=True))


def sample_linear(volume: np.ndarray, vox: np.ndarray, *, outside: float = AIR_HU) -> np.ndarray:
    """Trilinear samples of ``volume`` at voxel coordinates ``vox`` (shape ``(3, ...)``) as float32.

    A point beyond the outermost voxel centres (by more than 1e-3 voxel) gets ``outside``. The input is
    read in its own dtype (an int16 CT is not converted).
    """
    vox = np.asarray(vox, dtype=np.float64)
    n = np.asarray(volume.shape[:3], dtype=np.float64).reshape((3,) + (1,) * (vox.ndim - 1))
    inside = np.all((vox >= -_EDGE_TOL) & (vox <= n - 1 + _EDGE_TOL), axis=0)
    coords = np.clip(vox, 0.0, n - 1)
    out = np.empty(vox.shape[1:], dtype=np.float32)
    ndimage.map_coordinates(volume, coords, output=out, order=1, mode="nearest", prefilter=False)
    out[~inside] = outside
    return out


def plane_coordinates(grid_to_vol: np.ndarray, grid_shape: tuple[int, ...], axis: int, index: float) -> np.ndarray:
    """Volume voxel coordinates ``(3, n_a, n_b)`` of the grid plane ``axis = index`` (a, b: the other axes
    in increasing order)."""
    m = np.asarray(grid_to_vol, dtype=np.float64)
    a, b = (ax for ax in range(3) if ax != axis)
    ia = np.arange(grid_shape[a], dtype=np.float64)
    ib = np.arange(grid_shape[b], dtype=np.float64)
    base = m[:3, axis] * float(index) + m[:3, 3]
    return (
        base[:, None, None] + m[:3, a][:, None, None] * ia[None, :, None] + m[:3, b][:, None, None] * ib[None, None, :]
    )


def sample_plane(
    volume: np.ndarray,
    vol_affine: np.ndarray,
    grid_affine: np.ndarray,
    grid_shape: tuple[int, ...],
    axis: int,
    index: int,
    *,
    outside: float = AIR_HU,
) -> np.ndarray:
    """Sample ``volume`` on one plane of another grid (e.g. CT on a coronal plane of the PET grid).

    Returns:
        float32 array of shape ``(grid_shape[a], grid_shape[b])`` for the two other axes a < b.
    """
    coords = plane_coordinates(grid_to_volume(vol_affine, grid_affine), grid_shape, axis, index)
    return sample_linear(volume, coords, outside=outside)


def resample_to_grid(
    volume: np.ndarray,
    vol_affine: np.ndarray,
    grid_affine: np.ndarray,
    grid_shape: tuple[int, ...],
    *,
    outside: float = AIR_HU,
    dtype=np.float32,
    chunk: int = 16,
) -> np.ndarray:
    """Whole-volume trilinear resampling onto a grid, a slab of ``chunk`` planes (last axis) at a time.

    Integer ``dtype`` output is rounded and clipped to the type's range.
    """
    shape = tuple(int(n) for n in grid_shape[:3])
    out = np.empty(shape, dtype=dtype)
    m = grid_to_volume(vol_affine, grid_affine)
    ii = np.arange(shape[0], dtype=np.float64)[:, None, None]
    jj = np.arange(shape[1], dtype=np.float64)[None, :, None]
    for k0 in range(0, shape[2], chunk):
        kk = np.arange(k0, min(k0 + chunk, shape[2]), dtype=np.float64)[None, None, :]
        coords = np.stack([m[r, 0] * ii + m[r, 1] * jj + m[r, 2] * kk + m[r, 3] for r in range(3)])
        vals = sample_linear(volume, coords, outside=outside)
        if np.issubdtype(dtype, np.integer):
            info = np.iinfo(dtype)
            vals = np.clip(np.rint(vals), info.min, info.max)
        out[:, :, k0 : k0 + kk.shape[2]] = vals
    return out


@dataclass(frozen=True)
class BodySurvey:
    """What one pass over the CT body mask (HU above a threshold) gives.

    Attributes:
        centroid_world: centre of mass of the mask in world mm (None when the mask is empty).
        n_voxels: mask voxels counted (on the sampled sub-grid).
        mean_hu, std_hu: HU statistics inside the mask (None unless asked for or when empty).
    """

    centroid_world: np.ndarray | None
    n_voxels: int
    mean_hu: float | None = None
    std_hu: float | None = None


def survey_body(
    ct: np.ndarray,
    ct_affine: np.ndarray,
    *,
    box: tuple[slice, slice, slice] | None = None,
    threshold_hu: float = -500.0,
    step: tuple[int, int, int] = (1, 1, 1),
    with_stats: bool = False,
    chunk: int = 32,
) -> BodySurvey:
    """Centre of mass (world mm) of the CT body mask ``ct > threshold_hu``, in slabs (no full-size mask).

    Args:
        ct: CT in HU (any dtype, stored orientation).
        ct_affine: its affine.
        box: restrict to this voxel box (e.g. the PET field of view).
        threshold_hu: body mask threshold.
        step: voxel stride per axis (the mask's centre of mass needs no finer sampling than the PET grid).
        with_stats: also compute mean and std of HU inside the mask.
        chunk: slab thickness along the last axis.
    """
    box = box or (slice(None), slice(None), slice(None))
    starts = [s.indices(n)[0] for s, n in zip(box, ct.shape, strict=True)]
    sub = ct[box][:: step[0], :: step[1], :: step[2]]
    thr = np.float32(threshold_hu) if ct.dtype.kind == "f" else np.float64(threshold_hu)
    if ct.dtype.kind in "iu":
        # On integers, ct > t  <=>  ct > floor(t): compare in the CT's own dtype (no float temporaries).
        info = np.iinfo(ct.dtype)
        thr = ct.dtype.type(np.clip(np.floor(threshold_hu), info.min, info.max))
    nx, ny, nz = sub.shape
    proj_xy = np.zeros((nx, ny), dtype=np.int64)
    count_z = np.zeros(nz, dtype=np.int64)
    total = 0.0
    total_sq = 0.0
    for k0 in range(0, nz, chunk):
        slab = sub[:, :, k0 : k0 + chunk]
        mask = slab > thr
        proj_xy += mask.sum(axis=2)
        count_z[k0 : k0 + slab.shape[2]] = mask.sum(axis=(0, 1))
        if with_stats:
            vals = slab[mask]
            total += float(np.add.reduce(vals, dtype=np.float64))
            total_sq += float(np.add.reduce(np.square(vals, dtype=np.float64)))
    n = int(count_z.sum())
    if n == 0:
        return BodySurvey(centroid_world=None, n_voxels=0)
    cx = float((proj_xy.sum(axis=1) * np.arange(nx)).sum()) / n
    cy = float((proj_xy.sum(axis=0) * np.arange(ny)).sum()) / n
    cz = float((count_z * np.arange(nz)).sum()) / n
    vox = np.array([starts[0] + cx * step[0], starts[1] + cy * step[1], starts[2] + cz * step[2]])
    centroid = apply_affine(ct_affine, vox)
    mean = std = None
    if with_stats:
        mean = total / n
        std = float(np.sqrt(max(total_sq / n - mean * mean, 0.0)))
    return BodySurvey(centroid_world=centroid, n_voxels=n, mean_hu=mean, std_hu=std)
