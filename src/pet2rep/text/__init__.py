"""The text side of pet2rep: tokenization, NLG metrics and the clinical-efficacy (CE) uptake extractor.

- :func:`tokenize` / :func:`detect_lang` (``pet2rep.text.tokenize``): the one tokenizer every metric uses;
- ``pet2rep.text.nlg``: BLEU-n, METEOR, ROUGE-L on token lists, equal to nltk / rouge_score;
- ``pet2rep.text.ce`` (a package): ``ORGANS``, ``STATES``, ``extract_uptake(text, lang)``, the CE score.

This package never imports the image side of pet2rep.
"""

from pet2rep.text.tokenize import detect_lang, tokenize

__all__ = ["detect_lang", "tokenize"]
