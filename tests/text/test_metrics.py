"""pet2rep.metrics.score: result shape, equality with the reference implementations and scikit-learn, errors."""

from __future__ import annotations

import json
import math
import random

import numpy as np
import pytest
from sklearn.metrics import precision_recall_fscore_support

from pet2rep.errors import InputError
from pet2rep.metrics import CE_KEYS, METRIC_FAMILIES, score
from pet2rep.text import tokenize
from pet2rep.text.ce import ORGANS, STATES, ce_bootstrap_std, ce_scores, extract_uptake, label_matrix

NLG_KEYS = ("bleu_1", "bleu_2", "bleu_3", "bleu_4", "meteor", "rouge_l")


def _sklearn(pred: np.ndarray, ref: np.ndarray, average):
    y_pred = pred.reshape(-1, len(STATES)).astype(int)
    y_true = ref.reshape(-1, len(STATES)).astype(int)
    return precision_recall_fscore_support(y_true, y_pred, average=average, zero_division=0)


@pytest.mark.parametrize("seed", range(6))
def test_ce_scores_equal_sklearn_macro_on_random_labels(seed):
    rng = np.random.default_rng(seed)
    n_cases = int(rng.integers(1, 40))
    density = float(rng.choice([0.0, 0.01, 0.05, 0.3]))
    pred = rng.random((n_cases, len(ORGANS), len(STATES))) < density
    ref = rng.random((n_cases, len(ORGANS), len(STATES))) < float(rng.choice([0.0, 0.02, 0.2]))
    mine = ce_scores(pred, ref)
    p, r, f, _ = _sklearn(pred, ref, "macro")
    assert mine["ce_precision"] == pytest.approx(p, abs=1e-12)
    assert mine["ce_recall"] == pytest.approx(r, abs=1e-12)
    assert mine["ce_f1"] == pytest.approx(f, abs=1e-12)
    p_s, r_s, f_s, support = _sklearn(pred, ref, None)
    for s, state in enumerate(STATES):
        assert mine[f"ce_precision_{state}"] == pytest.approx(p_s[s], abs=1e-12)
        assert mine[f"ce_recall_{state}"] == pytest.approx(r_s[s], abs=1e-12)
        assert mine[f"ce_f1_{state}"] == pytest.approx(f_s[s], abs=1e-12)
        assert sum(o["support"][state] for o in mine["per_organ"].values()) == support[s]


def test_per_organ_is_the_micro_average_over_states():
    rng = np.random.default_rng(7)
    pred = rng.random((30, len(ORGANS), len(STATES))) < 0.1
    ref = rng.random((30, len(ORGANS), len(STATES))) < 0.1
    per_organ = ce_scores(pred, ref)["per_organ"]
    assert list(per_organ) == list(ORGANS)
    for o, organ in enumerate(ORGANS):
        p, r, f, _ = precision_recall_fscore_support(
            ref[:, o, :].astype(int), pred[:, o, :].astype(int), average="micro", zero_division=0
        )
        assert per_organ[organ]["precision"] == pytest.approx(p, abs=1e-12)
        assert per_organ[organ]["recall"] == pytest.approx(r, abs=1e-12)
        assert per_organ[organ]["f1"] == pytest.approx(f, abs=1e-12)
        assert per_organ[organ]["predicted"] == {s: int(pred[:, o, i].sum()) for i, s in enumerate(STATES)}


def test_template_baseline_on_the_official_case(official_texts):
    """Hand-computed: template (6 organs, 5 increased/1 decreased/1 absent) vs answer (4 increased)."""
    result = score([official_texts["template"]], [official_texts["answer"]], bootstrap=0)
    # increased: TP = lung, stomach -> P 2/5, R 2/4, F1 4/9; decreased and absent: no reference positive -> 0
    assert result["ce_precision_increased"] == pytest.approx(2 / 5)
    assert result["ce_recall_increased"] == pytest.approx(2 / 4)
    assert result["ce_f1_increased"] == pytest.approx(4 / 9)
    assert result["ce_precision"] == pytest.approx(2 / 5 / 3)
    assert result["ce_recall"] == pytest.approx(2 / 4 / 3)
    assert result["ce_f1"] == pytest.approx(4 / 9 / 3)
    assert result["per_organ"]["liver"]["predicted"] == {"increased": 1, "decreased": 1, "absent": 0}
    assert result["per_organ"]["pharynx"]["support"] == {"increased": 1, "decreased": 0, "absent": 0}
    assert result["lang"] == "zh"


def _corpus(seed: int, n: int, texts: dict[str, str]):
    """Real-shaped pairs: official answer/template sentences recombined and lightly edited."""
    rng = random.Random(seed)
    sentences = [s for t in (texts["answer"], texts["template"]) for s in t.split("。") if s]
    edits = ["增高", "减低", "未见异常", "缺失", "FDG摄取增高", "肝脏", "淋巴结"]

    def report():
        picked = rng.sample(sentences, rng.randint(0, 8))
        out = []
        for s in picked:
            if rng.random() < 0.3:
                i = rng.randrange(len(s) + 1)
                s = s[:i] + rng.choice(edits) + s[i:]
            out.append(s)
        return "。".join(out)

    return [report() for _ in range(n)], [report() for _ in range(n)]


def test_score_equals_reference_implementations_and_sklearn(official_texts, reference_nlg):
    preds, refs = _corpus(0, 25, official_texts)
    preds[0] = ""  # an empty prediction scores 0
    result = score(preds, refs, "zh", bootstrap=50, seed=3)
    per_pair = [reference_nlg.all(tokenize(p, "zh"), tokenize(r, "zh")) for p, r in zip(preds, refs, strict=True)]
    for key in NLG_KEYS:
        values = np.array([s[key] for s in per_pair])
        assert abs(result[key] - values.mean()) <= 1e-9, key
        assert abs(result[f"{key}_std"] - values.std(ddof=0)) <= 1e-9, key
        assert [s[key] for s in result["per_sample"]] == pytest.approx(list(values), abs=1e-9)
    assert all(result["per_sample"][0][k] == 0.0 for k in NLG_KEYS)
    pred = label_matrix([extract_uptake(p, "zh") for p in preds])
    ref = label_matrix([extract_uptake(r, "zh") for r in refs])
    p, r, f, _ = _sklearn(pred, ref, "macro")
    assert (result["ce_precision"], result["ce_recall"], result["ce_f1"]) == pytest.approx((p, r, f), abs=1e-12)
    assert ref.any() and pred.any()


def test_result_shape_is_plain_json(official_texts):
    preds, refs = _corpus(1, 8, official_texts)
    result = score(preds, refs, bootstrap=20)
    flat = [*NLG_KEYS, *CE_KEYS]
    for key in flat:
        assert type(result[key]) is float and 0.0 <= result[key] <= 1.0, key
        assert type(result[f"{key}_std"]) is float and result[f"{key}_std"] >= 0.0, key
    assert result["num_samples"] == 8 and result["lang"] == "zh"
    assert len(result["per_sample"]) == 8 and set(result["per_sample"][0]) == set(NLG_KEYS)
    assert set(result["per_organ"]) == set(ORGANS)
    assert set(result["per_organ"]["liver"]) == {"precision", "recall", "f1", "support", "predicted"}
    assert json.loads(json.dumps(result, allow_nan=False)) == result


def test_bootstrap_std_is_seeded_and_matches_a_direct_resampling(official_texts):
    preds, refs = _corpus(2, 30, official_texts)
    a = score(preds, refs, metrics=["ce"], bootstrap=200, seed=1)
    b = score(preds, refs, metrics=["ce"], bootstrap=200, seed=1)
    c = score(preds, refs, metrics=["ce"], bootstrap=200, seed=2)
    assert a == b
    assert a["ce_f1_std"] != c["ce_f1_std"]
    assert a["ce_f1_std"] > 0
    # the documented resamples, scored one by one with ce_scores, give the same std
    pred = label_matrix([extract_uptake(p) for p in preds])
    ref = label_matrix([extract_uptake(r) for r in refs])
    draws = np.random.default_rng(1).integers(0, 30, size=(200, 30))
    f1s = [ce_scores(pred[idx], ref[idx])["ce_f1"] for idx in draws]
    recalls = [ce_scores(pred[idx], ref[idx])["ce_recall_increased"] for idx in draws]
    assert a["ce_f1_std"] == pytest.approx(float(np.std(f1s, ddof=1)), abs=1e-12)
    assert a["ce_recall_increased_std"] == pytest.approx(float(np.std(recalls, ddof=1)), abs=1e-12)
    assert ce_bootstrap_std(pred, ref, 200, 1)["ce_f1_std"] == a["ce_f1_std"]
    off = score(preds, refs, metrics=["ce"], bootstrap=0)
    assert off["ce_f1_std"] == 0.0 and off["ce_f1"] == a["ce_f1"]


def test_metric_subsets(official_texts):
    preds, refs = _corpus(3, 4, official_texts)
    ce_only = score(preds, refs, metrics=["ce"], bootstrap=0)
    assert "bleu_4" not in ce_only and "per_sample" not in ce_only and "ce_f1" in ce_only
    nlg_only = score(preds, refs, metrics=["nlg"])
    assert "ce_f1" not in nlg_only and "per_organ" not in nlg_only and "meteor" in nlg_only
    rouge = score(preds, refs, metrics="rouge_l", return_per_sample=False)
    assert {k for k in rouge if not k.endswith("_std")} == {"rouge_l", "num_samples", "lang", "protocol"}
    full = score(preds, refs, bootstrap=0)
    assert nlg_only["bleu_4"] == full["bleu_4"] and ce_only["ce_f1"] == full["ce_f1"]


def test_english_reports():
    preds = ["Increased FDG uptake in the liver.", "No abnormal FDG uptake."]
    refs = ["The liver shows increased FDG uptake.", "No FDG uptake in the left kidney (photopenic)."]
    result = score(preds, refs, bootstrap=0)
    assert result["lang"] == "en"
    assert result["ce_precision_increased"] == 1.0 and result["ce_recall_absent"] == 0.0
    assert result["per_organ"]["kidney"]["support"]["absent"] == 1
    assert result["per_sample"][0]["bleu_1"] > 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"predictions": ["a"], "references": ["a", "b"]}, "same length; got 1 predictions and 2 references"),
        ({"predictions": ["a", 3], "references": ["a", "b"]}, r"predictions\[1\] must be a str; got int"),
        ({"predictions": ["a"], "references": [None]}, r"references\[0\] must be a str; got NoneType"),
        ({"predictions": "abc", "references": ["a"]}, "predictions must be a list of strings; got str"),
        ({"predictions": [], "references": []}, "no reports to score"),
        ({"predictions": ["a"], "references": ["a"], "lang": "de"}, "lang must be one of"),
        ({"predictions": ["a"], "references": ["a"], "metrics": ["bleu", "cider"]}, "cider.*valid names: bleu"),
        ({"predictions": ["a"], "references": ["a"], "metrics": []}, "metrics is empty"),
        ({"predictions": ["a"], "references": ["a"], "bootstrap": 1}, "bootstrap must be"),
        ({"predictions": ["a"], "references": ["a"], "bootstrap": -5}, "bootstrap must be"),
        ({"predictions": ["a"], "references": ["a"], "seed": "x"}, "seed must be an int"),
    ],
)
def test_bad_input(kwargs, message):
    with pytest.raises(InputError, match=message):
        score(**kwargs)


def test_metric_names_are_listed():
    assert set(METRIC_FAMILIES) == {"bleu", "meteor", "rouge_l", "ce", "nlg"}
    assert not math.isnan(score(["x"], ["x"], bootstrap=0)["bleu_1"])


def test_the_result_is_a_plain_dict_with_exactly_the_declared_keys():
    from typing import get_type_hints

    from pet2rep.score_result import OrganScore, ScoreResult

    result = score(["肝脏FDG摄取增高。"], ["肝脏FDG摄取未见异常。"], bootstrap=0)
    petrg3d = score(["肝脏FDG摄取增高。"], ["肝脏FDG摄取未见异常。"], bootstrap=0, protocol="petrg3d")
    assert type(result) is dict and type(petrg3d) is dict
    # every metric of both protocols selected: every declared key is there, and nothing undeclared
    assert set(result) | set(petrg3d) == set(get_type_hints(ScoreResult))
    assert all(set(organ) == set(get_type_hints(OrganScore)) for organ in result["per_organ"].values())
    assert set(score(["a"], ["a"], metrics=["ce"], bootstrap=0)) < set(get_type_hints(ScoreResult))
