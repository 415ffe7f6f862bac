"""Bad cases are reported with their reasons and left out; the good ones are written; nothing is dropped silently."""

from __future__ import annotations

import json
import shutil

import datasets
import pytest

from pet2rep.cli import main
from pet2rep.dataset.build import _check_nothing_dropped, build_dataset
from pet2rep.dataset.failures import CaseFailure
from pet2rep.dataset.schema import DATASET_CONFIGS
from pet2rep.dataset.script import load_builder_class
from pet2rep.errors import InputError, Pet2RepError, VolumeError


@pytest.fixture(scope="module")
def corrupt_cohort(cohort, tools, tmp_path_factory):
    """The cohort with synth_0001's CT truncated to half its bytes."""
    root = tools.copy_cohort(cohort, tmp_path_factory.mktemp("corrupt") / "cases")
    ct = root / "synth_0001" / "ct.nii.gz"
    data = ct.read_bytes()
    ct.write_bytes(data[: len(data) // 2])
    return root


def test_cli_reports_the_corrupt_case_writes_the_others_and_exits_1(corrupt_cohort, tmp_path, capsys):
    out = tmp_path / "pet2rep"
    status = main(
        ["build", str(corrupt_cohort), "--out", str(out), "--configs", "fused,volumes", "--quiet", "--no-register"]
    )
    captured = capsys.readouterr()
    assert status == 1
    assert "FAILED synth_0001 [fused, volumes] VolumeError" in captured.out
    assert "ct.nii.gz" in captured.out and "3 built, 1 left out" in captured.out
    assert "--allow-failures" in captured.err
    for config in ("fused", "volumes"):
        ds = datasets.load_dataset(str(out), config, split="test", cache_dir=str(tmp_path / "cache"))
        assert ds["case_id"] == ["synth_0000", "synth_0002", "synth_0003"]
    card = (out / "README.md").read_text(encoding="utf-8")
    assert "- `synth_0001` (fused, volumes): VolumeError:" in card


def test_allow_failures_exits_0_and_still_lists_the_case(corrupt_cohort, tmp_path, capsys):
    out = tmp_path / "pet2rep"
    status = main(
        [
            "build",
            str(corrupt_cohort),
            "--out",
            str(out),
            "--configs",
            "mip",
            "--quiet",
            "--no-register",
            "--allow-failures",
        ]
    )
    captured = capsys.readouterr()
    assert status == 0
    assert "FAILED synth_0001 [mip] VolumeError" in captured.out


def test_rebuilding_into_the_data_folder_skips_the_earlier_build(cohort, tools, tmp_path, capsys):
    root = tools.copy_cohort(cohort, tmp_path / "data", case_ids={"synth_0000", "synth_0001"})
    args = ["build", str(root), "--out", str(root / "pet2rep"), "--configs", "fused", "--quiet", "--no-register"]
    assert main(args) == 0
    capsys.readouterr()
    assert main(args) == 0  # data/pet2rep (the first build) is not a failed case folder
    out = capsys.readouterr().out
    assert "2 built, 0 left out" in out
    assert f"skipped {root / 'pet2rep'}: a dataset folder written by pet2rep build, not a case folder" in out
    assert "## Cases left out of this build\n\nnone\n" in (root / "pet2rep" / "README.md").read_text(encoding="utf-8")


def test_every_failure_kind_is_reported(cohort, tools, tmp_path):
    root = tools.copy_cohort(cohort, tmp_path / "cases")
    (root / "synth_0000" / "report.txt").write_bytes(b"\xff\xfe not utf-8")  # unreadable report
    (root / "synth_0001" / "meta.json").write_text(json.dumps({"weight_kg": 70}))  # PET in Bq/mL, no dose
    (root / "stray").mkdir()  # matches no layout
    (root / "stray" / "notes.txt").write_text("x")
    summary = build_dataset(root, tmp_path / "pet2rep", ["fused"], register=False, progress=False)
    reasons = {f.case_id: (f.error, f.message) for f in summary.failures}
    assert sorted(reasons) == ["stray", "synth_0000", "synth_0001"]
    assert reasons["stray"][0] == "LayoutError"
    assert reasons["synth_0000"][0] == "InputError" and "report.txt" in reasons["synth_0000"][1]
    assert reasons["synth_0001"][0] == "MetadataError" and "meta.json" in reasons["synth_0001"][1]
    assert summary.cases == ["synth_0002", "synth_0003"]


def test_no_buildable_case_is_an_error_and_writes_nothing(corrupt_cohort, tools, tmp_path):
    root = tools.copy_cohort(corrupt_cohort, tmp_path / "cases", case_ids={"synth_0001"})
    with pytest.raises(InputError, match=r"no case could be built; synth_0001: VolumeError: .*ct\.nii\.gz"):
        build_dataset(root, tmp_path / "pet2rep", ["fused"], register=False, progress=False)
    assert not (tmp_path / "pet2rep").exists()
    assert not list(tmp_path.glob(".pet2rep.build-*"))  # the scratch folder is gone


def test_builder_used_directly_raises_the_case_error(corrupt_cohort, tmp_path):
    builder_cls = load_builder_class()
    builder = builder_cls(config_name="fused", data_dir=str(corrupt_cohort), cache_dir=str(tmp_path / "cache"))
    with pytest.raises(datasets.exceptions.DatasetGenerationError) as info:
        builder.download_and_prepare()
    assert isinstance(info.value.__cause__, VolumeError)
    assert "synth_0001" in str(info.value.__cause__) and "ct.nii.gz" in str(info.value.__cause__)


def test_builder_used_directly_with_num_proc_2(cohort, tmp_path):
    builder_cls = load_builder_class()
    assert builder_cls.DEFAULT_CONFIG_NAME == "fused"
    assert [c.name for c in builder_cls.BUILDER_CONFIGS] == list(DATASET_CONFIGS)
    builder = builder_cls(config_name="mip", data_dir=str(cohort), cache_dir=str(tmp_path / "cache"))
    builder.download_and_prepare(num_proc=2)
    ds = builder.as_dataset(split="test")
    assert ds["case_id"] == ["synth_0000", "synth_0001", "synth_0002", "synth_0003"]
    assert [len(images) for images in ds["images"]] == [4] * 4


def test_splits_file_gives_splits_and_unlisted_cases_fail(cohort, tools, tmp_path):
    root = tools.copy_cohort(cohort, tmp_path / "cases")
    splits = {"train": ["synth_0000", "synth_0001"], "test": ["synth_0003"]}
    (root / "splits.json").write_text(json.dumps(splits))
    out = tmp_path / "pet2rep"
    summary = build_dataset(root, out, ["fused"], register=False, progress=False)
    assert summary.rows == {"fused": {"train": 2, "test": 1}}
    assert [(f.case_id, f.error) for f in summary.failures] == [("synth_0002", "InputError")]
    assert "in no split" in summary.failures[0].message
    assert sorted(p.name for p in (out / "fused").iterdir()) == [
        "test-00000-of-00001.parquet",
        "train-00000-of-00001.parquet",
    ]
    dd = datasets.load_dataset(str(out), "fused", cache_dir=str(tmp_path / "cache"))
    assert dd["train"]["case_id"] == splits["train"] and dd["test"]["case_id"] == splits["test"]


def test_splits_file_with_a_broken_case_folder_builds_the_others(cohort, tools, tmp_path, capsys):
    """A case folder that discovery cannot use (no PET) is reported like any other failure; splits.json may list it."""
    root = tools.copy_cohort(cohort, tmp_path / "cases")
    (root / "synth_0002" / "suv.nii.gz").unlink()
    splits = {"train": ["synth_0000", "synth_0001"], "test": ["synth_0002", "synth_0003"]}
    (root / "splits.json").write_text(json.dumps(splits))
    out = tmp_path / "pet2rep"
    args = ["build", str(root), "--out", str(out), "--configs", "fused", "--quiet", "--no-register"]
    assert main([*args, "--allow-failures"]) == 0
    captured = capsys.readouterr()
    assert "FAILED synth_0002 [fused] MissingFileError" in captured.out and "3 built, 1 left out" in captured.out
    dd = datasets.load_dataset(str(out), "fused", cache_dir=str(tmp_path / "cache"))
    assert dd["train"]["case_id"] == ["synth_0000", "synth_0001"] and dd["test"]["case_id"] == ["synth_0003"]
    assert main(args) == 1  # without --allow-failures the same build exits 1


def test_every_layout_is_accepted(cohort, tmp_path):
    """A generic case, an autoPET study and an nnU-Net dataset side by side in one data folder."""
    root = tmp_path / "mixed"
    shutil.copytree(cohort / "synth_0000", root / "generic_0")
    study = root / "PETCT_abc" / "0001"  # autoPET: SUV given, no report
    study.mkdir(parents=True)
    shutil.copy(cohort / "synth_0002" / "ct.nii.gz", study / "CTres.nii.gz")
    shutil.copy(cohort / "synth_0002" / "suv.nii.gz", study / "SUV.nii.gz")
    nn = root / "lymph"  # nnU-Net style with a findings JSON
    (nn / "images").mkdir(parents=True)
    (nn / "reports").mkdir()
    shutil.copy(cohort / "synth_0000" / "ct.nii.gz", nn / "images" / "lym_007_0000.nii.gz")
    shutil.copy(cohort / "synth_0000" / "suv.nii.gz", nn / "images" / "lym_007_0001.nii.gz")
    findings = (cohort / "synth_0000" / "report.txt").read_text(encoding="utf-8")
    (nn / "reports" / "lym_007.json").write_text(json.dumps({"检查所见": findings}, ensure_ascii=False))
    summary = build_dataset(root, tmp_path / "pet2rep", ["fused"], register=False, progress=False)
    assert summary.failures == []
    ds = datasets.load_dataset(str(summary.out), "fused", split="test", cache_dir=str(tmp_path / "cache"))
    rows = {r["case_id"]: r for r in ds}
    assert sorted(rows) == ["PETCT_abc_0001", "generic_0", "lym_007"]
    assert rows["lym_007"]["report"] == findings == rows["generic_0"]["report"]
    assert rows["PETCT_abc_0001"]["report"] is None and rows["PETCT_abc_0001"]["ce_labels"] is None
    assert rows["lym_007"]["sex"] is None and rows["lym_007"]["age"] is None
    assert all(len(r["images"]) == 3 for r in rows.values())


def test_a_case_neither_built_nor_reported_is_an_error():
    from types import SimpleNamespace

    cases = [SimpleNamespace(case_id="a"), SimpleNamespace(case_id="b"), SimpleNamespace(case_id="c")]
    built = {"fused": {"a"}}
    failures = [CaseFailure("c", ("fused",), "VolumeError", "bad")]
    with pytest.raises(Pet2RepError, match=r"config 'fused': case\(s\) \['b'\] were neither built nor reported"):
        _check_nothing_dropped(cases, built, failures, ("fused",))
    _check_nothing_dropped(cases[:1] + cases[2:], built, failures, ("fused",))  # a built, c reported: fine
