"""Tokenizer: jieba for Chinese (block-memoised, equal to jieba.lcut), [a-z0-9]+ runs for English."""

from __future__ import annotations

import random
import unicodedata

import jieba
import pytest

from pet2rep.errors import InputError
from pet2rep.text import detect_lang, tokenize
from pet2rep.text.tokenize import clear_cache


def _reference_zh(text: str) -> list[str]:
    """The normative definition, spelled out: jieba.lcut, then drop whitespace/punctuation/symbol-only tokens."""
    return [t for t in jieba.lcut(text) if not all(c.isspace() or unicodedata.category(c)[0] in "ZPS" for c in t)]


def test_zh_equals_jieba_on_the_official_reports(official_texts):
    for name in ("answer", "template", "template_raw"):
        clear_cache()
        cold = tokenize(official_texts[name], "zh")
        warm = tokenize(official_texts[name], "zh")
        assert cold == warm == _reference_zh(official_texts[name]), name
    assert "FDG" in tokenize(official_texts["answer"], "zh")
    assert "，" not in tokenize(official_texts["answer"], "zh")


@pytest.mark.parametrize("seed", range(4))
def test_zh_equals_jieba_on_random_text(seed):
    rng = random.Random(seed)
    alphabet = list(
        "肝脏肺胃肠摄取增高减低未见异常双侧淋巴结FDG SUVmax 5.6，。、；：（）() \n\t-+#&._%αé😀\u200b\ufeff"
    )
    for _ in range(50):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 80)))
        assert tokenize(text, "zh") == _reference_zh(text), repr(text)


def test_en_tokens_are_lower_case_alnum_runs():
    assert tokenize("Increased FDG-avid uptake (SUVmax 5.6) in the LEFT lung.", "en") == [
        "increased",
        "fdg",
        "avid",
        "uptake",
        "suvmax",
        "5",
        "6",
        "in",
        "the",
        "left",
        "lung",
    ]
    assert tokenize("", "en") == []
    assert tokenize("，。！", "zh") == []


def test_detect_lang():
    assert detect_lang("肝脏FDG摄取增高") == "zh"
    assert detect_lang("Increased FDG uptake in the liver") == "en"
    # over 10% of the letters: 1 ideograph among 9 letters is zh, among 10 letters is en
    assert detect_lang("abcdefgh肝") == "zh"
    assert detect_lang("abcdefghi肝") == "en"
    assert detect_lang("") == "en"
    assert detect_lang("12345 ,.") == "en"
    assert tokenize("肝脏FDG摄取增高") == tokenize("肝脏FDG摄取增高", "zh")
    assert tokenize("The Liver") == ["the", "liver"]


@pytest.mark.parametrize("bad", [None, 3, b"bytes", ["a"]])
def test_non_string_text_is_rejected(bad):
    with pytest.raises(InputError, match="str"):
        tokenize(bad)
    with pytest.raises(InputError, match="str"):
        detect_lang(bad)


@pytest.mark.parametrize("lang", ["fr", "ZH", "", None])
def test_unknown_lang_is_rejected(lang):
    with pytest.raises(InputError, match="lang must be one of 'zh', 'en', 'auto'"):
        tokenize("肝", lang)


@pytest.mark.parametrize("seed", range(3))
def test_detect_lang_equals_its_definition(seed):
    """zh iff CJK ideographs are over 10% of the letters (str.isalpha() characters and CJK code points)."""

    def is_cjk(ch):
        cp = ord(ch)
        return 0x3400 <= cp <= 0x4DBF or 0x4E00 <= cp <= 0x9FFF or 0xF900 <= cp <= 0xFAFF or 0x20000 <= cp <= 0x3134F

    rng = random.Random(seed)
    unassigned = "\ufa6e\U0002a6e0\U0002fa20"  # inside the CJK blocks, not letters to str.isalpha()
    pool = "肝脏摄取𠀀豈abcXYZ é1234 ，。½Ⅱ_-" + unassigned + "".join(chr(rng.randrange(0x110000)) for _ in range(30))
    for _ in range(300):
        text = "".join(rng.choice(pool) for _ in range(rng.randint(0, 40)))
        letters = sum(ch.isalpha() or is_cjk(ch) for ch in text)
        cjk = sum(is_cjk(ch) for ch in text)
        expected = "zh" if letters and cjk > 0.1 * letters else "en"
        assert detect_lang(text) == expected, repr(text)


def test_loading_jieba_prints_nothing():
    """jieba announces its dictionary on stderr at debug level; pet2rep's commands keep that out of their output."""
    import subprocess
    import sys

    code = "from pet2rep.text import tokenize; print(tokenize('肝脏FDG摄取增高', 'zh'))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.strip() == "['肝脏', 'FDG', '摄取', '增高']"
    assert done.stderr == ""
