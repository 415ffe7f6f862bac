"""The ``petrg3d`` scoring protocol: the NLG metrics of PETRG-3D's ``evaluation/CN_nlg_evaluation.py``.

PETRG-3D (Jiao et al., arXiv:2511.20145; code: github.com/Jorwnpay/PETRG-3D, Apache-2.0) scores its AutoPET-RG-Lym
reports with that script in jieba mode. Its definitions, reproduced here:

- tokens: ``jieba.lcut(text)`` minus whitespace-only tokens; punctuation and letter case kept
  (:func:`pet2rep.text.tokenize.tokenize_jieba`), for every language;
- BLEU-1..4 of each pair: Google NMT ``compute_bleu([[reference]], [prediction], max_order=n, smooth=True)``
  (tensorflow/nmt ``bleu.py``, vendored by evaluate's ``bleu`` and by PETRG-3D): every order's precision is
  ``(matches + 1) / (possible + 1)`` — an order longer than the prediction counts as precision 1 — equal weights
  ``1/n``, brevity penalty ``exp(1 - reference_length / prediction_length)`` when the prediction is not longer;
  averaged over pairs;
- corpus BLEU-1..4: the same ``compute_bleu`` on all pairs at once (matches, possible matches and lengths summed);
- METEOR: nltk ``meteor_score([reference], prediction)`` with default parameters (lower-casing, Porter stems,
  alpha 0.9, beta 3, gamma 0.5) and no WordNet synonyms (:func:`pet2rep.text.nlg.meteor_score`);
- ROUGE-1, ROUGE-2, ROUGE-L: ``rouge_score`` F-measures with that tokenizer (no stemming), averaged over pairs;
- CIDEr: pycocoevalcap's ``Cider`` over the whole corpus (:mod:`pet2rep.text.cider`), the mean of the pairs'.

Every number is reported as PETRG-3D's table does: x100 (BLEU-4 32.47, CIDEr 0.20). A pair whose prediction
(or reference) has no token scores 0 everywhere; the script gets 0 too (it catches BLEU's ZeroDivisionError).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from pet2rep.text.cider import cider_from_ngrams
from pet2rep.text.ngrams import count_ngrams, count_pair_ngrams
from pet2rep.text.nlg import meteor_score, rouge_l_score
from pet2rep.text.tokenize import tokenize_jieba

SCALE = 100.0
BLEU_MAX_N = 4
#: Metric families accepted by ``score(..., protocol="petrg3d", metrics=...)``; "nlg" is all of them.
METRIC_FAMILIES = ("bleu", "meteor", "rouge", "cider", "nlg")
FAMILY_KEYS = {
    "bleu": ("bleu_1", "bleu_2", "bleu_3", "bleu_4"),
    "meteor": ("meteor",),
    "rouge": ("rouge_1", "rouge_2", "rouge_l"),
    "cider": ("cider",),
}
CORPUS_KEYS = ("corpus_bleu_1", "corpus_bleu_2", "corpus_bleu_3", "corpus_bleu_4")
#: Result keys in the order of PETRG-3D's results CSV (per-pair means, then corpus BLEU).
KEYS = (*(k for keys in FAMILY_KEYS.values() for k in keys), *CORPUS_KEYS)


def nmt_bleu(
    matches: Sequence[int],
    possible: Sequence[int],
    prediction_length: int,
    reference_length: int,
    max_order: int = BLEU_MAX_N,
) -> float:
    """Google NMT ``compute_bleu(..., smooth=True)`` from its counts (smoothed precisions of orders 1..max_order).

    Args:
        matches: clipped n-gram matches of orders 1..``max_order`` (summed over the pairs for corpus BLEU).
        possible: n-grams of the prediction(s) of orders 1..``max_order`` (``max(len - n + 1, 0)`` each).
        prediction_length: tokens of the prediction(s).
        reference_length: tokens of the reference(s).
        max_order: the BLEU order n.

    Returns:
        BLEU-``max_order`` in [0, 1]; 0.0 when either length is 0 (where ``compute_bleu`` divides by zero).
    """
    if not prediction_length or not reference_length:
        return 0.0
    precisions = [(matches[i] + 1.0) / (possible[i] + 1.0) for i in range(max_order)]
    geo_mean = math.exp(sum((1.0 / max_order) * math.log(p) for p in precisions))
    ratio = float(prediction_length) / reference_length
    bp = 1.0 if ratio > 1.0 else math.exp(1 - 1.0 / ratio)
    return geo_mean * bp


def sentence_bleu(prediction: Sequence[str], reference: Sequence[str], max_order: int = BLEU_MAX_N) -> float:
    """BLEU-``max_order`` of one token pair: ``compute_bleu([[reference]], [prediction], max_order, smooth=True)``."""
    matches, possible = _bleu_counts(count_ngrams(prediction, max_order), count_ngrams(reference, max_order))
    return nmt_bleu(matches, possible, len(prediction), len(reference), max_order)


def corpus_bleu(
    predictions: Sequence[Sequence[str]], references: Sequence[Sequence[str]], max_order: int = BLEU_MAX_N
) -> float:
    """Corpus BLEU-``max_order``: ``compute_bleu([[r] for r in references], predictions, max_order, smooth=True)``."""
    matches = [0] * max_order
    possible = [0] * max_order
    for p, r in zip(predictions, references, strict=True):
        m, q = _bleu_counts(count_ngrams(p, max_order), count_ngrams(r, max_order))
        matches = [a + b for a, b in zip(matches, m, strict=True)]
        possible = [a + b for a, b in zip(possible, q, strict=True)]
    return nmt_bleu(matches, possible, sum(map(len, predictions)), sum(map(len, references)), max_order)


def rouge_n_score(prediction: Sequence[str], reference: Sequence[str], n: int) -> float:
    """ROUGE-N F-measure as ``rouge_score`` computes it (0.0 when nothing matches)."""
    pc = count_ngrams(prediction, n)[n - 1]
    rc = count_ngrams(reference, n)[n - 1]
    return _rouge_n(sum(min(pc[g], rc[g]) for g in pc.keys() & rc.keys()), len(prediction), len(reference), n)


def _rouge_n(overlap: int, pred_len: int, ref_len: int, n: int) -> float:
    precision = overlap / max(pred_len - n + 1, 1)
    recall = overlap / max(ref_len - n + 1, 1)
    if precision + recall > 0:
        return 2 * precision * recall / (precision + recall)
    return 0.0


def _bleu_counts(pred: list, ref: list) -> tuple[list[int], list[int]]:
    """Clipped matches and possible matches per order from :func:`count_ngrams` results."""
    matches = []
    possible = []
    for pc, rc in zip(pred, ref, strict=False):
        matches.append(sum([min(pc[g], rc[g]) for g in pc.keys() & rc.keys()]))
        possible.append(sum(pc.values()))
    return matches, possible


def score_tokens(
    predictions: Sequence[Sequence[str]],
    references: Sequence[Sequence[str]],
    families: Sequence[str] = ("bleu", "meteor", "rouge", "cider"),
) -> tuple[dict[str, float], list[dict[str, float]]]:
    """Every ``petrg3d`` metric of tokenized pairs, x100.

    Args:
        predictions: the predictions' tokens (:func:`pet2rep.text.tokenize.tokenize_jieba`).
        references: the references' tokens, same order.
        families: from :data:`METRIC_FAMILIES` without "nlg".

    Returns:
        ``(aggregate, per_sample)``: the aggregate holds the per-pair means of :data:`FAMILY_KEYS` of the chosen
        families with their population std (``<key>_std``), and ``corpus_bleu_1..4`` with "bleu"; per_sample holds
        each pair's values. All x100.
    """
    import numpy as np

    want = set(families)
    num_pairs = len(predictions)
    pred_len = np.fromiter(map(len, predictions), dtype=np.int64, count=num_pairs)
    ref_len = np.fromiter(map(len, references), dtype=np.int64, count=num_pairs)
    columns: dict[str, list[float]] = {}
    if want & {"bleu", "rouge", "cider"}:
        ngrams = count_pair_ngrams(predictions, references, BLEU_MAX_N)
        matches = [order.clipped_matches(num_pairs).tolist() for order in ngrams.orders]
        possible = [np.maximum(pred_len - n + 1, 0).tolist() for n in range(1, BLEU_MAX_N + 1)]
        lengths = list(zip(pred_len.tolist(), ref_len.tolist(), strict=True))
    if "bleu" in want:
        for n in range(1, BLEU_MAX_N + 1):
            columns[f"bleu_{n}"] = [
                nmt_bleu([m[i] for m in matches[:n]], [p[i] for p in possible[:n]], lp, lr, n)
                for i, (lp, lr) in enumerate(lengths)
            ]
    if "meteor" in want:
        columns["meteor"] = [meteor_score(p, r) for p, r in zip(predictions, references, strict=True)]
    if "rouge" in want:
        columns["rouge_1"] = [_rouge_n(m, lp, lr, 1) for m, (lp, lr) in zip(matches[0], lengths, strict=True)]
        columns["rouge_2"] = [_rouge_n(m, lp, lr, 2) for m, (lp, lr) in zip(matches[1], lengths, strict=True)]
        columns["rouge_l"] = [rouge_l_score(p, r) for p, r in zip(predictions, references, strict=True)]
    if "cider" in want:
        columns["cider"] = cider_from_ngrams(ngrams).tolist()
    per_sample = [dict(zip(columns, values, strict=True)) for values in zip(*columns.values(), strict=True)]

    aggregate: dict[str, float] = {}
    for family, keys in FAMILY_KEYS.items():
        if family not in want:
            continue
        for key in keys:
            values = np.asarray(columns[key], dtype=np.float64)
            aggregate[key] = float(np.mean(values)) * SCALE
            aggregate[f"{key}_std"] = float(np.std(values)) * SCALE
    if "bleu" in want:
        total_pred, total_ref = int(pred_len.sum()), int(ref_len.sum())
        for n in range(1, BLEU_MAX_N + 1):
            bleu = nmt_bleu([sum(m) for m in matches[:n]], [sum(p) for p in possible[:n]], total_pred, total_ref, n)
            aggregate[f"corpus_bleu_{n}"] = bleu * SCALE
    per_sample = [{k: v * SCALE for k, v in s.items()} for s in per_sample]
    return aggregate, per_sample


def score_reports(
    predictions: Sequence[str],
    references: Sequence[str],
    families: Sequence[str] = ("bleu", "meteor", "rouge", "cider"),
) -> tuple[dict[str, float], list[dict[str, float]]]:
    """:func:`score_tokens` on report texts, tokenized with :func:`~pet2rep.text.tokenize.tokenize_jieba`."""
    tokens: dict[str, list[str]] = {}
    for text in (*predictions, *references):
        if text not in tokens:
            tokens[text] = tokenize_jieba(text)
    return score_tokens([tokens[t] for t in predictions], [tokens[t] for t in references], families)
