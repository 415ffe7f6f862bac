import json

from pet2rep.demo import main


def test_demo_makes_and_renders_a_cohort(tmp_path, capsys):
    data, out = tmp_path / "data", tmp_path / "results"
    assert main(["--data", str(data), "--out", str(out), "--n", "2", "--size", "small", "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert str(data) in printed and str(out / "slices") in printed
    for config, n_images in (("separate", 6), ("fused", 3), ("mip", 4)):
        for case_id in ("synth_0000", "synth_0001"):
            rec = json.loads((out / "slices" / config / f"{case_id}.json").read_text(encoding="utf-8"))
            assert rec["config"] == config and len(rec["images"]) == n_images
            assert all((out / "slices" / config / name).is_file() for name in rec["images"])
    assert "synth_0001" in printed and "Bq/mL" in printed
