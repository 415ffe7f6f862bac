# Copyright 2026 The pet2rep developers. Licensed under the Apache License, Version 2.0.
"""PET2Rep clinical efficacy (CE): organ-level FDG uptake agreement between generated and reference PET/CT reports."""

import datasets
import evaluate

from pet2rep.metrics import score
from pet2rep.paper import CITATION

_CITATION = CITATION

_DESCRIPTION = """\
Clinical efficacy (CE) of generated whole-body FDG PET/CT reports, as defined by the pet2rep project for the
PET2Rep benchmark (arXiv 2508.04062). Both reports go through the same rule-based extractor, which reads the uptake
state (increased, decreased, absent; none = normal) of 24 key organs and lymph-node groups: it needs an uptake word
(摄取, 代谢, FDG, uptake ...), resolves negation (未见FDG摄取增高 is normal, 未见FDG摄取 is absent), assigns
lymph-node mentions to their node group, ignores comparison references (高于肝脏本底) and carries a statement
without an organ over from the previous sentence. Every (case, organ) pair is a row with one binary column per
state; CE precision, recall and F1 are the macro averages over the three states (scikit-learn's
precision_recall_fscore_support(average="macro", zero_division=0)). The std is a seeded bootstrap over cases.
With include_nlg=True the module also returns BLEU-1..4 (nltk, smoothing method1), METEOR (nltk, no WordNet) and
ROUGE-L (rouge_score LCS F-measure) on jieba tokens (Chinese) or lower-cased [a-z0-9]+ tokens (English), averaged
over pairs with their population std. The numbers are those of pet2rep.metrics.score. Every result names its
scoring protocol ("protocol": "pet2rep"); protocol="petrg3d" returns instead the NLG metrics as PETRG-3D
(arXiv 2511.20145) scores them: jieba tokens with punctuation, Google NMT BLEU-1..4 per pair and corpus-level,
METEOR, ROUGE-1/2/L, CIDEr, x100 (no CE: PETRG-3D's clinical efficacy uses an LLM labeller).
"""

_KWARGS_DESCRIPTION = """
Computes the PET2Rep clinical-efficacy score (and optionally the NLG metrics) of generated reports.
Args:
    predictions (list of str): generated reports, one per case.
    references (list of str): reference reports, in the same order.
    lang (str): "zh", "en" or "auto" (default; Chinese when CJK ideographs are over 10% of the letters).
    include_nlg (bool): also return bleu_1..bleu_4, meteor, rouge_l (default False).
    bootstrap (int): bootstrap resamples for the CE std (default 1000; 0 turns it off: std 0.0).
    seed (int): bootstrap seed (default 0).
    protocol (str): "pet2rep" (default) or "petrg3d" (PETRG-3D's NLG definitions, x100; include_nlg, bootstrap
        and seed do not apply). Another name raises an error listing the valid ones.
Returns:
    ce_precision, ce_recall, ce_f1: macro averages over the states increased/decreased/absent;
    ce_{precision,recall,f1}_{increased,decreased,absent}: per-state scores;
    every score's "<name>_std"; per_organ: per-organ scores and counts; num_samples; lang; protocol;
    with include_nlg: bleu_1, bleu_2, bleu_3, bleu_4, meteor, rouge_l and their "_std".
    With protocol="petrg3d": bleu_1..bleu_4, meteor, rouge_1, rouge_2, rouge_l, cider (per-pair means x100, each
    with "_std"), corpus_bleu_1..corpus_bleu_4 (x100), num_samples, lang, protocol.
Examples:
    >>> pet2rep_ce = evaluate.load("pet2rep_ce")
    >>> predictions = ["肝脏FDG摄取增高。", "双肺FDG摄取未见异常。"]
    >>> references = ["肝脏FDG摄取增高，脾脏FDG摄取减低。", "右肺下叶结节FDG摄取增高。"]
    >>> results = pet2rep_ce.compute(predictions=predictions, references=references, bootstrap=0)
    >>> print(round(results["ce_precision"], 4), round(results["ce_recall"], 4), round(results["ce_f1"], 4))
    0.3333 0.1667 0.2222
    >>> print(results["ce_f1_increased"], results["ce_recall_decreased"], results["lang"])
    0.6666666666666666 0.0 zh

    English reports, with the NLG metrics:
    >>> results = pet2rep_ce.compute(
    ...     predictions=["Increased FDG uptake in the liver."],
    ...     references=["The liver shows increased FDG uptake."],
    ...     include_nlg=True,
    ...     bootstrap=0,
    ... )
    >>> print(results["ce_f1"], round(results["bleu_1"], 4), round(results["rouge_l"], 4), results["lang"])
    0.3333333333333333 0.8333 0.5 en

    PETRG-3D's protocol (x100; punctuation counts as tokens: 5 of 5 unigrams match, brevity penalty exp(1 - 8/5);
    CIDEr needs a corpus, a single pair scores 0):
    >>> results = pet2rep_ce.compute(
    ...     predictions=["肝脏FDG摄取增高。"], references=["肝脏FDG摄取增高，脾脏未见异常。"], protocol="petrg3d"
    ... )
    >>> print(results["protocol"], round(results["bleu_1"], 2), round(results["rouge_l"], 2), results["cider"])
    petrg3d 54.88 76.92 0.0
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class Pet2repCe(evaluate.Metric):
    """PET2Rep clinical efficacy: a thin adapter over pet2rep.metrics.score (class name -> "pet2rep_ce")."""

    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features(
                {
                    "predictions": datasets.Value("string", id="sequence"),
                    "references": datasets.Value("string", id="sequence"),
                }
            ),
            codebase_urls=["https://arxiv.org/abs/2508.04062"],
            reference_urls=["https://arxiv.org/abs/2508.04062"],
        )

    def _compute(
        self, predictions, references, lang="auto", include_nlg=False, bootstrap=1000, seed=0, protocol="pet2rep"
    ):
        if protocol != "pet2rep":  # another protocol defines NLG metrics only; score() validates the name
            return score(list(predictions), list(references), lang, protocol=protocol, return_per_sample=False)
        metrics = ["ce", "nlg"] if include_nlg else ["ce"]
        return score(
            list(predictions),
            list(references),
            lang,
            metrics=metrics,
            bootstrap=bootstrap,
            seed=seed,
            return_per_sample=False,
        )
