"""A Python environment holding only what some of pet2rep's extras install, made from the current one by links.

``make demo`` installs ``pet2rep[hf,metric,space]``, ``make test`` everything. To check that a README step runs in
the smaller environment without installing a second one, :func:`extras_closure` walks the requirements of
``pet2rep[EXTRAS]`` through the installed distributions' metadata (``importlib.metadata``, markers evaluated), and
:func:`make_extras_env` creates a virtual environment (no pip) whose ``site-packages`` holds symbolic links to the
files of those distributions only, plus a ``.pth`` line for the pet2rep source that is running. Its Python then
imports exactly what a fresh ``pip install 'pet2rep[EXTRAS]'`` would give (at the versions of the current
environment): anything else is a ``ModuleNotFoundError``. Standard library, ``packaging`` and ``venv`` only.
"""

from __future__ import annotations

import os
import sys
import sysconfig
import venv
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path

from pet2rep.errors import InputError
from pet2rep.extras import canonical, project_requirements

PROJECT = "pet2rep"


def _installed() -> dict[str, metadata.Distribution]:
    found: dict[str, metadata.Distribution] = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name:
            found.setdefault(canonical(name), dist)
    return found


def extras_closure(extras: Iterable[str], project: str = PROJECT) -> dict[str, set[str]]:
    """The distributions ``pip install 'project[extras]'`` installs, from the metadata of the installed ones (and
    the project's own requirements from :func:`pet2rep.extras.project_requirements`).

    Requirements are followed transitively with their own extras (``pet2rep[hf]`` inside ``eval``,
    ``gradio[oauth]``); a requirement whose marker is false here is skipped, and so is one that is not installed
    in the current environment (it cannot be linked; :func:`make_extras_env` then lacks it too, which is the
    strict side).

    Returns:
        canonical distribution name -> the extras requested of it (``project`` included).

    Raises:
        InputError: an extra ``project`` does not define (the message lists the defined ones).
    """
    from packaging.requirements import Requirement

    installed = _installed()
    root = canonical(project)
    if root not in installed:
        raise InputError(f"{project} is not installed in {sys.prefix}; expected an installed distribution")
    requires, defined = project_requirements(project, installed[root])
    unknown = sorted(set(extras) - defined)
    if unknown:
        raise InputError(f"{project} has no extra(s) {', '.join(unknown)}; defined: {', '.join(sorted(defined))}")
    wanted: dict[str, set[str]] = {root: set(extras)}
    expanded: dict[str, set[str]] = {}
    todo = [root]
    while todo:
        name = todo.pop()
        if name in expanded and wanted[name] <= expanded[name]:
            continue
        expanded[name] = set(wanted[name])
        for line in requires if name == root else installed[name].requires or []:
            req = Requirement(line)
            if req.marker is not None and not any(
                req.marker.evaluate({"extra": extra}) for extra in ("", *sorted(wanted[name]))
            ):
                continue
            dep = canonical(req.name)
            if dep in installed:
                wanted.setdefault(dep, set()).update(req.extras)
                todo.append(dep)
    return wanted


def _site_packages(prefix: Path) -> Path:
    return Path(sysconfig.get_path("purelib", vars={"base": str(prefix), "platbase": str(prefix)}))


def _top_parts(dist: metadata.Distribution) -> set[tuple[str, ...]]:
    """The distribution's files as path parts relative to its site-packages (scripts outside it left out)."""
    parts = set()
    for file in dist.files or []:
        p = Path(file).parts
        if p and ".." not in p and not p[0].endswith(".pth"):
            parts.add(p)
    return parts


def make_extras_env(
    target: str | os.PathLike, extras: Iterable[str], project: str = PROJECT, *, include_project: bool = True
) -> Path:
    """Create a virtual environment at ``target`` that imports only ``project[extras]``'s distributions.

    Each distribution's top-level files and folders are linked from the current site-packages; a folder that
    several distributions share (a namespace package) is made real and filled with the allowed ones' entries.
    ``project`` itself comes from the source folder of the running copy (a ``.pth`` line), with its metadata;
    with ``include_project=False`` it is left out (its dependencies stay).

    Returns:
        The environment's Python executable.
    """
    from packaging.utils import canonicalize_name

    target = Path(target)
    allowed = set(extras_closure(extras, project))
    installed = _installed()
    source_site = Path(sysconfig.get_path("purelib"))  # the current environment's site-packages
    owners: dict[tuple[str, ...], set[str]] = {}
    files: dict[str, set[tuple[str, ...]]] = {}
    for name, dist in installed.items():
        if Path(dist._path).parent != source_site:  # type: ignore[attr-defined]
            continue
        files[name] = _top_parts(dist)
        for p in files[name]:
            for depth in range(1, len(p) + 1):
                owners.setdefault(p[:depth], set()).add(name)
    venv.EnvBuilder(with_pip=False, symlinks=True, clear=True).create(target)
    site = _site_packages(target)
    root = str(canonicalize_name(project))
    for name in sorted(allowed):
        for p in files.get(name, ()):
            if name == root and (not include_project or not p[0].endswith(".dist-info")):
                continue  # the package comes from the running source (below), not from an editable hook
            for depth in range(1, len(p) + 1):
                if owners[p[:depth]] <= allowed or depth == len(p):
                    link = site.joinpath(*p[:depth])
                    if not link.exists() and not link.is_symlink():
                        link.parent.mkdir(parents=True, exist_ok=True)
                        link.symlink_to(source_site.joinpath(*p[:depth]))
                    break
    if include_project:
        package_root = Path(__import__(project).__file__).resolve().parents[1]
        (site / f"_{project}_source.pth").write_text(f"{package_root}\n", encoding="utf-8")
    return target / "bin" / "python"


__all__ = ["canonical", "extras_closure", "make_extras_env"]
