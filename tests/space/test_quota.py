"""Quotas and duplicate detection, counted from stored records."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from pet2rep_space.quota import (
    DuplicateSubmissionError,
    QuotaError,
    admit,
    check_duplicate,
    check_quota,
    user_key,
)

from pet2rep.errors import SubmissionError

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=timezone.utc)


def at(**delta) -> str:
    return (NOW - timedelta(**delta)).isoformat()


def test_user_key():
    assert user_key("alice", "Model X") == "hf:alice"
    assert user_key(None, "  My   Model ") == user_key("", "my model") == "model:my model"
    assert user_key(None, "ＭＹ model") == "model:my model"  # NFKC: full-width letters


def test_min_gap(record_factory):
    records = [record_factory("m", user="hf:a", submitted_at=at(seconds=30))]
    with pytest.raises(QuotaError, match=r"every 60 s per user 'a'.*30 s ago, try again in 30 s"):
        check_quota(records, "hf:a", NOW, per_day=5, min_gap_s=60)
    check_quota(records, "hf:a", NOW, per_day=5, min_gap_s=20)
    check_quota(records, "hf:b", NOW, per_day=5, min_gap_s=60)
    check_quota(records, "hf:a", NOW, per_day=5, min_gap_s=0)


def test_per_day(record_factory):
    records = [
        record_factory("m", user="hf:a", submitted_at=at(hours=30)),  # outside the window
        record_factory("m", user="hf:a", submitted_at=at(hours=20)),
        record_factory("m", user="hf:a", submitted_at=at(hours=2)),
    ]
    check_quota(records, "hf:a", NOW, per_day=3, min_gap_s=0)
    with pytest.raises(QuotaError, match=r"2 submission\(s\) per 24 h per user 'a' reached.*after 2026-03-01 16:00"):
        check_quota(records, "hf:a", NOW, per_day=2, min_gap_s=0)
    check_quota(records, "hf:a", NOW, per_day=0, min_gap_s=0)


def test_model_name_users_are_named_in_messages(record_factory):
    records = [record_factory("m", user="model:m", submitted_at=at(seconds=1))]
    with pytest.raises(QuotaError, match="per model name 'm'"):
        check_quota(records, "model:m", NOW, per_day=1, min_gap_s=0)


def test_duplicates(record_factory):
    records = [record_factory("m", "fused", user="hf:a", predictions_sha256="abc")]
    with pytest.raises(DuplicateSubmissionError, match="already submitted for the 'fused' setting"):
        check_duplicate(records, "hf:a", "fused", "abc")
    check_duplicate(records, "hf:a", "separate", "abc")
    check_duplicate(records, "hf:b", "fused", "abc")
    check_duplicate(records, "hf:a", "fused", "abd")


def test_admit_runs_both_checks(record_factory):
    records = [record_factory("m", user="hf:a", predictions_sha256="abc", submitted_at=at(seconds=5))]
    with pytest.raises(DuplicateSubmissionError):
        admit(records, user="hf:a", setting="fused", predictions_sha256="abc", now=NOW, per_day=9, min_gap_s=60)
    with pytest.raises(QuotaError) as info:
        admit(records, user="hf:a", setting="fused", predictions_sha256="new", now=NOW, per_day=9, min_gap_s=60)
    assert isinstance(info.value, SubmissionError) and isinstance(info.value, ValueError)
    admit(records, user="hf:a", setting="fused", predictions_sha256="new", now=NOW, per_day=9, min_gap_s=1)
