"""The n-grams of many (prediction, reference) pairs at once: counts per pair and order, vectorized with numpy.

BLEU, ROUGE-N and CIDEr all start from the same numbers: for each pair and each order n, which n-grams the
prediction and the reference hold and how often. Counting them with one ``Counter`` of tuples per text costs about
a microsecond per n-gram; here every text's tokens become integers once, and the n-grams of all texts of an order
are numbered together (an n-gram's id is that of its first n-1 tokens times the vocabulary size plus its last
token, renumbered densely with ``np.unique``), so counting, clipping and document frequencies are a few sorts and
``bincount`` calls over the whole corpus.
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # numpy is imported where it is used, so importing pet2rep.text stays light
    import numpy as np


def count_ngrams(tokens: Sequence[str], max_n: int = 4) -> list[Counter]:
    """The n-grams of one token list, one ``Counter`` of tuples per order 1..``max_n`` (the plain definition)."""
    tokens = list(tokens)
    return [Counter(zip(*(tokens[i:] for i in range(n)), strict=False)) for n in range(1, max_n + 1)]


@dataclass(frozen=True)
class OrderCounts:
    """The n-grams of one order, as (pair, n-gram id, count) rows of each side, sorted by pair then id.

    Attributes:
        num_grams: distinct n-grams of this order in the corpus (ids are ``0..num_grams-1``).
        pred_pair, pred_gram, pred_count: the predictions' rows.
        ref_pair, ref_gram, ref_count: the references' rows.
        common_pred, common_ref: indices of the rows of an n-gram both sides of a pair hold (same length, aligned).
    """

    num_grams: int
    pred_pair: np.ndarray
    pred_gram: np.ndarray
    pred_count: np.ndarray
    ref_pair: np.ndarray
    ref_gram: np.ndarray
    ref_count: np.ndarray
    common_pred: np.ndarray
    common_ref: np.ndarray

    def clipped_matches(self, num_pairs: int) -> np.ndarray:
        """Per pair: the sum over shared n-grams of min(count in prediction, count in reference) (int64)."""
        import numpy as np

        clipped = np.minimum(self.pred_count[self.common_pred], self.ref_count[self.common_ref])
        return np.bincount(self.pred_pair[self.common_pred], weights=clipped, minlength=num_pairs).astype(np.int64)


@dataclass(frozen=True)
class PairNgrams:
    """The n-grams of orders 1..max_n of tokenized pairs; build it with :func:`count_pair_ngrams`."""

    num_pairs: int
    pred_lengths: np.ndarray
    ref_lengths: np.ndarray
    orders: tuple[OrderCounts, ...]  # orders[n - 1] is order n


def count_pair_ngrams(
    predictions: Sequence[Sequence[str]], references: Sequence[Sequence[str]], max_n: int = 4
) -> PairNgrams:
    """Count the n-grams of orders 1..``max_n`` of every prediction and reference.

    Args:
        predictions: tokens of each prediction.
        references: tokens of each reference, same order and length.
        max_n: the highest order.

    Returns:
        The counts (see :class:`OrderCounts`).
    """
    import numpy as np

    num_pairs = len(predictions)
    if len(references) != num_pairs:
        raise ValueError(f"{num_pairs} predictions but {len(references)} references")
    texts = [*predictions, *references]
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    vocab: defaultdict[str, int] = defaultdict(itertools.count().__next__)  # a new token gets the next id
    flat = np.fromiter(map(vocab.__getitem__, itertools.chain.from_iterable(texts)), dtype=np.int64)
    size = max(len(vocab), 1)
    doc_of = np.repeat(np.arange(len(texts), dtype=np.int64), lengths)
    end_of = np.repeat(np.cumsum(lengths), lengths)  # exclusive end of each position's text
    positions = np.arange(flat.size, dtype=np.int64)
    gram = flat  # ids of the n-grams starting at each position (order 1: the token ids, already dense)
    orders = []
    for n in range(1, max_n + 1):
        valid = np.flatnonzero(positions + (n - 1) < end_of)
        if n == 1:
            ids = flat[valid]
            num_grams = size
        else:
            ids, num_grams = _dense(gram[valid] * size + flat[valid + (n - 1)])
            gram = np.empty_like(flat)
            gram[valid] = ids
        orders.append(_order_counts(doc_of[valid], ids, num_grams, num_pairs))
    return PairNgrams(num_pairs, lengths[:num_pairs], lengths[num_pairs:], tuple(orders))


def _dense(keys: np.ndarray) -> tuple[np.ndarray, int]:
    import numpy as np

    unique, inverse = np.unique(keys, return_inverse=True)
    return inverse.reshape(-1).astype(np.int64, copy=False), int(unique.size)


def _order_counts(docs: np.ndarray, grams: np.ndarray, num_grams: int, num_pairs: int) -> OrderCounts:
    import numpy as np

    keys, counts = np.unique(docs * num_grams + grams, return_counts=True)
    doc = keys // num_grams
    gram = keys % num_grams
    is_pred = doc < num_pairs
    pred_pair, pred_gram, pred_count = doc[is_pred], gram[is_pred], counts[is_pred]
    ref_pair, ref_gram, ref_count = doc[~is_pred] - num_pairs, gram[~is_pred], counts[~is_pred]
    _, common_pred, common_ref = np.intersect1d(
        pred_pair * num_grams + pred_gram, ref_pair * num_grams + ref_gram, assume_unique=True, return_indices=True
    )
    return OrderCounts(
        num_grams, pred_pair, pred_gram, pred_count, ref_pair, ref_gram, ref_count, common_pred, common_ref
    )
