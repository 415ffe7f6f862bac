"""Pure functions from published rows and stored submission records to the leaderboard's DataFrames.

Nothing here reads files, calls the Hub or knows about Gradio: the app passes in the paper's Table 1
(:func:`pet2rep.paper.load_table1`) and the records of :class:`pet2rep_space.store.SubmissionStore`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from urllib.parse import quote, urlsplit

import pandas as pd

from pet2rep.paper import PAPER_URL
from pet2rep.vocab import HEADLINE_METRICS, METRIC_GROUPS, METRIC_SHORT_LABELS, SUBMISSION_CATEGORY

COL_MODEL = "Model"
COL_LINK = "Link"
COL_SETTING = "Setting"
COL_CATEGORY = "Category"
COL_SOURCE = "Source"
COL_OVERALL = "Overall (%)"
COL_DATE = "Date"
# Column groups are named by a prefix: NLG (text overlap) and CE (clinical efficacy).
METRIC_COLUMNS = {m: f"{METRIC_GROUPS[m]} · {METRIC_SHORT_LABELS[m]}" for m in HEADLINE_METRICS}
COLUMNS = (
    COL_MODEL,
    COL_SETTING,
    COL_CATEGORY,
    COL_SOURCE,
    COL_OVERALL,
    *METRIC_COLUMNS.values(),
    COL_LINK,
    COL_DATE,
)
#: The metric column groups, named by their columns' prefix.
COLUMN_GROUPS = {group: tuple(c for c in METRIC_COLUMNS.values() if c.startswith(group)) for group in ("NLG", "CE")}
#: Column widths in the app, in pixels: in the app's sans-serif font and cell padding, the table fits a 1400-pixel
#: window and no value or header word is broken.
COLUMN_WIDTHS = {COL_MODEL: 184, COL_SETTING: 84, COL_CATEGORY: 92, COL_SOURCE: 150, COL_OVERALL: 72}
COLUMN_WIDTHS |= {**dict.fromkeys(COLUMN_GROUPS["NLG"], 84), **dict.fromkeys(COLUMN_GROUPS["CE"], 68)}
COLUMN_WIDTHS |= {COL_LINK: 60, COL_DATE: 100}
DATATYPES = {COL_OVERALL: "number", **dict.fromkeys(METRIC_COLUMNS.values(), "number"), COL_LINK: "markdown"}

SOURCE_PAPER = "paper (published)"
SOURCE_SUBMISSION = "submission"
BASELINE_CATEGORY = "baseline"
BASELINE_STYLE = "background-color: #fff4cc; font-weight: 600"
ORGAN_METRICS = ("f1", "precision", "recall")

# Characters left unescaped in a link target: enough for real URLs, none that can end a markdown link.
_URL_SAFE = ":/?#@!$&*+,;=%-._~"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def overall_pct(scores: dict) -> float:
    """The paper's "Overall (%)": the mean of its six metrics, times 100."""
    return 100.0 * sum(float(scores[m]) for m in HEADLINE_METRICS) / len(HEADLINE_METRICS)


def markdown_link(url: str | None, label: str) -> str:
    """A markdown link safe to render in a ``markdown`` column, or ``""`` for anything but http(s).

    The target is percent-encoded so that no bracket, parenthesis, quote, angle bracket or space can
    close the link or open HTML; the label is one of the app's fixed words.
    """
    if not url or _CONTROL.search(url):
        return ""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return ""
    return f"[{label}]({quote(url, safe=_URL_SAFE)})"


def published_row(row: dict) -> dict:
    """A leaderboard row for one row of the paper's Table 1."""
    return {
        COL_MODEL: row["model"],
        COL_SETTING: row["setting"],
        COL_CATEGORY: row["category"],
        COL_SOURCE: SOURCE_PAPER,
        COL_OVERALL: float(row["overall_pct"]),
        **{column: float(row[metric]) for metric, column in METRIC_COLUMNS.items()},
        COL_LINK: markdown_link(PAPER_URL, "paper"),
        COL_DATE: row.get("released") or "",
    }


def submission_row(record: dict) -> dict:
    """A leaderboard row for one accepted submission record."""
    scores = record["scores"]
    return {
        COL_MODEL: str(record["model_name"]),
        COL_SETTING: record["setting"],
        COL_CATEGORY: SUBMISSION_CATEGORY,
        COL_SOURCE: SOURCE_SUBMISSION,
        COL_OVERALL: overall_pct(scores),
        **{column: float(scores[metric]) for metric, column in METRIC_COLUMNS.items()},
        COL_LINK: markdown_link(record.get("model_url"), "model"),
        COL_DATE: str(record["submitted_at"])[:10],
    }


def build_leaderboard(published: Iterable[dict], records: Iterable[dict]) -> pd.DataFrame:
    """One table of the paper's rows and the accepted submissions, best "Overall (%)" first."""
    rows = [published_row(r) for r in published] + [submission_row(r) for r in records]
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    frame = frame.sort_values(COL_OVERALL, ascending=False, kind="stable", ignore_index=True)
    return frame


def filter_leaderboard(
    frame: pd.DataFrame,
    query: str = "",
    settings: Sequence[str] | None = None,
    categories: Sequence[str] | None = None,
    sources: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Rows whose model name contains ``query`` (case-insensitive) and whose setting, category and source
    are among those given (``None``: any)."""
    keep = pd.Series(True, index=frame.index)
    query = (query or "").strip().casefold()
    if query:
        keep &= frame[COL_MODEL].str.casefold().str.contains(query, regex=False)
    for column, allowed in ((COL_SETTING, settings), (COL_CATEGORY, categories), (COL_SOURCE, sources)):
        if allowed is not None:
            keep &= frame[column].isin(list(allowed))
    return frame[keep].reset_index(drop=True)


def style_leaderboard(frame: pd.DataFrame):
    """A pandas Styler: the template baseline row highlighted, metrics to 4 decimals, overall to 1."""

    def highlight(row: pd.Series) -> list[str]:
        style = BASELINE_STYLE if row[COL_CATEGORY] == BASELINE_CATEGORY else ""
        return [style] * len(row)

    formats = {COL_OVERALL: "{:.1f}", **dict.fromkeys(METRIC_COLUMNS.values(), "{:.4f}")}
    return frame.style.apply(highlight, axis=1).format(formats)


def datatypes(frame: pd.DataFrame) -> list[str]:
    """The ``gr.Dataframe`` datatype of each column: numbers, the link as markdown, all else plain text."""
    return [DATATYPES.get(column, "str") for column in frame.columns]


def column_widths(frame: pd.DataFrame) -> list[str]:
    """The ``gr.Dataframe`` width of each column."""
    return [f"{COLUMN_WIDTHS[column]}px" for column in frame.columns]


def submission_choices(records: Iterable[dict]) -> list[tuple[str, str]]:
    """``(label, record id)`` pairs for a dropdown of submissions, newest first."""
    ordered = sorted(records, key=lambda r: r["submitted_at"], reverse=True)
    return [(f"{r['model_name']} · {r['setting']} · {str(r['submitted_at'])[:16]}", r["id"]) for r in ordered]


def organ_label(organ: str) -> str:
    """The chart label of an organ key: ``mediastinal_lymph_node`` -> ``mediastinal lymph node``."""
    return organ.replace("_", " ")


def organ_frame(record: dict, metric: str = "f1") -> pd.DataFrame:
    """The per-organ CE ``metric`` of one submission as a long DataFrame (``organ``, ``metric``, ``value``).

    Raises:
        ValueError: for a metric other than those of :data:`ORGAN_METRICS`.
    """
    if metric not in ORGAN_METRICS:
        raise ValueError(f"metric should be one of {ORGAN_METRICS}, got {metric!r}")
    rows = []
    for organ, stats in (record.get("per_organ") or {}).items():
        rows.append({"organ": organ_label(organ), "metric": metric, "value": float(stats[metric])})
    frame = pd.DataFrame(rows, columns=["organ", "metric", "value"])
    return frame.astype({"organ": str, "metric": str, "value": float})
