"""Report files: strict JSONL reading/writing, reference loading from files or case folders, and alignment.

The predictions format of every pet2rep tool is JSONL, one ``{"case_id": str, "report": str}`` object per line
(other keys are ignored; an empty report is allowed and scores 0). References are the same JSONL, or a folder:

- generic layout: ``<folder>/<case_id>/report.txt`` (``report_en.txt`` for English); a single case folder holding
  ``report.txt`` also works;
- nnU-Net style (AutoPET-RG-Lym): ``<folder>/reports/<case_id>.json`` with the findings under ``检查所见``;
- a dataset folder written by ``pet2rep build``: the ``report`` (``report_en``) column of its ``test`` split
  (``<folder>/<config>/test-*.parquet``; every config holds the same reports, ``fused`` is read).

Errors are :class:`~pet2rep.errors.InputError` (a ``ValueError``) naming the file, the line and the case id;
a missing path is :class:`~pet2rep.errors.MissingFileError`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path

from pet2rep.errors import InputError, LayoutError, MissingFileError
from pet2rep.files import decode_text, iter_json_lines, read_text
from pet2rep.vocab import DATASET_CONFIGS, FINDINGS_KEY, check_lang

REPORT_FILES = {"zh": "report.txt", "en": "report_en.txt"}
REPORT_COLUMNS = {"zh": "report", "en": "report_en"}
_SHOW = 5


def read_reports_jsonl(path_or_bytes: str | os.PathLike | bytes | bytearray, *, source: str | None = None):
    """Read a JSONL file of ``{"case_id", "report"}`` records into an ordered ``{case_id: report}``.

    Args:
        path_or_bytes: a file path, or the file's content as bytes (e.g. an upload).
        source: the name to use in error messages (default: the path, or ``"<bytes>"``).

    Returns:
        ``{case_id: report}`` in file order. Blank lines are skipped; a UTF-8 byte order mark is accepted.

    Raises:
        MissingFileError: the path does not exist.
        InputError: not UTF-8, a line that is not JSON or not an object, a missing or non-string ``case_id`` /
            ``report``, an empty ``case_id``, a duplicate ``case_id`` — each naming the line.
    """
    if isinstance(path_or_bytes, (bytes, bytearray, memoryview)):
        data = bytes(path_or_bytes)
        name = source or "<bytes>"
    elif isinstance(path_or_bytes, (str, os.PathLike)):
        path = Path(path_or_bytes)
        name = source or str(path)
        if not path.exists():
            raise MissingFileError(f"{name}: no such file")
        if not path.is_file():
            raise InputError(f"{name}: expected a JSONL file, got a directory or special file")
        data = path.read_bytes()
    else:
        raise InputError(f"expected a path or bytes; got {type(path_or_bytes).__name__}")
    text = decode_text(data, name)
    out: dict[str, str] = {}
    first_line: dict[str, int] = {}
    for number, record in iter_json_lines(text, name, expected='a JSON object with "case_id" and "report"'):
        for key in ("case_id", "report"):
            if key not in record:
                raise InputError(f'{name}: line {number}: missing "{key}"')
            if not isinstance(record[key], str):
                raise InputError(f'{name}: line {number}: "{key}" must be a string, got {type(record[key]).__name__}')
        case_id = record["case_id"]
        if not case_id.strip():
            raise InputError(f'{name}: line {number}: "case_id" is empty')
        if case_id in out:
            raise InputError(
                f"{name}: line {number}: duplicate case_id {case_id!r} (first on line {first_line[case_id]})"
            )
        out[case_id] = record["report"]
        first_line[case_id] = number
    return out


def write_reports_jsonl(path: str | os.PathLike, mapping: Mapping[str, str]) -> Path:
    """Write ``{case_id: report}`` as JSONL (UTF-8, one object per line, in mapping order); return the path."""
    if not isinstance(mapping, Mapping):
        raise InputError(f"expected a mapping case_id -> report; got {type(mapping).__name__}")
    lines = []
    for case_id, report in mapping.items():
        if not isinstance(case_id, str) or not case_id.strip():
            raise InputError(f"case ids must be non-empty strings; got {case_id!r}")
        if not isinstance(report, str):
            raise InputError(f"case {case_id!r}: report must be a string; got {type(report).__name__}")
        lines.append(json.dumps({"case_id": case_id, "report": report}, ensure_ascii=False))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def load_references(path: str | os.PathLike, *, lang: str = "zh") -> dict[str, str]:
    """Reference reports from a JSONL file or a folder (``<id>/report.txt``, nnU-Net, or a ``pet2rep build`` folder).

    Args:
        path: the JSONL file or the folder.
        lang: ``"zh"`` reads ``report.txt`` (the nnU-Net json, the ``report`` column); ``"en"`` reads
            ``report_en.txt`` (the ``report_en`` column; cases without one are left out). Not used for JSONL files.

    Returns:
        ``{case_id: report}`` sorted by case id for folders, in file order for JSONL.

    Raises:
        MissingFileError: the path does not exist.
        LayoutError: a folder with no report in a supported layout.
        InputError: an unreadable report (not UTF-8, bad json, bad parquet, a duplicate case id), or ``lang`` not
            zh/en.
    """
    check_lang(lang, allow_auto=False)
    path = Path(path)
    if not path.exists():
        raise MissingFileError(f"{path}: no such file or folder")
    if path.is_file():
        return read_reports_jsonl(path)
    report_name = REPORT_FILES[lang]
    if (path / report_name).is_file():  # a single case folder
        return {path.name: read_text(path / report_name)}
    out: dict[str, str] = {}
    reports_dir = path / "reports"
    if lang == "zh" and reports_dir.is_dir():
        for file in sorted(reports_dir.glob("*.json")):
            out[file.stem] = _read_nnunet_report(file)
    if not out:
        for case_dir in sorted(p for p in path.iterdir() if p.is_dir()):
            report = case_dir / report_name
            if report.is_file():
                out[case_dir.name] = read_text(report)
    if not out:
        shards = _build_shards(path)
        if shards:
            return read_build_reports(shards, REPORT_COLUMNS[lang])
    if not out:
        raise LayoutError(
            f"{path}: no reference reports found; expected a JSONL file, case folders holding {report_name} "
            f"(<case_id>/{report_name}), an nnU-Net-style reports/<case_id>.json or a `pet2rep build` folder"
        )
    return out


def read_build_reports(files: list[Path], column: str = "report") -> dict[str, str]:
    """``{case_id: report}`` (sorted by case id) from the parquet shards of one config of a ``pet2rep build``.

    Rows without a report (an image-only case) are left out: there is nothing to score against.

    Raises:
        InputError: an unreadable shard, a missing ``case_id``/``column`` column, a duplicate case id.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    out: dict[str, str] = {}
    seen: set = set()
    for file in files:
        try:
            names = pq.read_schema(file).names
            if "case_id" not in names or column not in names:
                missing = column if "case_id" in names else "case_id"
                raise InputError(f"{file}: no {missing!r} column; it has {', '.join(names)}")
            table = pq.read_table(file, columns=["case_id", column])
        except (OSError, pa.ArrowInvalid) as e:
            raise InputError(f"{file}: unreadable parquet ({e})") from e
        for case_id, report in zip(table.column("case_id").to_pylist(), table.column(column).to_pylist(), strict=True):
            if case_id in seen:
                raise InputError(f"{file}: duplicate case_id {case_id!r}")
            seen.add(case_id)
            if isinstance(case_id, str) and isinstance(report, str) and report.strip():
                out[case_id] = report
    return dict(sorted(out.items()))


def _build_shards(path: Path) -> list[Path]:
    """The test shards of the first config of a ``pet2rep build`` folder (``[]`` for any other folder)."""
    configs = sorted(
        (p for p in path.iterdir() if p.is_dir() and any(p.glob("test-*.parquet"))),
        key=lambda p: (DATASET_CONFIGS.index(p.name) if p.name in DATASET_CONFIGS else 9, p.name),
    )
    return sorted(configs[0].glob("test-*.parquet")) if configs else []


def unreported_build_cases(path: str | os.PathLike, *, lang: str = "zh") -> list[str]:
    """The case ids of a ``pet2rep build`` folder whose rows have no reference report in ``lang`` (image-only cases,
    built with ``--allow-missing-reports``; or, in English, cases without ``report_en.txt``).

    Predictions for these cases have nothing to be scored against: ``pet2rep score`` leaves them out and says so.

    Returns:
        The ids, sorted; ``[]`` for a JSONL file, case folders, or a build where every row has a report.
    """
    import pyarrow.parquet as pq

    path = Path(path)
    if not path.is_dir() or (path / REPORT_FILES[lang]).is_file():
        return []
    shards = _build_shards(path)
    if not shards or not all(REPORT_COLUMNS[lang] in pq.read_schema(f).names for f in shards):
        return []
    every: set[str] = set()
    for file in shards:
        every.update(c for c in pq.read_table(file, columns=["case_id"]).column("case_id").to_pylist() if c)
    return sorted(every - set(read_build_reports(shards, REPORT_COLUMNS[lang])))


def _read_nnunet_report(path: Path) -> str:
    try:
        record = json.loads(read_text(path))
    except json.JSONDecodeError as e:
        raise InputError(f"{path}: not valid JSON ({e.msg} at line {e.lineno})") from e
    if not isinstance(record, dict) or not isinstance(record.get(FINDINGS_KEY), str):
        raise InputError(f"{path}: expected a JSON object with the findings text under {FINDINGS_KEY!r}")
    return record[FINDINGS_KEY]


def align(predictions: Mapping[str, str], references: Mapping[str, str]) -> tuple[list[str], list[str], list[str]]:
    """Pair predictions with references by case id, in reference order.

    Returns:
        ``(case_ids, predictions, references)`` as three parallel lists.

    Raises:
        InputError: some reference cases have no prediction and/or some predictions name no reference case; the
            message gives both counts and up to five ids of each.
    """
    missing = [case_id for case_id in references if case_id not in predictions]
    unknown = [case_id for case_id in predictions if case_id not in references]
    if missing or unknown:
        parts = []
        if missing:
            parts.append(f"{len(missing)} reference case(s) have no prediction: {_show(missing)}")
        if unknown:
            parts.append(f"{len(unknown)} prediction(s) have no reference case: {_show(unknown)}")
        raise InputError("; ".join(parts))
    case_ids = list(references)
    return case_ids, [predictions[c] for c in case_ids], [references[c] for c in case_ids]


def _show(ids: list[str]) -> str:
    shown = ", ".join(repr(i) for i in ids[:_SHOW])
    return shown + (f" ... and {len(ids) - _SHOW} more" if len(ids) > _SHOW else "")
