"""The Space's use cases, without any Gradio: build the leaderboard, score and admit a submission.

``app.py`` holds only the layout and calls :class:`LeaderboardService`; tests drive the service directly.
"""

from __future__ import annotations

import functools
import logging
import uuid
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from pet2rep import __version__ as pet2rep_version
from pet2rep.errors import Pet2RepError, SubmissionError
from pet2rep.paper import load_table1
from pet2rep.vocab import HEADLINE_METRICS, METRIC_LABELS
from pet2rep_space import leaderboard, oracle, quota, validation
from pet2rep_space.config import SpaceConfig
from pet2rep_space.ratelimit import RateLimiter
from pet2rep_space.records import validate_record
from pet2rep_space.references import ReferenceSet, load_references
from pet2rep_space.store import READ_ONLY_MESSAGE, HubMirror, ReadOnlyStoreError, SubmissionStore
from pet2rep_space.testsets import TestSet, describe_references

logger = logging.getLogger(__name__)

#: Score keys kept in a record: aggregates only (``per_sample`` is dropped).
_DROPPED_SCORE_KEYS = ("per_sample", "per_organ")


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def new_record_id(now: datetime) -> str:
    """A sortable, file-name-safe id: UTC time to the microsecond + 8 random hex digits."""
    return f"{now.astimezone(timezone.utc):%Y%m%dT%H%M%S%fZ}-{uuid.uuid4().hex[:8]}"


def _public_per_organ(per_organ: dict) -> dict:
    public = {}
    for organ, stats in per_organ.items():
        public[organ] = {k: float(stats[k]) for k in ("precision", "recall", "f1")}
        public[organ]["support"] = dict(stats.get("support", {}))
    return public


class LeaderboardService:
    """Leaderboard and submissions over one store and one reference set.

    Args:
        config: the Space's settings.
        store: where accepted records live.
        references: the private references, or None (the leaderboard is shown, submissions are refused).
        test_set: the test set of ``references`` (default: described from them with the config's names).
        published: the paper's rows (default: :func:`pet2rep.paper.load_table1`).
        clock: returns the current aware datetime (tests pass a fake one).
        rate_limiter: per-client attempt limit (default: ``config.rate_per_hour`` attempts per hour).
    """

    def __init__(
        self,
        config: SpaceConfig,
        store: SubmissionStore,
        references: ReferenceSet | None,
        *,
        test_set: TestSet | None = None,
        published: list[dict] | None = None,
        clock: Callable[[], datetime] = _utcnow,
        rate_limiter: RateLimiter | None = None,
    ):
        self.config = config
        self.store = store
        self.references = references
        if test_set is None and references is not None:
            test_set = describe_test_set(config, references)
        self.test_set = test_set
        self.published = load_table1() if published is None else published
        self.clock = clock
        self.rate_limiter = rate_limiter or RateLimiter(config.rate_per_hour)

    @classmethod
    def from_config(cls, config: SpaceConfig, app_dir: str | Path | None = None) -> LeaderboardService:
        """Load the references, then open the store (and its Hub mirror when a token and results repo are set).

        A references problem is logged and leaves submissions disabled rather than taking the
        leaderboard down; its message (which may hold a path) goes to the log only.

        Raises:
            StoreError: the data folder cannot be used at all (a read-only one is served read-only).
        """
        try:
            references = load_references(config, app_dir=app_dir)
        except Pet2RepError as e:
            logger.error("references could not be loaded, submissions are disabled: %s", e)
            references = None
        test_set = None
        if references is None:
            logger.warning("no references configured: the leaderboard is read-only")
        else:
            test_set = describe_test_set(config, references)
            logger.info("references: test set %s (%s)", test_set.label(), test_set.content_hash)
        mirror = HubMirror(config.results_repo, config.hf_token) if config.mirror_enabled else None
        store = SubmissionStore(config.data_dir, mirror=mirror, validate=record_validator(references, test_set))
        if mirror is not None:
            restored = mirror.restore(store, cache_dir=config.data_dir / ".hub_cache")
            logger.info("restored %d record(s) from %s", restored, config.results_repo)
        return cls(config, store, references, test_set=test_set)

    # Leaderboard ---------------------------------------------------------------------------------------

    def records(self) -> list[dict]:
        return self.store.records()

    def default_test_set(self, records: list[dict] | None = None) -> str | None:
        """The key of the test set ranked by default: the Space's own, else the one with the most records."""
        choices = leaderboard.test_set_choices(self.records() if records is None else records, self.test_set)
        return choices[0][1] if choices else None

    def ranking(self, test_set_key: str | None = None, records: list[dict] | None = None) -> pd.DataFrame:
        """The accepted submissions of one test set (default: the Space's own), best first."""
        records = self.records() if records is None else records
        key = test_set_key or self.default_test_set(records)
        return leaderboard.ranking_frame(records, key)

    def published_frame(self) -> pd.DataFrame:
        """The paper's rows: published reference points on its own test set, never ranked with submissions."""
        return leaderboard.published_frame(self.published)

    # Submissions ---------------------------------------------------------------------------------------

    @property
    def accepting(self) -> bool:
        return self.references is not None

    def submit(
        self,
        model_name: object,
        model_url: object,
        setting: object,
        predictions_path: str | Path | None,
        username: str | None = None,
        client: str | None = None,
    ) -> dict:
        """Validate, score and store one submission.

        Args:
            model_name, model_url, setting: the form fields (see :mod:`pet2rep_space.validation`).
            predictions_path: the uploaded JSONL file.
            username: the Hub user (on a Space) or None (locally: quotas count per model name).
            client: who the rate limit counts against (the client's address; default: the user).

        Returns:
            The stored record (aggregate scores, per-organ CE, no per-case output).

        Raises:
            Pet2RepError: a :class:`~pet2rep.errors.SubmissionError` or :class:`~pet2rep.errors.InputError`
                whose message is meant for the submitter; nothing is stored then.
        """
        # Every attempt counts, refused ones too: first of all.
        self.rate_limiter.check(f"hf:{username}" if username else (client or f"model:{model_name}"))
        name = validation.validate_model_name(model_name)
        url = validation.validate_model_url(model_url)
        setting = validation.validate_setting(setting)
        if self.config.on_spaces and not username:
            raise SubmissionError("sign in with Hugging Face (button above) to submit")
        if self.references is None:
            raise SubmissionError("this Space has no references configured: submissions are closed")
        user = quota.user_key(username, name)
        if not self.store.check_writable():
            raise ReadOnlyStoreError(READ_ONLY_MESSAGE)
        data = validation.read_upload(predictions_path, self.config.max_upload_bytes)
        case_ids, predictions, references = validation.parse_predictions(data, self.references.reports)
        oracle.check_lengths(case_ids, predictions)
        oracle.check_empty_share(predictions)
        sha = validation.predictions_sha256(dict(zip(case_ids, predictions, strict=True)))
        hashes = oracle.case_hashes(case_ids, predictions)
        limits = {"per_day": self.config.quota_per_day, "min_gap_s": self.config.quota_min_gap_s}
        # Cheap checks before scoring; repeated under the store's lock when the record is written.
        checks = {"user": user, "setting": setting, "predictions_sha256": sha, **limits}

        def admit(existing: list[dict], now: datetime) -> None:
            quota.admit(existing, now=now, **checks)
            oracle.check_near_duplicate(existing, self.test_set.content_hash, hashes)

        admit(self.store.records(), self.clock())

        from pet2rep.metrics import score

        result = score(predictions, references, lang=self.config.lang, return_per_sample=False)
        now = self.clock()
        record = {
            "id": new_record_id(now),
            "model_name": name,
            "model_url": url,
            "setting": setting,
            "user": user,
            "submitted_at": now.isoformat(),
            "predictions_sha256": sha,
            "case_sha256": hashes,
            "num_samples": len(case_ids),
            "test_set": self.test_set.as_record(),
            "references_fingerprint": self.references.fingerprint,
            "pet2rep_version": pet2rep_version,
            "scores": {k: v for k, v in result.items() if k not in _DROPPED_SCORE_KEYS},
            "per_organ": _public_per_organ(result.get("per_organ", {})),
        }
        return self.store.add(record, admit=lambda existing: admit(existing, now))


def describe_test_set(config: SpaceConfig, references: ReferenceSet) -> TestSet:
    """The test set of the Space's references, named as the config says (else from the build's card)."""
    return describe_references(
        references.source,
        references.reports,
        name=config.test_set_name,
        version=config.test_set_version,
        kind=config.test_set_kind,
    )


def record_validator(references: ReferenceSet | None, test_set: TestSet | None) -> Callable[..., dict]:
    """The store's record check: the full schema; records written before test sets were stored belong to the
    current references' test set when their references fingerprint matches."""
    legacy = {references.fingerprint: test_set} if references is not None and test_set is not None else {}
    return functools.partial(validate_record, legacy_test_sets=legacy)


def status_message(record: dict) -> str:
    """The submitter's confirmation: the aggregate scores of the accepted submission, rounded as on the board."""
    scores = record["scores"]
    parts = [f"{METRIC_LABELS[metric]} {oracle.round_metric(scores[metric]):.4f}" for metric in HEADLINE_METRICS]
    test_set = TestSet.from_record(record["test_set"])
    return (
        f"Accepted: {record['model_name']!r} ({record['setting']}, {record['num_samples']} cases). "
        f"Overall {oracle.round_overall(leaderboard.overall_pct(scores)):.1f}%; "
        + ", ".join(parts)
        + f". Test set: {test_set.label()}."
    )
