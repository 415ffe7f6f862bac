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
recounts the reference n-grams for every n and goes through ``Fraction``. Here the METEOR alignment is a
dictionary grouping that yields the very same pairs, the LCS uses a bit-parallel recurrence over Python
integers, and BLEU counts each side's n-grams once.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
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
    reference word that equals it. For one word that pairs the k-th last prediction occurrence with the k-th
    last reference occurrence, which is what the grouping below does directly. (With WordNet disabled the
    synonym stage can only pair equal stems, and the stem stage has already paired all of those.)

    Args:
        prediction: the hypothesis tokens.
        reference: the reference tokens.
        alpha, beta, gamma: METEOR's parameters (nltk's defaults).

    Returns:
        The score; 0.0 when nothing matches or either side is empty.
    """
    hyp = [w.lower() for w in prediction]
    ref = [w.lower() for w in reference]
    hyp_len = len(hyp)
    ref_len = len(ref)
    if not hyp_len or not ref_len:
        return 0.0
    pairs: list[tuple[int, int]] = []
    left_hyp, left_ref = _align_stage(hyp, ref, range(hyp_len), range(ref_len), pairs)
    if left_hyp and left_ref:
        stem = _stem
        _align_stage([stem(hyp[i]) for i in left_hyp], [stem(ref[j]) for j in left_ref], left_hyp, left_ref, pairs)
    matches = len(pairs)
    if not matches:
        return 0.0
    pairs.sort()
    chunks = 1
    prev_h, prev_r = pairs[0]
    for h, r in pairs[1:]:
        if h != prev_h + 1 or r != prev_r + 1:
            chunks += 1
        prev_h, prev_r = h, r
    precision = float(matches) / hyp_len
    recall = float(matches) / ref_len
    fmean = (precision * recall) / (alpha * precision + (1 - alpha) * recall)
    frag_frac = float(chunks) / matches
    penalty = gamma * frag_frac**beta
    return (1 - penalty) * fmean


def _align_stage(hyp_keys, ref_keys, hyp_pos, ref_pos, pairs):
    """Pair equal keys, k-th last with k-th last; append (hyp position, ref position); return the unpaired."""
    ref_index: dict[str, list[int]] = defaultdict(list)
    for key, pos in zip(ref_keys, ref_pos, strict=False):
        ref_index[key].append(pos)
    hyp_index: dict[str, list[int]] = defaultdict(list)
    for key, pos in zip(hyp_keys, hyp_pos, strict=False):
        hyp_index[key].append(pos)
    paired_hyp = set()
    paired_ref = set()
    for key, h_list in hyp_index.items():
        r_list = ref_index.get(key)
        if not r_list:
            continue
        k = min(len(h_list), len(r_list))
        h_top = h_list[-k:]
        r_top = r_list[-k:]
        pairs.extend(zip(h_top, r_top, strict=False))
        paired_hyp.update(h_top)
        paired_ref.update(r_top)
    left_hyp = [p for p in hyp_pos if p not in paired_hyp]
    left_ref = [p for p in ref_pos if p not in paired_ref]
    return left_hyp, left_ref


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
