"""The CE audit view: the labels of a report with, for each organ, the evidence that decided them.

:func:`audit_report` is what ``pet2rep ce explain`` and ``pet2rep ce extract`` print; :func:`read_reports` reads
their input (a text, a text file, or a JSONL of reports). The rules themselves are in ``docs/ce.md`` and the
modules of :mod:`pet2rep.text.ce`.
"""

from __future__ import annotations

import sys
from pathlib import Path

from pet2rep.errors import InputError, MissingFileError
from pet2rep.files import iter_json_lines, read_text
from pet2rep.text.ce.extract import explain_uptake
from pet2rep.text.tokenize import check_lang, detect_lang
from pet2rep.vocab import ORGANS, STATES

# JSONL input: the first of these keys present on a line is the report text, the first id key its name.
TEXT_KEYS = ("report", "text", "findings", "reference", "prediction")
ID_KEYS = ("case_id", "id")


def audit_report(text: str, lang: str = "auto") -> dict:
    """Labels and evidence of one report.

    Args:
        text: the report.
        lang: ``"zh"``, ``"en"`` or ``"auto"``.

    Returns:
        ``{"lang", "labels": {organ: [states]}, "evidence": {organ: [{"states", "sentence", "cues", "notes"}]}}``
        with only the organs that have a state, in :data:`~pet2rep.text.ce.ORGANS` order, states in
        :data:`~pet2rep.text.ce.STATES` order. Each evidence item is one uptake statement that gave the organ a
        state: its normalised sentence (digits read as 0), the cue words that decided it and the rules applied
        (negation, comparison, physiological, lesion, locator, carry-over).

    Raises:
        InputError: ``text`` is not a string or ``lang`` is not valid.
    """
    if not isinstance(text, str):
        raise InputError(f"report must be a str; got {type(text).__name__}")
    lang = check_lang(lang)
    resolved = detect_lang(text) if lang == "auto" else lang
    statements = explain_uptake(text, resolved)
    states: dict[str, set[str]] = {}
    evidence: dict[str, list[dict]] = {}
    for st in statements:
        if not st.states:
            continue
        for organ in st.organs:
            states.setdefault(organ, set()).update(st.states)
            evidence.setdefault(organ, []).append(
                {
                    "states": [s for s in STATES if s in st.states],
                    "sentence": st.sentence,
                    "cues": list(st.cues),
                    "notes": list(st.notes),
                }
            )
    organs = [o for o in ORGANS if o in states]
    return {
        "lang": resolved,
        "labels": {o: [s for s in STATES if s in states[o]] for o in organs},
        "evidence": {o: evidence[o] for o in organs},
    }


def format_audit(name: str, result: dict) -> str:
    """The plain-text audit view of one :func:`audit_report` result."""
    lines = [f"== {name} (lang {result['lang']})"]
    if not result["labels"]:
        lines.append("no organ with an abnormal uptake state (all normal or not mentioned)")
    for organ, states in result["labels"].items():
        lines.append(f"{organ}: {', '.join(states)}")
        for item in result["evidence"][organ]:
            lines.append(f"  [{'+'.join(item['states'])}] {item['sentence']}")
            lines.append(f"    cues: {' | '.join(item['cues'])}")
            for note in item["notes"]:
                lines.append(f"    rule: {note}")
    return "\n".join(lines)


def read_reports(source: str, key: str | None = None) -> list[tuple[str, str]]:
    """The reports named by a command-line argument, as ``[(name, text)]``.

    ``source`` is ``-`` (standard input), the path of a ``.jsonl`` file (one JSON object per line; the text is the
    first of :data:`TEXT_KEYS` present, or ``key`` when given; the name the first of :data:`ID_KEYS`, else ``line N``),
    the path of any other file (one report, UTF-8), or else the report text itself.

    Raises:
        InputError: a file that is not UTF-8, a JSONL line that is not an object or has no text key.
        MissingFileError: a ``.jsonl`` path that does not exist.
    """
    if source == "-":
        return [("<stdin>", sys.stdin.read())]
    path = Path(source)
    is_file = _is_file(path)
    if path.suffix.lower() == ".jsonl" and "\n" not in source:
        if not is_file:
            raise MissingFileError(f"{source}: no such file")
        return _read_jsonl(path, key)
    if is_file:
        return [(source, read_text(path))]
    return [("<text>", source)]


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except (OSError, ValueError):  # a report text is not a valid path (too long, NUL): it is not a file
        return False


def _read_jsonl(path: Path, key: str | None = None) -> list[tuple[str, str]]:
    keys = (key,) if key else TEXT_KEYS
    out = []
    for number, row in iter_json_lines(read_text(path), str(path)):
        found = next((k for k in keys if k in row), None)
        if found is None or not isinstance(row[found], str):
            raise InputError(
                f"{path}: line {number}: expected a string under one of {', '.join(keys)}; "
                f"got keys {', '.join(map(str, row)) or '(none)'}"
            )
        name = next((str(row[k]) for k in ID_KEYS if k in row), f"line {number}")
        out.append((name, row[found]))
    if not out:
        raise InputError(f"{path}: no reports in the file; expected one JSON object per line")
    return out
