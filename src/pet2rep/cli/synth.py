"""``pet2rep synth``: write a synthetic whole-body PET/CT cohort (volumes, reports, labels) in the generic layout."""

from __future__ import annotations

import argparse


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "synth",
        help="write a synthetic whole-body PET/CT cohort (generic case layout)",
        description=__doc__.splitlines()[0],
    )
    parser.add_argument("out", help="output folder (created); cases are written as OUT/synth_0000, ...")
    parser.add_argument("--n", type=int, default=8, help="number of cases (default: 8)")
    parser.add_argument("--seed", type=int, default=0, help="cohort seed: the same seed gives identical files")
    parser.add_argument(
        "--size",
        choices=("small", "medium", "realistic"),
        default="small",
        help="volume sizes: small (tests), medium (demo), realistic (CT 512x512x400, PET 192x192x260)",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pet2rep.synth import synthesize_cohort

    folders = synthesize_cohort(args.out, args.n, seed=args.seed, size=args.size, progress=not args.no_progress)
    print(f"wrote {len(folders)} synthetic case(s) ({args.size}, seed {args.seed}) to {args.out}")
    return 0
