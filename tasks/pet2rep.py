"""
name:
PET2Rep

dataset:
$PET2REP_DATASET (a Hub dataset id or a local `pet2rep build` folder; default: the local build data/pet2rep)

abstract:
Whole-body FDG PET/CT report generation: from three coronal key slices (fused PET/CT, separate CT and PET, or a PET
MIP plus fused slices) a vision-language model writes the structured nuclear medicine report, zero-shot, prompted
with the benchmark's instruction and report template. Scored with BLEU-4, METEOR, ROUGE-L and the clinical efficacy
of the organ-level FDG uptake findings (CE precision, recall, F1).

languages:
chinese, english

tags:
medical, multimodal, generation, report-generation, radiology, pet-ct

paper:
https://arxiv.org/abs/2508.04062

usage:
lighteval accelerate "model_name=Qwen/Qwen2.5-VL-7B-Instruct,dtype=bfloat16" "pet2rep|0" \
    --custom-tasks tasks/pet2rep.py --vision-model --save-details --output-dir results/lighteval
Tasks: pet2rep:fused, pet2rep:separate, pet2rep:mip, pet2rep:lesion (planes through the lesions; Chinese reports, the
benchmark) and pet2rep_en:<config> (English reports, rows with `report_en`). Offline, run `pet2rep-lighteval` instead
of `lighteval`
(same arguments). See docs/lighteval.md. Scoring protocol: $PET2REP_PROTOCOL (default pet2rep; petrg3d reports
PETRG-3D's NLG metrics x100 under the names petrg3d_<metric>, see docs/metrics.md).
"""

from __future__ import annotations

import sys
from pathlib import Path

from lighteval.metrics.metrics_corpus import CorpusLevelComputation
from lighteval.metrics.sample_preparator import GenerativeCorpusMetricInput, Preparator
from lighteval.metrics.utils.metric_utils import CorpusLevelMetricGrouping
from lighteval.tasks.lighteval_task import LightevalTask, LightevalTaskConfig
from lighteval.tasks.requests import Doc, SamplingMethod

from pet2rep import lighteval as glue
from pet2rep import prompts
from pet2rep.errors import InputError
from pet2rep.vocab import HEADLINE_METRICS, IMAGE_CONFIGS

_problems = glue.invocation_problems(sys.argv)  # an image-dropping backend, a model that is not a VLM
if _problems:
    raise SystemExit("pet2rep: error: " + " ".join(_problems))

DATASET = glue.resolve_dataset(repo_root=Path(__file__).resolve().parents[1])
try:
    PROTOCOL = glue.resolve_protocol()  # $PET2REP_PROTOCOL: the scoring protocol of the metrics
except InputError as e:
    raise SystemExit(f"pet2rep: error: ${glue.PROTOCOL_ENV}: {e}") from e
GENERATION_SIZE = 1024
# Bump with any change of the prompt (pet2rep.prompts.PROMPT_VERSION) or of the metric definitions: lighteval keys
# cached predictions on the task config.
VERSION = prompts.PROMPT_VERSION


def _download_dataset_worker(task: LightevalTask):
    """lighteval's dataset loader, for the pet2rep tasks through pet2rep.dataset.load.load_split.

    That reads a local build fresh (datasets 5.2 would serve a stale cache after a rebuild) and stops the run
    with a clear message when the folder, the config or a column is missing, before the model is loaded.
    """
    if task.name.partition(":")[0] not in glue.SUITES:
        return _lighteval_download_dataset_worker(task)
    from datasets import DatasetDict

    from pet2rep.errors import Pet2RepError

    _, config, lang = glue.parse_task_name(task.name)
    try:
        ds = glue.load_split(
            task.dataset_path, config, split=glue.SPLIT, columns=(*glue.REQUIRED_COLUMNS, glue.REPORT_COLUMN[lang])
        )
    except Pet2RepError as e:
        raise SystemExit(f"pet2rep: error: task {task.name}: {e}") from e
    return DatasetDict({glue.SPLIT: ds})


_lighteval_download_dataset_worker = getattr(
    LightevalTask.download_dataset_worker, "_lighteval_original", LightevalTask.download_dataset_worker
)
_download_dataset_worker._lighteval_original = _lighteval_download_dataset_worker
LightevalTask.download_dataset_worker = staticmethod(_download_dataset_worker)


def pet2rep_prompt(line: dict, task_name: str) -> Doc | None:
    """One dataset row -> the Doc: official instruction and template, images in model order, case id kept."""
    fields = glue.doc_fields(line, task_name)
    if fields is None:  # an English task on a row without an English report
        return None
    return Doc(task_name=task_name, **fields)


class Pet2RepPreparator(Preparator):
    """Keeps (reference, generated report) per sample, under every metric name of the grouping.

    An empty or missing generation becomes "" (it scores 0).
    """

    version = VERSION

    def __init__(self, metric_names=HEADLINE_METRICS):
        self.metric_names = tuple(metric_names)

    def prepare(self, doc: Doc, model_response, **kwargs) -> dict[str, GenerativeCorpusMetricInput]:
        prediction = glue.response_text(model_response.text, model_response.text_post_processed)
        item = GenerativeCorpusMetricInput(golds=[doc.get_golds()[0]], preds=[prediction])
        return dict.fromkeys(self.metric_names, item)

    def __str__(self) -> str:
        return f"Pet2RepPreparator(version={self.version})"

    __repr__ = __str__  # the task config hash (prediction cache key) is built from str/repr of these objects


class Pet2RepCorpus(CorpusLevelComputation):
    """All metrics at once with pet2rep.metrics.score (the same numbers), plus their standard deviations."""

    def __init__(self, lang: str, protocol: str = glue.DEFAULT_PROTOCOL):
        self.lang = lang
        self.protocol = protocol

    def compute_corpus(self, items: list[GenerativeCorpusMetricInput]) -> dict[str, float]:
        preds = [i.preds[0] for i in items]
        return glue.corpus_scores(preds, [i.golds[0] for i in items], lang=self.lang, protocol=self.protocol)

    def __str__(self) -> str:
        if self.protocol == glue.DEFAULT_PROTOCOL:  # unchanged, so existing prediction caches stay valid
            return f"Pet2RepCorpus(lang={self.lang}, version={VERSION})"
        return f"Pet2RepCorpus(lang={self.lang}, protocol={self.protocol}, version={VERSION})"

    __repr__ = __str__


def pet2rep_metrics(lang: str, protocol: str = PROTOCOL) -> CorpusLevelMetricGrouping:
    corpus = Pet2RepCorpus(lang, protocol)
    names = glue.metric_names(protocol)
    return CorpusLevelMetricGrouping(
        metric_name=list(names),
        higher_is_better=dict.fromkeys(names, True),
        category=SamplingMethod.GENERATIVE,
        sample_level_fn=Pet2RepPreparator(names),
        corpus_level_fn=dict.fromkeys(names, corpus),
    )


def _task(suite: str, config: str) -> LightevalTaskConfig:
    return LightevalTaskConfig(
        name=f"{suite}:{config}",
        prompt_function=pet2rep_prompt,
        hf_repo=DATASET,
        hf_subset=config,
        hf_avail_splits=[glue.SPLIT],
        evaluation_splits=[glue.SPLIT],
        few_shots_split=None,
        few_shots_select=None,
        generation_size=GENERATION_SIZE,
        stop_sequence=[],
        metrics=[pet2rep_metrics(glue.SUITES[suite])],
        version=VERSION,
    )


TASKS_TABLE = [_task(suite, config) for suite in glue.SUITES for config in IMAGE_CONFIGS]
