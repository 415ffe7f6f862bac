"""Headers that claim more voxels than memory or the file allow (issue 12): the case fails with a clear message
before any voxel is read, and a CLI run over a folder still renders the other cases and prints every failure."""

from __future__ import annotations

import gzip
import shutil

import nibabel as nib
import numpy as np
import pytest

from pet2rep.cli import main
from pet2rep.errors import VolumeError
from pet2rep.imaging import render
from pet2rep.imaging.io import load_volume
from pet2rep.imaging.voxel_budget import MAX_VOLUME_BYTES, check_voxel_budget


def write_huge_header(path, shape=(30000, 30000, 30000), dtype=np.float32):
    """A .nii.gz whose header claims ``shape`` voxels but that holds only a few bytes of data."""
    header = nib.Nifti1Header()
    header.set_data_shape(shape)
    header.set_data_dtype(dtype)
    header.set_qform(np.diag([2.0, 2.0, 2.0, 1.0]), code=1)
    header.set_sform(np.diag([2.0, 2.0, 2.0, 1.0]), code=1)
    header["vox_offset"] = 352
    with gzip.open(path, "wb") as f:
        f.write(header.binaryblock + b"\0" * 4 + b"\0" * 64)
    return path


def test_a_header_claiming_terabytes_fails_before_reading(tmp_path):
    path = write_huge_header(tmp_path / "suv.nii.gz")
    with pytest.raises(VolumeError, match=r"case 'c1': suv.nii.gz: the header claims 30000 x 30000 x 30000 voxels"):
        load_volume(path, case_id="c1")
    with pytest.raises(VolumeError, match=r"100,582.8 GiB in memory\); at most 4.0 GiB per volume is read"):
        load_volume(path, case_id="c1")


def test_a_header_claiming_more_than_the_gzip_file_can_hold(tmp_path):
    path = write_huge_header(tmp_path / "ct.nii.gz", shape=(1000, 1000, 200), dtype=np.int16)  # 400 MB claimed
    with pytest.raises(VolumeError, match=r"400,000,000 bytes\) but the \d+-byte gzip file can hold at most"):
        load_volume(path, case_id="c2")


def test_the_budget_counts_the_decoded_size():
    shape = (1024, 1024, 1025)  # 2 GiB of int16, just over 4 GiB once scaled to float32
    check_voxel_budget(shape, np.dtype(np.int16), file_bytes=10**9, offset=352, compressed=True, where="x")
    with pytest.raises(VolumeError, match=r"x: the header claims 1024 x 1024 x 1025 voxels of int16 \(4.0 GiB"):
        check_voxel_budget(
            shape, np.dtype(np.int16), file_bytes=10**9, offset=352, compressed=True, where="x", out_itemsize=4
        )
    assert MAX_VOLUME_BYTES == 4 * 2**30


def test_render_reports_the_huge_case_and_renders_the_others(synth_cohort, tmp_path, capsys):
    data = tmp_path / "data"
    shutil.copytree(synth_cohort, data)
    write_huge_header(data / "synth_0002" / "suv.nii.gz")
    (data / "synth_0004" / "ct.nii.gz").write_bytes(b"not a nifti")  # an earlier, ordinary failure
    code = main(["render", str(data), "--config", "fused", "--out", str(tmp_path / "o"), "--no-progress"])
    captured = capsys.readouterr()
    assert code == 1
    assert "rendered 4 of 6 case(s) (fused)" in captured.out
    assert "2 case(s) FAILED" in captured.err
    assert "synth_0002: VolumeError: case 'synth_0002': suv.nii.gz: the header claims 30000 x 30000" in captured.err
    assert "synth_0004: VolumeError: case 'synth_0004': ct.nii.gz" in captured.err
    assert "Traceback" not in captured.err
    assert len(list((tmp_path / "o").glob("*.json"))) == 4


def test_render_reports_an_unexpected_error_with_the_others(synth_cohort, tmp_path, capsys, monkeypatch):
    real = render.render_case

    def flaky(case, *args, **kwargs):
        if case.case_id == "synth_0001":
            raise MemoryError("Unable to allocate 98.2 TiB")
        return real(case, *args, **kwargs)

    monkeypatch.setattr(render, "render_case", flaky)
    code = main(["render", str(synth_cohort), "--config", "mip", "--out", str(tmp_path / "o"), "--no-progress"])
    captured = capsys.readouterr()
    assert code == 1
    assert "rendered 5 of 6 case(s) (mip)" in captured.out
    assert "synth_0001: unexpected MemoryError: Unable to allocate 98.2 TiB" in captured.err


def test_build_leaves_the_huge_case_out_and_writes_the_others(synth_cohort, tmp_path, capsys):
    import pyarrow.parquet as pq

    data = tmp_path / "data"
    shutil.copytree(synth_cohort, data)
    write_huge_header(data / "synth_0002" / "suv.nii.gz")
    out = tmp_path / "pet2rep"
    code = main(["build", str(data), "--out", str(out), "--configs", "fused", "--quiet", "--no-register"])
    captured = capsys.readouterr()
    assert code == 1
    printed = captured.out + captured.err
    assert "synth_0002" in printed and "the header claims 30000 x 30000 x 30000 voxels" in printed
    assert "Traceback" not in printed
    ids = [i for f in sorted((out / "fused").glob("*.parquet")) for i in pq.read_table(f)["case_id"].to_pylist()]
    assert sorted(ids) == ["synth_0000", "synth_0001", "synth_0003", "synth_0004", "synth_0005"]
