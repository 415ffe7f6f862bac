"""CE extractor: data-driven cases, the official demo reports, fuzzing."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from pet2rep.errors import InputError
from pet2rep.text.ce import ORGANS, STATES, explain_uptake, extract_uptake
from pet2rep.vocab import NODE_GROUPS

CASES_FILE = Path(__file__).parent / "data" / "ce_cases.jsonl"


def _cases() -> list[dict]:
    rows = []
    for line in CASES_FILE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("//"):
            rows.append(json.loads(line))
    return rows


def _labels(text: str, lang: str = "auto") -> dict[str, list[str]]:
    return {organ: sorted(states) for organ, states in extract_uptake(text, lang).items() if states}


@pytest.mark.parametrize("case", _cases(), ids=lambda c: c["description"])
def test_case(case):
    expected = {organ: sorted(states) for organ, states in case["expected"].items()}
    assert set(expected) <= set(ORGANS)
    assert _labels(case["text"], case["lang"]) == expected, explain_uptake(case["text"], case["lang"])
    # auto-detection picks the same language on these texts
    assert _labels(case["text"]) == expected


def test_case_file_covers_every_rule():
    descriptions = " ".join(c["description"] for c in _cases())
    for needle in ("negat", "node", "comparison", "carry-over", "impression", "English", "absent", "CT"):
        assert needle in descriptions, needle
    assert len(_cases()) >= 80


def test_official_answer(official_texts):
    """Labels read by hand from the official demo report (findings + impression)."""
    assert _labels(official_texts["answer"]) == {
        "pharynx": ["increased"],  # 两侧腭扁桃体及口咽部FDG代谢增高
        "lung": ["increased"],  # 右肺下叶外基底段 ... FDG轻度代谢增高
        "stomach": ["increased"],  # 胃 ... 部分胃底壁稍增厚，FDG代谢增高
        "intestine": ["increased"],  # 部分肠管FDG代谢增高
    }


def test_official_template(official_texts):
    """Labels read by hand from the example report of the prompt (the Template Baseline's output)."""
    expected = {
        "cervical_lymph_node": ["increased"],  # 颈深间隙、颌下 ... 部分淋巴结FDG摄取增高
        "lung": ["increased"],  # 两肺 ... FDG摄取增高
        "liver": ["decreased", "increased"],  # 肝右叶下段肿块 增高; 肝左叶结节 较本底摄取减低
        "abdominal_lymph_node": ["increased"],  # 门腔间隙、肝胃间隙、腹膜后 淋巴结 摄取轻度增高
        "kidney": ["absent"],  # 左肾 ... FDG摄取缺失
        "stomach": ["increased"],  # 部分胃壁FDG摄取增高
    }
    assert _labels(official_texts["template"]) == expected
    assert _labels(official_texts["template_raw"]) == expected  # with the [] 【】 markup


def test_result_shape_and_order():
    labels = extract_uptake("")
    assert tuple(labels) == ORGANS
    assert all(v == frozenset() for v in labels.values())
    assert len(ORGANS) == 24
    assert STATES == ("increased", "decreased", "absent")
    assert set(NODE_GROUPS) <= set(ORGANS)


@pytest.mark.parametrize("bad", [None, 1, b"\xe8\x82\x9d"])
def test_non_string_is_rejected(bad):
    with pytest.raises(InputError, match="str"):
        extract_uptake(bad)


def test_unknown_lang_is_rejected():
    with pytest.raises(InputError, match="lang"):
        extract_uptake("肝脏FDG摄取增高", "jp")


def _fuzz_texts(seed: int, n: int):
    rng = random.Random(seed)
    pieces = [c["text"] for c in _cases()]
    for _ in range(n):
        kind = rng.random()
        if kind < 0.4:  # arbitrary code points, surrogates and controls included
            yield "".join(chr(rng.randrange(0x110000)) for _ in range(rng.randint(0, 60)))
        elif kind < 0.7:  # shredded real phrases
            text = "".join(rng.choice(pieces) for _ in range(3))
            cuts = sorted(rng.randrange(len(text) + 1) for _ in range(6))
            yield "".join(text[a:b] for a, b in zip(cuts[::2], cuts[1::2], strict=True))
        else:  # phrases with random punctuation and whitespace injected
            text = list(rng.choice(pieces))
            for _ in range(rng.randint(1, 10)):
                text.insert(rng.randrange(len(text) + 1), rng.choice("，。；,.;:\n\t 、[]【】()（）!?"))
            yield "".join(text)


@pytest.mark.parametrize("seed", range(3))
def test_fuzz_never_crashes(seed):
    for text in _fuzz_texts(seed, 400):
        for lang in ("zh", "en", "auto"):
            labels = extract_uptake(text, lang)
            assert tuple(labels) == ORGANS
            assert all(states <= set(STATES) for states in labels.values())


def test_memoisation_never_changes_results(official_texts):
    """Sentence and clause memos are keyed on everything a result depends on: any order gives the same labels."""
    from pet2rep.text import ce

    texts = [c["text"] for c in _cases()] + [official_texts["answer"], official_texts["template"]]
    texts += list(_fuzz_texts(7, 100))
    ce.clear_cache()
    cold = [extract_uptake(t, "zh") for t in texts]
    warm_reversed = [extract_uptake(t, "zh") for t in reversed(texts)][::-1]
    assert cold == warm_reversed
    for text, expected in zip(texts, cold, strict=True):
        ce.clear_cache()
        assert extract_uptake(text, "zh") == expected
    # carry-over into a memoised sentence uses the subject of *this* report
    assert _labels("肝脏见结节。FDG摄取增高。") == {"liver": ["increased"]}
    assert _labels("脾脏见结节。FDG摄取增高。") == {"spleen": ["increased"]}
    assert _labels("颈部淋巴结肿大。部分淋巴结FDG摄取增高。") == {"cervical_lymph_node": ["increased"]}
    assert _labels("腹膜后淋巴结肿大。部分淋巴结FDG摄取增高。") == {"abdominal_lymph_node": ["increased"]}
    assert _labels("甲状腺未见异常。部分淋巴结FDG摄取增高。") == {}
