"""CIDEr as pycocoevalcap 1.2 computes it (``pycocoevalcap.cider.Cider``, i.e. CIDEr-D), one reference per prediction.

The definition, step by step as ``CiderScorer`` does it (Vedantam et al., CVPR 2015, with pycocoevalcap's changes):

- n-grams of orders 1..4 of each whitespace-split text (here: of the token lists);
- document frequency ``df(g)``: the number of references holding the n-gram ``g``, over the whole corpus (the
  predictions do not count); ``L = log(number of pairs)``;
- each text becomes one tf-idf vector per order: ``tf(g) * (L - log(max(1, df(g))))`` (an n-gram no reference
  holds weighs ``L``);
- per order, a clipped cosine: ``sum_g min(v_pred(g), v_ref(g)) * v_ref(g) / (|v_pred| |v_ref|)`` (the division is
  skipped when a norm is 0), times the Gaussian length penalty ``e ** (-(delta ** 2) / (2 * sigma ** 2))`` with
  ``delta`` the difference of the two texts' **bigram** counts (pycocoevalcap counts the length on order 2);
- a pair's CIDEr is 10 x the mean over the 4 orders; the corpus CIDEr is the mean over pairs.

So CIDEr depends on the whole corpus (through ``df`` and ``L``): a pair scores differently in another corpus, and a
corpus of one pair scores 0 (``L = 0``). With ``sigma = 6`` long reports whose lengths differ by tens of tokens are
penalised towards 0 — PETRG-3D's CIDEr of 0.002 (0.20 x100) comes from that penalty, not from a bug here.

Implemented here (about 60 lines) instead of depending on pycocoevalcap: its wheel is 104 MB (Java jars for
METEOR/SPICE/PTB tokenizer) and pulls pycocotools, for a definition this short. The numbers equal pycocoevalcap's
to floating-point rounding (tests/text: hand-computed cases; the 68-pair reproduction).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

CIDER_MAX_N = 4
CIDER_SIGMA = 6.0

NgramCounts = list[Counter]  # one Counter of n-gram tuples per order 1..n


def count_ngrams(tokens: Sequence[str], max_n: int = CIDER_MAX_N) -> NgramCounts:
    """The n-gram counts of a token list, one ``Counter`` of tuples per order 1..``max_n``."""
    tokens = list(tokens)
    return [Counter(zip(*(tokens[i:] for i in range(n)), strict=False)) for n in range(1, max_n + 1)]


def cider_scores(
    predictions: Sequence[Sequence[str]],
    references: Sequence[Sequence[str]],
    *,
    max_n: int = CIDER_MAX_N,
    sigma: float = CIDER_SIGMA,
) -> list[float]:
    """Per-pair CIDEr of tokenized predictions against one tokenized reference each (pycocoevalcap ``Cider``).

    Args:
        predictions: the hypotheses' tokens.
        references: one reference's tokens per hypothesis, same order.
        max_n: the highest n-gram order (pycocoevalcap: 4).
        sigma: the length penalty's standard deviation (pycocoevalcap: 6.0).

    Returns:
        CIDEr of every pair (the corpus CIDEr is their mean); 0.0 for an empty prediction.
    """
    if len(predictions) != len(references):
        raise ValueError(f"{len(predictions)} predictions but {len(references)} references")
    return cider_from_counts(
        [count_ngrams(p, max_n) for p in predictions], [count_ngrams(r, max_n) for r in references], sigma=sigma
    )


def cider_from_counts(
    pred_counts: Sequence[NgramCounts], ref_counts: Sequence[NgramCounts], *, sigma: float = CIDER_SIGMA
) -> list[float]:
    """:func:`cider_scores` on n-gram counts already made with :func:`count_ngrams` (shared with BLEU/ROUGE-N)."""
    if not ref_counts:
        return []
    df: Counter = Counter()
    for counts in ref_counts:
        for order in counts:
            df.update(order.keys())  # each n-gram once per reference
    ref_len = math.log(float(len(ref_counts)))
    idf = {g: ref_len - math.log(max(1.0, d)) for g, d in df.items()}
    penalty_scale = 2 * sigma**2
    scores = []
    for pred, ref in zip(pred_counts, ref_counts, strict=True):
        pred_vec, pred_norm = _tfidf(pred, idf, ref_len)
        ref_vec, ref_norm = _tfidf(ref, idf, ref_len)
        delta = float(_bigram_count(pred) - _bigram_count(ref))
        penalty = math.e ** (-(delta**2) / penalty_scale)
        total = 0.0
        for vp, vr, np_, nr in zip(pred_vec, ref_vec, pred_norm, ref_norm, strict=True):
            val = 0.0
            for g in vp.keys() & vr.keys():
                r = vr[g]
                val += min(vp[g], r) * r
            if np_ != 0 and nr != 0:
                val /= np_ * nr
            total += val * penalty
        scores.append(total / len(pred_vec) * 10.0)
    return scores


def _tfidf(counts: NgramCounts, idf: dict, ref_len: float) -> tuple[list[dict], list[float]]:
    vecs = []
    norms = []
    get = idf.get
    for order in counts:
        vec = {g: float(tf) * get(g, ref_len) for g, tf in order.items()}
        vecs.append(vec)
        norms.append(math.sqrt(math.fsum(v * v for v in vec.values())))
    return vecs, norms


def _bigram_count(counts: NgramCounts) -> int:
    return sum(counts[1].values()) if len(counts) > 1 else 0
