"""`evaluate.load("pet2rep_ce")` by its bare name, offline, from any folder, after `pet2rep register-metric` (or a
`pet2rep build`), with the same numbers as by path (issue 13). Each load runs in a fresh interpreter started in a
temp folder with a modules cache of its own, as a user's would."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from pet2rep.cli import main
from pet2rep.metric_module import METRIC_NAME, metric_path, modules_cache, register_metric

PREDICTIONS = ["肝脏FDG摄取增高。", "双肺FDG摄取未见异常。", "Increased FDG uptake in the liver."]
REFERENCES = [
    "肝脏FDG摄取增高，脾脏FDG摄取减低。",
    "右肺下叶结节FDG摄取增高。",
    "The liver shows increased FDG uptake.",
]

LOAD = """
import json, sys, evaluate
metric = evaluate.load(sys.argv[1])
result = metric.compute(predictions=json.loads(sys.argv[2]), references=json.loads(sys.argv[3]), include_nlg=True,
                        bootstrap=50, seed=3)
print(json.dumps({"name": metric.name, "result": result}, ensure_ascii=False))
"""


def _load(name: str, cwd, cache) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_MODULES_CACHE": str(cache), "HF_EVALUATE_OFFLINE": "1", "HF_HUB_OFFLINE": "1"}
    args = [sys.executable, "-c", LOAD, name, json.dumps(PREDICTIONS), json.dumps(REFERENCES)]
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_bare_name_loads_offline_from_any_folder_after_register_metric(tmp_path, repo_root, capsys):
    pytest.importorskip("evaluate")
    cache, elsewhere = tmp_path / "modules", tmp_path / "elsewhere"
    elsewhere.mkdir()
    before = _load(METRIC_NAME, elsewhere, cache)  # not registered: evaluate's own error
    assert before.returncode != 0 and "doesn't exist on the Hugging Face Hub either" in before.stderr

    assert main(["register-metric", "--cache", str(cache)]) == 0
    assert 'evaluate.load("pet2rep_ce") now loads it offline' in capsys.readouterr().out
    bare = _load(METRIC_NAME, elsewhere, cache)
    assert bare.returncode == 0, bare.stderr[-3000:]
    by_path = _load(str(repo_root / "metrics" / METRIC_NAME), elsewhere, tmp_path / "other-modules")
    assert by_path.returncode == 0, by_path.stderr[-3000:]
    bare, by_path = (json.loads(p.stdout.strip().splitlines()[-1]) for p in (bare, by_path))
    assert bare["name"] == METRIC_NAME
    assert bare["result"] == by_path["result"]
    assert 0 < bare["result"]["ce_f1"] < 1 and bare["result"]["num_samples"] == 3


def test_register_metric_lays_the_module_out_as_evaluate_caches_it(tmp_path):
    first = register_metric(tmp_path)
    assert first.read_bytes() == metric_path().read_bytes()
    folder = tmp_path / "evaluate_modules" / "metrics" / "evaluate-metric--pet2rep_ce"
    assert first.parent.parent == folder and len(first.parent.name) == 64
    for package in (tmp_path / "evaluate_modules", folder, first.parent):
        assert (package / "__init__.py").is_file()
    assert json.loads(first.with_suffix(".json").read_text(encoding="utf-8"))["local file path"] == str(first)
    # A newer version of the module is the newest copy; registering the first again makes it the newest again.
    newer = tmp_path / "src" / "pet2rep_ce.py"
    newer.parent.mkdir()
    newer.write_bytes(metric_path().read_bytes() + b"\n# another version\n")
    second = register_metric(tmp_path, source=newer)
    assert second.parent != first.parent and second.read_bytes() == newer.read_bytes()
    os.utime(second, (1, 1))
    assert register_metric(tmp_path) == first
    newest = max(folder.glob("*/pet2rep_ce.py"), key=lambda p: p.stat().st_mtime)
    assert newest == first


def test_modules_cache_is_read_as_evaluate_reads_it(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_MODULES_CACHE", str(tmp_path / "m"))
    assert modules_cache() == tmp_path / "m"
    monkeypatch.delenv("HF_MODULES_CACHE")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    assert modules_cache() == tmp_path / "hf" / "modules"
    monkeypatch.delenv("HF_HOME")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert modules_cache() == tmp_path / "xdg" / "huggingface" / "modules"
    evaluate_config = pytest.importorskip("evaluate.config")
    assert evaluate_config.MODULE_NAME_FOR_DYNAMIC_MODULES == "evaluate_modules"


@pytest.mark.slow
def test_build_registers_the_metric_unless_no_register(synth_cohort, tmp_path):
    env = {**os.environ, "HF_MODULES_CACHE": str(tmp_path / "m"), "HF_DATASETS_CACHE": str(tmp_path / "d")}
    argv = [sys.executable, "-m", "pet2rep", "build", str(synth_cohort), "--configs", "fused", "--quiet"]
    done = subprocess.run([*argv, "--out", str(tmp_path / "a")], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    registered = list((tmp_path / "m").glob("evaluate_modules/metrics/evaluate-metric--pet2rep_ce/*/pet2rep_ce.py"))
    assert [p.read_bytes() for p in registered] == [metric_path().read_bytes()]
    assert 'metric: evaluate.load("pet2rep_ce") offline from any directory' in done.stdout
    env["HF_MODULES_CACHE"] = str(tmp_path / "m2")
    argv += ["--no-register", "--out", str(tmp_path / "b")]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and not (tmp_path / "m2").exists(), done.stderr[-3000:]
