"""Test sets: which references a score was measured on. Scores are only ranked within one test set.

A test set is named by its ``name``, ``version``, case count and the content hash of its build:

- the paper's cohort (:data:`PAPER_TEST_SET`, ``PET2Rep-565``: private, its numbers only published);
- the references this Space holds: a folder written by ``pet2rep build`` carries its benchmark version (pet2rep
  version and content hash) in the dataset card, read here as written (never recomputed another way:
  :func:`pet2rep.dataset.card.benchmark_version`); a JSONL of references has no card and is named by the SHA-256
  of its reports (``reports-sha256:...``).

Synthetic and demo test sets (e.g. the 24 phantom cases of ``make demo``) are labelled as such wherever a score is
shown: ranking a model on them says nothing about real reports.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

from pet2rep.errors import InputError

#: What a test set is: real private or public patient data, or synthetic / demo cases.
KINDS = ("private", "public", "synthetic", "demo")
#: Kinds whose rankings mean nothing for real reports; shown with a warning label.
TOY_KINDS = ("synthetic", "demo")
#: The content hash written by ``pet2rep build`` (its card) or, for a references JSONL, the hash of its reports.
CONTENT_HASH = re.compile(r"^(sha256|reports-sha256):[0-9a-f]{64}$")
#: Case ids written by ``pet2rep synth`` (``synth_0000`` ...): a build made only of them is synthetic.
_SYNTH_ID = re.compile(r"^synth_\d+$")
MAX_NAME_CHARS = 100


@dataclass(frozen=True)
class TestSet:
    """One set of reference reports that scores are measured on.

    Attributes:
        name: e.g. ``PET2Rep-565`` or the build's ``pretty_name``.
        version: the operator's version label (default: the pet2rep version that built it).
        num_cases: how many cases (references) it holds.
        content_hash: ``sha256:<hex>`` of the build (from its card), ``reports-sha256:<hex>`` of a references
            JSONL, ``""`` for the paper's cohort (its files are not public).
        kind: one of :data:`KINDS`.
        published: True for the paper's cohort: its numbers are copied, never measured here.
    """

    __test__ = False  # not a pytest class, despite the name

    name: str
    version: str
    num_cases: int
    content_hash: str
    kind: str
    published: bool = False

    @property
    def key(self) -> str:
        """What identifies the set: its content hash (the paper's cohort: its name)."""
        return self.content_hash or f"published:{self.name}"

    @property
    def toy(self) -> bool:
        return self.kind in TOY_KINDS

    def label(self) -> str:
        """A short label for tables and selectors: ``PET2Rep v1 · 24 cases · synthetic · sha256:1a2b3c4d``."""
        if self.published:
            return f"{self.name} · {self.num_cases} cases · {self.kind}, published"
        digest = self.content_hash.partition(":")[2][:8]
        version = f" {self.version}" if self.version else ""
        return f"{self.name}{version} · {self.num_cases} cases · {self.kind} · {digest}"

    def as_record(self) -> dict:
        """The ``test_set`` entry of a submission record."""
        record = asdict(self)
        record.pop("published")
        return record

    @classmethod
    def from_record(cls, entry: object) -> TestSet:
        """The test set of a record's ``test_set`` entry.

        Raises:
            InputError: an entry that is not a complete, well-formed test set.
        """
        if not isinstance(entry, Mapping):
            raise InputError(f"test_set: expected an object, got {type(entry).__name__}")
        expected = {"name", "version", "num_cases", "content_hash", "kind"}
        if set(entry) != expected:
            raise InputError(f"test_set: expected the keys {sorted(expected)}, got {sorted(entry)}")
        name, version = entry["name"], entry["version"]
        num_cases, content_hash, kind = entry["num_cases"], entry["content_hash"], entry["kind"]
        if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME_CHARS:
            raise InputError(f"test_set.name: expected 1-{MAX_NAME_CHARS} characters, got {name!r}")
        if not isinstance(version, str) or len(version) > MAX_NAME_CHARS:
            raise InputError(f"test_set.version: expected text, got {version!r}")
        if isinstance(num_cases, bool) or not isinstance(num_cases, int) or num_cases < 1:
            raise InputError(f"test_set.num_cases: expected a positive integer, got {num_cases!r}")
        if not isinstance(content_hash, str) or not CONTENT_HASH.match(content_hash):
            raise InputError(f"test_set.content_hash: expected 'sha256:<64 hex>', got {content_hash!r}")
        if kind not in KINDS:
            raise InputError(f"test_set.kind: expected one of {', '.join(KINDS)}, got {kind!r}")
        return cls(name, version, num_cases, content_hash, kind)


#: The paper's private cohort: Table 1's numbers were measured on it by the authors; nobody can score on it here.
PAPER_TEST_SET = TestSet("PET2Rep-565", "AAAI 2026", 565, "", "private", published=True)


def reports_hash(reports: Mapping[str, str]) -> str:
    """``reports-sha256:<hex>`` of ``{case_id: report}``, independent of order (a references JSONL's identity)."""
    canonical = json.dumps(sorted(reports.items()), ensure_ascii=False, separators=(",", ":"))
    return "reports-sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def read_card(folder: str | Path) -> dict:
    """What a ``pet2rep build`` card says about its test set: ``name``, ``version``, ``content_hash`` (each
    ``None`` when the folder has no such card)."""
    from pet2rep.dataset.card import benchmark_version

    found = benchmark_version(folder)
    if found is None:
        return {"name": None, "version": None, "content_hash": None}
    return {"name": found.name, "version": found.pet2rep_version, "content_hash": found.content_hash}


def describe_references(
    source: str | Path | None,
    reports: Mapping[str, str],
    *,
    name: str | None = None,
    version: str | None = None,
    kind: str | None = None,
) -> TestSet:
    """The test set of the Space's references.

    Args:
        source: the references' folder (a ``pet2rep build``: its card is read) or JSONL file; None if unknown.
        reports: ``{case_id: report}`` as loaded.
        name, version, kind: the operator's choice (``PET2REP_TEST_SET_*``); defaults: the card's
            ``pretty_name`` (else the file or folder name), the pet2rep version that built it, and ``synthetic``
            when every case id is one ``pet2rep synth`` writes, else ``private``.

    Raises:
        InputError: a kind not in :data:`KINDS`, or an empty name.
    """
    card = read_card(source) if source is not None and Path(source).is_dir() else {}
    stem = Path(source).stem if source is not None else "references"
    name = (name or card.get("name") or stem).strip()
    if not name or len(name) > MAX_NAME_CHARS:
        raise InputError(f"PET2REP_TEST_SET_NAME: expected 1-{MAX_NAME_CHARS} characters, got {name!r}")
    if version is None:
        version = f"pet2rep-{card['version']}" if card.get("version") else ""
    if kind is None:
        kind = "synthetic" if reports and all(_SYNTH_ID.match(c) for c in reports) else "private"
    if kind not in KINDS:
        raise InputError(f"PET2REP_TEST_SET_KIND: expected one of {', '.join(KINDS)}, got {kind!r}")
    content_hash = card.get("content_hash") or reports_hash(reports)
    return TestSet(name, version, len(reports), content_hash, kind)
