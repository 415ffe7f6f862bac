"""Small text files: the one strict UTF-8 reader of pet2rep, JSON on top of it, and reproducible JSON writing.

Reports, metadata, labels and sidecars are read here, never with a lenient decoder: a file that is not UTF-8 is an
:class:`~pet2rep.errors.InputError` naming the file (and case), the line and the offending byte.
"""

from __future__ import annotations

import json
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
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise InputError(
            f"{where}: line {line}: not valid UTF-8 (byte 0x{raw[e.start]:02x} at offset {e.start}); "
            "save the file as UTF-8"
        ) from e
    return text.removeprefix("\ufeff")


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
