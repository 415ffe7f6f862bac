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
        help="volume sizes: small (tests; PET 64x100x87 at 12x5x12 mm), medium (demo; PET 128x128x174 at 6 mm), "
        "realistic (PET 192x192x260 at 4 mm, CT 512x512x400); default: small",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pet2rep.synth import GRIDS, synthesize_cohort

    folders = synthesize_cohort(args.out, args.n, seed=args.seed, size=args.size, progress=not args.no_progress)
    grid = GRIDS[args.size]
    pet = "x".join(map(str, grid.pet_shape)) + " at " + "x".join(f"{s:g}" for s in grid.pet_spacing_mm) + " mm"
    ct = "x".join(map(str, grid.ct_shape)) + " at " + "x".join(f"{s:g}" for s in grid.ct_spacing_mm) + " mm"
    print(f"wrote {len(folders)} synthetic case(s) ({args.size}, seed {args.seed}) to {args.out}: PET {pet}, CT {ct}")
    return 0
