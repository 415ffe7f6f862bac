"""`pet2rep synth` refuses a non-empty output folder unless --overwrite (issue 13): a second run never replaces a
cohort silently, and --overwrite leaves no stale case of a larger cohort behind."""

from __future__ import annotations

from pet2rep.cli import main


def test_synth_refuses_a_non_empty_folder_and_keeps_it_unchanged(tmp_path, capsys):
    out = tmp_path / "c"
    assert main(["synth", str(out), "--n", "1", "--seed", "0", "--no-progress"]) == 0
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    capsys.readouterr()
    assert main(["synth", str(out), "--n", "1", "--seed", "5", "--no-progress"]) == 1
    err = capsys.readouterr().err.strip()
    assert err == (
        f"pet2rep synth: error: output folder {out} is not empty (1 entries: synth_0000); pick an empty or new "
        "folder, or pass --overwrite to write the cohort over it"
    )
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


def test_synth_overwrite_rewrites_and_removes_stale_cases_only(tmp_path, capsys):
    out = tmp_path / "c"
    assert main(["synth", str(out), "--n", "2", "--seed", "0", "--no-progress"]) == 0
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    old = (out / "synth_0000" / "report.txt").read_text(encoding="utf-8")
    capsys.readouterr()
    assert main(["synth", str(out), "--n", "1", "--seed", "5", "--overwrite", "--no-progress"]) == 0
    assert "removed 1 stale case(s) of an earlier cohort (synth_0001 ...)" in capsys.readouterr().out
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt", "synth_0000"]
    assert (out / "synth_0000" / "report.txt").read_text(encoding="utf-8") != old  # seed 5, not seed 0


def test_synth_refuses_a_file_and_accepts_an_empty_folder(tmp_path, capsys):
    (tmp_path / "f").write_text("x", encoding="utf-8")
    assert main(["synth", str(tmp_path / "f"), "--n", "1", "--no-progress"]) == 1
    assert f"output {tmp_path / 'f'} is a file; expected a folder" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert main(["synth", str(tmp_path / "empty"), "--n", "1", "--no-progress"]) == 0
