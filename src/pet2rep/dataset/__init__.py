"""The pet2rep dataset in the Hugging Face Hub layout (the ``hf`` extra's part of the library).

One module per concern, the arrows running one way (``schema`` <- ``rows`` <- ``build`` -> ``parquet``, ``card``):

- :mod:`~pet2rep.dataset.schema`: configs, columns (``datasets.Features``), encoding settings;
- :mod:`~pet2rep.dataset.rows`: one case -> its rows in every config (volumes loaded once);
- :mod:`~pet2rep.dataset.splits`: cases per split (``test``, or ``splits.json``);
- :mod:`~pet2rep.dataset.parquet`: deterministic shards written as rows arrive, the content hash;
- :mod:`~pet2rep.dataset.card`: the dataset card (YAML header + ``card_template.md``);
- :mod:`~pet2rep.dataset.build`: ``pet2rep build``, streaming cases to the shards (memory flat in the cohort size);
- :mod:`~pet2rep.dataset.load`: the one loader of a build's split (local folder, Hub id or registered bare name);
- :mod:`~pet2rep.dataset.publish`: ``pet2rep publish`` (the only part touching the Hub);
- :mod:`~pet2rep.dataset.builder`: the ``datasets`` builder class (``dataset_script/pet2rep.py`` re-exports it),
  :mod:`~pet2rep.dataset.script`: where that file is;
- :mod:`~pet2rep.dataset.failures`: cases left out, with reasons.

``datasets``, ``pyarrow``, ``yaml`` and ``huggingface_hub`` are imported inside the functions that need them (only
:mod:`~pet2rep.dataset.builder` imports ``datasets`` at module level), so importing this package stays cheap.
"""

from __future__ import annotations

import importlib

# name -> submodule; imported on first use (PEP 562), so ``pet2rep.dataset.load`` stays as cheap as it looks.
_EXPORTS = {
    "BuildSummary": "build",
    "build_dataset": "build",
    "describe": "build",
    "parse_size": "build",
    "BenchmarkVersion": "card",
    "benchmark_version": "card",
    "card_metadata": "card",
    "card_text": "card",
    "read_card": "card",
    "CaseFailure": "failures",
    "load_split": "load",
    "register_cache": "load",
    "SplitWriter": "parquet",
    "content_hash": "parquet",
    "dataset_files": "parquet",
    "check_build": "publish",
    "publish": "publish",
    "case_fields": "rows",
    "case_rows": "rows",
    "ce_labels": "rows",
    "encode_nifti": "rows",
    "encode_png": "rows",
    "DATASET_CONFIGS": "schema",
    "DEFAULT_CONFIG": "schema",
    "features": "schema",
    "builder_path": "script",
    "load_builder_class": "script",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
