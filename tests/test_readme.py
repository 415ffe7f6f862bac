"""The README's commands and snippets work as written, in the environment the README says to have at that point.

The environment of a step is ``make demo``'s (the extras its install line in the Makefile names), plus what a
``make TARGET`` or ``pip install -e '.[EXTRAS]'`` line earlier in the same block installs. Each step runs with the
Python of a virtual environment that holds only those extras' distributions (:mod:`pet2rep.testing.extras_env`,
linked from the test environment, nothing installed), so a step that needs a package its stated environment lacks
fails here. Every ``pet2rep`` command line is parsed by the real CLI parser, every ``make`` target exists, every
lighteval command line passes pet2rep's invocation check. Steps are run for real in a scratch folder, in README
order; a server (``pet2rep view``) builds its app without launching; a step that needs the network (``pet2rep
publish`` of a dataset) runs up to its offline refusal; a Hub VLM on a GPU is parsed only; the tiny-VLM lighteval
run is limited to 2 cases per task (``--max-samples``), the rest as written.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import re
import shlex
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from pet2rep.cli import build_parser
from pet2rep.extras import project_requirements
from pet2rep.lighteval import check_invocation
from pet2rep.testing.extras_env import make_extras_env

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")
MAKEFILE = (REPO / "Makefile").read_text(encoding="utf-8")
_ASSIGNMENT = re.compile(r"^[A-Z_][A-Z0-9_]*=")
#: What a README bash step may change about the environment, and nothing else may.
_ENV_PROGRAMS = ("make", "pip", "source")


def fenced(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", README, flags=re.S)


def block_commands(block: str) -> list[tuple[list[str], dict[str, str]]]:
    """Each command of a block as (argv, env assignments), continuation lines joined."""
    commands = []
    for line in block.replace("\\\n", " ").splitlines():
        argv = shlex.split(line, comments=True)
        assignments = {}
        while argv and _ASSIGNMENT.match(argv[0]):
            key, _, value = argv.pop(0).partition("=")
            assignments[key] = value
        if argv:
            commands.append((argv, assignments))
    return commands


def shell_commands(lang: str = "bash") -> list[list[str]]:
    """Each command of the README's blocks of ``lang`` as argv, env assignments dropped."""
    return [argv for block in fenced(lang) for argv, _ in block_commands(block)]


def commands_of(program: str, lang: str = "bash") -> list[list[str]]:
    return [argv for argv in shell_commands(lang) if argv[0] == program]


def make_installs(target: str) -> set[str]:
    """The pet2rep extras ``make target`` installs: those of the ``-e '.[...]'`` line of each stamp it depends on."""
    m = re.search(rf"^{re.escape(target)}:([^\n]*)", MAKEFILE, flags=re.M)
    assert m, f"the Makefile has no target {target!r}"
    extras: set[str] = set()
    for prerequisite in m.group(1).replace("|", " ").split():
        stamp = re.search(rf"^{re.escape(prerequisite)}:.*\n((?:\t.*\n)+)", MAKEFILE, flags=re.M)
        if stamp:
            for found in re.findall(r"-e '\.\[([\w,]+)\]'", stamp.group(1)):
                extras.update(found.split(","))
    return extras


DEMO_EXTRAS = frozenset(make_installs("demo"))


def pip_installs(argv: list[str]) -> set[str]:
    """The pet2rep extras of a ``pip install -e '.[EXTRAS]' ...`` line."""
    assert argv[:2] == ["pip", "install"], f"only `pip install` may change a README step's environment: {argv}"
    extras = set()
    for arg in argv[2:]:
        m = re.fullmatch(r"(?:\.|pet2rep)\[([\w,]+)\]", arg)
        if m:
            extras.update(m.group(1).split(","))
    return extras


def steps() -> list[tuple[list[str], dict[str, str], frozenset[str]]]:
    """Every bash command of the README in order with its env assignments and the extras of its environment."""
    found = []
    for block in fenced("bash"):
        extras = set(DEMO_EXTRAS)
        for argv, assignments in block_commands(block):
            if argv[0] == "make":
                extras |= make_installs(argv[1])
            elif argv[0] == "pip":
                extras |= pip_installs(argv)
            found.append((argv, assignments, frozenset(extras)))
    return found


def test_readme_has_the_commands_it_promises():
    programs = {argv[0] for argv in shell_commands()}
    assert {"make", "pet2rep", "lighteval", "pet2rep-lighteval", "python", "pip"} <= programs
    first_block = fenced("bash")[0]
    assert "make demo" in first_block and "make test" in first_block
    assert "source .venv/bin/activate" in first_block  # the commands below are the environment's
    assert {argv[1] for argv in commands_of("source")} == {".venv/bin/activate"}


def test_every_make_target_exists():
    targets = {m.group(1) for m in re.finditer(r"^([A-Za-z][\w-]*):", MAKEFILE, flags=re.M)}
    used = {argv[1] for argv in commands_of("make")}
    assert used, "no make command found in the README"
    assert used <= targets, f"README uses make targets the Makefile lacks: {sorted(used - targets)}"


def test_the_demo_installs_no_torch_and_the_lighteval_demo_adds_it():
    assert {"hf", "metric", "space"} == DEMO_EXTRAS
    assert make_installs("lighteval-demo") >= DEMO_EXTRAS | {"eval"}
    assert make_installs("space") == DEMO_EXTRAS  # `make space` runs in the demo's environment


def test_the_stated_environments_use_defined_extras():
    _, defined = project_requirements("pet2rep", metadata.distribution("pet2rep"))
    for argv, _, extras in steps():
        assert extras <= defined, f"{' '.join(argv)}: undefined extras {sorted(extras - defined)}"


@pytest.mark.parametrize(
    "argv", commands_of("pet2rep") + commands_of("pet2rep", "sh"), ids=lambda argv: " ".join(argv[:2])
)
def test_every_pet2rep_command_parses(argv):
    args = build_parser().parse_args(argv[1:])
    assert callable(args.func)


@pytest.mark.parametrize(
    "argv",
    commands_of("lighteval") + commands_of("pet2rep-lighteval"),
    ids=lambda argv: argv[0],
)
def test_every_lighteval_command_passes_the_invocation_check(argv):
    assert "--vision-model" in argv and "--custom-tasks" in argv
    tasks = argv[argv.index("--custom-tasks") + 1]
    # a task file of the checkout, or the module the wheel ships (what lighteval imports when no such file exists)
    assert (REPO / tasks).is_file() or tasks == "pet2rep.lighteval.tasks"
    assert importlib.util.find_spec("pet2rep.lighteval.tasks") is not None
    assert check_invocation(["lighteval", *argv[1:]], environ={}) == []


def test_the_lighteval_demo_runs_the_readmes_commands():
    """`make lighteval-demo`'s recipe is the README's tiny-VLM block, command for command."""
    block = next(b for b in fenced("bash") if b.startswith("make lighteval-demo"))
    readme = [(argv, {k: v for k, v in env.items() if not k.startswith("HF_")}) for argv, env in block_commands(block)]
    recipe = re.search(r"^lighteval-demo:.*\n((?:\t.*\n)+)", MAKEFILE, flags=re.M).group(1)
    variables = dict(re.findall(r"^(\w+) := (.*)$", MAKEFILE, flags=re.M))
    made = []
    for line in recipe.replace("\\\n", " ").splitlines():
        line = line.strip()
        if line.startswith("@"):
            continue
        line = line.replace("$(OFFLINE) ", "").replace("$(BIN)/", "")
        for name, value in variables.items():
            line = line.replace(f"$({name})", value)
        made.extend(block_commands(line))
    assert made == readme[1:]


def test_python_module_commands_exist():
    modules = [argv[2] for argv in commands_of("python") if argv[1] == "-m"]
    assert "pet2rep.testing" in modules
    for module in modules:
        out = subprocess.run([sys.executable, "-m", module, "--help"], capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr


def test_every_python_snippet_compiles():
    snippets = fenced("python")
    assert len(snippets) >= 4
    for snippet in snippets:
        compile(snippet, "<README>", "exec")


# ---- the steps, run in the environment the README states -------------------------------------------------------


def how(argv: list[str], extras: frozenset[str]) -> str:
    """How the walkthrough exercises a step: ``run``, ``app`` (build, no launch), ``offline`` (runs up to its
    refusal to go online), ``lighteval`` (run in the lighteval test), ``env`` (changes the environment) or
    ``parse`` (a Hub VLM on a GPU: parsed and invocation-checked only)."""
    if argv[0] in _ENV_PROGRAMS:
        return "env"
    if argv[0] == "lighteval":
        return "parse"
    if "eval" in extras and (argv[0] in ("pet2rep-lighteval", "python") or argv[:2] == ["pet2rep", "submission"]):
        return "lighteval"
    if argv[:2] == ["pet2rep", "view"]:
        return "app"
    if argv[:2] == ["pet2rep", "publish"] and "--dry-run" not in argv:
        return "offline"
    if argv[0] == "pet2rep":
        return "run"
    raise AssertionError(f"the README step {' '.join(argv)!r} is exercised by no test: add it to how()")


def test_every_step_is_exercised():
    kinds = [how(argv, extras) for argv, _, extras in steps()]
    assert {"run", "app", "offline", "lighteval", "env", "parse"} == set(kinds)


def environment_python(tmp_path_factory, extras) -> tuple[Path, dict[str, str]]:
    python = make_extras_env(tmp_path_factory.mktemp("env"), sorted(extras))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return python, env


def program_argv(python: Path, argv: list[str]) -> list[str]:
    """The step's command line with the environment's Python (console scripts through their entry point)."""
    entry_points = metadata.entry_points(group="console_scripts")
    scripts = {e.name: e.value for e in entry_points if e.module.split(".")[0] == "pet2rep"}
    if argv[0] == "python":
        return [str(python), *argv[1:]]
    module, _, func = scripts[argv[0]].partition(":")
    code = f"import sys; from {module} import {func} as main; sys.argv[0] = {argv[0]!r}; sys.exit(main())"
    return [str(python), "-c", code, *argv[1:]]


VIEW_APP = """
import sys
from pet2rep.cli import build_parser
from pet2rep.extras import project_requirements
from pet2rep.viewer import CaseStore, build_app, load_models
args = build_parser().parse_args(sys.argv[1:])
models = load_models(args.predictions)
store = CaseStore(args.data, args.config)
app = build_app(store, models)
print(type(app).__name__, len(store.references), sorted(models))
"""


@pytest.fixture(scope="module")
def demo_env(tmp_path_factory):
    return environment_python(tmp_path_factory, DEMO_EXTRAS)


def test_the_demo_environment_is_only_the_demos(demo_env):
    python, env = demo_env
    code = "import datasets, evaluate, gradio, pet2rep; import importlib.util as u; print(u.find_spec('torch'))"
    out = subprocess.run([python, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0 and out.stdout.strip() == "None", out.stderr[-2000:]
    for missing in ("torch", "transformers", "lighteval", "pydicom", "pytest"):
        out = subprocess.run([python, "-c", f"import {missing}"], env=env, capture_output=True, text=True)
        assert out.returncode != 0 and f"No module named '{missing}'" in out.stderr


@pytest.fixture(scope="module")
def walkthrough(tmp_path_factory, demo_env):
    """The README's steps in order, run as written in a scratch folder with its own datasets cache."""
    work = tmp_path_factory.mktemp("readme")
    for folder in ("metrics", "tasks"):  # the README's commands run in the repository root
        (work / folder).symlink_to(REPO / folder, target_is_directory=True)
    python, base_env = demo_env
    base_env = {**base_env, "HF_DATASETS_CACHE": str(work / "hf_datasets"), "PYTHONUNBUFFERED": "1"}
    ran = []
    for argv, assignments, extras in steps():
        kind = how(argv, extras)
        if kind in ("env", "parse", "lighteval"):
            continue
        assert extras == DEMO_EXTRAS, f"{' '.join(argv)}: expected make demo's environment, got {sorted(extras)}"
        env = {**base_env, **assignments}
        if kind == "app":
            for value in build_parser().parse_args(argv[1:]).predictions:
                # the demo's predictions (tests/demo checks the demo writes them there): the walkthrough's baseline
                path = work / value.rpartition("=")[2]
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes((work / "results" / "baseline" / "fused.jsonl").read_bytes())
            command = [str(python), "-c", VIEW_APP, *argv[1:]]
        else:
            command = program_argv(python, ["python", "-m", "pet2rep", *argv[1:]])
        out = subprocess.run(command, cwd=work, env=env, capture_output=True, text=True, timeout=900)
        detail = f"{' '.join(argv)}:\n{out.stdout[-2000:]}\n{out.stderr[-2000:]}"
        if kind == "offline":
            assert out.returncode == 1 and "HF_HUB_OFFLINE is set: publishing needs the network" in out.stderr, detail
        else:
            assert out.returncode == 0, f"failed in make demo's environment: {detail}"
        ran.append((argv[1], out.stdout))
    order = [name for name, _ in ran]
    assert order[:3] == ["synth", "render", "build"], f"README walkthrough order changed: {order}"
    assert {"baseline", "score", "ce", "view", "publish"} <= set(order)
    return work, base_env, dict(ran)


@pytest.mark.slow
def test_walkthrough_writes_what_the_readme_says(walkthrough):
    work, _, printed = walkthrough
    assert len(list((work / "data" / "synthetic").glob("*/report.txt"))) == 24
    assert len(list((work / "results" / "slices").glob("*.json"))) == 24
    assert (work / "data" / "pet2rep" / "README.md").is_file()
    for config in ("fused", "separate", "mip", "volumes"):
        assert list((work / "data" / "pet2rep" / config).glob("test-*-of-*.parquet")), config
    assert len((work / "results" / "baseline" / "fused.jsonl").read_text(encoding="utf-8").splitlines()) == 24
    assert '"ce_f1"' in (work / "results" / "scores.json").read_text(encoding="utf-8")
    assert (work / "results" / "metric_space" / "pet2rep_ce.py").is_file()
    assert printed["view"].startswith("Blocks 24 ")


def _snippet_imports(snippet: str) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(snippet)):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.slow
@pytest.mark.parametrize("index", range(len(fenced("python"))))
def test_python_snippet_runs_in_the_demo_environment(walkthrough, demo_env, index):
    work, env, _ = walkthrough
    python, _ = demo_env
    snippet = fenced("python")[index]
    if "gradio_client" in snippet:  # needs a running Space (tests/space/test_app.py): its imports only
        snippet = "\n".join(f"import {name}" for name in sorted(_snippet_imports(snippet)))
    out = subprocess.run([python, "-c", snippet], cwd=work, env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, f"README snippet failed in make demo's environment:\n{snippet}\n{out.stderr[-3000:]}"


@pytest.mark.slow
def test_the_lighteval_steps_run_in_the_lighteval_demo_environment(walkthrough, tmp_path_factory):
    """The tiny-VLM block in `make lighteval-demo`'s environment, on the walkthrough's build (2 cases per task)."""
    pytest.importorskip("lighteval")
    work, base_env, _ = walkthrough
    lighteval_steps = [(argv, env, extras) for argv, env, extras in steps() if how(argv, extras) == "lighteval"]
    assert [argv[0] for argv, _, _ in lighteval_steps] == ["python", "pet2rep-lighteval", "pet2rep"]
    python, _ = environment_python(tmp_path_factory, lighteval_steps[0][2])
    for argv, assignments, _ in lighteval_steps:
        if argv[0] == "pet2rep-lighteval":
            argv = [*argv, "--max-samples", "2"]
        command = program_argv(python, ["python", "-m", "pet2rep", *argv[1:]] if argv[0] == "pet2rep" else argv)
        env = {**base_env, **assignments, "HF_HOME": str(work / "hf_home")}  # lighteval's caches: the scratch's
        out = subprocess.run(command, cwd=work, env=env, capture_output=True, text=True, timeout=900)
        assert out.returncode == 0, f"{' '.join(argv)}:\n{out.stdout[-2000:]}\n{out.stderr[-3000:]}"
    submissions = sorted(p.name for p in (work / "results" / "submission").glob("*.jsonl"))
    assert submissions == ["fused.jsonl", "separate.jsonl"]
    rows = [json.loads(line) for line in (work / "results" / "submission" / "fused.jsonl").read_text().splitlines()]
    assert len(rows) == 2 and all(row["case_id"].startswith("synth_") for row in rows)
