"""The image side and the text side agree: synthetic reports round-trip through the CE extractor.

`pet2rep.synth` writes each case's ground truth (`labels.json`) and reports written from it; the CE metric's
extractor must read exactly those labels back, in Chinese and in English, with the same organ keys and states.
"""

import json

import pytest

from pet2rep import synth
from pet2rep.text import ce
from pet2rep.vocab import ORGANS, STATES


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    out = tmp_path_factory.mktemp("cohort")
    return synth.synthesize_cohort(out, 12, seed=7, size="small", progress=False)


@pytest.mark.parametrize(("lang", "file_name"), [("zh", "report.txt"), ("en", "report_en.txt")])
def test_extractor_recovers_synthetic_labels(cohort, lang, file_name):
    abnormal_cases = 0
    for folder in cohort:
        labels = json.loads((folder / "labels.json").read_text(encoding="utf-8"))
        expected = {organ: frozenset(labels.get(organ, ())) for organ in ORGANS}
        got = ce.extract_uptake((folder / file_name).read_text(encoding="utf-8"), lang=lang)
        assert got == expected, f"{folder.name} ({lang}): extractor disagrees with labels.json"
        abnormal_cases += any(expected.values())
    # the cohort must exercise abnormal findings, else the comparison proves little
    assert abnormal_cases >= len(cohort) // 2
    states = {s for folder in cohort for v in json.loads((folder / "labels.json").read_text()).values() for s in v}
    assert states == set(STATES)
