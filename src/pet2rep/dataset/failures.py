"""Cases left out of a build, with the reason: :class:`CaseFailure`, and the per-case records of the builder.

:class:`~pet2rep.dataset.builder.Pet2Rep` with ``failures_dir`` set records each failed case as one JSON file
(:func:`write_failure`) instead of raising; :func:`read_failures` merges them, one per case.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from pet2rep.dataset.schema import DATASET_CONFIGS


@dataclass(frozen=True)
class CaseFailure:
    """A case left out of the build, with the reason (the configs it is missing from)."""

    case_id: str
    configs: tuple[str, ...]
    error: str
    message: str

    def __str__(self) -> str:
        return f"{self.case_id}: {self.error}: {self.message}"


def write_failure(failures_dir: str | Path, case_id: str, config: str, error: str, message: str) -> Path:
    """Record a failed case under ``<failures_dir>/<config>/`` (one JSON file per case).

    Args:
        failures_dir: the folder of records.
        case_id: the case.
        config: the config it is missing from.
        error: the exception's type name.
        message: its message (naming the case and file).
    """
    folder = Path(failures_dir) / config
    folder.mkdir(parents=True, exist_ok=True)
    record = {"case_id": case_id, "config": config, "error": error, "message": message}
    path = folder / f"{_safe_name(case_id)}.json"
    path.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    return path


def _safe_name(case_id: str) -> str:
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", case_id) or "case"
    return f"{safe}-{hashlib.sha1(case_id.encode()).hexdigest()[:8]}"


def read_failures(failures_dir: str | Path) -> list[CaseFailure]:
    """The failures recorded by :func:`write_failure`, one per case (configs merged), sorted by case id."""
    merged: dict[str, dict] = {}
    root = Path(failures_dir)
    for path in sorted(root.glob("*/*.json")) if root.is_dir() else []:
        rec = json.loads(path.read_text(encoding="utf-8"))
        entry = merged.setdefault(rec["case_id"], {"configs": set(), "error": rec["error"], "message": rec["message"]})
        entry["configs"].add(rec["config"])
    return [
        CaseFailure(cid, tuple(c for c in DATASET_CONFIGS if c in e["configs"]), e["error"], e["message"])
        for cid, e in sorted(merged.items())
    ]


__all__ = ["CaseFailure", "read_failures", "write_failure"]
