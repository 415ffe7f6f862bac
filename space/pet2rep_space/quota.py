"""Abuse limits counted from the stored records, so they survive restarts: quotas and duplicates.

A *user* is ``hf:<username>`` on a Space (login required) and ``model:<normalised model name>`` when the
app runs locally without login.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone

from pet2rep.errors import SubmissionError

DAY = timedelta(days=1)


class QuotaError(SubmissionError):
    """A submission over a user's quota."""


class DuplicateSubmissionError(SubmissionError):
    """The same predictions for the same setting, submitted again by the same user."""


def user_key(username: str | None, model_name: str) -> str:
    """Who a submission counts against: the Hub user when logged in, else the model name."""
    if username:
        return f"hf:{username}"
    normalised = " ".join(unicodedata.normalize("NFKC", model_name).casefold().split())
    return f"model:{normalised}"


def parse_time(value: str) -> datetime:
    """An ISO 8601 timestamp as an aware datetime (naive values are taken as UTC)."""
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _describe(user: str) -> str:
    kind, _, name = user.partition(":")
    return f"user {name!r}" if kind == "hf" else f"model name {name!r}"


def check_quota(records: Iterable[dict], user: str, now: datetime, *, per_day: int, min_gap_s: float) -> None:
    """Raise :class:`QuotaError` if ``user`` may not submit at ``now`` (0 disables a limit).

    Args:
        records: the stored records (each with ``user`` and ``submitted_at``).
        user: from :func:`user_key`.
        now: an aware datetime.
        per_day: accepted submissions allowed in any 24 h window.
        min_gap_s: seconds required since the user's last accepted submission.
    """
    times = sorted(parse_time(r["submitted_at"]) for r in records if r.get("user") == user)
    if min_gap_s > 0 and times:
        waited = (now - times[-1]).total_seconds()
        if waited < min_gap_s:
            raise QuotaError(
                f"quota: at most one submission every {min_gap_s:g} s per {_describe(user)}; the last one was "
                f"{max(waited, 0):.0f} s ago, try again in {math.ceil(min_gap_s - waited)} s"
            )
    if per_day > 0:
        recent = [t for t in times if now - t < DAY]
        if len(recent) >= per_day:
            free_at = recent[-per_day] + DAY
            raise QuotaError(
                f"quota: {per_day} submission(s) per 24 h per {_describe(user)} reached; "
                f"the next one is possible after {free_at.strftime('%Y-%m-%d %H:%M')} UTC"
            )


def check_duplicate(records: Iterable[dict], user: str, setting: str, predictions_sha256: str) -> None:
    """Raise :class:`DuplicateSubmissionError` if ``user`` already submitted these predictions for ``setting``."""
    for record in records:
        if (
            record.get("user") == user
            and record.get("setting") == setting
            and record.get("predictions_sha256") == predictions_sha256
        ):
            raise DuplicateSubmissionError(
                f"duplicate: these predictions were already submitted for the {setting!r} setting by "
                f"{_describe(user)} (as {record.get('model_name')!r} on {str(record['submitted_at'])[:10]})"
            )


def admit(
    records: Iterable[dict],
    *,
    user: str,
    setting: str,
    predictions_sha256: str,
    now: datetime,
    per_day: int,
    min_gap_s: float,
) -> None:
    """Both checks: duplicates first (the more specific message), then the quota."""
    records = list(records)
    check_duplicate(records, user, setting, predictions_sha256)
    check_quota(records, user, now, per_day=per_day, min_gap_s=min_gap_s)
