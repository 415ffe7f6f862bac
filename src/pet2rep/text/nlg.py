"""Sentence-level BLEU-n, METEOR and ROUGE-L on token lists, equal to the reference implementations.

Each function reproduces one reference implementation number for number (|difference| <= 1e-9; in practice
bit for bit, because the same floating-point operations are done in the same order):

- :func:`bleu_scores`: nltk ``sentence_bleu([reference], prediction, weights=(1/n,)*n,
  smoothing_function=SmoothingFunction().method1)`` for n = 1..4;
- :func:`meteor_score`: nltk 3.9 ``single_meteor_score(reference, prediction)`` with default parameters
  (lower-casing, Porter stemming, alpha 0.9, beta 3, gamma 0.5) and the WordNet synonym stage disabled;
- :func:`rouge_l_score`: the LCS F-measure of ``rouge_score`` (P = LCS/len(prediction), R = LCS/len(reference)).

They are fast because they avoid what makes the reference code slow: nltk's METEOR aligns words with nested
list scans and pops (quadratic), ``rouge_score`` fills a full LCS table in Python (quadratic), nltk's BLEU
recounts the reference n-grams for every n and goes through ``Fraction``. Here the METEOR alignment walks the
prediction once against per-word stacks of reference positions (the very same pairs), the LCS uses a
bit-parallel recurrence over Python integers, and BLEU counts each side's n-grams once.
"""

from __future__ import annotations

import math
import operator
from collections import Counter
from collections.abc import Sequence

BLEU_MAX_N = 4
_BLEU_EPSILON = 0.1  # nltk SmoothingFunction().method1 default

_stem_cache: dict[str, str] = {}
_stemmer = None


def bleu_scores(prediction: Sequence[str], reference: Sequence[str], max_n: int = BLEU_MAX_N) -> list[float]:
    """BLEU-1..BLEU-``max_n`` of one prediction against one reference (nltk, smoothing method1).

    Args:
        prediction: the hypothesis tokens.
        reference: the reference tokens.
        max_n: the highest n-gram order.

    Returns:
        ``[bleu_1, ..., bleu_max_n]``; all 0.0 when no unigram matches (nltk's rule), e.g. an empty prediction.
    """
    hyp_len = len(prediction)
    ref_len = len(reference)
    numerators = []
    denominators = []
    for n in range(1, max_n + 1):
        if hyp_len < n:
            numerators.append(0)
            denominators.append(1)
            continue
        if n == 1:
            hyp_counts = Counter(prediction)
            ref_counts = Counter(reference)
        else:
            hyp_counts = Counter(zip(*(prediction[i:] for i in range(n)), strict=False))
            ref_counts = Counter(zip(*(reference[i:] for i in range(n)), strict=False)) if ref_len >= n else Counter()
        # Clipped counts: min(count in prediction, count in reference) summed over the shared n-grams.
        numerators.append(sum([min(hyp_counts[g], ref_counts[g]) for g in hyp_counts.keys() & ref_counts.keys()]))
        denominators.append(hyp_len - n + 1)
    if numerators[0] == 0:
        return [0.0] * max_n
    bp = 1.0 if hyp_len > ref_len else math.exp(1 - ref_len / hyp_len)
    log_p = [
        math.log(num / den) if num else math.log((num + _BLEU_EPSILON) / den)
        for num, den in zip(numerators, denominators, strict=False)
    ]
    scores = []
    for n in range(1, max_n + 1):
        w = 1 / n
        scores.append(bp * math.exp(math.fsum(w * lp for lp in log_p[:n])))
    return scores


def meteor_score(
    prediction: Sequence[str],
    reference: Sequence[str],
    alpha: float = 0.9,
    beta: float = 3.0,
    gamma: float = 0.5,
) -> float:
    """METEOR of one prediction against one reference: nltk ``single_meteor_score`` without WordNet.

    nltk aligns exact (lower-cased) matches first, then Porter-stem matches among the words left; within each
    stage it walks the prediction from its last word backwards and pairs each word with the last unpaired
    reference word that equals it. The same walk is done here with a per-word stack of reference positions
    (linear instead of nltk's quadratic scans). With WordNet disabled the synonym stage can only pair equal
    stems, and the stem stage has already paired all of those, so it adds nothing.

    Args:
        prediction: the hypothesis tokens.
        reference: the reference tokens.
        alpha, beta, gamma: METEOR's parameters (nltk's defaults).

    Returns:
        The score; 0.0 when nothing matches or either side is empty.
    """
    hyp = list(map(str.lower, prediction))
    ref = list(map(str.lower, reference))
    hyp_len = len(hyp)
    ref_len = len(ref)
    if not hyp_len or not ref_len:
        return 0.0
    # A match (i, j) is kept as the integer i * step + j: sorted by prediction position, and two matches are
    # adjacent in both sentences exactly when their keys differ by step + 1.
    step = ref_len + 2
    ref_stacks: dict[str, list[int]] = {}
    for j, word in enumerate(ref):
        stack = ref_stacks.get(word)
        if stack is None:
            ref_stacks[word] = [j]
        else:
            stack.append(j)
    keys: list[int] = []
    left_hyp: list[int] = []  # descending
    get = ref_stacks.get
    for i in range(hyp_len - 1, -1, -1):
        stack = get(hyp[i])
        if stack:
            keys.append(i * step + stack.pop())
        else:
            left_hyp.append(i)
    if left_hyp and len(keys) < ref_len:
        left_ref = sorted(j for stack in ref_stacks.values() for j in stack)
        stem = _stem
        stem_stacks: dict[str, list[int]] = {}
        for j in left_ref:
            key = stem(ref[j])
            stack = stem_stacks.get(key)
            if stack is None:
                stem_stacks[key] = [j]
            else:
                stack.append(j)
        get = stem_stacks.get
        for i in left_hyp:
            stack = get(stem(hyp[i]))
            if stack:
                keys.append(i * step + stack.pop())
    matches = len(keys)
    if not matches:
        return 0.0
    keys.sort()
    adjacent = list(map(operator.sub, keys[1:], keys)).count(step + 1)
    chunks = matches - adjacent
    precision = float(matches) / hyp_len
    recall = float(matches) / ref_len
    fmean = (precision * recall) / (alpha * precision + (1 - alpha) * recall)
    frag_frac = float(chunks) / matches
    penalty = gamma * frag_frac**beta
    return (1 - penalty) * fmean


def _stem(word: str) -> str:
    stemmed = _stem_cache.get(word)
    if stemmed is None:
        global _stemmer
        if _stemmer is None:
            from nltk.stem.porter import PorterStemmer

            _stemmer = PorterStemmer()
        stemmed = _stemmer.stem(word)
        if len(_stem_cache) >= 500_000:
            _stem_cache.clear()
        _stem_cache[word] = stemmed
    return stemmed


def lcs_length(a: Sequence[str], b: Sequence[str]) -> int:
    """Length of the longest common subsequence (bit-parallel: Allison-Dix / Hyyrö, one bit per item of b)."""
    if not a or not b:
        return 0
    masks: dict[str, int] = {}
    for j, tok in enumerate(b):
        masks[tok] = masks.get(tok, 0) | (1 << j)
    full = (1 << len(b)) - 1
    v = full
    get = masks.get
    for tok in a:
        m = get(tok)
        if m:
            u = v & m
            v = (v + u) | (v - u)
    return len(b) - (v & full).bit_count()


def rouge_l_score(prediction: Sequence[str], reference: Sequence[str]) -> float:
    """ROUGE-L F-measure as ``rouge_score`` computes it (0.0 when either side is empty)."""
    if not prediction or not reference:
        return 0.0
    lcs = lcs_length(prediction, reference)
    precision = lcs / len(prediction)
    recall = lcs / len(reference)
    if precision + recall > 0:
        return 2 * precision * recall / (precision + recall)
    return 0.0


NLG_KEYS = ("bleu_1", "bleu_2", "bleu_3", "bleu_4", "meteor", "rouge_l")


def pair_scores(prediction: Sequence[str], reference: Sequence[str]) -> dict[str, float]:
    """Every NLG metric of one token pair: ``{"bleu_1".."bleu_4", "meteor", "rouge_l"}``."""
    b = bleu_scores(prediction, reference)
    return {
        "bleu_1": b[0],
        "bleu_2": b[1],
        "bleu_3": b[2],
        "bleu_4": b[3],
        "meteor": meteor_score(prediction, reference),
        "rouge_l": rouge_l_score(prediction, reference),
    }
