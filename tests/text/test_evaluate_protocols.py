"""The evaluate module metrics/pet2rep_ce with protocol=: same numbers as pet2rep.metrics.score, protocol recorded."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from pet2rep.errors import InputError
from pet2rep.metrics import score

DEV_PAIRS = Path(__file__).parent / "data" / "petrg3d_pairs_dev.jsonl"


@pytest.fixture(scope="module")
def module(tmp_path_factory, repo_root):
    os.environ.setdefault("HF_MODULES_CACHE", str(tmp_path_factory.mktemp("hf_modules")))
    assert os.environ.get("HF_EVALUATE_OFFLINE") == "1"
    evaluate = pytest.importorskip("evaluate")
    return evaluate.load(str(repo_root / "metrics" / "pet2rep_ce"))


def test_petrg3d_protocol_equals_the_library(module):
    rows = [json.loads(line) for line in DEV_PAIRS.read_text(encoding="utf-8").splitlines()][:10]
    preds = [r["prediction"] for r in rows]
    refs = [r["reference"] for r in rows]
    result = module.compute(predictions=preds, references=refs, protocol="petrg3d")
    assert result == score(preds, refs, protocol="petrg3d", return_per_sample=False)
    assert result["protocol"] == "petrg3d" and "cider" in result and "ce_f1" not in result
    default = module.compute(predictions=preds, references=refs, bootstrap=0)
    assert default["protocol"] == "pet2rep" and "ce_f1" in default


def test_unknown_protocol_lists_the_valid_ones(module):
    with pytest.raises(InputError, match="unknown protocol 'nmt'; valid protocols: pet2rep, petrg3d"):
        module.compute(predictions=["a"], references=["a"], protocol="nmt")
