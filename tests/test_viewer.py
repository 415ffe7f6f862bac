"""The case viewer's logic (pet2rep.viewer): models from --predictions, the organ filter, the per-case views."""

from __future__ import annotations

import json

import pytest

from pet2rep import viewer
from pet2rep.errors import InputError

REF = "肝右叶见低密度灶，放射性摄取增高，SUVmax约7.2。脾脏不大，未见异常代谢。"
SAME = REF
OTHER = "肝脏形态大小正常，放射性分布均匀。左肾见囊性低密度灶，未见FDG摄取。"


def _jsonl(path, reports):
    path.write_text("".join(json.dumps({"case_id": k, "report": v}) + "\n" for k, v in reports.items()), "utf-8")
    return path


def test_models_are_named_by_stem_or_explicitly_and_never_twice(tmp_path):
    a = _jsonl(tmp_path / "a.jsonl", {"c1": SAME})
    b = _jsonl(tmp_path / "b.jsonl", {"c1": OTHER})
    assert viewer.load_models([str(a), f"mine={b}"]) == {"a": {"c1": SAME}, "mine": {"c1": OTHER}}
    with pytest.raises(InputError, match="two models named 'a'"):
        viewer.load_models([str(a), str(a)])


def test_disagreeing_cases_keep_the_cases_where_a_model_differs_on_that_organ():
    references = {"c1": REF, "c2": OTHER, "c3": None}
    models = {"good": {"c1": SAME, "c2": OTHER}, "bad": {"c1": OTHER, "c3": REF}}
    assert viewer.disagreeing_cases(references, models, "liver") == ["c1"]  # c3 has no reference
    assert viewer.disagreeing_cases(references, models, "kidney") == ["c1"]  # bad says absent, reference normal
    assert viewer.disagreeing_cases(references, {"good": models["good"]}, "liver") == []
    with pytest.raises(InputError, match="unknown organ 'livr'"):
        viewer.disagreeing_cases(references, models, "livr")


def test_case_scores_are_perfect_for_the_reference_and_lower_for_another_report():
    scores = viewer.case_scores(REF, {"same": SAME, "other": OTHER, "none": None})
    assert set(scores) == {"same", "other"}
    assert scores["same"]["bleu_1"] == pytest.approx(1.0)
    assert scores["other"]["bleu_1"] < 0.5
    assert viewer.case_scores(None, {"same": SAME}) == {}


def test_organ_table_marks_disagreement_and_highlights_cues():
    table = viewer.organ_table_html(REF, {"same": SAME, "other": OTHER})
    rows = {row.split("</th>")[0]: row for row in table.split("<tr><th>")[2:]}
    assert set(rows) == {"liver", "kidney"}
    assert rows["liver"].count("p2r-disagree") == 1 and "≠ normal" in rows["liver"]
    assert "<mark>增高</mark>" in rows["liver"] and "<mark>未见</mark>" in rows["kidney"]


def test_reports_are_escaped_side_by_side():
    out = viewer.reports_html("<b>x</b>", {"m": None}, {})
    assert "&lt;b&gt;x&lt;/b&gt;" in out and "<b>x" not in out and viewer.NO_PREDICTION in out


def test_highlight_does_not_overlap_cues():
    out = viewer._highlight("未见fdg摄取<", ["未见", "fdg摄取", "摄取"])
    assert out == "<mark>未见</mark><mark>fdg摄取</mark>&lt;"


def test_view_without_gradio_names_the_extra(monkeypatch, capsys):
    import sys

    from pet2rep.cli import main

    monkeypatch.setitem(sys.modules, "gradio", None)  # import gradio -> ImportError, imported before or not
    with pytest.raises(ImportError, match=r"pip install 'pet2rep\[space\]'"):
        viewer.build_app(None, {})
    assert main(["view", "--data", "nowhere"]) == 1
    assert capsys.readouterr().err.strip().startswith("pet2rep view: error: 'gradio' is required")
