"""pet2rep.files: the strict UTF-8 reader and JSON."""

import pytest

from pet2rep.errors import InputError, MissingFileError
from pet2rep.files import read_json, read_text, write_json


def test_text_is_strict_utf8(tmp_path):
    p = tmp_path / "report.txt"
    p.write_bytes("\ufeff肝脏未见异常".encode())
    assert read_text(p) == "肝脏未见异常"
    p.write_bytes("肝脏未见异常".encode("gbk"))
    with pytest.raises(InputError, match=r"case 'c1': report.txt: line 1: not valid UTF-8"):
        read_text(p, case_id="c1")


def test_bad_json_names_line(tmp_path):
    p = tmp_path / "meta.json"
    p.write_text('{\n "weight_kg": 70,\n}', encoding="utf-8")
    with pytest.raises(InputError, match=r"meta\.json: invalid JSON at line 3"):
        read_json(p, case_id="c1")


def test_bad_utf8_names_the_line_and_byte(tmp_path):
    p = tmp_path / "report.txt"
    p.write_bytes("第一行\n".encode() + "肝".encode("gbk"))
    with pytest.raises(InputError, match=r"report\.txt: line 2: not valid UTF-8 \(byte 0xb8 at offset 10\)"):
        read_text(p)


def test_missing_file(tmp_path):
    with pytest.raises(MissingFileError, match=r"case 'c2': report\.txt: file not found"):
        read_text(tmp_path / "report.txt", case_id="c2")


def test_json_round_trip_is_reproducible(tmp_path):
    path = write_json({"b": "脑", "a": [1, 2]}, tmp_path / "x" / "a.json")
    assert path.read_text(encoding="utf-8") == '{\n  "a": [\n    1,\n    2\n  ],\n  "b": "脑"\n}\n'
    assert read_json(path) == {"a": [1, 2], "b": "脑"}
