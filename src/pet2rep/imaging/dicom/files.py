"""Which files are DICOM: the Part 10 preamble (``DICM`` at byte 128). Needs no pydicom.

Any file name, any nesting: files are recognised by content, not by extension. Files without the preamble
(reports, JSON, NIfTI, raw non-Part-10 dumps) are not DICOM for pet2rep. Hidden files and folders are skipped.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path

_MAGIC_OFFSET = 128
_MAGIC = b"DICM"
# Extensions that are never DICOM: skipped without opening (a NIfTI cohort is not read byte by byte).
_NOT_DICOM = (".nii", ".nii.gz", ".json", ".txt", ".md", ".png", ".jpg", ".parquet", ".csv", ".jsonl", ".npy")


def is_dicom_file(path: str | Path) -> bool:
    """True when ``path`` is a file with the DICOM Part 10 preamble."""
    try:
        with open(path, "rb") as f:
            head = f.read(_MAGIC_OFFSET + len(_MAGIC))
    except OSError:
        return False
    return head[_MAGIC_OFFSET:] == _MAGIC


def _candidates(root: Path) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith(".") or name.lower().endswith(_NOT_DICOM):
                continue
            yield Path(dirpath) / name


def iter_dicom_files(roots: Iterable[str | Path], *, recursive: bool = True) -> Iterator[Path]:
    """DICOM files under each root (a folder, searched recursively unless ``recursive`` is False, or a file)."""
    for root in roots:
        root = Path(root)
        if root.is_file():
            if is_dicom_file(root):
                yield root
            continue
        paths = _candidates(root) if recursive else (p for p in sorted(root.iterdir()) if p.is_file())
        for path in paths:
            if not path.name.startswith(".") and not path.name.lower().endswith(_NOT_DICOM) and is_dicom_file(path):
                yield path


def has_dicom(folder: str | Path) -> bool:
    """True when ``folder`` holds at least one DICOM file (searched recursively; stops at the first)."""
    return next(iter_dicom_files([folder]), None) is not None


def loose_dicom_files(folder: str | Path) -> list[Path]:
    """DICOM files directly in ``folder`` (not in its sub-folders)."""
    return list(iter_dicom_files([folder], recursive=False))
