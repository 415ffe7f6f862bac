"""``pet2rep render``: coronal key slices of one case or a folder of cases as PNGs plus a JSON sidecar per case.

For each case, ``OUT/<case_id>.json`` records ``case_id``, ``config``, ``slice_axis``, ``slice_indices``,
``suv_factor`` (null when the input was SUV), the ``window`` settings, ``images`` (file names in model order) and how
the planes were chosen: ``slice_strategy`` (used), ``slice_strategy_requested``, ``slice_fallback``, ``lesion_mask``
and ``lesion_coverage`` (null without a lesion mask; see :mod:`pet2rep.imaging.slices`), and ``mask_overlay`` (lesion
outlines drawn, ``--mask-overlay``) with ``mask_overlay_fallback`` (why not, when asked for). The options shared with
``pet2rep build`` live in :mod:`pet2rep.cli.render_args`.
A multi-case run renders every case it can, lists each failed case with its reason at the end, and exits 1 if
anything failed.
"""

from __future__ import annotations

import argparse
import sys

from pet2rep.cli.render_args import add_render_arguments, masks_dir_of, options_from_args
from pet2rep.vocab import IMAGE_CONFIGS


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "render",
        help="render coronal key slices (fused / separate / mip / lesion) of a case or a folder of cases",
        description=__doc__.splitlines()[0],
    )
    parser.add_argument(
        "path", help="a case folder or a folder of cases (generic, autoPET or nnU-Net layout, or DICOM files)"
    )
    parser.add_argument("--config", required=True, choices=IMAGE_CONFIGS, help="image set")
    parser.add_argument("--out", required=True, help="output folder for the PNGs and <case_id>.json")
    add_render_arguments(parser)
    parser.add_argument("--reports", metavar="DIR", help="reports of DICOM studies (default: PATH/reports)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from pet2rep.errors import Pet2RepError
    from pet2rep.imaging.cases import scan_cases
    from pet2rep.imaging.render import render_case

    options = options_from_args(args)
    masks_dir = masks_dir_of(args)
    scan = scan_cases(args.path, reports_dir=args.reports)
    failures = [(name, f"{type(e).__name__}: {e}") for name, e in scan.failures]
    out = Path(args.out)
    cases = scan.cases
    if len(cases) > 1 and not args.no_progress:
        from tqdm.auto import tqdm

        cases = tqdm(cases, desc=f"render {args.config}", unit="case")
    done = 0
    for case in cases:
        try:
            render_case(case, args.config, options, masks_dir=masks_dir).save(out)
            done += 1
        except (Pet2RepError, OSError) as e:  # a bad case must not stop the others; it is reported below
            failures.append((case.case_id, f"{type(e).__name__}: {e}"))
        except Exception as e:  # a bug or MemoryError in one case: reported with the others, never a lost run
            failures.append((case.case_id, f"unexpected {type(e).__name__}: {e}"))
    total = len(scan.cases) + len(scan.failures)
    print(f"rendered {done} of {total} case(s) ({args.config}) into {out}")
    for folder, what in scan.skipped:
        print(f"skipped {folder}: {what}, not a case folder")
    if failures:
        print(f"{len(failures)} case(s) FAILED:", file=sys.stderr)
        for name, reason in failures:
            print(f"  {name}: {reason}", file=sys.stderr)
        return 1
    return 0
