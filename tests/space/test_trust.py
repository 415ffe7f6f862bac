"""A leaderboard people can trust (issue 12): no score oracle, one test set per ranking, a store that survives bad
records and read-only disks, bounded inputs and clear errors. Service level, without Gradio."""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import subprocess
from datetime import datetime, timedelta, timezone

import pytest
from pet2rep_space import store as store_module
from pet2rep_space.config import load_config
from pet2rep_space.oracle import NearDuplicateError, ReportTooLongError
from pet2rep_space.ratelimit import RateLimiter, RateLimitError
from pet2rep_space.references import read_references
from pet2rep_space.service import LeaderboardService
from pet2rep_space.store import HubMirror, ReadOnlyStoreError, StoreError, SubmissionStore
from pet2rep_space.testsets import TestSet, describe_references

from pet2rep.errors import InputError, SubmissionError


class Clock:
    def __init__(self):
        self.now = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)

    def __call__(self):
        self.now += timedelta(minutes=5)  # every call a little later: no min-gap quota in the way
        return self.now


def make_service(tmp_path, references_dir, **env):
    config = load_config(
        {
            "PET2REP_DATA_DIR": str(tmp_path / "data"),
            "PET2REP_REFERENCES": str(references_dir),
            "PET2REP_QUOTA_PER_DAY": "0",
            "PET2REP_QUOTA_MIN_GAP_S": "0",
            **env,
        }
    )
    service = LeaderboardService.from_config(config)
    service.clock = Clock()
    return service


@pytest.fixture
def upload(tmp_path, jsonl_writer):
    counter = iter(range(10_000))

    def write(predictions: dict[str, str] | bytes):
        path = tmp_path / f"upload{next(counter)}.jsonl"
        if isinstance(predictions, bytes):
            path.write_bytes(predictions)
            return path
        return jsonl_writer(path, predictions)

    return write


# 1. No per-case score oracle ------------------------------------------------------------------------------------


def test_a_submission_differing_from_an_earlier_one_in_one_case_is_refused(
    tmp_path, references_dir, references, predictions_for, upload, monkeypatch
):
    service = make_service(tmp_path, references_dir)
    first = predictions_for(references, seed=31)
    service.submit("Model A", "", "fused", upload(first), username=None)
    probe = dict(first)
    probe[next(iter(probe))] = "肝脏放射性摄取增高。"  # one case changed, under another name, setting and account
    import pet2rep.metrics

    monkeypatch.setattr(pet2rep.metrics, "score", lambda *a, **k: pytest.fail("a near-duplicate was scored"))
    with pytest.raises(
        NearDuplicateError, match=r"11 of 12 reports are identical to those of the earlier submission "
    ):
        service.submit("Model A v2", "", "mip", upload(probe))
    with pytest.raises(NearDuplicateError, match=r"'Model A' \(fused, 2026-03-01\)"):
        service.submit("Other", "", "separate", upload(probe))
    assert [r["model_name"] for r in service.records()] == ["Model A"]


def test_a_submission_changing_enough_cases_is_accepted(tmp_path, references_dir, references, predictions_for, upload):
    service = make_service(tmp_path, references_dir)
    first = predictions_for(references, seed=32)
    service.submit("Model A", "", "fused", upload(first))
    other = predictions_for(references, seed=33)
    changed = {case: other[case] if i < 3 else first[case] for i, case in enumerate(first)}
    assert sum(changed[c] != first[c] for c in first) == 3  # the least a 12-case set needs
    service.submit("Model B", "", "fused", upload(changed))
    assert [r["model_name"] for r in service.records()] == ["Model A", "Model B"]
    assert len(service.records()[1]["case_sha256"]) == len(references)  # what later checks compare


def test_near_duplicates_of_a_submission_on_another_test_set_are_not_compared(
    tmp_path, references_dir, references, predictions_for, upload, record_factory, fixture_test_set
):
    service = make_service(tmp_path, references_dir)
    predictions = predictions_for(references, seed=34)
    from pet2rep_space.oracle import case_hashes

    hashes = case_hashes(list(predictions), list(predictions.values()))
    earlier = record_factory("Elsewhere", id="elsewhere", case_sha256=hashes)
    service.store.add(earlier)  # the fixture test set: another version of the references
    service.submit("Here", "", "fused", upload(predictions))
    assert sorted(r["model_name"] for r in service.records()) == ["Elsewhere", "Here"]


# 2. One test set per ranking --------------------------------------------------------------------------------------


def test_the_test_set_is_read_from_the_build_card_and_stored_with_each_record(
    tmp_path, references, dataset_folder_writer, predictions_for, upload
):
    refs = dataset_folder_writer(tmp_path / "refs", references)
    digest = "sha256:" + "1234abcd" * 8
    (refs / "README.md").write_text(
        "---\npretty_name: PET2Rep hospital X\nlicense: other\n---\n\n# PET2Rep (built with pet2rep 0.4.0)\n\n"
        f"- cases: 12\n- content hash of the parquet files: `{digest}`\n",
        encoding="utf-8",
    )
    service = make_service(tmp_path, refs, PET2REP_TEST_SET_VERSION="2026-03")
    assert service.test_set == TestSet("PET2Rep hospital X", "2026-03", 12, digest, "private")
    record = service.submit("m", "", "fused", upload(predictions_for(references, seed=35)))
    assert record["test_set"] == {
        "name": "PET2Rep hospital X",
        "version": "2026-03",
        "num_cases": 12,
        "content_hash": digest,
        "kind": "private",
    }


def test_a_synthetic_build_is_labelled_and_ranked_apart_from_the_paper(tmp_path, reports_factory):
    synthetic = {f"synth_{i:04d}": r for i, r in enumerate(reports_factory(24, seed=3).values())}
    test_set = describe_references(None, synthetic)
    assert test_set.kind == "synthetic" and test_set.toy and test_set.num_cases == 24
    assert describe_references(None, synthetic, kind="demo").label().endswith(test_set.content_hash[15:23])
    with pytest.raises(InputError, match="PET2REP_TEST_SET_KIND"):
        describe_references(None, synthetic, kind="made-up")


def test_the_default_ranking_holds_only_the_space_test_set(
    tmp_path, references_dir, references, predictions_for, upload, record_factory, fixture_test_set
):
    service = make_service(tmp_path, references_dir)
    perfect = {"bleu_4": 1.0, "meteor": 1.0, "rouge_l": 1.0, "ce_precision": 1.0, "ce_recall": 1.0, "ce_f1": 1.0}
    toy = {**fixture_test_set, "content_hash": "sha256:" + "e" * 64, "kind": "synthetic", "num_cases": 12}
    service.store.add(record_factory("Synthetic champion", id="toy", test_set=toy, scores=perfect))
    service.submit("Real", "", "fused", upload(predictions_for(references, seed=36)))
    ranking = service.ranking()
    assert list(ranking["Model"]) == ["Real"]
    assert "Template Baseline" not in set(ranking["Model"]) and "Synthetic champion" not in set(ranking["Model"])
    assert list(service.ranking(toy["content_hash"])["Model"]) == ["Synthetic champion"]
    assert "Template Baseline" in set(service.published_frame()["Model"])
    assert "Synthetic champion" not in set(service.published_frame()["Model"])


# 3. Records validated on read ---------------------------------------------------------------------------------------

BAD_RECORDS = {
    "empty scores": {"scores": {}},
    "a NaN metric": {"scores": {"bleu_4": float("nan")}},
    "a metric as text": {"scores": {"ce_f1": "0.5"}},
    "unknown setting": {"setting": "x-ray"},
    "no known test set": {"test_set": None, "references_fingerprint": None},
    "unknown kind": {"test_set": {"kind": "secret"}},
    "count mismatch": {"num_samples": 7},
    "bad per-organ": {"per_organ": {"liver": {"f1": 2.0}}},
}


def _bad_record(good: dict, change: dict) -> dict:
    record = json.loads(json.dumps(good))
    for key, value in change.items():
        if value is None:
            record.pop(key)
        elif isinstance(value, dict) and isinstance(record.get(key), dict) and value:
            record[key].update(value)
        else:
            record[key] = value
    return record


@pytest.mark.parametrize("case", list(BAD_RECORDS))
def test_a_badly_shaped_record_is_skipped_and_logged_never_fatal(
    tmp_path, references_dir, references, predictions_for, upload, record_factory, caplog, case, space_app
):
    service = make_service(tmp_path, references_dir)
    good = service.submit("Good", "", "fused", upload(predictions_for(references, seed=37)))
    bad = _bad_record({**good, "id": "planted", "model_name": "Planted"}, BAD_RECORDS[case])
    text = json.dumps(bad, allow_nan=True)
    (service.store.records_dir / "planted.json").write_text(text, encoding="utf-8")
    with caplog.at_level(logging.ERROR, logger="pet2rep_space.store"):
        assert [r["model_name"] for r in service.records()] == ["Good"]
        assert list(service.ranking()["Model"]) == ["Good"]
        space_app.build_app(service)  # the app builds its first page from the same records
        # A submission stored meanwhile is answered normally.
        later = service.submit("Later", "", "fused", upload(predictions_for(references, seed=38)))
    assert later["model_name"] == "Later"
    assert sorted(service.ranking()["Model"]) == ["Good", "Later"]
    assert caplog.text.count("planted.json") == 1  # logged once, with its file name
    assert "skipping bad submission record" in caplog.text


def test_bad_mirrored_records_are_skipped_on_restore(tmp_path, record_factory, caplog, monkeypatch):
    import huggingface_hub

    remote = tmp_path / "snapshot" / "submissions"
    remote.mkdir(parents=True)
    good = record_factory("Good", id="good")
    bad = {**record_factory("Bad", id="bad"), "scores": {}}
    for record in (good, bad):
        (remote / f"{record['id']}.json").write_text(json.dumps(record), encoding="utf-8")
    (remote / "deep.json").write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    monkeypatch.setattr(huggingface_hub, "snapshot_download", lambda *a, **k: str(tmp_path / "snapshot"))
    store = SubmissionStore(tmp_path / "local")
    mirror = HubMirror.__new__(HubMirror)  # restore only: no upload thread
    mirror.repo_id, mirror._token = "org/results", None
    with caplog.at_level(logging.ERROR, logger="pet2rep_space.store"):
        assert mirror.restore(store) == 1
    assert [r["id"] for r in store.records()] == ["good"]
    assert "skipping mirrored record bad.json" in caplog.text and "scores: missing" in caplog.text
    assert "skipping mirrored record deep.json" in caplog.text


def test_a_record_written_before_test_sets_belongs_to_the_references_it_names(
    tmp_path, references_dir, references, record_factory, caplog
):
    fingerprint = read_references(references_dir).fingerprint
    legacy = record_factory("Legacy", id="legacy", references_fingerprint=fingerprint)
    stranger = record_factory("Stranger", id="stranger", references_fingerprint="0" * 16)
    for record in (legacy, stranger):
        record.pop("test_set")
        (tmp_path / "data" / "submissions").mkdir(parents=True, exist_ok=True)
        (tmp_path / "data" / "submissions" / f"{record['id']}.json").write_text(json.dumps(record), encoding="utf-8")
    service = make_service(tmp_path, references_dir)
    assert list(service.ranking()["Model"]) == ["Legacy"]
    assert "stranger.json" in caplog.text and "names no known test set" in caplog.text


# 4. A read-only data folder --------------------------------------------------------------------------------------


@contextlib.contextmanager
def read_only(folder):
    """``folder`` made unwritable: chmod for a normal user; as root (who ignores modes) a read-only bind mount."""
    if os.geteuid() != 0:
        modes = {p: p.stat().st_mode for p in [folder, *folder.rglob("*")] if p.is_dir()}
        for p in modes:
            p.chmod(0o555)
        try:
            yield
        finally:
            for p, mode in modes.items():
                p.chmod(mode)
        return
    mount = ["mount", "--bind", str(folder), str(folder)]
    if subprocess.run(mount, capture_output=True, check=False).returncode != 0:
        pytest.skip("running as root, where chmod does not stop writes, and a read-only bind mount is not allowed")
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(folder)], check=True, capture_output=True)
        yield
    finally:
        subprocess.run(["umount", str(folder)], check=False, capture_output=True)


def test_a_read_only_store_serves_the_board_and_refuses_submissions(
    tmp_path, references_dir, references, predictions_for, upload, space_app
):
    service = make_service(tmp_path, references_dir)
    service.submit("Stored", "", "fused", upload(predictions_for(references, seed=39)))
    data = tmp_path / "data"
    with read_only(data):
        with pytest.raises(OSError):  # the folder really cannot be written
            (data / "probe").write_text("x")
        reopened = make_service(tmp_path, references_dir)  # startup on a read-only folder: no error
        assert reopened.store.read_only
        assert list(reopened.ranking()["Model"]) == ["Stored"]
        space_app.build_app(reopened)
        with pytest.raises(ReadOnlyStoreError, match="this Space is read-only now"):
            reopened.submit("Refused", "", "fused", upload(predictions_for(references, seed=40)))
        # The store that was writable when opened finds out at the next submission.
        with pytest.raises(ReadOnlyStoreError, match="this Space is read-only now"):
            service.submit("Refused", "", "fused", upload(predictions_for(references, seed=40)))
    assert [r["model_name"] for r in service.records()] == ["Stored"]


def test_a_disk_full_while_storing_is_a_clear_refusal(
    tmp_path, references_dir, references, predictions_for, upload, monkeypatch
):
    service = make_service(tmp_path, references_dir)

    def full(path, payload):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(store_module, "write_json_atomic", full)
    with pytest.raises(SubmissionError, match="the Space's disk is full: your submission was scored but could not be"):
        service.submit("m", "", "fused", upload(predictions_for(references, seed=41)))
    assert service.records() == []


@pytest.mark.parametrize("kind", ["a file", "a missing parent that cannot be made"])
def test_an_unusable_data_folder_is_a_store_error(tmp_path, kind):
    target = tmp_path / "data"
    if kind == "a file":
        target.write_text("not a folder")
    else:
        (tmp_path / "blocker").write_text("a file")
        target = tmp_path / "blocker" / "data"
    with pytest.raises(StoreError, match=f"data folder {target}"):
        SubmissionStore(target)


# 6. Bounds ------------------------------------------------------------------------------------------------------


def test_an_over_long_report_is_refused_with_a_clear_message(
    tmp_path, references_dir, references, predictions_for, upload
):
    service = make_service(tmp_path, references_dir)
    predictions = predictions_for(references, seed=42)
    case = list(predictions)[5]
    predictions[case] = "肝" * 20_001
    with pytest.raises(ReportTooLongError, match=f"case '{case}': the report has 20,001 characters; at most 20,000"):
        service.submit("m", "", "fused", upload(predictions))
    assert service.records() == []


def test_the_rate_limit_counts_attempts_per_client_without_login(
    tmp_path, references_dir, references, predictions_for, upload
):
    service = make_service(tmp_path, references_dir, PET2REP_RATE_PER_HOUR="2")
    # Two attempts from one address, one of them refused for another reason: both count.
    service.submit("A", "", "fused", upload(predictions_for(references, seed=43)), client="ip:10.0.0.1")
    with pytest.raises(SubmissionError, match="model link"):
        service.submit("B", "ftp://x", "fused", upload(predictions_for(references, seed=44)), client="ip:10.0.0.1")
    with pytest.raises(RateLimitError, match="at most 2 submission attempts per 60 min from one client; try again"):
        service.submit("C", "", "fused", upload(predictions_for(references, seed=45)), client="ip:10.0.0.1")
    service.submit("D", "", "fused", upload(predictions_for(references, seed=46)), client="ip:10.0.0.2")
    assert [r["model_name"] for r in service.records()] == ["A", "D"]


def test_the_rate_limiter_window_slides_and_forgets():
    now = [0.0]
    limiter = RateLimiter(1, window_s=60, clock=lambda: now[0])
    limiter.check("x")
    with pytest.raises(RateLimitError, match="try again in 60 s"):
        limiter.check("x")
    now[0] = 60.0
    limiter.check("x")
    RateLimiter(0).check("x")  # 0: no limit


# 7. Clear errors ------------------------------------------------------------------------------------------------


def test_deeply_nested_json_is_a_clear_message(tmp_path, references_dir, upload):
    service = make_service(tmp_path, references_dir)
    nested = b'{"case_id": "case_000", "report": ' + b"[" * 100_000 + b"]" * 100_000 + b"}\n"
    with pytest.raises(InputError, match="predictions file: line 1: JSON nested too deeply"):
        service.submit("m", "", "fused", upload(nested))
    assert service.records() == []
