"""Pure leaderboard functions: published rows + submission records -> DataFrames."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pet2rep_space import leaderboard as lb
from pet2rep_space.testsets import TestSet

from pet2rep.paper import load_table1
from pet2rep.vocab import SUBMISSION_CATEGORY


@pytest.fixture
def table1():
    return load_table1()


def test_ranking_holds_one_test_set_and_the_paper_rows_stand_apart(table1, record_factory, fixture_test_set):
    synthetic = {**fixture_test_set, "name": "Demo", "content_hash": "sha256:" + "d" * 64, "kind": "synthetic"}
    great = {"bleu_4": 0.9, "meteor": 0.9, "rouge_l": 0.9, "ce_precision": 0.9, "ce_recall": 0.9, "ce_f1": 0.9}
    records = [
        record_factory("Alpha"),
        record_factory("<script>alert(1)</script>", "mip"),
        # A run on a synthetic set: it beats every published model, and must never be ranked with them or others.
        record_factory("Toy", id="toy", test_set=synthetic, scores=great),
    ]
    frame = lb.ranking_frame(records, fixture_test_set["content_hash"])
    assert list(frame.columns) == list(lb.COLUMNS)
    # Model names are kept as the exact text (rendered by the app as plain "str" cells).
    assert set(frame[lb.COL_MODEL]) == {"Alpha", "<script>alert(1)</script>"}
    assert set(frame[lb.COL_TEST_SET]) == {"Fixture set v1"}
    assert frame[lb.COL_OVERALL].is_monotonic_decreasing
    alpha = frame[frame[lb.COL_MODEL] == "Alpha"].iloc[0]
    assert alpha[lb.COL_OVERALL] == round(100 * (0.30 + 0.20 + 0.50 + 0.40 + 0.30 + 0.34) / 6, 1)
    assert alpha[lb.METRIC_COLUMNS["ce_f1"]] == 0.34
    assert alpha[lb.COL_CATEGORY] == SUBMISSION_CATEGORY
    assert alpha[lb.COL_DATE] == "2026-01-02"
    assert alpha[lb.COL_LINK] == "[model](https://huggingface.co/org/model)"
    toy = lb.ranking_frame(records, synthetic["content_hash"])
    assert list(toy[lb.COL_MODEL]) == ["Toy"] and list(toy[lb.COL_TEST_SET]) == ["Demo v1 (synthetic)"]

    published = lb.published_frame(table1)
    assert len(published) == len(table1) and published[lb.COL_OVERALL].is_monotonic_decreasing
    assert set(published[lb.COL_TEST_SET]) == {"PET2Rep-565 (published)"}
    assert not set(published[lb.COL_MODEL]) & {"Alpha", "Toy"}
    baseline = published[published[lb.COL_CATEGORY] == "baseline"]
    assert list(baseline[lb.COL_MODEL]) == ["Template Baseline"]
    assert baseline.iloc[0][lb.METRIC_COLUMNS["bleu_4"]] == 0.3150


def test_test_set_choices_put_the_space_own_first_and_label_synthetic_sets(record_factory, fixture_test_set):
    own = TestSet("PET2Rep", "pet2rep-0.4", 24, "sha256:" + "a" * 64, "synthetic")
    other = record_factory("Old", id="old")  # the fixture test set: an earlier version of the references
    choices = lb.test_set_choices([other, record_factory("Older", id="older")], own)
    assert [key for _, key in choices] == [own.key, fixture_test_set["content_hash"]]
    assert choices[0][0] == "PET2Rep pet2rep-0.4 · 24 cases · synthetic · aaaaaaaa (this Space's references)"
    assert lb.test_set_choices([], None) == []
    assert "Synthetic test set" in lb.ranking_title(own, 0)
    assert "Synthetic" not in lb.ranking_title(TestSet.from_record(fixture_test_set), 2)


def test_scores_are_rounded_to_the_precision_shown(table1, record_factory):
    precise = {"bleu_4": 0.123456789, "meteor": 0.2, "rouge_l": 0.333333333, "ce_precision": 0.4, "ce_recall": 0.3}
    frame = lb.ranking_frame([record_factory("P", scores={**precise, "ce_f1": 0.1}, id="p")], "sha256:" + "f" * 64)
    row = frame.iloc[0]
    assert row[lb.METRIC_COLUMNS["bleu_4"]] == 0.1235 and row[lb.METRIC_COLUMNS["rouge_l"]] == 0.3333
    assert row[lb.COL_OVERALL] == 24.3  # 24.2798... shown and sent to 1 decimal


def test_column_groups_and_datatypes(table1):
    frame = lb.published_frame(table1)
    nlg = [c for c in frame.columns if c.startswith("NLG · ")]
    ce = [c for c in frame.columns if c.startswith("CE · ")]
    assert len(nlg) == 3 and len(ce) == 3
    types = dict(zip(frame.columns, lb.datatypes(frame), strict=True))
    assert types[lb.COL_MODEL] == "str"
    assert types[lb.COL_LINK] == "markdown"
    assert all(types[c] == "number" for c in nlg + ce + [lb.COL_OVERALL])


def test_filters(table1, record_factory, fixture_test_set):
    frame = lb.published_frame(table1)
    assert set(lb.filter_leaderboard(frame, "qwen")[lb.COL_MODEL]) == {
        "Qwen2.5-VL-7B",
        "Qwen2.5-VL-32B",
        "Qwen2.5-VL-72B",
        "Qwen-VL-Max",
    }
    fused = lb.filter_leaderboard(frame, settings=["fused"])
    assert len(fused) == 24 and set(fused[lb.COL_SETTING]) == {"fused"}
    medical_sep = lb.filter_leaderboard(frame, settings=["separate"], categories=["medical"])
    assert len(medical_sep) == 7
    ranked = lb.ranking_frame([record_factory("Alpha", "mip")], fixture_test_set["content_hash"])
    assert list(lb.filter_leaderboard(ranked, categories=[SUBMISSION_CATEGORY])[lb.COL_MODEL]) == ["Alpha"]
    assert lb.filter_leaderboard(frame, settings=[]).empty
    # A query is text, not a regular expression.
    assert lb.filter_leaderboard(frame, "(.*").empty
    assert len(lb.filter_leaderboard(frame, "  ")) == len(frame)


def test_style_highlights_only_the_baseline(table1):
    frame = lb.published_frame(table1)
    styler = lb.style_leaderboard(frame)
    html = styler.to_html()
    assert html.count("background-color: #fff4cc") == 1
    ctx = styler._compute().ctx
    styled_rows = {row for (row, _col), props in ctx.items() if props}
    baseline_index = frame.index[frame[lb.COL_CATEGORY] == "baseline"][0]
    assert styled_rows == {baseline_index}
    assert "0.3150" in html and "27.5" in html


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://huggingface.co/org/m", "[x](https://huggingface.co/org/m)"),
        ("http://example.org/a?b=1#c", "[x](http://example.org/a?b=1#c)"),
        ("https://e.org/a)(b)[c]<d>\"e'", "[x](https://e.org/a%29%28b%29%5Bc%5D%3Cd%3E%22e%27)"),
        ("javascript:alert(1)", ""),
        ("data:text/html,<script>", ""),
        ("https://", ""),
        ("https://e.org/\nx", ""),
        ("", ""),
        (None, ""),
    ],
)
def test_markdown_link_is_safe(url, expected):
    assert lb.markdown_link(url, "x") == expected


def test_organ_frame_and_choices(record_factory):
    older = record_factory("A", submitted_at="2026-01-01T00:00:00+00:00", id="a")
    newer = record_factory("B", submitted_at="2026-01-03T00:00:00+00:00", id="b")
    assert lb.submission_choices([older, newer]) == [
        ("B · fused · 2026-01-03T00:00", "b"),
        ("A · fused · 2026-01-01T00:00", "a"),
    ]
    frame = lb.organ_frame(newer, "f1")
    assert isinstance(frame, pd.DataFrame)
    # Rounded to 2 decimals; the lung has 2 reference labels (< 5): no value, marked "n<5".
    assert frame.iloc[0].to_dict() == {"organ": "liver", "metric": "f1", "value": 0.67}
    assert frame.iloc[1]["organ"] == "lung (n<5)" and np.isnan(frame.iloc[1]["value"])
    # A record without label counts shows no organ figure at all.
    unknown = lb.organ_frame({"per_organ": {"liver": {"precision": 1.0, "recall": 0.5, "f1": 2 / 3}}}, "f1")
    assert list(unknown["organ"]) == ["liver (n<5)"] and unknown["value"].isna().all()
    empty = lb.organ_frame({}, "f1")
    assert empty.empty and empty["value"].dtype == float  # a numeric axis even with no data
    with pytest.raises(ValueError, match="metric should be one of"):
        lb.organ_frame(newer, "support")
