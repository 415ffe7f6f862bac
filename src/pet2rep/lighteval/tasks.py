"""
name:
PET2Rep

dataset:
$PET2REP_DATASET (a Hub dataset id or a local `pet2rep build` folder; default: the local build data/pet2rep in the
working directory)

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
    --custom-tasks pet2rep.lighteval.tasks --vision-model --save-details --output-dir results/lighteval
Tasks: pet2rep:fused, pet2rep:separate, pet2rep:mip, pet2rep:lesion (planes through the lesions; Chinese reports, the
benchmark) and pet2rep_en:<config> (English reports, rows with `report_en`). Offline, run `pet2rep-lighteval` instead
of `lighteval` (same arguments). In a source checkout `--custom-tasks tasks/pet2rep.py` also works (its default
dataset is the checkout's data/pet2rep). See docs/lighteval.md. Scoring protocol: $PET2REP_PROTOCOL (default pet2rep;
petrg3d reports PETRG-3D's NLG metrics x100 under the names petrg3d_<metric>, see docs/metrics.md).
Each task config carries pet2rep_version and dataset_content_hash (the test set's parquet files): lighteval's
prediction cache is keyed on them and the results file records them under config_tasks.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from lighteval.metrics.metrics_corpus import CorpusLevelComputation
from lighteval.metrics.sample_preparator import GenerativeCorpusMetricInput, Preparator
from lighteval.metrics.utils.metric_utils import CorpusLevelMetricGrouping
from lighteval.tasks.lighteval_task import LightevalTask, LightevalTaskConfig
from lighteval.tasks.requests import Doc, SamplingMethod

from pet2rep import __version__, prompts
from pet2rep import lighteval as glue
from pet2rep.errors import InputError
from pet2rep.lighteval.benchmark import dataset_content_hash
from pet2rep.vocab import HEADLINE_METRICS, IMAGE_CONFIGS

GENERATION_SIZE = 1024
# Bump with any change of the prompt (pet2rep.prompts.PROMPT_VERSION) or of the metric definitions: lighteval keys
# cached predictions on the task config.
VERSION = prompts.PROMPT_VERSION


def check_command_line(argv: list[str] | None = None) -> str:
    """Stop a lighteval run the pet2rep tasks cannot serve; return the scoring protocol (``$PET2REP_PROTOCOL``).

    Run when lighteval imports the task module (this one, or ``tasks/pet2rep.py`` of a checkout).

    Raises:
        SystemExit: an image-dropping backend, a model that is not a VLM, an unknown task config or protocol.
    """
    problems = glue.invocation_problems(sys.argv if argv is None else argv)
    if problems:
        raise SystemExit("pet2rep: error: " + " ".join(problems))
    try:
        return glue.resolve_protocol()
    except InputError as e:
        raise SystemExit(f"pet2rep: error: ${glue.PROTOCOL_ENV}: {e}") from e


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


# Installed once per process, whichever of this module and tasks/pet2rep.py is imported first or again.
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


def pet2rep_metrics(lang: str, protocol: str = glue.DEFAULT_PROTOCOL) -> CorpusLevelMetricGrouping:
    corpus = Pet2RepCorpus(lang, protocol)
    names = glue.metric_names(protocol)
    return CorpusLevelMetricGrouping(
        metric_name=list(names),
        higher_is_better=dict.fromkeys(names, True),
        category=SamplingMethod.GENERATIVE,
        sample_level_fn=Pet2RepPreparator(names),
        corpus_level_fn=dict.fromkeys(names, corpus),
    )


@dataclass
class Pet2RepTaskConfig(LightevalTaskConfig):
    """A lighteval task config plus the benchmark version it runs: the pet2rep version, the test set's content hash.

    lighteval hashes the text of every field (``LightevalTaskConfig.__str__``) into the key of its prediction cache,
    so a dataset rebuilt with other content (or another pet2rep version) never reuses old generations, while an
    unchanged rebuild does; and it writes the fields into the results file (``config_tasks``). A field of our own
    rather than ``hf_revision``, which lighteval's own loader would pass to ``load_dataset`` as a Hub revision.
    """

    pet2rep_version: str = __version__
    dataset_content_hash: str | None = None


def task_config(suite: str, config: str, dataset: str, *, protocol: str, content_hash: str | None):
    """The config of task ``<suite>:<config>`` reading ``dataset`` (a resolved folder or Hub id)."""
    return Pet2RepTaskConfig(
        name=f"{suite}:{config}",
        prompt_function=pet2rep_prompt,
        hf_repo=dataset,
        hf_subset=config,
        hf_avail_splits=[glue.SPLIT],
        evaluation_splits=[glue.SPLIT],
        few_shots_split=None,
        few_shots_select=None,
        generation_size=GENERATION_SIZE,
        stop_sequence=[],
        metrics=[pet2rep_metrics(glue.SUITES[suite], protocol)],
        version=VERSION,
        pet2rep_version=__version__,
        dataset_content_hash=content_hash,
    )


def tasks_table(
    dataset: str | None = None, *, repo_root: str | Path | None = None, protocol: str | None = None
) -> list[Pet2RepTaskConfig]:
    """Every pet2rep task (both suites, every image config) on one dataset.

    Args:
        dataset: a Hub id or local folder; default ``$PET2REP_DATASET``, else ``data/pet2rep`` in the working
            directory (else under ``repo_root``, the checkout that holds ``tasks/pet2rep.py``).
        repo_root: see ``dataset``.
        protocol: the scoring protocol; default ``$PET2REP_PROTOCOL``, else ``pet2rep``.
    """
    dataset = glue.resolve_dataset(dataset, repo_root=repo_root)
    protocol = glue.resolve_protocol() if protocol is None else protocol
    content_hash = dataset_content_hash(dataset)
    return [
        task_config(suite, config, dataset, protocol=protocol, content_hash=content_hash)
        for suite in glue.SUITES
        for config in IMAGE_CONFIGS
    ]


PROTOCOL = check_command_line()
DATASET = glue.resolve_dataset()


def __getattr__(name: str):
    """``TASKS_TABLE``, built when lighteval first reads it (hashing a local dataset is not done at import)."""
    if name == "TASKS_TABLE":
        table = tasks_table(DATASET, protocol=PROTOCOL)
        globals()[name] = table
        return table
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
