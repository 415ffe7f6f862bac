"""Small text files: the one strict UTF-8 reader of pet2rep, JSON on top of it, and reproducible JSON writing.

Reports, metadata, labels and sidecars are read here, never with a lenient decoder: a file that is not UTF-8 is an
:class:`~pet2rep.errors.InputError` naming the file (and case), the line and the offending byte.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pet2rep.errors import InputError, MissingFileError


def _where(case_id: str | None, path: Path) -> str:
    return f"case {case_id!r}: {path.name}" if case_id else str(path)


def read_text(path: str | Path, *, case_id: str | None = None) -> str:
    """Read a UTF-8 text file strictly (a leading BOM is dropped).

    Args:
        path: the file.
        case_id: named in error messages (then only the file name is given).

    Raises:
        MissingFileError: no such file.
        InputError: the bytes are not valid UTF-8.
    """
    path = Path(path)
    where = _where(case_id, path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError as e:
        raise MissingFileError(f"{where}: file not found ({path})") from e
    return decode_text(raw, where)


def decode_text(data: bytes, name: str) -> str:
    """Decode ``data`` (a file's or an upload's bytes) as UTF-8 strictly, a leading BOM dropped.

    Raises:
        InputError: ``"<name>: line N: not valid UTF-8 (byte 0x.. at offset K); save the file as UTF-8"``.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise InputError(
            f"{name}: line {line}: not valid UTF-8 (byte 0x{data[e.start]:02x} at offset {e.start}); "
            "save the file as UTF-8"
        ) from e
    return text.removeprefix("\ufeff")


def iter_json_lines(text: str, name: str, *, expected: str = "a JSON object") -> Iterator[tuple[int, dict]]:
    """The JSON objects of a JSON-lines text with their line numbers; blank lines are skipped.

    Only ``"\n"`` ends a record: ``str.splitlines()`` would also split at U+2028 and the like, which JSON strings may
    hold raw.

    Args:
        text: the decoded text.
        name: the file (or upload) named in messages.
        expected: what a record should be, in words, for the messages.

    Raises:
        InputError: a line that is not JSON, nested too deeply for the parser, or not an object — naming the line.
    """
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as e:
            raise InputError(f"{name}: line {number}: not valid JSON ({e.msg} at column {e.colno})") from e
        except RecursionError as e:  # json's parser recurses once per nesting level
            raise InputError(f"{name}: line {number}: JSON nested too deeply; expected {expected}") from e
        if not isinstance(record, dict):
            raise InputError(f"{name}: line {number}: expected {expected}; got {type(record).__name__}")
        yield number, record


def read_json(path: str | Path, *, case_id: str | None = None) -> Any:
    """Read a UTF-8 JSON file strictly; malformed JSON is an :class:`InputError` naming the line."""
    path = Path(path)
    text = read_text(path, case_id=case_id)
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise InputError(f"{_where(case_id, path)}: invalid JSON at line {e.lineno} column {e.colno}: {e.msg}") from e


def write_json(obj: Any, path: str | Path) -> Path:
    """Write JSON as UTF-8 (non-ASCII kept readable), sorted keys for reproducible bytes."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path
