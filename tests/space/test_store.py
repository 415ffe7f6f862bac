"""The submission store: atomic records, temp-file cleanup, the admission lock, Hub mirroring."""

from __future__ import annotations

import json
import logging
import threading

import pytest
from pet2rep_space.store import HubMirror, SubmissionStore, write_json_atomic

from pet2rep.errors import InputError, SubmissionError


def test_records_round_trip_and_survive_reopening(tmp_path, record_factory):
    store = SubmissionStore(tmp_path)
    first = store.add(record_factory("A", submitted_at="2026-01-02T00:00:00+00:00", id="r1"))
    store.add(record_factory("B", submitted_at="2026-01-01T00:00:00+00:00", id="r2"))
    assert first["model_name"] == "A"
    reopened = SubmissionStore(tmp_path)
    assert [r["id"] for r in reopened.records()] == ["r2", "r1"]  # oldest first
    assert reopened.get("r1") == first
    assert reopened.get("nope") is None
    on_disk = json.loads((tmp_path / "submissions" / "r1.json").read_text(encoding="utf-8"))
    assert on_disk == first


def test_records_are_never_overwritten(tmp_path, record_factory):
    store = SubmissionStore(tmp_path)
    store.add(record_factory("A", id="same"))
    with pytest.raises(FileExistsError):
        store.add(record_factory("B", id="same"))
    assert [r["model_name"] for r in store.records()] == ["A"]
    assert not [p for p in (tmp_path / "submissions").iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize("bad_id", ["../escape", "", ".hidden", "a/b", "x" * 200, None])
def test_bad_record_ids_are_refused(tmp_path, record_factory, bad_id):
    store = SubmissionStore(tmp_path)
    with pytest.raises(InputError, match="record id"):
        store.add(record_factory("A", id=bad_id))
    assert store.records() == []


def test_refused_admission_stores_nothing(tmp_path, record_factory):
    store = SubmissionStore(tmp_path)
    seen = []

    def refuse(existing):
        seen.append(len(existing))
        raise SubmissionError("no")

    store.add(record_factory("A", id="a"))
    with pytest.raises(SubmissionError):
        store.add(record_factory("B", id="b"), admit=refuse)
    assert seen == [1]
    assert [r["id"] for r in store.records()] == ["a"]


def test_temp_files_are_ignored_then_cleaned(tmp_path, record_factory, caplog):
    store = SubmissionStore(tmp_path)
    store.add(record_factory("A", id="a"))
    records_dir = tmp_path / "submissions"
    # What a write killed before its rename leaves behind: a partial hidden temp file.
    partial = records_dir / ".b.json.123.456.tmp"
    partial.write_text('{"id": "b", "model_na', encoding="utf-8")
    assert [r["id"] for r in store.records()] == ["a"]
    with caplog.at_level(logging.WARNING, logger="pet2rep_space.store"):
        SubmissionStore(tmp_path)
    assert not partial.exists()
    assert "incomplete record" in caplog.text


def test_a_corrupt_record_is_skipped_and_logged(tmp_path, record_factory, caplog):
    store = SubmissionStore(tmp_path)
    store.add(record_factory("A", id="a"))
    (tmp_path / "submissions" / "broken.json").write_text("{not json", encoding="utf-8")
    (tmp_path / "submissions" / "other.json").write_text(json.dumps({"id": "mismatch"}), encoding="utf-8")
    with caplog.at_level(logging.ERROR, logger="pet2rep_space.store"):
        assert [r["id"] for r in SubmissionStore(tmp_path).records()] == ["a"]
    assert "broken.json" in caplog.text and "other.json" in caplog.text


def test_write_json_atomic_leaves_no_temp_file_on_failure(tmp_path):
    target = tmp_path / "x.json"
    with pytest.raises(TypeError):
        write_json_atomic(target, {"bad": object()})
    assert list(tmp_path.iterdir()) == []
    write_json_atomic(target, {"a": "脑"})
    assert json.loads(target.read_text(encoding="utf-8")) == {"a": "脑"}


def test_concurrent_adds_with_admission_are_all_stored_once(tmp_path, record_factory):
    """20 threads, two stores on the same folder (as two app processes would), a check that would let
    a duplicate through without the lock: every record stored exactly once, the duplicates refused."""
    stores = [SubmissionStore(tmp_path), SubmissionStore(tmp_path)]
    barrier = threading.Barrier(20)
    errors: list[Exception] = []

    def no_same_name(name):
        def admit(existing):
            if any(r["model_name"] == name for r in existing):
                raise SubmissionError(f"duplicate {name}")

        return admit

    def worker(i):
        name = f"m{i % 10}"  # each name twice: exactly one of the two may be admitted
        barrier.wait()
        try:
            stores[i % 2].add(record_factory(name, id=f"r{i:02d}"), admit=no_same_name(name))
        except SubmissionError as e:
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    records = SubmissionStore(tmp_path).records()
    assert sorted(r["model_name"] for r in records) == sorted(f"m{i}" for i in range(10))
    assert len(errors) == 10
    assert len(list((tmp_path / "submissions").glob("*.json"))) == 10


class FakeApi:
    """Stands in for HfApi: records commits, or fails like an unreachable Hub."""

    def __init__(self, fail: bool):
        self.fail = fail
        self.commits: list[list[str]] = []

    def create_repo(self, repo_id, **kwargs):
        if self.fail:
            raise ConnectionError("Hub unreachable")

    def list_repo_files(self, repo_id, **kwargs):
        return ["README.md", "submissions/old.json"]

    def create_commit(self, repo_id, operations, **kwargs):
        self.commits.append([op.path_in_repo for op in operations])


def test_mirror_uploads_new_records(tmp_path, record_factory):
    api = FakeApi(fail=False)
    mirror = HubMirror("org/results", "hf_x", api=api)
    store = SubmissionStore(tmp_path, mirror=mirror)
    store.add(record_factory("A", id="a"))
    assert mirror.flush(timeout=10)
    store.add(record_factory("B", id="b"))
    assert mirror.flush(timeout=10)
    assert api.commits == [["submissions/a.json"], ["submissions/b.json"]]
    assert (mirror.uploaded, mirror.failures) == (2, 0)
    mirror.close()


def test_mirror_failure_keeps_the_local_record_and_is_logged(tmp_path, record_factory, caplog):
    api = FakeApi(fail=True)
    mirror = HubMirror("org/results", "hf_x", api=api)
    store = SubmissionStore(tmp_path, mirror=mirror)
    with caplog.at_level(logging.WARNING, logger="pet2rep_space.store"):
        store.add(record_factory("A", id="a"))
        assert mirror.flush(timeout=10)
    assert [r["id"] for r in store.records()] == ["a"]
    assert mirror.failures == 1 and mirror.uploaded == 0
    assert "could not mirror 1 record(s) to org/results" in caplog.text and "Hub unreachable" in caplog.text
    # The Hub comes back: the pending record goes up with the next one.
    api.fail = False
    store.add(record_factory("B", id="b"))
    assert mirror.flush(timeout=10)
    assert api.commits == [["submissions/a.json", "submissions/b.json"]]
    mirror.close()


def test_mirror_with_the_real_client_and_the_hub_unreachable(tmp_path, record_factory, caplog, monkeypatch):
    """Through huggingface_hub itself, up to the network call: offline mode makes it fail like no network."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    mirror = HubMirror("org/results", "hf_not_a_real_token")
    store = SubmissionStore(tmp_path, mirror=mirror)
    with caplog.at_level(logging.WARNING, logger="pet2rep_space.store"):
        store.add(record_factory("A", id="a"))
        assert mirror.flush(timeout=30)
    assert [r["id"] for r in SubmissionStore(tmp_path).records()] == ["a"]
    assert mirror.failures == 1
    assert "could not mirror" in caplog.text
    assert "hf_not_a_real_token" not in caplog.text
    assert mirror.restore(store) == 0
    mirror.close()


def test_mirror_with_a_connection_refused(tmp_path, record_factory, caplog, monkeypatch):
    """A real HTTP attempt against an endpoint where nothing listens: the record stays, the failure is logged."""
    import huggingface_hub.constants
    from huggingface_hub import HfApi

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    api = HfApi(endpoint="http://127.0.0.1:9", token="hf_not_a_real_token")
    mirror = HubMirror("org/results", "hf_not_a_real_token", api=api)
    store = SubmissionStore(tmp_path, mirror=mirror)
    with caplog.at_level(logging.WARNING, logger="pet2rep_space.store"):
        store.add(record_factory("A", id="a"))
        assert mirror.flush(timeout=60)
    assert [r["id"] for r in SubmissionStore(tmp_path).records()] == ["a"]
    assert mirror.failures == 1 and mirror.uploaded == 0
    assert "could not mirror 1 record(s) to org/results" in caplog.text
    assert "hf_not_a_real_token" not in caplog.text
    mirror.close()


def test_restore_adds_the_mirrored_records_missing_locally(tmp_path, record_factory, caplog, monkeypatch):
    """A Space restarted without persistent storage gets its records back from the results repo, once each."""
    import huggingface_hub

    remote = tmp_path / "snapshot"
    (remote / "submissions").mkdir(parents=True)
    for record in (record_factory("Lost", id="lost"), record_factory("Kept", id="kept")):
        (remote / "submissions" / f"{record['id']}.json").write_text(json.dumps(record), encoding="utf-8")
    (remote / "submissions" / "broken.json").write_text("{not json", encoding="utf-8")
    calls = []

    def fake_snapshot_download(repo_id, **kwargs):
        calls.append((repo_id, kwargs["repo_type"], kwargs["allow_patterns"]))
        return str(remote)

    monkeypatch.setattr(huggingface_hub, "snapshot_download", fake_snapshot_download)

    class Api(FakeApi):
        def list_repo_files(self, repo_id, **kwargs):
            return [f"submissions/{p.name}" for p in (remote / "submissions").iterdir()]

    api = Api(fail=False)
    mirror = HubMirror("org/results", "hf_x", api=api)
    store = SubmissionStore(tmp_path / "local", mirror=mirror)
    store.add(record_factory("Kept", id="kept"))
    assert mirror.flush(timeout=10)
    with caplog.at_level(logging.ERROR, logger="pet2rep_space.store"):
        assert mirror.restore(store) == 1
    assert calls == [("org/results", "dataset", ["submissions/*.json"])]
    assert sorted(r["id"] for r in SubmissionStore(tmp_path / "local").records()) == ["kept", "lost"]
    assert "skipping mirrored record broken.json" in caplog.text
    assert mirror.restore(store) == 0  # idempotent
    assert mirror.flush(timeout=10)
    assert api.commits == []  # what came from the repo is not uploaded again
    mirror.close()
