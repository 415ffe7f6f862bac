"""The Space's use cases, without any Gradio: build the leaderboard, score and admit a submission.

``app.py`` holds only the layout and calls :class:`LeaderboardService`; tests drive the service directly.
"""

from __future__ import annotations

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
from pet2rep_space import leaderboard, quota, validation
from pet2rep_space.config import SpaceConfig
from pet2rep_space.references import ReferenceSet, load_references
from pet2rep_space.store import HubMirror, SubmissionStore

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
        published: the paper's rows (default: :func:`pet2rep.paper.load_table1`).
        clock: returns the current aware datetime (tests pass a fake one).
    """

    def __init__(
        self,
        config: SpaceConfig,
        store: SubmissionStore,
        references: ReferenceSet | None,
        *,
        published: list[dict] | None = None,
        clock: Callable[[], datetime] = _utcnow,
    ):
        self.config = config
        self.store = store
        self.references = references
        self.published = load_table1() if published is None else published
        self.clock = clock

    @classmethod
    def from_config(cls, config: SpaceConfig, app_dir: str | Path | None = None) -> LeaderboardService:
        """Open the store (and its Hub mirror when a token and results repo are set) and the references.

        A references problem is logged and leaves submissions disabled rather than taking the
        leaderboard down; its message (which may hold a path) goes to the log only.
        """
        mirror = HubMirror(config.results_repo, config.hf_token) if config.mirror_enabled else None
        store = SubmissionStore(config.data_dir, mirror=mirror)
        if mirror is not None:
            restored = mirror.restore(store, cache_dir=config.data_dir / ".hub_cache")
            logger.info("restored %d record(s) from %s", restored, config.results_repo)
        try:
            references = load_references(config, app_dir=app_dir)
        except Pet2RepError as e:
            logger.error("references could not be loaded, submissions are disabled: %s", e)
            references = None
        if references is None:
            logger.warning("no references configured: the leaderboard is read-only")
        else:
            logger.info("references: %d cases (fingerprint %s)", len(references), references.fingerprint)
        return cls(config, store, references)

    # Leaderboard ---------------------------------------------------------------------------------------

    def records(self) -> list[dict]:
        return self.store.records()

    def leaderboard(self) -> pd.DataFrame:
        """Every published row and accepted submission, best first."""
        return leaderboard.build_leaderboard(self.published, self.store.records())

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
    ) -> dict:
        """Validate, score and store one submission.

        Args:
            model_name, model_url, setting: the form fields (see :mod:`pet2rep_space.validation`).
            predictions_path: the uploaded JSONL file.
            username: the Hub user (on a Space) or None (locally: quotas count per model name).

        Returns:
            The stored record (aggregate scores, per-organ CE, no per-case output).

        Raises:
            Pet2RepError: a :class:`~pet2rep.errors.SubmissionError` or :class:`~pet2rep.errors.InputError`
                whose message is meant for the submitter; nothing is stored then.
        """
        name = validation.validate_model_name(model_name)
        url = validation.validate_model_url(model_url)
        setting = validation.validate_setting(setting)
        if self.config.on_spaces and not username:
            raise SubmissionError("sign in with Hugging Face (button above) to submit")
        if self.references is None:
            raise SubmissionError("this Space has no references configured: submissions are closed")
        data = validation.read_upload(predictions_path, self.config.max_upload_bytes)
        case_ids, predictions, references = validation.parse_predictions(data, self.references.reports)
        sha = validation.predictions_sha256(dict(zip(case_ids, predictions, strict=True)))
        user = quota.user_key(username, name)
        limits = {"per_day": self.config.quota_per_day, "min_gap_s": self.config.quota_min_gap_s}
        # Cheap checks before scoring; repeated under the store's lock when the record is written.
        checks = {"user": user, "setting": setting, "predictions_sha256": sha, **limits}
        quota.admit(self.store.records(), now=self.clock(), **checks)

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
            "num_samples": len(case_ids),
            "references_fingerprint": self.references.fingerprint,
            "pet2rep_version": pet2rep_version,
            "scores": {k: v for k, v in result.items() if k not in _DROPPED_SCORE_KEYS},
            "per_organ": _public_per_organ(result.get("per_organ", {})),
        }

        def admit(existing: list[dict]) -> None:
            quota.admit(existing, now=now, **checks)

        return self.store.add(record, admit=admit)


def status_message(record: dict) -> str:
    """The submitter's confirmation: the aggregate scores of the accepted submission (markdown-safe)."""
    scores = record["scores"]
    parts = [f"{METRIC_LABELS[metric]} {scores[metric]:.4f}" for metric in HEADLINE_METRICS]
    return (
        f"Accepted: {record['model_name']!r} ({record['setting']}, {record['num_samples']} cases). "
        f"Overall {leaderboard.overall_pct(scores):.1f}%; " + ", ".join(parts) + "."
    )
