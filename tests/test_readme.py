"""The README's commands and snippets work as written.

Every ``pet2rep`` command line of the README is parsed by the real CLI parser, every ``make`` target exists, every
lighteval command line passes pet2rep's invocation check, and the walkthrough (synth -> render -> build -> baseline
-> score) and the Python snippets are run for real in a scratch folder. What needs a network or a GPU (publish, a
Hub VLM) is parsed only; the tiny-VLM lighteval run is exercised end to end by tests/lighteval/test_e2e.py, the
gradio_client call by tests/space/test_app.py.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from pet2rep.cli import build_parser
from pet2rep.lighteval import check_invocation

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")
_ASSIGNMENT = re.compile(r"^[A-Z_][A-Z0-9_]*=")


def fenced(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", README, flags=re.S)


def shell_commands() -> list[list[str]]:
    """Each command of the README's bash blocks as argv, continuation lines joined, env assignments dropped."""
    commands = []
    for block in fenced("bash"):
        for line in block.replace("\\\n", " ").splitlines():
            argv = shlex.split(line, comments=True)
            while argv and _ASSIGNMENT.match(argv[0]):
                argv = argv[1:]
            if argv:
                commands.append(argv)
    return commands


def commands_of(program: str) -> list[list[str]]:
    return [argv for argv in shell_commands() if argv[0] == program]


def test_readme_has_the_commands_it_promises():
    programs = {argv[0] for argv in shell_commands()}
    assert {"make", "pet2rep", "lighteval", "pet2rep-lighteval", "python", "pip"} <= programs
    first_block = fenced("bash")[0]
    assert "make demo" in first_block and "make test" in first_block


def test_every_make_target_exists():
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    targets = {m.group(1) for m in re.finditer(r"^([A-Za-z][\w-]*):", makefile, flags=re.M)}
    used = {argv[1] for argv in commands_of("make")}
    assert used, "no make command found in the README"
    assert used <= targets, f"README uses make targets the Makefile lacks: {sorted(used - targets)}"


@pytest.mark.parametrize("argv", commands_of("pet2rep"), ids=lambda argv: " ".join(argv[:2]))
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
    assert (REPO / argv[argv.index("--custom-tasks") + 1]).is_file()
    assert check_invocation(["lighteval", *argv[1:]], environ={}) == []


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


@pytest.fixture(scope="module")
def walkthrough(tmp_path_factory):
    """The README's data walkthrough, run as written in a scratch folder with its own datasets cache."""
    work = tmp_path_factory.mktemp("readme")
    (work / "metrics").symlink_to(REPO / "metrics", target_is_directory=True)
    env = {**os.environ, "HF_DATASETS_CACHE": str(work / "hf_datasets"), "PYTHONUNBUFFERED": "1"}
    wanted = ("synth", "render", "build", "baseline", "score")
    ran = []
    for argv in commands_of("pet2rep"):
        if argv[1] not in wanted:
            continue
        out = subprocess.run(
            [sys.executable, "-m", "pet2rep", *argv[1:]], cwd=work, env=env, capture_output=True, text=True
        )
        assert out.returncode == 0, f"{' '.join(argv)} failed:\n{out.stdout[-2000:]}\n{out.stderr[-2000:]}"
        ran.append(argv[1])
    assert ran == list(wanted), f"README walkthrough order changed: {ran}"
    return work, env


@pytest.mark.slow
def test_walkthrough_writes_what_the_readme_says(walkthrough):
    work, _ = walkthrough
    assert len(list((work / "data" / "synthetic").glob("*/report.txt"))) == 24
    assert len(list((work / "results" / "slices").glob("*.json"))) == 24
    assert (work / "data" / "pet2rep" / "README.md").is_file()
    for config in ("fused", "separate", "mip", "volumes"):
        assert list((work / "data" / "pet2rep" / config).glob("test-*-of-*.parquet")), config
    assert len((work / "results" / "baseline" / "fused.jsonl").read_text(encoding="utf-8").splitlines()) == 24
    assert '"ce_f1"' in (work / "results" / "scores.json").read_text(encoding="utf-8")


@pytest.mark.slow
@pytest.mark.parametrize("index", range(len([s for s in fenced("python") if "gradio_client" not in s])))
def test_python_snippet_runs(walkthrough, index):
    work, env = walkthrough
    snippet = [s for s in fenced("python") if "gradio_client" not in s][index]
    out = subprocess.run([sys.executable, "-c", snippet], cwd=work, env=env, capture_output=True, text=True)
    assert out.returncode == 0, f"README snippet failed:\n{snippet}\n{out.stderr[-3000:]}"
