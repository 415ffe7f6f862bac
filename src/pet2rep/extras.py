"""pet2rep's declared requirements, per extra: what ``pip install -e '.[EXTRAS]'`` of this checkout asks for."""

from __future__ import annotations

from importlib import metadata
from pathlib import Path


def canonical(name: str) -> str:
    """A distribution name as PEP 503 compares them (``Foo_Bar`` -> ``foo-bar``)."""
    from packaging.utils import canonicalize_name

    return str(canonicalize_name(name))


def project_requirements(project: str, dist: metadata.Distribution) -> tuple[list[str], set[str]]:
    """The project's requirement lines and extras: from the ``pyproject.toml`` of the running source checkout
    when there is one (what ``pip install -e '.[...]'`` of it installs, even when the installed metadata predates
    an edit), else from the installed metadata."""
    pyproject = Path(__import__(project).__file__).resolve().parents[2] / "pyproject.toml"
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10: the installed metadata
        tomllib = None
    if tomllib is None or not pyproject.is_file():
        return list(dist.requires or []), set(dist.metadata.get_all("Provides-Extra") or [])
    table = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {})
    if canonical(table.get("name", "")) != canonical(project):
        return list(dist.requires or []), set(dist.metadata.get_all("Provides-Extra") or [])
    lines = list(table.get("dependencies", []))
    optional = table.get("optional-dependencies", {})
    for extra, reqs in optional.items():
        for req in reqs:
            body, _, marker = req.partition(";")
            condition = f'({marker.strip()}) and extra == "{extra}"' if marker.strip() else f'extra == "{extra}"'
            lines.append(f"{body.strip()}; {condition}")
    return lines, set(optional)


__all__ = ["canonical", "project_requirements"]
