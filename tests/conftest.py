"""Shared test setup: everything runs offline, with no analytics or telemetry."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest

for _var, _value in {
    "HF_HUB_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "HF_EVALUATE_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "DO_NOT_TRACK": "1",
}.items():
    os.environ.setdefault(_var, _value)
# evaluate copies the modules it loads, and `pet2rep build` / `pet2rep register-metric` register pet2rep_ce, under
# HF_MODULES_CACHE: a temporary one of the test session's, never the user's.
if "HF_MODULES_CACHE" not in os.environ:
    os.environ["HF_MODULES_CACHE"] = tempfile.mkdtemp(prefix="pet2rep-test-hf-modules-")
    atexit.register(shutil.rmtree, os.environ["HF_MODULES_CACHE"], ignore_errors=True)

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DIR = REPO_ROOT.parent / "shared"
OFFICIAL_DEMO_DIR = SHARED_DIR / "data" / "official_demo"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def official_demo_dir() -> Path:
    if not OFFICIAL_DEMO_DIR.is_dir():
        pytest.skip(f"the official demo case is not at {OFFICIAL_DEMO_DIR}")
    return OFFICIAL_DEMO_DIR


@pytest.fixture(scope="session")
def synth_cohort(tmp_path_factory) -> Path:
    """Six small synthetic cases (seed 0), made once per test session; tests must not modify them."""
    from pet2rep.synth import synthesize_cohort

    out = tmp_path_factory.mktemp("synth") / "cohort"
    synthesize_cohort(out, 6, seed=0, size="small", progress=False)
    return out
