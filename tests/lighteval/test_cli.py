"""`pet2rep baseline` and `pet2rep submission`."""

from __future__ import annotations

import json

import pytest

from pet2rep import prompts
from pet2rep.cli import main
from pet2rep.reports import read_reports_jsonl

pytest.importorskip("datasets")

MODEL = "org/tiny-vlm"
OLD, NEW = "2026-01-01T10-00-00.000001", "2026-02-01T10-00-00.000001"


# --- baseline --------------------------------------------------------------------------------------------------


def test_baseline_writes_the_template_report_for_every_case(tiny_dataset, tmp_path, capsys):
    out = tmp_path / "preds.jsonl"
    assert main(["baseline", "--data", str(tiny_dataset), "--config", "fused", "--out", str(out)]) == 0
    predictions = read_reports_jsonl(out)
    assert list(predictions) == [f"case_{i:03d}" for i in range(4)]
    assert set(predictions.values()) == {prompts.template_report("zh")}
    assert "4 cases" in capsys.readouterr().out


def test_baseline_english_covers_cases_with_an_english_report(tiny_dataset, tmp_path):
    out = tmp_path / "en.jsonl"
    args = ["baseline", "--data", str(tiny_dataset), "--config", "mip", "--lang", "en", "--keep-markers"]
    assert main([*args, "--out", str(out)]) == 0
    predictions = read_reports_jsonl(out)
    assert list(predictions) == ["case_000", "case_001", "case_003"]
    assert set(predictions.values()) == {prompts.report_template("en")}


def test_baseline_reads_the_dataset_from_the_environment(tiny_dataset, tmp_path, monkeypatch):
    monkeypatch.setenv("PET2REP_DATASET", str(tiny_dataset))
    assert main(["baseline", "--config", "separate", "--out", str(tmp_path / "p.jsonl")]) == 0
    assert len(read_reports_jsonl(tmp_path / "p.jsonl")) == 4


def test_baseline_scores_like_a_model(tiny_dataset, tmp_path):
    from pet2rep import lighteval as glue
    from pet2rep.metrics import score

    out = tmp_path / "preds.jsonl"
    main(["baseline", "--data", str(tiny_dataset), "--out", str(out)])
    references = glue.load_split(str(tiny_dataset), "fused")
    refs = list(references["report"])
    result = score(list(read_reports_jsonl(out).values()), refs, lang="zh")
    assert result == score([prompts.template_report("zh")] * len(refs), refs, lang="zh")
    assert result["rouge_l"] > 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--data", "{missing}"], "does not exist: build it with `pet2rep build"),
        (["--config", "volumes"], "has no config 'volumes'; its configs: fused, separate, mip"),
        (["--split", "train"], "has no 'train' split"),
    ],
)
def test_baseline_bad_inputs_exit_1_with_a_message(tiny_dataset, tmp_path, capsys, args, message):
    args = [a.replace("{missing}", str(tmp_path / "missing")) for a in args]
    if "--data" not in args:
        args = ["--data", str(tiny_dataset), *args]
    assert main(["baseline", *args, "--out", str(tmp_path / "p.jsonl")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("pet2rep baseline: error:") and message in err
    assert not (tmp_path / "p.jsonl").exists()


def test_baseline_dataset_without_case_ids(tmp_path, capsys, dataset_factory):
    data = dataset_factory(tmp_path / "d", n=2, configs=("fused",), columns=("images", "report"))
    assert main(["baseline", "--data", str(data), "--out", str(tmp_path / "p.jsonl")]) == 1
    assert "lacks column(s) case_id" in capsys.readouterr().err


# --- submission -------------------------------------------------------------------------------------------------


@pytest.fixture
def results(tmp_path, details_writer, monkeypatch):
    monkeypatch.setenv("PET2REP_DATASET", str(tmp_path / "no-dataset"))  # not the checkout's data/pet2rep
    out = tmp_path / "results"
    details_writer(out, MODEL, OLD, "pet2rep:fused|0", {"case_b": "old", "case_a": "old"})
    details_writer(out, MODEL, NEW, "pet2rep:fused|0", {"case_b": "报告B", "case_a": "<think>x</think>报告A"})
    details_writer(out, MODEL, NEW, "pet2rep:separate|0", {"case_a": "", "case_b": "报告B2"}, shape="list")
    details_writer(out, MODEL, NEW, "pet2rep_en:mip|0", {"case_a": "Report A"})
    return out


def test_submission_one_file_per_task_newest_run(results, tmp_path, capsys):
    out = tmp_path / "sub"
    assert main(["submission", str(results), "--out", str(out)]) == 0
    assert sorted(p.name for p in out.glob("*.jsonl")) == ["fused.jsonl", "mip_en.jsonl", "separate.jsonl"]
    assert sorted(p.name for p in out.glob("*.meta.json")) == [
        "fused.meta.json",
        "mip_en.meta.json",
        "separate.meta.json",
    ]
    fused = (out / "fused.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in fused] == [
        {"case_id": "case_a", "report": "报告A"},
        {"case_id": "case_b", "report": "报告B"},
    ]
    assert read_reports_jsonl(out / "separate.jsonl") == {"case_a": "", "case_b": "报告B2"}
    assert read_reports_jsonl(out / "mip_en.jsonl") == {"case_a": "Report A"}
    printed = capsys.readouterr().out
    assert "pet2rep:separate: 2 cases, 1 empty" in printed and NEW in printed


def test_submission_single_task_to_a_file(results, tmp_path):
    out = tmp_path / "fused.jsonl"
    assert main(["submission", str(results), "--task", "pet2rep:fused", "--out", str(out)]) == 0
    assert read_reports_jsonl(out) == {"case_a": "报告A", "case_b": "报告B"}


def test_submission_accepts_a_details_folder_or_file(results, tmp_path):
    folder = results / "details" / MODEL / OLD
    assert main(["submission", str(folder), "--out", str(tmp_path / "old.jsonl")]) == 0
    assert read_reports_jsonl(tmp_path / "old.jsonl") == {"case_a": "old", "case_b": "old"}
    (file,) = folder.glob("*.parquet")
    assert main(["submission", str(file), "--out", str(tmp_path / "f")]) == 0
    assert (tmp_path / "f" / "fused.jsonl").is_file()


def test_submission_several_models_need_a_choice(results, tmp_path, details_writer, capsys):
    details_writer(results, "other/model", NEW, "pet2rep:fused|0", {"case_a": "X"})
    assert main(["submission", str(results), "--out", str(tmp_path / "s")]) == 1
    assert "details of several models" in capsys.readouterr().err
    assert main(["submission", str(results), "--model", "other/model", "--out", str(tmp_path / "s")]) == 0
    assert read_reports_jsonl(tmp_path / "s" / "fused.jsonl") == {"case_a": "X"}


def test_submission_checks_completeness_against_the_dataset(tmp_path, tiny_dataset, details_writer, capsys):
    out = tmp_path / "results"
    details_writer(out, MODEL, NEW, "pet2rep:fused|0", {"case_000": "a", "case_002": "b"})
    args = ["submission", str(out), "--out", str(tmp_path / "s"), "--data", str(tiny_dataset)]
    assert main(args) == 1
    assert "2 of 4 cases have no generated report (e.g. case_001, case_003)" in capsys.readouterr().err
    details_writer(out, MODEL, NEW, "pet2rep:fused|0", {f"case_{i:03d}": "r" for i in range(4)})
    assert main(args) == 0


def test_submission_warns_about_missing_cases_of_the_default_dataset(
    tmp_path, tiny_dataset, details_writer, capsys, monkeypatch
):
    out = tmp_path / "results"
    details_writer(out, MODEL, NEW, "pet2rep:fused|0", {"case_000": "a", "case_002": "b"})
    args = ["submission", str(out), "--out", str(tmp_path / "s")]
    monkeypatch.setenv("PET2REP_DATASET", str(tmp_path / "nowhere"))
    assert main(args) == 0
    assert f"note: completeness not checked (no dataset at {tmp_path / 'nowhere'}); pass --data" in (
        capsys.readouterr().err
    )
    monkeypatch.setenv("PET2REP_DATASET", str(tiny_dataset))  # e.g. after --max-samples 2: written, with a warning
    assert main(args) == 0
    captured = capsys.readouterr()
    assert "warning: task pet2rep:fused: 2 of 4 cases have no generated report (e.g. case_001, case_003)" in (
        captured.err
    )
    assert read_reports_jsonl(tmp_path / "s" / "fused.jsonl") == {"case_000": "a", "case_002": "b"}
    assert main([*args, "--strict"]) == 1
    assert "pet2rep submission: error: task pet2rep:fused: 2 of 4 cases" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("setup", "args", "message"),
    [
        ("none", [], "no pet2rep details parquet under"),
        ("missing", [], "does not exist"),
        ("two", ["--out-file"], "is one file but the details hold 2 tasks"),
        ("two", ["--task", "pet2rep:mip"], "no details for task(s) pet2rep:mip"),
        ("no-case-id", [], "has no doc.specific.case_id"),
        ("duplicate", [], "'case_a' appears twice"),
        ("not-parquet", [], "not a lighteval details parquet"),
    ],
)
def test_submission_bad_inputs(tmp_path, details_writer, capsys, setup, args, message):
    results = tmp_path / "results"
    results.mkdir()
    if setup == "two":
        details_writer(results, MODEL, NEW, "pet2rep:fused|0", {"case_a": "r"})
        details_writer(results, MODEL, NEW, "pet2rep:separate|0", {"case_a": "r"})
    elif setup == "no-case-id":
        details_writer(results, MODEL, NEW, "pet2rep:fused|0", {None: "r"})
    elif setup == "duplicate":
        folder = details_writer(results, MODEL, NEW, "pet2rep:fused|0", {"case_a": "r"})
        (file,) = folder.glob("*.parquet")
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pq.read_table(file)
        pq.write_table(pa.concat_tables([table, table]), file)
    elif setup == "not-parquet":
        folder = results / "details" / MODEL / NEW
        folder.mkdir(parents=True)
        (folder / f"details_pet2rep:fused|0_{NEW}.parquet").write_text("no")
    elif setup == "missing":
        results = tmp_path / "absent"
    out = str(tmp_path / "s.jsonl") if "--out-file" in args else str(tmp_path / "s")
    args = [a for a in args if a != "--out-file"]
    assert main(["submission", str(results), *args, "--out", out]) == 1
    last = capsys.readouterr().err.strip().splitlines()[-1]  # above it: progress bars of the details writer
    assert last.startswith("pet2rep submission: error:") and message in last
