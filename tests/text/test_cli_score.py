"""``pet2rep score``: table, JSON output, and clean errors (exit 1, one message, no traceback)."""

from __future__ import annotations

import json
import re

import pytest

from pet2rep.cli import main
from pet2rep.metrics import score


@pytest.fixture
def files(tmp_path, official_texts):
    preds = {"demo": official_texts["template"], "b": "胃FDG摄取增高。", "c": ""}
    refs = {"demo": official_texts["answer"], "b": "胃窦FDG摄取增高，肝脏未见异常。", "c": "左肾未见FDG摄取。"}
    p = tmp_path / "p.jsonl"
    r = tmp_path / "r.jsonl"
    p.write_text("".join(json.dumps({"case_id": k, "report": v}, ensure_ascii=False) + "\n" for k, v in preds.items()))
    r.write_text("".join(json.dumps({"case_id": k, "report": v}, ensure_ascii=False) + "\n" for k, v in refs.items()))
    return p, r, preds, refs


def test_score_prints_a_table_and_writes_json(files, tmp_path, capsys):
    p, r, preds, refs = files
    out = tmp_path / "out" / "scores.json"
    assert (
        main(["score", "--predictions", str(p), "--references", str(r), "--out", str(out), "--bootstrap", "50"]) == 0
    )
    printed = capsys.readouterr().out
    assert "3 cases, lang zh" in printed
    for label in ("BLEU-4", "METEOR", "ROUGE-L", "CE F1", "increased", "abdominal_lymph_node"):
        assert label in printed
    saved = json.loads(out.read_text(encoding="utf-8"))
    expected = score([preds[k] for k in refs], list(refs.values()), bootstrap=50)
    assert saved["case_ids"] == ["demo", "b", "c"]
    assert saved["bleu_4"] == pytest.approx(expected["bleu_4"])
    assert saved["ce_f1"] == pytest.approx(expected["ce_f1"])
    assert saved["ce_f1_std"] == pytest.approx(expected["ce_f1_std"])
    assert f"{expected['ce_f1']:.4f}" in printed


def test_score_against_a_case_folder(files, tmp_path, capsys):
    p, _, _, refs = files
    folder = tmp_path / "cases"
    for case_id, text in refs.items():
        (folder / case_id).mkdir(parents=True)
        (folder / case_id / "report.txt").write_text(text, encoding="utf-8")
    assert main(["score", "--predictions", str(p), "--references", str(folder), "--bootstrap", "0"]) == 0
    assert "3 cases" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: d.write_text('{"case_id": "demo", "report": "x"}\n{bad\n'), "line 2: not valid JSON"),
        (lambda d: d.write_bytes('{"case_id": "demo", "report": "肝"}'.encode("gbk")), "line 1: not valid UTF-8"),
        (lambda d: d.write_text('{"case_id": "demo", "report": "x"}\n'), "2 reference case\\(s\\) have no prediction"),
        (
            lambda d: d.write_text('{"case_id": "demo", "report": "x"}\n{"case_id": "demo", "report": "y"}\n'),
            "duplicate case_id 'demo'",
        ),
    ],
)
def test_bad_predictions_exit_1_with_a_message(files, tmp_path, capsys, make, message):
    _, r, _, _ = files
    bad = tmp_path / "bad.jsonl"
    make(bad)
    assert main(["score", "--predictions", str(bad), "--references", str(r)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("pet2rep score: error: ")
    assert "Traceback" not in err
    assert re.search(message, err), err


def test_missing_files_and_bad_lang(files, tmp_path, capsys):
    p, r, _, _ = files
    assert main(["score", "--predictions", str(tmp_path / "none.jsonl"), "--references", str(r)]) == 1
    assert "none.jsonl: no such file" in capsys.readouterr().err
    assert main(["score", "--predictions", str(p), "--references", str(tmp_path / "nothere")]) == 1
    assert "nothere: no such file or folder" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:
        main(["score", "--predictions", str(p), "--references", str(r), "--lang", "fr"])
    assert info.value.code == 2
    assert "invalid choice: 'fr'" in capsys.readouterr().err


def test_empty_files_are_named(files, tmp_path, capsys):
    p, r, _, _ = files
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n\n", encoding="utf-8")
    assert main(["score", "--predictions", str(empty), "--references", str(r)]) == 1
    err = capsys.readouterr().err
    assert "empty.jsonl: no reports" in err and "case_id" in err, err
    assert main(["score", "--predictions", str(p), "--references", str(empty)]) == 1
    err = capsys.readouterr().err
    assert "empty.jsonl: no reports" in err, err
