"""``pet2rep publish``: upload a built dataset folder to the Hugging Face Hub (the only part of the dataset package
that talks to the Hub)."""

from __future__ import annotations

from pathlib import Path

from pet2rep import __version__
from pet2rep.dataset.card import benchmark_version, read_card
from pet2rep.dataset.parquet import content_hash
from pet2rep.errors import InputError, MissingFileError


def check_build(folder: str | Path) -> dict:
    """Check that a folder is a complete ``pet2rep build`` before publishing it.

    Returns:
        The card's YAML header.

    Raises:
        MissingFileError: no folder or no README.md. InputError: no ``configs:``, a config without parquet files,
            or parquet files whose content hash differs from the card's (a partial or edited build).
    """
    root = Path(folder)
    if not root.is_dir():
        raise MissingFileError(f"dataset folder not found: {root}")
    meta, _ = read_card(root)
    configs = [c.get("config_name") for c in meta.get("configs") or [] if isinstance(c, dict)]
    if not configs:
        raise InputError(
            f"{root / 'README.md'}: no `configs:` in its YAML header; build the folder with pet2rep build"
        )
    empty = [c for c in configs if not any((root / str(c)).glob("*.parquet"))]
    if empty:
        raise InputError(f"{root}: config(s) {', '.join(map(str, empty))} have no parquet files; rebuild the folder")
    recorded = benchmark_version(root)
    if recorded is not None and recorded.content_hash != content_hash(root):
        raise InputError(
            f"{root}: the parquet files do not match the card's content hash {recorded.content_hash} (a partial or "
            "edited build); rebuild it with pet2rep build"
        )
    return meta


def publish(
    folder: str | Path,
    repo_id: str,
    *,
    private: bool = False,
    token: str | None = None,
    endpoint: str | None = None,
    commit_message: str | None = None,
) -> str:
    """Upload a built dataset folder to the Hub (``create_repo`` + ``upload_folder``; README.md and parquet only).

    Args:
        folder: a ``pet2rep build`` output folder.
        repo_id: ``org/name`` of the dataset repository (created if missing).
        private: create the repository as private.
        token: a Hub token (default: ``HF_TOKEN`` or the token saved by ``hf auth login``).
        endpoint: the Hub URL (default: ``HF_ENDPOINT`` or huggingface.co).
        commit_message: the commit message.

    Returns:
        The dataset's URL on the Hub.

    Raises:
        InputError: a bad ``repo_id`` or a folder that is not a complete build.
        HubError: offline mode, no token, the Hub unreachable or refusing the upload.
    """
    from pet2rep.hub import check_repo_id, upload_folder

    check_repo_id(repo_id)
    check_build(folder)
    return upload_folder(
        str(folder),
        repo_id,
        repo_type="dataset",
        private=private,
        token=token,
        endpoint=endpoint,
        commit_message=commit_message or f"Upload pet2rep dataset (pet2rep {__version__})",
        allow_patterns=["README.md", "*/*.parquet"],
    )


__all__ = ["check_build", "publish"]
