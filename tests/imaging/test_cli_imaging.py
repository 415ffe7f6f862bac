import json
import shutil
import subprocess
import sys

import numpy as np
from PIL import Image

from pet2rep.cli import main
from pet2rep.synth import load_truth


def test_synth_cli(tmp_path, capsys):
    assert main(["synth", str(tmp_path / "c"), "--n", "2", "--seed", "3", "--no-progress"]) == 0
    assert "wrote 2 synthetic case(s) (small, seed 3)" in (out := capsys.readouterr().out)
    truth = load_truth(tmp_path / "c" / "synth_0000")
    pet, ct = truth["pet_grid"], truth["ct_grid"]
    assert f"PET {'x'.join(map(str, pet['shape']))} at 12x5x12 mm, CT {'x'.join(map(str, ct['shape']))} at " in out
    assert sorted(p.name for p in (tmp_path / "c").iterdir()) == ["synth_0000", "synth_0001"]
    assert load_truth(tmp_path / "c" / "synth_0001")["seed"] == 3


def test_synth_cli_bad_n(tmp_path, capsys):
    assert main(["synth", str(tmp_path / "c"), "--n", "0"]) == 1
    assert "pet2rep synth: error: n must be an integer >= 1; got 0" in capsys.readouterr().err


def test_render_one_case_writes_the_contract(synth_cohort, tmp_path, capsys):
    case = synth_cohort / "synth_0001"
    assert main(["render", str(case), "--config", "separate", "--out", str(tmp_path / "o")]) == 0
    assert "rendered 1 of 1 case(s) (separate)" in capsys.readouterr().out
    rec = json.loads((tmp_path / "o" / "synth_0001.json").read_text(encoding="utf-8"))
    truth = load_truth(case)
    assert rec["case_id"] == "synth_0001" and rec["config"] == "separate" and rec["slice_axis"] == "coronal"
    assert rec["slice_indices"] == truth["key_slices"]
    assert rec["suv_factor"] == truth["suv_factor"] and rec["suv_factor"] > 0
    assert rec["window"]["ct_width_hu"] == 400.0 and rec["window"]["suv_max"] == 5.0
    assert len(rec["images"]) == 6
    for name in rec["images"]:
        img = Image.open(tmp_path / "o" / name)
        assert img.format == "PNG" and img.mode == "RGB" and img.size == (64, 87)


def test_render_options_reach_the_pictures(synth_cohort, tmp_path):
    case = str(synth_cohort / "synth_0000")
    args = ["render", case, "--config", "fused", "--out", str(tmp_path / "o"), "--no-progress"]
    extra = ["--num-slices", "5", "--slice-spacing", "4", "--suv-window", "0", "7", "--aspect", "mm"]
    assert main(args + extra) == 0
    rec = json.loads((tmp_path / "o" / "synth_0000.json").read_text(encoding="utf-8"))
    idx = rec["slice_indices"]
    assert len(idx) == 5 and np.all(np.diff(idx) == 4)
    assert rec["window"]["suv_max"] == 7.0 and rec["aspect"] == "mm"
    assert Image.open(tmp_path / "o" / rec["images"][0]).size == (64, 87)  # 12 mm x 12 mm pixels: unchanged
    assert main(["render", case, "--config", "separate", "--out", str(tmp_path / "z"), "--ct-mode", "zscore"]) == 0
    rec = json.loads((tmp_path / "z" / "synth_0000.json").read_text(encoding="utf-8"))
    assert rec["window"]["ct_mode"] == "zscore" and rec["window"]["ct_std_hu"] > 0


def test_render_folder_reports_every_failure_and_renders_the_rest(synth_cohort, tmp_path, capsys):
    data = tmp_path / "data"
    shutil.copytree(synth_cohort, data)
    ct = data / "synth_0000" / "ct.nii.gz"
    ct.write_bytes(ct.read_bytes()[:5000])  # truncated
    (data / "synth_0001" / "meta.json").write_text(json.dumps({"weight_kg": 70}), encoding="utf-8")  # no dose
    (data / "synth_0003" / "meta.json").unlink()  # PET in Bq/mL without metadata
    (data / "notes").mkdir()  # not a case
    # PET moved far away from the CT: no overlap
    pet = data / "synth_0004" / "suv.nii.gz"
    import nibabel as nib

    img = nib.load(str(pet))
    moved = img.affine.copy()
    moved[2, 3] += 5000.0
    nib.save(nib.Nifti1Image(np.asarray(img.dataobj), moved), str(pet))

    code = main(["render", str(data), "--config", "fused", "--out", str(tmp_path / "o"), "--no-progress"])
    captured = capsys.readouterr()
    assert code == 1
    assert "rendered 2 of 7 case(s) (fused)" in captured.out
    err = captured.err
    assert "5 case(s) FAILED" in err
    assert "synth_0000: VolumeError: case 'synth_0000': ct.nii.gz" in err
    assert "synth_0001: MetadataError: case 'synth_0001': meta.json: injected_dose_bq is missing" in err
    assert "synth_0003: MissingFileError: case 'synth_0003': pet.nii.gz is in Bq/mL and needs meta.json" in err
    assert "notes: LayoutError: " in err and "matches no case layout" in err
    assert "synth_0004: GeometryError: case 'synth_0004': PET and CT do not overlap" in err
    assert sorted(p.name for p in (tmp_path / "o").glob("*.json")) == ["synth_0002.json", "synth_0005.json"]


def test_render_output_inside_the_data_folder_is_not_a_case_next_time(synth_cohort, tmp_path, capsys):
    data = tmp_path / "data"
    shutil.copytree(synth_cohort / "synth_0002", data / "synth_0002")
    args = ["render", str(data), "--config", "fused", "--out", str(data / "slices"), "--no-progress"]
    assert main(args) == 0
    capsys.readouterr()
    assert main(args) == 0  # data/slices is pet2rep's own output, not a failed case folder
    captured = capsys.readouterr()
    assert "rendered 1 of 1 case(s) (fused)" in captured.out and captured.err == ""
    assert f"skipped {data / 'slices'}: key slices written by pet2rep render, not a case folder" in captured.out


def test_render_bad_option_and_path(synth_cohort, tmp_path, capsys):
    case = str(synth_cohort / "synth_0000")
    assert main(["render", case, "--config", "fused", "--out", str(tmp_path), "--alpha", "2"]) == 1
    assert "pet2rep render: error: --alpha: expected a number in [0, 1], got 2.0\n" in capsys.readouterr().err
    assert main(["render", case, "--config", "fused", "--out", str(tmp_path), "--slice-spacing", "0"]) == 1
    assert "pet2rep render: error: --slice-spacing: expected an integer >= 1, got 0\n" in capsys.readouterr().err
    assert main(["render", case, "--config", "fused", "--out", str(tmp_path), "--suv-window", "5", "0"]) == 1
    assert "error: --suv-window: expected (low, high) with low < high, got (5.0, 0.0)\n" in capsys.readouterr().err
    assert main(["render", str(tmp_path / "nope"), "--config", "fused", "--out", str(tmp_path)]) == 1
    assert "pet2rep render: error: data path not found" in capsys.readouterr().err


def test_render_subprocess_entry_point(synth_cohort, tmp_path):
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "pet2rep",
            "render",
            str(synth_cohort / "synth_0002"),
            "--config",
            "mip",
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    rec = json.loads((tmp_path / "synth_0002.json").read_text(encoding="utf-8"))
    assert rec["images"][0] == "synth_0002_mip.png" and len(rec["images"]) == 4
