"""A small synthetic cohort rendered once, for the image reader's tests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pet2rep.imaging.cases import discover_cases
from pet2rep.imaging.render import render_all
from pet2rep.synth import synthesize_cohort

N_CASES = 6


@pytest.fixture(scope="session")
def cohort(tmp_path_factory) -> Path:
    """6 small synthetic cases (seed 0)."""
    root = tmp_path_factory.mktemp("demo_cohort") / "cases"
    synthesize_cohort(root, N_CASES, seed=0, size="small", progress=False)
    return root


@pytest.fixture(scope="session")
def rendered(cohort) -> dict:
    """case_id -> config -> RenderedCase (pictures in memory, as a dataset row holds them)."""
    return {case.case_id: render_all(case) for case in discover_cases(cohort)}


@pytest.fixture(scope="session")
def truths(cohort) -> dict:
    return {p.name: json.loads((p / "truth.json").read_text(encoding="utf-8")) for p in sorted(cohort.iterdir())}
