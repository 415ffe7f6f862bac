"""The ``pet2rep.lighteval`` package: its entry points, and that it never stands in for the ``lighteval`` library."""

from __future__ import annotations

import ast
import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

import pet2rep.lighteval

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    tomllib = pytest.importorskip("tomli")

PACKAGE_DIR = Path(pet2rep.lighteval.__file__).parent
REPO_ROOT = Path(__file__).resolve().parents[2]
# an unknown config: refused by the preflight check, before lighteval is imported
BAD_TASK = ["accelerate", "model_name=x", "pet2rep:volumes|0", "--vision-model"]


def _run(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT / "src"), "HF_HUB_OFFLINE": "1"}
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env, timeout=120, check=False)


def test_every_import_in_the_package_is_absolute():
    relative = []
    for path in sorted(PACKAGE_DIR.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level:
                relative.append(f"{path.name}:{node.lineno}")
    assert relative == []
    assert len(list(PACKAGE_DIR.glob("*.py"))) >= 7  # __init__, __main__ and the five concerns, launcher included


def test_lighteval_is_the_library_not_this_package():
    pytest.importorskip("lighteval")
    import lighteval

    assert Path(lighteval.__file__).resolve().parent != PACKAGE_DIR.resolve()
    assert "src/pet2rep" not in Path(lighteval.__file__).resolve().as_posix()


def test_the_console_script_points_at_the_launcher():
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    module, _, attr = pyproject["project"]["scripts"]["pet2rep-lighteval"].partition(":")
    assert getattr(importlib.import_module(module), attr) is pet2rep.lighteval.main


def test_python_dash_m_runs_the_launcher():
    result = _run("-m", "pet2rep.lighteval", *BAD_TASK)
    assert result.returncode == 2
    assert "pet2rep: error: unknown pet2rep task 'pet2rep:volumes'" in result.stderr
    assert "deprecated" not in result.stderr


def test_the_0_1_0_command_still_runs_with_a_note():
    result = _run("-m", "pet2rep.lighteval_glue", *BAD_TASK)
    assert result.returncode == 2
    assert "`python -m pet2rep.lighteval_glue` is deprecated; run `pet2rep-lighteval`" in result.stderr
    assert "pet2rep: error: unknown pet2rep task 'pet2rep:volumes'" in result.stderr


def test_importing_the_old_module_says_where_the_names_went():
    with pytest.raises(ImportError, match=r"import from pet2rep\.lighteval"):
        importlib.import_module("pet2rep.lighteval_glue")
