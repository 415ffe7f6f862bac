"""The Space's use cases without Gradio: scoring, admission, quotas across restarts."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from pet2rep_space.config import load_config
from pet2rep_space.oracle import EmptyReportsError
from pet2rep_space.quota import DuplicateSubmissionError, QuotaError
from pet2rep_space.references import read_references
from pet2rep_space.service import LeaderboardService, status_message
from pet2rep_space.store import SubmissionStore

from pet2rep.errors import SubmissionError
from pet2rep.metrics import score


class Clock:
    def __init__(self):
        self.now = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)

    def __call__(self):
        return self.now


def make_service(tmp_path, references_dir, clock=None, **env):
    config = load_config(
        {"PET2REP_DATA_DIR": str(tmp_path / "data"), "PET2REP_REFERENCES": str(references_dir), **env}
    )
    return LeaderboardService(
        config, SubmissionStore(config.data_dir), read_references(references_dir), clock=clock or Clock()
    )


@pytest.fixture
def upload(tmp_path, jsonl_writer):
    counter = iter(range(10_000))

    def write(predictions: dict[str, str]):
        return jsonl_writer(tmp_path / f"upload{next(counter)}.jsonl", predictions)

    return write


def test_scores_are_pet2rep_metrics_and_aggregate_only(tmp_path, references_dir, references, predictions_for, upload):
    service = make_service(tmp_path, references_dir)
    predictions = predictions_for(references)
    # Line order does not matter: cases are aligned by id.
    shuffled = dict(reversed(list(predictions.items())))
    record = service.submit(" My model ", "https://huggingface.co/org/m", "fused", upload(shuffled))
    # The same cases in the order the Space aligns them (the references' order): sums are order-sensitive.
    ids = list(read_references(references_dir).reports)
    expected = score([predictions[i] for i in ids], [references[i] for i in ids])
    for key, value in expected.items():
        if key in ("per_sample", "per_organ"):
            continue
        assert record["scores"][key] == value, key
    assert "per_sample" not in record["scores"] and "per_organ" not in record["scores"]
    assert set(record["per_organ"]) == set(expected["per_organ"])
    for organ, stats in expected["per_organ"].items():
        assert record["per_organ"][organ]["f1"] == stats["f1"]
    assert record["model_name"] == "My model" and record["setting"] == "fused"
    assert record["num_samples"] == len(references)
    assert record["user"] == "model:my model"
    text = json.dumps(record, ensure_ascii=False)
    assert not any(report in text for report in references.values())
    message = status_message(record)
    assert message.startswith("Accepted: 'My model' (fused, 12 cases). Overall ")
    assert f"BLEU-4 {expected['bleu_4']:.4f}, METEOR {expected['meteor']:.4f}" in message
    assert f"CE precision {expected['ce_precision']:.4f}, CE recall" in message
    assert f"CE F1 {expected['ce_f1']:.4f}." in message


def test_perfect_and_empty_predictions(tmp_path, references_dir, references, upload):
    service = make_service(tmp_path, references_dir, PET2REP_QUOTA_MIN_GAP_S="0")
    perfect = service.submit("oracle", "", "mip", upload(references))
    assert perfect["scores"]["ce_f1"] == pytest.approx(1.0)
    assert perfect["scores"]["bleu_4"] == pytest.approx(1.0)
    # All empty: refused (an empty report scores exactly 0, a clean probe of the others); nothing stored.
    with pytest.raises(EmptyReportsError, match="12 of 12 reports are empty; at most 1 "):
        service.submit("silent", "", "mip", upload(dict.fromkeys(references, "")))
    assert [r["model_name"] for r in service.records()] == ["oracle"]


def test_quota_survives_a_restart(tmp_path, references_dir, references, predictions_for, upload):
    clock = Clock()
    env = {"PET2REP_QUOTA_PER_DAY": "1", "PET2REP_QUOTA_MIN_GAP_S": "0"}
    make_service(tmp_path, references_dir, clock, **env).submit("m", "", "fused", upload(references))
    clock.now += timedelta(hours=1)
    restarted = make_service(tmp_path, references_dir, clock, **env)
    with pytest.raises(QuotaError, match="1 submission\\(s\\) per 24 h per model name 'm' reached"):
        restarted.submit("M", "", "separate", upload(predictions_for(references)))
    # Another model name is another quota locally; the next day the first one is free again.
    restarted.submit("other", "", "separate", upload(predictions_for(references, seed=3)))
    clock.now += timedelta(hours=24)
    restarted.submit("m", "", "separate", upload(predictions_for(references, seed=4)))
    assert len(restarted.records()) == 3


def test_duplicates_are_refused_before_scoring(tmp_path, references_dir, references, upload, monkeypatch):
    service = make_service(tmp_path, references_dir, PET2REP_QUOTA_MIN_GAP_S="0")
    service.submit("m", "", "fused", upload(references))
    import pet2rep.metrics

    def must_not_score(*args, **kwargs):
        raise AssertionError("a duplicate was scored")

    monkeypatch.setattr(pet2rep.metrics, "score", must_not_score)
    with pytest.raises(DuplicateSubmissionError, match="already submitted for the 'fused' setting"):
        service.submit("m", "", "fused", upload(dict(reversed(list(references.items())))))
    assert len(service.records()) == 1


def test_min_gap(tmp_path, references_dir, references, predictions_for, upload):
    clock = Clock()
    service = make_service(tmp_path, references_dir, clock, PET2REP_QUOTA_MIN_GAP_S="60")
    service.submit("m", "", "fused", upload(references))
    clock.now += timedelta(seconds=10)
    with pytest.raises(QuotaError, match="try again in 50 s"):
        service.submit("m", "", "fused", upload(predictions_for(references)))


def test_spaces_require_a_login_and_count_per_user(tmp_path, references_dir, references, predictions_for, upload):
    service = make_service(
        tmp_path, references_dir, SYSTEM="spaces", PET2REP_QUOTA_PER_DAY="1", PET2REP_QUOTA_MIN_GAP_S="0"
    )
    with pytest.raises(SubmissionError, match="sign in with Hugging Face"):
        service.submit("m", "", "fused", upload(references))
    assert service.submit("m", "", "fused", upload(references), username="alice")["user"] == "hf:alice"
    with pytest.raises(QuotaError, match="per user 'alice'"):
        service.submit("another name", "", "fused", upload(predictions_for(references)), username="alice")
    service.submit("m", "", "fused", upload(predictions_for(references)), username="bob")


def test_no_references_means_closed(tmp_path, references, upload):
    config = load_config({"PET2REP_DATA_DIR": str(tmp_path / "data")})
    service = LeaderboardService.from_config(config)
    assert not service.accepting
    with pytest.raises(SubmissionError, match="submissions are closed"):
        service.submit("m", "", "fused", upload(references))
    assert len(service.published_frame()) == 49
    assert service.ranking().empty


def test_unreadable_references_leave_the_board_up(tmp_path, caplog):
    config = load_config({"PET2REP_DATA_DIR": str(tmp_path / "data"), "PET2REP_REFERENCES": str(tmp_path / "missing")})
    service = LeaderboardService.from_config(config)
    assert not service.accepting
    assert "references could not be loaded" in caplog.text


def test_a_mirrored_space_with_the_hub_unreachable_still_stores(tmp_path, references_dir, references, upload, caplog):
    config = load_config(
        {
            "PET2REP_DATA_DIR": str(tmp_path / "data"),
            "PET2REP_REFERENCES": str(references_dir),
            "PET2REP_RESULTS_REPO": "org/results",
            "HF_TOKEN": "hf_not_a_real_token",
        }
    )
    service = LeaderboardService.from_config(config)  # restoring from the Hub fails: logged, the app starts
    assert "could not fetch earlier records from org/results" in caplog.text
    record = service.submit("m", "", "fused", upload(references))
    mirror = service.store.mirror
    assert mirror is not None and mirror.flush(timeout=60)
    assert mirror.failures == 1
    assert [r["id"] for r in SubmissionStore(config.data_dir).records()] == [record["id"]]
    assert "could not mirror 1 record(s) to org/results" in caplog.text
    assert "hf_not_a_real_token" not in caplog.text
    mirror.close()
