import json

import numpy as np
import pytest
from PIL import Image

import pet2rep.imaging.render as render_mod
from pet2rep.errors import GeometryError, InputError, MetadataError, MissingFileError, VolumeError
from pet2rep.imaging.cases import discover_cases
from pet2rep.imaging.render import (
    HOT_IRON,
    CaseVolumes,
    RenderOptions,
    ct_gray,
    fuse,
    key_slice_indices,
    load_case_volumes,
    render_all,
    render_case,
    render_volumes,
    volumes_on_pet_grid,
)
from pet2rep.vocab import IMAGE_CONFIGS

OPTS = RenderOptions(slice_spacing_vox=4)


def _pixels(rendered):
    return [np.asarray(img) for img in rendered.images]


def _render(ct, ct_aff, suv, pet_aff, options=OPTS, configs=IMAGE_CONFIGS):
    return render_volumes(CaseVolumes.from_arrays(ct, ct_aff, suv, pet_aff, case_id="t"), configs, options)


@pytest.mark.parametrize(
    "ct_flips, ct_perm, pet_flips, pet_perm",
    [
        ((True, True, False), (0, 1, 2), (False, False, False), (0, 1, 2)),  # CT stored LPS-like
        ((False, False, True), (2, 0, 1), (False, True, False), (0, 1, 2)),
        ((False, False, False), (0, 1, 2), (True, False, True), (1, 0, 2)),
        ((True, True, True), (1, 2, 0), (True, True, True), (2, 1, 0)),
    ],
)
def test_flipped_and_permuted_affines_give_identical_pictures(imaging, ct_flips, ct_perm, pet_flips, pet_perm):
    ct, ct_aff, suv, pet_aff = imaging.tiny_ct_pet()
    ref = _render(ct, ct_aff, suv, pet_aff)
    ct2, ct_aff2 = imaging.reoriented(ct, ct_aff, ct_flips, ct_perm)
    suv2, pet_aff2 = imaging.reoriented(suv, pet_aff, pet_flips, pet_perm)
    got = _render(ct2, ct_aff2, suv2, pet_aff2)
    for config in IMAGE_CONFIGS:
        assert got[config].slice_indices == ref[config].slice_indices
        assert got[config].image_names == ref[config].image_names
        for a, b in zip(_pixels(got[config]), _pixels(ref[config]), strict=True):
            assert np.array_equal(a, b)


def test_pictures_against_direct_numpy(imaging):
    ct, ct_aff, suv, pet_aff = imaging.tiny_ct_pet()
    out = _render(ct, ct_aff, suv, pet_aff)
    j = out["separate"].slice_indices[1]
    # CT on PET plane j by hand: PET voxel (i, j, k) -> world -> CT voxel; the grids are axis-aligned with
    # CT voxel = (PET world - CT origin) / 2 = 2 * i + 0.5 ... i.e. midway between CT voxels along each axis.
    ii, kk = np.meshgrid(np.arange(20), np.arange(25), indexing="ij")
    cx, cy, cz = 2 * ii + 0.5, 2 * j + 0.5, 2 * kk + 0.5
    x0, y0, z0 = np.floor(cx).astype(int), int(np.floor(cy)), np.floor(cz).astype(int)
    c = ct.astype(np.float64)
    # each coordinate sits exactly half-way: the trilinear value is the mean of the 8 neighbours
    hu = np.zeros((20, 25))
    for dx in (0, 1):
        for dy in (0, 1):
            for dz in (0, 1):
                hu += c[x0 + dx, y0 + dy, z0 + dz] / 8.0
    gray = np.round(np.clip((hu - (40 - 200)) / 400.0, 0, 1) * 255).astype(np.uint8)
    expected_ct = gray[::-1, ::-1].T  # head at top, patient's right on the left
    ct_img = _pixels(out["separate"])[2]
    assert ct_img.shape == (25, 20, 3)
    assert np.array_equal(ct_img[..., 0], expected_ct)
    t = np.clip(suv[:, j, :] / 5.0, 0, 1)
    expected_pet = HOT_IRON[np.round(t * 255).astype(np.uint8)][::-1, ::-1].transpose(1, 0, 2)
    assert np.array_equal(_pixels(out["separate"])[3], expected_pet)
    mip = np.asarray(out["mip"].images[0])[..., 0]
    expected_mip = 255 - np.round(np.clip(suv.max(axis=1) / 5.0, 0, 1) * 255).astype(np.uint8)
    assert np.array_equal(mip, expected_mip[::-1, ::-1].T)


def test_orientation_head_up_patient_right_on_image_left():
    ct = np.full((30, 30, 40), -1000, dtype=np.int16)
    ct[5:25, 5:25, 2:38] = 40
    suv = np.full((30, 30, 40), 0.5, dtype=np.float32)
    suv[22:25, 13:17, 33:36] = 10.0  # high x = patient's right, high z = head
    aff = np.eye(4)
    out = _render(ct, aff, suv, aff, RenderOptions(slice_spacing_vox=2))
    mip = np.asarray(out["mip"].images[0])[..., 0]  # inverted gray: hot = dark
    rows, cols = np.nonzero(mip == 0)
    assert rows.max() < 10 and cols.max() < 10  # top-left corner of the picture
    # Same picture from an LPS-stored PET (x, y flipped): still top-left
    flipped = np.ascontiguousarray(suv[::-1, ::-1, :])
    aff_lps = np.diag([-1.0, -1.0, 1.0, 1.0])
    aff_lps[:3, 3] = (29.0, 29.0, 0.0)
    out2 = _render(ct, aff, flipped, aff_lps, RenderOptions(slice_spacing_vox=2))
    assert np.array_equal(np.asarray(out2["mip"].images[0]), np.asarray(out["mip"].images[0]))


def test_key_slices_centre_on_the_body_and_are_configurable(imaging):
    ct, ct_aff, suv, pet_aff = imaging.tiny_ct_pet()
    body_y = (np.argwhere(ct > -500)[:, 1].mean() * 2.0 - 36.0 + 35.0) / 4.0  # CT index -> world -> PET index
    out = _render(ct, ct_aff, suv, pet_aff, RenderOptions(num_slices=3, slice_spacing_vox=4))
    centre = round(body_y)
    assert out["fused"].slice_indices == [centre - 4, centre, centre + 4]
    out5 = _render(ct, ct_aff, suv, pet_aff, RenderOptions(num_slices=5, slice_spacing_vox=2), ("fused",))
    assert out5["fused"].slice_indices == [centre - 4, centre - 2, centre, centre + 2, centre + 4]
    assert len(out5["fused"].images) == 5


def test_key_slice_set_is_shifted_into_the_grid():
    opts = RenderOptions()
    assert key_slice_indices(100, 200, opts) == [90, 100, 110]
    assert key_slice_indices(3, 200, opts) == [0, 10, 20]
    assert key_slice_indices(198, 200, opts) == [179, 189, 199]
    with pytest.raises(GeometryError, match="has 15 coronal planes; 3 key slices 10 voxels apart need 21"):
        key_slice_indices(7, 15, opts, where="case 'q'")


def test_configs_image_lists_and_record(imaging):
    ct, ct_aff, suv, pet_aff = imaging.tiny_ct_pet()
    out = _render(ct, ct_aff, suv, pet_aff)
    idx = out["fused"].slice_indices
    assert out["separate"].image_names == [f"t_{kind}_{j}.png" for j in idx for kind in ("ct", "pet")]
    assert out["fused"].image_names == [f"t_fused_{j}.png" for j in idx]
    assert out["mip"].image_names == ["t_mip.png"] + [f"t_fused_{j}.png" for j in idx]
    for config, n in (("separate", 6), ("fused", 3), ("mip", 4)):
        rec = out[config].record()
        assert len(out[config].images) == n
        assert all(img.mode == "RGB" and img.size == (20, 25) for img in out[config].images)
        assert rec["case_id"] == "t" and rec["config"] == config and rec["slice_axis"] == "coronal"
        assert rec["slice_indices"] == idx and rec["suv_factor"] is None
        assert rec["window"] == {
            "ct_mode": "window",
            "ct_width_hu": 400.0,
            "ct_level_hu": 40.0,
            "suv_min": 0.0,
            "suv_max": 5.0,
        }
        assert rec["images"] == out[config].image_names
        json.dumps(rec)
    # the fused images of 'mip' are those of 'fused'
    for a, b in zip(out["mip"].images[1:], out["fused"].images, strict=True):
        assert np.array_equal(np.asarray(a), np.asarray(b))


def test_mm_aspect_makes_square_pixels(imaging):
    ct, ct_aff, suv, pet_aff = imaging.tiny_ct_pet()
    aniso = pet_aff.copy()
    aniso[2, 2] = 3.0  # PET z spacing 3 mm vs 4 mm in x
    aniso[2, 3] = -36.0
    out = _render(ct, ct_aff, suv, aniso, RenderOptions(slice_spacing_vox=4, aspect="mm"), ("fused",))
    assert out["fused"].images[0].size == (20, 19)  # 25 rows * 3/4 mm = 18.75
    native = _render(ct, ct_aff, suv, aniso, OPTS, ("fused",))
    assert native["fused"].images[0].size == (20, 25)


def test_zscore_mode_uses_body_statistics(imaging):
    ct, ct_aff, suv, pet_aff = imaging.tiny_ct_pet()
    out = _render(ct, ct_aff, suv, pet_aff, RenderOptions(slice_spacing_vox=4, ct_mode="zscore"), ("separate",))
    window = out["separate"].record()["window"]
    sub = ct[::2, ::2, ::2]  # the CT body is surveyed at the PET pitch (4 mm) over the PET field of view
    body = sub[sub > -500].astype(np.float64)
    assert window["ct_mode"] == "zscore"
    assert window["ct_mean_hu"] == pytest.approx(body.mean(), abs=1e-3)
    assert window["ct_std_hu"] == pytest.approx(body.std(), abs=1e-3)
    assert window["ct_zscore_range"] == [-3.0, 3.0]
    gray = ct_gray(
        np.array([body.mean() - 3 * body.std(), body.mean() + 1.5 * body.std(), body.mean() + 3 * body.std()]),
        RenderOptions(ct_mode="zscore"),
        (body.mean(), body.std()),
    )
    assert gray.tolist() == [0, 191, 255]


def test_fused_pet_transparent_near_zero():
    gray = np.full((2, 2), 100, dtype=np.uint8)
    suv = np.array([[0.0, 5.0], [0.1, 10.0]], dtype=np.float32)
    out = fuse(gray, suv, RenderOptions())
    assert out[0, 0].tolist() == [100, 100, 100]  # SUV 0: CT only
    assert out[0, 1].tolist() == [178, 178, 178]  # SUV 5 = white at alpha 0.5 over gray 100
    # SUV 0.1: PET at 40% of full opacity, a dark red tint over the gray
    assert out[1, 0, 0] > out[1, 0, 1] == out[1, 0, 2] and out[1, 0, 1] == round(100 * (1 - 0.5 * 0.4))
    assert HOT_IRON[0].tolist() == [0, 0, 0] and HOT_IRON[255].tolist() == [255, 255, 255]
    assert np.all(np.diff(HOT_IRON.astype(int).sum(axis=1)) >= 0)


def test_mip_does_not_depend_on_ct(imaging):
    ct, ct_aff, suv, pet_aff = imaging.tiny_ct_pet()
    a = _render(ct, ct_aff, suv, pet_aff, configs=("mip",))
    ct2 = ct.copy()
    ct2[ct2 > 0] = 900
    b = _render(ct2, ct_aff, suv, pet_aff, configs=("mip",))
    assert np.array_equal(np.asarray(a["mip"].images[0]), np.asarray(b["mip"].images[0]))
    assert not np.array_equal(np.asarray(a["mip"].images[1]), np.asarray(b["mip"].images[1]))


def test_ct_smaller_than_pet_fills_air(imaging):
    ct, ct_aff, suv, pet_aff = imaging.tiny_ct_pet()
    part = ct[:, :, 20:]  # CT covers only the upper part of the PET field of view
    part_aff = ct_aff.copy()
    part_aff[2, 3] += 40.0
    out = _render(part, part_aff, suv, pet_aff, configs=("separate",))
    ct_img = np.asarray(out["separate"].images[0])[..., 0]
    # PET z < -10 mm (k < 10, picture rows > 14) lies below the CT: -1024 HU -> black
    assert np.all(ct_img[16:, :] == 0)
    assert ct_img[:10].max() > 0


def test_non_overlapping_pet_and_ct(imaging):
    ct, ct_aff, suv, pet_aff = imaging.tiny_ct_pet()
    far = pet_aff.copy()
    far[0, 3] += 1000.0
    with pytest.raises(GeometryError, match="case 't': PET and CT do not overlap"):
        _render(ct, ct_aff, suv, far)


def test_no_body_inside_pet_fov(imaging):
    ct, ct_aff, suv, pet_aff = imaging.tiny_ct_pet()
    with pytest.raises(GeometryError, match="no CT voxel above -500 HU inside the PET field of view"):
        _render(np.full_like(ct, -1000), ct_aff, suv, pet_aff)


def test_render_case_from_disk_suv_and_bqml_agree(imaging, tmp_path):
    a = discover_cases(imaging.make_generic_case(tmp_path, "a", suv=True))[0]
    b = discover_cases(imaging.make_generic_case(tmp_path, "b", suv=False))[0]
    ra = render_case(a, "fused", OPTS)
    rb = render_case(b, "fused", OPTS)
    assert ra.suv_factor is None
    assert rb.suv_factor == pytest.approx(70000.0 / (3.7e8 * 2 ** (-3600 / 6586.2)))
    assert rb.record()["suv_factor"] == rb.suv_factor
    for x, y in zip(ra.images, rb.images, strict=True):
        assert np.abs(np.asarray(x).astype(int) - np.asarray(y).astype(int)).max() <= 1


def test_render_all_loads_volumes_once(imaging, tmp_path, monkeypatch):
    case = discover_cases(imaging.make_generic_case(tmp_path, "a"))[0]
    calls = []
    real = render_mod.load_volume

    def counting(path, **kw):
        calls.append(path)
        return real(path, **kw)

    monkeypatch.setattr(render_mod, "load_volume", counting)
    out = render_all(case, IMAGE_CONFIGS, OPTS)
    assert list(out) == list(IMAGE_CONFIGS)
    assert len(calls) == 2


def test_saved_outputs(imaging, tmp_path):
    case = discover_cases(imaging.make_generic_case(tmp_path, "a"))[0]
    r = render_case(case, "separate", OPTS)
    path = r.save(tmp_path / "out")
    rec = json.loads(path.read_text(encoding="utf-8"))
    assert path.name == "a.json" and rec["images"] == r.image_names
    for name, img in zip(rec["images"], r.images, strict=True):
        assert np.array_equal(np.asarray(Image.open(tmp_path / "out" / name)), np.asarray(img))


def test_bad_metadata_fails_before_reading_voxels(imaging, tmp_path):
    folder = imaging.make_generic_case(tmp_path, "m", suv=False, meta={"weight_kg": 70})
    (folder / "pet.nii.gz").write_bytes(b"corrupt")
    case = discover_cases(folder)[0]
    with pytest.raises(MetadataError, match=r"case 'm': meta.json: injected_dose_bq is missing"):
        render_case(case, "fused")


def test_bad_volumes_fail_with_case_and_file(imaging, tmp_path):
    folder = imaging.make_generic_case(tmp_path, "v")
    raw = (folder / "ct.nii.gz").read_bytes()
    (folder / "ct.nii.gz").write_bytes(raw[: len(raw) // 2])
    case = discover_cases(folder)[0]
    with pytest.raises(VolumeError, match=r"case 'v': ct.nii.gz"):
        render_case(case, "fused")
    (folder / "ct.nii.gz").unlink()
    with pytest.raises(MissingFileError, match=r"case 'v': ct.nii.gz"):
        render_case(case, "fused")


def test_volumes_on_pet_grid(imaging, tmp_path):
    ct, ct_aff, suv, pet_aff = imaging.tiny_ct_pet()
    folder = tmp_path / "p"
    suv_lps, aff_lps = imaging.reoriented(suv, pet_aff, (True, True, False))
    imaging.save_nifti(ct, ct_aff, folder / "ct.nii.gz")
    imaging.save_nifti(suv_lps, aff_lps, folder / "suv.nii.gz")
    case = discover_cases(folder)[0]
    ct_img, suv_img = volumes_on_pet_grid(case)
    ct_again, suv_again = volumes_on_pet_grid(load_case_volumes(case))  # loaded volumes serve as well
    assert ct_again.header.binaryblock == ct_img.header.binaryblock
    assert np.array_equal(np.asarray(ct_again.dataobj), np.asarray(ct_img.dataobj))
    assert np.array_equal(np.asarray(suv_again.dataobj), np.asarray(suv_img.dataobj))
    assert ct_img.get_data_dtype() == np.int16 and suv_img.get_data_dtype() == np.float32
    assert ct_img.shape == suv.shape and np.allclose(ct_img.affine, pet_aff) and np.allclose(suv_img.affine, pet_aff)
    assert np.array_equal(np.asarray(suv_img.dataobj), suv)
    r = render_case(case, "separate", OPTS)
    j = r.slice_indices[0]
    plane = np.asarray(ct_img.dataobj)[:, j, :]
    gray = ct_gray(plane.astype(np.float32), OPTS)[::-1, ::-1].T
    assert np.abs(gray.astype(int) - np.asarray(r.images[0])[..., 0].astype(int)).max() <= 1


@pytest.mark.parametrize(
    "kwargs",
    [
        {"num_slices": 0},
        {"slice_spacing_vox": 0},
        {"slice_spacing_vox": 2.5},
        {"ct_window": (0, 40)},
        {"ct_window": (400,)},
        {"ct_mode": "hu"},
        {"suv_window": (5, 0)},
        {"aspect": "square"},
        {"fusion_alpha": 1.5},
        {"mip_colormap": "jet"},
    ],
)
def test_bad_options(kwargs):
    with pytest.raises(InputError, match=f"RenderOptions.{next(iter(kwargs))}"):
        RenderOptions(**kwargs)


def test_unknown_config(imaging, tmp_path):
    case = discover_cases(imaging.make_generic_case(tmp_path, "a"))[0]
    with pytest.raises(InputError, match="unknown render config 'axial'"):
        render_case(case, "axial")
