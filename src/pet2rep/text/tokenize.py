"""The single tokenizer entry point of pet2rep: jieba for Chinese, ``[a-z0-9]+`` runs for English.

Definitions (issue 3, normative):

- ``lang="zh"``: ``jieba.lcut(text)`` with jieba's default dictionary (HMM on, jieba's default);
- ``lang="en"``: the lower-cased text's ``[a-z0-9]+`` runs;
- ``lang="auto"``: ``"zh"`` when CJK ideographs make up over 10% of the letters (characters for which
  ``str.isalpha()`` is true; every code point of the CJK ideograph blocks counts as a letter), else ``"en"``;
- tokens made only of whitespace, punctuation or symbols (Unicode categories Z*, P*, S*) are dropped.

:func:`tokenize_jieba` is the other tokenization a scoring protocol uses (``petrg3d``, PETRG-3D's scorer):
``jieba.lcut(text)`` whatever the language, only whitespace-only tokens dropped (punctuation kept, case kept).

jieba cuts the text into blocks with its own regex (``jieba.re_han_default``) and segments each block
independently, so the tokens of a text are the concatenation of the tokens of its blocks. Templated reports
repeat most blocks (``FDG摄取未见异常``), so blocks are segmented once and memoised: the result is
identical to ``jieba.lcut(text)`` on the whole text, only faster.
"""

from __future__ import annotations

import re
import unicodedata

from pet2rep.errors import InputError
from pet2rep.vocab import check_lang

# CJK Unified Ideographs, Extension A, Compatibility Ideographs, and the supplementary planes' extensions.
_CJK_RE = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
_EN_TOKEN_RE = re.compile("[a-z0-9]+")
_CACHE_MAX_BLOCKS = 200_000

_block_cache: dict[str, tuple[str, ...]] = {}
_raw_block_cache: dict[str, tuple[str, ...]] = {}
_jieba = None


def detect_lang(text: str) -> str:
    """Guess the report language: ``"zh"`` when CJK ideographs are over 10% of the letters, else ``"en"``.

    Args:
        text: any string (a text without letters is ``"en"``).

    Returns:
        ``"zh"`` or ``"en"``.
    """
    _check_text(text)
    rest = _CJK_RE.sub("", text)
    cjk = len(text) - len(rest)  # CJK ideographs are letters: only the rest needs isalpha()
    letters = cjk + sum(map(str.isalpha, rest))
    if not letters:
        return "en"
    return "zh" if cjk > 0.1 * letters else "en"


def tokenize(text: str, lang: str = "auto") -> list[str]:
    """Split a report into tokens, the unit of every NLG metric.

    Args:
        text: the report.
        lang: ``"zh"``, ``"en"`` or ``"auto"`` (see :func:`detect_lang`).

    Returns:
        The tokens, punctuation/whitespace/symbol-only tokens dropped.

    Raises:
        InputError: ``text`` is not a string or ``lang`` is not one of the above.
    """
    _check_text(text)
    lang = check_lang(lang)
    if lang == "auto":
        lang = detect_lang(text)
    if lang == "en":
        return _EN_TOKEN_RE.findall(text.lower())
    return _tokenize_zh(text)


def _check_text(text: object) -> None:
    if not isinstance(text, str):
        raise InputError(f"text must be a str; got {type(text).__name__}")


def _load_jieba():
    global _jieba
    if _jieba is None:
        import logging

        import jieba

        # jieba logs its dictionary loading at debug level straight to stderr; keep warnings and errors only.
        level = jieba.default_logger.level
        jieba.default_logger.setLevel(max(level, logging.INFO))
        try:
            jieba.initialize()
        finally:
            jieba.default_logger.setLevel(level)
        _jieba = jieba
    return _jieba


def _tokenize_zh(text: str) -> list[str]:
    return _cut_blocks(text, _block_cache, keep=lambda t: not _is_junk(t))


def _cut_blocks(text: str, cache: dict[str, tuple[str, ...]], keep) -> list[str]:
    """jieba's tokens of ``text`` that ``keep`` accepts, memoised per Han / non-Han block (jieba.lcut's split)."""
    jieba = _load_jieba()
    out: list[str] = []
    for block in jieba.re_han_default.split(text):
        if not block:
            continue
        tokens = cache.get(block)
        if tokens is None:
            tokens = tuple(t for t in jieba.dt.cut(block) if keep(t))
            if len(cache) >= _CACHE_MAX_BLOCKS:
                cache.clear()
            cache[block] = tokens
        out.extend(tokens)
    return out


def tokenize_jieba(text: str) -> list[str]:
    """``jieba.lcut(text)`` without whitespace-only tokens: punctuation, symbols and letter case kept.

    The tokens of PETRG-3D's scorer (``[tok for tok in jieba.lcut(text) if tok and tok.strip()]``), for every
    language. jieba yields whitespace as tokens of their own, so no token kept here holds whitespace.

    Args:
        text: the report.

    Returns:
        The tokens.

    Raises:
        InputError: ``text`` is not a string.
    """
    _check_text(text)
    return _cut_blocks(text, _raw_block_cache, keep=str.strip)


def _is_junk(token: str) -> bool:
    """True for a token made only of whitespace, punctuation or symbols (categories Z*, P*, S*)."""
    return all(ch.isspace() or unicodedata.category(ch)[0] in "ZPS" for ch in token)


def clear_cache() -> None:
    """Forget memoised jieba blocks (e.g. after changing jieba's dictionary, which pet2rep never does)."""
    _block_cache.clear()
    _raw_block_cache.clear()
