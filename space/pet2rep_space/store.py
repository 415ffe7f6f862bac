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

import errno
import json
import logging
import os
import queue
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from pet2rep.errors import InputError, Pet2RepError, SubmissionError
from pet2rep_space.records import RECORD_ID, validate_record

try:  # POSIX: also serialise writers in other processes (several app workers on one data dir)
    import fcntl
except ImportError:  # pragma: no cover - Windows: the thread lock alone
    fcntl = None

logger = logging.getLogger(__name__)

RECORDS_DIRNAME = "submissions"
_TEMP_SUFFIX = ".tmp"
# Errors of a folder that cannot be written (read-only mount, permissions) and of a full disk.
_READ_ONLY_ERRNOS = {errno.EROFS, errno.EACCES, errno.EPERM}
_FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT}
READ_ONLY_MESSAGE = (
    "this Space is read-only now: submissions cannot be stored (the leaderboard stays readable); "
    "please try again later"
)
DISK_FULL_MESSAGE = (
    "the Space's disk is full: your submission was scored but could not be stored, nothing was saved; "
    "please try again later"
)


class StoreError(Pet2RepError, OSError):
    """The data folder cannot be used at all (not a folder, unreadable, cannot be created)."""


class ReadOnlyStoreError(SubmissionError):
    """The store cannot be written now; the board is still served."""


class DiskFullError(SubmissionError):
    """The disk is full: a scored submission could not be stored."""


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


def _storage_error(e: OSError) -> SubmissionError | None:
    """The submitter-facing error for a write that failed for lack of room or of write access, else None."""
    if e.errno in _FULL_ERRNOS:
        return DiskFullError(DISK_FULL_MESSAGE)
    if e.errno in _READ_ONLY_ERRNOS:
        return ReadOnlyStoreError(READ_ONLY_MESSAGE)
    return None


class SubmissionStore:
    """The accepted submissions under ``data_dir``; safe to share between threads and processes.

    Reading takes no file lock (records appear by atomic rename), so a read-only folder is served as it is;
    writing needs the folder writable and answers :class:`ReadOnlyStoreError` when it is not. Every record read
    is checked by ``validate`` (the full schema); a bad one is skipped and logged with its file name.

    Args:
        data_dir: folder of the store (created if missing and possible).
        mirror: optional :class:`HubMirror` told about every record written.
        validate: ``validate(record, name=file_name) -> record``, raising ``ValueError`` for a bad record
            (default: :func:`pet2rep_space.records.validate_record`).

    Raises:
        StoreError: ``data_dir`` is not a folder, cannot be listed, or is missing and cannot be created.
    """

    def __init__(
        self,
        data_dir: str | Path,
        mirror: HubMirror | None = None,
        validate: Callable[..., dict] | None = None,
    ):
        self.data_dir = Path(data_dir)
        self.records_dir = self.data_dir / RECORDS_DIRNAME
        self.mirror = mirror
        self.validate = validate or validate_record
        self._thread_lock = threading.Lock()
        self._cache: dict[str, dict] = {}
        self._bad: dict[str, float] = {}  # file name -> mtime of a record already logged as bad
        if self.data_dir.exists() and not self.data_dir.is_dir():
            raise StoreError(f"data folder {self.data_dir}: expected a folder, found a file")
        try:
            self.records_dir.mkdir(parents=True, exist_ok=True)
        except FileExistsError as e:
            raise StoreError(f"data folder {self.data_dir}: expected a folder, found a file ({e.filename})") from e
        except OSError as e:
            if e.errno not in _READ_ONLY_ERRNOS or not self.data_dir.is_dir():
                raise StoreError(f"data folder {self.data_dir} cannot be created: {e.strerror}") from e
        try:
            if self.records_dir.is_dir():
                next(os.scandir(self.records_dir), None)
            elif self.records_dir.exists():
                raise StoreError(f"data folder {self.data_dir}: {RECORDS_DIRNAME} is not a folder")
        except OSError as e:
            raise StoreError(f"data folder {self.data_dir} cannot be read: {e.strerror}") from e
        self.read_only = False
        if self.check_writable():
            with self._locked(write=True):
                self._remove_temp_files()

    def check_writable(self) -> bool:
        """Probe whether records can be written now (the folder may have turned read-only); log a change."""
        try:
            self.records_dir.mkdir(parents=True, exist_ok=True)
            with open(self.data_dir / ".lock", "a+b"):
                pass
            writable = os.access(self.records_dir, os.W_OK)
        except OSError as e:
            if e.errno not in _READ_ONLY_ERRNOS:
                raise
            writable = False
        if writable == self.read_only:
            if writable:
                logger.info("data folder %s is writable again: submissions are accepted", self.data_dir)
            else:
                logger.warning("data folder %s is read-only: the board is served, submissions refused", self.data_dir)
        self.read_only = not writable
        return writable

    @contextmanager
    def _locked(self, write: bool = False) -> Iterator[None]:
        with self._thread_lock:
            if fcntl is None or not write:
                yield
                return
            try:
                lock_file = open(self.data_dir / ".lock", "a+b")  # noqa: SIM115 - closed by the with below
            except OSError as e:
                error = _storage_error(e)
                if error is None:
                    raise
                self.read_only = isinstance(error, ReadOnlyStoreError)
                raise error from e
            with lock_file:
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
        try:
            entries = list(os.scandir(self.records_dir))
        except FileNotFoundError:  # a read-only folder without any record yet
            entries = []
        names = {e.name for e in entries if e.name.endswith(".json") and not e.name.startswith(".")}
        for stale in set(self._cache) - names:
            del self._cache[stale]
        for name in sorted(names - set(self._cache)):
            path = self.records_dir / name
            mtime = None
            try:
                mtime = path.stat().st_mtime
                if self._bad.get(name) == mtime:
                    continue
                record = self.validate(json.loads(path.read_text(encoding="utf-8")), name=name)
            except (OSError, ValueError, RecursionError) as e:
                # Never written by this store (writes are atomic and checked): say so once, keep serving the others.
                self._bad[name] = mtime
                logger.error("skipping bad submission record %s: %s", path, e)
                continue
            self._cache[name] = record
        return sorted(self._cache.values(), key=lambda r: (str(r["submitted_at"]), r["id"]))

    def records(self) -> list[dict]:
        """Every stored record that passes the schema, oldest first."""
        with self._locked():
            return [dict(r) for r in self._read_all()]

    def get(self, record_id: str) -> dict | None:
        """The record with this id, or None."""
        return next((r for r in self.records() if r["id"] == record_id), None)

    def add(self, record: dict, admit: Callable[[list[dict]], None] | None = None) -> dict:
        """Store ``record`` atomically, after ``admit(existing_records)`` accepted it under the store's lock.

        Args:
            record: a record that passes ``validate``; its ``id`` names the file.
            admit: raises (e.g. a quota or duplicate error) to refuse the record; nothing is written then.

        Returns:
            The record as stored.

        Raises:
            InputError: a bad id or a record that does not pass ``validate``.
            ReadOnlyStoreError, DiskFullError: the folder cannot be written now.
        """
        record_id = record.get("id")
        if not isinstance(record_id, str) or not RECORD_ID.match(record_id):
            raise InputError(f"record id should match {RECORD_ID.pattern}, got {record_id!r}")
        self.validate(record, name=f"{record_id}.json")
        path = self.records_dir / f"{record_id}.json"
        with self._locked(write=True):
            existing = self._read_all()
            if admit is not None:
                admit(existing)
            try:
                write_json_atomic(path, record)
            except FileExistsError:
                raise
            except OSError as e:
                error = _storage_error(e)
                if error is None:
                    raise
                logger.error("could not store submission %s: %s", record_id, e)
                raise error from e
            stored = self.validate(json.loads(path.read_text(encoding="utf-8")), name=path.name)
            self._cache[path.name] = stored
        logger.info("stored submission %s", record_id)
        if self.mirror is not None:
            self.mirror.enqueue(path)
        return dict(stored)

    def import_record(self, record: dict) -> bool:
        """Store a record fetched from elsewhere (the Hub mirror) unless one with its id exists.

        Raises:
            InputError: a record that does not pass ``validate`` (nothing is stored).
        """
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
        if not store.check_writable():
            logger.warning("data folder is read-only: the mirrored records of %s are not restored", self.repo_id)
            return 0
        for path in sorted(Path(folder, RECORDS_DIRNAME).glob("*.json")):
            try:
                record = json.loads(path.read_text(encoding="utf-8"))
                if not isinstance(record, dict) or f"{record.get('id')}.json" != path.name:
                    raise InputError("expected a JSON object whose id is the file name")
                added += store.import_record(record)
            except (OSError, ValueError, RecursionError) as e:  # a bad record: logged, never fatal
                logger.error("skipping mirrored record %s: %s", path.name, e)
        return added
