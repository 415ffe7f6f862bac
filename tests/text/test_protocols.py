"""Scoring protocols: the petrg3d protocol reproduces PETRG-3D's scorer; every result names its protocol."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pet2rep.errors import InputError
from pet2rep.metrics import score
from pet2rep.text import petrg3d
from pet2rep.text.cider import cider_scores
from pet2rep.text.protocols import PETRG3D, PROTOCOL_NAMES, PROTOCOLS, check_protocol
from pet2rep.text.tokenize import tokenize_jieba

DATA = Path(__file__).parent / "data"
# What PETRG-3D's own evaluation/CN_nlg_evaluation.py (jieba) prints for the 68 pairs, x100 (data/README.md).
PETRG3D_DEV_FIGURES = {
    "bleu_1": 50.73,
    "bleu_2": 42.28,
    "bleu_3": 36.88,
    "bleu_4": 33.18,
    "meteor": 41.69,
    "rouge_1": 57.13,
    "rouge_2": 39.89,
    "rouge_l": 41.50,
    "cider": 0.34,
    "corpus_bleu_1": 52.39,
    "corpus_bleu_2": 43.52,
    "corpus_bleu_3": 37.88,
    "corpus_bleu_4": 34.02,
}
REPORT = "肝脏FDG摄取增高，SUVmax约5.2。脾脏未见异常。"


def _cases(kind: str) -> list[dict]:
    rows = [json.loads(line) for line in (DATA / "petrg3d_cases.jsonl").read_text(encoding="utf-8").splitlines()]
    return [r for r in rows if r["kind"] == kind]


@pytest.fixture(scope="module")
def dev_pairs() -> tuple[list[str], list[str]]:
    rows = [json.loads(line) for line in (DATA / "petrg3d_pairs_dev.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 68
    return [r["prediction"] for r in rows], [r["reference"] for r in rows]


@pytest.fixture(scope="module")
def dev_result(dev_pairs) -> dict:
    return score(*dev_pairs, protocol="petrg3d")


def test_petrg3d_reproduces_petrg3d_script_on_68_released_pairs(dev_result):
    for key, expected in PETRG3D_DEV_FIGURES.items():
        assert dev_result[key] == pytest.approx(expected, abs=0.01), key
    # The same pairs under pet2rep's own protocol score differently, which is why the protocol matters.
    assert dev_result["protocol"] == "petrg3d" and dev_result["num_samples"] == 68 and dev_result["lang"] == "zh"


def test_petrg3d_result_shape(dev_result, dev_pairs):
    assert [k for k in dev_result if not k.endswith("_std")][: len(petrg3d.KEYS)] == list(petrg3d.KEYS)
    for key in petrg3d.KEYS:
        if not key.startswith("corpus_"):
            assert 0 <= dev_result[f"{key}_std"] <= 100
    assert not any(k.startswith("ce_") for k in dev_result)
    per_sample = dev_result["per_sample"]
    assert len(per_sample) == 68
    for key in ("bleu_4", "meteor", "rouge_l", "cider"):
        mean = sum(s[key] for s in per_sample) / 68
        assert mean == pytest.approx(dev_result[key], rel=1e-12)
    # x100 of score_tokens on the same tokens
    preds, refs = dev_pairs
    aggregate, _ = petrg3d.score_tokens([tokenize_jieba(t) for t in preds], [tokenize_jieba(t) for t in refs])
    assert {k: dev_result[k] for k in aggregate} == aggregate


def test_pet2rep_protocol_is_the_default_and_recorded(dev_pairs):
    preds, refs = dev_pairs
    default = score(preds[:8], refs[:8], bootstrap=0)
    explicit = score(preds[:8], refs[:8], bootstrap=0, protocol="pet2rep")
    assert default == explicit and default["protocol"] == "pet2rep"
    other = score(preds[:8], refs[:8], protocol="petrg3d")
    assert other["bleu_4"] > 1 and default["bleu_4"] < 1  # x100 vs [0, 1]


@pytest.mark.parametrize("case", _cases("sentence_bleu"), ids=lambda c: c["description"][:40])
def test_sentence_bleu_hand_computed(case):
    pred, ref = case["prediction"].split(), case["reference"].split()
    got = [petrg3d.sentence_bleu(pred, ref, n) for n in range(1, 5)]
    assert got == pytest.approx(case["expected"], abs=1e-12), case["description"]
    _, per_sample = petrg3d.score_tokens([pred], [ref], ["bleu"])
    assert [per_sample[0][f"bleu_{n}"] for n in range(1, 5)] == pytest.approx([100 * x for x in case["expected"]])


@pytest.mark.parametrize("case", _cases("corpus_bleu"), ids=lambda c: c["description"][:40])
def test_corpus_bleu_hand_computed(case):
    preds = [p.split() for p in case["predictions"]]
    refs = [r.split() for r in case["references"]]
    got = [petrg3d.corpus_bleu(preds, refs, n) for n in range(1, 5)]
    assert got == pytest.approx(case["expected"], abs=1e-12), case["description"]
    aggregate, _ = petrg3d.score_tokens(preds, refs, ["bleu"])
    assert [aggregate[f"corpus_bleu_{n}"] for n in range(1, 5)] == pytest.approx([100 * x for x in case["expected"]])


@pytest.mark.parametrize("case", _cases("cider"), ids=lambda c: c["description"][:40])
def test_cider_hand_computed(case):
    preds = [p.split() for p in case["predictions"]]
    refs = [r.split() for r in case["references"]]
    assert cider_scores(preds, refs) == pytest.approx(case["expected"], abs=1e-12), case["description"]


def test_cider_depends_on_the_corpus():
    # The same pair scores differently beside another pair: document frequencies are corpus-wide.
    alone = cider_scores([["a", "b"], ["x"]], [["a", "b", "c"], ["y"]])[0]
    crowded = cider_scores([["a", "b"], ["x"], ["a"]], [["a", "b", "c"], ["y"], ["a"]])[0]
    assert alone > 0 and crowded > 0 and alone != pytest.approx(crowded)


def test_rouge_n_matches_rouge_score(dev_pairs):
    from rouge_score import rouge_scorer

    class Jieba:
        def tokenize(self, text):
            return tokenize_jieba(text)

    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=False, tokenizer=Jieba())
    preds, refs = dev_pairs
    for pred, ref in zip(preds[:10], refs[:10], strict=True):
        expected = scorer.score(ref, pred)
        p, r = tokenize_jieba(pred), tokenize_jieba(ref)
        assert petrg3d.rouge_n_score(p, r, 1) == pytest.approx(expected["rouge1"].fmeasure, abs=1e-12)
        assert petrg3d.rouge_n_score(p, r, 2) == pytest.approx(expected["rouge2"].fmeasure, abs=1e-12)


def test_tokenize_jieba_keeps_punctuation_and_case():
    import jieba

    text = "肝脏FDG摄取增高（SUVmax：5.2）。\n  脾脏 未见异常，CT示 normal."
    tokens = tokenize_jieba(text)
    assert tokens == [t for t in jieba.lcut(text) if t.strip()]
    assert "（" in tokens and "。" in tokens and "FDG" in tokens
    assert not any(t.isspace() or not t for t in tokens)
    assert tokenize_jieba(text) == tokens  # memoised blocks give the same tokens


@pytest.mark.parametrize("protocol", PROTOCOL_NAMES)
def test_empty_predictions_score_zero(protocol):
    result = score(["", ""], [REPORT, "双肺未见异常。"], protocol=protocol, bootstrap=0)
    keys = [k for k, _ in PROTOCOLS[protocol].columns]
    assert {k: result[k] for k in keys} == dict.fromkeys(keys, 0.0)
    assert result["protocol"] == protocol


def test_perfect_predictions_under_petrg3d():
    refs = [REPORT, "双肺未见异常。", "甲状腺FDG摄取未见异常。"]
    result = score(refs, refs, protocol="petrg3d")
    for key in ("bleu_1", "bleu_4", "rouge_1", "rouge_2", "rouge_l", "corpus_bleu_4"):
        assert result[key] == pytest.approx(100.0, abs=1e-9), key
    assert 99 < result["meteor"] < 100  # METEOR's fragmentation penalty 0.5 / matches**3 stays on one chunk
    assert result["cider"] > 0


def test_unknown_protocol_lists_the_valid_ones():
    with pytest.raises(InputError, match=r"unknown protocol 'coco'; valid protocols: pet2rep, petrg3d"):
        score(["a"], ["a"], protocol="coco")
    with pytest.raises(InputError, match="valid protocols"):
        check_protocol(None)
    assert check_protocol("petrg3d") is PETRG3D


def test_metrics_under_petrg3d():
    result = score([REPORT], [REPORT], protocol="petrg3d", metrics=["cider", "rouge"])
    assert {"cider", "rouge_1", "rouge_2", "rouge_l"} <= set(result) and "bleu_4" not in result
    assert "corpus_bleu_1" not in result
    with pytest.raises(InputError, match=r"unknown metric name\(s\) \['ce'\] under protocol 'petrg3d'; valid names"):
        score([REPORT], [REPORT], protocol="petrg3d", metrics=["ce"])
    nlg = score([REPORT], [REPORT], protocol="petrg3d", metrics="nlg", return_per_sample=False)
    assert {k for k in nlg if not k.endswith("_std")} == {*petrg3d.KEYS, "num_samples", "lang", "protocol"}


def test_pair_ngrams_equal_plain_counters():
    import random

    from pet2rep.text.ngrams import count_ngrams, count_pair_ngrams

    rng = random.Random(3)
    words = [chr(0x4E00 + i) for i in range(12)] + ["，", "。", "FDG"]
    preds = [[rng.choice(words) for _ in range(rng.randint(0, 30))] for _ in range(40)]
    refs = [[rng.choice(words) for _ in range(rng.randint(0, 30))] for _ in range(40)]
    preds[0], refs[1] = [], []
    ngrams = count_pair_ngrams(preds, refs, 4)
    for n in range(1, 5):
        expected = []
        for p, r in zip(preds, refs, strict=True):
            pc, rc = count_ngrams(p, n)[n - 1], count_ngrams(r, n)[n - 1]
            expected.append(sum(min(pc[g], rc[g]) for g in pc.keys() & rc.keys()))
        assert ngrams.orders[n - 1].clipped_matches(40).tolist() == expected, n
    assert ngrams.pred_lengths.tolist() == [len(p) for p in preds]
