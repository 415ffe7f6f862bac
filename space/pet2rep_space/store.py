"""Accepted submissions on disk: one JSON record per file, written atomically, optionally mirrored to the Hub.

Layout under the data directory::

    <data_dir>/.lock                      lock file (serialises writers, threads and processes)
    <data_dir>/submissions/<id>.json      one record per accepted submission

A record is written to a hidden temp file in the same folder, flushed and fsynced, renamed over its final
name and the folder fsynced, so a crash leaves either the whole record or nothing but a temp file; temp files
are never read as records and are removed when a store is opened. The admission check (quotas, duplicates)
and the write happen under one lock, so concurrent submissions are neither lost nor admitted twice.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from pet2rep.errors import InputError

try:  # POSIX: also serialise writers in other processes (several app workers on one data dir)
    import fcntl
except ImportError:  # pragma: no cover - Windows: the thread lock alone
    fcntl = None

logger = logging.getLogger(__name__)

RECORDS_DIRNAME = "submissions"
RECORD_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
REQUIRED_KEYS = ("id", "model_name", "setting", "submitted_at", "scores")
_TEMP_SUFFIX = ".tmp"


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_json_atomic(path: Path, payload: dict) -> None:
    """Write ``payload`` as JSON to ``path`` via temp file + fsync + rename + directory fsync.

    Raises:
        FileExistsError: if ``path`` exists already (records are never overwritten).
    """
    data = json.dumps(payload, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8")
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}{_TEMP_SUFFIX}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        if path.exists():
            raise FileExistsError(f"record {path.name} exists already; records are never overwritten")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


class SubmissionStore:
    """The accepted submissions under ``data_dir``; safe to share between threads and processes.

    Args:
        data_dir: folder of the store (created if missing).
        mirror: optional :class:`HubMirror` told about every record written.
    """

    def __init__(self, data_dir: str | Path, mirror: HubMirror | None = None):
        self.data_dir = Path(data_dir)
        self.records_dir = self.data_dir / RECORDS_DIRNAME
        self.records_dir.mkdir(parents=True, exist_ok=True)
        self.mirror = mirror
        self._thread_lock = threading.Lock()
        self._cache: dict[str, dict] = {}
        with self._locked():
            self._remove_temp_files()

    @contextmanager
    def _locked(self) -> Iterator[None]:
        with self._thread_lock:
            if fcntl is None:
                yield
                return
            with open(self.data_dir / ".lock", "a+b") as lock_file:
                fcntl.flock(lock_file.fileno(), fcntl.LOCK_EX)
                try:
                    yield
                finally:
                    fcntl.flock(lock_file.fileno(), fcntl.LOCK_UN)

    def _remove_temp_files(self) -> None:
        # Called under the lock: every writer holds it while its temp file exists, so these are leftovers.
        for path in self.records_dir.iterdir():
            if path.name.startswith(".") and path.name.endswith(_TEMP_SUFFIX):
                logger.warning("removing an incomplete record left by an interrupted write: %s", path.name)
                path.unlink(missing_ok=True)

    def _read_all(self) -> list[dict]:
        names = {p.name for p in self.records_dir.iterdir() if p.suffix == ".json" and not p.name.startswith(".")}
        for stale in set(self._cache) - names:
            del self._cache[stale]
        for name in sorted(names - set(self._cache)):
            path = self.records_dir / name
            try:
                record = json.loads(path.read_text(encoding="utf-8"))
                missing = [k for k in REQUIRED_KEYS if k not in record]
                if missing or record["id"] != path.stem:
                    raise InputError(f"missing keys {missing} or an id that is not the file name")
            except (OSError, ValueError) as e:
                # Never written by this store (writes are atomic): say so loudly, keep serving the others.
                logger.error("skipping unreadable submission record %s: %s", path, e)
                continue
            self._cache[name] = record
        return sorted(self._cache.values(), key=lambda r: (str(r["submitted_at"]), r["id"]))

    def records(self) -> list[dict]:
        """Every stored record, oldest first."""
        with self._locked():
            return [dict(r) for r in self._read_all()]

    def get(self, record_id: str) -> dict | None:
        """The record with this id, or None."""
        return next((r for r in self.records() if r["id"] == record_id), None)

    def add(self, record: dict, admit: Callable[[list[dict]], None] | None = None) -> dict:
        """Store ``record`` atomically, after ``admit(existing_records)`` accepted it under the store's lock.

        Args:
            record: JSON-serialisable dict with at least the keys of :data:`REQUIRED_KEYS`; its ``id``
                names the file.
            admit: raises (e.g. a quota or duplicate error) to refuse the record; nothing is written then.

        Returns:
            The record as stored.
        """
        record_id = record.get("id")
        if not isinstance(record_id, str) or not RECORD_ID.match(record_id):
            raise InputError(f"record id should match {RECORD_ID.pattern}, got {record_id!r}")
        missing = [k for k in REQUIRED_KEYS if k not in record]
        if missing:
            raise InputError(f"record {record_id!r} lacks the keys {missing}")
        path = self.records_dir / f"{record_id}.json"
        with self._locked():
            existing = self._read_all()
            if admit is not None:
                admit(existing)
            write_json_atomic(path, record)
            stored = json.loads(path.read_text(encoding="utf-8"))
            self._cache[path.name] = stored
        logger.info("stored submission %s", record_id)
        if self.mirror is not None:
            self.mirror.enqueue(path)
        return dict(stored)

    def import_record(self, record: dict) -> bool:
        """Store a record fetched from elsewhere (the Hub mirror) unless one with its id exists."""
        path = self.records_dir / f"{record.get('id')}.json"
        with self._locked():
            if path.exists():
                return False
        try:
            self.add(record)
        except FileExistsError:
            return False
        return True


class HubMirror:
    """Mirrors stored records to a dataset repo (``submissions/<id>.json``) from a background thread.

    Uploads never block or fail a submission: a failure (Hub unreachable, bad token) is logged and the
    record stays queued for the next attempt (the next record, or every ``retry_s`` seconds).

    Args:
        repo_id: the results dataset repo.
        token: a Hub token with write access.
        api: an ``huggingface_hub.HfApi``-like object (default: a new ``HfApi(token=token)``).
        retry_s: seconds between retries while records are pending.
    """

    def __init__(self, repo_id: str, token: str | None, *, api=None, retry_s: float = 300.0):
        self.repo_id = repo_id
        self._token = token
        self._api = api
        self.retry_s = retry_s
        self._queue: queue.Queue[Path | None] = queue.Queue()
        self._pending: dict[str, Path] = {}
        self._remote: set[str] | None = None
        self._done = threading.Condition()
        self._outstanding = 0
        self.failures = 0
        self.uploaded = 0
        self._thread = threading.Thread(target=self._run, name="pet2rep-hub-mirror", daemon=True)
        self._thread.start()

    def _hf_api(self):
        if self._api is None:
            from huggingface_hub import HfApi

            self._api = HfApi(token=self._token)
        return self._api

    def enqueue(self, path: Path) -> None:
        """Schedule a stored record file for upload."""
        with self._done:
            self._outstanding += 1
        self._queue.put(Path(path))

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every queued record was attempted once; True if that happened within ``timeout``."""
        with self._done:
            return self._done.wait_for(lambda: self._outstanding == 0, timeout)

    def close(self) -> None:
        self._queue.put(None)

    def _run(self) -> None:
        while True:
            try:
                item = self._queue.get(timeout=self.retry_s if self._pending else None)
            except queue.Empty:  # retry what is pending
                self._push()
                continue
            if item is None:
                return
            self._pending[item.name] = item
            self._push()
            with self._done:
                self._outstanding -= 1
                self._done.notify_all()

    def _push(self) -> None:
        from huggingface_hub import CommitOperationAdd

        api = self._hf_api()
        try:
            if self._remote is None:
                api.create_repo(self.repo_id, repo_type="dataset", private=True, exist_ok=True)
                files = api.list_repo_files(self.repo_id, repo_type="dataset")
                self._remote = {f.rsplit("/", 1)[-1] for f in files if f.startswith(f"{RECORDS_DIRNAME}/")}
            todo = {name: path for name, path in self._pending.items() if name not in self._remote}
            if todo:
                api.create_commit(
                    self.repo_id,
                    repo_type="dataset",
                    operations=[
                        CommitOperationAdd(path_in_repo=f"{RECORDS_DIRNAME}/{name}", path_or_fileobj=str(path))
                        for name, path in sorted(todo.items())
                    ],
                    commit_message=f"Add {len(todo)} leaderboard submission(s)",
                )
                self.uploaded += len(todo)
                self._remote.update(todo)
            self._pending.clear()
        except Exception as e:  # any Hub failure: keep the records queued, log, retry later
            self.failures += 1
            logger.warning(
                "could not mirror %d record(s) to %s (kept locally, will retry): %s: %s",
                len(self._pending),
                self.repo_id,
                type(e).__name__,
                e,
            )

    def restore(self, store: SubmissionStore, cache_dir: str | Path | None = None) -> int:
        """Copy records present in the repo but not on local disk into ``store`` (e.g. a Space restarted
        without persistent storage). Returns how many were added; a Hub failure is logged and gives 0."""
        from huggingface_hub import snapshot_download

        try:
            folder = snapshot_download(
                self.repo_id,
                repo_type="dataset",
                token=self._token,
                allow_patterns=[f"{RECORDS_DIRNAME}/*.json"],
                cache_dir=cache_dir,
            )
        except Exception as e:  # the app must start with the local records whatever the Hub does
            logger.warning("could not fetch earlier records from %s: %s: %s", self.repo_id, type(e).__name__, e)
            return 0
        added = 0
        for path in sorted(Path(folder, RECORDS_DIRNAME).glob("*.json")):
            try:
                record = json.loads(path.read_text(encoding="utf-8"))
                added += store.import_record(record)
            except (OSError, ValueError) as e:
                logger.error("skipping mirrored record %s: %s", path.name, e)
        return added
