"""Checks of a lighteval command line that runs pet2rep tasks, before lighteval loads anything.

:func:`check_invocation` (task names, backends that drop the images, the protocol), :func:`invocation_problems`
(plus: is the model a VLM?), what the task module (``pet2rep.lighteval.tasks``) runs when lighteval imports it;
:func:`preflight` (plus: the dataset's configs and columns), what ``pet2rep-lighteval`` runs before it starts
lighteval.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from pet2rep.dataset.load import dataset_problem, load_split, looks_local, resolve_dataset
from pet2rep.errors import InputError, MissingFileError
from pet2rep.lighteval.scores import PROTOCOL_ENV, resolve_protocol
from pet2rep.lighteval.task import REPORT_COLUMN, REQUIRED_COLUMNS, SUITES, parse_task_name
from pet2rep.vocab import IMAGE_CONFIGS

#: lighteval commands whose backends build text-only prompts and silently drop ``Doc.images``.
TEXT_ONLY_COMMANDS = ("vllm", "sglang", "nanotron", "endpoint")
ALLOW_TEXT_ONLY_ENV = "PET2REP_ALLOW_TEXT_ONLY"

# a pet2rep task in a comma-separated task list: pet2rep, pet2rep_en, pet2rep:fused, pet2rep:fused|0, ...
_TASK_SPEC = re.compile(r"(?:^|,)pet2rep(?:_en)?(?::\w+)?(?:\|\d+)?(?:,|$)")


def check_invocation(argv: Sequence[str], environ: Mapping[str, str] | None = None) -> list[str]:
    """Problems with a lighteval command line that runs pet2rep tasks (empty when fine or not such a run).

    Flags pet2rep task names whose config does not exist (``pet2rep:volumes``; lighteval answers those with a long
    traceback) and backends that silently drop the images (``vllm``, ``sglang``, ``nanotron``, ``endpoint``, and
    ``accelerate`` without ``--vision-model``) unless ``$PET2REP_ALLOW_TEXT_ONLY=1`` (a deliberate text-only
    ablation), and an unknown ``$PET2REP_PROTOCOL``. The caller decides what to do with them (the task module
    exits with the message).
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

    What the task module checks when lighteval imports it (before the dataset and the model are loaded).
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


def _custom_tasks_arg(args: Sequence[str]) -> str | None:
    for i, arg in enumerate(args):
        if arg == "--custom-tasks" and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith("--custom-tasks="):
            return arg.split("=", 1)[1]
    return None


def _task_file_repo(custom_tasks: str | None) -> Path | None:
    """The checkout holding ``--custom-tasks tasks/pet2rep.py``; None for a module name (``pet2rep.lighteval.tasks``).

    lighteval reads ``--custom-tasks`` as a file when such a file exists, else as a module to import.
    """
    if custom_tasks is None or not Path(custom_tasks).is_file():
        return None
    return Path(custom_tasks).resolve().parents[1]


def preflight(args: Sequence[str]) -> list[str]:
    """Problems found before lighteval starts: invocation, model (VLM?) and dataset (configs, columns)."""
    problems = invocation_problems(["lighteval", *args])
    tasks = _tasks_arg(args)
    if tasks:
        dataset = resolve_dataset(repo_root=_task_file_repo(_custom_tasks_arg(args)))
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
