"""space/requirements.txt agrees with pyproject.toml: same version ranges, nothing the package does not declare."""

from __future__ import annotations

import re
import sys
from importlib import metadata, resources
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    tomllib = pytest.importorskip("tomli")

REPO = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
SPACE_EXTRAS = ("hf", "space")  # what `pip install pet2rep[space]` brings (space includes hf)


def _requirements(lines) -> dict[str, Requirement]:
    reqs = [Requirement(line) for line in lines if line.strip() and not line.strip().startswith("#")]
    reqs = [r for r in reqs if canonicalize_name(r.name) != "pet2rep"]
    return {canonicalize_name(r.name): r for r in reqs}


DECLARED = {
    **_requirements(PYPROJECT["dependencies"]),
    **{k: v for extra in SPACE_EXTRAS for k, v in _requirements(PYPROJECT["optional-dependencies"][extra]).items()},
}
SPACE = _requirements((REPO / "space" / "requirements.txt").read_text(encoding="utf-8").splitlines())


def test_every_space_requirement_is_declared_with_the_same_range():
    gradio_oauth = {
        canonicalize_name(r.name)
        for r in map(Requirement, metadata.requires("gradio") or ())
        if r.marker is not None and "extra" in str(r.marker) and r.marker.evaluate({"extra": "oauth"})
    }
    for name, req in SPACE.items():
        if name in gradio_oauth:  # installed with gradio[oauth], which the Space SDK provides
            continue
        assert name in DECLARED, f"space/requirements.txt: {name} is not a dependency of pet2rep[space]"
        assert req.specifier == DECLARED[name].specifier, (
            f"space/requirements.txt: {req} differs from pyproject.toml's {DECLARED[name]}"
        )


def test_the_scoring_path_dependencies_are_listed():
    # The Space imports the vendored pet2rep for scoring: numpy (bootstrap), jieba (zh tokens), nltk (METEOR stems).
    for name in ("numpy", "jieba", "nltk", "pandas", "pyarrow", "huggingface-hub"):
        assert name in SPACE, f"space/requirements.txt lacks {name}"


def test_the_space_sdk_version_is_in_the_declared_gradio_range():
    card = (REPO / "space" / "README.md").read_text(encoding="utf-8")
    sdk = re.search(r"^sdk_version:\s*(\S+)", card, flags=re.M).group(1)
    assert Version(sdk) in DECLARED["gradio"].specifier


def test_the_package_is_typed():
    assert resources.files("pet2rep").joinpath("py.typed").is_file()
