"""Report files and ``pet2rep score`` options that used to end in a traceback (issue 12): deeply nested JSON, an
``--out`` that cannot be written. Each is one clear error line naming the file or option."""

from __future__ import annotations

import json

import pytest

from pet2rep.cli import main
from pet2rep.errors import InputError
from pet2rep.reports import read_reports_jsonl

NESTED = b'{"case_id": "a", "report": ' + b"[" * 100_000 + b"]" * 100_000 + b"}\n"


def test_deeply_nested_json_names_the_line():
    data = b'{"case_id": "ok", "report": "x"}\n' + NESTED
    expected = r'^predictions: line 2: JSON nested too deeply; expected a JSON object with "case_id"'
    with pytest.raises(InputError, match=expected):
        read_reports_jsonl(data, source="predictions")


@pytest.fixture
def files(tmp_path):
    p = tmp_path / "p.jsonl"
    r = tmp_path / "r.jsonl"
    p.write_text(json.dumps({"case_id": "a", "report": "肝脏FDG摄取增高。"}, ensure_ascii=False) + "\n")
    r.write_text(json.dumps({"case_id": "a", "report": "肝脏未见异常。"}, ensure_ascii=False) + "\n")
    return p, r


def _score(*args: str) -> int:
    return main(["score", *args, "--bootstrap", "0"])


def test_score_with_nested_json_is_one_error_line(files, tmp_path, capsys):
    _, r = files
    nested = tmp_path / "nested.jsonl"
    nested.write_bytes(NESTED)
    assert _score("--predictions", str(nested), "--references", str(r)) == 1
    err = capsys.readouterr().err
    assert err == f"pet2rep score: error: {nested}: line 1: JSON nested too deeply; expected a JSON object " + (
        'with "case_id" and "report"\n'
    )


@pytest.mark.parametrize("where", ["under a file", "a folder"])
def test_score_with_an_out_that_cannot_be_written_is_one_error_line(files, tmp_path, capsys, where):
    p, r = files
    blocker = tmp_path / "blocker"
    if where == "under a file":
        blocker.write_text("a file, not a folder")
        out, expected = blocker / "x.json", "its folder cannot be created"
    else:
        blocker.mkdir()
        out, expected = blocker, "is a folder; expected a JSON file path"
    assert _score("--predictions", str(p), "--references", str(r), "--out", str(out)) == 1
    captured = capsys.readouterr()
    assert captured.err.startswith(f"pet2rep score: error: --out {out}: {expected}"), captured.err
    assert captured.err.count("\n") == 1 and "Traceback" not in captured.err
    assert captured.out == ""  # refused before scoring
