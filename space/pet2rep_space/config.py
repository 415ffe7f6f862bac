"""Every setting of the leaderboard Space, read from the environment in one place.

- ``PET2REP_DATA_DIR``: where submission records are stored (default ``space_data``; ``/data/pet2rep``
  on a Space with persistent storage).
- ``PET2REP_REFERENCES``: a built dataset folder or a JSONL of ``{"case_id", "report"}`` (unset and no
  repo: the leaderboard is shown, submissions are disabled).
- ``PET2REP_REFERENCES_REPO``: a private dataset repo holding the references (needs ``HF_TOKEN``),
  downloaded into ``PET2REP_REFERENCES_CACHE`` (default ``~/.cache/pet2rep/references``, outside the
  Space folder).
- ``HF_TOKEN``: Hub token for the private references and the results mirror (unset: fully offline).
- ``PET2REP_RESULTS_REPO``: dataset repo the records are mirrored to (needs ``HF_TOKEN``).
- ``PET2REP_QUOTA_PER_DAY`` (default 5) accepted submissions per user in any 24 h window, and
  ``PET2REP_QUOTA_MIN_GAP_S`` (default 60) seconds between two of them; 0 switches either off.
- ``PET2REP_MAX_UPLOAD_MB``: upload size cap in MB of 10^6 bytes (default 5).
- ``PET2REP_LANG``: tokenizer language for scoring, ``zh``, ``en`` or ``auto`` (default).
- ``PET2REP_SUBMIT_CONCURRENCY``: submissions scored at the same time (default 2).
- ``PET2REP_RATE_PER_HOUR``: submission attempts per client (IP address, or account when signed in) per hour,
  refused ones included (default 10; 0 switches it off).
- ``PET2REP_QUEUE_SIZE``: requests waiting in the queue at most; more are answered "queue full" (default 16).
- ``PET2REP_TEST_SET_NAME`` / ``PET2REP_TEST_SET_VERSION`` / ``PET2REP_TEST_SET_KIND``: how the references are
  named on the board (defaults: the dataset card's ``pretty_name``, the pet2rep version that built it, and
  ``synthetic`` for a ``pet2rep synth`` build, else ``private``; kinds: private, public, synthetic, demo).
- ``GRADIO_SERVER_NAME`` / ``GRADIO_SERVER_PORT``: where the app listens (default ``127.0.0.1``, or
  ``0.0.0.0`` on a Space / 7860).
- ``SYSTEM``: ``spaces`` on Hugging Face Spaces: a login is required and quotas count per user.

Nothing here touches the network; the Hub is only called when a repo and a token are both set.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pet2rep.errors import InputError
from pet2rep.vocab import check_lang
from pet2rep_space.testsets import KINDS

_REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


@dataclass(frozen=True)
class SpaceConfig:
    """The Space's settings; build it with :func:`load_config`."""

    data_dir: Path
    references: Path | None = None
    references_repo: str | None = None
    references_cache_dir: Path = field(default_factory=lambda: Path("~/.cache/pet2rep/references").expanduser())
    hf_token: str | None = field(default=None, repr=False)
    results_repo: str | None = None
    on_spaces: bool = False
    quota_per_day: int = 5
    quota_min_gap_s: float = 60.0
    max_upload_bytes: int = 5_000_000
    lang: str = "auto"
    submit_concurrency: int = 2
    rate_per_hour: int = 10
    queue_size: int = 16
    test_set_name: str | None = None
    test_set_version: str | None = None
    test_set_kind: str | None = None
    server_name: str = "127.0.0.1"
    server_port: int = 7860

    @property
    def mirror_enabled(self) -> bool:
        """Whether accepted records are mirrored to the results repo."""
        return bool(self.results_repo and self.hf_token)


def _get(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name)
    if value is None or not value.strip():
        return None
    return value.strip()


def _number(
    env: Mapping[str, str], name: str, default: float, *, kind: type, minimum: float, maximum: float = math.inf
) -> float:
    raw = _get(env, name)
    if raw is None:
        return default
    expected = f">= {minimum}" if maximum == math.inf else f"from {minimum} to {maximum}"
    try:
        value = kind(raw)
    except ValueError as e:
        raise InputError(
            f"environment variable {name} should be {'an integer' if kind is int else 'a number'} "
            f"{expected}, got {raw!r}"
        ) from e
    if not (math.isfinite(value) and minimum <= value <= maximum):
        raise InputError(f"environment variable {name} should be {expected}, got {raw!r}")
    return value


def _repo(env: Mapping[str, str], name: str) -> str | None:
    value = _get(env, name)
    if value is not None and not _REPO_ID.match(value):
        raise InputError(f"environment variable {name} should be a repo id 'owner/name', got {value!r}")
    return value


def load_config(environ: Mapping[str, str] | None = None) -> SpaceConfig:
    """Read the Space's settings from the environment (``os.environ`` by default).

    Raises:
        InputError: naming the variable, when a value cannot be used.
    """
    env = os.environ if environ is None else environ
    on_spaces = env.get("SYSTEM") == "spaces"
    data_dir = _get(env, "PET2REP_DATA_DIR")
    if data_dir is None:
        # Spaces' persistent storage is mounted at /data; without it the records live next to the app.
        data_dir = "/data/pet2rep" if on_spaces and Path("/data").is_dir() else "space_data"
    references = _get(env, "PET2REP_REFERENCES")
    lang = _get(env, "PET2REP_LANG") or "auto"
    check_lang(lang, name="environment variable PET2REP_LANG")
    cache = _get(env, "PET2REP_REFERENCES_CACHE") or "~/.cache/pet2rep/references"
    kind = _get(env, "PET2REP_TEST_SET_KIND")
    if kind is not None and kind not in KINDS:
        raise InputError(f"environment variable PET2REP_TEST_SET_KIND should be one of {KINDS}, got {kind!r}")
    max_upload_mb = _number(env, "PET2REP_MAX_UPLOAD_MB", 5.0, kind=float, minimum=0.001)
    return SpaceConfig(
        data_dir=Path(data_dir).expanduser(),
        references=Path(references).expanduser() if references else None,
        references_repo=_repo(env, "PET2REP_REFERENCES_REPO"),
        references_cache_dir=Path(cache).expanduser(),
        hf_token=_get(env, "HF_TOKEN"),
        results_repo=_repo(env, "PET2REP_RESULTS_REPO"),
        on_spaces=on_spaces,
        quota_per_day=int(_number(env, "PET2REP_QUOTA_PER_DAY", 5, kind=int, minimum=0)),
        quota_min_gap_s=float(_number(env, "PET2REP_QUOTA_MIN_GAP_S", 60.0, kind=float, minimum=0)),
        max_upload_bytes=int(max_upload_mb * 1_000_000),
        lang=lang,
        submit_concurrency=int(_number(env, "PET2REP_SUBMIT_CONCURRENCY", 2, kind=int, minimum=1)),
        rate_per_hour=int(_number(env, "PET2REP_RATE_PER_HOUR", 10, kind=int, minimum=0)),
        queue_size=int(_number(env, "PET2REP_QUEUE_SIZE", 16, kind=int, minimum=1, maximum=1000)),
        test_set_name=_get(env, "PET2REP_TEST_SET_NAME"),
        test_set_version=_get(env, "PET2REP_TEST_SET_VERSION"),
        test_set_kind=kind,
        server_name=_get(env, "GRADIO_SERVER_NAME") or ("0.0.0.0" if on_spaces else "127.0.0.1"),
        server_port=int(_number(env, "GRADIO_SERVER_PORT", 7860, kind=int, minimum=1, maximum=65535)),
    )
