"""The ``pet2rep_ce`` evaluate module as a Hub Space, so that ``evaluate.load("ORG/pet2rep_ce")`` finds it.

An evaluate metric Space is a Gradio Space (card YAML ``sdk: gradio``, ``tags: [evaluate, metric]``) whose root
holds the module file ``pet2rep_ce.py``; ``evaluate.load("ORG/pet2rep_ce")`` downloads that file and runs it on the
caller's machine, where ``pet2rep`` must be installed (evaluate names it when it is not). The Space itself runs
``app.py``, a widget over the same file. :func:`write_metric_space` lays the folder out:

- ``pet2rep_ce.py``, ``app.py``, ``README.md`` (the metric card with the Space YAML): the files of
  ``metrics/pet2rep_ce/`` (a wheel carries them inside the package);
- ``pet2rep/``: the package source that is running, vendored (pet2rep is not on PyPI; the Space then runs the
  exact code that wrote it, as the leaderboard Space bundle does). It is importable on the Space because Gradio
  starts ``app.py`` from the Space's root folder;
- ``requirements.txt``: pet2rep's own dependencies and those of its ``hf`` and ``metric`` extras, with
  pyproject.toml's version bounds (gradio comes from the card's ``sdk_version``);
- ``SPACE_MANIFEST.json``: every file with its SHA-256.

:func:`publish_metric` writes it to a temporary folder and uploads it (:mod:`pet2rep.hub`).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from pathlib import Path

from pet2rep import __version__
from pet2rep.errors import InputError, MissingFileError
from pet2rep.metric_module import METRIC_NAME, PACKAGED_METRIC, metric_path

#: The files of ``metrics/pet2rep_ce/`` that go to the Space as they are.
SPACE_FILES = (f"{METRIC_NAME}.py", "app.py", "README.md")
#: The extras whose requirements the module needs on the Space (besides pet2rep's own).
SPACE_EXTRAS = ("hf", "metric")
MANIFEST = "SPACE_MANIFEST.json"
_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo", ".*")


def _source_files() -> dict[str, Path]:
    folder = metric_path().parent
    found = {name: folder / name for name in SPACE_FILES}
    missing = [str(path) for path in found.values() if not path.is_file()]
    if missing:
        raise MissingFileError(
            f"the metric Space needs {', '.join(SPACE_FILES)} beside the module; missing: {', '.join(missing)}"
        )
    return found


def space_requirements() -> list[str]:
    """The requirement lines of the Space: pet2rep's dependencies and those of :data:`SPACE_EXTRAS`, as declared
    (from the running checkout's pyproject.toml, else the installed metadata), pet2rep itself left out."""
    from importlib import metadata

    from packaging.requirements import Requirement

    from pet2rep.extras import project_requirements

    lines, _ = project_requirements("pet2rep", metadata.distribution("pet2rep"))
    wanted: list[str] = []
    for line in lines:
        req = Requirement(line)
        if req.name == "pet2rep":
            continue
        if req.marker is None or any(req.marker.evaluate({"extra": extra}) for extra in SPACE_EXTRAS):
            text = f"{req.name}{req.specifier}" if req.specifier else req.name
            if text not in wanted:
                wanted.append(text)
    return wanted


def write_metric_space(out: str | Path, repo_id: str) -> list[str]:
    """Write the Space folder for ``repo_id`` into ``out`` (created; it must not exist or be empty, or hold an
    earlier one, which is replaced).

    Returns:
        The folder's files (relative paths, sorted).

    Raises:
        InputError: ``out`` is a file, or a non-empty folder that is not an earlier metric Space.
        MissingFileError: the module's files cannot be found.
    """
    out = Path(out)
    if out.exists():
        if not out.is_dir():
            raise InputError(f"{out} is a file; expected a folder for the metric Space")
        if any(out.iterdir()):
            if not (out / MANIFEST).is_file():
                raise InputError(f"{out} is not empty and holds no earlier metric Space ({MANIFEST}); choose another")
            shutil.rmtree(out)
    sources = _source_files()
    package = Path(__file__).resolve().parent
    out.mkdir(parents=True, exist_ok=True)
    for name, path in sources.items():
        shutil.copyfile(path, out / name)
    shutil.copytree(package, out / "pet2rep", ignore=_IGNORE)
    # the vendored package does not need a second copy of the module inside it
    shutil.rmtree(out / "pet2rep" / PACKAGED_METRIC[0], ignore_errors=True)
    requirements = [
        f"# {repo_id}: the evaluate module {METRIC_NAME} (pet2rep {__version__}, vendored in pet2rep/)",
        "# gradio comes from the card's sdk_version",
        *space_requirements(),
    ]
    (out / "requirements.txt").write_text("\n".join(requirements) + "\n", encoding="utf-8")
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    manifest = {f: hashlib.sha256((out / f).read_bytes()).hexdigest() for f in files}
    (out / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return sorted([*files, MANIFEST])


def publish_metric(
    repo_id: str,
    *,
    private: bool = False,
    token: str | None = None,
    endpoint: str | None = None,
    commit_message: str | None = None,
) -> str:
    """Upload the metric Space to ``repo_id`` (``create_repo(repo_type="space", space_sdk="gradio")`` +
    ``upload_folder``).

    Returns:
        The Space's URL.

    Raises:
        InputError: a bad ``repo_id``. HubError: offline mode, no token, the Hub unreachable or refusing it.
    """
    from pet2rep.hub import check_repo_id, upload_folder

    check_repo_id(repo_id, "--metric", f"my-lab/{METRIC_NAME}")
    with tempfile.TemporaryDirectory(prefix="pet2rep-metric-space-") as tmp:
        write_metric_space(Path(tmp) / "space", repo_id)
        return upload_folder(
            str(Path(tmp) / "space"),
            repo_id,
            repo_type="space",
            space_sdk="gradio",
            private=private,
            token=token,
            endpoint=endpoint,
            commit_message=commit_message or f"Upload the {METRIC_NAME} evaluate module (pet2rep {__version__})",
        )


__all__ = ["MANIFEST", "SPACE_FILES", "publish_metric", "space_requirements", "write_metric_space"]
