"""Shared helpers for the text tests: the reference implementations and real-shaped report texts."""

from __future__ import annotations

import json
import re

import pytest


class _NoWordNet:
    """Stands in for nltk's WordNet reader: no synonyms, which disables METEOR's synonym stage exactly."""

    def synsets(self, word):
        return []


class _PassThrough:
    """rouge_score tokenizer that takes already tokenized input unchanged."""

    def tokenize(self, tokens):
        return list(tokens)


class ReferenceNLG:
    """nltk sentence_bleu (method1), nltk single_meteor_score (no WordNet), rouge_score ROUGE-L."""

    def __init__(self):
        from nltk.translate.bleu_score import SmoothingFunction, sentence_bleu
        from nltk.translate.meteor_score import single_meteor_score
        from rouge_score import rouge_scorer

        self._bleu = sentence_bleu
        self._smooth = SmoothingFunction().method1
        self._meteor = single_meteor_score
        self._rouge = rouge_scorer.RougeScorer(["rougeL"], tokenizer=_PassThrough())
        self._wordnet = _NoWordNet()

    def bleu(self, pred, ref, n):
        return float(self._bleu([ref], pred, weights=(1 / n,) * n, smoothing_function=self._smooth))

    def meteor(self, pred, ref):
        return float(self._meteor(ref, pred, wordnet=self._wordnet))

    def rouge_l(self, pred, ref):
        return float(self._rouge.score(ref, pred)["rougeL"].fmeasure)

    def all(self, pred, ref):
        out = {f"bleu_{n}": self.bleu(pred, ref, n) for n in range(1, 5)}
        out["meteor"] = self.meteor(pred, ref)
        out["rouge_l"] = self.rouge_l(pred, ref)
        return out


@pytest.fixture(scope="session")
def reference_nlg() -> ReferenceNLG:
    return ReferenceNLG()


@pytest.fixture(scope="session")
def official_texts(official_demo_dir) -> dict[str, str]:
    """The real reference report (``answer``) and the template example report with its brackets removed."""
    record = json.loads((official_demo_dir / "prompt_qwen25vl.jsonl").read_text(encoding="utf-8").splitlines()[0])
    template = record["prompt_user_text"].split("严格按照以下格式输出：", 1)[1]
    return {
        "answer": record["answer"],
        "template": re.sub(r"[\[\]【】]", "", template).strip(),
        "template_raw": template.strip(),
    }
