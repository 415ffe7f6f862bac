"""The files a user or a citation tool reads at the repository root agree with the package and the paper."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import pet2rep
from pet2rep import paper

ROOT = Path(__file__).resolve().parents[1]
yaml = pytest.importorskip("yaml")


def _pyproject_field(name: str) -> str:
    # tomllib is 3.11+ and the project supports 3.10: the [project] table's simple fields, read by pattern
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    return re.search(rf"^{name} = (.+)$", text, re.M).group(1)


def test_license_is_the_apache_2_text_pyproject_declares():
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.lstrip().startswith("Apache License")
    assert "Version 2.0, January 2004" in text
    assert "END OF TERMS AND CONDITIONS" in text
    assert _pyproject_field("license") == '{ text = "Apache-2.0" }'


def test_citation_cff_matches_the_package_and_the_paper():
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert cff["cff-version"] == "1.2.0"
    assert str(cff["version"]) == pet2rep.__version__ == _pyproject_field("version").strip('"')
    assert cff["license"] == "Apache-2.0"
    ref = cff["preferred-citation"]
    assert " ".join(ref["title"].split()) == paper.PAPER_TITLE
    assert ref["url"] == paper.PAPER_URL
    bib_authors = re.search(r"author\s*=\s*\{(.*?)\},\n", paper.CITATION, re.S).group(1)
    expected = " ".join(bib_authors.split()).split(" and ")
    assert [f"{a['family-names']}, {a['given-names']}" for a in ref["authors"]] == expected


def test_changelog_has_a_section_for_the_package_version():
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    versions = re.findall(r"^## \[(\d+\.\d+\.\d+)\] - \d{4}-\d{2}-\d{2}$", text, re.M)
    assert versions, "no released version section"
    assert versions[0] == pet2rep.__version__
