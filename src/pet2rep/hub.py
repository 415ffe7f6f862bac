"""The one way pet2rep writes to the Hugging Face Hub: check the repository id, find a token, create the repository
and upload a folder, with every failure turned into a one-line :class:`~pet2rep.errors.HubError`.

``pet2rep publish`` uses it for a built dataset (:mod:`pet2rep.dataset.publish`) and for the metric Space
(:mod:`pet2rep.metric_space`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from pet2rep.errors import HubError, InputError, require

REPO_ID = re.compile(r"[A-Za-z0-9][\w.-]*/[\w.-]+")


def check_repo_id(repo_id: object, option: str = "--repo-id", example: str = "my-lab/pet2rep") -> str:
    """Return ``repo_id`` if it looks like ``org/name``.

    Raises:
        InputError: naming ``option``, the expected form and what came in.
    """
    if not isinstance(repo_id, str) or not REPO_ID.fullmatch(repo_id):
        raise InputError(f"{option} must look like 'org/name' (e.g. {example}), got {repo_id!r}")
    return repo_id


def _httpx_errors() -> tuple[type[BaseException], ...]:
    try:
        import httpx
    except ImportError:  # pragma: no cover - huggingface_hub 1.x depends on httpx
        return ()
    return (httpx.TransportError,)


def upload_folder(
    folder: str,
    repo_id: str,
    *,
    repo_type: str,
    private: bool = False,
    token: str | None = None,
    endpoint: str | None = None,
    commit_message: str,
    allow_patterns: Sequence[str] | None = None,
    space_sdk: str | None = None,
) -> str:
    """Create the repository if needed (``exist_ok=True``) and upload ``folder`` into it.

    Args:
        folder: the local folder to upload.
        repo_id: ``org/name`` (checked by the caller with :func:`check_repo_id`).
        repo_type: ``"dataset"``, ``"space"`` or ``"model"``.
        private: create the repository as private.
        token: a Hub token (default: ``HF_TOKEN`` or the token saved by ``hf auth login``).
        endpoint: the Hub URL (default: ``HF_ENDPOINT`` or huggingface.co).
        commit_message: the commit message of the upload.
        allow_patterns: upload only the files matching these patterns (default: all).
        space_sdk: the Space SDK (``"gradio"``), for ``repo_type="space"``.

    Returns:
        The repository's URL.

    Raises:
        HubError: offline mode, no token, the Hub unreachable or refusing the request.
    """
    hf = require("huggingface_hub", "hf")
    from huggingface_hub import constants

    where = endpoint or constants.ENDPOINT
    if constants.HF_HUB_OFFLINE:
        raise HubError(
            f"HF_HUB_OFFLINE is set: publishing needs the network; unset HF_HUB_OFFLINE (and check that {where} is "
            "reachable)"
        )
    token = token or hf.get_token()
    if not token:
        raise HubError(
            f"no Hugging Face token: log in with `hf auth login` or set HF_TOKEN (a token with write access to "
            f"{repo_id.split('/')[0]!r}) before publishing"
        )
    api = hf.HfApi(endpoint=endpoint, token=token)
    create = {"repo_type": repo_type, "private": private, "exist_ok": True}
    if space_sdk is not None:
        create["space_sdk"] = space_sdk
    upload = {"folder_path": folder, "repo_id": repo_id, "repo_type": repo_type, "commit_message": commit_message}
    if allow_patterns is not None:
        upload["allow_patterns"] = list(allow_patterns)
    try:
        repo = api.create_repo(repo_id, **create)
        api.upload_folder(**upload)
    except hf.errors.HfHubHTTPError as e:
        status = getattr(getattr(e, "response", None), "status_code", None)
        hint = {401: "the token is invalid or expired", 403: f"the token may not write to {repo_id!r}"}.get(status, "")
        raise HubError(f"the Hub refused to publish {repo_id!r} ({status}{': ' + hint if hint else ''}): {e}") from e
    except (OSError, *_httpx_errors()) as e:
        raise HubError(
            f"cannot reach the Hugging Face Hub at {where} to publish {repo_id!r}: {type(e).__name__}: {e}"
        ) from e
    prefix = {"dataset": "datasets/", "space": "spaces/"}.get(repo_type, "")
    return str(getattr(repo, "url", f"{where}/{prefix}{repo_id}"))


__all__ = ["REPO_ID", "check_repo_id", "upload_folder"]
