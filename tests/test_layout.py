"""The library's layout rules (issue 11): the library imports neither the Space nor the CLI, and no module of
``src/pet2rep`` grows past 600 lines without saying why in its docstring."""

from __future__ import annotations

import ast
from pathlib import Path

import pet2rep

SRC = Path(pet2rep.__file__).resolve().parent
MAX_LINES = 600
#: A module over MAX_LINES says why in its docstring, in a sentence starting with this.
LONG_MODULE_REASON = "Over 600 lines:"


def _library_modules():
    return sorted(SRC.rglob("*.py"))


def _imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_the_library_imports_neither_the_space_nor_the_cli():
    offenders = []
    for path in _library_modules():
        rel = path.relative_to(SRC).as_posix()
        if rel.startswith("cli/") or rel == "__main__.py":  # the CLI itself and `python -m pet2rep`
            continue
        imported = _imported(path)
        if any(n == "pet2rep.cli" or n.startswith("pet2rep.cli.") for n in imported):
            offenders.append(f"{rel}: imports the CLI")
        if any(n.split(".")[0] in ("pet2rep_space", "space") for n in imported):
            offenders.append(f"{rel}: reaches into the Space")
        if "sys.path" in path.read_text(encoding="utf-8"):  # how the old demo reached space/
            offenders.append(f"{rel}: edits sys.path")
    assert offenders == []


def test_no_module_is_over_600_lines_without_a_reason():
    long = []
    for path in _library_modules():
        text = path.read_text(encoding="utf-8")
        if text.count("\n") > MAX_LINES and LONG_MODULE_REASON not in (ast.get_docstring(ast.parse(text)) or ""):
            long.append(f"{path.relative_to(SRC).as_posix()}: {text.count(chr(10))} lines")
    assert long == []


def test_the_demo_is_a_script_of_the_repository_not_a_module():
    assert not (SRC / "demo.py").exists()
    assert (SRC.parents[1] / "demo" / "run_demo.py").is_file() or not (SRC.parents[1] / "demo").exists()
