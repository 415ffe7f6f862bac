"""CE extraction on real physician-written reports against hand-made, adjudicated labels (issue 10).

Two sets of AutoPET-RG-Lym findings: ``dev`` (68 reports; the extractor was reworked while reading them) and
``heldout`` (the other 67 of the 135; labelled after the rework and measured once, blind: no rule was tuned on
them). The figure is micro F1 over (report, organ, state) triples; ``python benchmarks/bench_ce.py --diff
[--gold FILE]`` prints it per organ with every disagreement. The floors sit just under what the extractor reaches,
so a regression fails here.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from pet2rep.text.ce import ORGANS, STATES, extract_uptake
from pet2rep.vocab import NODE_GROUPS

DATA = Path(__file__).parent / "data"
# name -> (file, reports, micro-F1 floor)
GOLD_SETS = {
    # measured: 1.000 (244 of 244 triples, no extra); the original extractor: 0.502
    "dev": (DATA / "real_reports_gold.jsonl", 68, 0.98),
    # measured blind, before any change for it: 0.990 (P 0.989, R 0.992; 258 of 260 triples, 3 extra)
    "heldout": (DATA / "real_reports_heldout_gold.jsonl", 67, 0.98),
}
NODE_GROUP_F1_FLOOR = 0.95  # measured: dev 1.000 for each group, heldout 0.974-1.000; the original: 0.04-0.06


@pytest.fixture(scope="module", params=sorted(GOLD_SETS))
def gold_set(request) -> str:
    return request.param


@pytest.fixture(scope="module")
def gold(gold_set) -> list[dict]:
    path, size, _ = GOLD_SETS[gold_set]
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(rows) == size
    return rows


@pytest.fixture(scope="module")
def floor(gold_set) -> float:
    return GOLD_SETS[gold_set][2]


def _triples(rows: list[dict], key: str) -> set[tuple[str, str, str]]:
    return {(r["id"], organ, state) for r in rows for organ, states in r[key].items() for state in states}


@pytest.fixture(scope="module")
def triples(gold) -> tuple[set, set]:
    predicted = [{"id": r["id"], "labels": extract_uptake(r["text"], "zh")} for r in gold]
    return _triples(gold, "labels"), _triples(predicted, "labels")


def _f1(tp: int, pred: int, ref: int) -> float:
    return 2 * tp / (pred + ref) if pred + ref else 1.0


def test_gold_sets_are_disjoint():
    ids = [
        {json.loads(line)["id"] for line in path.read_text(encoding="utf-8").splitlines()}
        for path, _, _ in GOLD_SETS.values()
    ]
    assert not ids[0] & ids[1]


def test_gold_file_is_well_formed(gold):
    assert len({r["id"] for r in gold}) == len(gold)
    for row in gold:
        assert row["text"].strip()
        assert set(row["labels"]) <= set(ORGANS)
        assert all(states and set(states) <= set(STATES) for states in row["labels"].values())
        assert set(row["evidence"]) == set(row["labels"])
    counts = Counter(state for r in gold for states in r["labels"].values() for state in states)
    assert counts["increased"] > 150 and counts["absent"] > 10  # a real mix, not an empty set


def test_micro_f1_on_real_reports(triples, floor):
    ref, pred = triples
    f1 = _f1(len(ref & pred), len(pred), len(ref))
    missed, added = sorted(ref - pred), sorted(pred - ref)
    assert f1 >= floor, f"micro F1 {f1:.4f}; missed {missed}; added {added}"


@pytest.mark.parametrize("group", NODE_GROUPS)
def test_node_groups_on_real_reports(triples, group):
    """Lymph-node disease is what the reports are about: each node group on its own."""
    ref, pred = ({t for t in s if t[1] == group} for s in triples)
    assert len(ref) >= 30
    f1 = _f1(len(ref & pred), len(pred), len(ref))
    assert f1 >= NODE_GROUP_F1_FLOOR, f"{group}: F1 {f1:.4f}; missed {sorted(ref - pred)}; added {sorted(pred - ref)}"


def test_no_false_lung_finding_from_coordinated_negation(gold):
    """未见异常密度影或异常放射性浓聚灶 is normal lung, in every report that says so."""
    sentence = "双肺未见异常密度影或异常放射性浓聚灶"
    rows = [r for r in gold if sentence in r["text"] and "lung" not in r["labels"]]
    assert len(rows) >= 30
    assert [r["id"] for r in rows if extract_uptake(r["text"], "zh")["lung"]] == []
