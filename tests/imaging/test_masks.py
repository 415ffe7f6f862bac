"""Lesion masks as case inputs: where they are found, and how they land on the PET grid."""

from __future__ import annotations

import json

import numpy as np
import pytest

from pet2rep.errors import GeometryError, MissingFileError, VolumeError
from pet2rep.imaging.cases import discover_cases
from pet2rep.imaging.masks import find_mask, load_mask, mask_on_grid
from pet2rep.imaging.render import load_case_volumes


def _pet_grid():
    affine = np.diag([4.0, 4.0, 4.0, 1.0])
    affine[:3, 3] = (-39.0, -35.0, -49.0)
    return affine, (20, 18, 25)


def _blob_mask():
    """A mask on the PET grid itself: two labelled blocks (labels 1 and 3) at known voxels."""
    m = np.zeros((20, 18, 25), dtype=np.uint8)
    m[2:5, 3:6, 4:9] = 1
    m[12:14, 10:11, 18:20] = 3
    return m


@pytest.mark.parametrize(
    ("flips", "perm"),
    [((False, False, False), (0, 1, 2)), ((True, False, True), (2, 0, 1)), ((False, True, True), (1, 2, 0))],
)
def test_mask_on_a_permuted_flipped_grid_lands_on_the_same_pet_voxels(imaging, flips, perm):
    affine, shape = _pet_grid()
    mask = _blob_mask()
    stored, stored_aff = imaging.reoriented(mask, affine, flips=flips, perm=perm)
    assert not np.array_equal(stored.shape, mask.shape) or perm == (0, 1, 2)
    out = mask_on_grid(stored, stored_aff, affine, shape)
    assert out.dtype == bool
    np.testing.assert_array_equal(out, mask != 0)


def test_mask_on_a_finer_flipped_grid_is_sampled_nearest_neighbour(imaging):
    affine, shape = _pet_grid()
    # A 2 mm grid over the same field of view (corner voxel centres 1 mm inside the PET's outer boundary).
    fine_aff = np.diag([2.0, 2.0, 2.0, 1.0])
    fine_aff[:3, 3] = affine[:3, 3] - 1.0
    fine = np.zeros((40, 36, 50), dtype=np.int16)
    # PET voxel (5, 7, 9) spans fine voxels 10..11, 14..15, 18..19; mark only the fine voxel nearest its centre
    # on the upper side of each axis (world centre of PET voxel = fine index 10.5 -> ties go to one neighbour)
    fine[10:12, 14:16, 18:20] = 2
    stored, stored_aff = imaging.reoriented(fine, fine_aff, flips=(True, True, False), perm=(1, 0, 2))
    out = mask_on_grid(stored, stored_aff, affine, shape)
    assert np.argwhere(out).tolist() == [[5, 7, 9]]


def test_bad_masks_are_clear_errors():
    affine, shape = _pet_grid()
    soft = _blob_mask().astype(np.float32) * 0.7
    with pytest.raises(
        VolumeError, match=r"case 'x': the lesion mask must hold integer labels .*non-integer values of dtype float32"
    ):
        mask_on_grid(soft, affine, affine, shape, where="case 'x'")
    with pytest.raises(VolumeError, match="labels >= 0"):
        mask_on_grid(-_blob_mask().astype(np.int16), affine, affine, shape)
    # integer-valued floats are fine (a mask saved as float32)
    assert mask_on_grid(_blob_mask().astype(np.float32), affine, affine, shape).sum() == (_blob_mask() > 0).sum()
    far = affine.copy()
    far[:3, 3] += 1000.0
    with pytest.raises(GeometryError, match="does not overlap the PET in world space"):
        mask_on_grid(_blob_mask(), far, affine, shape)
    with pytest.raises(GeometryError, match="different field of view"):
        mask_on_grid(_blob_mask()[:, :, :12], affine, affine, shape)
    # a mask that covers more than the PET (a CT-grid segmentation) is fine
    big_aff = affine.copy()
    big_aff[:3, 3] -= 8.0
    big = np.zeros((24, 22, 29), dtype=np.uint8)
    big[2:22, 2:20, 2:27] = _blob_mask()
    np.testing.assert_array_equal(mask_on_grid(big, big_aff, affine, shape), _blob_mask() > 0)


def test_masks_are_found_for_every_layout(imaging, tmp_path):
    ct, ct_aff, suv, pet_aff = imaging.tiny_ct_pet()
    # generic: seg.nii.gz
    generic = imaging.make_generic_case(tmp_path / "g")
    (case,) = discover_cases(generic)
    assert find_mask(case) is None
    imaging.save_nifti(_blob_mask(), pet_aff, generic / "seg.nii.gz")
    assert find_mask(case) == generic / "seg.nii.gz"
    # autoPET: SEG.nii.gz in the study folder (discovery is unchanged by it)
    study = tmp_path / "a" / "PETCT_1" / "s1"
    imaging.save_nifti(suv, pet_aff, study / "SUV.nii.gz")
    imaging.save_nifti(ct, ct_aff, study / "CTres.nii.gz")
    imaging.save_nifti(_blob_mask(), pet_aff, study / "SEG.nii.gz")
    (ap,) = discover_cases(tmp_path / "a")
    assert ap.layout == "autopet" and find_mask(ap) == study / "SEG.nii.gz"
    # nnU-Net: labels/<id>.nii.gz
    root = tmp_path / "nn"
    imaging.save_nifti(ct, ct_aff, root / "imagesTs" / "lym_1_0000.nii.gz")
    imaging.save_nifti(suv, pet_aff, root / "imagesTs" / "lym_1_0001.nii.gz")
    imaging.save_nifti(_blob_mask(), pet_aff, root / "labelsTs" / "lym_1.nii.gz")
    (nn,) = discover_cases(root)
    assert find_mask(nn) == root / "labelsTs" / "lym_1.nii.gz"
    # --masks DIR wins over the case's own mask; a case it lacks keeps its own
    masks = tmp_path / "pred"
    imaging.save_nifti(_blob_mask(), pet_aff, masks / "lym_1.nii.gz")
    assert find_mask(nn, masks) == masks / "lym_1.nii.gz"
    assert find_mask(ap, masks) == study / "SEG.nii.gz"
    with pytest.raises(MissingFileError, match="masks folder not found"):
        find_mask(nn, tmp_path / "nope")


def test_autopet_seg_on_a_flipped_grid_loads_onto_the_ras_pet_grid(imaging, tmp_path):
    ct, ct_aff, suv, pet_aff = imaging.tiny_ct_pet()
    study = tmp_path / "P" / "S"
    # PET stored flipped and permuted, the mask in yet another order: both must agree on the RAS grid.
    suv_st, suv_st_aff = imaging.reoriented(suv, pet_aff, flips=(True, False, False), perm=(0, 2, 1))
    imaging.save_nifti(suv_st, suv_st_aff, study / "SUV.nii.gz")
    imaging.save_nifti(ct, ct_aff, study / "CTres.nii.gz")
    seg_st, seg_aff = imaging.reoriented(_blob_mask(), pet_aff, flips=(False, True, True), perm=(2, 1, 0))
    imaging.save_nifti(seg_st, seg_aff, study / "SEG.nii.gz")
    (case,) = discover_cases(study)
    vols = load_case_volumes(case)
    mask = load_mask(case, vols.pet_affine, vols.pet_shape)
    np.testing.assert_array_equal(mask, _blob_mask() > 0)
    # the hot spot of the tiny SUV (voxels 6:9, 7:10, 15:18) is where a mask there would be read
    assert float(vols.suv[7, 8, 16]) > 8.0


def test_synthetic_cases_carry_their_lesion_mask(synth_cohort):
    for folder in sorted(synth_cohort.iterdir()):
        truth = json.loads((folder / "truth.json").read_text(encoding="utf-8"))
        (case,) = discover_cases(folder)
        vols = load_case_volumes(case)
        mask = load_mask(case, vols.pet_affine, vols.pet_shape)
        assert mask is not None and mask.shape == vols.pet_shape
        for les in truth["lesions"]:
            i, j, k = les["centre_vox"]
            assert mask[i, j, k], (folder.name, les["organ"])
        if not truth["lesions"]:
            assert not mask.any()
