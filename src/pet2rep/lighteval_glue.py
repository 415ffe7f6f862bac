"""Library side of the lighteval task (``tasks/pet2rep.py``): pure helpers, no lighteval import at module level.

- where the dataset is (:func:`resolve_dataset`, environment variable ``PET2REP_DATASET``);
- a dataset row -> the fields of a lighteval ``Doc`` (:func:`doc_fields`), with clear errors for rows that lack
  what the benchmark needs;
- the text of a model response whatever the backend returns (:func:`response_text`) and the corpus scores the
  task reports (:func:`corpus_scores`, from :func:`pet2rep.metrics.score`);
- a check of the lighteval command line (:func:`check_invocation`): backends that drop images, missing dataset;
- reading lighteval's details files back (:func:`read_details`) for ``pet2rep submission``;
- ``python -m pet2rep.lighteval_glue ARGS``: runs ``lighteval ARGS`` with the offline fixes below and a
  preflight check of the model and dataset.

lighteval 0.13.0 quirks handled here (see docs/lighteval.md): importing its task registry downloads
``tinyBenchmarks.pkl`` (fails offline) and calls ``nltk.download("punkt")`` (fails or hangs offline); the VLM
backend returns ``ModelResponse.text`` as a ``str`` (other backends a list), and the pipeline's reasoning-tag pass
then iterates that string character by character; docs are shuffled and renumbered, so the case id travels in
``Doc.specific``.
"""

from __future__ import annotations

import io
import os
import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pet2rep import prompts
from pet2rep.dataset.load import (  # noqa: F401 - re-exported: the task file and the CLI use them from here
    DATASET_ENV,
    DEFAULT_DATASET,
    SPLIT,
    dataset_problem,
    load_split,
    looks_local,
    resolve_dataset,
)
from pet2rep.errors import InputError, MissingFileError
from pet2rep.reports import REPORT_COLUMNS
from pet2rep.text.protocols import DEFAULT_PROTOCOL, check_protocol
from pet2rep.vocab import HEADLINE_METRICS, IMAGE_CONFIGS

#: Task suites: Chinese reports (the benchmark) and English reports (``report_en``).
SUITES = {"pet2rep": "zh", "pet2rep_en": "en"}
#: The dataset column holding each language's reference report.
REPORT_COLUMN = REPORT_COLUMNS
REQUIRED_COLUMNS = ("case_id", "images")

#: lighteval commands whose backends build text-only prompts and silently drop ``Doc.images``.
TEXT_ONLY_COMMANDS = ("vllm", "sglang", "nanotron", "endpoint")
ALLOW_TEXT_ONLY_ENV = "PET2REP_ALLOW_TEXT_ONLY"
#: The scoring protocol of the tasks' metrics (pet2rep.text.protocols); default "pet2rep".
PROTOCOL_ENV = "PET2REP_PROTOCOL"
DEFAULT_REASONING_TAGS = (("<think>", "</think>"),)
TINY_BENCHMARKS_URL = (
    "https://raw.githubusercontent.com/felipemaiapolo/tinyBenchmarks/main/tinyBenchmarks/tinyBenchmarks.pkl"
)


# --- dataset -------------------------------------------------------------------------------------------------


# --- rows -> Doc fields ----------------------------------------------------------------------------------------


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


# --- responses and scores ----------------------------------------------------------------------------------------


def strip_reasoning(text: str, tag_pairs: Sequence[tuple[str, str]] = DEFAULT_REASONING_TAGS) -> str:
    """Remove ``<think>...</think>`` spans (lighteval's default reasoning tags) from a generation."""
    for start, end in tag_pairs:
        text = re.sub(re.escape(start) + r".*?" + re.escape(end), "", text, flags=re.DOTALL)
    return text


def response_text(text: Any, text_post_processed: Any = None) -> str:
    """The generated report of one lighteval model response, whatever shape the backend gave it.

    Args:
        text: ``ModelResponse.text``: a ``str`` (VLM backend), a list of strings (other backends) or None.
        text_post_processed: ``ModelResponse.text_post_processed``: None when reasoning-tag removal is off, else
            a list (for a ``str`` text lighteval makes it a list of single characters, which is undone here).

    Returns:
        The report ("" for an empty or missing generation, which then scores 0).
    """
    if isinstance(text, str):
        # lighteval 0.13.0 runs its reasoning-tag pass over the characters of a str: redo it on the whole text.
        return text if text_post_processed is None else strip_reasoning(text)
    for candidate in (text_post_processed, text):
        if candidate is not None and not isinstance(candidate, str) and len(candidate) > 0:
            first = candidate[0]
            return first if isinstance(first, str) else ""
    return ""


def resolve_protocol(environ: Mapping[str, str] | None = None) -> str:
    """The tasks' scoring protocol: ``$PET2REP_PROTOCOL``, else ``"pet2rep"``; InputError naming the valid ones."""
    environ = os.environ if environ is None else environ
    return check_protocol(environ.get(PROTOCOL_ENV) or DEFAULT_PROTOCOL).name


def metric_names(protocol: str = DEFAULT_PROTOCOL) -> tuple[str, ...]:
    """The task's metric names: :data:`HEADLINE_METRICS`, or under another protocol its keys prefixed ``<protocol>_``.

    The prefix keeps a ``petrg3d`` run's numbers (x100) from being read as ``pet2rep`` ones in lighteval's tables.
    """
    if protocol == DEFAULT_PROTOCOL:
        return HEADLINE_METRICS
    return tuple(f"{protocol}_{key}" for key, _ in check_protocol(protocol).columns)


def corpus_scores(
    predictions: Sequence[str], references: Sequence[str], lang: str = "zh", protocol: str = DEFAULT_PROTOCOL
) -> dict[str, float]:
    """The task's corpus result: :func:`metric_names` and their ``_std`` from :func:`pet2rep.metrics.score`.

    The numbers are those of ``pet2rep.metrics.score(predictions, references, lang=lang, protocol=protocol)``
    (default bootstrap and seed), only the keys differ in number (and carry the protocol's prefix).
    """
    from pet2rep.metrics import score

    result = score(list(predictions), list(references), lang=lang, return_per_sample=False, protocol=protocol)
    keys = HEADLINE_METRICS if protocol == DEFAULT_PROTOCOL else [k for k, _ in check_protocol(protocol).columns]
    out = {}
    for name, key in zip(metric_names(protocol), keys, strict=True):
        out[name] = float(result[key])
        if f"{key}_std" in result:  # corpus-level numbers (petrg3d's corpus BLEU) have no spread
            out[f"{name}_std"] = float(result[f"{key}_std"])
    return out


# --- command line -----------------------------------------------------------------------------------------------


# a pet2rep task in a comma-separated task list: pet2rep, pet2rep_en, pet2rep:fused, pet2rep:fused|0, ...
_TASK_SPEC = re.compile(r"(?:^|,)pet2rep(?:_en)?(?::\w+)?(?:\|\d+)?(?:,|$)")


def check_invocation(argv: Sequence[str], environ: Mapping[str, str] | None = None) -> list[str]:
    """Problems with a lighteval command line that runs pet2rep tasks (empty when fine or not such a run).

    Flags pet2rep task names whose config does not exist (``pet2rep:volumes``; lighteval answers those with a long
    traceback) and backends that silently drop the images (``vllm``, ``sglang``, ``nanotron``, ``endpoint``, and
    ``accelerate`` without ``--vision-model``) unless ``$PET2REP_ALLOW_TEXT_ONLY=1`` (a deliberate text-only
    ablation), and an unknown ``$PET2REP_PROTOCOL``. The caller decides what to do with them (the task file exits
    with the message).
    """
    environ = os.environ if environ is None else environ
    args = list(argv[1:])
    if not args or not any(_TASK_SPEC.search(a) for a in args[1:]):
        return []
    command = args[0]
    problems = _unknown_tasks(args[1:])
    text_only = command in TEXT_ONLY_COMMANDS or (command == "accelerate" and "--vision-model" not in args)
    try:
        resolve_protocol(environ)
    except InputError as e:
        problems.append(f"${PROTOCOL_ENV}: {e}")
    if text_only and environ.get(ALLOW_TEXT_ONLY_ENV) != "1":
        problems.append(
            f"`lighteval {command}` without images: the pet2rep tasks are image-to-report tasks and only "
            "`lighteval accelerate ... --vision-model` passes Doc.images to the model (lighteval 0.13.0's vllm, "
            "sglang, nanotron, endpoint and plain transformers backends drop them silently). Add --vision-model, "
            f"or set {ALLOW_TEXT_ONLY_ENV}=1 for a deliberate text-only run."
        )
    return problems


def _unknown_tasks(args: Sequence[str]) -> list[str]:
    """A message per ``pet2rep:<config>`` / ``pet2rep_en:<config>`` named in ``args`` whose config does not exist."""
    problems = []
    for arg in args:
        if not _TASK_SPEC.search(arg):
            continue
        for spec in arg.split(","):
            name = spec.split("|")[0].split("@")[0]
            if name.partition(":")[0] in SUITES and name not in SUITES:
                try:
                    parse_task_name(name)
                except InputError as e:
                    problems.append(str(e))
    return problems


def model_problem(model_name: str, *, trust_remote_code: bool = False) -> str | None:
    """A message when ``model_name`` resolves to a config that ``AutoModelForImageTextToText`` cannot load.

    Returns None when it can, or when the config cannot be read here (not cached offline): lighteval then
    reports what it finds.
    """
    transformers = __import__("transformers")
    from transformers.models.auto.modeling_auto import MODEL_FOR_IMAGE_TEXT_TO_TEXT_MAPPING_NAMES

    try:
        config = transformers.AutoConfig.from_pretrained(model_name, trust_remote_code=trust_remote_code)
    except (OSError, ValueError):
        return None
    auto_map = getattr(config, "auto_map", None) or {}
    if config.model_type in MODEL_FOR_IMAGE_TEXT_TO_TEXT_MAPPING_NAMES or "AutoModelForImageTextToText" in auto_map:
        return None
    return (
        f"model {model_name!r} (model_type {config.model_type!r}) is not a vision-language model: "
        "AutoModelForImageTextToText cannot load it, and PET2Rep needs a model that reads images"
    )


def _model_args(args: Sequence[str]) -> dict[str, str]:
    if len(args) < 2 or args[0] != "accelerate" or args[1].endswith(".yaml"):
        return {}
    spec = re.sub(r"generation_parameters=\{.*?\},?", "", args[1])
    return dict(item.split("=", 1) for item in spec.split(",") if "=" in item)


def _tasks_arg(args: Sequence[str]) -> list[tuple[str, str]]:
    """(suite, config) of every pet2rep task named on the command line (``pet2rep|0`` = all three)."""
    if len(args) < 3:
        return []
    found = []
    for spec in args[2].split(","):
        name = spec.split("|")[0].split("@")[0]
        if name in SUITES:
            found.extend((name, c) for c in IMAGE_CONFIGS)
        elif name.partition(":")[0] in SUITES and name.partition(":")[2] in IMAGE_CONFIGS:
            suite, _, config = name.partition(":")
            found.append((suite, config))
    return found


def invocation_problems(argv: Sequence[str], environ: Mapping[str, str] | None = None) -> list[str]:
    """:func:`check_invocation`, plus, for ``accelerate --vision-model``, whether the model is a VLM.

    What the task file checks when lighteval imports it (before the dataset and the model are loaded).
    """
    problems = check_invocation(argv, environ)
    args = list(argv[1:])
    vlm_run = args and args[0] == "accelerate" and "--vision-model" in args
    if not problems and vlm_run and any(_TASK_SPEC.search(a) for a in args[1:]):
        model_args = _model_args(args)
        model = model_args.get("model_name")
        if model:
            problem = model_problem(model, trust_remote_code=model_args.get("trust_remote_code") == "True")
            if problem:
                problems.append(problem)
    return problems


def _custom_tasks_arg(args: Sequence[str]) -> Path | None:
    for i, arg in enumerate(args):
        if arg == "--custom-tasks" and i + 1 < len(args):
            return Path(args[i + 1])
        if arg.startswith("--custom-tasks="):
            return Path(arg.split("=", 1)[1])
    return None


def preflight(args: Sequence[str]) -> list[str]:
    """Problems found before lighteval starts: invocation, model (VLM?) and dataset (configs, columns)."""
    problems = invocation_problems(["lighteval", *args])
    tasks = _tasks_arg(args)
    if tasks:
        task_file = _custom_tasks_arg(args)
        repo_root = task_file.resolve().parents[1] if task_file is not None else Path.cwd()
        dataset = resolve_dataset(repo_root=repo_root)
        problem = dataset_problem(dataset)
        if problem:
            problems.append(problem)
        elif looks_local(dataset):
            for suite, config in tasks:
                try:
                    load_split(dataset, config, columns=(*REQUIRED_COLUMNS, REPORT_COLUMN[SUITES[suite]]))
                except (InputError, MissingFileError) as e:
                    problems.append(str(e))
    return problems


def skip_tiny_benchmarks_download() -> None:
    """Make lighteval's registry import work offline.

    Importing lighteval's task registry instantiates the tinyBenchmarks metric, which downloads
    ``tinyBenchmarks.pkl`` from GitHub (a ConnectionError offline) into its package folder; lighteval 0.13.0 then
    reads the file from another, working-directory relative path, so the download serves nothing. This answers
    that one URL with a 404 (the metric then skips writing); every other request goes through.
    """
    import requests

    if getattr(requests.get, "_pet2rep_patched", False):
        return
    original = requests.get

    def get(url, *args, **kwargs):
        if url == TINY_BENCHMARKS_URL:
            response = requests.Response()
            response.status_code = 404
            response.url = url
            return response
        return original(url, *args, **kwargs)

    get._pet2rep_patched = True
    requests.get = get


def skip_nltk_downloads_offline() -> None:
    """With ``HF_HUB_OFFLINE`` set, make ``nltk.download`` a no-op that returns False (nothing is downloaded).

    Importing lighteval's task registry calls ``nltk.download("punkt")`` and ``("punkt_tab")`` (its ifeval tasks).
    Offline that prints ``[nltk_data] Error loading punkt`` at best and, where the network drops packets instead of
    refusing them, waits on connections with no timeout. The pet2rep tasks use no nltk data.
    """
    if os.environ.get("HF_HUB_OFFLINE", "").upper() not in ("1", "ON", "YES", "TRUE"):
        return
    import nltk

    if getattr(nltk.download, "_pet2rep_patched", False):
        return

    def download(*args, **kwargs) -> bool:
        return False

    download._pet2rep_patched = True
    nltk.download = download


def main(argv: list[str] | None = None) -> int:
    """``python -m pet2rep.lighteval_glue ARGS`` = ``lighteval ARGS``, offline-safe and with a preflight check."""
    args = list(sys.argv[1:] if argv is None else argv)
    problems = preflight(args) if args and args[0] == "accelerate" else check_invocation(["lighteval", *args])
    if problems:
        for problem in problems:
            print(f"pet2rep: error: {problem}", file=sys.stderr)
        return 2
    skip_tiny_benchmarks_download()
    skip_nltk_downloads_offline()
    from lighteval.__main__ import app

    sys.argv = ["lighteval", *args]
    try:
        app(args=args, prog_name="lighteval")
    except SystemExit as e:
        if isinstance(e.code, str):  # a message (the task file's dataset error): print it, as Python's exit would
            print(e.code, file=sys.stderr)
        return e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    return 0


# --- details -> submissions -------------------------------------------------------------------------------------


def find_details(results_dir: str | Path) -> list[Path]:
    """Every pet2rep details parquet under ``results_dir`` (a lighteval output dir, any level of it, or a file)."""
    root = Path(results_dir)
    if root.is_file():
        return [root]
    if not root.is_dir():
        raise MissingFileError(f"results folder {root} does not exist")
    return sorted(p for p in root.rglob("details_*.parquet") if _details_task(p) is not None)


def _details_task(path: Path) -> str | None:
    """``details_pet2rep:fused|0_2026-01-01T00-00-00.123.parquet`` -> ``pet2rep:fused``."""
    match = re.match(r"details_(pet2rep(?:_en)?:[a-z]+)\|\d+_", path.name)
    return match.group(1) if match else None


def read_details(path: str | Path) -> dict[str, str]:
    """case_id -> generated report from one lighteval details parquet of a pet2rep task.

    Raises:
        InputError: not a pet2rep details file (no ``doc.specific.case_id``), or a case id twice.
    """
    import pyarrow.parquet as pq

    path = Path(path)
    try:
        table = pq.read_table(path, columns=["doc", "model_response"])
    except (OSError, KeyError, ValueError) as e:
        raise InputError(f"{path}: not a lighteval details parquet with doc and model_response columns ({e})") from e
    reports: dict[str, str] = {}
    docs, responses = (table.column(c).to_pylist() for c in ("doc", "model_response"))
    for row, (doc, response) in enumerate(zip(docs, responses, strict=True)):
        specific = (doc or {}).get("specific") or {}
        case_id = specific.get("case_id")
        if not isinstance(case_id, str):
            raise InputError(f"{path}: row {row} has no doc.specific.case_id; is it a pet2rep task's details file?")
        if case_id in reports:
            raise InputError(f"{path}: case {case_id!r} appears twice")
        response = response or {}
        reports[case_id] = response_text(response.get("text"), response.get("text_post_processed"))
    return reports


def collect_submissions(results_dir: str | Path, *, model: str | None = None) -> dict[str, tuple[Path, dict]]:
    """task name -> (details file, case_id -> report), from the newest run of one model under ``results_dir``.

    Args:
        results_dir: lighteval's ``--output-dir`` (or its ``details/<model>[/<date>]`` folder, or one file).
        model: the model folder under ``details/`` (e.g. ``Qwen/Qwen2.5-VL-7B-Instruct``) when several models ran.

    Raises:
        InputError: no pet2rep details, or several models and none chosen.
    """
    files = find_details(results_dir)
    if model is not None:
        files = [f for f in files if f.parent.parent.as_posix().endswith("/" + model.strip("/"))]
    if not files:
        raise InputError(
            f"no pet2rep details parquet under {results_dir}"
            + (f" for model {model!r}" if model else "")
            + " (run lighteval with --save-details)"
        )
    models = sorted({f.parent.parent for f in files})
    if len(models) > 1:
        names = ", ".join(str(m) for m in models)
        raise InputError(f"details of several models under {results_dir}: {names}; choose one with --model")
    newest: dict[str, Path] = {}
    for f in files:  # date folders and file dates are ISO timestamps: the greatest is the newest
        task = _details_task(f)
        if task not in newest or (f.parent.name, f.name) > (newest[task].parent.name, newest[task].name):
            newest[task] = f
    return {task: (f, read_details(f)) for task, f in sorted(newest.items())}


if __name__ == "__main__":
    sys.exit(main())
