"""Scoring protocols: which tokenizer, metric definitions and scale produced a number.

Two papers on PET report generation publish numbers made under different definitions; a protocol names one set of
definitions so a score can say where it comes from (every result of :func:`pet2rep.metrics.score` carries
``"protocol"``). Definitions: ``docs/metrics.md``.

- ``pet2rep`` (default; the PET2Rep benchmark and its leaderboard): :mod:`pet2rep.text.tokenize` tokens
  (punctuation dropped), nltk BLEU-1..4 (smoothing method1), METEOR, ROUGE-L, averaged over pairs, and the
  clinical efficacy (CE); values in [0, 1] as in the PET2Rep paper's table.
- ``petrg3d`` (PETRG-3D / AutoPET-RG-Lym, arXiv:2511.20145): jieba tokens with punctuation, Google NMT BLEU-1..4
  with smoothing (per pair and corpus-level), METEOR, ROUGE-1/2/L, CIDEr; values x100 as in PETRG-3D's table
  (:mod:`pet2rep.text.petrg3d`). No CE: PETRG-3D's clinical efficacy comes from an LLM labeller.
"""

from __future__ import annotations

from dataclasses import dataclass

from pet2rep.errors import InputError
from pet2rep.text import petrg3d
from pet2rep.vocab import METRIC_LABELS

# Table labels of result keys: the pet2rep metrics' from the vocabulary, plus those only petrg3d reports.
_LABELS = {
    **METRIC_LABELS,
    "rouge_1": "ROUGE-1",
    "rouge_2": "ROUGE-2",
    "cider": "CIDEr",
    **{f"corpus_bleu_{n}": f"corpus BLEU-{n}" for n in range(1, 5)},
}


@dataclass(frozen=True)
class Protocol:
    """One scoring protocol.

    Attributes:
        name: the value of ``protocol=`` / ``--protocol``.
        description: one line for help texts.
        metric_families: the names ``score(..., metrics=...)`` accepts under this protocol.
        columns: ``(result key, label)`` of the headline numbers, in the order of the protocol's paper table.
        scale: 1.0 (values in [0, 1]) or 100.0 (percentages).
    """

    name: str
    description: str
    metric_families: tuple[str, ...]
    columns: tuple[tuple[str, str], ...]
    scale: float


PET2REP = Protocol(
    name="pet2rep",
    description="PET2Rep benchmark: pet2rep tokens without punctuation, nltk BLEU, METEOR, ROUGE-L, CE; in [0, 1]",
    metric_families=("bleu", "meteor", "rouge_l", "ce", "nlg"),
    columns=tuple(
        (k, _LABELS[k])
        for k in ("bleu_1", "bleu_2", "bleu_3", "bleu_4", "meteor", "rouge_l", "ce_precision", "ce_recall", "ce_f1")
    ),
    scale=1.0,
)
PETRG3D = Protocol(
    name="petrg3d",
    description="PETRG-3D's CN_nlg_evaluation.py: jieba tokens with punctuation, NMT BLEU, METEOR, ROUGE, CIDEr; x100",
    metric_families=petrg3d.METRIC_FAMILIES,
    columns=tuple((k, _LABELS[k]) for k in petrg3d.KEYS),
    scale=petrg3d.SCALE,
)

PROTOCOLS = {p.name: p for p in (PET2REP, PETRG3D)}
PROTOCOL_NAMES = tuple(PROTOCOLS)
DEFAULT_PROTOCOL = PET2REP.name


def check_protocol(protocol: object) -> Protocol:
    """The :class:`Protocol` named ``protocol``; :class:`InputError` naming the valid ones otherwise."""
    if not isinstance(protocol, str) or protocol not in PROTOCOLS:
        raise InputError(f"unknown protocol {protocol!r}; valid protocols: {', '.join(PROTOCOL_NAMES)}")
    return PROTOCOLS[protocol]


__all__ = ["DEFAULT_PROTOCOL", "PET2REP", "PETRG3D", "PROTOCOLS", "PROTOCOL_NAMES", "Protocol", "check_protocol"]
