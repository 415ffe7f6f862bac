"""Normalisation and segmentation of a report (``docs/ce.md`` §3, rules T1-T3).

T1: :data:`DIGIT_RE` masks every digit as ``0`` and :func:`raw_sentences` cuts the raw text into sentences (wrapped
lines joined); T2: :func:`normalize` normalises one sentence (NFKC, lower case, brackets, dashes, traditional
characters, spaces between ideographs); T3: :data:`CLAUSE_END_RE` ends a clause at ``,`` and ``:``.
"""

from __future__ import annotations

import re
import unicodedata

from pet2rep.text.tokenize import check_lang, detect_lang

# Template brackets go; dashes are one; the traditional forms of common report characters (and the variant 內) read as
# their simplified forms: 縱隔淋巴結攝取增高 is 纵隔淋巴结摄取增高.
_TRADITIONAL = "縱結攝濃臟腎頸膽腸異見無顯謝區側雙兩狀門後節減損變點頜鎖體靜脈為約較於彌輕內腦髖盤傷腫塊發現處線顱"
_SIMPLIFIED = "纵结摄浓脏肾颈胆肠异见无显谢区侧双两状门后节减损变点颌锁体静脉为约较于弥轻内脑髋盘伤肿块发现处线颅"
_DELETE = str.maketrans(
    {"[": None, "]": None, "【": None, "】": None, "‐": "-", "‑": "-", "–": "-", "—": "-"}
    | dict(zip(_TRADITIONAL, _SIMPLIFIED, strict=True))
)
_NEWLINES_RE = re.compile(r"[\r\n\u2028\u2029\x0b\x0c\x1c-\x1e\x85]+")
_SPACES_RE = re.compile(r"\s+")
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# Spaces between two ideographs carry nothing (肝脏 FDG 摄取 增 高); a line break after an ideograph or a comma and
# before an ideograph or a letter, or between two lower-case English words, is a wrapped line inside a sentence, not
# a sentence end (a line that ends with 。 or is followed by "2." still ends its sentence).
_CJK_SPACE_RE = re.compile(rf"(?<=[{_CJK}])[^\S\r\n]+(?=[{_CJK}])")
_WRAP_ZH_RE = re.compile(rf"(?<=[{_CJK}，、,：:（(])[^\S\r\n]*(?:\r\n|[\r\n])[^\S\r\n]*(?=[{_CJK}a-zA-Z])")
_WRAP_EN_RE = re.compile(r"(?<=[a-z,])[^\S\r\n]*(?:\r\n|[\r\n])[^\S\r\n]*(?=[a-z])")
# Sentence ends, on the raw text (full-width and small forms included); "." only before whitespace, the end or an
# ideograph, or after an ideograph (not in a number: digits are masked as 0 before splitting, "3.7" is "0.0").
_SENTENCE_END_RE = re.compile(
    rf"([。｡;；﹔!！﹗?？﹖\r\n\u2028\u2029\x0b\x0c\x1c-\x1e\x85]|[.．﹒](?=\s|$|[{_CJK}])|(?<=[{_CJK}])[.．﹒])"
)
CLAUSE_END_RE = re.compile(r",|:(?!\s?0)")  # after NFKC: ， ： ﹐ ... are , and : (not "SUVmax: 0")
# Every decimal digit (ASCII, full-width, ...) becomes "0"; the lexicon holds no digits.
DIGIT_RE = re.compile(r"\d")


def normalize(text: str) -> str:
    """T2: a sentence (or a lexicon term) as the rules read it."""
    text = unicodedata.normalize("NFKC", text).lower().translate(_DELETE)
    text = _NEWLINES_RE.sub("。", text)
    text = _CJK_SPACE_RE.sub("", text)
    return _SPACES_RE.sub(" ", text)


def resolve_lang(text: str, lang: str) -> str:
    """``"zh"`` or ``"en"``: ``lang`` checked, ``"auto"`` decided from the text."""
    lang = check_lang(lang)
    return detect_lang(text) if lang == "auto" else lang


def raw_sentences(text: str) -> list[str]:
    """T1: the sentences of a (digit-masked) report, each with its end mark, wrapped lines joined."""
    text = _WRAP_EN_RE.sub(" ", _WRAP_ZH_RE.sub("", text))
    parts = _SENTENCE_END_RE.split(text)  # [sentence, end, sentence, end, ..., tail]
    sentences = [a + b for a, b in zip(parts[:-1:2], parts[1::2], strict=True)]
    if parts[-1]:
        sentences.append(parts[-1])
    return sentences
