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

from pet2rep.errors import GeometryError, InputError

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


RESAMPLE_METHODS = ("auto", "separable", "general")
"""``resample_to_grid`` methods: ``separable`` needs axis-aligned grids, ``general`` takes any affine, ``auto``
picks ``separable`` whenever it applies."""

# Off-axis terms of the grid -> volume map smaller than this (voxels of displacement across the whole grid) are
# float noise of the affines: the grids count as axis-aligned.
_ALIGNED_TOL_VOX = 1e-6


@dataclass(frozen=True)
class AxisMap:
    """An axis-aligned grid -> volume map: grid axis ``g`` runs along volume axis ``axes[g]``, and grid index ``i``
    on it lands at volume coordinate ``offset[g] + scale[g] * i`` (scaling, flips, permutation and translation;
    no rotation or shear)."""

    axes: tuple[int, int, int]
    scale: tuple[float, float, float]
    offset: tuple[float, float, float]


def axis_aligned_map(grid_to_vol: np.ndarray, grid_shape: tuple[int, ...]) -> AxisMap | None:
    """The :class:`AxisMap` of a grid -> volume voxel map (:func:`grid_to_volume`), or None when the grids are
    rotated or sheared relative to each other (off-axis terms move some grid point by more than 1e-6 voxel)."""
    m = np.asarray(grid_to_vol, dtype=np.float64)
    lin = m[:3, :3]
    axes = tuple(int(np.argmax(np.abs(lin[:, g]))) for g in range(3))
    if sorted(axes) != [0, 1, 2] or any(lin[axes[g], g] == 0.0 for g in range(3)):
        return None
    off_axis = lin.copy()
    for g in range(3):
        off_axis[axes[g], g] = 0.0
    reach = np.maximum(np.asarray(grid_shape[:3], dtype=np.float64) - 1.0, 0.0)
    if np.any(np.abs(off_axis) @ reach > _ALIGNED_TOL_VOX):
        return None
    return AxisMap(
        axes=axes,  # type: ignore[arg-type]
        scale=tuple(float(lin[axes[g], g]) for g in range(3)),  # type: ignore[arg-type]
        offset=tuple(float(m[axes[g], 3]) for g in range(3)),  # type: ignore[arg-type]
    )


def resample_to_grid(
    volume: np.ndarray,
    vol_affine: np.ndarray,
    grid_affine: np.ndarray,
    grid_shape: tuple[int, ...],
    *,
    outside: float = AIR_HU,
    dtype=np.float32,
    chunk: int | None = None,
    method: str = "auto",
) -> np.ndarray:
    """Whole-volume trilinear resampling onto a grid, in slabs of ``chunk`` planes (default: 16 for the general
    path, sized to the work for the separable one).

    When the two grids are axis-aligned (scaling, flips, permutations and translation between them: the common
    case of CT and PET after reorientation), trilinear interpolation is separable and is done as three 1-D
    passes (``method="separable"``, :func:`resample_separable`); otherwise every grid point is sampled in 3-D
    (``method="general"``, :func:`sample_linear`). Both give the same values (float32 up to its last bit; the same
    integers after rounding). Integer ``dtype`` output is rounded (half to even) and clipped to the type's range.
    The general path returns a C-ordered array, the separable one an array in the volume's memory order.

    Raises:
        GeometryError: ``method="separable"`` for grids that are not axis-aligned.
        InputError: an unknown ``method``.
    """
    if method not in RESAMPLE_METHODS:
        raise InputError(f"resample_to_grid: method must be one of {list(RESAMPLE_METHODS)}, got {method!r}")
    shape = tuple(int(n) for n in grid_shape[:3])
    m = grid_to_volume(vol_affine, grid_affine)
    if method != "general":
        amap = axis_aligned_map(m, shape)
        if amap is not None:
            return resample_separable(volume, amap, shape, outside=outside, dtype=dtype, chunk=chunk)
        if method == "separable":
            raise GeometryError(
                "resample_to_grid: the grids are rotated or sheared relative to each other; "
                "method='separable' needs axis-aligned grids (use 'auto' or 'general')"
            )
    out = np.empty(shape, dtype=dtype)
    chunk = chunk or 16
    ii = np.arange(shape[0], dtype=np.float64)[:, None, None]
    jj = np.arange(shape[1], dtype=np.float64)[None, :, None]
    for k0 in range(0, shape[2], chunk):
        kk = np.arange(k0, min(k0 + chunk, shape[2]), dtype=np.float64)[None, None, :]
        coords = np.stack([m[r, 0] * ii + m[r, 1] * jj + m[r, 2] * kk + m[r, 3] for r in range(3)])
        out[:, :, k0 : k0 + kk.shape[2]] = _cast(sample_linear(volume, coords, outside=outside), dtype)
    return out


def _cast(values: np.ndarray, dtype) -> np.ndarray:
    """float32 samples as ``dtype`` (integers: rounded half to even, clipped to the type's range)."""
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        return np.clip(np.rint(values), info.min, info.max)
    return values


@dataclass(frozen=True)
class _Axis1D:
    """Linear interpolation along one axis for the grid indices ``[lo, hi)`` that lie inside the volume: sample
    ``lo + t`` is ``v[i0[t]] + w[t] * (v[i1[t]] - v[i0[t]])``."""

    lo: int
    hi: int
    i0: np.ndarray
    i1: np.ndarray
    w: np.ndarray

    def part(self, start: int, stop: int, shift: int = 0) -> _Axis1D:
        """Grid indices ``[start, stop)`` only, volume indices moved down by ``shift``."""
        t = slice(start - self.lo, stop - self.lo)
        return _Axis1D(start, stop, self.i0[t] - shift, self.i1[t] - shift, self.w[t])


def _axis_weights(n_vol: int, scale: float, offset: float, n_grid: int) -> _Axis1D:
    c = offset + scale * np.arange(n_grid, dtype=np.float64)
    inside = np.flatnonzero((c >= -_EDGE_TOL) & (c <= n_vol - 1 + _EDGE_TOL))  # one run: c is linear in the index
    lo, hi = (int(inside[0]), int(inside[-1]) + 1) if inside.size else (0, 0)
    c = np.clip(c[lo:hi], 0.0, n_vol - 1)
    i0 = np.floor(c).astype(np.intp)
    # As in map_coordinates: the upper neighbour of the last voxel is that voxel again (its weight is 0).
    return _Axis1D(lo, hi, i0, np.minimum(i0 + 1, n_vol - 1), c - i0)


def _lerp(x: np.ndarray, axis: int, ax: _Axis1D) -> np.ndarray:
    """1-D linear interpolation of ``x`` along ``axis`` (float64 result of the gathered size)."""
    lower: list = [slice(None)] * x.ndim
    upper: list = [slice(None)] * x.ndim
    lower[axis], upper[axis] = ax.i0, ax.i1
    a = x[tuple(lower)].astype(np.float64, copy=False)
    b = x[tuple(upper)].astype(np.float64)
    shape = [1] * x.ndim
    shape[axis] = -1
    b -= a
    b *= ax.w.reshape(shape)
    a += b
    return a


# Float64 work per slab of the separable path: small enough to stay in cache, large enough to amortise numpy calls.
_SLAB_WORK_BYTES = 4 << 20


def resample_separable(
    volume: np.ndarray,
    amap: AxisMap,
    grid_shape: tuple[int, ...],
    *,
    outside: float = AIR_HU,
    dtype=np.float32,
    chunk: int | None = None,
) -> np.ndarray:
    """Trilinear resampling onto an axis-aligned grid as three 1-D linear passes; grid points outside the volume
    get ``outside``.

    Trilinear interpolation is a product of 1-D interpolations, so interpolating along one axis at a time gives the
    values of :func:`sample_linear` for far fewer operations. The volume is read in slabs along its slowest memory
    axis (``chunk`` output planes, default: about 4 MiB of work each), in its own dtype (no converted copy of
    the volume); each slab is interpolated in float64 along rows, then planes, then within rows (memory order:
    whole rows and planes are gathered, single elements only from the smallest array), so the float32 values equal
    the general path's. Grid points outside the volume along an axis are never computed.
    """
    shape = tuple(int(n) for n in grid_shape[:3])
    view = volume.transpose(amap.axes)  # view axis g runs along grid axis g
    # Work in memory order: axis 0 the slowest (slabs of whole planes), axis 2 the fastest. The result is laid out
    # in the same order (an F-ordered NIfTI volume gives an F-ordered result, which NIfTI writes without a copy).
    order = sorted(range(3), key=lambda g: -abs(view.strides[g]))
    out_mem = np.empty([shape[g] for g in order], dtype=dtype)
    out = out_mem.transpose(np.argsort(order))
    weights = [_axis_weights(view.shape[g], amap.scale[g], amap.offset[g], shape[g]) for g in range(3)]
    if any(ax.hi == ax.lo for ax in weights):
        out.fill(outside)
        return out
    mem = view.transpose(order)
    planes, rows, cols = (weights[g] for g in order)
    for ax_index, ax in enumerate((planes, rows, cols)):  # the grid points outside the volume, once
        for part in (slice(0, ax.lo), slice(ax.hi, None)):
            index: list = [slice(None)] * 3
            index[ax_index] = part
            out_mem[tuple(index)] = outside
    if chunk is None:  # the first pass makes two float64 arrays of about this many bytes per output plane
        per_plane = 2 * 8 * (rows.hi - rows.lo) * mem.shape[2] * max(1.0, abs(amap.scale[order[0]]))
        chunk = max(1, int(_SLAB_WORK_BYTES // per_plane))
    for k0 in range(planes.lo, planes.hi, chunk):
        part = planes.part(k0, min(k0 + chunk, planes.hi))
        p0 = int(min(part.i0.min(), part.i1.min()))
        p1 = int(max(part.i0.max(), part.i1.max())) + 1
        slab = _lerp(mem[p0:p1], 1, rows)
        slab = _lerp(slab, 0, planes.part(part.lo, part.hi, shift=p0))
        slab = _lerp(slab, 2, cols).astype(np.float32)  # the general path's sampling precision
        out_mem[part.lo : part.hi, rows.lo : rows.hi, cols.lo : cols.hi] = _cast(slab, dtype)
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
