"""Library side of the lighteval tasks: pure helpers, no lighteval import at module level.

The task module itself is :mod:`pet2rep.lighteval.tasks` (``lighteval accelerate ... --custom-tasks
pet2rep.lighteval.tasks``; a checkout's ``tasks/pet2rep.py`` re-exports it): it is the only module here that imports
lighteval, and nothing imports it but lighteval. One module per concern:

- :mod:`~pet2rep.lighteval.task`: a dataset row -> the fields of a lighteval ``Doc`` (:func:`doc_fields`), task
  names (:data:`SUITES`, :func:`parse_task_name`);
- :mod:`~pet2rep.lighteval.scores`: the text of a model response whatever the backend returns
  (:func:`response_text`), the scoring protocol and the corpus scores the task reports (:func:`corpus_scores`);
- :mod:`~pet2rep.lighteval.invocation`: checks of the lighteval command line (:func:`check_invocation`,
  :func:`invocation_problems`, :func:`preflight`): backends that drop images, a model that is not a VLM, a missing
  dataset;
- :mod:`~pet2rep.lighteval.offline`: lighteval 0.13.0's downloads at import time, made offline-safe;
- :mod:`~pet2rep.lighteval.details`: lighteval's details files read back (:func:`collect_submissions`) for
  ``pet2rep submission``;
- :mod:`~pet2rep.lighteval.benchmark`: the benchmark version the tasks carry (pet2rep version, the test set's
  content hash: :func:`dataset_content_hash`) and read back from a results file (:func:`results_benchmark`);
- :mod:`~pet2rep.lighteval.launcher`: ``pet2rep-lighteval ARGS`` / ``python -m pet2rep.lighteval ARGS``.

The names below are the task module's API (it imports this package as ``glue``); the dataset location and loader
(:func:`resolve_dataset`, :func:`load_split`, :data:`SPLIT`) live in :mod:`pet2rep.dataset.load` and are listed here
for it. Every import inside this package is absolute: ``lighteval`` always means the library.
"""

from __future__ import annotations

from pet2rep.dataset.load import SPLIT, load_split, resolve_dataset
from pet2rep.lighteval.benchmark import BENCHMARK_FIELDS, dataset_content_hash, results_benchmark
from pet2rep.lighteval.details import collect_submissions, find_details, read_details, results_file, submission_meta
from pet2rep.lighteval.invocation import (
    ALLOW_TEXT_ONLY_ENV,
    TEXT_ONLY_COMMANDS,
    check_invocation,
    invocation_problems,
    model_problem,
    preflight,
)
from pet2rep.lighteval.launcher import main
from pet2rep.lighteval.offline import TINY_BENCHMARKS_URL, skip_nltk_downloads_offline, skip_tiny_benchmarks_download
from pet2rep.lighteval.scores import (
    DEFAULT_REASONING_TAGS,
    PROTOCOL_ENV,
    corpus_scores,
    metric_names,
    resolve_protocol,
    response_text,
    strip_reasoning,
)
from pet2rep.lighteval.task import REPORT_COLUMN, REQUIRED_COLUMNS, SUITES, doc_fields, parse_task_name
from pet2rep.text.protocols import DEFAULT_PROTOCOL

__all__ = [
    "ALLOW_TEXT_ONLY_ENV",
    "BENCHMARK_FIELDS",
    "DEFAULT_PROTOCOL",
    "DEFAULT_REASONING_TAGS",
    "PROTOCOL_ENV",
    "REPORT_COLUMN",
    "REQUIRED_COLUMNS",
    "SPLIT",
    "SUITES",
    "TEXT_ONLY_COMMANDS",
    "TINY_BENCHMARKS_URL",
    "check_invocation",
    "collect_submissions",
    "corpus_scores",
    "dataset_content_hash",
    "doc_fields",
    "find_details",
    "invocation_problems",
    "load_split",
    "main",
    "metric_names",
    "model_problem",
    "parse_task_name",
    "preflight",
    "read_details",
    "resolve_dataset",
    "resolve_protocol",
    "response_text",
    "results_benchmark",
    "results_file",
    "skip_nltk_downloads_offline",
    "skip_tiny_benchmarks_download",
    "strip_reasoning",
    "submission_meta",
]
