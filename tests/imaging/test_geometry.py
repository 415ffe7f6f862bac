import itertools

import nibabel as nib
import numpy as np
import pytest
from nibabel.processing import resample_from_to

from pet2rep.errors import GeometryError, InputError
from pet2rep.imaging.geometry import (
    AIR_HU,
    apply_affine,
    axis_aligned_map,
    check_overlap,
    grid_to_volume,
    reorient_to_ras,
    resample_to_grid,
    sample_linear,
    sample_plane,
    survey_body,
)


def trilinear_reference(vol: np.ndarray, pts: np.ndarray, outside: float) -> np.ndarray:
    """Direct numpy trilinear interpolation at voxel coordinates pts (3, N); outside the hull -> outside."""
    out = np.full(pts.shape[1], outside, dtype=np.float64)
    n = np.array(vol.shape)
    for p in range(pts.shape[1]):
        c = pts[:, p]
        if np.any(c < -1e-3) or np.any(c > n - 1 + 1e-3):
            continue
        c = np.clip(c, 0, n - 1)
        f = np.minimum(np.floor(c).astype(int), n - 2)
        t = c - f
        acc = 0.0
        for dx, dy, dz in itertools.product((0, 1), repeat=3):
            w = (t[0] if dx else 1 - t[0]) * (t[1] if dy else 1 - t[1]) * (t[2] if dz else 1 - t[2])
            acc += w * float(vol[f[0] + dx, f[1] + dy, f[2] + dz])
        out[p] = acc
    return out


def rotation(axis: int, degrees: float) -> np.ndarray:
    a = np.deg2rad(degrees)
    c, s = np.cos(a), np.sin(a)
    i, j = [k for k in range(3) if k != axis]
    r = np.eye(4)
    r[i, i], r[i, j], r[j, i], r[j, j] = c, -s, s, c
    return r


@pytest.mark.parametrize("perm", [(0, 1, 2), (2, 0, 1), (1, 2, 0)])
@pytest.mark.parametrize("flips", [(False, False, False), (True, False, True), (True, True, True)])
def test_reorient_to_ras_undoes_any_flip_and_permutation(imaging, perm, flips):
    _, _, suv, pet_aff = imaging.tiny_ct_pet()
    stored, aff = imaging.reoriented(suv, pet_aff, flips=flips, perm=perm)
    view, aff_ras = reorient_to_ras(stored, aff)
    assert np.array_equal(view, suv)
    assert np.allclose(aff_ras, pet_aff)


def test_reorient_of_an_oblique_grid_keeps_world_positions():
    data = np.arange(4 * 5 * 6, dtype=np.float32).reshape(4, 5, 6)
    aff = rotation(2, 12) @ np.diag([-3.0, 2.0, -4.0, 1.0])  # oblique, flipped x and z
    view, aff_ras = reorient_to_ras(data, aff)
    ijk = np.array([[1.0], [2.0], [3.0]])
    world = apply_affine(aff, ijk)
    vox_ras = apply_affine(np.linalg.inv(aff_ras), world).round().astype(int).ravel()
    assert view[tuple(vox_ras)] == data[1, 2, 3]
    # axis 0 now points to +x (right), 2 to +z (superior)
    assert aff_ras[0, 0] > 0 and aff_ras[2, 2] > 0


def test_sample_linear_matches_direct_trilinear_on_oblique_points():
    rng = np.random.default_rng(3)
    vol = rng.integers(-1000, 1000, size=(7, 8, 9)).astype(np.int16)
    pts = rng.uniform(-1.5, 9.5, size=(3, 400))
    pts[:, :5] = [[0, 6, 6, 0, 3], [0, 7, 0, 7, 4], [0, 8, 8, 0, 8]]  # exact corners/faces are inside
    got = sample_linear(vol, pts, outside=AIR_HU)
    ref = trilinear_reference(vol, pts, AIR_HU)
    assert got.dtype == np.float32
    assert np.allclose(got, ref, atol=1e-2)
    assert np.any(got == AIR_HU) and np.any(got != AIR_HU)


def test_ct_plane_on_pet_grid_matches_world_space_reference():
    rng = np.random.default_rng(4)
    ct = rng.normal(0, 300, size=(30, 28, 26)).astype(np.int16)
    ct_aff = rotation(1, 8) @ rotation(2, -5) @ np.diag([-1.5, 1.2, 2.0, 1.0])
    ct_aff[:3, 3] = (20.0, -15.0, -25.0)
    pet_aff = np.diag([3.0, 3.5, 2.5, 1.0])
    pet_aff[:3, 3] = (-20.0, -18.0, -30.0)
    pet_shape = (15, 12, 20)
    j = 5
    plane = sample_plane(ct, ct_aff, pet_aff, pet_shape, 1, j)
    # Direct: every PET voxel centre of the plane -> world -> CT voxel -> trilinear
    ii, kk = np.meshgrid(np.arange(15), np.arange(20), indexing="ij")
    ijk = np.stack([ii.ravel(), np.full(ii.size, j), kk.ravel()]).astype(float)
    world = pet_aff[:3, :3] @ ijk + pet_aff[:3, 3:4]
    ct_vox = np.linalg.inv(ct_aff)[:3, :3] @ world + np.linalg.inv(ct_aff)[:3, 3:4]
    ref = trilinear_reference(ct, ct_vox, AIR_HU).reshape(15, 20)
    assert plane.shape == (15, 20)
    assert np.allclose(plane, ref, atol=1e-2)
    assert (plane == AIR_HU).any(), "different fields of view: part of the PET plane lies outside the CT"


def test_plane_equals_nibabel_full_resampling_inside_the_ct(imaging):
    ct, ct_aff, suv, pet_aff = imaging.tiny_ct_pet()
    ct_img = nib.Nifti1Image(ct.astype(np.float32), ct_aff)  # nibabel keeps the input dtype
    full = resample_from_to(ct_img, (suv.shape, pet_aff), order=1, mode="constant", cval=AIR_HU)
    full_data = np.asarray(full.dataobj)
    for j in (0, 7, 17):
        plane = sample_plane(ct, ct_aff, pet_aff, suv.shape, 1, j)
        assert np.allclose(plane, full_data[:, j, :], atol=1e-3)


def test_resample_to_grid_equals_planes_and_rounds_to_int16(imaging):
    ct, ct_aff, suv, pet_aff = imaging.tiny_ct_pet()
    vol = resample_to_grid(ct, ct_aff, pet_aff, suv.shape, dtype=np.int16, chunk=4)
    assert vol.dtype == np.int16 and vol.shape == suv.shape
    for j in (2, 9):
        plane = sample_plane(ct, ct_aff, pet_aff, suv.shape, 1, j)
        assert np.array_equal(vol[:, j, :], np.rint(plane).astype(np.int16))


def _grid(shape, spacing, origin) -> np.ndarray:
    aff = np.diag([*spacing, 1.0])
    aff[:3, 3] = origin
    return aff


@pytest.mark.parametrize(
    ("ct_perm", "ct_flips", "grid_shape", "grid_spacing", "grid_origin"),
    [
        ((0, 1, 2), (False, False, False), (20, 18, 25), (4.0, 4.0, 4.0), (-39.0, -35.0, -49.0)),  # the tiny pair
        ((2, 0, 1), (True, False, True), (20, 18, 25), (4.0, 4.0, 4.0), (-39.0, -35.0, -49.0)),  # CT permuted+flipped
        ((1, 0, 2), (False, True, False), (33, 40, 9), (1.3, 0.7, 5.5), (-50.0, -31.0, -70.0)),  # finer and coarser
        ((0, 2, 1), (True, True, True), (12, 30, 40), (3.0, 2.5, 1.5), (-20.0, -60.0, -10.0)),  # partly outside
        ((0, 1, 2), (False, False, False), (15, 1, 22), (4.0, 4.0, 4.0), (-39.0, -3.0, -49.0)),  # one plane
    ],
)
def test_separable_resampling_equals_the_general_path(
    imaging, ct_perm, ct_flips, grid_shape, grid_spacing, grid_origin
):
    ct, ct_aff, _, _ = imaging.tiny_ct_pet()
    ct, ct_aff = imaging.reoriented(ct, ct_aff, ct_flips, ct_perm)
    grid = _grid(grid_shape, grid_spacing, grid_origin)
    for flips in [(False, False, False), (True, False, True)]:  # the grid itself flipped (same points, other order)
        dummy = np.zeros(grid_shape, dtype=np.float32)
        _, grid_aff = imaging.reoriented(dummy, grid, flips)
        general = resample_to_grid(ct, ct_aff, grid_aff, grid_shape, method="general")
        fast = resample_to_grid(ct, ct_aff, grid_aff, grid_shape, method="separable")
        assert fast.dtype == np.float32 and fast.shape == general.shape
        assert np.abs(fast - general).max() <= 1e-4
        assert np.array_equal(fast == AIR_HU, general == AIR_HU)
        exact = resample_to_grid(ct, ct_aff, grid_aff, grid_shape, dtype=np.int16, method="general")
        for chunk in (None, 1, 3):
            as_int = resample_to_grid(ct, ct_aff, grid_aff, grid_shape, dtype=np.int16, chunk=chunk)
            assert np.array_equal(as_int, exact)


def test_separable_resampling_against_direct_trilinear(imaging):
    ct, ct_aff, _, _ = imaging.tiny_ct_pet()
    ct = ct.astype(np.float64) + np.random.default_rng(1).random(ct.shape)  # float input, fractional values
    grid = _grid((14, 11, 9), (3.1, 2.7, 5.3), (-44.0, -20.0, -55.0))  # overhangs the CT at the low ends
    fast = resample_to_grid(ct, ct_aff, grid, (14, 11, 9), method="separable")
    idx = np.stack(np.meshgrid(*[np.arange(n) for n in (14, 11, 9)], indexing="ij")).reshape(3, -1).astype(float)
    ref = trilinear_reference(ct, apply_affine(grid_to_volume(ct_aff, grid), idx), AIR_HU).reshape(14, 11, 9)
    assert (ref == AIR_HU).any() and (ref != AIR_HU).any()
    np.testing.assert_allclose(fast, ref, atol=1e-3, rtol=0)


def test_oblique_grids_take_the_general_path(imaging):
    ct, ct_aff, suv, pet_aff = imaging.tiny_ct_pet()
    oblique = rotation(2, 10.0) @ pet_aff
    general = resample_to_grid(ct, ct_aff, oblique, suv.shape, method="general")
    assert np.array_equal(resample_to_grid(ct, ct_aff, oblique, suv.shape), general)  # auto
    with pytest.raises(GeometryError, match="method='separable' needs axis-aligned grids"):
        resample_to_grid(ct, ct_aff, oblique, suv.shape, method="separable")
    with pytest.raises(InputError, match="method must be one of"):
        resample_to_grid(ct, ct_aff, pet_aff, suv.shape, method="fast")
    m = grid_to_volume(ct_aff, pet_aff)
    assert axis_aligned_map(m, suv.shape).axes == (0, 1, 2)
    m[0, 1] = 1e-9  # float noise of an affine: still axis-aligned
    assert axis_aligned_map(m, suv.shape) is not None
    m[0, 1] = 1e-4  # a real (small) rotation
    assert axis_aligned_map(m, suv.shape) is None


def test_disjoint_fields_of_view_raise_geometry_error(imaging):
    ct, ct_aff, suv, pet_aff = imaging.tiny_ct_pet()
    far = pet_aff.copy()
    far[2, 3] += 5000.0
    with pytest.raises(GeometryError, match="case 'x': PET and CT do not overlap in world space"):
        check_overlap(ct_aff, ct.shape, far, suv.shape, where="case 'x'")
    box = check_overlap(ct_aff, ct.shape, pet_aff, suv.shape)
    assert all(isinstance(s, slice) for s in box)


def test_overlap_box_covers_the_pet_field_of_view(imaging):
    ct, ct_aff, suv, pet_aff = imaging.tiny_ct_pet()
    half = pet_aff.copy()
    half[2, 3] += 40.0  # PET shifted up: only the lower part overlaps
    box = check_overlap(ct_aff, ct.shape, half, suv.shape)
    corners = apply_affine(grid_to_volume(ct_aff, half), np.array([[0, 19], [0, 17], [0, 24]], dtype=float))
    assert box[2].start <= max(0, int(np.floor(corners[2].min())))
    assert box[2].stop == ct.shape[2]


def test_body_centroid_matches_numpy(imaging):
    ct, ct_aff, _, _ = imaging.tiny_ct_pet()
    survey = survey_body(ct, ct_aff, threshold_hu=-500, chunk=7, with_stats=True)
    idx = np.argwhere(ct > -500)
    ref = apply_affine(ct_aff, idx.mean(axis=0)[:, None]).ravel()
    assert np.allclose(survey.centroid_world, ref)
    assert survey.n_voxels == len(idx)
    vals = ct[ct > -500].astype(np.float64)
    assert survey.mean_hu == pytest.approx(vals.mean())
    assert survey.std_hu == pytest.approx(vals.std())


def test_body_centroid_with_box_and_stride(imaging):
    ct, ct_aff, _, _ = imaging.tiny_ct_pet()
    box = (slice(2, 38), slice(0, 36), slice(10, 30))
    survey = survey_body(ct, ct_aff, box=box, step=(2, 1, 3))
    sub = ct[box][::2, ::1, ::3]
    idx = np.argwhere(sub > -500) * np.array([2, 1, 3]) + np.array([2, 0, 10])
    ref = apply_affine(ct_aff, idx.mean(axis=0)[:, None]).ravel()
    assert np.allclose(survey.centroid_world, ref)


def test_empty_body_mask(imaging):
    ct = np.full((5, 5, 5), -1000, dtype=np.int16)
    assert survey_body(ct, np.eye(4)).centroid_world is None


def test_threshold_on_integers_is_exact():
    ct = np.array([-501, -500, -499], dtype=np.int16).reshape(3, 1, 1)
    assert survey_body(ct, np.eye(4), threshold_hu=-500).n_voxels == 1
    assert survey_body(ct, np.eye(4), threshold_hu=-500.5).n_voxels == 2
    assert survey_body(ct.astype(np.float32), np.eye(4), threshold_hu=-500.5).n_voxels == 2
