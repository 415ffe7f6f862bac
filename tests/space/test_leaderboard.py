"""Pure leaderboard functions: published rows + submission records -> DataFrames."""

from __future__ import annotations

import pandas as pd
import pytest
from pet2rep_space import leaderboard as lb

from pet2rep.paper import load_table1
from pet2rep.vocab import SUBMISSION_CATEGORY


@pytest.fixture
def table1():
    return load_table1()


def test_leaderboard_holds_paper_rows_and_submissions(table1, record_factory):
    records = [record_factory("Alpha"), record_factory("<script>alert(1)</script>", "mip")]
    frame = lb.build_leaderboard(table1, records)
    assert list(frame.columns) == list(lb.COLUMNS)
    assert len(frame) == len(table1) + 2
    assert (frame[lb.COL_SOURCE] == lb.SOURCE_PAPER).sum() == len(table1)
    submitted = frame[frame[lb.COL_SOURCE] == lb.SOURCE_SUBMISSION]
    # Model names are kept as the exact text (rendered by the app as plain "str" cells).
    assert set(submitted[lb.COL_MODEL]) == {"Alpha", "<script>alert(1)</script>"}
    # Best overall first.
    assert frame[lb.COL_OVERALL].is_monotonic_decreasing
    alpha = frame[frame[lb.COL_MODEL] == "Alpha"].iloc[0]
    assert alpha[lb.COL_OVERALL] == pytest.approx(100 * (0.30 + 0.20 + 0.50 + 0.40 + 0.30 + 0.34) / 6)
    assert alpha[lb.METRIC_COLUMNS["ce_f1"]] == 0.34
    assert alpha[lb.COL_CATEGORY] == SUBMISSION_CATEGORY
    assert alpha[lb.COL_DATE] == "2026-01-02"
    assert alpha[lb.COL_LINK] == "[model](https://huggingface.co/org/model)"
    baseline = frame[frame[lb.COL_CATEGORY] == "baseline"]
    assert list(baseline[lb.COL_MODEL]) == ["Template Baseline"]
    assert baseline.iloc[0][lb.METRIC_COLUMNS["bleu_4"]] == 0.3150


def test_column_groups_and_datatypes(table1):
    frame = lb.build_leaderboard(table1, [])
    nlg = [c for c in frame.columns if c.startswith("NLG · ")]
    ce = [c for c in frame.columns if c.startswith("CE · ")]
    assert len(nlg) == 3 and len(ce) == 3
    types = dict(zip(frame.columns, lb.datatypes(frame), strict=True))
    assert types[lb.COL_MODEL] == "str"
    assert types[lb.COL_LINK] == "markdown"
    assert all(types[c] == "number" for c in nlg + ce + [lb.COL_OVERALL])


def test_filters(table1, record_factory):
    frame = lb.build_leaderboard(table1, [record_factory("Alpha", "mip")])
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
    assert list(lb.filter_leaderboard(frame, sources=[lb.SOURCE_SUBMISSION])[lb.COL_MODEL]) == ["Alpha"]
    assert lb.filter_leaderboard(frame, settings=[]).empty
    # A query is text, not a regular expression.
    assert lb.filter_leaderboard(frame, "(.*").empty
    assert len(lb.filter_leaderboard(frame, "  ")) == len(frame)


def test_style_highlights_only_the_baseline(table1):
    frame = lb.build_leaderboard(table1, [])
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
    frame = lb.organ_frame(newer, "recall")
    assert isinstance(frame, pd.DataFrame)
    assert frame.to_dict("records") == [
        {"organ": "liver", "metric": "recall", "value": 0.5},
        {"organ": "lung", "metric": "recall", "value": 0.0},
    ]
    empty = lb.organ_frame({}, "f1")
    assert empty.empty and empty["value"].dtype == float  # a numeric axis even with no data
    with pytest.raises(ValueError, match="metric should be one of"):
        lb.organ_frame(newer, "support")
