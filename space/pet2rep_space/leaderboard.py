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
from pet2rep_space.oracle import MIN_ORGAN_LABELS, SMALL_ORGAN, round_metric, round_organ, round_overall
from pet2rep_space.testsets import PAPER_TEST_SET, TestSet

COL_MODEL = "Model"
COL_LINK = "Link"
COL_SETTING = "Setting"
COL_CATEGORY = "Category"
COL_TEST_SET = "Test set"
COL_OVERALL = "Overall (%)"
COL_DATE = "Date"
# Column groups are named by a prefix: NLG (text overlap) and CE (clinical efficacy).
METRIC_COLUMNS = {m: f"{METRIC_GROUPS[m]} · {METRIC_SHORT_LABELS[m]}" for m in HEADLINE_METRICS}
COLUMNS = (
    COL_MODEL,
    COL_SETTING,
    COL_CATEGORY,
    COL_TEST_SET,
    COL_OVERALL,
    *METRIC_COLUMNS.values(),
    COL_LINK,
    COL_DATE,
)
#: The metric column groups, named by their columns' prefix.
COLUMN_GROUPS = {group: tuple(c for c in METRIC_COLUMNS.values() if c.startswith(group)) for group in ("NLG", "CE")}
#: Column widths in the app, in pixels: in the app's sans-serif font and cell padding, the table fits a 1400-pixel
#: window and no value or header word is broken.
COLUMN_WIDTHS = {COL_MODEL: 184, COL_SETTING: 84, COL_CATEGORY: 92, COL_TEST_SET: 130, COL_OVERALL: 80}
COLUMN_WIDTHS |= {**dict.fromkeys(COLUMN_GROUPS["NLG"], 84), **dict.fromkeys(COLUMN_GROUPS["CE"], 68)}
COLUMN_WIDTHS |= {COL_LINK: 60, COL_DATE: 100}
DATATYPES = {COL_OVERALL: "number", **dict.fromkeys(METRIC_COLUMNS.values(), "number"), COL_LINK: "markdown"}

BASELINE_CATEGORY = "baseline"
BASELINE_STYLE = "background-color: #fff4cc; font-weight: 600"
ORGAN_METRICS = ("f1", "precision", "recall")

# Characters left unescaped in a link target: enough for real URLs, none that can end a markdown link.
_URL_SAFE = ":/?#@!$&*+,;=%-._~"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def overall_pct(scores: dict) -> float:
    """The paper's "Overall (%)": the mean of its six metrics, times 100 (full precision; round it to show it)."""
    return 100.0 * sum(float(scores[m]) for m in HEADLINE_METRICS) / len(HEADLINE_METRICS)


def test_set_cell(test_set: TestSet) -> str:
    """The table's short test-set cell: ``PET2Rep-565 (published)``, ``PET2Rep v1 (synthetic)``."""
    if test_set.published:
        return f"{test_set.name} (published)"
    version = f" {test_set.version}" if test_set.version else ""
    return f"{test_set.name}{version}" + (f" ({test_set.kind})" if test_set.toy else "")


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
    """A row for one row of the paper's Table 1 (copied as printed: 4 decimals, Overall to 1)."""
    return {
        COL_MODEL: row["model"],
        COL_SETTING: row["setting"],
        COL_CATEGORY: row["category"],
        COL_TEST_SET: test_set_cell(PAPER_TEST_SET),
        COL_OVERALL: round_overall(row["overall_pct"]),
        **{column: round_metric(row[metric]) for metric, column in METRIC_COLUMNS.items()},
        COL_LINK: markdown_link(PAPER_URL, "paper"),
        COL_DATE: row.get("released") or "",
    }


def submission_row(record: dict) -> dict:
    """A row for one accepted submission record: scores rounded to the precision shown, never more."""
    scores = record["scores"]
    return {
        COL_MODEL: str(record["model_name"]),
        COL_SETTING: record["setting"],
        COL_CATEGORY: SUBMISSION_CATEGORY,
        COL_TEST_SET: test_set_cell(TestSet.from_record(record["test_set"])),
        COL_OVERALL: round_overall(overall_pct(scores)),
        **{column: round_metric(scores[metric]) for metric, column in METRIC_COLUMNS.items()},
        COL_LINK: markdown_link(record.get("model_url"), "model"),
        COL_DATE: str(record["submitted_at"])[:10],
    }


def _frame(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    return frame.sort_values(COL_OVERALL, ascending=False, kind="stable", ignore_index=True)


def ranking_frame(records: Iterable[dict], test_set_key: str | None) -> pd.DataFrame:
    """The submissions scored on one test set (its content hash), best "Overall (%)" first; no other rows."""
    return _frame([submission_row(r) for r in records if r["test_set"]["content_hash"] == test_set_key])


def published_frame(published: Iterable[dict]) -> pd.DataFrame:
    """The paper's Table 1 rows (its private cohort :data:`PAPER_TEST_SET`), best first: reference points only."""
    return _frame([published_row(r) for r in published])


def test_set_choices(records: Iterable[dict], own: TestSet | None = None) -> list[tuple[str, str]]:
    """``(label, content hash)`` of the test sets to rank: the Space's own first, then those of the records
    (most submissions first). Never the paper's cohort: nothing is scored on it here."""
    counts: dict[str, int] = {}
    sets: dict[str, TestSet] = {}
    for record in records:
        test_set = TestSet.from_record(record["test_set"])
        sets.setdefault(test_set.key, test_set)
        counts[test_set.key] = counts.get(test_set.key, 0) + 1
    if own is not None:
        sets[own.key] = own
    order = sorted(sets, key=lambda k: (own is None or k != own.key, -counts.get(k, 0), sets[k].label()))
    choices = []
    for key in order:
        test_set = sets[key]
        label = test_set.label() + (" (this Space's references)" if own is not None and key == own.key else "")
        choices.append((label, key))
    return choices


def ranking_title(test_set: TestSet | None, count: int) -> str:
    """The heading above the ranking: which test set it ranks, with a warning for synthetic and demo sets."""
    if test_set is None:
        return "### Ranking\nNo test set: this Space holds no references and no submissions yet."
    title = f"### Ranking on the test set {test_set.label()}\n{count} submission(s), all scored on these references."
    if test_set.toy:
        title += (
            f"\n\n**{test_set.kind.capitalize()} test set:** its cases are not patients' studies; a ranking on it "
            "checks the pipeline and says nothing about real reports."
        )
    return title


def filter_leaderboard(
    frame: pd.DataFrame,
    query: str = "",
    settings: Sequence[str] | None = None,
    categories: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Rows whose model name contains ``query`` (case-insensitive) and whose setting and category are among
    those given (``None``: any)."""
    keep = pd.Series(True, index=frame.index)
    query = (query or "").strip().casefold()
    if query:
        keep &= frame[COL_MODEL].str.casefold().str.contains(query, regex=False)
    for column, allowed in ((COL_SETTING, settings), (COL_CATEGORY, categories)):
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


def organ_labels_count(stats: dict) -> int | None:
    """How many reference labels an organ has (its support summed over states), or None if not recorded."""
    support = stats.get("support")
    return sum(int(n) for n in support.values()) if support else None


def organ_frame(record: dict, metric: str = "f1") -> pd.DataFrame:
    """The per-organ CE ``metric`` of one submission as a long DataFrame (``organ``, ``metric``, ``value``).

    Values are rounded to :data:`~pet2rep_space.oracle.ORGAN_DECIMALS` decimals; an organ with fewer than
    :data:`~pet2rep_space.oracle.MIN_ORGAN_LABELS` reference labels (or none recorded) gets no value and the label
    ``<organ> (n<5)``: its exact figure would reveal single cases' labels.

    Raises:
        ValueError: for a metric other than those of :data:`ORGAN_METRICS`.
    """
    if metric not in ORGAN_METRICS:
        raise ValueError(f"metric should be one of {ORGAN_METRICS}, got {metric!r}")
    rows = []
    for organ, stats in (record.get("per_organ") or {}).items():
        count = organ_labels_count(stats)
        if count is None or count < MIN_ORGAN_LABELS:
            rows.append({"organ": f"{organ_label(organ)} ({SMALL_ORGAN})", "metric": metric, "value": float("nan")})
        else:
            rows.append({"organ": organ_label(organ), "metric": metric, "value": round_organ(stats[metric])})
    frame = pd.DataFrame(rows, columns=["organ", "metric", "value"])
    return frame.astype({"organ": str, "metric": str, "value": float})
