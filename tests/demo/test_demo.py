"""``make demo``'s code path (``demo/run_demo.py``'s ``main``) end to end on a small cohort, twice."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shlex
import subprocess
from pathlib import Path

import pytest
from PIL import Image
from run_demo import COHORT_STAMP, MODELS, build_parser, main, make_cohort, next_steps

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
    return paths, outputs, argv


def test_demo_writes_every_artifact(demo_run):
    paths, [(code, printed), _], _ = demo_run
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

    # what to do next (each step is exercised in test_each_next_step_works_here), and where things are
    assert "make space" in printed and "make lighteval-demo" in printed and "pet2rep view --data" in printed
    assert "pip install" not in printed and "lighteval accelerate" not in printed  # no install, no GPU step
    for path in (out / "scores.json", out / "contact_sheet.png", out / "per_organ_ce.png", paths["store"]):
        assert str(path) in printed
    assert "demo finished in" in printed


def test_a_second_run_reports_already_recorded(demo_run):
    paths, [_, (code, printed)], _ = demo_run
    assert code == 0
    assert printed.count("already recorded") == len(MODELS)
    assert len(list((paths["store"] / "submissions").glob("*.json"))) == len(MODELS)


def test_a_second_run_reuses_the_unchanged_cohort(demo_run):
    paths, [(_, first), (_, second)], _ = demo_run
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


MAKEFILE = Path(__file__).resolve().parents[2] / "Makefile"


@pytest.mark.slow
def test_each_next_step_works_here(demo_run, tmp_path):
    """Every printed next step, exercised: make targets exist; `pet2rep view` parses and builds its app on the demo's
    files (not launched); the evaluate command runs for real in make demo's environment (nothing else installed)."""
    from pet2rep.cli import build_parser as pet2rep_parser
    from pet2rep.metric_module import register_metric
    from pet2rep.testing.extras_env import make_extras_env
    from pet2rep.viewer import CaseStore, build_app, load_models

    _, [(_, printed), _], argv = demo_run
    makefile = MAKEFILE.read_text(encoding="utf-8")
    demo_recipe = re.search(r"^demo:.*\n((?:\t.*\n)+)", makefile, flags=re.M).group(1)
    demo_extras = re.search(r"^\$\(VENV\)/\.demo-installed:.*\n\t.*-e '\.\[([\w,]+)\]'", makefile, flags=re.M)
    steps = next_steps(build_parser().parse_args(argv))
    kinds = []
    for _, step in steps:
        assert shlex.join(step) in printed
        if step[0] == "make":
            assert re.search(rf"^{step[1]}:", makefile, flags=re.M), f"no make target {step[1]}"
            kinds.append("make")
        elif step[:2] == ["pet2rep", "view"]:
            args = pet2rep_parser().parse_args(step[1:])
            models = load_models(args.predictions)
            assert sorted(models) == sorted(MODELS)
            app = build_app(CaseStore(args.data, args.config), models)
            assert type(app).__name__ == "Blocks"
            kinds.append("view")
        else:
            assert "pet2rep register-metric" in demo_recipe  # make demo registers the bare name before the demo
            register_metric()
            python = make_extras_env(tmp_path / "env", demo_extras.group(1).split(","))
            env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
            env.update(a.split("=", 1) for a in step if re.fullmatch(r"[A-Z_]+=.*", a))
            command = [str(python), *step[step.index("python") + 1 :]]
            out = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
            assert out.returncode == 0, out.stderr[-3000:]
            assert 0 < float(out.stdout.strip()) <= 1
            kinds.append("python")
    assert sorted(kinds) == ["make", "make", "python", "view"]
