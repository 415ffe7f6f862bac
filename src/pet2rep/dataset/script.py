"""The builder file of the Hub layout, ``dataset_script/pet2rep.py``: where it is and how to import it.

The file is a thin re-export of :mod:`pet2rep.dataset.builder`. A source checkout has it at the repository root; a
wheel carries a copy inside the package (``[tool.hatch.build.targets.wheel.force-include]`` in pyproject.toml).
"""

from __future__ import annotations

import sys
from pathlib import Path

from pet2rep.errors import MissingFileError, require

#: Where a wheel install carries the builder file, under the ``pet2rep`` package folder.
PACKAGED_BUILDER = ("_dataset_script", "pet2rep.py")
BUILDER_MODULE_NAME = "pet2rep_dataset_builder"


def builder_path() -> Path:
    """The ``datasets`` builder file: ``dataset_script/pet2rep.py`` of the source checkout (editable install), else
    the copy a wheel install carries inside the package.

    Raises:
        MissingFileError: neither exists (the message lists both places).
    """
    package_dir = Path(__file__).resolve().parents[1]  # src/pet2rep/dataset -> src/pet2rep
    candidates = [
        package_dir.parents[1] / "dataset_script" / "pet2rep.py",  # src/pet2rep -> repository root
        package_dir.joinpath(*PACKAGED_BUILDER),
    ]
    for path in candidates:
        if path.is_file():
            return path
    raise MissingFileError(
        "the pet2rep datasets builder was not found; looked in "
        + " and ".join(str(p) for p in candidates)
        + " (run from a source checkout installed with `pip install -e .[hf]`, or install the pet2rep wheel)"
    )


def load_builder_class(path: str | Path | None = None):
    """Import the builder file (``datasets`` no longer loads scripts by path) and return its builder class.

    The file re-exports :class:`pet2rep.dataset.builder.Pet2Rep`, so worker processes (``num_proc > 1``) unpickle
    the builder from the package; the file's module is also registered in ``sys.modules`` under
    :data:`BUILDER_MODULE_NAME`.
    """
    import importlib.util

    require("datasets", "hf")
    path = Path(path) if path is not None else builder_path()
    module = sys.modules.get(BUILDER_MODULE_NAME)
    if module is None or Path(getattr(module, "__file__", "")) != path:
        spec = importlib.util.spec_from_file_location(BUILDER_MODULE_NAME, path)
        if spec is None or spec.loader is None:
            raise MissingFileError(f"cannot import the pet2rep datasets builder from {path}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[BUILDER_MODULE_NAME] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            sys.modules.pop(BUILDER_MODULE_NAME, None)
            raise
    return module.Pet2Rep


__all__ = ["BUILDER_MODULE_NAME", "PACKAGED_BUILDER", "builder_path", "load_builder_class"]
