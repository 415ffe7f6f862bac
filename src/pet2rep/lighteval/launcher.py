"""``pet2rep-lighteval ARGS`` (also ``python -m pet2rep.lighteval ARGS``): ``lighteval ARGS`` with a preflight check
and the offline fixes of :mod:`pet2rep.lighteval.offline`.

Every import of lighteval here is absolute, so ``lighteval`` is the library, never this package.
"""

from __future__ import annotations

import sys

from pet2rep.lighteval.invocation import check_invocation, preflight
from pet2rep.lighteval.offline import skip_nltk_downloads_offline, skip_tiny_benchmarks_download


def main(argv: list[str] | None = None) -> int:
    """``pet2rep-lighteval ARGS`` = ``lighteval ARGS``, offline-safe and with a preflight check."""
    args = list(sys.argv[1:] if argv is None else argv)
    problems = preflight(args) if args and args[0] == "accelerate" else check_invocation(["lighteval", *args])
    if problems:
        for problem in problems:
            print(f"pet2rep: error: {problem}", file=sys.stderr)
        return 2
    skip_tiny_benchmarks_download()
    skip_nltk_downloads_offline()
    from lighteval.__main__ import app

    sys.argv = ["lighteval", *args]
    try:
        app(args=args, prog_name="lighteval")
    except SystemExit as e:
        if isinstance(e.code, str):  # a message (the task module's dataset error): print it, as Python's exit would
            print(e.code, file=sys.stderr)
        return e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    return 0
