"""``pet2rep render``: coronal key slices of one case or a folder of cases as PNGs plus a JSON sidecar per case.

For each case, ``OUT/<case_id>.json`` records ``case_id``, ``config``, ``slice_axis``, ``slice_indices``,
``suv_factor`` (null when the input was SUV), the ``window`` settings, ``images`` (file names in model order) and how
the planes were chosen: ``slice_strategy`` (used), ``slice_strategy_requested``, ``slice_fallback``, ``lesion_mask``
and ``lesion_coverage`` (null without a lesion mask; see :mod:`pet2rep.imaging.slices`).
A multi-case run renders every case it can, lists each failed case with its reason at the end, and exits 1 if
anything failed.
"""

from __future__ import annotations

import argparse
import sys

from pet2rep.imaging.render_options import ASPECTS, CT_MODES, MIP_COLORMAPS, SLICE_STRATEGIES, RenderOptions
from pet2rep.vocab import IMAGE_CONFIGS

_DEFAULTS = RenderOptions()


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "render",
        help="render coronal key slices (separate / fused / mip) of a case or a folder of cases",
        description=__doc__.splitlines()[0],
    )
    parser.add_argument(
        "path", help="a case folder or a folder of cases (generic, autoPET or nnU-Net layout, or DICOM files)"
    )
    parser.add_argument("--config", required=True, choices=IMAGE_CONFIGS, help="image set")
    parser.add_argument("--out", required=True, help="output folder for the PNGs and <case_id>.json")
    parser.add_argument(
        "--slices",
        choices=SLICE_STRATEGIES,
        default=_DEFAULTS.slice_strategy,
        help="key-slice placement: the body's front-back centre (the paper's protocol), planes through the lesions "
        "of a mask (seg.nii.gz, autoPET SEG.nii.gz, nnU-Net labels/, --masks), or through SUV hot spots "
        f"(default: {_DEFAULTS.slice_strategy})",
    )
    parser.add_argument(
        "--masks",
        metavar="DIR",
        help="folder of lesion masks <case_id>.nii.gz from any segmentation tool (looked in before the case's own)",
    )
    parser.add_argument(
        "--min-slice-gap",
        type=int,
        default=_DEFAULTS.min_slice_gap_vox,
        help=f"PET voxels at least between planes chosen by lesion / hotspot (default: {_DEFAULTS.min_slice_gap_vox})",
    )
    parser.add_argument(
        "--num-slices",
        type=int,
        default=_DEFAULTS.num_slices,
        help=f"coronal key slices (default: {_DEFAULTS.num_slices})",
    )
    parser.add_argument(
        "--slice-spacing",
        type=int,
        default=_DEFAULTS.slice_spacing_vox,
        help=f"PET voxels between key slices (default: {_DEFAULTS.slice_spacing_vox})",
    )
    parser.add_argument(
        "--ct-window",
        type=float,
        nargs=2,
        metavar=("WIDTH", "LEVEL"),
        default=_DEFAULTS.ct_window,
        help="CT window in HU (default: {:g} {:g}, soft tissue)".format(*_DEFAULTS.ct_window),
    )
    parser.add_argument(
        "--ct-mode",
        choices=CT_MODES,
        default=_DEFAULTS.ct_mode,
        help=f"CT gray mapping (default: {_DEFAULTS.ct_mode})",
    )
    parser.add_argument(
        "--zscore-range",
        type=float,
        nargs=2,
        metavar=("LOW", "HIGH"),
        default=_DEFAULTS.zscore_range,
        help="z-values shown black and white with --ct-mode zscore (default: {:g} {:g})".format(
            *_DEFAULTS.zscore_range
        ),
    )
    parser.add_argument(
        "--suv-window",
        type=float,
        nargs=2,
        metavar=("LOW", "HIGH"),
        default=_DEFAULTS.suv_window,
        help="SUV mapped to the ends of the colour map (default: {:g} {:g})".format(*_DEFAULTS.suv_window),
    )
    parser.add_argument(
        "--aspect",
        choices=ASPECTS,
        default=_DEFAULTS.aspect,
        help=f"native PET-grid size, or rows rescaled for square pixels in mm (default: {_DEFAULTS.aspect})",
    )
    parser.add_argument(
        "--alpha",
        type=float,
        default=_DEFAULTS.fusion_alpha,
        help=f"PET opacity in fused images (default: {_DEFAULTS.fusion_alpha:g})",
    )
    parser.add_argument(
        "--mip-colormap",
        choices=MIP_COLORMAPS,
        default=_DEFAULTS.mip_colormap,
        help=f"MIP colour map (default: {_DEFAULTS.mip_colormap})",
    )
    parser.add_argument("--reports", metavar="DIR", help="reports of DICOM studies (default: PATH/reports)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(func=run)


# RenderOptions field -> the option that sets it (errors name what the user typed).
_OPTION_OF_FIELD = {
    "num_slices": "num_slices",
    "slice_spacing_vox": "slice_spacing",
    "ct_window": "ct_window",
    "ct_mode": "ct_mode",
    "zscore_range": "zscore_range",
    "suv_window": "suv_window",
    "aspect": "aspect",
    "fusion_alpha": "alpha",
    "mip_colormap": "mip_colormap",
    "slice_strategy": "slices",
    "min_slice_gap_vox": "min_slice_gap",
}


def options_from_args(args: argparse.Namespace):
    """The :class:`~pet2rep.imaging.render.RenderOptions` an argument namespace asks for.

    Raises:
        InputError: a bad value, named by its command-line option (``--alpha: expected ...``).
    """
    from pet2rep.errors import InputError

    values = {field: getattr(args, option) for field, option in _OPTION_OF_FIELD.items()}
    try:
        return RenderOptions(**{k: tuple(v) if isinstance(v, list) else v for k, v in values.items()})
    except InputError as e:
        field = str(e).partition(":")[0].removeprefix("RenderOptions.")
        if field not in _OPTION_OF_FIELD:
            raise
        flag = "--" + _OPTION_OF_FIELD[field].replace("_", "-")
        raise InputError(f"{flag}: expected{str(e).partition(': expected')[2]}") from e


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from pet2rep.errors import Pet2RepError
    from pet2rep.imaging.cases import scan_cases
    from pet2rep.imaging.render import render_case

    options = options_from_args(args)
    if args.masks is not None and not Path(args.masks).is_dir():
        from pet2rep.errors import MissingFileError

        raise MissingFileError(f"--masks: expected a folder of <case_id>.nii.gz lesion masks, got {args.masks!r}")
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
            render_case(case, args.config, options, masks_dir=args.masks).save(out)
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
