"""Cases without a report (issue 13): `pet2rep build` counts them and refuses a mix unless --allow-missing-reports;
the baseline and `pet2rep score` then agree on such a build (image-only cases are predicted but not scored)."""

from __future__ import annotations

import json

import pytest

from pet2rep.cli import main
from pet2rep.dataset.build import build_dataset
from pet2rep.errors import InputError
from pet2rep.reports import unreported_build_cases


@pytest.fixture
def mixed(cohort, tools, tmp_path):
    """The 4 cases, synth_0001 and synth_0003 without report.txt (report_en.txt kept)."""
    root = tools.copy_cohort(cohort, tmp_path / "mixed")
    for case_id in ("synth_0001", "synth_0003"):
        (root / case_id / "report.txt").unlink()
    return root


def test_build_refuses_a_mix_before_rendering_and_names_the_cases(mixed, tmp_path, capsys):
    out = tmp_path / "pet2rep"
    assert main(["build", str(mixed), "--out", str(out), "--configs", "fused", "--quiet", "--no-register"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith(
        "pet2rep build: error: 2 of 4 case(s) have no report (report.txt, or an nnU-Net reports/<id>.json): "
        "synth_0001, synth_0003; a build mixing cases with and without reports cannot be scored as one test set."
    )
    assert "--allow-missing-reports" in err and "\n" not in err
    assert not out.exists()  # refused before anything was written
    with pytest.raises(InputError, match="2 of 4 case"):
        build_dataset(mixed, out, ["fused"], register=False, progress=False, allow_missing_reports=False)


def test_allowed_mix_is_counted_predicted_and_scored_consistently(mixed, tmp_path, capsys):
    out = tmp_path / "pet2rep"
    args = ["build", str(mixed), "--out", str(out), "--configs", "fused", "--quiet", "--no-register"]
    assert main([*args, "--allow-missing-reports"]) == 0
    assert (
        "reports: 2 of 4 built case(s) have no report (image-only; left out of scoring): synth_0001, synth_0003"
        in capsys.readouterr().out
    )
    assert unreported_build_cases(out) == ["synth_0001", "synth_0003"]
    assert unreported_build_cases(out, lang="en") == []  # every case kept its English report

    predictions = tmp_path / "baseline.jsonl"
    assert main(["baseline", "--data", str(out), "--out", str(predictions)]) == 0
    assert len(predictions.read_text(encoding="utf-8").splitlines()) == 4  # every case, as a model predicts them
    scores = tmp_path / "scores.json"
    capsys.readouterr()
    argv = ["score", "--predictions", str(predictions), "--references", str(out), "--bootstrap", "0"]
    assert main([*argv, "--out", str(scores)]) == 0
    captured = capsys.readouterr()
    assert (
        f"pet2rep score: 2 prediction(s) are for cases of {out} without a reference report (image-only); "
        "not scored: synth_0001, synth_0003" in captured.err
    )
    assert json.loads(scores.read_text(encoding="utf-8"))["case_ids"] == ["synth_0000", "synth_0002"]
    # A prediction for a case that is not in the build at all is still an error.
    with predictions.open("a", encoding="utf-8") as f:
        f.write(json.dumps({"case_id": "elsewhere", "report": "x"}) + "\n")
    assert main(argv) == 1
    assert "1 prediction(s) have no reference case: 'elsewhere'" in capsys.readouterr().err


def test_a_cohort_with_every_report_or_none_is_built_without_the_flag(cohort, tools, tmp_path, capsys):
    out = tmp_path / "full"
    assert main(["build", str(cohort), "--out", str(out), "--configs", "fused", "--quiet", "--no-register"]) == 0
    assert "reports: every built case has one (4)" in capsys.readouterr().out
    none = tools.copy_cohort(cohort, tmp_path / "none")
    for report in none.glob("*/report.txt"):
        report.unlink()
    summary = build_dataset(
        none, tmp_path / "img", ["fused"], register=False, progress=False, allow_missing_reports=False
    )
    assert summary.no_report == summary.cases and len(summary.cases) == 4
