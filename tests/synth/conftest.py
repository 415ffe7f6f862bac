"""The small synthetic cohort (``synth_cohort``, tests/conftest.py) rendered once, for the image reader's tests."""

from __future__ import annotations

import json

import pytest

from pet2rep.imaging.cases import discover_cases
from pet2rep.imaging.render import render_all


@pytest.fixture(scope="session")
def rendered(synth_cohort) -> dict:
    """case_id -> config -> RenderedCase (pictures in memory, as a dataset row holds them)."""
    return {case.case_id: render_all(case) for case in discover_cases(synth_cohort)}


@pytest.fixture(scope="session")
def truths(synth_cohort) -> dict:
    return {p.name: json.loads((p / "truth.json").read_text(encoding="utf-8")) for p in sorted(synth_cohort.iterdir())}
