"""A dataset row -> the fields of a lighteval ``Doc`` for the tasks ``pet2rep:<config>`` and ``pet2rep_en:<config>``.

:func:`doc_fields` gives clear errors for rows that lack what the benchmark needs. lighteval shuffles and renumbers
the docs, so the case id travels in ``Doc.specific``.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pet2rep import prompts
from pet2rep.errors import InputError
from pet2rep.reports import REPORT_COLUMNS
from pet2rep.vocab import IMAGE_CONFIGS

#: Task suites: Chinese reports (the benchmark) and English reports (``report_en``).
SUITES = {"pet2rep": "zh", "pet2rep_en": "en"}
#: The dataset column holding each language's reference report.
REPORT_COLUMN = REPORT_COLUMNS
REQUIRED_COLUMNS = ("case_id", "images")


def parse_task_name(task_name: str) -> tuple[str, str, str]:
    """``"pet2rep:fused"`` or ``"pet2rep_en:mip|0"`` -> ``(suite, config, lang)``."""
    name = task_name.split("|")[0]
    suite, _, config = name.partition(":")
    if suite not in SUITES or config not in IMAGE_CONFIGS:
        valid = ", ".join(f"{s}:{c}" for s in SUITES for c in IMAGE_CONFIGS)
        raise InputError(f"unknown pet2rep task {task_name!r}; expected one of {valid}")
    return suite, config, SUITES[suite]


def _as_image(value: Any, case_id: str, index: int):
    """A row's image as an RGB PIL image (grayscale CT slices too: not every VLM processor converts)."""
    from PIL import Image

    image = None
    if isinstance(value, Image.Image):
        image = value
    elif isinstance(value, Mapping) and value.get("bytes"):
        image = Image.open(io.BytesIO(value["bytes"]))
    elif isinstance(value, Mapping) and value.get("path") and Path(value["path"]).is_file():
        image = Image.open(value["path"])
    if image is not None:
        return image if image.mode == "RGB" else image.convert("RGB")
    raise InputError(
        f"case {case_id!r}: images[{index}] is {type(value).__name__}; expected a PIL image "
        "(an Image() feature) or {'bytes': ...}"
    )


def doc_fields(line: Mapping[str, Any], task_name: str) -> dict[str, Any] | None:
    """The fields of the lighteval ``Doc`` for one dataset row.

    Args:
        line: a row of a ``fused``/``separate``/``mip`` config (``case_id``, ``images`` in model order,
            ``report`` or ``report_en``, optionally ``image_names``).
        task_name: ``pet2rep:<config>`` (Chinese report) or ``pet2rep_en:<config>`` (English report).

    Returns:
        ``query`` (the instruction and template), ``instruction`` (the system prompt), ``choices`` (the
        reference report), ``gold_index``, ``images`` (PIL, model order) and ``specific`` (``case_id``,
        ``config``, ``lang``, ``image_names``); ``None`` for an English task on a row without an English report
        (lighteval skips it).

    Raises:
        InputError: the row lacks a column the benchmark needs, or its images do not fit the setting.
    """
    _, config, lang = parse_task_name(task_name)
    report_column = REPORT_COLUMN[lang]
    missing = [c for c in (*REQUIRED_COLUMNS, report_column) if c not in line]
    if missing:
        present = sorted(k for k in line if not str(k).startswith("__"))
        raise InputError(
            f"task {task_name}: the dataset row lacks column(s) {', '.join(missing)} (it has {', '.join(present)}); "
            f"a pet2rep dataset config has case_id, images, report, report_en (see `pet2rep build`)"
        )
    case_id = line["case_id"]
    if not isinstance(case_id, str) or not case_id:
        raise InputError(f"task {task_name}: case_id must be a non-empty string; got {case_id!r}")
    reference = line[report_column]
    if reference is None or (isinstance(reference, str) and not reference.strip()):
        if lang == "en":
            return None
        raise InputError(f"task {task_name}: case {case_id!r} has an empty {report_column!r}")
    if not isinstance(reference, str):
        raise InputError(f"task {task_name}: case {case_id!r}: {report_column} is {type(reference).__name__}")
    raw_images = line["images"]
    if not isinstance(raw_images, Sequence) or isinstance(raw_images, (str, bytes)) or not raw_images:
        raise InputError(f"task {task_name}: case {case_id!r}: images must be a non-empty list; got {raw_images!r}")
    images = [_as_image(value, case_id, i) for i, value in enumerate(raw_images)]
    try:
        query = prompts.user_prompt(config, lang, num_images=len(images))
    except InputError as e:
        raise InputError(f"task {task_name}: case {case_id!r}: {e}") from e
    image_names = line.get("image_names")
    return {
        "query": query,
        "instruction": prompts.system_prompt(lang),
        "choices": [reference],
        "gold_index": 0,
        "images": images,
        "specific": {
            "case_id": case_id,
            "config": config,
            "lang": lang,
            "image_names": list(image_names) if image_names is not None else None,
        },
    }
