"""docs/ce.md is the normative CE specification: every example of its table holds for the extractor."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pet2rep.text.ce import ORGANS, STATES, extract_uptake

SPEC = Path(__file__).resolve().parents[2] / "docs" / "ce.md"
_ROW = re.compile(r"^\| (\w+) \| (zh|en) \| `([^`]+)` \| ([^|]+) \|$")


def _examples() -> list[tuple[str, str, str, str]]:
    return [m.groups() for line in SPEC.read_text(encoding="utf-8").splitlines() if (m := _ROW.match(line))]


def _parse_labels(cell: str) -> dict[str, list[str]]:
    cell = cell.strip()
    if cell == "normal":
        return {}
    out = {}
    for part in cell.split(";"):
        organ, states = part.split(":")
        out[organ.strip()] = sorted(s.strip() for s in states.split(","))
    return out


def test_the_spec_has_examples_for_every_rule():
    rules = {rule for rule, *_ in _examples()}
    for needed in ("S1", "S2", "S3", "S4", "N1", "N2", "N3", "C", "R", "P1", "P2", "P3", "P4", "P5", "P6", "L"):
        assert needed in rules, needed
    for needed in ("A1", "A2", "A3", "T1", "T2"):
        assert needed in rules, needed
    assert len(_examples()) >= 80
    langs = {(rule, lang) for rule, lang, *_ in _examples()}
    assert {rule for rule, lang in langs if lang == "en"} >= {"S1", "S2", "S3", "N1", "N2", "C", "R", "P2", "P4"}


@pytest.mark.parametrize(("rule", "lang", "text", "labels"), _examples(), ids=lambda v: str(v)[:24])
def test_spec_example(rule, lang, text, labels):
    expected = _parse_labels(labels)
    assert set(expected) <= set(ORGANS)
    assert all(set(s) <= set(STATES) for s in expected.values())
    text = text.replace("\\n", "\n")
    got = {organ: sorted(states) for organ, states in extract_uptake(text, lang).items() if states}
    assert got == expected, f"{rule}: {text}"
