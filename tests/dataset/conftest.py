"""A tiny synthetic cohort built once into the Hub layout, a private datasets cache, and helpers."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pet2rep.dataset.build import BuildSummary, build_dataset
from pet2rep.synth import synthesize_cohort

N_CASES = 4
OFFLINE_ENV = {"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "HF_EVALUATE_OFFLINE": "1"}


@pytest.fixture(scope="session")
def cohort(tmp_path_factory) -> Path:
    """4 small synthetic cases (generic layout; PET as SUV for even, Bq/mL + meta.json for odd indices)."""
    root = tmp_path_factory.mktemp("cohort") / "cases"
    synthesize_cohort(root, N_CASES, seed=0, size="small", progress=False)
    return root


@pytest.fixture(scope="session")
def hf_cache(tmp_path_factory) -> Path:
    """A datasets cache of the tests' own, so the user's cache is never touched."""
    return tmp_path_factory.mktemp("hf_cache")


@pytest.fixture(scope="session")
def built(cohort, hf_cache, tmp_path_factory) -> BuildSummary:
    """Every config of the cohort built into <tmp>/pet2rep and registered in ``hf_cache``."""
    out = tmp_path_factory.mktemp("build") / "pet2rep"
    return build_dataset(cohort, out, num_proc=1, cache_dir=hf_cache, progress=False)


def copy_cohort(cohort: Path, dest: Path, case_ids=None) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    for case in sorted(cohort.iterdir()):
        if case_ids is None or case.name in case_ids:
            shutil.copytree(case, dest / case.name)
    return dest


def run_python(code: str, *, cwd: Path, env: dict, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run ``python -c code`` in a fresh interpreter with the given environment additions."""
    full_env = {**os.environ, **OFFLINE_ENV, **env}
    return subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, env=full_env, capture_output=True, text=True, timeout=timeout
    )


def bare_load(name: str, config: str, *, cwd: Path, cache: Path) -> dict:
    """``load_dataset(name, config)`` in a subprocess started in ``cwd`` with ``HF_DATASETS_CACHE=cache``."""
    code = (
        "import json, datasets\n"
        f"ds = datasets.load_dataset({name!r}, {config!r}, split='test')\n"
        "print(json.dumps({'case_id': list(ds['case_id']), 'n_images': [len(r) for r in ds['images']], "
        "'report': list(ds['report'])}, ensure_ascii=False))\n"
    )
    proc = run_python(code, cwd=cwd, env={"HF_DATASETS_CACHE": str(cache)})
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="session")
def tools():
    """The helpers above, for test modules (they do not import conftest)."""
    from types import SimpleNamespace

    return SimpleNamespace(
        N_CASES=N_CASES, copy_cohort=copy_cohort, run_python=run_python, bare_load=bare_load, OFFLINE_ENV=OFFLINE_ENV
    )
