"""
name:
PET2Rep

dataset:
$PET2REP_DATASET (a Hub dataset id or a local `pet2rep build` folder; default: the local build data/pet2rep in the
working directory, else in this checkout)

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
The source checkout's copy of the task module pet2rep.lighteval.tasks, which an installed pet2rep runs by name
(`--custom-tasks pet2rep.lighteval.tasks`); this file only adds the checkout's data/pet2rep as the default dataset.
Tasks: pet2rep:fused, pet2rep:separate, pet2rep:mip, pet2rep:lesion (Chinese reports, the benchmark) and
pet2rep_en:<config> (English reports). Offline, run `pet2rep-lighteval` instead of `lighteval` (same arguments).
See docs/lighteval.md.
"""

from __future__ import annotations

from pathlib import Path

from pet2rep.lighteval import tasks as _tasks
from pet2rep.lighteval.tasks import (
    GENERATION_SIZE,
    VERSION,
    Pet2RepCorpus,
    Pet2RepPreparator,
    Pet2RepTaskConfig,
    pet2rep_metrics,
    pet2rep_prompt,
    task_config,
)

PROTOCOL = _tasks.check_command_line()  # again: the module may have been imported before, for another command
DATASET = _tasks.glue.resolve_dataset(repo_root=Path(__file__).resolve().parents[1])
TASKS_TABLE = _tasks.tasks_table(DATASET, protocol=PROTOCOL)

__all__ = [
    "DATASET",
    "GENERATION_SIZE",
    "PROTOCOL",
    "TASKS_TABLE",
    "VERSION",
    "Pet2RepCorpus",
    "Pet2RepPreparator",
    "Pet2RepTaskConfig",
    "pet2rep_metrics",
    "pet2rep_prompt",
    "task_config",
]
