"""lighteval end to end: tiny random VLM, CPU, offline, over a synthetic build; then the submission files.

Runs the documented offline command, `python -m pet2rep.lighteval accelerate ...` (`lighteval accelerate`
with the registry's tinyBenchmarks download answered locally), as a subprocess, and checks the results file
against pet2rep.metrics.score on the predictions lighteval saved.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from pet2rep import lighteval as glue
from pet2rep.cli import main as pet2rep_main
from pet2rep.vocab import HEADLINE_METRICS

pytest.importorskip("lighteval")
pytestmark = pytest.mark.slow

TASKS = ("pet2rep:fused", "pet2rep:separate")


def offline_env(dataset, cache) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "PET2REP_DATASET": str(dataset),
            "HF_DATASETS_CACHE": str(cache),  # lighteval reads its prediction cache through datasets
            "HF_HUB_OFFLINE": "1",
            "HF_DATASETS_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            "HF_HUB_DISABLE_TELEMETRY": "1",
            "TOKENIZERS_PARALLELISM": "false",
        }
    )
    return env


@pytest.fixture(scope="module")
def lighteval_run(tiny_vlm, synthetic_build, task_file, tmp_path_factory):
    out = tmp_path_factory.mktemp("lighteval")
    command = [
        sys.executable,
        "-m",
        "pet2rep.lighteval",
        "accelerate",
        # relative to cwd: lighteval joins an absolute model path onto cache_dir, i.e. caches inside the model
        f"model_name={tiny_vlm.name},batch_size=4,generation_size=16,cache_dir={out / 'cache'}",
        ",".join(f"{task}|0" for task in TASKS),
        "--custom-tasks",
        str(task_file),
        "--vision-model",
        "--save-details",
        "--output-dir",
        str(out / "results"),
    ]
    start = time.perf_counter()
    env = offline_env(synthetic_build, out / "hf-datasets")
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=tiny_vlm.parent, timeout=600)
    seconds = time.perf_counter() - start
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-5000:]
    print(f"lighteval e2e run: {seconds:.1f} s")
    assert any((out / "cache" / tiny_vlm.name).iterdir())  # the prediction cache went where it was told
    return out / "results"


def test_results_hold_all_six_metrics_per_task(lighteval_run):
    (results_file,) = lighteval_run.glob("results/**/results_*.json")
    results = json.loads(results_file.read_text(encoding="utf-8"))["results"]
    for task in TASKS:
        scores = results[f"{task}|0"]
        for name in HEADLINE_METRICS:
            assert isinstance(scores[name], float) and 0.0 <= scores[name] <= 1.0
            assert isinstance(scores[f"{name}_std"], float)


def test_results_equal_pet2rep_metrics_on_the_saved_predictions(lighteval_run, synthetic_build):
    from pet2rep.metrics import score

    (results_file,) = lighteval_run.glob("results/**/results_*.json")
    results = json.loads(results_file.read_text(encoding="utf-8"))["results"]
    found = glue.collect_submissions(lighteval_run)
    for task in TASKS:
        _, reports = found[task]
        references = glue.load_split(str(synthetic_build), task.split(":")[1])
        refs = dict(zip(list(references["case_id"]), list(references["report"]), strict=True))
        case_ids = sorted(reports)
        expected = score([reports[c] for c in case_ids], [refs[c] for c in case_ids], lang="zh")
        for name in HEADLINE_METRICS:
            assert results[f"{task}|0"][name] == pytest.approx(expected[name], abs=1e-12)


def test_images_reached_the_model(lighteval_run, tiny_vlm):
    """The prompts lighteval tokenised hold the processor's image tokens: 4 per image, in every sample."""
    import pyarrow.parquet as pq
    from transformers import AutoTokenizer

    image_token = AutoTokenizer.from_pretrained(tiny_vlm).convert_tokens_to_ids("<image>")
    for task, images in (("pet2rep:fused", 3), ("pet2rep:separate", 6)):
        (details,) = lighteval_run.glob(f"details/**/details_{task}|0_*.parquet")
        rows = pq.read_table(details, columns=["doc", "model_response"]).to_pylist()
        assert len(rows) == 4
        for row in rows:
            assert len(row["doc"]["images"]) == images
            assert row["model_response"]["input_tokens"].count(image_token) == 4 * images


def test_submission_gives_one_jsonl_per_config_with_every_case(lighteval_run, synthetic_build, tmp_path, capsys):
    out = tmp_path / "sub"
    assert pet2rep_main(["submission", str(lighteval_run), "--out", str(out), "--data", str(synthetic_build)]) == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "fused.jsonl",
        "fused.meta.json",
        "separate.jsonl",
        "separate.meta.json",
    ]
    found = glue.collect_submissions(lighteval_run)
    for task in TASKS:
        lines = (out / f"{task.split(':')[1]}.jsonl").read_text(encoding="utf-8").splitlines()
        records = [json.loads(line) for line in lines]
        assert [r["case_id"] for r in records] == [f"synth_{i:04d}" for i in range(4)]
        assert {r["case_id"]: r["report"] for r in records} == found[task][1]
    assert "pet2rep:fused: 4 cases" in capsys.readouterr().out
