"""``pet2rep synth``: write a synthetic whole-body PET/CT cohort (volumes, reports, labels) in the generic layout."""

from __future__ import annotations

import argparse
import re
import shutil
from pathlib import Path

from pet2rep.errors import InputError


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
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="write into a non-empty OUT (refused otherwise): the cases are rewritten and stale synth_* cases of an "
        "earlier, larger cohort removed; other files are left alone",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(func=run)


CASE_DIR = re.compile(r"^synth_(\d{4,})$")


def check_out(out: Path, n: int, overwrite: bool) -> list[Path]:
    """Refuse a non-empty ``out`` unless ``overwrite``; then return the stale ``synth_*`` cases (index >= ``n``).

    Raises:
        InputError: ``out`` is a file, or a non-empty folder without ``overwrite``.
    """
    if out.exists() and not out.is_dir():
        raise InputError(f"output {out} is a file; expected a folder (empty or new)")
    entries = sorted(out.iterdir()) if out.is_dir() else []
    if entries and not overwrite:
        shown = ", ".join(e.name for e in entries[:3]) + (" ..." if len(entries) > 3 else "")
        raise InputError(
            f"output folder {out} is not empty ({len(entries)} entries: {shown}); pick an empty or new folder, or "
            "pass --overwrite to write the cohort over it"
        )
    return [e for e in entries if e.is_dir() and (m := CASE_DIR.match(e.name)) and int(m.group(1)) >= n]


def run(args: argparse.Namespace) -> int:
    from pet2rep.synth import GRIDS, synthesize_cohort

    stale = check_out(Path(args.out), args.n, args.overwrite) if args.n >= 1 else []
    for folder in stale:
        shutil.rmtree(folder)
    if stale:
        print(f"removed {len(stale)} stale case(s) of an earlier cohort ({stale[0].name} ...)")
    folders = synthesize_cohort(args.out, args.n, seed=args.seed, size=args.size, progress=not args.no_progress)
    grid = GRIDS[args.size]
    pet = "x".join(map(str, grid.pet_shape)) + " at " + "x".join(f"{s:g}" for s in grid.pet_spacing_mm) + " mm"
    ct = "x".join(map(str, grid.ct_shape)) + " at " + "x".join(f"{s:g}" for s in grid.ct_spacing_mm) + " mm"
    print(f"wrote {len(folders)} synthetic case(s) ({args.size}, seed {args.seed}) to {args.out}: PET {pet}, CT {ct}")
    return 0
