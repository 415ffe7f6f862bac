"""lighteval's prediction cache after a rebuild in place (issue 13): other content is generated again, the same
content is reused; the results file and the submission carry the benchmark version.

Three runs of `python -m pet2rep.lighteval accelerate ... --custom-tasks pet2rep.lighteval.tasks` (the module by
name) with the tiny VLM, one cache folder, one dataset folder rebuilt between the runs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import pet2rep
from pet2rep.cli import main as pet2rep_main
from pet2rep.dataset.parquet import content_hash

pytest.importorskip("lighteval")
pytestmark = pytest.mark.slow

TASK = "pet2rep:fused"


def _run(tiny_vlm: Path, dataset: Path, cache: Path, out: Path) -> None:
    command = [
        sys.executable,
        "-m",
        "pet2rep.lighteval",
        "accelerate",
        f"model_name={tiny_vlm.name},batch_size=4,generation_size=8,cache_dir={cache}",
        f"{TASK}|0",
        "--custom-tasks",
        "pet2rep.lighteval.tasks",
        "--vision-model",
        "--save-details",
        "--output-dir",
        str(out),
    ]
    env = {
        **os.environ,
        "PET2REP_DATASET": str(dataset),
        "HF_DATASETS_CACHE": str(cache.parent / "hf-datasets"),
        "HF_HUB_OFFLINE": "1",
        "HF_DATASETS_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "TOKENIZERS_PARALLELISM": "false",
    }
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=tiny_vlm.parent, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-5000:]


def _cache_files(cache: Path) -> dict[Path, int]:
    """Each cached task's generations file -> its modification time (a reused cache is not rewritten)."""
    return {p: p.stat().st_mtime_ns for p in cache.rglob("GENERATIVE.parquet")}


def test_a_rebuilt_dataset_is_generated_again_and_an_unchanged_one_reused(tiny_vlm, dataset_factory, tmp_path):
    import pyarrow.parquet as pq

    dataset, cache = tmp_path / "data" / "pet2rep", tmp_path / "cache"
    dataset_factory(dataset, n=3, configs=("fused",))
    _run(tiny_vlm, dataset, cache, tmp_path / "run1")
    first = _cache_files(cache)
    assert len(first) == 1

    dataset_factory(dataset, n=3, configs=("fused",), blue=99)  # in place: same cases and paths, other images
    _run(tiny_vlm, dataset, cache, tmp_path / "run2")
    second = _cache_files(cache)
    (new,) = set(second) - set(first)  # a new cache entry: the old generations were not reused
    assert second[next(iter(first))] == first[next(iter(first))]  # and the old entry was left alone
    assert pq.read_table(new).num_rows == 3
    assert new.parent.name != next(iter(first)).parent.name  # another task hash

    dataset_factory(dataset, n=3, configs=("fused",), blue=99)  # rebuilt, unchanged
    _run(tiny_vlm, dataset, cache, tmp_path / "run3")
    assert _cache_files(cache) == second  # every generation came from the cache

    (results,) = (tmp_path / "run3").glob("results/**/results_*.json")
    config = json.loads(results.read_text(encoding="utf-8"))["config_tasks"][f"{TASK}|0"]
    assert config["pet2rep_version"] == pet2rep.__version__
    assert config["dataset_content_hash"] == content_hash(dataset)
    assert config["hf_repo"] == str(dataset)

    sub = tmp_path / "submission"
    assert pet2rep_main(["submission", str(tmp_path / "run3"), "--out", str(sub), "--data", str(dataset)]) == 0
    meta = json.loads((sub / "fused.meta.json").read_text(encoding="utf-8"))
    assert meta["dataset_content_hash"] == content_hash(dataset)
    assert (meta["pet2rep_version"], meta["dataset"], meta["results"]) == (
        pet2rep.__version__,
        str(dataset),
        str(results),
    )
