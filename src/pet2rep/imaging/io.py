"""Reading and writing NIfTI volumes: the only module that touches nibabel IO (text files: :mod:`pet2rep.files`).

Loading is strict and memory-aware: voxel data are read in their stored dtype (an ``int16`` CT stays
``int16``), scaling is applied in ``float32`` when a header asks for it, and never is a ``float64`` copy of a
whole volume made. Every failure names the case and the file.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from pathlib import Path

import nibabel as nib
import numpy as np

from pet2rep.errors import MissingFileError, VolumeError
from pet2rep.imaging.geometry import spacing_mm

try:  # ISA-L's inflate decodes gzip about twice as fast as zlib; gzip decoding dominates loading a volume
    from isal import igzip as _igzip
    from isal import isal_zlib as _isal_zlib

    _ISAL_ERRORS: tuple[type[BaseException], ...] = (_isal_zlib.error,)
except ImportError:  # pragma: no cover - isal is a core dependency; the stdlib path stays correct without it
    _igzip = None
    _ISAL_ERRORS = ()

# Errors nibabel, gzip, zlib and ISA-L raise on unreadable, corrupt or truncated files.
_READ_ERRORS = (nib.filebasedimages.ImageFileError, OSError, EOFError, zlib.error, ValueError, *_ISAL_ERRORS)
_CHUNK_BYTES = 16 << 20


@dataclass
class Volume:
    """Voxel data with its voxel-to-world (RAS+ mm) affine.

    Attributes:
        data: 3-D array in the stored orientation (not reoriented).
        affine: 4x4 float64 voxel -> world matrix.
        path: the file it came from.
    """

    data: np.ndarray
    affine: np.ndarray
    path: Path

    @property
    def shape(self) -> tuple[int, int, int]:
        return tuple(int(n) for n in self.data.shape)  # type: ignore[return-value]

    @property
    def spacing_mm(self) -> np.ndarray:
        """Voxel size along each voxel axis in mm (column norms of the affine)."""
        return spacing_mm(self.affine)

    @property
    def nbytes(self) -> int:
        return int(self.data.nbytes)


def _where(case_id: str | None, path: Path) -> str:
    return f"case {case_id!r}: {path.name}" if case_id else str(path)


def load_image(path: str | Path, *, case_id: str | None = None) -> nib.Nifti1Image:
    """Open a NIfTI file and check its header (no voxel data are decoded).

    Args:
        path: ``.nii`` or ``.nii.gz`` file.
        case_id: named in error messages.

    Returns:
        The nibabel image (data still on disk behind its array proxy).

    Raises:
        MissingFileError: the file is not there.
        VolumeError: unreadable header, not 3-D, or a singular / non-finite affine.
    """
    path = Path(path)
    where = _where(case_id, path)
    if not path.is_file():
        raise MissingFileError(f"{where}: file not found ({path})")
    try:
        img = nib.load(str(path))
    except _READ_ERRORS as e:
        raise VolumeError(f"{where}: cannot read the NIfTI header ({type(e).__name__}: {e})") from e
    if not isinstance(img, (nib.Nifti1Image, nib.Nifti2Image)):
        raise VolumeError(f"{where}: expected a NIfTI image, got {type(img).__name__}")
    shape = tuple(int(n) for n in img.shape)
    # A trailing singleton axis (x, y, z, 1) is a 3-D volume written as 4-D; anything else is not.
    core = shape[:3] if len(shape) > 3 and all(n == 1 for n in shape[3:]) else shape
    if len(core) != 3:
        raise VolumeError(f"{where}: volume is {len(shape)}-D {shape}; expected a 3-D volume")
    if min(core) < 1:
        raise VolumeError(f"{where}: volume has an empty axis {shape}")
    affine = img.affine
    if affine is None or not np.all(np.isfinite(affine)) or abs(np.linalg.det(affine[:3, :3])) < 1e-12:
        raise VolumeError(f"{where}: voxel-to-world affine is missing, non-finite or singular: {affine!r}")
    return img


def read_voxels(img: nib.Nifti1Image, path: str | Path, *, case_id: str | None = None, float32: bool = False):
    """Decode the voxel data of an image opened with :func:`load_image`.

    Integer data without header scaling keep their stored dtype; scaled or floating data come back as
    ``float32`` (scaling applied in ``float32``: no ``float64`` copy of the volume).

    Args:
        img: the image.
        path: its file (for messages).
        case_id: named in error messages.
        float32: always return ``float32`` (e.g. PET).

    Returns:
        A 3-D numpy array.

    Raises:
        VolumeError: truncated or corrupt data, or non-finite voxels.
    """
    path = Path(path)
    where = _where(case_id, path)
    proxy = img.dataobj
    if nib.is_proxy(proxy):  # before any voxel is read: a header may claim terabytes
        from pet2rep.imaging.voxel_budget import check_voxel_budget

        scaled = (float(getattr(proxy, "slope", 1.0)), float(getattr(proxy, "inter", 0.0))) != (1.0, 0.0)
        check_voxel_budget(
            tuple(proxy.shape),
            np.dtype(proxy.dtype),
            file_bytes=path.stat().st_size,
            offset=int(getattr(proxy, "offset", 0)),
            compressed=path.name.lower().endswith(".gz"),
            where=where,
            out_itemsize=4 if float32 or scaled else None,
        )
    try:
        if nib.is_proxy(proxy):
            raw = _read_gzip_payload(proxy, path, where) if _fast_path(proxy, path) else proxy.get_unscaled()
            slope = float(getattr(proxy, "slope", 1.0))
            inter = float(getattr(proxy, "inter", 0.0))
        else:  # an in-memory image
            raw, slope, inter = np.asanyarray(proxy), 1.0, 0.0
    except MemoryError:
        raise
    except _READ_ERRORS as e:
        raise VolumeError(f"{where}: voxel data are truncated or corrupt ({type(e).__name__}: {e})") from e
    raw = np.asarray(raw)
    if not raw.dtype.isnative:
        raw = raw.astype(raw.dtype.newbyteorder("="))
    if raw.ndim > 3:
        raw = raw.reshape(raw.shape[:3], order="A")
    if not (np.isfinite(slope) and np.isfinite(inter)):
        raise VolumeError(f"{where}: header scaling is not finite (scl_slope={slope}, scl_inter={inter})")
    scaled = (slope, inter) != (1.0, 0.0)
    if raw.dtype.kind in "iu" and not scaled and not float32:
        return raw
    if raw.dtype == np.float32 and not scaled:
        data = raw
    else:
        data = raw.astype(np.float32)
        del raw
        if slope != 1.0:
            data *= np.float32(slope)
        if inter != 0.0:
            data += np.float32(inter)
    check_finite(data, where)
    return data


def _fast_path(proxy, path: Path) -> bool:
    return (
        _igzip is not None
        and path.name.lower().endswith(".gz")
        and isinstance(proxy, nib.arrayproxy.ArrayProxy)
        and proxy.order in ("F", "C")
    )


def _read_gzip_payload(proxy, path: Path, where: str) -> np.ndarray:
    """The stored (unscaled) voxel array of a ``.nii.gz`` decoded with ISA-L into one preallocated buffer.

    Reads to the end of the stream so the gzip CRC is checked: a corrupt file is an error, not odd voxels.
    """
    shape = tuple(int(n) for n in proxy.shape)
    dtype = np.dtype(proxy.dtype)
    nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    buf = np.empty(nbytes, dtype=np.uint8)  # not bytearray(): that zero-fills 200 MB for nothing
    view = memoryview(buf)
    with _igzip.open(path, "rb") as f:
        skip = int(proxy.offset)
        while skip > 0:
            got = len(f.read(min(skip, _CHUNK_BYTES)))
            if got == 0:
                raise EOFError(f"file ends inside the header ({proxy.offset - skip} of {proxy.offset} bytes)")
            skip -= got
        pos = 0
        while pos < nbytes:  # chunked: no second full-size temporary
            got = f.readinto(view[pos : pos + _CHUNK_BYTES])
            if not got:
                raise EOFError(f"expected {nbytes} bytes of voxel data, the file holds {pos}")
            pos += got
        while f.read(1 << 16):  # drain to the end (normally nothing left): verifies the CRC of the stream
            pass
    return np.ndarray(shape, dtype=dtype, buffer=buf, order=proxy.order)


def check_finite(data: np.ndarray, where: str) -> None:
    """Raise :class:`VolumeError` when a floating array holds NaN or infinite voxels."""
    if data.dtype.kind != "f":
        return
    # A float64 accumulator over the whole array is one pass and no copy; NaN/inf propagate into the sum.
    if np.isfinite(np.add.reduce(data, axis=None, dtype=np.float64)):
        return
    bad = int(data.size - np.count_nonzero(np.isfinite(data)))
    if bad:
        raise VolumeError(f"{where}: {bad} voxel(s) are NaN or infinite; expected finite values")


def load_volume(path: str | Path, *, case_id: str | None = None, float32: bool = False) -> Volume:
    """Load one volume: header checks (:func:`load_image`) then voxel data (:func:`read_voxels`)."""
    img = load_image(path, case_id=case_id)
    data = read_voxels(img, path, case_id=case_id, float32=float32)
    return Volume(data=data, affine=np.asarray(img.affine, dtype=np.float64), path=Path(path))


def nifti_image(data: np.ndarray, affine: np.ndarray) -> nib.Nifti1Image:
    """A NIfTI-1 image of ``data`` (dtype kept) with sform and qform set to ``affine`` (code 1) and mm units."""
    img = nib.Nifti1Image(np.asarray(data), np.asarray(affine, dtype=np.float64))
    img.header.set_xyzt_units("mm", "sec")
    img.set_qform(img.affine, code=1)
    img.set_sform(img.affine, code=1)
    return img


def save_volume(data: np.ndarray, affine: np.ndarray, path: str | Path) -> Path:
    """Write a NIfTI-1 file (:func:`nifti_image`); ``.nii.gz`` output is byte-identical for identical input."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # nibabel writes gzip through DeterministicGzipFile (mtime 0, no file name): reproducible bytes.
    nib.save(nifti_image(data, affine), str(path))
    return path
