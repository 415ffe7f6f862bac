"""CE extraction is stable under the ways real text varies, and bounded on garbage (issue 10).

Variants of every real report of the test set must give the same labels as the report: 纵隔/纵膈, full- and
half-width punctuation, line breaks inside sentences, extra spaces; traditional characters of common terms. Garbage
(digits only, mixed scripts, 100 k characters) gives a result, never an error or a hang; time is linear in length
(measured in ``benchmarks/bench_ce.py``, not asserted here).
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest

from pet2rep.text.ce import ORGANS, STATES, extract_uptake

GOLD_FILE = Path(__file__).parent / "data" / "real_reports_gold.jsonl"
_CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def reports() -> list[str]:
    return [json.loads(line)["text"] for line in GOLD_FILE.read_text(encoding="utf-8").splitlines()]


def _labels(text: str, lang: str = "zh") -> dict[str, list[str]]:
    return {organ: sorted(states) for organ, states in extract_uptake(text, lang).items() if states}


def _same_on_every_report(reports, transform, min_changed: int = 20) -> None:
    changed = 0
    for text in reports:
        variant = transform(text)
        changed += variant != text
        assert _labels(variant) == _labels(text), (text, variant)
    assert changed >= min_changed  # the transform did something


def test_mediastinum_spellings(reports):
    _same_on_every_report(reports, lambda t: t.replace("纵隔", "纵膈"))
    _same_on_every_report(reports, lambda t: t.replace("纵膈", "纵隔"))
    assert (
        _labels("纵膈淋巴结FDG摄取增高。")
        == _labels("纵隔淋巴结FDG摄取增高。")
        == {"mediastinal_lymph_node": ["increased"]}
    )


def test_half_width_punctuation(reports):
    table = str.maketrans({"，": ",", "。": ".", "；": ";", "：": ":", "（": "(", "）": ")"})
    _same_on_every_report(reports, lambda t: t.translate(table))


def test_full_width_punctuation(reports):
    table = str.maketrans({",": "，", ";": "；", ":": "：", "(": "（", ")": "）"})
    _same_on_every_report(reports, lambda t: t.translate(table), min_changed=3)  # the reports are mostly full-width
    assert _labels("肝脏FDG摄取增高.脾脏未见异常放射性浓聚.") == {"liver": ["increased"]}


def test_line_breaks_inside_sentences(reports):
    rng = random.Random(0)

    def wrap(text: str) -> str:  # a line break after every ~12th ideograph, as in text wrapped for a page
        out = []
        for i, ch in enumerate(text):
            out.append(ch)
            if _CJK.match(ch) and i + 1 < len(text) and _CJK.match(text[i + 1]) and rng.random() < 1 / 12:
                out.append(rng.choice(["\n", "\r\n", " \n  "]))
        return "".join(out)

    _same_on_every_report(reports, wrap)
    assert _labels("纵隔多发大小不等淋\n巴结，示踪剂异常\n浓集。") == {"mediastinal_lymph_node": ["increased"]}
    assert _labels("纵隔多发淋巴结，\n示踪剂异常浓集。") == {"mediastinal_lymph_node": ["increased"]}


def test_extra_spaces(reports):
    rng = random.Random(1)

    def spaced(text: str) -> str:  # spaces after ideographs and punctuation (not inside Latin words or numbers)
        return "".join(
            ch + (" " * rng.randint(1, 3) if not ch.isascii() and rng.random() < 0.2 else "") for ch in text
        )

    _same_on_every_report(reports, spaced)
    _same_on_every_report(reports, lambda t: t.replace("，", " ， ").replace("。", "。 \u3000"))


def test_traditional_characters():
    assert _labels("縱隔淋巴結示蹤劑異常濃集。") == {"mediastinal_lymph_node": ["increased"]}
    assert _labels("雙頸部多發淋巴結，攝取增高。") == {"cervical_lymph_node": ["increased"]}
    assert _labels("肝臟未見異常放射性濃聚。腎臟囊腫，放射性分布缺損。") == {"kidney": ["absent"]}
    assert _labels("脾臟放射性攝取彌漫性增高，高於肝臟。") == {"spleen": ["increased"]}


@pytest.mark.parametrize(
    "text",
    [
        "0123456789" * 10_000,  # digits only, 100 k characters
        "肝脏FDGабвγδ摄取 ١٢٣ 増高تحت，" * 5_000,  # mixed scripts
        "。，、；：（）" * 20_000,  # punctuation only
        "淋巴结" * 40_000,  # one 120 k-character clause of node words
        "增高" * 50_000 + "不明显",  # a post-negation reaching back over 50 k state words
        "\x00\x1f\ud800\U0010ffff" * 10_000,  # controls, a lone surrogate, the last code point
    ],
    ids=["digits", "mixed-scripts", "punctuation", "node-words", "long-postneg", "controls"],
)
def test_garbage_gives_a_result(text):
    for lang in ("zh", "en", "auto"):
        labels = extract_uptake(text, lang)
        assert tuple(labels) == ORGANS
        assert all(states <= set(STATES) for states in labels.values())


def test_a_100k_character_report_gives_the_union_of_its_parts(reports):
    text = "\n".join(reports) * 2
    assert len(text) > 100_000
    labels = extract_uptake(text, "zh")
    union: dict[str, set] = {}
    for report in reports:
        for organ, states in extract_uptake(report, "zh").items():
            union.setdefault(organ, set()).update(states)
    assert {o: set(s) for o, s in labels.items()} == {o: union.get(o, set()) for o in ORGANS}
