"""Checks on a submission's fields and predictions file, before anything is scored or stored.

Every problem raises :class:`pet2rep.errors.SubmissionError` (or the :class:`~pet2rep.errors.InputError` of
``pet2rep.reports``) with a message meant for the submitter: it names the field or line, what was expected
and what came in, and never quotes a reference report or a server path.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import unicodedata
from pathlib import Path
from urllib.parse import urlsplit

from pet2rep.errors import SubmissionError
from pet2rep.vocab import IMAGE_CONFIGS

#: The input settings a submission can name: the image configs of the dataset.
SETTINGS = IMAGE_CONFIGS
MAX_MODEL_NAME_CHARS = 100
MAX_URL_CHARS = 500
PREDICTIONS_SOURCE = "predictions file"


def validate_model_name(name: object) -> str:
    """The model name, stripped: 1-100 printable characters. Markup is allowed and kept as plain text."""
    if not isinstance(name, str) or not name.strip():
        raise SubmissionError(f"model name: expected a non-empty name, got {name!r}")
    name = name.strip()
    if len(name) > MAX_MODEL_NAME_CHARS:
        raise SubmissionError(f"model name: at most {MAX_MODEL_NAME_CHARS} characters, got {len(name)}")
    bad = sorted({f"U+{ord(c):04X}" for c in name if unicodedata.category(c) in ("Cc", "Cf", "Co", "Cs")})
    if bad:
        raise SubmissionError(f"model name: control or invisible characters are not allowed, found {', '.join(bad)}")
    return name


def validate_model_url(url: object) -> str:
    """The model link, stripped: ``""`` (none) or an ``http://`` / ``https://`` URL with a host."""
    if url is None:
        return ""
    if not isinstance(url, str):
        raise SubmissionError(f"model link: expected text, got {type(url).__name__}")
    url = url.strip()
    if not url:
        return ""
    if len(url) > MAX_URL_CHARS:
        raise SubmissionError(f"model link: at most {MAX_URL_CHARS} characters, got {len(url)}")
    if re.search(r"[\s\x00-\x1f\x7f]", url):
        raise SubmissionError("model link: must not contain spaces or control characters")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError as e:
        raise SubmissionError(f"model link: not a valid URL ({e})") from e
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        shown = url if len(url) <= 60 else url[:57] + "..."
        raise SubmissionError(f"model link: expected an http:// or https:// URL with a host, got {shown!r}")
    return url


def validate_setting(setting: object) -> str:
    """One of :data:`SETTINGS`."""
    if setting not in SETTINGS:
        raise SubmissionError(f"input setting: expected one of {', '.join(SETTINGS)}, got {setting!r}")
    return setting


def read_upload(path: str | os.PathLike | None, max_bytes: int) -> bytes:
    """The uploaded predictions file's bytes, refusing files over ``max_bytes`` before reading them."""
    if path is None or path == "":
        raise SubmissionError("predictions file: none was uploaded; expected a JSONL file of {case_id, report}")
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise SubmissionError(f"predictions file: {size / 1e6:.2f} MB is over the {max_bytes / 1e6:g} MB limit")
        with path.open("rb") as f:
            data = f.read(max_bytes + 1)
    except OSError as e:
        raise SubmissionError("predictions file: the upload could not be read; please upload it again") from e
    if len(data) > max_bytes:
        raise SubmissionError(f"predictions file: over the {max_bytes / 1e6:g} MB limit")
    if not data.strip():
        raise SubmissionError("predictions file: the file is empty; expected one JSON object per line")
    return data


def predictions_sha256(predictions: dict[str, str]) -> str:
    """A hash of the predictions that ignores line order and JSON formatting (for duplicate detection)."""
    canonical = json.dumps(sorted(predictions.items()), ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def parse_predictions(data: bytes, references: dict[str, str]) -> tuple[list[str], list[str], list[str]]:
    """Parse a predictions JSONL and align it with the references, case by case.

    Returns:
        ``(case_ids, predictions, references)`` in the same order.

    Raises:
        InputError: from ``pet2rep.reports`` for a file that is not UTF-8 JSONL of ``{case_id, report}``,
            a duplicate case id, or missing / unknown case ids (counts and a few ids).
    """
    from pet2rep.reports import align, read_reports_jsonl

    predictions = read_reports_jsonl(data, source=PREDICTIONS_SOURCE)
    return align(predictions, references)
