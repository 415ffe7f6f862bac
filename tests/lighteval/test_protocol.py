"""$PET2REP_PROTOCOL: the lighteval tasks score under another protocol, under names that say which."""

from __future__ import annotations

import sys

import pytest

from pet2rep import lighteval as glue
from pet2rep.metrics import score
from pet2rep.text import petrg3d
from pet2rep.vocab import HEADLINE_METRICS

pytest.importorskip("lighteval")

PREDICTIONS = ["脑形态、结构正常，FDG摄取未见明显异常。两肺见结节，FDG摄取增高。", "", "肝脏FDG摄取未见异常。"]


def test_metric_names_per_protocol():
    assert glue.metric_names() == HEADLINE_METRICS
    assert glue.metric_names("petrg3d") == tuple(f"petrg3d_{k}" for k in petrg3d.KEYS)
    assert glue.resolve_protocol({}) == "pet2rep"
    assert glue.resolve_protocol({glue.PROTOCOL_ENV: "petrg3d"}) == "petrg3d"


def test_corpus_scores_under_petrg3d_equal_the_library():
    refs = ["两肺见结节，FDG摄取增高。", "左肾FDG摄取缺失。", "肝脏FDG摄取未见异常。"]
    out = glue.corpus_scores(PREDICTIONS, refs, protocol="petrg3d")
    expected = score(PREDICTIONS, refs, lang="zh", protocol="petrg3d")
    for key in petrg3d.KEYS:
        assert out[f"petrg3d_{key}"] == expected[key]
    assert out["petrg3d_bleu_4_std"] == expected["bleu_4_std"] and "petrg3d_corpus_bleu_4_std" not in out


def test_unknown_protocol_is_an_invocation_problem(monkeypatch, load_tasks):
    argv = ["lighteval", "accelerate", "model_name=m", "pet2rep:fused|0", "--vision-model"]
    problems = glue.check_invocation(argv, {glue.PROTOCOL_ENV: "bleu"})
    assert problems == ["$PET2REP_PROTOCOL: unknown protocol 'bleu'; valid protocols: pet2rep, petrg3d"]
    monkeypatch.setenv(glue.PROTOCOL_ENV, "bleu")
    monkeypatch.setattr(sys, "argv", ["pytest"])  # not a lighteval command line: the task file still refuses it
    with pytest.raises(
        SystemExit, match=r"PET2REP_PROTOCOL: unknown protocol 'bleu'; valid protocols: pet2rep, petrg3d"
    ):
        load_tasks("pet2rep_tasks_bad_protocol")


def test_task_metrics_under_petrg3d(monkeypatch, load_tasks):
    from lighteval.logging.info_loggers import MetricsLogger
    from lighteval.metrics import apply_metric
    from lighteval.models.model_output import ModelResponse
    from lighteval.tasks.lighteval_task import LightevalTask

    monkeypatch.setenv(glue.PROTOCOL_ENV, "petrg3d")
    module = load_tasks("pet2rep_tasks_petrg3d")
    assert module.PROTOCOL == "petrg3d"
    config = next(c for c in module.TASKS_TABLE if c.name == "pet2rep:fused")
    (grouping,) = config.metrics
    assert grouping.metric_name == list(glue.metric_names("petrg3d"))
    assert {str(c) for c in grouping.corpus_level_fn.values()} == {
        f"Pet2RepCorpus(lang=zh, protocol=petrg3d, version={module.VERSION})"
    }
    task = LightevalTask(config)
    docs = task.eval_docs()[: len(PREDICTIONS)]
    responses = [ModelResponse(text=p, text_post_processed=list(p)) for p in PREDICTIONS]
    logger = MetricsLogger()
    for output in apply_metric(responses=responses, docs=docs, metrics=list(task.metrics)):
        logger.log("pet2rep:fused|0", output)
    logger.aggregate({"pet2rep:fused|0": task}, bootstrap_iters=1000)
    result = dict(logger.metric_aggregated["pet2rep:fused|0"])
    expected = score(PREDICTIONS, [d.get_golds()[0] for d in docs], lang="zh", protocol="petrg3d")
    for key in petrg3d.KEYS:
        assert result[f"petrg3d_{key}"] == expected[key], key
    assert result["petrg3d_bleu_1"] > 1  # x100
