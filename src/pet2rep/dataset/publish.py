"""``pet2rep publish``: upload a built dataset folder to the Hugging Face Hub (the only part of the dataset package
that talks to the Hub)."""

from __future__ import annotations

import re
from pathlib import Path

from pet2rep import __version__
from pet2rep.dataset.card import benchmark_version, read_card
from pet2rep.dataset.parquet import content_hash
from pet2rep.errors import HubError, InputError, MissingFileError, require


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
    hf = require("huggingface_hub", "hf")
    if not isinstance(repo_id, str) or not re.fullmatch(r"[A-Za-z0-9][\w.-]*/[\w.-]+", repo_id):
        raise InputError(f"--repo-id must look like 'org/name' (e.g. my-lab/pet2rep), got {repo_id!r}")
    check_build(folder)
    from huggingface_hub import constants

    if constants.HF_HUB_OFFLINE:
        raise HubError(
            "HF_HUB_OFFLINE is set: publishing needs the network; unset HF_HUB_OFFLINE (and check that "
            f"{endpoint or constants.ENDPOINT} is reachable)"
        )
    token = token or hf.get_token()
    if not token:
        raise HubError(
            f"no Hugging Face token: log in with `hf auth login` or set HF_TOKEN (a token with write access to "
            f"{repo_id.split('/')[0]!r}) before publishing"
        )
    api = hf.HfApi(endpoint=endpoint, token=token)
    where = endpoint or constants.ENDPOINT
    try:
        repo = api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
        api.upload_folder(
            folder_path=str(folder),
            repo_id=repo_id,
            repo_type="dataset",
            allow_patterns=["README.md", "*/*.parquet"],
            commit_message=commit_message or f"Upload pet2rep dataset (pet2rep {__version__})",
        )
    except hf.errors.HfHubHTTPError as e:
        status = getattr(getattr(e, "response", None), "status_code", None)
        hint = {401: "the token is invalid or expired", 403: f"the token may not write to {repo_id!r}"}.get(status, "")
        raise HubError(f"the Hub refused to publish {repo_id!r} ({status}{': ' + hint if hint else ''}): {e}") from e
    except (OSError, *_httpx_errors()) as e:
        raise HubError(
            f"cannot reach the Hugging Face Hub at {where} to publish {repo_id!r}: {type(e).__name__}: {e}"
        ) from e
    return str(getattr(repo, "url", f"{where}/datasets/{repo_id}"))


def _httpx_errors() -> tuple[type[BaseException], ...]:
    try:
        import httpx
    except ImportError:  # pragma: no cover - huggingface_hub 1.x depends on httpx
        return ()
    return (httpx.TransportError,)


__all__ = ["check_build", "publish"]
