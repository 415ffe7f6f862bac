"""The CE package keeps its public face and its layering: users import from ``pet2rep.text.ce`` as before the split
(the term tables live in ``pet2rep.text.ce.lexicon``), and each module imports only the modules before it in the
pipeline (``docs/ce.md`` §3 -> §9)."""

import ast
import importlib
from pathlib import Path

import pytest

import pet2rep.text.ce as ce
from pet2rep.vocab import ORGANS, STATES

PUBLIC = {
    "extract_uptake",
    "explain_uptake",
    "UptakeStatement",
    "ORGANS",
    "STATES",
    "label_matrix",
    "prf",
    "ce_scores",
    "ce_bootstrap_std",
    "clear_cache",
}
# The pipeline order of the package docstring: a module may import only the modules listed before it.
PIPELINE = ("sentences", "lexicon", "grammar", "mentions", "statements", "attachment", "extract")
ALLOWED = {name: set(PIPELINE[:i]) for i, name in enumerate(PIPELINE)} | {"scoring": set(), "audit": {"extract"}}
PACKAGE_DIR = Path(ce.__file__).parent


def test_public_names_import_from_the_package():
    namespace: dict = {}
    exec(f"from pet2rep.text.ce import {', '.join(sorted(PUBLIC))}", namespace)
    assert set(ce.__all__) == PUBLIC
    assert namespace["ORGANS"] is ORGANS and namespace["STATES"] is STATES
    statements = namespace["explain_uptake"]("肝脏FDG摄取增高。", "zh")
    assert [type(s) for s in statements] == [namespace["UptakeStatement"]]
    assert namespace["extract_uptake"]("肝脏FDG摄取增高。", "zh")["liver"] == {"increased"}


def _package_imports(path: Path) -> set[str]:
    """The modules of this package that ``path`` imports (``from pet2rep.text.ce import x`` / ``.x import ...``)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("pet2rep.text.ce"):
            rest = node.module.removeprefix("pet2rep.text.ce").lstrip(".")
            found.update([rest.split(".")[0]] if rest else [alias.name for alias in node.names])
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".")[3] for a in node.names if a.name.startswith("pet2rep.text.ce."))
    return found


def test_every_module_is_placed_in_the_layering():
    modules = {p.stem for p in PACKAGE_DIR.glob("*.py")} - {"__init__"}
    assert modules == set(ALLOWED)


@pytest.mark.parametrize("module", sorted(ALLOWED))
def test_modules_import_only_earlier_steps(module):
    imported = _package_imports(PACKAGE_DIR / f"{module}.py")
    assert imported <= ALLOWED[module], f"{module} imports {sorted(imported - ALLOWED[module])}"
    importlib.import_module(f"pet2rep.text.ce.{module}")  # and it imports
