"""Checks on output paths, made before a command does its work: a wrong ``--out`` should cost one error line, not a
whole run followed by a traceback."""

from __future__ import annotations

import os
from pathlib import Path

from pet2rep.errors import InputError


def check_output_file(path: str | os.PathLike | None, option: str = "--out") -> Path | None:
    """The output file ``path`` once its folder exists and both can be written (None: no output asked for).

    Raises:
        InputError: ``path`` is a folder, its folder cannot be created (e.g. a file is in the way), or the folder or
            an existing file is not writable; the message names ``option`` and the path.
    """
    if path is None:
        return None
    out = Path(path)
    if out.is_dir():
        raise InputError(f"{option} {out}: is a folder; expected a JSON file path")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise InputError(f"{option} {out}: its folder cannot be created ({e.strerror or e})") from e
    if not os.access(out.parent, os.W_OK) or (out.exists() and not os.access(out, os.W_OK)):
        raise InputError(f"{option} {out}: not writable here")
    return out
