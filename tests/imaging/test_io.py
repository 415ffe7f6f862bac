import gzip

import nibabel as nib
import numpy as np
import pytest

from pet2rep.errors import MissingFileError, VolumeError
from pet2rep.imaging.io import load_volume, save_volume


def _save(path, data, slope=None, inter=None):
    img = nib.Nifti1Image(data, np.eye(4))
    if slope is not None:
        img.header.set_slope_inter(slope, inter)
        nib.save(img, str(path))
        # set_slope_inter on a float-free dtype is kept only through the header written with the image
        return path
    nib.save(img, str(path))
    return path


def test_int16_ct_keeps_its_dtype(tmp_path):
    data = np.arange(4 * 5 * 6, dtype=np.int16).reshape(4, 5, 6) - 1000
    vol = load_volume(_save(tmp_path / "ct.nii.gz", data), case_id="c1")
    assert vol.data.dtype == np.int16
    assert np.array_equal(vol.data, data)
    assert vol.shape == (4, 5, 6)


def test_scaled_integers_come_back_as_float32_not_float64(tmp_path):
    data = np.arange(60, dtype=np.int16).reshape(3, 4, 5)
    img = nib.Nifti1Image(data, np.eye(4), dtype=np.int16)
    img.header.set_slope_inter(0.5, -100.0)
    path = tmp_path / "scaled.nii.gz"
    nib.save(img, str(path))
    assert nib.load(str(path)).dataobj.slope == 0.5  # the file really carries scaling
    vol = load_volume(path, case_id="c1")
    assert vol.data.dtype == np.float32
    assert np.allclose(vol.data, data * 0.5 - 100.0)


def test_float64_pet_is_read_as_float32(tmp_path):
    data = np.linspace(0, 10, 60).reshape(3, 4, 5)
    vol = load_volume(_save(tmp_path / "pet.nii.gz", data), case_id="c1", float32=True)
    assert vol.data.dtype == np.float32
    assert np.allclose(vol.data, data, atol=1e-5)


def test_trailing_singleton_axis_is_accepted(tmp_path):
    data = np.ones((3, 4, 5, 1), dtype=np.float32)
    vol = load_volume(_save(tmp_path / "pet.nii.gz", data), case_id="c1")
    assert vol.shape == (3, 4, 5)


@pytest.mark.parametrize("shape", [(8, 9), (4, 4, 4, 2)])
def test_2d_and_4d_volumes_are_refused(tmp_path, shape):
    path = _save(tmp_path / "pet.nii.gz", np.zeros(shape, dtype=np.float32))
    with pytest.raises(VolumeError, match=r"case 'c7': pet.nii.gz: volume is \d-D") as exc:
        load_volume(path, case_id="c7")
    assert "expected a 3-D volume" in str(exc.value)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_voxels_are_refused(tmp_path, bad):
    data = np.ones((4, 4, 4), dtype=np.float32)
    data[1, 2, 3] = bad
    data[0, 0, 0] = bad
    path = _save(tmp_path / "suv.nii.gz", data)
    with pytest.raises(VolumeError, match=r"case 'c2': suv.nii.gz: 2 voxel\(s\) are NaN or infinite"):
        load_volume(path, case_id="c2")


def test_large_finite_values_are_not_mistaken_for_inf(tmp_path):
    data = np.full((4, 4, 4), 3e38, dtype=np.float32)  # sums overflow float32, not float64
    vol = load_volume(_save(tmp_path / "suv.nii.gz", data), case_id="c2")
    assert np.all(vol.data == np.float32(3e38))


def test_truncated_gzip_names_case_and_file(tmp_path):
    path = _save(tmp_path / "ct.nii.gz", np.random.default_rng(0).normal(size=(30, 30, 30)).astype(np.float32))
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(VolumeError, match=r"case 'c3': ct.nii.gz: voxel data are truncated or corrupt"):
        load_volume(path, case_id="c3")


def test_truncated_uncompressed_file(tmp_path):
    path = _save(tmp_path / "ct.nii", np.zeros((10, 10, 10), dtype=np.int16))
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(VolumeError, match="truncated or corrupt"):
        load_volume(path, case_id="c3")


def test_corrupt_gzip_stream(tmp_path):
    path = _save(tmp_path / "ct.nii.gz", np.zeros((20, 20, 20), dtype=np.int16))
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2 : len(raw) // 2 + 40] = b"\xff" * 40
    path.write_bytes(bytes(raw))
    with pytest.raises(VolumeError, match=r"case 'c4': ct.nii.gz"):
        load_volume(path, case_id="c4")


def test_not_a_nifti_at_all(tmp_path):
    path = tmp_path / "ct.nii.gz"
    path.write_bytes(gzip.compress(b"hello, not an image"))
    with pytest.raises(VolumeError, match=r"case 'c5': ct.nii.gz: cannot read the NIfTI header"):
        load_volume(path, case_id="c5")
    path.write_bytes(b"plain garbage")
    with pytest.raises(VolumeError, match="c5"):
        load_volume(path, case_id="c5")


def test_missing_file(tmp_path):
    with pytest.raises(MissingFileError, match=r"case 'c6': ct.nii.gz: file not found") as exc:
        load_volume(tmp_path / "ct.nii.gz", case_id="c6")
    assert isinstance(exc.value, FileNotFoundError)


def test_singular_affine_is_refused(tmp_path):
    path = tmp_path / "ct.nii"
    nib.save(nib.Nifti1Image(np.zeros((3, 3, 3), dtype=np.int16), np.eye(4)), str(path))
    raw = bytearray(path.read_bytes())
    raw[252:256] = np.array([0, 1], dtype="<i2").tobytes()  # qform_code 0, sform_code 1
    raw[296:312] = np.zeros(4, dtype="<f4").tobytes()  # srow_y = 0: a flat y axis
    path.write_bytes(bytes(raw))
    with pytest.raises(VolumeError, match="singular"):
        load_volume(path, case_id="c8")


def test_save_volume_is_byte_identical(tmp_path):
    data = np.random.default_rng(1).normal(size=(10, 11, 12)).astype(np.float32)
    a = save_volume(data, np.diag([2.0, 2.0, 3.0, 1.0]), tmp_path / "a" / "x.nii.gz")
    b = save_volume(data, np.diag([2.0, 2.0, 3.0, 1.0]), tmp_path / "b" / "x.nii.gz")
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes()[4:8] == b"\x00\x00\x00\x00"  # gzip mtime field
    back = load_volume(a)
    assert np.array_equal(back.data, data)
    assert np.allclose(back.affine, np.diag([2.0, 2.0, 3.0, 1.0]))


def test_fast_gzip_path_equals_nibabel(tmp_path, monkeypatch):
    import pet2rep.imaging.io as io_mod

    rng = np.random.default_rng(2)
    cases = {
        "ct.nii.gz": (rng.integers(-1024, 3000, size=(33, 20, 17)).astype(np.int16), None),
        "pet.nii.gz": (rng.random((9, 8, 7)).astype(np.float32), None),
        "scaled.nii.gz": (rng.integers(0, 500, size=(6, 5, 4)).astype(np.int16), (2.0, -1024.0)),
    }
    for name, (data, scaling) in cases.items():
        img = nib.Nifti1Image(data, np.eye(4), dtype=data.dtype)
        if scaling:
            img.header.set_slope_inter(*scaling)
        nib.save(img, str(tmp_path / name))
        fast = load_volume(tmp_path / name).data
        expected = np.asanyarray(nib.load(str(tmp_path / name)).dataobj)
        with monkeypatch.context() as m:
            m.setattr(io_mod, "_igzip", None)  # the stdlib (nibabel) path
            slow = load_volume(tmp_path / name).data
        assert fast.dtype == slow.dtype and np.array_equal(fast, slow)
        assert np.allclose(fast, expected)


def test_bad_gzip_checksum_is_detected(tmp_path):
    path = _save(tmp_path / "ct.nii.gz", np.arange(1000, dtype=np.int16).reshape(10, 10, 10))
    raw = bytearray(path.read_bytes())
    raw[-8] ^= 0xFF  # CRC32 of the gzip trailer
    path.write_bytes(bytes(raw))
    with pytest.raises(VolumeError, match=r"case 'c9': ct.nii.gz: voxel data are truncated or corrupt"):
        load_volume(path, case_id="c9")
