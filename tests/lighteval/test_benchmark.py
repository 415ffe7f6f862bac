"""The task module by name (pet2rep.lighteval.tasks) and the benchmark version its configs carry (issue 13):
pet2rep version and the test set's content hash, in lighteval's cache key and in results and submissions."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import pet2rep
from pet2rep import lighteval as glue
from pet2rep.cli import main as pet2rep_main
from pet2rep.dataset.load import DATASET_ENV
from pet2rep.dataset.parquet import content_hash

SRC = Path(pet2rep.__file__).resolve().parents[1]
HASH = "sha256:" + "ab" * 32


def _python(code: str, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    environ = {**os.environ, "PYTHONPATH": str(SRC), "HF_HUB_OFFLINE": "1", **env}
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=cwd, env=environ, timeout=300, check=False
    )


def test_importing_the_library_does_not_import_lighteval(tmp_path):
    done = _python("import sys, pet2rep, pet2rep.lighteval, pet2rep.cli; print('lighteval' in sys.modules)", tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


def test_dataset_content_hash_of_a_local_build(tiny_dataset, tmp_path):
    assert glue.dataset_content_hash(str(tiny_dataset)) == content_hash(tiny_dataset)
    assert glue.dataset_content_hash(str(tmp_path / "missing" / "pet2rep")) is None  # a path, not a Hub id


def test_dataset_content_hash_of_a_hub_id_is_its_cards(monkeypatch, tmp_path):
    import huggingface_hub

    card = tmp_path / "README.md"
    card.write_text(
        f"---\npet2rep:\n  benchmark: PET2Rep\n  pet2rep_version: 0.1.0\n  content_hash: '{HASH}'\n---\n# PET2Rep\n",
        encoding="utf-8",
    )
    calls = []

    def download(**kwargs):
        calls.append(kwargs)
        if kwargs["repo_id"] == "org/not-cached":
            raise huggingface_hub.errors.LocalEntryNotFoundError("not in the cache, and offline")
        return str(card)

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", download)
    assert glue.dataset_content_hash("org/pet2rep") == HASH
    assert calls == [{"repo_id": "org/pet2rep", "filename": "README.md", "repo_type": "dataset"}]
    assert glue.dataset_content_hash("org/not-cached") is None


def test_every_task_config_carries_the_benchmark_version(task_module, tiny_dataset):
    for config in task_module.TASKS_TABLE:
        assert config.pet2rep_version == pet2rep.__version__
        assert config.dataset_content_hash == content_hash(tiny_dataset)
        text = config.__str__(lite=True)  # what lighteval hashes into the prediction cache key
        assert pet2rep.__version__ in text and content_hash(tiny_dataset) in text


def test_the_cache_key_follows_the_dataset_content(tmp_path, dataset_factory):
    """A rebuild with other content changes every config's text (lighteval's cache key); an unchanged one does not."""
    from pet2rep.lighteval import tasks

    root = tmp_path / "pet2rep"

    def keys():
        return [c.__str__(lite=True) for c in tasks.tasks_table(str(root), protocol="pet2rep")]

    dataset_factory(root, n=2)
    first = keys()
    dataset_factory(root, n=2)  # the same build again
    assert keys() == first
    dataset_factory(root, n=2, blue=99)  # same cases, other images
    changed = keys()
    assert all(a != b for a, b in zip(first, changed, strict=True))


def test_the_module_by_name_reads_data_pet2rep_in_the_working_directory(tmp_path, dataset_factory):
    """What `--custom-tasks pet2rep.lighteval.tasks` gives lighteval: its registry imports the module by name."""
    dataset = dataset_factory(tmp_path / "data" / "pet2rep", n=1, configs=("fused",))
    code = (
        "from lighteval.tasks.registry import Registry\n"
        "import json, sys\n"
        "module = Registry.create_custom_tasks_module('pet2rep.lighteval.tasks')\n"
        "configs = Registry._extract_configs(module)\n"
        "print(json.dumps({n: [c.hf_repo, c.dataset_content_hash] for n, c in configs.items()}))\n"
        "print(module.__file__)"
    )
    done = _python(code, tmp_path, **{DATASET_ENV: ""})
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.strip().splitlines()
    configs = json.loads(lines[-2])
    assert "pet2rep:fused" in configs and "pet2rep_en:mip" in configs
    assert set(map(tuple, configs.values())) == {(str(dataset.resolve()), content_hash(dataset))}
    assert Path(lines[-1]) == SRC / "pet2rep" / "lighteval" / "tasks.py"


def test_preflight_with_the_module_name_looks_in_the_working_directory(tiny_vlm, tmp_path, monkeypatch):
    monkeypatch.delenv(DATASET_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    args = ["accelerate", f"model_name={tiny_vlm}", "pet2rep:fused|0", "--vision-model"]
    problems = glue.preflight([*args, "--custom-tasks", "pet2rep.lighteval.tasks"])
    assert len(problems) == 1 and f"{tmp_path / 'data' / 'pet2rep'} does not exist" in problems[0]


def _lighteval_output(tmp_path: Path, details_writer, benchmark: dict | None) -> Path:
    """A lighteval output folder: details of pet2rep:fused and, unless None, the results file of the same run."""
    out = tmp_path / "results"
    date_id = "2026-12-02T10-00-00.000000"
    details_writer(out, "org/model", date_id, "pet2rep:fused|0", {"case_a": "报告一", "case_b": "报告二"})
    if benchmark is not None:
        config = {"name": "pet2rep:fused", "hf_repo": "/data/pet2rep", "version": 1, **benchmark}
        results = {"config_general": {"model_name": "org/model"}, "config_tasks": {"pet2rep:fused|0": config}}
        (out / "results" / "org" / "model").mkdir(parents=True)
        (out / "results" / "org" / "model" / f"results_{date_id}.json").write_text(json.dumps(results), "utf-8")
    return out


@pytest.fixture
def no_default_dataset(tmp_path, monkeypatch):
    monkeypatch.delenv(DATASET_ENV, raising=False)
    monkeypatch.chdir(tmp_path)  # no data/pet2rep here: completeness is not checked


@pytest.mark.usefixtures("no_default_dataset")
def test_submission_writes_the_benchmark_version_beside_each_file(tmp_path, details_writer):
    benchmark = {"pet2rep_version": "0.1.0", "dataset_content_hash": HASH}
    out = _lighteval_output(tmp_path, details_writer, benchmark)
    sub = tmp_path / "sub"
    assert pet2rep_main(["submission", str(out), "--out", str(sub)]) == 0
    assert sorted(p.name for p in sub.iterdir()) == ["fused.jsonl", "fused.meta.json"]
    meta = json.loads((sub / "fused.meta.json").read_text(encoding="utf-8"))
    assert meta["pet2rep_version"] == "0.1.0" and meta["dataset_content_hash"] == HASH
    assert meta["dataset"] == "/data/pet2rep" and meta["task"] == "pet2rep:fused" and meta["model"] == "org/model"
    assert meta["results"].endswith("results_2026-12-02T10-00-00.000000.json")
    assert meta["written_by"] == pet2rep.__version__


@pytest.mark.usefixtures("no_default_dataset")
def test_submission_without_a_results_file_says_so(tmp_path, details_writer):
    out = _lighteval_output(tmp_path, details_writer, None)
    target = tmp_path / "fused.jsonl"
    assert pet2rep_main(["submission", str(out), "--out", str(target)]) == 0
    meta = json.loads((tmp_path / "fused.meta.json").read_text(encoding="utf-8"))
    assert meta["results"] is None and meta["dataset_content_hash"] is None and meta["pet2rep_version"] is None
