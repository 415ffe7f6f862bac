"""A DICOM series -> a 3-D voxel array and its voxel -> world (RAS+ mm) affine.

Geometry comes from the headers only, never from file names or InstanceNumber:

* the in-plane axes are the ImageOrientationPatient direction cosines (voxel axis 0 runs along a row, i.e. with
  the column index; axis 1 down the columns), scaled by PixelSpacing;
* slices are sorted by their position along the slice normal (row cosine x column cosine . ImagePositionPatient);
* the slice step is the spacing of those positions, which must be even (to 1 % of the step): a missing slice or
  a mixed series is an error naming the gap, not a silently stretched volume;
* a gantry tilt (positions stepping off the normal) is kept exactly as a sheared affine when ``allow_shear``
  (the CT: pet2rep samples it in world space onto the PET grid, which resamples it); it is an error otherwise
  (the PET grid is the picture grid);
* the DICOM patient frame is LPS; nibabel's is RAS: the affine is ``diag(-1, -1, 1, 1) @ affine_lps``.

Per-slice RescaleSlope / RescaleIntercept are applied slice by slice. Integer data whose every slice has slope 1
and an integral intercept (CT in HU) stay integers (int16 when they fit), otherwise the volume is float32.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pet2rep.errors import GeometryError, MissingDependencyError, VolumeError
from pet2rep.imaging.dicom import load_pydicom
from pet2rep.imaging.io import Volume, check_finite, nifti_image

LPS_TO_RAS = np.diag([-1.0, -1.0, 1.0, 1.0])
"""DICOM's patient frame (x to the Left, y Posterior, z Superior) -> nibabel's RAS+."""

EVEN_SPACING_RTOL = 0.01
"""Slice steps may differ from their median by this fraction of it (header rounding), no more."""

_COSINE_TOL = 1e-3
_SAME_TOL_MM = 1e-3


@dataclass(frozen=True)
class SliceGeometry:
    """The sorted slice order of a series and the voxel -> world affines it implies.

    Attributes:
        order: indices into the input sequence, sorted along the slice normal.
        affine_lps: 4x4 voxel -> DICOM patient (LPS mm).
        shape: (columns, rows, slices).
    """

    order: tuple[int, ...]
    affine_lps: np.ndarray
    shape: tuple[int, int, int]

    @property
    def affine(self) -> np.ndarray:
        """voxel -> RAS+ mm (nibabel's convention)."""
        return LPS_TO_RAS @ self.affine_lps


def _tuple(value, n: int, name: str, where: str) -> np.ndarray:
    try:
        out = np.asarray([float(v) for v in value], dtype=np.float64)
    except (TypeError, ValueError):
        out = np.asarray([])
    if out.shape != (n,) or not np.all(np.isfinite(out)):
        raise GeometryError(f"{where}: {name} must hold {n} numbers, got {value!r}")
    return out


def slice_geometry(datasets: Sequence, *, where: str = "", allow_shear: bool = False) -> SliceGeometry:
    """Sort the slices of a series along its normal and build the affine (see the module docstring).

    Args:
        datasets: one pydicom dataset (or any object with the same attributes) per slice, any order.
        where: names the series in messages.
        allow_shear: keep a gantry tilt as a sheared affine instead of raising.

    Raises:
        GeometryError: fewer than 2 slices, missing or inconsistent orientation / spacing / size, two slices at
            one position, uneven slice steps, or a tilt when ``allow_shear`` is False.
    """
    n = len(datasets)
    if n < 2:
        raise GeometryError(f"{where}: {n} slice(s); a volume needs at least 2 slices along the normal")
    first = datasets[0]
    for name in ("ImageOrientationPatient", "ImagePositionPatient", "PixelSpacing"):
        missing = [i for i, ds in enumerate(datasets) if ds.get(name) in (None, "")]
        if missing:
            raise GeometryError(f"{where}: {name} is missing in {len(missing)} of {n} slices")
    iop = _tuple(first.ImageOrientationPatient, 6, "ImageOrientationPatient", where)
    spacing = _tuple(first.PixelSpacing, 2, "PixelSpacing", where)
    rows, cols = int(first.Rows), int(first.Columns)
    for ds in datasets[1:]:
        if int(ds.Rows) != rows or int(ds.Columns) != cols:
            raise GeometryError(f"{where}: slices of {rows}x{cols} and {int(ds.Rows)}x{int(ds.Columns)} pixels mixed")
        if np.max(np.abs(_tuple(ds.ImageOrientationPatient, 6, "ImageOrientationPatient", where) - iop)) > _COSINE_TOL:
            raise GeometryError(
                f"{where}: ImageOrientationPatient differs between slices ({list(iop)} and "
                f"{list(ds.ImageOrientationPatient)}); expected one orientation (a localizer mixed in?)"
            )
        if np.max(np.abs(_tuple(ds.PixelSpacing, 2, "PixelSpacing", where) - spacing)) > _SAME_TOL_MM:
            raise GeometryError(f"{where}: PixelSpacing differs between slices ({list(spacing)}, {ds.PixelSpacing})")
    if np.any(spacing <= 0):
        raise GeometryError(f"{where}: PixelSpacing must be > 0, got {list(spacing)}")
    row_cos, col_cos = iop[:3], iop[3:]
    if abs(np.linalg.norm(row_cos) - 1) > _COSINE_TOL or abs(np.linalg.norm(col_cos) - 1) > _COSINE_TOL:
        raise GeometryError(f"{where}: ImageOrientationPatient {list(iop)} is not two unit vectors")
    if abs(float(row_cos @ col_cos)) > _COSINE_TOL:
        raise GeometryError(f"{where}: ImageOrientationPatient {list(iop)} is not two orthogonal vectors")
    row_cos = row_cos / np.linalg.norm(row_cos)
    col_cos = col_cos / np.linalg.norm(col_cos)
    normal = np.cross(row_cos, col_cos)
    positions = np.stack([_tuple(ds.ImagePositionPatient, 3, "ImagePositionPatient", where) for ds in datasets])
    dist = positions @ normal
    order = np.argsort(dist, kind="stable")
    dist, positions = dist[order], positions[order]
    steps = np.diff(dist)
    if np.any(steps < _SAME_TOL_MM):
        k = int(np.argmax(steps < _SAME_TOL_MM))
        raise GeometryError(
            f"{where}: two slices at the same position ({dist[k]:.3f} mm along the normal); expected one slice per "
            "position (several time frames or duplicated files in one series?)"
        )
    step = float(np.median(steps))
    bad = np.flatnonzero(np.abs(steps - step) > EVEN_SPACING_RTOL * step)
    if bad.size:
        k = int(bad[0])
        raise GeometryError(
            f"{where}: uneven slice spacing: steps of {steps.min():.4g} to {steps.max():.4g} mm (median {step:.4g}); "
            f"the first odd step is {steps[k]:.4g} mm between {dist[k]:.2f} and {dist[k + 1]:.2f} mm along the "
            "normal (a missing slice?); expected evenly spaced slices"
        )
    # The mean step between first and last slice: exact for a tilt, equal to normal * step otherwise.
    slice_vec = (positions[-1] - positions[0]) / (n - 1)
    off_normal = np.linalg.norm(slice_vec - normal * (slice_vec @ normal))
    if off_normal > EVEN_SPACING_RTOL * step:
        if not allow_shear:
            raise GeometryError(
                f"{where}: slices step {off_normal:.3g} mm sideways per {step:.4g} mm along the normal (gantry tilt); "
                "expected slices stacked along the normal"
            )
    else:
        slice_vec = normal * step
    affine = np.eye(4)
    affine[:3, 0] = row_cos * spacing[1]  # along a row: the column index, PixelSpacing[1] apart
    affine[:3, 1] = col_cos * spacing[0]  # down a column: the row index, PixelSpacing[0] apart
    affine[:3, 2] = slice_vec
    affine[:3, 3] = positions[0]
    return SliceGeometry(tuple(int(i) for i in order), affine, (cols, rows, n))


def _rescale(ds) -> tuple[float, float]:
    slope = ds.get("RescaleSlope")
    inter = ds.get("RescaleIntercept")
    slope = 1.0 if slope in (None, "") else float(slope)
    inter = 0.0 if inter in (None, "") else float(inter)
    return slope, inter


_NATIVE_LITTLE_ENDIAN = ("1.2.840.10008.1.2", "1.2.840.10008.1.2.1")  # Implicit / Explicit VR Little Endian


def _native_pixels(ds) -> np.ndarray | None:
    """The stored values of an uncompressed little-endian single-frame grey-level image, read straight from the
    pixel bytes (pydicom's ``pixel_array`` does the same with more checks and a copy); None for anything else."""
    try:
        if str(ds.file_meta.TransferSyntaxUID) not in _NATIVE_LITTLE_ENDIAN:
            return None
        bits, stored_bits = int(ds.BitsAllocated), int(ds.BitsStored)
        signed = int(ds.PixelRepresentation) == 1
        if int(ds.get("SamplesPerPixel") or 1) != 1 or int(ds.get("NumberOfFrames") or 1) != 1:
            return None
        if bits not in (8, 16, 32) or not 0 < stored_bits <= bits:
            return None
        rows, cols = int(ds.Rows), int(ds.Columns)
        raw = ds.PixelData
    except (AttributeError, KeyError, TypeError, ValueError):
        return None
    dtype = np.dtype(f"<{'i' if signed else 'u'}{bits // 8}")
    if not isinstance(raw, bytes) or len(raw) < rows * cols * dtype.itemsize:
        return None  # truncated: pydicom's decoder names the problem
    arr = np.frombuffer(raw, dtype=dtype, count=rows * cols).reshape(rows, cols)
    if stored_bits < bits:  # bits above BitsStored carry nothing: mask (unsigned) or sign-extend (signed)
        shift = bits - stored_bits
        arr = (arr << shift) >> shift if signed else arr & ((1 << stored_bits) - 1)
    return arr


def _pixels(ds, path: Path, where: str) -> np.ndarray:
    native = _native_pixels(ds)
    if native is not None:
        return native
    pixels = load_pydicom().pixels
    ts = str(ds.file_meta.TransferSyntaxUID)
    try:
        decoder = pixels.get_decoder(ts)
    except NotImplementedError as e:
        raise VolumeError(f"{where}: {path.name}: transfer syntax {ts} cannot be decoded by pydicom ({e})") from e
    if not decoder.is_available:
        raise MissingDependencyError(
            f"{where}: {path.name}: transfer syntax {ts} ({ts_name(ts)}) needs a pydicom decoding plugin: "
            f"{'; '.join(decoder.missing_dependencies)}"
        )
    try:
        arr = ds.pixel_array
    except Exception as e:  # pydicom raises several types on truncated or corrupt pixel data; the file is named
        raise VolumeError(
            f"{where}: {path.name}: pixel data are truncated or corrupt ({type(e).__name__}: {e})"
        ) from e
    if arr.ndim != 2:
        raise VolumeError(
            f"{where}: {path.name}: pixel array of shape {arr.shape}; expected one grey-level frame per file "
            "(multi-frame and colour images are not supported)"
        )
    return arr


def ts_name(uid: str) -> str:
    """The name of a transfer syntax UID (the UID itself when pydicom does not know it)."""
    from pydicom.uid import UID

    name = UID(uid).name
    return name or uid


def read_series(
    paths: Sequence[str | Path],
    *,
    where: str = "",
    allow_shear: bool = False,
    float32: bool = False,
    timings: dict[str, float] | None = None,
) -> Volume:
    """Read a series of single-frame DICOM files as one volume (voxel axes: column, row, slice).

    Args:
        paths: the series' files, any order.
        where: names the series in messages.
        allow_shear: accept a gantry tilt (sheared affine), see :func:`slice_geometry`.
        float32: always return float32 (PET).
        timings: if given, seconds are added under ``"parse"`` (reading and parsing the files), ``"pixels"``
            (decoding the stored values into one buffer: a copy of the bytes when uncompressed), ``"geometry"`` and
            ``"stack"`` (slices put in order and rescaled, in place when the types allow).

    Returns:
        A :class:`pet2rep.imaging.io.Volume` (RAS+ affine; ``path`` is the first file in slice order).

    Raises:
        GeometryError: see :func:`slice_geometry`.
        VolumeError: unreadable or corrupt files, non-finite rescale values.
        MissingDependencyError: pydicom, or the plugin a compressed transfer syntax needs, is not installed.
    """
    pydicom = load_pydicom()
    clock = timings if timings is not None else {}
    t = time.perf_counter()

    def tick(key: str) -> None:
        nonlocal t
        now = time.perf_counter()
        clock[key] = clock.get(key, 0.0) + now - t
        t = now

    paths = [Path(p) for p in paths]
    n = len(paths)
    if n < 2:
        raise GeometryError(f"{where}: {n} slice(s); a volume needs at least 2 slices along the normal")
    # One pass over the files: each slice's stored values go straight into one (slice, row, column) buffer in file
    # order and the pixel bytes are dropped, so the files are never all held in memory beside the volume.
    headers = []
    raw: np.ndarray | None = None
    for i, path in enumerate(paths):
        try:
            ds = pydicom.dcmread(str(path))
        except Exception as e:  # pydicom raises many types on malformed input; the file is named, the cause chained
            raise VolumeError(f"{where}: {path.name}: not a readable DICOM file ({type(e).__name__}: {e})") from e
        tick("parse")
        arr = _pixels(ds, path, where)
        if raw is None:
            raw = np.empty((n, *arr.shape), dtype=arr.dtype)
        elif arr.shape != raw.shape[1:]:
            raise GeometryError(
                f"{where}: slices of {raw.shape[1]}x{raw.shape[2]} and {arr.shape[0]}x{arr.shape[1]} pixels mixed"
            )
        elif arr.dtype != raw.dtype:
            raw = raw.astype(np.result_type(raw.dtype, arr.dtype))
        raw[i] = arr
        del arr, ds.PixelData
        headers.append(ds)
        tick("pixels")
    assert raw is not None  # n >= 2
    geo = slice_geometry(headers, where=where, allow_shear=allow_shear)
    rescale = [_rescale(ds) for ds in headers]
    if not all(np.isfinite(s) and np.isfinite(i) and s != 0 for s, i in rescale):
        raise VolumeError(f"{where}: RescaleSlope / RescaleIntercept must be finite with a non-zero slope")
    rescale = [rescale[i] for i in geo.order]
    tick("geometry")
    _permute_slices(raw, geo.order)
    data = _rescaled(raw, rescale, float32=float32)
    del raw
    volume = data.transpose(2, 1, 0)  # (column, row, slice): Fortran order, as NIfTI stores voxels
    if volume.dtype == np.float32:
        check_finite(volume, where)
    tick("stack")
    return Volume(data=volume, affine=geo.affine, path=paths[geo.order[0]])


def _permute_slices(raw: np.ndarray, order: Sequence[int]) -> None:
    """``raw[k] = raw[order[k]]`` for every k, in place (one spare slice; cycle by cycle)."""
    done = np.zeros(len(order), dtype=bool)
    spare = np.empty_like(raw[0])
    for start in range(len(order)):
        if done[start] or order[start] == start:
            done[start] = True
            continue
        spare[...] = raw[start]
        k = start
        while True:
            done[k] = True
            src = order[k]
            if src == start:
                raw[k] = spare
                break
            raw[k] = raw[src]
            k = src


def _rescaled(raw: np.ndarray, rescale: Sequence[tuple[float, float]], *, float32: bool) -> np.ndarray:
    """Stored values (slice, row, column) -> modality values, slice by slice; in place when the type allows.

    Integers with slope 1 and integral intercepts stay integers (int16 when every value fits, else int32);
    anything else is float32 (``stored * float32(slope) + float32(intercept)``).
    """
    integral = raw.dtype.kind in "iu" and all(s == 1.0 and float(i).is_integer() for s, i in rescale)
    if integral and not float32:
        lo = min(int(raw[k].min()) + int(i) for k, (_, i) in enumerate(rescale))
        hi = max(int(raw[k].max()) + int(i) for k, (_, i) in enumerate(rescale))
        dtype = np.dtype(np.int16) if lo >= -(2**15) and hi < 2**15 else np.dtype(np.int32)
        if dtype == raw.dtype and all(i == 0 for _, i in rescale):
            return raw
        # Same item size: in place. Modular arithmetic in the output type is exact: every result fits in it.
        out = raw.view(dtype) if dtype.itemsize == raw.dtype.itemsize else np.empty(raw.shape, dtype=dtype)
        for k, (_, inter) in enumerate(rescale):
            np.add(raw[k], int(inter), out=out[k], dtype=dtype, casting="unsafe")
        return out
    out = np.empty(raw.shape, dtype=np.float32)
    for k, (slope, inter) in enumerate(rescale):
        np.multiply(raw[k], np.float32(slope), out=out[k], dtype=np.float32, casting="unsafe")
        if inter != 0.0:
            out[k] += np.float32(inter)
    return out


def read_series_image(paths: Sequence[str | Path], **kwargs):
    """:func:`read_series` as a ``nibabel.Nifti1Image`` (RAS+ affine, dtype kept)."""
    vol = read_series(paths, **kwargs)
    return nifti_image(vol.data, vol.affine)
