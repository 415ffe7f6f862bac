"""The lighteval tasks (pet2rep.lighteval.tasks, through a checkout's tasks/pet2rep.py): configs, prompt function,
metric grouping, dataset loading."""

from __future__ import annotations

import sys

import pytest

from pet2rep import lighteval as glue
from pet2rep import prompts
from pet2rep.vocab import HEADLINE_METRICS, IMAGE_CONFIGS

pytest.importorskip("lighteval")

EXPECTED_TASKS = [
    f"{suite}:{config}" for suite in ("pet2rep", "pet2rep_en") for config in ("fused", "separate", "mip", "lesion")
]


def test_tasks_table(task_module, tiny_dataset):
    table = {config.name: config for config in task_module.TASKS_TABLE}
    assert list(table) == EXPECTED_TASKS
    for name, config in table.items():
        assert config.hf_repo == str(tiny_dataset.resolve())
        assert config.hf_subset == name.split(":")[1]
        assert config.evaluation_splits == ("test",)
        assert config.generation_size == 1024
        assert config.version == prompts.PROMPT_VERSION
        assert config.prompt_function is task_module.pet2rep_prompt
        (grouping,) = config.metrics
        assert grouping.metric_name == list(HEADLINE_METRICS)
        assert str(grouping.sample_level_fn) == f"Pet2RepPreparator(version={prompts.PROMPT_VERSION})"
        lang = "en" if name.startswith("pet2rep_en") else "zh"
        corpus = set(grouping.corpus_level_fn.values())
        assert [str(c) for c in corpus] == [f"Pet2RepCorpus(lang={lang}, version={prompts.PROMPT_VERSION})"]


def test_metadata_header(task_module):
    doc = task_module.__doc__
    for field in ("name:", "dataset:", "abstract:", "languages:", "tags:", "paper:", "2508.04062"):
        assert field in doc


def test_config_text_is_stable_across_imports(task_module, load_tasks):
    """lighteval keys its prediction cache on str(config): no memory address may leak into it."""
    again = load_tasks("pet2rep_tasks_again")
    first = [c.__str__(lite=True) for c in task_module.TASKS_TABLE]
    second = [c.__str__(lite=True) for c in again.TASKS_TABLE]
    assert task_module.TASKS_TABLE[0].metrics[0].sample_level_fn is not again.TASKS_TABLE[0].metrics[0].sample_level_fn
    assert first == second
    assert not any("object at" in text or " 0x" in text for text in first)


@pytest.mark.parametrize("config", IMAGE_CONFIGS)
def test_prompt_function_on_a_real_shaped_row(task_module, tiny_dataset, config):
    row = dict(glue.load_split(str(tiny_dataset), config)[2])
    row.update({"__few_shots": False, "__index": 2})  # what lighteval adds to each row
    doc = task_module.pet2rep_prompt(row, f"pet2rep:{config}")
    assert doc.query == prompts.user_prompt(config, "zh")
    assert doc.instruction == prompts.system_prompt("zh")
    assert doc.get_golds() == [row["report"]]
    assert doc.specific["case_id"] == "case_002"
    assert [im.getpixel((0, 0))[0] for im in doc.images] == [20 + pos for pos in range(prompts.NUM_IMAGES[config])]
    assert doc.task_name == f"pet2rep:{config}"
    assert task_module.pet2rep_prompt(row, f"pet2rep_en:{config}") is None  # case_002 has no English report


def test_dataset_loader_gives_lighteval_a_fresh_split(task_module):
    from lighteval.tasks.lighteval_task import LightevalTask

    config = next(c for c in task_module.TASKS_TABLE if c.name == "pet2rep:separate")
    task = LightevalTask(config)
    dataset = task.download_dataset_worker(task)
    assert list(dataset) == ["test"] and dataset["test"].num_rows == 4
    docs = task.eval_docs()
    assert [d.specific["case_id"] for d in docs] == [f"case_{i:03d}" for i in range(4)]
    assert all(len(d.images) == 6 for d in docs)
    en = LightevalTask(next(c for c in task_module.TASKS_TABLE if c.name == "pet2rep_en:fused"))
    assert [d.specific["case_id"] for d in en.eval_docs()] == ["case_000", "case_001", "case_003"]


def test_dataset_loader_stops_with_a_clear_message(task_module, tmp_path, dataset_factory):
    from lighteval.tasks.lighteval_task import LightevalTask

    partial = dataset_factory(tmp_path / "partial", n=1, configs=("fused",), columns=("case_id", "images"))
    config = next(c for c in task_module.TASKS_TABLE if c.name == "pet2rep:fused")
    config.hf_repo = str(partial)
    with pytest.raises(SystemExit, match=r"task pet2rep:fused: .* lacks column\(s\) report; it has case_id, images"):
        LightevalTask(config).download_dataset_worker(LightevalTask(config))
    config.hf_subset = "mip"
    config.name = "pet2rep:mip"
    with pytest.raises(SystemExit, match="has no config 'mip'; its configs: fused"):
        LightevalTask(config).download_dataset_worker(LightevalTask(config))


def test_other_tasks_keep_lightevals_loader(task_module, monkeypatch):
    from lighteval.tasks.lighteval_task import LightevalTask

    from pet2rep.lighteval import tasks

    seen = []
    monkeypatch.setattr(tasks, "_lighteval_download_dataset_worker", lambda task: seen.append(task) or "orig")
    other = LightevalTask(task_module.TASKS_TABLE[0])
    other.name = "gsm8k"
    assert LightevalTask.download_dataset_worker(other) == "orig" and seen == [other]


def test_import_stops_a_model_that_is_not_a_vlm(tiny_dataset, monkeypatch, load_tasks, tmp_path):
    transformers = pytest.importorskip("transformers")
    text_model = tmp_path / "text-only"
    transformers.LlamaConfig(hidden_size=8, num_hidden_layers=1, num_attention_heads=1).save_pretrained(text_model)
    argv = ["lighteval", "accelerate", f"model_name={text_model}", "pet2rep:fused|0", "--vision-model"]
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(SystemExit, match=r"model_type 'llama'.* is not a vision-language model"):
        load_tasks("pet2rep_tasks_text_model")


def test_import_stops_text_only_backends(tiny_dataset, monkeypatch, load_tasks):
    monkeypatch.setattr(sys, "argv", ["lighteval", "vllm", "model_name=m", "pet2rep|0", "--custom-tasks", "x.py"])
    monkeypatch.delenv(glue.ALLOW_TEXT_ONLY_ENV, raising=False)
    with pytest.raises(SystemExit, match=r"only `lighteval accelerate \.\.\. --vision-model` passes Doc\.images"):
        load_tasks("pet2rep_tasks_argv")


def _aggregate(task_module, task_name, predictions, shape="str"):
    """Run lighteval's own metric path (apply_metric, MetricsLogger.aggregate) on given generations."""
    from lighteval.logging.info_loggers import MetricsLogger
    from lighteval.metrics import apply_metric
    from lighteval.models.model_output import ModelResponse
    from lighteval.tasks.lighteval_task import LightevalTask

    task = LightevalTask(next(c for c in task_module.TASKS_TABLE if c.name == task_name))
    docs = task.eval_docs()
    if shape == "str":  # VLM backend; the pipeline's reasoning-tag pass makes a list of characters
        responses = [ModelResponse(text=p, text_post_processed=list(p)) for p in predictions]
    else:  # other backends: lists, post-processed per item
        responses = [ModelResponse(text=[p], text_post_processed=[glue.strip_reasoning(p)]) for p in predictions]
    logger = MetricsLogger()
    for output in apply_metric(responses=responses, docs=docs[: len(predictions)], metrics=list(task.metrics)):
        logger.log(f"{task_name}|0", output)
    logger.aggregate({f"{task_name}|0": task}, bootstrap_iters=1000)
    return dict(logger.metric_aggregated[f"{task_name}|0"]), docs


PREDICTIONS = [
    "<think>先看图</think>脑形态、结构正常，FDG摄取未见明显异常。两肺见结节，FDG摄取增高。",
    "",
    "甲状腺FDG摄取未见异常。胃壁FDG摄取增高。左肾FDG摄取缺失。",
    "肝脏FDG摄取未见异常。",
]


@pytest.mark.parametrize("shape", ["str", "list"])
def test_metric_grouping_equals_pet2rep_metrics_score(task_module, shape):
    from pet2rep.metrics import score

    result, docs = _aggregate(task_module, "pet2rep:fused", PREDICTIONS, shape)
    cleaned = [glue.strip_reasoning(p) for p in PREDICTIONS]
    expected = score(cleaned, [d.get_golds()[0] for d in docs], lang="zh")
    assert set(result) == set(HEADLINE_METRICS) | {f"{n}_std" for n in HEADLINE_METRICS}  # no bootstrap stderr
    for name in HEADLINE_METRICS:
        assert result[name] == expected[name]
        assert result[f"{name}_std"] == expected[f"{name}_std"]
    assert result["ce_f1"] > 0 and result["bleu_4"] > 0  # the predictions overlap the references


def test_english_task_scores_in_english(task_module):
    from pet2rep.metrics import score

    predictions = ["Increased FDG uptake in the lung.", "Absent FDG uptake in the left kidney.", "Normal."]
    result, docs = _aggregate(task_module, "pet2rep_en:mip", predictions)
    expected = score(predictions, [d.get_golds()[0] for d in docs[:3]], lang="en")
    assert {name: result[name] for name in HEADLINE_METRICS} == {name: expected[name] for name in HEADLINE_METRICS}


def test_empty_generations_score_zero(task_module):
    result, _ = _aggregate(task_module, "pet2rep:separate", ["", "", "<think>only thinking</think>", ""])
    assert {name: result[name] for name in HEADLINE_METRICS} == dict.fromkeys(HEADLINE_METRICS, 0.0)
