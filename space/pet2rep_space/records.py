"""The schema of a stored submission record, checked whenever a record is read (local disk or the Hub mirror).

A record that fails is skipped and logged with its file name by the store: never shown, never fatal. One badly
shaped file (``"scores": {}``, a NaN, an unknown setting or test set) must not take the board down.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import datetime

from pet2rep.errors import InputError, Pet2RepError
from pet2rep.vocab import HEADLINE_METRICS, ORGANS, STATES
from pet2rep_space.testsets import TestSet
from pet2rep_space.validation import SETTINGS, validate_model_name, validate_model_url

RECORD_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
#: Metrics a record may hold besides those of the paper (all aggregates in [0, 1]).
OPTIONAL_METRICS = ("bleu_1", "bleu_2", "bleu_3")
ORGAN_METRICS = ("precision", "recall", "f1")


class RecordError(InputError):
    """A stored record that does not follow the schema."""


def _unit_number(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise RecordError(f"{where}: expected a finite number, got {value!r}")
    if not 0.0 <= value <= 1.0:
        raise RecordError(f"{where}: expected a value in [0, 1], got {value!r}")
    return float(value)


def _count(value: object, where: str, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise RecordError(f"{where}: expected an integer >= {minimum}, got {value!r}")
    return value


def _scores(scores: object) -> dict:
    if not isinstance(scores, Mapping):
        raise RecordError(f"scores: expected an object, got {type(scores).__name__}")
    missing = [m for m in HEADLINE_METRICS if m not in scores]
    if missing:
        raise RecordError(f"scores: missing {', '.join(missing)}")
    checked = {m: _unit_number(scores[m], f"scores.{m}") for m in HEADLINE_METRICS}
    checked |= {m: _unit_number(scores[m], f"scores.{m}") for m in OPTIONAL_METRICS if m in scores}
    return {**scores, **checked}


def _per_organ(per_organ: object) -> dict:
    if per_organ is None:
        return {}
    if not isinstance(per_organ, Mapping):
        raise RecordError(f"per_organ: expected an object, got {type(per_organ).__name__}")
    unknown = sorted(set(per_organ) - set(ORGANS))
    if unknown:
        raise RecordError(f"per_organ: unknown organ(s) {', '.join(map(repr, unknown[:3]))}")
    out = {}
    for organ, stats in per_organ.items():
        if not isinstance(stats, Mapping):
            raise RecordError(f"per_organ.{organ}: expected an object, got {type(stats).__name__}")
        entry = {m: _unit_number(stats.get(m), f"per_organ.{organ}.{m}") for m in ORGAN_METRICS}
        support = stats.get("support", {})
        if not isinstance(support, Mapping) or set(support) - set(STATES):
            raise RecordError(f"per_organ.{organ}.support: expected counts per state {STATES}, got {support!r}")
        entry["support"] = {s: _count(n, f"per_organ.{organ}.support.{s}") for s, n in support.items()}
        out[organ] = entry
    return out


def validate_record(
    record: object, *, legacy_test_sets: Mapping[str, TestSet] | None = None, name: str | None = None
) -> dict:
    """The record, checked against the full schema; raises :class:`RecordError` naming the first problem.

    Args:
        record: the parsed JSON.
        legacy_test_sets: for records written before test sets were stored: ``references_fingerprint`` ->
            the test set it names (the Space's current references when their fingerprint matches). A record with
            neither a ``test_set`` nor a known fingerprint belongs to no known test set and is refused.
        name: the file name the record was read from; its stem must be the record's id.

    Returns:
        A copy with ``test_set`` filled in (for legacy records) and numbers as floats.
    """
    if not isinstance(record, Mapping):
        raise RecordError(f"expected a JSON object, got {type(record).__name__}")
    record = dict(record)
    record_id = record.get("id")
    if not isinstance(record_id, str) or not RECORD_ID.match(record_id):
        raise RecordError(f"id: expected a name matching {RECORD_ID.pattern}, got {record_id!r}")
    if name is not None and name.removesuffix(".json") != record_id:
        raise RecordError(f"id {record_id!r} is not the file name {name!r}")
    try:
        validate_model_name(record.get("model_name"))
        validate_model_url(record.get("model_url", ""))
    except Pet2RepError as e:
        raise RecordError(str(e)) from e
    if record.get("setting") not in SETTINGS:
        raise RecordError(f"setting: expected one of {', '.join(SETTINGS)}, got {record.get('setting')!r}")
    if not isinstance(record.get("user"), str) or not record["user"]:
        raise RecordError(f"user: expected a non-empty string, got {record.get('user')!r}")
    submitted_at = record.get("submitted_at")
    try:
        if not isinstance(submitted_at, str) or datetime.fromisoformat(submitted_at).tzinfo is None:
            raise ValueError("not an ISO 8601 time with a UTC offset")
    except ValueError as e:
        raise RecordError(f"submitted_at: expected an ISO 8601 time with an offset, got {submitted_at!r}") from e
    if not isinstance(record.get("predictions_sha256"), str) or not _SHA256.match(record["predictions_sha256"]):
        raise RecordError("predictions_sha256: expected 64 hex digits")
    num_samples = _count(record.get("num_samples"), "num_samples", minimum=1)
    record["scores"] = _scores(record.get("scores"))
    record["per_organ"] = _per_organ(record.get("per_organ"))
    if "test_set" in record:
        try:
            test_set = TestSet.from_record(record["test_set"])
        except InputError as e:
            raise RecordError(str(e)) from e
    else:
        fingerprint = record.get("references_fingerprint")
        test_set = (legacy_test_sets or {}).get(fingerprint) if isinstance(fingerprint, str) else None
        if test_set is None:
            raise RecordError(f"no test_set and references_fingerprint {fingerprint!r} names no known test set")
        record["test_set"] = test_set.as_record()
    if test_set.num_cases != num_samples:
        raise RecordError(f"num_samples {num_samples} differs from the test set's {test_set.num_cases} cases")
    hashes = record.get("case_sha256", {})
    if not isinstance(hashes, Mapping) or not all(isinstance(v, str) for v in hashes.values()):
        raise RecordError("case_sha256: expected an object of case id -> hash")
    return record


def record_test_set(record: Mapping) -> TestSet:
    """The test set of a record that passed :func:`validate_record`."""
    return TestSet.from_record(record["test_set"])
