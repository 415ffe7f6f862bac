"""``pet2rep inspect`` on NIfTI cases (the DICOM side is in tests/imaging/dicom/test_discovery.py)."""

from __future__ import annotations

import json

import pytest

from pet2rep.cli import main
from pet2rep.imaging.suv import suv_parameters
from pet2rep.synth import synthesize_case


def test_inspect_nifti_cases_and_problems(tmp_path, capsys):
    data = tmp_path / "data"
    synthesize_case(data, 0, seed=0)  # suv.nii.gz
    case = synthesize_case(data, 1, seed=0)  # pet.nii.gz + meta.json
    assert main(["inspect", str(data)]) == 0
    out = capsys.readouterr().out
    meta = json.loads((case / "meta.json").read_text(encoding="utf-8"))
    factor = suv_parameters(meta).factor
    assert ": 2 case(s), 0 problem(s)" in out
    assert "case synth_0000 (generic)" in out and "SUV: suv.nii.gz is SUV already" in out
    assert f"-> factor {factor:.6g}" in out and "reports: report.txt, report_en.txt" in out
    del meta["weight_kg"]
    (case / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    (data / "empty").mkdir()
    assert main(["inspect", str(data), "--json"]) == 1
    record = json.loads(capsys.readouterr().out)
    assert [c["source_format"] for c in record["cases"]] == ["nifti", "nifti"]
    assert [(p["name"], p["error"]) for p in record["problems"]] == [
        ("empty", "LayoutError"),
        ("synth_0001", "MetadataError"),
    ]
    (data / "empty").rmdir()
    assert main(["inspect", str(data)]) == 1  # a case whose SUV metadata will not do is a problem
    captured = capsys.readouterr()
    assert ": 2 case(s), 1 problem(s)" in captured.out
    assert "SUV: PROBLEM meta.json: weight_kg is missing" in captured.out
    assert "synth_0001: MetadataError: meta.json: weight_kg is missing" in captured.err


@pytest.mark.parametrize("argv", [["inspect"], ["inspect", "/nonexistent/data"]])
def test_inspect_bad_arguments(argv, capsys):
    if len(argv) == 1:
        with pytest.raises(SystemExit):
            main(argv)
    else:
        assert main(argv) == 1
        assert "pet2rep inspect: error: data path not found" in capsys.readouterr().err
