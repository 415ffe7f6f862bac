"""Every PET2Rep report metric in one call: :func:`score`.

Under the default scoring protocol ``"pet2rep"``, NLG metrics (BLEU-1..4, METEOR, ROUGE-L) are computed per
(prediction, reference) pair on ``pet2rep.text.tokenize`` tokens and averaged over pairs; the clinical-efficacy
(CE) metric pools every (case, organ) row of the labels ``pet2rep.text.ce.extract_uptake`` reads from both
reports. Definitions: issue 3 and the docstrings of ``pet2rep.text.nlg`` and ``pet2rep.text.ce``. Other protocols
(``protocol="petrg3d"``: PETRG-3D's definitions, x100) are described in ``pet2rep.text.protocols`` and
``docs/metrics.md``.

Spread (the paper's "mean (std)"): for NLG metrics, the population standard deviation (ddof=0, numpy's default)
of the per-pair scores — a description of how scores spread over the whole test set, which is what a
per-report metric's "(std)" in a results table denotes. CE is a corpus-level score with no per-pair value, so its
std is the standard deviation (ddof=1) of the score over ``bootstrap`` resamples of the cases (seeded).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from pet2rep.checks import Integer, Options, check
from pet2rep.errors import InputError
from pet2rep.score_result import ScoreResult
from pet2rep.text import ce as _ce
from pet2rep.text.nlg import NLG_KEYS, bleu_scores, meteor_score, rouge_l_score
from pet2rep.text.protocols import DEFAULT_PROTOCOL, PET2REP, PETRG3D, PROTOCOL_NAMES, Protocol, check_protocol
from pet2rep.text.tokenize import detect_lang, tokenize
from pet2rep.vocab import check_lang

# The metric families ``metrics=`` accepts under the pet2rep protocol; "nlg" is all three NLG families.
METRIC_FAMILIES = PET2REP.metric_families
_NLG_FAMILIES = ("bleu", "meteor", "rouge_l")
_FAMILY_KEYS = {
    "bleu": ("bleu_1", "bleu_2", "bleu_3", "bleu_4"),
    "meteor": ("meteor",),
    "rouge_l": ("rouge_l",),
}
CE_KEYS = (
    "ce_precision",
    "ce_recall",
    "ce_f1",
    *(f"ce_{m}_{state}" for state in _ce.STATES for m in ("precision", "recall", "f1")),
)


def score(
    predictions: Sequence[str],
    references: Sequence[str],
    lang: str = "auto",
    *,
    metrics: Iterable[str] | None = None,
    bootstrap: int = 1000,
    seed: int = 0,
    return_per_sample: bool = True,
    protocol: str = DEFAULT_PROTOCOL,
) -> ScoreResult:
    """Score generated reports against reference reports.

    Args:
        predictions: generated reports, one string per case.
        references: reference reports, in the same order.
        lang: ``"zh"``, ``"en"`` or ``"auto"`` (decided once from the references, else from the predictions:
            Chinese when CJK ideographs are over 10% of the letters). Both sides use the same tokenizer.
        metrics: names from :data:`METRIC_FAMILIES` (``"nlg"`` = bleu + meteor + rouge_l); default all. Under
            another protocol, its own names (``petrg3d``: bleu, meteor, rouge, cider, nlg).
        bootstrap: number of bootstrap resamples for the CE std (0: no bootstrap, the CE std values are 0.0).
        seed: seed of the bootstrap.
        return_per_sample: include ``per_sample`` (the NLG scores of every pair).
        protocol: the scoring protocol, one of ``pet2rep.text.protocols.PROTOCOL_NAMES``: ``"pet2rep"`` (these
            definitions) or ``"petrg3d"`` (PETRG-3D's: ``pet2rep.text.petrg3d``; values x100, no CE).

    Returns:
        A :class:`~pet2rep.score_result.ScoreResult` (a plain dict) of plain Python values: ``bleu_1``..``bleu_4``,
        ``meteor``, ``rouge_l``, ``ce_precision``, ``ce_recall``, ``ce_f1``,
        ``ce_{precision,recall,f1}_{increased,decreased,absent}``, each with a ``<key>_std``; ``num_samples``,
        ``lang``, ``protocol``; ``per_organ`` (CE) and ``per_sample`` (NLG) when
        selected. Under ``petrg3d``: ``bleu_1``..``bleu_4``, ``meteor``, ``rouge_1``, ``rouge_2``, ``rouge_l``,
        ``cider`` (per-pair means, each with ``<key>_std``), ``corpus_bleu_1``..``corpus_bleu_4``, x100.

    Raises:
        InputError: not lists of strings, different lengths, no pairs, unknown ``lang``, protocol or metric
            name, bad ``bootstrap``/``seed``.
    """
    predictions = _check_texts(predictions, "predictions")
    references = _check_texts(references, "references")
    if len(predictions) != len(references):
        raise InputError(
            f"predictions and references must have the same length; got {len(predictions)} predictions and "
            f"{len(references)} references"
        )
    if not predictions:
        raise InputError("no reports to score: predictions and references are empty")
    lang = check_lang(lang)
    proto = check_protocol(protocol)
    families = _check_metrics(metrics, proto)
    check("bootstrap", bootstrap, Options(0), Integer(low=2))
    check("seed", seed, Integer())
    if lang == "auto":
        lang = resolve_lang(predictions, references)
    if proto is PETRG3D:
        return _score_petrg3d(predictions, references, lang, families, return_per_sample)

    result: dict = {}
    per_sample: list[dict[str, float]] = []
    nlg = [f for f in _NLG_FAMILIES if f in families]
    if nlg:
        per_sample = _nlg_per_sample(predictions, references, lang, nlg)
        import numpy as np

        for family in nlg:
            for key in _FAMILY_KEYS[family]:
                values = np.fromiter((s[key] for s in per_sample), dtype=np.float64, count=len(per_sample))
                result[key] = float(np.mean(values))
                result[f"{key}_std"] = float(np.std(values))
    if "ce" in families:
        labels: dict[str, dict] = {}
        for text in (*predictions, *references):
            if text not in labels:
                labels[text] = _ce.extract_uptake(text, lang)
        pred = _ce.label_matrix([labels[t] for t in predictions])
        ref = _ce.label_matrix([labels[t] for t in references])
        scores = _ce.ce_scores(pred, ref)
        std = _ce.ce_bootstrap_std(pred, ref, bootstrap, seed) if bootstrap else dict.fromkeys(_std_keys(), 0.0)
        for key in CE_KEYS:
            result[key] = scores[key]
            result[f"{key}_std"] = std[f"{key}_std"]
        result["per_organ"] = scores["per_organ"]
    result["num_samples"] = len(predictions)
    result["lang"] = lang
    result["protocol"] = proto.name
    if return_per_sample and nlg:
        result["per_sample"] = per_sample
    return ScoreResult(**result)


def _score_petrg3d(predictions, references, lang: str, families: set[str], per_sample: bool) -> dict:
    from pet2rep.text import petrg3d

    aggregate, samples = petrg3d.score_reports(predictions, references, sorted(families))
    result: dict = {**aggregate, "num_samples": len(predictions), "lang": lang, "protocol": PETRG3D.name}
    if per_sample:
        result["per_sample"] = samples
    return result


def resolve_lang(predictions: Sequence[str], references: Sequence[str]) -> str:
    """The language of a benchmark run: that of the references, or of the predictions if references have none."""
    for texts in (references, predictions):
        joined = "\n".join(texts)
        if any(ch.isalpha() for ch in joined):
            return detect_lang(joined)
    return "en"


def _std_keys() -> list[str]:
    return [f"{key}_std" for key in CE_KEYS]


def _check_texts(texts, name: str) -> list[str]:
    if isinstance(texts, (str, bytes)) or not isinstance(texts, Sequence):
        raise InputError(f"{name} must be a list of strings; got {type(texts).__name__}")
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise InputError(f"{name}[{i}] must be a str; got {type(text).__name__}")
    return list(texts)


def _check_metrics(metrics, proto: Protocol = PET2REP) -> set[str]:
    valid = proto.metric_families
    all_families = {m for m in valid if m != "nlg"}
    if metrics is None:
        return all_families
    if isinstance(metrics, str):
        metrics = [metrics]
    try:
        names = list(metrics)
    except TypeError:
        raise InputError(f"metrics must be a list of names from {valid}; got {metrics!r}") from None
    unknown = [m for m in names if m not in valid]
    where = "" if proto is PET2REP else f" under protocol {proto.name!r}"
    if unknown or not names:
        raise InputError(
            f"unknown metric name(s) {unknown!r}{where}; valid names: {', '.join(valid)}"
            if unknown
            else f"metrics is empty; valid names: {', '.join(valid)}"
        )
    families = set(names)
    if "nlg" in families:
        families.discard("nlg")
        families.update(all_families - {"ce"})
    return families


def _nlg_per_sample(predictions, references, lang: str, families: list[str]) -> list[dict[str, float]]:
    tokens: dict[str, list[str]] = {}
    for text in (*predictions, *references):
        if text not in tokens:
            tokens[text] = tokenize(text, lang)
    out = []
    want_bleu = "bleu" in families
    want_meteor = "meteor" in families
    want_rouge = "rouge_l" in families
    for pred_text, ref_text in zip(predictions, references, strict=True):
        pred = tokens[pred_text]
        ref = tokens[ref_text]
        sample: dict[str, float] = {}
        if want_bleu:
            b = bleu_scores(pred, ref)
            sample.update(bleu_1=b[0], bleu_2=b[1], bleu_3=b[2], bleu_4=b[3])
        if want_meteor:
            sample["meteor"] = meteor_score(pred, ref)
        if want_rouge:
            sample["rouge_l"] = rouge_l_score(pred, ref)
        out.append(sample)
    return out


__all__ = ["CE_KEYS", "METRIC_FAMILIES", "NLG_KEYS", "PROTOCOL_NAMES", "resolve_lang", "score"]
