"""pet2rep.reports: strict JSONL, reference folders, alignment — every bad input names the line or the id."""

from __future__ import annotations

import json

import pytest

from pet2rep.errors import InputError, LayoutError, MissingFileError
from pet2rep.reports import align, load_references, read_reports_jsonl, write_reports_jsonl


def _jsonl(*records) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode("utf-8")


def test_round_trip_keeps_order_and_odd_characters(tmp_path):
    mapping = {"c2": "肝脏FDG摄取增高。\n第二行", "c1": "", "c3": 'line\u2028separator \x00 "quoted" 😀'}
    path = write_reports_jsonl(tmp_path / "sub" / "p.jsonl", mapping)
    assert read_reports_jsonl(path) == mapping
    assert list(read_reports_jsonl(path)) == ["c2", "c1", "c3"]
    assert read_reports_jsonl(path.read_bytes()) == mapping


def test_blank_lines_bom_crlf_and_extra_keys_are_accepted():
    data = (
        b"\xef\xbb\xbf" + b'{"case_id": "a", "report": "x", "model": "m"}\r\n\r\n  \n{"case_id": "b", "report": "y"}'
    )
    assert read_reports_jsonl(data) == {"a": "x", "b": "y"}
    assert read_reports_jsonl(b"") == {}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (_jsonl({"case_id": "a", "report": "x"}) + b"{not json}\n", "upload.jsonl: line 2: not valid JSON"),
        (_jsonl({"case_id": "a", "report": "x"}, ["a", "x"]), "line 2: expected a JSON object"),
        (_jsonl({"report": "x"}), 'line 1: missing "case_id"'),
        (_jsonl({"case_id": "a"}), 'line 1: missing "report"'),
        (_jsonl({"case_id": 7, "report": "x"}), 'line 1: "case_id" must be a string, got int'),
        (_jsonl({"case_id": "a", "report": None}), 'line 1: "report" must be a string, got NoneType'),
        (_jsonl({"case_id": " ", "report": "x"}), 'line 1: "case_id" is empty'),
        (
            _jsonl({"case_id": "a", "report": "x"}, {"case_id": "b", "report": "y"}, {"case_id": "a", "report": "z"}),
            "line 3: duplicate case_id 'a' \\(first on line 1\\)",
        ),
        (
            _jsonl({"case_id": "a", "report": "x"}) + '{"case_id": "b", "report": "肝"}'.encode("gbk"),
            "line 2: not valid UTF-8",
        ),
    ],
)
def test_bad_jsonl_names_the_line(data, message):
    with pytest.raises(InputError, match=message):
        read_reports_jsonl(data, source="upload.jsonl")


def test_bad_paths(tmp_path):
    with pytest.raises(MissingFileError, match="no such file"):
        read_reports_jsonl(tmp_path / "missing.jsonl")
    with pytest.raises(FileNotFoundError):
        load_references(tmp_path / "missing")
    with pytest.raises(InputError, match="expected a JSONL file"):
        read_reports_jsonl(tmp_path)
    with pytest.raises(InputError, match="expected a path or bytes"):
        read_reports_jsonl(123)
    with pytest.raises(InputError, match="case 'a': report must be a string"):
        write_reports_jsonl(tmp_path / "x.jsonl", {"a": 1})


def test_references_from_generic_case_folders(tmp_path):
    for case_id, zh, en in [("c2", "肝脏FDG摄取增高。", "Increased uptake."), ("c1", "正常。", None)]:
        (tmp_path / case_id).mkdir()
        (tmp_path / case_id / "report.txt").write_text(zh, encoding="utf-8")
        if en:
            (tmp_path / case_id / "report_en.txt").write_text(en, encoding="utf-8")
    (tmp_path / "not_a_case").mkdir()
    assert load_references(tmp_path) == {"c1": "正常。", "c2": "肝脏FDG摄取增高。"}
    assert list(load_references(tmp_path)) == ["c1", "c2"]
    assert load_references(tmp_path, lang="en") == {"c2": "Increased uptake."}
    assert load_references(tmp_path / "c2") == {"c2": "肝脏FDG摄取增高。"}
    (tmp_path / "c3").mkdir()
    (tmp_path / "c3" / "report.txt").write_bytes("肝".encode("gbk"))
    with pytest.raises(InputError, match=r"c3.report\.txt: line 1: not valid UTF-8"):
        load_references(tmp_path)
    with pytest.raises(InputError, match="lang must be one of 'zh', 'en'"):
        load_references(tmp_path, lang="auto")


def test_references_from_nnunet_reports(tmp_path):
    (tmp_path / "images").mkdir()
    (tmp_path / "reports").mkdir()
    for case_id, text in [("lym_002", "纵隔淋巴结FDG摄取增高。"), ("lym_001", "未见异常。")]:
        (tmp_path / "reports" / f"{case_id}.json").write_text(
            json.dumps({"检查所见": text, "诊断意见": "..."}, ensure_ascii=False), encoding="utf-8"
        )
    assert load_references(tmp_path) == {"lym_001": "未见异常。", "lym_002": "纵隔淋巴结FDG摄取增高。"}
    (tmp_path / "reports" / "lym_003.json").write_text('{"findings": "x"}', encoding="utf-8")
    with pytest.raises(
        InputError, match=r"lym_003\.json: expected a JSON object with the findings text under '检查所见'"
    ):
        load_references(tmp_path)


def test_references_from_jsonl_and_empty_folder(tmp_path):
    (tmp_path / "r.jsonl").write_bytes(_jsonl({"case_id": "a", "report": "x"}))
    assert load_references(tmp_path / "r.jsonl") == {"a": "x"}
    (tmp_path / "empty").mkdir()
    with pytest.raises(LayoutError, match="no reference reports found"):
        load_references(tmp_path / "empty")


def _write_build_config(root, config, rows, columns=("case_id", "report", "report_en")):
    """A config of a `pet2rep build` folder: <root>/<config>/test-00000-of-00001.parquet (images left out)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    (root / config).mkdir(parents=True, exist_ok=True)
    table = pa.table({c: [row[i] for row in rows] for i, c in enumerate(columns)})
    pq.write_table(table, root / config / "test-00000-of-00001.parquet")


def test_references_from_a_built_dataset_folder(tmp_path):
    rows = [("c2", "肝脏FDG摄取增高。", "Increased uptake."), ("c1", "正常。", None)]
    _write_build_config(tmp_path, "separate", rows)
    _write_build_config(tmp_path, "fused", rows)
    (tmp_path / "README.md").write_text("---\nconfigs: []\n---\n", encoding="utf-8")
    assert load_references(tmp_path) == {"c1": "正常。", "c2": "肝脏FDG摄取增高。"}
    assert list(load_references(tmp_path)) == ["c1", "c2"]
    assert load_references(tmp_path, lang="en") == {"c2": "Increased uptake."}  # rows without one are left out


def test_built_dataset_folder_errors_name_the_file(tmp_path):
    _write_build_config(tmp_path / "a", "fused", [("c1", "x")], columns=("case_id", "findings"))
    with pytest.raises(InputError, match=r"fused.test-00000-of-00001\.parquet: no 'report' column; it has case_id"):
        load_references(tmp_path / "a")
    _write_build_config(tmp_path / "b", "fused", [("c1", "x", None), ("c1", "y", None)])
    with pytest.raises(InputError, match="duplicate case_id 'c1'"):
        load_references(tmp_path / "b")
    (tmp_path / "c" / "fused").mkdir(parents=True)
    (tmp_path / "c" / "fused" / "test-00000-of-00001.parquet").write_bytes(b"not parquet")
    with pytest.raises(InputError, match="unreadable parquet"):
        load_references(tmp_path / "c")


def test_align_in_reference_order():
    ids, preds, refs = align({"b": "pb", "a": "pa"}, {"a": "ra", "b": "rb"})
    assert (ids, preds, refs) == (["a", "b"], ["pa", "pb"], ["ra", "rb"])


def test_align_reports_missing_and_unknown_ids():
    refs = {f"c{i:02d}": "r" for i in range(10)}
    preds = {f"c{i:02d}": "p" for i in range(3)} | {"x1": "p", "x2": "p"}
    with pytest.raises(InputError) as info:
        align(preds, refs)
    message = str(info.value)
    assert "7 reference case(s) have no prediction: 'c03', 'c04', 'c05', 'c06', 'c07' ... and 2 more" in message
    assert "2 prediction(s) have no reference case: 'x1', 'x2'" in message
    with pytest.raises(InputError, match="1 reference case"):
        align({}, {"a": "r"})
