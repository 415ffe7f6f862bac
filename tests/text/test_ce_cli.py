"""``pet2rep ce explain`` / ``pet2rep ce extract``: the audit view and the labels, clean errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pet2rep.cli import main
from pet2rep.text.ce import extract_uptake
from pet2rep.text.ce.audit import audit_report, read_reports

GOLD_FILE = Path(__file__).parent / "data" / "real_reports_gold.jsonl"
REPORT = (
    "双肺未见异常密度影或异常放射性浓聚灶。纵隔多发大小不等淋巴结，示踪剂异常浓集，较大者位于主动脉弓旁。"
    "脾脏放射性摄取弥漫性增高，约平肝脏。中轴骨摄取弥漫性增高，高于肝脏。左肾囊性密度结节，放射性分布缺损。"
)


def test_explain_text_prints_states_sentences_cues_and_rules(capsys):
    assert main(["ce", "explain", REPORT]) == 0
    out = capsys.readouterr().out
    assert "mediastinal_lymph_node: increased" in out
    assert "bone: increased" in out
    assert "kidney: absent" in out
    assert "lung" not in out  # the negated coordination
    assert "spleen" not in out  # at the liver's level
    assert "纵隔多发大小不等淋巴结,示踪剂异常浓集" in out  # the sentence (normalised)
    assert "cues: 示踪剂 | 异常浓集" in out
    assert "rule: comparison '高于' (above, reference liver)" in out


def test_explain_json_matches_extract_uptake(capsys):
    assert main(["ce", "explain", REPORT, "--json", "--lang", "zh"]) == 0
    result = json.loads(capsys.readouterr().out)
    expected = {o: sorted(s) for o, s in extract_uptake(REPORT, "zh").items() if s}
    assert {o: sorted(s) for o, s in result["labels"].items()} == expected
    assert result["lang"] == "zh"
    assert set(result["evidence"]) == set(result["labels"])
    bone = result["evidence"]["bone"][0]
    assert bone["states"] == ["increased"] and "高于" in bone["cues"]
    assert any("comparison" in note for note in bone["notes"])


def test_explain_shows_the_negation_that_was_applied():
    result = audit_report("左肾未见FDG摄取。", "zh")
    assert result["labels"] == {"kidney": ["absent"]}
    assert result["evidence"]["kidney"][0]["notes"] == ["negation '未见' of an uptake noun: absent"]


def test_extract_jsonl_prints_labels_per_report(tmp_path, capsys):
    rows = [json.loads(line) for line in GOLD_FILE.read_text(encoding="utf-8").splitlines()[:5]]
    path = tmp_path / "reports.jsonl"
    path.write_text(
        "".join(json.dumps({"case_id": r["id"], "report": r["text"]}, ensure_ascii=False) + "\n" for r in rows) + "\n",
        encoding="utf-8",
    )
    assert main(["ce", "extract", str(path), "--json"]) == 0
    printed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [p["name"] for p in printed] == [r["id"] for r in rows]
    for p, r in zip(printed, rows, strict=True):
        expected = {o: sorted(s) for o, s in extract_uptake(r["text"], "zh").items() if s}
        assert {o: sorted(s) for o, s in p["labels"].items()} == expected
        assert p["lang"] == "zh"
    assert main(["ce", "extract", str(path)]) == 0
    plain = capsys.readouterr().out.splitlines()
    assert plain[0].startswith(rows[0]["id"] + "\t") and "kidney: decreased, absent" in plain[0]


def test_read_reports_accepts_text_files_jsonl_keys_and_plain_text(tmp_path):
    txt = tmp_path / "report.txt"
    txt.write_text("\ufeff肝脏FDG摄取增高。", encoding="utf-8")
    assert read_reports(str(txt)) == [(str(txt), "肝脏FDG摄取增高。")]
    jl = tmp_path / "r.jsonl"
    jl.write_text('{"id": "a", "text": "x"}\n{"findings": "y"}\n{"case_id": 3, "prediction": "z"}\n', encoding="utf-8")
    assert read_reports(str(jl)) == [("a", "x"), ("line 2", "y"), ("3", "z")]
    both = tmp_path / "pairs.jsonl"
    both.write_text('{"id": "p", "reference": "r", "prediction": "q"}\n', encoding="utf-8")
    assert read_reports(str(both)) == [("p", "r")]
    assert read_reports(str(both), key="prediction") == [("p", "q")]
    assert read_reports("肝脏FDG摄取增高") == [("<text>", "肝脏FDG摄取增高")]
    long_text = "肝" * 3000  # not a valid file name: read as text, not an OSError
    assert read_reports(long_text) == [("<text>", long_text)]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"x": 1}\n', "expected a string under one of report, text, findings"),
        ("[1, 2]\n", "expected a JSON object; got list"),
        ("{not json\n", "line 1: not valid JSON"),
        ("\n\n", "no reports in the file"),
    ],
)
def test_bad_jsonl_is_one_error_line(tmp_path, capsys, content, message):
    path = tmp_path / "bad.jsonl"
    path.write_text(content, encoding="utf-8")
    assert main(["ce", "extract", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("pet2rep ce: error: ") and message in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_missing_jsonl_and_non_utf8_file_are_clean_errors(tmp_path, capsys):
    assert main(["ce", "explain", str(tmp_path / "missing.jsonl")]) == 1
    assert "no such file" in capsys.readouterr().err
    bad = tmp_path / "latin1.txt"
    bad.write_bytes("foie: fixation augmentée".encode("latin-1"))
    assert main(["ce", "explain", str(bad)]) == 1
    assert "not valid UTF-8" in capsys.readouterr().err


def test_ce_needs_a_subcommand(capsys):
    with pytest.raises(SystemExit) as e:
        main(["ce"])
    assert e.value.code == 2
