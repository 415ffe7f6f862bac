"""The fast NLG metrics equal nltk sentence_bleu / single_meteor_score and rouge_score ROUGE-L (|d| <= 1e-9)."""

from __future__ import annotations

import random

import pytest

from pet2rep.text import tokenize
from pet2rep.text.nlg import NLG_KEYS, bleu_scores, lcs_length, meteor_score, pair_scores, rouge_l_score

TOL = 1e-9

# Words chosen so that exact, lower-case and Porter-stem matches all occur (run/runs/running, Cat/cats).
_VOCAB = [
    "a", "b", "c", "A", "B", "run", "runs", "running", "Runner", "cat", "cats", "Cat", "generalization",
    "generalize", "肝", "肝脏", "FDG", "fdg", "摄取", "增高", "未见", "异常", "5", "x1", "the", "The",
]  # fmt: skip


def _assert_equal(mine: dict, ref: dict, context) -> None:
    for key in NLG_KEYS:
        assert abs(mine[key] - ref[key]) <= TOL, (key, mine[key], ref[key], context)


def _random_pair(rng: random.Random, max_len: int):
    vocab = _VOCAB[: rng.randint(1, len(_VOCAB))]
    pred = [rng.choice(vocab) for _ in range(rng.randint(0, max_len))]
    ref = [rng.choice(vocab) for _ in range(rng.randint(0, max_len))]
    return pred, ref


@pytest.mark.parametrize("seed", range(5))
def test_random_short_token_lists(seed, reference_nlg):
    rng = random.Random(seed)
    for _ in range(300):
        pred, ref = _random_pair(rng, 12)
        _assert_equal(pair_scores(pred, ref), reference_nlg.all(pred, ref), (pred, ref))


@pytest.mark.parametrize("seed", range(3))
def test_random_long_token_lists(seed, reference_nlg):
    rng = random.Random(100 + seed)
    for _ in range(15):
        pred, ref = _random_pair(rng, 150)
        _assert_equal(pair_scores(pred, ref), reference_nlg.all(pred, ref), (len(pred), len(ref)))


def _real_shaped_pairs(texts: dict[str, str], seed: int):
    """Official answer/template tokens and edited copies (dropped, duplicated, swapped, shuffled sentences)."""
    rng = random.Random(seed)
    answer = tokenize(texts["answer"], "zh")
    template = tokenize(texts["template"], "zh")
    yield template, answer
    yield answer, template
    yield answer, answer
    for _ in range(6):
        edited = list(rng.choice([answer, template]))
        for _ in range(rng.randint(1, 60)):
            op = rng.random()
            i = rng.randrange(len(edited))
            if op < 0.4:
                del edited[i]
            elif op < 0.7:
                edited.insert(i, edited[rng.randrange(len(edited))])
            else:
                j = rng.randrange(len(edited))
                edited[i], edited[j] = edited[j], edited[i]
        yield edited, rng.choice([answer, template])
    sentences = texts["answer"].split("。")
    rng.shuffle(sentences)
    yield tokenize("。".join(sentences), "zh"), answer


@pytest.mark.parametrize("seed", range(2))
def test_real_shaped_reports(seed, official_texts, reference_nlg):
    for pred, ref in _real_shaped_pairs(official_texts, seed):
        _assert_equal(pair_scores(pred, ref), reference_nlg.all(pred, ref), (len(pred), len(ref)))


def test_identical_reports_score_one(official_texts):
    tokens = tokenize(official_texts["answer"], "zh")
    scores = pair_scores(tokens, tokens)
    for key in ("bleu_1", "bleu_2", "bleu_3", "bleu_4", "rouge_l"):
        assert scores[key] == pytest.approx(1.0)
    # METEOR: one chunk, fragmentation penalty 0.5 * (1 / n) ** 3
    n = len(tokens)
    assert scores["meteor"] == pytest.approx(1 - 0.5 * (1 / n) ** 3)


@pytest.mark.parametrize(
    ("pred", "ref"),
    [([], []), ([], ["肝", "脏"]), (["肝"], []), (["x"], ["y"]), (["a", "b"], ["b", "a"])],
)
def test_empty_and_degenerate_pairs(pred, ref, reference_nlg):
    mine = pair_scores(pred, ref)
    _assert_equal(mine, reference_nlg.all(pred, ref), (pred, ref))
    if not pred or not ref or not set(pred) & set(ref):
        assert all(mine[k] == 0.0 for k in NLG_KEYS)


def test_parts_agree_with_pair_scores():
    pred, ref = ["a", "b", "c", "d"], ["a", "c", "d", "b", "e"]
    scores = pair_scores(pred, ref)
    assert [scores[f"bleu_{n}"] for n in range(1, 5)] == bleu_scores(pred, ref)
    assert scores["meteor"] == meteor_score(pred, ref)
    assert scores["rouge_l"] == rouge_l_score(pred, ref)
    assert lcs_length(pred, ref) == 3


@pytest.mark.parametrize("seed", range(3))
def test_bit_parallel_lcs_equals_the_dp_table(seed):
    rng = random.Random(seed)
    for _ in range(200):
        a = [rng.choice("abcd") for _ in range(rng.randint(0, 40))]
        b = [rng.choice("abcd") for _ in range(rng.randint(0, 90))]
        table = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
        for i in range(1, len(a) + 1):
            for j in range(1, len(b) + 1):
                table[i][j] = (
                    table[i - 1][j - 1] + 1 if a[i - 1] == b[j - 1] else max(table[i - 1][j], table[i][j - 1])
                )
        assert lcs_length(a, b) == table[-1][-1] == lcs_length(b, a)
