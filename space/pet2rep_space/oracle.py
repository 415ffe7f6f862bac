"""No score oracle on the private references: what a submitter is told, and which submissions are refused.

The threat (see the About tab): submit A, then A with one case changed; the difference of the two aggregates times
the case count is that case's score change, and repeated, it reconstructs the private references. Defences:

- every score that leaves the Space is rounded to the precision shown (:data:`METRIC_DECIMALS` for metrics,
  :data:`OVERALL_DECIMALS` for Overall, :data:`ORGAN_DECIMALS` per organ), so one case's change is lost in the
  rounding once the test set has more than a few dozen cases;
- a submission whose reports equal an earlier one's (same test set, any account, any setting) in more than
  :data:`MAX_UNCHANGED_SHARE` of the cases, or in all but fewer than :data:`MIN_CHANGED_CASES`, is refused, naming
  the earlier submission;
- more than :data:`MAX_EMPTY_SHARE` empty reports are refused (an empty report scores exactly 0, a clean probe);
- per-organ figures of organs with fewer than :data:`MIN_ORGAN_LABELS` reference labels are not shown ("n<5"):
  they would reveal the label counts of single cases.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Mapping, Sequence

from pet2rep.errors import SubmissionError

METRIC_DECIMALS = 4
OVERALL_DECIMALS = 1
ORGAN_DECIMALS = 2
MIN_ORGAN_LABELS = 5
SMALL_ORGAN = f"n<{MIN_ORGAN_LABELS}"
MAX_UNCHANGED_SHARE = 0.95
MIN_CHANGED_CASES = 3
MAX_EMPTY_SHARE = 0.10
MAX_REPORT_CHARS = 20_000


class NearDuplicateError(SubmissionError):
    """Reports equal to an earlier submission's in all but a few cases."""


class EmptyReportsError(SubmissionError):
    """Too many empty reports."""


class ReportTooLongError(SubmissionError):
    """A report over :data:`MAX_REPORT_CHARS` characters."""


def round_metric(value: float) -> float:
    return round(float(value), METRIC_DECIMALS)


def round_overall(value: float) -> float:
    return round(float(value), OVERALL_DECIMALS)


def round_organ(value: float) -> float:
    return round(float(value), ORGAN_DECIMALS)


def case_hashes(case_ids: Sequence[str], predictions: Sequence[str]) -> dict[str, str]:
    """``{case_id: 16 hex digits of the report's SHA-256}``: what near-duplicate checks compare, kept in records."""
    return {
        case_id: hashlib.sha256(report.encode("utf-8")).hexdigest()[:16]
        for case_id, report in zip(case_ids, predictions, strict=True)
    }


def check_lengths(case_ids: Sequence[str], predictions: Sequence[str], max_chars: int = MAX_REPORT_CHARS) -> None:
    """Refuse a report longer than ``max_chars`` (a flood: scoring cost grows with the length)."""
    for case_id, report in zip(case_ids, predictions, strict=True):
        if len(report) > max_chars:
            raise ReportTooLongError(
                f"case {case_id!r}: the report has {len(report):,} characters; at most {max_chars:,} are accepted "
                "(real reports have a few hundred to a few thousand)"
            )


def check_empty_share(predictions: Sequence[str], max_share: float = MAX_EMPTY_SHARE) -> None:
    """Refuse more than ``max_share`` empty (or whitespace-only) reports."""
    empty = sum(1 for report in predictions if not report.strip())
    allowed = math.floor(max_share * len(predictions))
    if empty > allowed:
        raise EmptyReportsError(
            f"empty reports: {empty} of {len(predictions)} reports are empty; at most {allowed} "
            f"({max_share:.0%} of the cases) may be"
        )


def changes_needed(num_cases: int) -> int:
    """How many reports must differ from any earlier submission's: more than 5% of the cases, and at least 3."""
    return max(MIN_CHANGED_CASES, math.floor((1 - MAX_UNCHANGED_SHARE) * num_cases) + 1)


def check_near_duplicate(records: Iterable[Mapping], test_set_key: str, hashes: Mapping[str, str]) -> None:
    """Refuse reports equal to an earlier submission's (same test set, any account, any setting) in all but a few
    cases (fewer than :func:`changes_needed` changed)."""
    needed = changes_needed(len(hashes))
    for record in records:
        earlier = record.get("case_sha256") or {}
        if (record.get("test_set") or {}).get("content_hash") != test_set_key or not earlier:
            continue
        changed = sum(1 for case_id, digest in hashes.items() if earlier.get(case_id) != digest)
        if changed < needed:
            raise NearDuplicateError(
                f"near-duplicate: {len(hashes) - changed} of {len(hashes)} reports are identical to those of the "
                f"earlier submission {record.get('model_name')!r} ({record.get('setting')}, "
                f"{str(record.get('submitted_at'))[:10]}); a new submission must change at least {needed} reports "
                "(small edits of a submission would reveal per-case scores on the private references)"
            )
