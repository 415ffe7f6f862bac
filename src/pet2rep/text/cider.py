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
penalised towards 0: PETRG-3D's tiny CIDEr (0.20 x100) comes from that penalty. On 68 of its released pairs
(median length difference 92 tokens) CIDEr x100 is 0.34; without the penalty it would be 14.33.

Implemented here instead of depending on pycocoevalcap: its wheel is 104 MB (Java jars for METEOR, SPICE and the
PTB tokenizer) and pulls pycocotools, for a definition this short; and its pure-Python loops over dicts were the
slowest part of the protocol (here the whole corpus is a few numpy calls, on the n-gram counts BLEU and ROUGE-N
share: :mod:`pet2rep.text.ngrams`). The numbers equal pycocoevalcap's to floating-point rounding (checked against
pycocoevalcap 1.2: ~1e-14 per pair on PETRG-3D's pairs; tests: hand-computed cases and the 68-pair reproduction).
"""

from __future__ import annotations

from collections.abc import Sequence

from pet2rep.text.ngrams import PairNgrams, count_pair_ngrams

CIDER_MAX_N = 4
CIDER_SIGMA = 6.0


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
    return cider_from_ngrams(count_pair_ngrams(predictions, references, max_n), sigma=sigma).tolist()


def cider_from_ngrams(ngrams: PairNgrams, *, sigma: float = CIDER_SIGMA):
    """:func:`cider_scores` from n-gram counts already made (shared with BLEU and ROUGE-N): a float64 array."""
    import numpy as np

    num_pairs = ngrams.num_pairs
    if not num_pairs:
        return np.zeros(0)
    ref_len = np.log(float(num_pairs))
    # pycocoevalcap's "length" is the bigram count: len - 1 (0 for texts shorter than 2 tokens)
    delta = (np.maximum(ngrams.pred_lengths - 1, 0) - np.maximum(ngrams.ref_lengths - 1, 0)).astype(np.float64)
    penalty = np.e ** (-(delta**2) / (2 * sigma**2))
    total = np.zeros(num_pairs)
    for order in ngrams.orders:
        df = np.bincount(order.ref_gram, minlength=order.num_grams)  # references holding each n-gram
        idf = ref_len - np.log(np.maximum(1.0, df))
        pred_vec = order.pred_count * idf[order.pred_gram]
        ref_vec = order.ref_count * idf[order.ref_gram]
        pred_norm = np.sqrt(_sum_by_pair(order.pred_pair, pred_vec**2, num_pairs))
        ref_norm = np.sqrt(_sum_by_pair(order.ref_pair, ref_vec**2, num_pairs))
        shared_ref = ref_vec[order.common_ref]
        clipped = np.minimum(pred_vec[order.common_pred], shared_ref) * shared_ref
        val = _sum_by_pair(order.pred_pair[order.common_pred], clipped, num_pairs)
        norms = pred_norm * ref_norm
        val = np.divide(val, norms, out=val, where=(pred_norm != 0) & (ref_norm != 0))
        total += val * penalty
    return total / len(ngrams.orders) * 10.0


def _sum_by_pair(pairs, weights, num_pairs: int):
    import numpy as np

    # bincount of an empty input is int64 whatever the weights: keep float64 for the in-place division
    return np.bincount(pairs, weights=weights, minlength=num_pairs).astype(np.float64, copy=False)
