"""The typed result of :func:`pet2rep.metrics.score`: a plain ``dict`` whose keys a type checker knows.

Every value is a plain Python number or string (JSON-ready); ``per_organ`` and ``per_sample`` are present only when
their metrics were computed (CE, NLG) and, for ``per_sample``, asked for.
"""

from __future__ import annotations

from typing import TypedDict


class OrganScore(TypedDict):
    """CE of one organ over its three states (``support``/``predicted``: labels per state)."""

    precision: float
    recall: float
    f1: float
    support: dict[str, int]
    predicted: dict[str, int]


class ScoreResult(TypedDict, total=False):
    """What :func:`pet2rep.metrics.score` returns; each metric also comes with ``<key>_std``."""

    bleu_1: float
    bleu_1_std: float
    bleu_2: float
    bleu_2_std: float
    bleu_3: float
    bleu_3_std: float
    bleu_4: float
    bleu_4_std: float
    meteor: float
    meteor_std: float
    rouge_l: float
    rouge_l_std: float
    ce_precision: float
    ce_precision_std: float
    ce_recall: float
    ce_recall_std: float
    ce_f1: float
    ce_f1_std: float
    ce_precision_increased: float
    ce_precision_increased_std: float
    ce_recall_increased: float
    ce_recall_increased_std: float
    ce_f1_increased: float
    ce_f1_increased_std: float
    ce_precision_decreased: float
    ce_precision_decreased_std: float
    ce_recall_decreased: float
    ce_recall_decreased_std: float
    ce_f1_decreased: float
    ce_f1_decreased_std: float
    ce_precision_absent: float
    ce_precision_absent_std: float
    ce_recall_absent: float
    ce_recall_absent_std: float
    ce_f1_absent: float
    ce_f1_absent_std: float
    # the petrg3d protocol only (x100; corpus-level BLEU has no spread)
    rouge_1: float
    rouge_1_std: float
    rouge_2: float
    rouge_2_std: float
    cider: float
    cider_std: float
    corpus_bleu_1: float
    corpus_bleu_2: float
    corpus_bleu_3: float
    corpus_bleu_4: float
    num_samples: int
    lang: str
    protocol: str
    per_organ: dict[str, OrganScore]
    per_sample: list[dict[str, float]]
