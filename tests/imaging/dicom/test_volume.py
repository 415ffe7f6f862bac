"""The DICOM series reader: slices sorted by position, LPS -> RAS affine, per-slice rescale, clear errors."""

from __future__ import annotations

import numpy as np
import pydicom
import pytest
from nibabel.affines import apply_affine

from pet2rep.errors import GeometryError, VolumeError
from pet2rep.imaging.dicom.volume import read_series, read_series_image, slice_geometry
from pet2rep.imaging.dicom.write import decode_per_slice, encode_per_slice, make_uid, random_names, write_series
from pet2rep.imaging.geometry import reorient_to_ras
from pet2rep.synth.phantom import CT_ORNT, PET_ORNTS, stored

UIDS = {"study_uid": "1.2.826.0.1.3680043.8.498.1", "frame_of_reference_uid": "1.2.826.0.1.3680043.8.498.2"}


def _volume(seed=0, shape=(12, 10, 9)):
    rng = np.random.default_rng(seed)
    values = (rng.random(shape, dtype=np.float32) * 5000).astype(np.float32)
    affine = np.diag([4.0, 3.5, 2.5, 1.0])
    affine[:3, 3] = (-20.25, 13.125, -401.75)
    return values, affine


def _write_pet(values, affine, out, seed=0, **kw):
    stored, slopes = encode_per_slice(values)
    paths = write_series(
        stored,
        affine,
        out,
        modality="PT",
        series_uid=make_uid("pet", seed),
        slopes=slopes,
        file_names=random_names(stored.shape[2], seed),
        **UIDS,
        **kw,
    )
    return paths, decode_per_slice(stored, slopes)


@pytest.mark.parametrize("ornt", [*PET_ORNTS, CT_ORNT], ids=["ras", "flip-xz", "swap-xy", "lps"])
def test_shuffled_random_named_slices_give_the_volume_and_its_world_positions(tmp_path, ornt):
    values, affine = _volume()
    stored_values, stored_affine = stored(values, affine, ornt)
    paths, decoded = _write_pet(stored_values, stored_affine, tmp_path)
    rng = np.random.default_rng(1)
    vol = read_series([paths[i] for i in rng.permutation(len(paths))])
    assert vol.data.dtype == np.float32 and vol.data.shape == decoded.shape
    got, got_aff = reorient_to_ras(vol.data, vol.affine)
    want, want_aff = reorient_to_ras(decoded, stored_affine)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_allclose(got_aff, want_aff, atol=1e-6)
    # Per-slice slopes really differ, and the decoded values are the input to int16 precision.
    slopes = {float(pydicom.dcmread(p, stop_before_pixels=True).RescaleSlope) for p in paths}
    assert len(slopes) > 1
    np.testing.assert_allclose(decoded, stored_values, atol=float(np.abs(values).max()) / 32767)


def test_voxel_centres_are_the_image_positions(tmp_path):
    values, affine = _volume()
    paths, _ = _write_pet(values, affine, tmp_path)
    vol = read_series(paths)
    for p in paths[::4]:
        ds = pydicom.dcmread(p, stop_before_pixels=True)
        lps = np.array([float(v) for v in ds.ImagePositionPatient])
        ras = lps * [-1, -1, 1]
        ijk = apply_affine(np.linalg.inv(vol.affine), ras)  # the file's first pixel is voxel (0, 0, k)
        k = round(float(ijk[2]))
        np.testing.assert_allclose(ijk, [0, 0, k], atol=1e-6)
        # pixel (row 2, column 3) of that file is voxel (3, 2, k)
        row_cos = np.array([float(v) for v in ds.ImageOrientationPatient[:3]])
        col_cos = np.array([float(v) for v in ds.ImageOrientationPatient[3:]])
        sp = [float(v) for v in ds.PixelSpacing]
        want = (lps + 3 * sp[1] * row_cos + 2 * sp[0] * col_cos) * [-1, -1, 1]
        np.testing.assert_allclose(apply_affine(vol.affine, [3, 2, k]), want, atol=1e-6)
        slope = np.float32(float(ds.RescaleSlope))
        assert vol.data[3, 2, k] == pydicom.dcmread(p).pixel_array[2, 3].astype(np.float32) * slope


def test_ct_stays_int16_in_hu_and_becomes_float_with_a_fractional_rescale(tmp_path):
    rng = np.random.default_rng(2)
    hu = rng.integers(-1024, 3000, size=(8, 7, 6)).astype(np.int16)
    affine = np.diag([-0.8, -0.8, 2.0, 1.0])
    kw = dict(modality="CT", series_uid=make_uid("ct"), **UIDS)
    paths = write_series((hu + 1024).astype(np.uint16), affine, tmp_path / "a", intercept=-1024, **kw)
    vol = read_series(paths)
    assert vol.data.dtype == np.int16
    np.testing.assert_array_equal(vol.data, hu)
    np.testing.assert_allclose(vol.affine, affine, atol=1e-9)
    slopes = [0.5, 1.0, 2.0, 0.25, 1.0, 4.0]
    paths = write_series((hu + 1024).astype(np.uint16), affine, tmp_path / "b", slopes=slopes, intercept=-1000.5, **kw)
    vol = read_series(paths)
    assert vol.data.dtype == np.float32
    want = (hu + 1024).astype(np.float32) * np.float32(slopes) - np.float32(1000.5)
    np.testing.assert_array_equal(vol.data, want)


def test_uneven_spacing_is_an_error_naming_the_gap(tmp_path):
    values, affine = _volume()
    paths, _ = _write_pet(values, affine, tmp_path)
    with pytest.raises(GeometryError, match=r"PET x: uneven slice spacing.*odd step is 5 mm.*missing slice"):
        read_series(paths[:4] + paths[5:], where="PET x")


def test_two_slices_at_one_position_and_single_slices_are_errors(tmp_path):
    values, affine = _volume()
    paths, _ = _write_pet(values, affine, tmp_path / "a")
    other, _ = _write_pet(values, affine, tmp_path / "b", seed=3)
    with pytest.raises(GeometryError, match="two slices at the same position"):
        read_series(paths + other[:1])
    with pytest.raises(GeometryError, match="1 slice"):
        read_series(paths[:1])


def test_gantry_tilt_is_kept_as_a_shear_for_ct_and_refused_for_pet(tmp_path):
    values, affine = _volume()
    tilted = affine.copy()
    tilted[1, 2] = 2.5 * np.tan(np.radians(15))  # each slice steps 0.67 mm forward
    paths, _ = _write_pet(values, tilted, tmp_path)
    with pytest.raises(GeometryError, match="gantry tilt"):
        read_series(paths)
    vol = read_series(paths, allow_shear=True)
    np.testing.assert_allclose(vol.affine, tilted, atol=1e-6)


def test_mixed_orientations_are_an_error(tmp_path):
    values, affine = _volume()
    paths, _ = _write_pet(values, affine, tmp_path)
    ds = pydicom.dcmread(paths[3])
    ds.ImageOrientationPatient = [0, 1, 0, 0, 0, -1]
    ds.save_as(paths[3])
    with pytest.raises(GeometryError, match="ImageOrientationPatient differs between slices"):
        read_series(paths)


def test_truncated_pixel_data_is_an_error_naming_the_file(tmp_path):
    values, affine = _volume()
    paths, _ = _write_pet(values, affine, tmp_path)
    data = paths[2].read_bytes()
    paths[2].write_bytes(data[: len(data) - 50])
    with pytest.raises(VolumeError, match=rf"S: {paths[2].name}: pixel data are truncated or corrupt"):
        read_series(paths, where="S")


def test_read_series_image_is_a_nifti_with_the_ras_affine(tmp_path):
    values, affine = _volume()
    paths, decoded = _write_pet(values, affine, tmp_path)
    img = read_series_image(paths)
    np.testing.assert_allclose(img.affine, affine, atol=1e-6)
    np.testing.assert_array_equal(np.asarray(img.dataobj), decoded)


def test_slice_geometry_needs_the_geometry_tags(tmp_path):
    values, affine = _volume()
    paths, _ = _write_pet(values, affine, tmp_path)
    datasets = [pydicom.dcmread(p, stop_before_pixels=True) for p in paths]
    del datasets[4].ImagePositionPatient
    with pytest.raises(GeometryError, match="ImagePositionPatient is missing in 1 of 9 slices"):
        slice_geometry(datasets)


@pytest.mark.parametrize("signed", [False, True])
@pytest.mark.parametrize("bits_stored", [16, 12])
def test_uncompressed_pixels_are_read_as_pydicom_decodes_them(tmp_path, signed, bits_stored):
    from pet2rep.imaging.dicom.volume import _native_pixels

    raw = np.random.default_rng(bits_stored).integers(0, 65536, size=(6, 5, 2)).astype(np.uint16)
    paths = write_series(
        raw.view(np.int16) if signed else raw,
        np.eye(4),
        tmp_path,
        modality="CT",
        series_uid=make_uid("bits"),
        tags={"BitsStored": bits_stored, "HighBit": bits_stored - 1},  # bits above BitsStored hold noise
        **UIDS,
    )
    ds = pydicom.dcmread(paths[0])
    native = _native_pixels(ds)
    assert native is not None and native.dtype == ds.pixel_array.dtype
    np.testing.assert_array_equal(native, ds.pixel_array)
    ds.file_meta.TransferSyntaxUID = pydicom.uid.ExplicitVRBigEndian
    assert _native_pixels(ds) is None  # anything but little-endian native: pydicom's decoders


def test_slices_are_put_in_order_in_place():
    from pet2rep.imaging.dicom.volume import _permute_slices

    rng = np.random.default_rng(5)
    raw = rng.integers(0, 1000, size=(17, 3, 2)).astype(np.uint16)
    order = rng.permutation(17)
    want = raw[order]
    _permute_slices(raw, [int(i) for i in order])
    np.testing.assert_array_equal(raw, want)
