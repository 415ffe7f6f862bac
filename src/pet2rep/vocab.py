"""The benchmark's shared vocabulary, in one place and without numpy: every module imports it instead of a copy.

- :data:`ORGANS` and :data:`STATES`: the 24 organ keys (head to toe) and the abnormal uptake states of the
  clinical-efficacy (CE) labels: what the CE extractor reads, the synthetic cohort writes and the scores are keyed by;
- :data:`LANGS` and :func:`check_lang`: the report languages (``"auto"``: decide from the text);
- :data:`IMAGE_CONFIGS` and :data:`DATASET_CONFIGS`: the dataset configs, in the one order used everywhere (the
  lighteval tasks, the dataset card, the CLI, the Space; ``fused`` is the default);
- :data:`HEADLINE_METRICS` with :data:`METRIC_LABELS`, :data:`METRIC_GROUPS` and :data:`METRIC_SHORT_LABELS`: the six
  metrics of the paper's Table 1, how they (and BLEU-1..3) are named on screen, and the family each belongs to;
- :data:`CATEGORIES` and :data:`SUBMISSION_CATEGORY`: the model categories of the paper and of leaderboard
  submissions;
- :data:`FINDINGS_KEY`: the key of the findings text in an nnU-Net-style (AutoPET-RG-Lym) report JSON.
"""

from __future__ import annotations

from pet2rep.checks import Options, check

ORGANS = (
    "brain",
    "eye",
    "sinus",
    "pharynx",
    "salivary_gland",
    "thyroid",
    "cervical_lymph_node",
    "lung",
    "mediastinal_lymph_node",
    "breast",
    "esophagus",
    "liver",
    "gallbladder",
    "pancreas",
    "spleen",
    "kidney",
    "adrenal",
    "stomach",
    "intestine",
    "abdominal_lymph_node",
    "prostate",
    "uterus_adnexa",
    "bladder",
    "bone",
)
"""The 24 organ keys of the clinical-efficacy metric, head to toe."""

STATES = ("increased", "decreased", "absent")
"""The abnormal uptake states (an organ with none is normal)."""

NODE_GROUPS = ("cervical_lymph_node", "mediastinal_lymph_node", "abdominal_lymph_node")
"""The three lymph-node groups among :data:`ORGANS` (the stations of each: ``docs/ce.md`` §2)."""

LANGS = ("zh", "en")
"""The report languages: Chinese (the benchmark's) and English."""

AUTO_LANG = "auto"
"""The ``lang`` value that decides the language from the text (CJK share of the letters)."""

IMAGE_CONFIGS = ("fused", "separate", "mip", "lesion")
"""The dataset configs made of pictures: ``fused``: 3 fused PET/CT images; ``separate``: CT then PET of each of the 3
locations (6 images); ``mip``: a coronal PET MIP, then the 3 fused images; ``lesion``: 3 fused images on planes chosen
through the lesions (the case's lesion mask, else SUV hot spots: :mod:`pet2rep.imaging.slices`)."""

DATASET_CONFIGS = (*IMAGE_CONFIGS, "volumes")
"""Every dataset config: the image configs, then ``volumes`` (the CT and SUV volumes on the PET grid)."""

HEADLINE_METRICS = ("bleu_4", "meteor", "rouge_l", "ce_precision", "ce_recall", "ce_f1")
"""The metrics of the paper's Table 1, in its column order: the leaderboard's, the lighteval task's."""

METRIC_LABELS = {
    "bleu_1": "BLEU-1",
    "bleu_2": "BLEU-2",
    "bleu_3": "BLEU-3",
    "bleu_4": "BLEU-4",
    "meteor": "METEOR",
    "rouge_l": "ROUGE-L",
    "ce_precision": "CE precision",
    "ce_recall": "CE recall",
    "ce_f1": "CE F1",
}
"""How an overall metric of :func:`pet2rep.metrics.score` is named in text meant for people (the headline metrics
and BLEU-1..3), in table order."""

METRIC_GROUPS = {
    "bleu_4": "NLG",
    "meteor": "NLG",
    "rouge_l": "NLG",
    "ce_precision": "CE",
    "ce_recall": "CE",
    "ce_f1": "CE",
}
"""The family of a headline metric: NLG (text overlap) or CE (clinical efficacy)."""

METRIC_SHORT_LABELS = {
    "bleu_4": "BLEU-4",
    "meteor": "METEOR",
    "rouge_l": "ROUGE-L",
    "ce_precision": "P",
    "ce_recall": "R",
    "ce_f1": "F1",
}
"""A headline metric's name within its group (for narrow table headers under a group name)."""

CATEGORIES = ("baseline", "general", "medical", "closed")
"""The model categories of the paper's Table 1."""

SUBMISSION_CATEGORY = "community"
"""The category of a model submitted to the leaderboard."""

FINDINGS_KEY = "检查所见"
"""The key of the findings text in an nnU-Net-style (AutoPET-RG-Lym) report JSON."""


def check_lang(lang: object, *, allow_auto: bool = True, name: str = "lang") -> str:
    """Validate a language argument and return it.

    Args:
        lang: the value to check.
        allow_auto: whether ``"auto"`` is accepted.
        name: what the value is called in the error message (an argument, an option, an environment variable).

    Returns:
        ``lang``, one of :data:`LANGS` (or ``"auto"``).

    Raises:
        InputError: any other value, naming the valid ones.
    """
    return check(name, lang, Options(*LANGS, AUTO_LANG) if allow_auto else Options(*LANGS))
