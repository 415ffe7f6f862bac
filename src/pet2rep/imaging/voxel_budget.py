"""How much memory a NIfTI header may ask for before any voxel is read.

A header is 348 bytes anyone can write: one that claims 30000³ float32 voxels made a run try to allocate 98 TiB
and die. :func:`check_voxel_budget` refuses such a case with a clear message, from the header alone: more than
:data:`MAX_VOLUME_BYTES` in memory, or more voxel bytes than a gzip file can hold (deflate expands at most
:data:`MAX_DEFLATE_RATIO`:1).
"""

from __future__ import annotations

import numpy as np

from pet2rep.errors import VolumeError

#: The most one decoded volume may take in memory: 4 GiB (a whole-body CT of 512 x 512 x 2000 int16 is 1 GiB).
MAX_VOLUME_BYTES = 4 * 2**30
#: zlib's largest possible expansion (deflate stores at most 258 bytes in 2 bits: about 1032:1).
MAX_DEFLATE_RATIO = 1032


def _gib(n: int) -> str:
    return f"{n / 2**30:,.1f} GiB"


def check_voxel_budget(
    shape: tuple[int, ...],
    dtype: np.dtype,
    *,
    file_bytes: int,
    offset: int,
    compressed: bool,
    where: str,
    out_itemsize: int | None = None,
    max_bytes: int = MAX_VOLUME_BYTES,
) -> None:
    """Raise :class:`~pet2rep.errors.VolumeError` when a header asks for more voxel bytes than allowed or possible.

    Args:
        shape, dtype: the header's data shape and stored dtype.
        file_bytes: the size of the file on disk.
        offset: where the voxel data start in the (decompressed) file (``vox_offset``).
        compressed: a gzip file (``.nii.gz``).
        where: names the case and file in the message.
        out_itemsize: bytes per voxel once decoded (e.g. 4 when int16 is scaled to float32); default the stored size.
        max_bytes: the memory bound.
    """
    voxels = int(np.prod([int(n) for n in shape], dtype=object))  # Python ints: no overflow for absurd shapes
    stored = voxels * np.dtype(dtype).itemsize
    decoded = voxels * max(np.dtype(dtype).itemsize, out_itemsize or 0)
    claim = f"the header claims {' x '.join(str(int(n)) for n in shape)} voxels of {np.dtype(dtype)}"
    if decoded > max_bytes:
        raise VolumeError(
            f"{where}: {claim} ({_gib(decoded)} in memory); at most {_gib(max_bytes)} per volume is read"
        )
    # An uncompressed file is mapped, not read ahead: a short one is reported as truncated when it is read.
    possible = file_bytes * MAX_DEFLATE_RATIO - offset
    if compressed and stored > possible:
        raise VolumeError(
            f"{where}: {claim} ({stored:,} bytes) but the {file_bytes:,}-byte gzip file can hold at most "
            f"{max(possible, 0):,} once decompressed; the header or the file is wrong"
        )
