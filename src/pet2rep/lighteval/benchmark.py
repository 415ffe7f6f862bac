"""The benchmark version of a lighteval run of the pet2rep tasks: the pet2rep version and the test set's content hash.

Both are fields of every pet2rep task config (:mod:`pet2rep.lighteval.tasks`), so they are part of lighteval's
prediction-cache key (a hash of the config's text) and land in the results file under ``config_tasks``;
:func:`results_benchmark` reads them back for ``pet2rep submission``.
"""

from __future__ import annotations

import json
from pathlib import Path

from pet2rep.dataset.load import looks_local

#: The fields of a pet2rep task config (and of the submission sidecar) that say which benchmark a run is on.
BENCHMARK_FIELDS = ("pet2rep_version", "dataset", "dataset_content_hash")


def dataset_content_hash(dataset: str) -> str | None:
    """The content hash of the test set a task reads.

    Args:
        dataset: a local ``pet2rep build`` folder or a Hub dataset id (what ``$PET2REP_DATASET`` names).

    Returns:
        For a local folder, :func:`pet2rep.dataset.parquet.content_hash` of its parquet files, computed now (a
        rebuild in place changes it, an unchanged rebuild does not). For a Hub id, the hash its dataset card
        records (``pet2rep publish`` checks that it matches the parquet files), read through ``huggingface_hub``:
        the Hub's current card online, the cached one offline. None when neither can be read (a path that does not
        exist, a Hub dataset not cached offline, a card without the line): the task is then keyed on its name.
    """
    from pet2rep.dataset.parquet import folder_content_hash

    local = folder_content_hash(dataset)
    if local is not None:
        return local
    if looks_local(dataset):
        return None
    try:
        from huggingface_hub import hf_hub_download

        from pet2rep.dataset.card import benchmark_version

        card = hf_hub_download(repo_id=dataset, filename="README.md", repo_type="dataset")
        recorded = benchmark_version(Path(card).parent)  # the card's pet2rep: block (or its text, older builds)
        return recorded.content_hash if recorded is not None else None
    # OSError: offline and not cached, no such repository, no network (huggingface_hub's HTTP and "not found"
    # errors are OSErrors); ValueError: not a valid repository id. The key then falls back to the id.
    except (ImportError, OSError, ValueError):
        return None


def results_benchmark(results_file: str | Path, task: str) -> dict[str, str | None]:
    """:data:`BENCHMARK_FIELDS` of ``task`` (``pet2rep:fused``) from a lighteval results JSON's ``config_tasks``.

    Values a results file lacks (written by an older pet2rep, or by another task file) are None.
    """
    return benchmark_of_results(json.loads(Path(results_file).read_text(encoding="utf-8")), task)


def benchmark_of_results(data: dict, task: str) -> dict[str, str | None]:
    """:func:`results_benchmark` of an already parsed results JSON."""
    configs = data.get("config_tasks") or {}
    config = next((configs[k] for k in (f"{task}|0", f"{task}:0", task) if k in configs), None) or {}
    if not isinstance(config, dict):
        config = {}
    found = {"pet2rep_version": config.get("pet2rep_version"), "dataset": config.get("hf_repo")}
    found["dataset_content_hash"] = config.get("dataset_content_hash")
    return found


__all__ = [
    "BENCHMARK_FIELDS",
    "benchmark_of_results",
    "dataset_content_hash",
    "results_benchmark",
]
