"""Lesion segmentation masks as case inputs, sampled onto the PET grid.

Where a case's mask is found (first match wins):

* ``masks_dir/<case_id>.nii.gz`` (or ``.nii``) when a masks folder is given (``--masks DIR``: the output of any
  segmentation tool, e.g. SegAnyPET or an nnU-Net prediction folder);
* ``generic`` layout: ``seg.nii.gz`` in the case folder (the synthetic cohort writes one);
* ``autopet`` layout: ``SEG.nii.gz`` in the study folder (autoPET's manual lesion mask);
* ``nnunet`` layout: ``labels/<id>.nii.gz`` (also ``labelsTr/`` and ``labelsTs/``).

A mask may be on any grid and in any orientation: it is sampled nearest-neighbour onto the PET grid in world
coordinates (:func:`mask_on_grid`). Every non-zero label counts as lesion (a multi-label mask is merged into one
binary mask). Problems are per-case errors: a mask with non-integer values (:class:`VolumeError`), or a mask whose
field of view does not cover the PET's (:class:`GeometryError`, also when they do not overlap at all).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy import ndimage

from pet2rep.errors import GeometryError, MissingFileError, VolumeError
from pet2rep.imaging.case import Case
from pet2rep.imaging.cases import find_nifti
from pet2rep.imaging.geometry import apply_affine, grid_to_volume, spacing_mm
from pet2rep.imaging.io import load_volume

_NNUNET_LABEL_DIRS = ("labels", "labelsTr", "labelsTs")
#: File stems of the mask inside a case folder, per layout.
MASK_STEMS = {"generic": "seg", "autopet": "SEG"}


def find_mask(case: Case, masks_dir: str | Path | None = None) -> Path | None:
    """The lesion mask of a case, or None when it has none (see the module docstring for where it is looked for).

    Raises:
        MissingFileError: ``masks_dir`` is given but is not a folder.
    """
    if masks_dir is not None:
        folder = Path(masks_dir)
        if not folder.is_dir():
            raise MissingFileError(f"masks folder not found: {folder} (expected a folder of <case_id>.nii.gz)")
        found = find_nifti(folder, case.case_id)
        if found is not None:
            return found
    if case.layout in MASK_STEMS and case.dicom is None:
        return find_nifti(case.root, MASK_STEMS[case.layout])
    if case.layout == "nnunet":
        for sub in _NNUNET_LABEL_DIRS:
            found = find_nifti(case.root / sub, case.case_id)
            if found is not None:
                return found
    return None


def _corners(shape: tuple[int, ...]) -> np.ndarray:
    hi = np.asarray(shape[:3], dtype=np.float64) - 1.0
    return np.array([[c[0] * hi[0], c[1] * hi[1], c[2] * hi[2]] for c in np.ndindex(2, 2, 2)]).T


def _extent(affine: np.ndarray, shape: tuple[int, ...]) -> str:
    pts = apply_affine(affine, _corners(shape))
    return " x ".join(f"[{a:.0f}, {b:.0f}]" for a, b in zip(pts.min(axis=1), pts.max(axis=1), strict=True))


def check_mask_field_of_view(
    mask_affine: np.ndarray,
    mask_shape: tuple[int, ...],
    grid_affine: np.ndarray,
    grid_shape: tuple[int, ...],
    *,
    where: str = "",
) -> None:
    """Raise unless the mask's field of view covers the grid's.

    Every outer voxel centre of the grid must lie inside the mask's outer voxel boundaries, with a slack of half a
    grid voxel (two grids of different voxel sizes that cover the same body do not end at the same centres).

    Raises:
        GeometryError: the two fields of view do not overlap, or the mask covers only part of the grid.
    """
    m = grid_to_volume(mask_affine, grid_affine)
    corners = apply_affine(m, _corners(grid_shape))
    # Half a grid voxel, in mask voxels along each mask axis.
    slack = 0.5 * np.abs(m[:3, :3]).max(axis=1) + 1e-3
    n = np.asarray(mask_shape[:3], dtype=np.float64)[:, None]
    lo, hi = -0.5 - slack[:, None], n - 0.5 + slack[:, None]
    prefix = f"{where}: " if where else ""
    spans = f"the mask spans {_extent(mask_affine, mask_shape)} mm, the PET {_extent(grid_affine, grid_shape)} mm"
    inside = (corners >= lo) & (corners <= hi)
    if not inside.all():
        c_lo, c_hi = corners.min(axis=1), corners.max(axis=1)
        if np.any(c_hi < lo[:, 0]) or np.any(c_lo > hi[:, 0]):
            raise GeometryError(f"{prefix}the lesion mask does not overlap the PET in world space: {spans}")
        raise GeometryError(
            f"{prefix}the lesion mask has a different field of view from the PET (it must cover the whole PET): "
            f"{spans}"
        )


def binary_mask(data: np.ndarray, *, where: str = "") -> np.ndarray:
    """Voxel labels -> bool lesion mask (every non-zero label is lesion).

    Raises:
        VolumeError: non-integer values (a probability map or a resampled soft mask), or negative labels.
    """
    prefix = f"{where}: " if where else ""
    if not np.issubdtype(data.dtype, np.integer) and not np.issubdtype(data.dtype, np.bool_):
        frac = data[np.isfinite(data)] if data.size else data
        if frac.size != data.size or not np.array_equal(frac, np.round(frac)):
            raise VolumeError(
                f"{prefix}the lesion mask must hold integer labels (0 = background, any other = lesion), "
                f"got non-integer values of dtype {data.dtype} (a probability map? threshold it first)"
            )
    if data.size and data.min() < 0:
        raise VolumeError(f"{prefix}the lesion mask must hold labels >= 0, got minimum {data.min()!r}")
    return data != 0


def mask_on_grid(
    mask: np.ndarray,
    mask_affine: np.ndarray,
    grid_affine: np.ndarray,
    grid_shape: tuple[int, ...],
    *,
    where: str = "",
) -> np.ndarray:
    """A label volume sampled nearest-neighbour onto another grid (e.g. the RAS+ PET grid), as a bool mask.

    Each grid voxel takes the label of the mask voxel nearest to its centre in world space; grid voxels outside
    the mask are background.

    Raises:
        VolumeError: non-integer or negative labels.
        GeometryError: the mask's field of view does not cover the grid's.
    """
    lesion = binary_mask(np.asarray(mask), where=where)
    shape = tuple(int(n) for n in grid_shape[:3])
    check_mask_field_of_view(mask_affine, lesion.shape, grid_affine, shape, where=where)
    m = grid_to_volume(mask_affine, grid_affine)
    out = ndimage.affine_transform(
        lesion.view(np.uint8), m[:3, :3], offset=m[:3, 3], output_shape=shape, order=0, mode="constant", cval=0
    )
    return out.astype(bool)


def load_mask(
    case: Case,
    grid_affine: np.ndarray,
    grid_shape: tuple[int, ...],
    masks_dir: str | Path | None = None,
    *,
    path: Path | None = None,
) -> np.ndarray | None:
    """The case's lesion mask on a grid (bool), or None when the case has no mask.

    Args:
        case: the case.
        grid_affine, grid_shape: the grid (e.g. the RAS+ PET grid of :class:`~pet2rep.imaging.render.CaseVolumes`).
        masks_dir: a folder of ``<case_id>.nii.gz`` masks looked in first.
        path: the mask file, when already found (:func:`find_mask`).

    Raises:
        MissingFileError, VolumeError, GeometryError: an unreadable mask, non-integer labels, a field of view that
            does not cover the grid.
    """
    path = path or find_mask(case, masks_dir)
    if path is None:
        return None
    where = f"case {case.case_id!r}: {path.name}"
    vol = load_volume(path, case_id=case.case_id)
    return mask_on_grid(vol.data, vol.affine, grid_affine, grid_shape, where=where)


def voxel_volume_ml(affine: np.ndarray) -> float:
    """Volume of one voxel of a grid in mL."""
    return float(np.prod(spacing_mm(affine))) / 1000.0
