"""``generate()``: every case of a dataset config through an OpenAI-compatible endpoint, into a submission JSONL.

The output, ``OUT`` (e.g. ``preds.jsonl``), holds one ``{"case_id", "report", "finish_reason", "usage"}`` line per
case that got a report (``pet2rep score`` and the leaderboard read ``case_id`` and ``report`` and ignore the rest).
Each line is appended, flushed and fsynced as its answer arrives, so a killed run loses nothing: run the same
command again and the case ids already in ``OUT`` are skipped (a line torn by the kill is dropped). At the end
the file is rewritten in dataset order. A case that failed has no line, never an empty or placeholder report.

The sidecar ``OUT`` with ``.meta.json`` for ``.jsonl`` holds what produced the file (model, endpoint, prompt
version, dataset and its content hash, generation settings), the token usage, the per-case errors of the last
run and one entry per run. A resumed run must match the model, dataset, config and settings recorded there.
"""

from __future__ import annotations

import asyncio
import datetime as _dt
import json
import os
import sys
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pet2rep import __version__, prompts
from pet2rep.checks import Integer, Options, check
from pet2rep.errors import InputError
from pet2rep.generate.client import ChatClient, RequestFailed, chat_completions_url
from pet2rep.generate.messages import chat_messages, chat_request, png_bytes
from pet2rep.vocab import IMAGE_CONFIGS, check_lang

#: Cases that must all fail with the same client error (HTTP 400, ...) before any success for the run to stop.
SYSTEMATIC_FAILURES = 3
#: Sidecar keys a resumed run must match.
IDENTITY_KEYS = (
    "model",
    "dataset_content_hash",
    "config",
    "split",
    "lang",
    "prompt_version",
    "max_tokens",
    "temperature",
    "extra_body",
)


@dataclass
class CaseError:
    case_id: str
    kind: str
    message: str
    status: int | None = None
    attempts: int = 0


@dataclass
class RunSummary:
    """What one ``generate()`` call did. Token counts and times are of this run; ``usage`` is of the whole file."""

    out: Path
    sidecar: Path
    cases: int
    already_done: int
    requested: int
    succeeded: int = 0
    errors: list[CaseError] = field(default_factory=list)
    not_attempted: list[str] = field(default_factory=list)
    aborted: str | None = None
    truncated: int = 0
    retried: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    wall_s: float = 0.0
    prepare_s: float = 0.0
    request_s: float = 0.0
    bookkeeping_s: float = 0.0
    reports: int = 0
    usage: dict = field(default_factory=dict)

    @property
    def missing(self) -> list[str]:
        """Case ids with no report after this run (failed, then not attempted)."""
        return [e.case_id for e in self.errors] + self.not_attempted


def sidecar_path(out: str | Path) -> Path:
    """``preds.jsonl`` -> ``preds.meta.json``."""
    out = Path(out)
    return out.with_name((out.name[: -len(".jsonl")] if out.name.endswith(".jsonl") else out.name) + ".meta.json")


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


# --- the cases ------------------------------------------------------------------------------------------------


def load_cases(dataset: str, config: str, *, split: str = "test", lang: str = "zh"):
    """The dataset's rows of one config as a pyarrow table (``case_id``, ``images`` undecoded) and its case ids.

    With ``lang="en"`` only the rows with an English report are kept, as in the ``pet2rep_en`` lighteval tasks.
    """
    from pet2rep.dataset.load import load_split
    from pet2rep.reports import REPORT_COLUMNS as REPORT_COLUMN

    ds = load_split(dataset, config, split=split, columns=("case_id", "images"))
    columns = ["case_id", "images"]
    if lang == "en" and REPORT_COLUMN["en"] in ds.column_names:
        columns.append(REPORT_COLUMN["en"])
    table = ds.select_columns(columns).with_format("arrow")[:]
    if lang == "en" and REPORT_COLUMN["en"] in table.column_names:
        import pyarrow.compute as pc

        reports = table.column(REPORT_COLUMN["en"])
        table = table.filter(pc.fill_null(pc.greater(pc.utf8_length(pc.utf8_trim_whitespace(reports)), 0), False))
    case_ids = table.column("case_id").to_pylist()
    bad = [c for c in case_ids if not isinstance(c, str) or not c.strip()]
    if bad:
        raise InputError(f"dataset {dataset!r} config {config!r}: case_id must be a non-empty string; got {bad[0]!r}")
    seen: set[str] = set()
    duplicates = sorted({c for c in case_ids if c in seen or seen.add(c)})
    if duplicates:
        raise InputError(f"dataset {dataset!r} config {config!r} repeats case ids {duplicates[:5]}")
    return table, case_ids


def dataset_content_hash(dataset: str) -> str | None:
    """``sha256:...`` of a local build's parquet files (what its card records); None for a Hub id."""
    from pet2rep.dataset.parquet import folder_content_hash

    return folder_content_hash(dataset)


def request_body(table, index: int, *, config: str, lang: str, model: str, settings: Mapping[str, Any]) -> bytes:
    """The request of row ``index``: the benchmark's prompt and the row's images, in model order."""
    case_id = table.column("case_id")[index].as_py()
    images = table.column("images")[index].as_py() or []
    if not images:
        raise InputError(f"case {case_id!r} has no images")
    pngs = [png_bytes(value, case_id=case_id, index=i) for i, value in enumerate(images)]
    messages = chat_messages(config, pngs, lang)
    return chat_request(model, messages, **settings)


# --- the output file --------------------------------------------------------------------------------------------


def read_done(out: Path) -> dict[str, dict]:
    """case_id -> record of the lines already in ``out``; a last line torn by a kill is cut off the file."""
    if not out.exists():
        return {}
    data = out.read_bytes()
    end = data.rfind(b"\n") + 1
    if end < len(data):
        with open(out, "r+b") as f:  # the kill came mid-write: that case is simply asked again
            f.truncate(end)
        data = data[:end]
    done: dict[str, dict] = {}
    for number, line in enumerate(data.decode("utf-8").split("\n"), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as e:
            raise InputError(f"{out}: line {number} is not JSON ({e.msg}); is it a `pet2rep generate` output?") from e
        if not isinstance(record, dict) or not isinstance(record.get("case_id"), str):
            raise InputError(f"{out}: line {number} has no case_id; is it a `pet2rep generate` output?")
        done[record["case_id"]] = record
    return done


def _record_line(case_id: str, completion) -> bytes:
    record = {
        "case_id": case_id,
        "report": completion.text,
        "finish_reason": completion.finish_reason,
        "usage": {"prompt_tokens": completion.prompt_tokens, "completion_tokens": completion.completion_tokens},
    }
    return (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _usage_totals(records: Mapping[str, dict]) -> dict:
    totals = {"prompt_tokens": 0, "completion_tokens": 0, "cases_without_usage": 0}
    for record in records.values():
        usage = record.get("usage") or {}
        if not isinstance(usage.get("prompt_tokens"), int) or not isinstance(usage.get("completion_tokens"), int):
            totals["cases_without_usage"] += 1
        totals["prompt_tokens"] += usage.get("prompt_tokens") or 0
        totals["completion_tokens"] += usage.get("completion_tokens") or 0
    totals["total_tokens"] = totals["prompt_tokens"] + totals["completion_tokens"]
    return totals


def _check_resume(out: Path, sidecar: Path, meta: dict, done: dict, case_ids: list[str]) -> dict | None:
    """The sidecar of an earlier run, after checking that this run continues it."""
    if not sidecar.exists():
        if done:
            raise InputError(
                f"{out} exists with {len(done)} reports but without its sidecar {sidecar.name}: it was not written "
                "by `pet2rep generate`; choose another --out or remove the file"
            )
        return None
    try:
        previous = json.loads(sidecar.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        raise InputError(f"{sidecar}: unreadable sidecar ({e}); remove it and {out.name} to start over") from e
    changed = [k for k in IDENTITY_KEYS if previous.get(k) != meta.get(k)]
    if changed and done:
        details = "; ".join(f"{k}: {previous.get(k)!r} there, {meta.get(k)!r} now" for k in changed)
        raise InputError(
            f"{out} holds {len(done)} reports of another run ({details}); choose another --out, or remove {out.name} "
            f"and {sidecar.name} to start over"
        )
    unknown = sorted(set(done) - set(case_ids))
    if unknown:
        raise InputError(f"{out} holds case ids the dataset config does not have: {unknown[:5]}")
    return None if changed else previous  # another run that wrote nothing: its history is not this file's


# --- the run ----------------------------------------------------------------------------------------------------


def _systematic_message(errors: list[CaseError]) -> str:
    first = errors[0]
    message = (
        f"the endpoint refused each of the first {len(errors)} cases and answered none: {first.message}; "
        "nothing is wrong with those cases in particular"
    )
    text = first.message.lower()
    if any(word in text for word in ("image", "multimodal", "multi-modal", "vision", "image_url")):
        message += "; the model behind the endpoint does not seem to accept images (a text-only model?)"
    return message


def _fatal_message(error: CaseError, url: str) -> str:
    if error.kind == "connection":
        return f"cannot reach {url} after {error.attempts} tries ({error.message}); is the server running there?"
    if error.status in (401, 403):
        return f"the endpoint refused the credentials ({error.message}); check the key in --api-key-env"
    return f"the endpoint refused the request ({error.message}); check --model and --api-base"


async def _run_cases(client: ChatClient, todo: list[int], case_ids, build, append, summary, concurrency, bar):
    """Send the cases ``todo`` (row indices), ``concurrency`` at a time; stop taking new ones once aborted."""
    pending = list(reversed(todo))
    client_errors: list[CaseError] = []

    async def worker() -> None:
        while pending and summary.aborted is None:
            index = pending.pop()
            case_id = case_ids[index]
            start = time.perf_counter()
            try:
                body = await asyncio.to_thread(build, index)
            except InputError as e:
                summary.errors.append(CaseError(case_id, "input", str(e)))
                bar.update(1)
                continue
            sent = time.perf_counter()
            summary.prepare_s += sent - start
            try:
                completion, attempts = await client.complete(body)
            except RequestFailed as e:
                summary.request_s += time.perf_counter() - sent
                f = e.failure
                error = CaseError(case_id, f.kind, f.message, f.status, e.attempts)
                summary.retried += e.attempts > 1
                if f.fatal and summary.aborted is None:
                    summary.aborted = _fatal_message(error, client.url)
                if f.kind == "client_error" and summary.succeeded == 0:
                    client_errors.append(error)
                    if len(client_errors) >= min(SYSTEMATIC_FAILURES, len(todo)) and summary.aborted is None:
                        summary.aborted = _systematic_message(client_errors)
                summary.errors.append(error)
                bar.set_postfix(failed=len(summary.errors), refresh=False)
                bar.update(1)
                continue
            received = time.perf_counter()
            summary.request_s += received - sent
            append(_record_line(case_id, completion))
            summary.succeeded += 1
            summary.retried += attempts > 1
            summary.truncated += completion.finish_reason == "length"
            summary.prompt_tokens += completion.prompt_tokens or 0
            summary.completion_tokens += completion.completion_tokens or 0
            bar.update(1)
            summary.bookkeeping_s += time.perf_counter() - received

    async with client:
        await asyncio.gather(*(worker() for _ in range(min(concurrency, len(todo)))))
    summary.not_attempted = [case_ids[i] for i in reversed(pending)]
    order = {case_id: i for i, case_id in enumerate(case_ids)}
    summary.errors.sort(key=lambda e: order[e.case_id])


def generate(
    *,
    api_base: str,
    model: str,
    dataset: str,
    out: str | Path,
    config: str = "fused",
    split: str = "test",
    lang: str = "zh",
    api_key: str | None = None,
    concurrency: int = 4,
    max_tokens: int = 1024,
    temperature: float = 0.0,
    timeout_s: float = 300.0,
    retries: int = 5,
    backoff_base_s: float = 1.0,
    limit: int | None = None,
    extra_body: Mapping[str, Any] | None = None,
    progress: bool | None = None,
) -> RunSummary:
    """Generate a report for every case of ``config`` not yet in ``out``, through ``POST {api_base}/chat/completions``.

    Args:
        api_base: the OpenAI-compatible base URL, e.g. ``http://localhost:8000/v1``.
        model: the model name the endpoint serves.
        dataset: a local ``pet2rep build`` folder or a Hub dataset id.
        out: the predictions JSONL (appended to; see the module docstring).
        config, split, lang: which rows and which prompt (``lang="en"``: English prompt, rows with ``report_en``).
        api_key: sent as a bearer token (None: no Authorization header).
        concurrency: requests in flight at once.
        max_tokens, temperature: generation settings sent with every request.
        timeout_s, retries, backoff_base_s: per try, further tries of a retryable failure, first backoff.
        limit: only the first ``limit`` cases of the dataset (a smoke test; the file is then no full submission).
        extra_body: more request fields for a server's own options (e.g. ``{"top_k": 1}``).
        progress: show a progress bar on stderr (None: when stderr is a terminal).

    Returns:
        A :class:`RunSummary`. Failed cases are listed there and in the sidecar; they have no line in ``out``.

    Raises:
        InputError: bad arguments, an output of another run at ``out``, an unusable dataset.
    """
    check("concurrency", concurrency, Integer(low=1))
    check("max_tokens", max_tokens, Integer(low=1))
    check("retries", retries, Integer(low=0))
    if limit is not None:
        check("limit", limit, Integer(low=1))
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float)) or not 0 <= temperature <= 2:
        raise InputError(f"temperature must be a number in [0, 2]; got {temperature!r}")
    if not isinstance(timeout_s, (int, float)) or timeout_s <= 0:
        raise InputError(f"timeout_s must be a positive number of seconds; got {timeout_s!r}")
    check("config", config, Options(*IMAGE_CONFIGS))
    check_lang(lang)
    if not api_base.startswith(("http://", "https://")):
        raise InputError(f"api_base must be an http(s) URL such as http://localhost:8000/v1; got {api_base!r}")
    if not model:
        raise InputError("model must name the model the endpoint serves; got an empty name")

    out = Path(out)
    sidecar = sidecar_path(out)
    table, case_ids = load_cases(dataset, config, split=split, lang=lang)
    if limit is not None:
        table, case_ids = table.slice(0, limit), case_ids[:limit]
    meta = {
        "generator": "pet2rep generate",
        "pet2rep_version": __version__,
        "model": model,
        "api_base": api_base,
        "endpoint": chat_completions_url(api_base),
        "dataset": dataset,
        "dataset_content_hash": dataset_content_hash(dataset) or dataset,
        "config": config,
        "split": split,
        "lang": lang,
        "prompt_version": prompts.PROMPT_VERSION,
        "max_tokens": max_tokens,
        "temperature": float(temperature),
        "extra_body": dict(extra_body) if extra_body else None,
    }
    done = read_done(out)
    previous = _check_resume(out, sidecar, meta, done, case_ids)
    todo = [i for i, c in enumerate(case_ids) if c not in done]
    summary = RunSummary(out, sidecar, len(case_ids), len(case_ids) - len(todo), len(todo))
    runs = list((previous or {}).get("runs") or [])
    run_entry = {"started": _now(), "api_base": api_base, "requested": len(todo), "concurrency": concurrency}
    out.parent.mkdir(parents=True, exist_ok=True)
    _write_atomic(sidecar, _sidecar_bytes(meta, done, case_ids, [], [*runs, {**run_entry, "status": "running"}]))

    settings = {"max_tokens": max_tokens, "temperature": temperature, "extra_body": extra_body}

    def build(index: int) -> bytes:
        return request_body(table, index, config=config, lang=lang, model=model, settings=settings)

    start = time.perf_counter()
    if todo:
        from tqdm.auto import tqdm

        disable = (not sys.stderr.isatty()) if progress is None else not progress
        fd = os.open(out, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:

            def append(line: bytes) -> None:
                os.write(fd, line)  # one write per line: a kill leaves whole lines, or one torn last line
                os.fsync(fd)

            with tqdm(total=len(todo), desc=f"{model} {config}", unit="case", disable=disable, file=sys.stderr) as bar:
                client = ChatClient(
                    api_base,
                    api_key=api_key,
                    timeout_s=timeout_s,
                    retries=retries,
                    backoff_base_s=backoff_base_s,
                    concurrency=concurrency,
                )
                asyncio.run(_run_cases(client, todo, case_ids, build, append, summary, concurrency, bar))
        finally:
            os.close(fd)
    summary.wall_s = time.perf_counter() - start

    done = read_done(out)
    ordered = [done[c] for c in case_ids if c in done]
    _write_atomic(out, b"".join((json.dumps(r, ensure_ascii=False) + "\n").encode("utf-8") for r in ordered))
    summary.usage = _usage_totals(done)
    summary.reports = len(ordered)
    status = "aborted" if summary.aborted else ("complete" if len(done) == len(case_ids) else "incomplete")
    run_entry.update(
        finished=_now(),
        status=status,
        succeeded=summary.succeeded,
        failed=len(summary.errors),
        not_attempted=len(summary.not_attempted),
        wall_s=round(summary.wall_s, 3),
        prompt_tokens=summary.prompt_tokens,
        completion_tokens=summary.completion_tokens,
        aborted=summary.aborted,
    )
    _write_atomic(sidecar, _sidecar_bytes(meta, done, case_ids, summary.errors, [*runs, run_entry], summary))
    return summary


def _sidecar_bytes(meta, done, case_ids, errors, runs, summary: RunSummary | None = None) -> bytes:
    finish = {}
    for record in done.values():
        key = str(record.get("finish_reason"))
        finish[key] = finish.get(key, 0) + 1
    payload = {
        **meta,
        "cases": len(case_ids),
        "done": len(done),
        "missing": [c for c in case_ids if c not in done],
        "usage": _usage_totals(done),
        "finish_reasons": finish,
        "errors": [asdict(e) for e in errors],
        "not_attempted": summary.not_attempted if summary else [],
        "runs": runs,
    }
    return (json.dumps(payload, ensure_ascii=False, indent=1) + "\n").encode("utf-8")
