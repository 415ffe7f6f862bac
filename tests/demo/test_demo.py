"""``make demo``'s code path (``demo/run_demo.py``'s ``main``) end to end on a small cohort, twice."""

from __future__ import annotations

import contextlib
import io
import json

import pytest
from PIL import Image
from run_demo import COHORT_STAMP, MODELS, build_parser, main, make_cohort

from pet2rep.paper import baseline_row
from pet2rep.reports import read_reports_jsonl
from pet2rep.text.ce import ORGANS
from pet2rep.vocab import HEADLINE_METRICS

N = 3


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    """Two runs of the demo into the same folders; the printed output of each."""
    root = tmp_path_factory.mktemp("demo")
    paths = {
        "data": root / "data" / "synthetic",
        "dataset": root / "data" / "pet2rep",
        "out": root / "results" / "demo",
        "store": root / "results" / "space_data",
        "cache": root / "hf_cache",
    }
    argv = [
        *("--n", str(N), "--size", "small", "--num-proc", "1", "--bootstrap", "50", "--no-progress"),
        *("--data", str(paths["data"]), "--dataset", str(paths["dataset"]), "--out", str(paths["out"])),
        *("--store", str(paths["store"]), "--hf-cache", str(paths["cache"])),
    ]
    outputs = []
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_DATASETS_CACHE", str(paths["cache"]))
        mp.chdir(root)  # no ./pet2rep folder here: the bare name resolves through the datasets cache
        for _ in range(2):
            buffer = io.StringIO()
            with contextlib.redirect_stdout(buffer):
                code = main(argv)
            outputs.append((code, buffer.getvalue()))
    return paths, outputs


def test_demo_writes_every_artifact(demo_run):
    paths, [(code, printed), _] = demo_run
    assert code == 0
    out = paths["out"]

    # steps and the bare-name load
    for step in range(1, 7):
        assert f"[{step}/6]" in printed
    assert f"datasets.load_dataset('pet2rep', 'fused', split='test') -> {N} rows" in printed
    assert "features: case_id, images, image_names, report" in printed

    # predictions: one JSONL per model covering every case
    case_ids = sorted(p.name for p in paths["data"].iterdir() if p.is_dir())  # (beside them: the cohort stamp)
    assert len(case_ids) == N
    for key in MODELS:
        preds = read_reports_jsonl(out / "predictions" / f"{key}.jsonl")
        assert sorted(preds) == case_ids and all(preds.values())

    # scores.json: every metric of both models, per-organ CE, the paper's row
    scores = json.loads((out / "scores.json").read_text(encoding="utf-8"))
    for key in MODELS:
        model = scores["models"][key]
        assert all(isinstance(model["scores"][m], float) for m in HEADLINE_METRICS)
        assert set(model["scores"]["per_organ"]) == set(ORGANS)
        assert model["scores"]["num_samples"] == N
    assert scores["paper_template_baseline"]["ce_f1"] == baseline_row()["ce_f1"]
    assert "private 565-case cohort" in scores["paper_template_baseline"]["note"]
    reader, template = (scores["models"][k]["scores"] for k in ("image_reader", "template_baseline"))
    # Measured on this 3-case cohort: reader CE F1 0.5 (4 of 6 abnormal labels, no false one), template 0.074.
    assert reader["ce_f1"] > 2 * template["ce_f1"]
    assert reader["ce_precision"] > template["ce_precision"]

    # the printed table: the paper's row labelled, both models, per-organ CE
    assert "Template baseline, paper Table 1 (its private cohort)" in printed
    assert f"{baseline_row()['ce_f1']:.4f}" in printed
    assert f"{reader['ce_f1']:.4f}" in printed and f"{template['ce_f1']:.4f}" in printed
    assert "per-organ CE" in printed and all(organ in printed for organ in ORGANS)

    # the pictures
    with Image.open(out / "contact_sheet.png") as sheet:
        sheet.load()
        assert sheet.mode == "RGB" and sheet.width >= 6 * 64 * 2 and sheet.height >= 3 * 87 * 2
    with Image.open(out / "per_organ_ce.png") as chart:
        chart.load()
        assert chart.mode == "RGB" and chart.width >= 800 and chart.height >= len(ORGANS) * 25
        # both models' bar colours are drawn
        colours = {c for _, c in chart.getcolors(maxcolors=1 << 20)}
        assert (150, 150, 150) in colours and (232, 116, 59) in colours

    # the leaderboard store of `make space`: one record per model
    records = [json.loads(p.read_text(encoding="utf-8")) for p in (paths["store"] / "submissions").glob("*.json")]
    assert sorted(r["model_name"] for r in records) == sorted(m["name"] for m in MODELS.values())
    by_name = {r["model_name"]: r for r in records}
    for key, model in MODELS.items():
        record = by_name[model["name"]]
        assert record["setting"] == model["setting"] and record["num_samples"] == N
        assert record["scores"]["ce_f1"] == pytest.approx(scores["models"][key]["scores"]["ce_f1"])

    # what to do next, and where things are
    assert "make space" in printed and "lighteval accelerate" in printed and "--vision-model" in printed
    # installed from the checkout, as the README does (a bare `pip install 'pet2rep[eval]'` asks the package index)
    assert "pip install -e '.[eval]' torchvision" in printed and "pip install 'pet2rep" not in printed
    assert "pet2rep-lighteval accelerate" in printed
    for path in (out / "scores.json", out / "contact_sheet.png", out / "per_organ_ce.png", paths["store"]):
        assert str(path) in printed
    assert "demo finished in" in printed


def test_a_second_run_reports_already_recorded(demo_run):
    paths, [_, (code, printed)] = demo_run
    assert code == 0
    assert printed.count("already recorded") == len(MODELS)
    assert len(list((paths["store"] / "submissions").glob("*.json"))) == len(MODELS)


def test_a_second_run_reuses_the_unchanged_cohort(demo_run):
    paths, [(_, first), (_, second)] = demo_run
    assert "reusing the unchanged cohort" not in first
    assert f"reusing the unchanged cohort in {paths['data']}" in second
    stamp = json.loads((paths["data"] / COHORT_STAMP).read_text(encoding="utf-8"))
    assert stamp["recipe"]["n"] == N and stamp["digest"].startswith("sha256:")


def test_a_changed_or_different_cohort_is_made_again(tmp_path, capsys):
    argv = [*("--n", "1", "--size", "small", "--data", str(tmp_path / "synthetic"))]
    args = build_parser().parse_args(argv)
    first = make_cohort(args)
    report = first[0] / "report.txt"
    original = report.read_bytes()
    assert make_cohort(args) == first and "reusing" in capsys.readouterr().out
    report.write_text("edited by hand", encoding="utf-8")
    make_cohort(args)
    assert "reusing" not in capsys.readouterr().out and report.read_bytes() == original
    make_cohort(build_parser().parse_args([*argv, "--seed", "1"]))  # another recipe
    assert "reusing" not in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--n", "0"], "--n must be >= 1, got 0"),
        (["--num-proc", "0"], "--num-proc must be >= 1, got 0"),
        (["--bootstrap", "1"], "--bootstrap must be 0 (off) or >= 2 resamples, got 1"),
        (["--store", "a_file"], "--store a_file is a file; expected a folder"),
        (["--data", "a_file"], "--data a_file is a file; expected a folder"),
    ],
)
def test_bad_arguments_are_refused_before_any_work(tmp_path, capsys, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a_file").write_text("x", encoding="utf-8")
    folders = ["--data", "d", "--dataset", "ds", "--out", "o", "--store", "s"]
    assert main([*folders, "--n", "1", *args]) == 1  # the last --n counts
    captured = capsys.readouterr()
    assert f"demo: error: {message}" in captured.err
    assert "[1/6]" not in captured.out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_file"]  # nothing was written
