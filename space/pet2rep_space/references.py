"""The private reference reports the Space scores against.

Sources, in order: a private dataset repo (``PET2REP_REFERENCES_REPO`` + ``HF_TOKEN``, downloaded into a
cache outside the Space folder), else a local path (``PET2REP_REFERENCES``): a built dataset folder
(``README.md`` + ``<config>/test-0000i-of-0000n.parquet`` with string columns ``case_id`` and ``report``;
only those two columns are read) or a JSONL of ``{"case_id", "report"}``.

The reports are never served and never put in a message meant for users; errors here are for the
operator's log.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from pet2rep.errors import InputError, MissingFileError
from pet2rep.reports import read_build_reports
from pet2rep.vocab import DATASET_CONFIGS

logger = logging.getLogger(__name__)

HUB_PATTERNS = ["README.md", "*.jsonl", "fused/*.parquet"]


@dataclass(frozen=True)
class ReferenceSet:
    """Reference reports by case id, with a fingerprint that identifies this exact set in records."""

    reports: dict[str, str] = field(repr=False)
    fingerprint: str
    source: Path | None = None  # the build folder (its card names the test set) or JSONL file read

    @classmethod
    def from_reports(cls, reports: dict[str, str], source: str | Path | None = None) -> ReferenceSet:
        if not reports:
            raise InputError("references: expected at least one case, got none")
        canonical = json.dumps(sorted(reports.items()), ensure_ascii=False, separators=(",", ":"))
        fingerprint = hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]
        return cls(dict(reports), fingerprint, Path(source) if source is not None else None)

    def __len__(self) -> int:
        return len(self.reports)


def read_dataset_folder(root: str | Path) -> dict[str, str]:
    """Reports of a built dataset folder; every config present must hold the same reports.

    Raises:
        MissingFileError: no ``<config>/*.parquet`` in ``root``.
        InputError: a shard without the two string columns, a duplicate case id, configs that disagree.
    """
    root = Path(root)
    configs = {p.name: sorted(p.glob("*.parquet")) for p in sorted(root.iterdir()) if p.is_dir()}
    configs = {name: files for name, files in configs.items() if files}
    if not configs:
        raise MissingFileError(f"{root}: no <config>/*.parquet files; expected a built pet2rep dataset folder")
    order = sorted(configs, key=lambda c: (DATASET_CONFIGS.index(c) if c in DATASET_CONFIGS else 99, c))
    reports = read_build_reports(configs[order[0]])
    for other in order[1:]:
        if other == "volumes":  # large; its reports are those of the other configs by construction
            continue
        if read_build_reports(configs[other]) != reports:
            raise InputError(f"{root}: configs {order[0]!r} and {other!r} hold different reports")
    return reports


def read_references(path: str | Path) -> ReferenceSet:
    """References from a built dataset folder, a folder holding one JSONL file, or a JSONL file."""
    path = Path(path)
    if path.is_dir():
        jsonl = sorted(path.glob("*.jsonl"))
        has_parquet = any(path.glob("*/*.parquet"))
        if has_parquet or len(jsonl) != 1:
            return ReferenceSet.from_reports(read_dataset_folder(path), source=path)
        path = jsonl[0]
    if not path.is_file():
        raise MissingFileError(f"references: {path} does not exist")
    from pet2rep.reports import read_reports_jsonl

    return ReferenceSet.from_reports(read_reports_jsonl(path), source=path)


def download_references(repo_id: str, token: str | None, cache_dir: str | Path) -> Path:
    """Fetch the private references repo into ``cache_dir`` and return the local snapshot folder."""
    from huggingface_hub import snapshot_download

    try:
        folder = snapshot_download(
            repo_id, repo_type="dataset", token=token, cache_dir=str(cache_dir), allow_patterns=HUB_PATTERNS
        )
    except Exception as e:  # any Hub or network failure: one clear operator-facing error, token never included
        raise InputError(f"references repo {repo_id!r} could not be downloaded: {type(e).__name__}") from e
    return Path(folder)


def _check_outside(path: Path, app_dir: Path | None, what: str) -> None:
    if app_dir is not None and path.resolve().is_relative_to(app_dir.resolve()):
        raise InputError(f"{what} {path} lies inside the Space folder {app_dir}; keep the references outside it")


def load_references(config, app_dir: str | Path | None = None) -> ReferenceSet | None:
    """The references the config points at, or None when none is configured (submissions disabled).

    Args:
        config: a :class:`pet2rep_space.config.SpaceConfig`.
        app_dir: the Space folder; references (or their download cache) inside it are refused, so they can
            never be committed with the Space or served from it.
    """
    app_dir = Path(app_dir) if app_dir is not None else None
    if config.references_repo:
        if not config.hf_token:
            raise InputError("PET2REP_REFERENCES_REPO is set but HF_TOKEN is not; the references repo is private")
        _check_outside(config.references_cache_dir, app_dir, "PET2REP_REFERENCES_CACHE")
        folder = download_references(config.references_repo, config.hf_token, config.references_cache_dir)
        return read_references(folder)
    if config.references is not None:
        _check_outside(config.references, app_dir, "PET2REP_REFERENCES")
        return read_references(config.references)
    return None
