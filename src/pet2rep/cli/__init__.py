"""The ``pet2rep`` command: thin argument parsing over the library.

Each subcommand lives in its own module under ``pet2rep.cli`` and exposes ``register(subparsers)``,
which adds its parser and sets ``func`` to a callable ``(args) -> int`` (the exit status). Modules import
their heavy dependencies inside that callable, so ``pet2rep --help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from pet2rep import __version__
from pet2rep.errors import Pet2RepError

# Subcommand modules, in the order `pet2rep --help` lists them. A module that is not there yet is skipped.
SUBCOMMAND_MODULES = (
    "synth",
    "inspect",
    "render",
    "build",
    "publish",
    "register_metric",
    "score",
    "ce",
    "baseline",
    "generate",
    "submission",
    "view",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pet2rep",
        description="PET2Rep: whole-body FDG PET/CT report generation benchmark.",
    )
    parser.add_argument("--version", action="version", version=f"pet2rep {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMAND_MODULES:
        try:
            module = importlib.import_module(f"pet2rep.cli.{name}")
        except ModuleNotFoundError as e:
            if e.name == f"pet2rep.cli.{name}":
                continue
            raise
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        status = int(args.func(args) or 0)
        sys.stdout.flush()  # a closed pipe shows here, inside the handler below, not at interpreter exit
        return status
    except Pet2RepError as e:
        print(f"pet2rep {args.command}: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`pet2rep score ... | head`): stop quietly, as Unix tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


if __name__ == "__main__":
    sys.exit(main())
