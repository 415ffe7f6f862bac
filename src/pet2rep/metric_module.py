"""The ``evaluate`` module ``pet2rep_ce`` by its bare name: ``evaluate.load("pet2rep_ce")`` offline, from any folder.

evaluate 0.4.6 resolves a bare name (no slash) from the Hub's canonical ``evaluate-metric/NAME`` and, when that
fails (offline, or no such Space), from the newest copy cached under
``<HF_MODULES_CACHE>/evaluate_modules/metrics/evaluate-metric--NAME/<64-hex hash>/NAME.py`` (its
``CachedEvaluationModuleFactory``). :func:`register_metric` puts the module file there, as evaluate itself lays
out a cached module: ``pet2rep register-metric`` and ``pet2rep build`` call it; nothing happens at import.

The module file is ``metrics/pet2rep_ce/pet2rep_ce.py`` of a source checkout; a wheel carries a copy inside the
package (``[tool.hatch.build.targets.wheel.force-include]`` in pyproject.toml). It is a thin adapter over
:func:`pet2rep.metrics.score`, so the bare name gives the same numbers as the path.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from pet2rep.errors import MissingFileError

METRIC_NAME = "pet2rep_ce"
#: Where a wheel install carries the module file, under the ``pet2rep`` package folder.
PACKAGED_METRIC = ("_metric_module", f"{METRIC_NAME}.py")
#: evaluate's folder of dynamic modules in ``HF_MODULES_CACHE`` (``evaluate.config.MODULE_NAME_FOR_DYNAMIC_MODULES``).
DYNAMIC_MODULES = "evaluate_modules"


def metric_path() -> Path:
    """The module file: ``metrics/pet2rep_ce/pet2rep_ce.py`` of the source checkout, else the wheel's copy.

    Raises:
        MissingFileError: neither exists (the message lists both places).
    """
    package_dir = Path(__file__).resolve().parent
    candidates = [
        package_dir.parents[1] / "metrics" / METRIC_NAME / f"{METRIC_NAME}.py",  # src/pet2rep -> repository root
        package_dir.joinpath(*PACKAGED_METRIC),
    ]
    for path in candidates:
        if path.is_file():
            return path
    raise MissingFileError(
        f"the {METRIC_NAME} evaluate module was not found; looked in "
        + " and ".join(str(p) for p in candidates)
        + " (run from a source checkout installed with `pip install -e .`, or install the pet2rep wheel)"
    )


def modules_cache() -> Path:
    """``HF_MODULES_CACHE`` as evaluate reads it: the variable, else ``$HF_HOME/modules``, else
    ``$XDG_CACHE_HOME/huggingface/modules`` (``~/.cache/huggingface/modules``)."""
    if os.environ.get("HF_MODULES_CACHE"):
        return Path(os.environ["HF_MODULES_CACHE"]).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME", "~/.cache")
    home = os.environ.get("HF_HOME") or os.path.join(xdg, "huggingface")
    return Path(home).expanduser() / "modules"


def register_metric(cache: str | os.PathLike | None = None, *, source: str | os.PathLike | None = None) -> Path:
    """Put the module file where ``evaluate.load("pet2rep_ce")`` finds it offline.

    The copy goes to ``<cache>/evaluate_modules/metrics/evaluate-metric--pet2rep_ce/<sha256 of the file>/`` with the
    ``__init__.py`` files and the ``.json`` note evaluate writes for a module it caches; its modification time is
    set to now, so it is the newest copy (the one evaluate picks) even when an older version is cached beside it.
    Registering the same file again only refreshes that time.

    Args:
        cache: the ``HF_MODULES_CACHE`` (default: :func:`modules_cache`).
        source: the module file (default: :func:`metric_path`).

    Returns:
        The registered module file.
    """
    source = Path(source) if source is not None else metric_path()
    data = source.read_bytes()
    root = (Path(cache).expanduser() if cache is not None else modules_cache()) / DYNAMIC_MODULES
    folder = root / "metrics" / f"evaluate-metric--{METRIC_NAME}"
    target = folder / hashlib.sha256(data).hexdigest() / f"{METRIC_NAME}.py"
    target.parent.mkdir(parents=True, exist_ok=True)
    for package in (root, folder, target.parent):
        (package / "__init__.py").touch(exist_ok=True)
    if not target.is_file() or target.read_bytes() != data:
        partial = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        partial.write_bytes(data)
        partial.replace(target)
    note = {"original file path": str(source), "local file path": str(target)}
    target.with_suffix(".json").write_text(json.dumps(note), encoding="utf-8")
    os.utime(target)
    return target
