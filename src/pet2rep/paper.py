"""The PET2Rep paper's published results (Table 1 of arXiv 2508.04062), bundled with the package.

The numbers were measured by the paper's authors on their private 565-case cohort. They are reference
points for the leaderboard and the demo, not something this project can recompute.

Each row is a dict with ``model`` (str), ``released`` (``"YYYY-MM"`` or None), ``category``
(``baseline``, ``general``, ``medical`` or ``closed``), ``setting`` (``separate``, ``fused`` or
``template`` for the baseline), the six metrics of :data:`pet2rep.vocab.HEADLINE_METRICS` and their ``<metric>_std`` as
floats, and ``overall_pct`` (the paper's "Overall (%)", as printed).
"""

from __future__ import annotations

import csv
import io
from importlib import resources

from pet2rep.errors import InputError
from pet2rep.vocab import HEADLINE_METRICS

#: The input settings of Table 1 (``template`` is the baseline's single row).
PAPER_SETTINGS = ("separate", "fused", "template")
PAPER_URL = "https://arxiv.org/abs/2508.04062"
#: The paper's title as published (arXiv 2508.04062, AAAI 2026; "Drived" is the authors' spelling).
PAPER_TITLE = (
    "PET2Rep: Towards Vision-Language Model-Drived Automated Radiology Report Generation for Positron Emission "
    "Tomography"
)
#: BibTeX of the paper, for dataset cards, the metric module and the README.
CITATION = """\
@inproceedings{zhang2026pet2rep,
  title     = {{PET2Rep}: Towards Vision-Language Model-Drived Automated Radiology Report Generation for Positron
               Emission Tomography},
  author    = {Zhang, Yichi and Zhang, Wenbo and Ling, Zehui and Feng, Gang and Peng, Sisi and Chen, Deshu and
               Liu, Yuchen and Zhang, Hongwei and Wang, Shuqi and Li, Lanlan and Han, Limei and Cheng, Yuan and
               Hu, Zixin and Qi, Yuan and Xue, Le},
  booktitle = {Proceedings of the AAAI Conference on Artificial Intelligence},
  year      = {2026},
  eprint    = {2508.04062},
  archivePrefix = {arXiv}
}"""

_RESOURCE = "paper_table1.csv"
_TEXT_COLUMNS = ("model", "released", "category", "setting")
_FLOAT_COLUMNS = (*(name for metric in HEADLINE_METRICS for name in (metric, f"{metric}_std")), "overall_pct")


def load_table1() -> list[dict]:
    """Read the bundled copy of the paper's Table 1.

    Returns:
        One dict per row, in the paper's order (the template baseline first).

    Raises:
        InputError: if the bundled file lacks a column or holds a value that is not a number.
    """
    text = resources.files("pet2rep").joinpath("resources", _RESOURCE).read_text(encoding="utf-8")
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in (*_TEXT_COLUMNS, *_FLOAT_COLUMNS) if c not in (reader.fieldnames or ())]
    if missing:
        raise InputError(f"{_RESOURCE}: missing columns {missing}; found {reader.fieldnames}")
    rows = []
    for line_no, raw in enumerate(reader, start=2):
        row: dict = {c: (raw[c].strip() or None) for c in _TEXT_COLUMNS}
        for column in _FLOAT_COLUMNS:
            try:
                row[column] = float(raw[column])
            except (TypeError, ValueError) as e:
                raise InputError(
                    f"{_RESOURCE} line {line_no}: column {column!r} should be a number, got {raw[column]!r}"
                ) from e
        rows.append(row)
    return rows


def baseline_row() -> dict:
    """The template baseline's row of Table 1 (the bar a model has to beat)."""
    for row in load_table1():
        if row["category"] == "baseline":
            return row
    raise InputError(f"{_RESOURCE}: no row with category 'baseline'")
