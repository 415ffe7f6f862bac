"""lighteval's details files of a pet2rep run -> case_id -> generated report, for ``pet2rep submission``."""

from __future__ import annotations

import re
from pathlib import Path

from pet2rep.errors import InputError, MissingFileError
from pet2rep.lighteval.scores import response_text


def find_details(results_dir: str | Path) -> list[Path]:
    """Every pet2rep details parquet under ``results_dir`` (a lighteval output dir, any level of it, or a file)."""
    root = Path(results_dir)
    if root.is_file():
        return [root]
    if not root.is_dir():
        raise MissingFileError(f"results folder {root} does not exist")
    return sorted(p for p in root.rglob("details_*.parquet") if _details_task(p) is not None)


def _details_task(path: Path) -> str | None:
    """``details_pet2rep:fused|0_2026-01-01T00-00-00.123.parquet`` -> ``pet2rep:fused``."""
    match = re.match(r"details_(pet2rep(?:_en)?:[a-z]+)\|\d+_", path.name)
    return match.group(1) if match else None


def read_details(path: str | Path) -> dict[str, str]:
    """case_id -> generated report from one lighteval details parquet of a pet2rep task.

    Raises:
        InputError: not a pet2rep details file (no ``doc.specific.case_id``), or a case id twice.
    """
    import pyarrow.parquet as pq

    path = Path(path)
    try:
        table = pq.read_table(path, columns=["doc", "model_response"])
    except (OSError, KeyError, ValueError) as e:
        raise InputError(f"{path}: not a lighteval details parquet with doc and model_response columns ({e})") from e
    reports: dict[str, str] = {}
    docs, responses = (table.column(c).to_pylist() for c in ("doc", "model_response"))
    for row, (doc, response) in enumerate(zip(docs, responses, strict=True)):
        specific = (doc or {}).get("specific") or {}
        case_id = specific.get("case_id")
        if not isinstance(case_id, str):
            raise InputError(f"{path}: row {row} has no doc.specific.case_id; is it a pet2rep task's details file?")
        if case_id in reports:
            raise InputError(f"{path}: case {case_id!r} appears twice")
        response = response or {}
        reports[case_id] = response_text(response.get("text"), response.get("text_post_processed"))
    return reports


def collect_submissions(results_dir: str | Path, *, model: str | None = None) -> dict[str, tuple[Path, dict]]:
    """task name -> (details file, case_id -> report), from the newest run of one model under ``results_dir``.

    Args:
        results_dir: lighteval's ``--output-dir`` (or its ``details/<model>[/<date>]`` folder, or one file).
        model: the model folder under ``details/`` (e.g. ``Qwen/Qwen2.5-VL-7B-Instruct``) when several models ran.

    Raises:
        InputError: no pet2rep details, or several models and none chosen.
    """
    files = find_details(results_dir)
    if model is not None:
        files = [f for f in files if f.parent.parent.as_posix().endswith("/" + model.strip("/"))]
    if not files:
        raise InputError(
            f"no pet2rep details parquet under {results_dir}"
            + (f" for model {model!r}" if model else "")
            + " (run lighteval with --save-details)"
        )
    models = sorted({f.parent.parent for f in files})
    if len(models) > 1:
        names = ", ".join(str(m) for m in models)
        raise InputError(f"details of several models under {results_dir}: {names}; choose one with --model")
    newest: dict[str, Path] = {}
    for f in files:  # date folders and file dates are ISO timestamps: the greatest is the newest
        task = _details_task(f)
        if task not in newest or (f.parent.name, f.name) > (newest[task].parent.name, newest[task].name):
            newest[task] = f
    return {task: (f, read_details(f)) for task, f in sorted(newest.items())}


def results_file(details_path: str | Path) -> Path | None:
    """The results JSON of the run that wrote a details file, or None when it is not there.

    ``OUT/details/MODEL/DATE/details_TASK|0_DATE.parquet`` -> ``OUT/results/MODEL/results_DATE.json`` (lighteval
    names both after the same date id).
    """
    path = Path(details_path)
    match = re.match(r"details_.+\|\d+_(.+)\.parquet$", path.name)
    if not match:
        return None
    date_id = match.group(1)
    model_dir = path.parent.parent  # OUT/details/MODEL
    parts = model_dir.parts
    if "details" not in parts:
        return None
    i = len(parts) - 1 - parts[::-1].index("details")
    candidate = Path(*parts[:i], "results", *parts[i + 1 :]) / f"results_{date_id}.json"
    return candidate if candidate.is_file() else None


def submission_meta(task: str, details_path: str | Path) -> dict:
    """What a submission from a lighteval run was made of: the benchmark version, task, model, source files.

    The benchmark fields (``pet2rep_version``, ``dataset``, ``dataset_content_hash``: what the task config carried,
    see :mod:`pet2rep.lighteval.benchmark`) come from the run's results file; None where it is missing or older.
    """
    import json

    from pet2rep import __version__
    from pet2rep.lighteval.benchmark import BENCHMARK_FIELDS, benchmark_of_results

    results = results_file(details_path)
    meta: dict = {"generator": "pet2rep submission (lighteval)", "task": task}
    if results is None:
        meta.update(dict.fromkeys(BENCHMARK_FIELDS))
        meta["model"] = None
    else:
        data = json.loads(results.read_text(encoding="utf-8"))
        meta.update(benchmark_of_results(data, task))
        meta["model"] = (data.get("config_general") or {}).get("model_name")
    meta.update(
        {"details": str(details_path), "results": None if results is None else str(results), "written_by": __version__}
    )
    return meta
