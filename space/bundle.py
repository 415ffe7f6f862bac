"""Assemble a deployable Space folder: the app, its data layer and a vendored copy of the pet2rep package.

    python space/bundle.py [--out space_bundle]

The folder holds ``app.py``, ``README.md`` (the Space card), ``requirements.txt``, ``pet2rep_space/`` and
``pet2rep/`` (the package source, so the Space runs the exact code of this checkout). No references and no
data: files with dataset extensions or over 2 MB are refused. A ``BUNDLE_MANIFEST.json`` lists every file
with its SHA-256. Re-running replaces an earlier bundle; any other existing folder is left alone.
Standard library only.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
from pathlib import Path

SPACE_DIR = Path(__file__).resolve().parent
REPO_ROOT = SPACE_DIR.parent
MANIFEST = "BUNDLE_MANIFEST.json"
FILES = ("app.py", "README.md", "requirements.txt")
PACKAGES = {"pet2rep_space": SPACE_DIR / "pet2rep_space", "pet2rep": REPO_ROOT / "src" / "pet2rep"}
DATA_SUFFIXES = (".parquet", ".arrow", ".jsonl", ".nii", ".nii.gz", ".npz", ".npy", ".h5", ".dcm", ".zip", ".tar")
MAX_FILE_BYTES = 2_000_000
IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo", ".*")


class BundleError(RuntimeError):
    """The bundle cannot be assembled (unsafe target folder, data files in the sources)."""


def _check_sources(root: Path) -> None:
    for path in root.rglob("*"):
        if not path.is_file() or "__pycache__" in path.parts:
            continue
        if path.name.lower().endswith(DATA_SUFFIXES):
            raise BundleError(f"{path}: a data file ({path.suffix}) must not go into the Space bundle")
        if path.stat().st_size > MAX_FILE_BYTES:
            raise BundleError(f"{path}: {path.stat().st_size} bytes is over the {MAX_FILE_BYTES}-byte bundle limit")


def build_bundle(out: str | Path) -> list[str]:
    """Write the bundle into ``out`` and return its files (relative paths, sorted).

    Raises:
        BundleError: ``out`` is an existing folder that is not an earlier bundle, or a source holds data.
    """
    out = Path(out).resolve()
    if out in (REPO_ROOT, SPACE_DIR) or out in REPO_ROOT.parents:
        raise BundleError(f"--out {out}: refusing to replace the repository or one of its parents")
    if out.exists():
        if not (out / MANIFEST).is_file():
            raise BundleError(f"--out {out} exists and is not an earlier bundle (no {MANIFEST}); choose another")
        shutil.rmtree(out)
    for root in PACKAGES.values():
        _check_sources(root)
    out.mkdir(parents=True)
    for name in FILES:
        shutil.copy2(SPACE_DIR / name, out / name)
    for name, source in PACKAGES.items():
        shutil.copytree(source, out / name, ignore=IGNORE)
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    manifest = {f: hashlib.sha256((out / f).read_bytes()).hexdigest() for f in files}
    (out / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=str(REPO_ROOT / "space_bundle"), help="target folder (default: %(default)s)")
    args = parser.parse_args(argv)
    try:
        files = build_bundle(args.out)
    except BundleError as e:
        print(f"bundle: error: {e}", file=sys.stderr)
        return 1
    print(f"bundle: {len(files)} files in {Path(args.out).resolve()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
