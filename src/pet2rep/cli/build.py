"""``pet2rep build``: a folder of PET/CT cases -> the dataset in the Hugging Face Hub layout."""

from __future__ import annotations

import argparse
import sys

from pet2rep.cli.render_args import add_render_arguments, masks_dir_of, options_from_args
from pet2rep.vocab import DATASET_CONFIGS

DEFAULT_OUT = "data/pet2rep"
#: The configs built without ``--configs`` (``lesion`` is asked for by name).
DEFAULT_CONFIGS = "fused,separate,mip,volumes"


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "build",
        help="build the dataset (Hub layout: README.md + <config>/<split>-*.parquet) from a folder of cases",
        description=(
            "Render every case of DATA_DIR (generic, autoPET or nnU-Net layout, or DICOM studies) through the "
            "datasets builder "
            "and write the Hub layout: README.md (dataset card) and <config>/<split>-0000i-of-0000n.parquet "
            "with the images embedded. Cases that fail are reported with their reasons and left out; the exit "
            "status is 1 when any case failed, unless --allow-failures. At the end each config is loaded once by "
            "path so that load_dataset('<name of --out>', config) also works offline from any directory "
            "(datasets cache). The key-slice and picture options are those of `pet2rep render`: --slices applies to "
            "fused, separate, mip and the slice_indices of volumes (the lesion config always uses lesion), and "
            "every picture row records slice_strategy, lesion_coverage and mask_overlay."
        ),
    )
    parser.add_argument(
        "data_dir", metavar="DATA_DIR", help="a case folder, a folder of cases, or a folder of DICOM files"
    )
    parser.add_argument("--out", default=DEFAULT_OUT, help=f"dataset folder to write (default: {DEFAULT_OUT})")
    parser.add_argument(
        "--configs",
        default=DEFAULT_CONFIGS,
        help=f"comma-separated configs among {', '.join(DATASET_CONFIGS)} (default: {DEFAULT_CONFIGS})",
    )
    parser.add_argument(
        "--num-proc", type=int, default=1, help="worker processes, cases split between them (default: 1)"
    )
    parser.add_argument(
        "--allow-failures", action="store_true", help="exit 0 even when some cases failed (they are still listed)"
    )
    parser.add_argument(
        "--allow-missing-reports",
        action="store_true",
        help="build a cohort where some cases have no report (refused otherwise); those cases are image-only, left "
        "out of scoring. A cohort with no report at all is always accepted",
    )
    parser.add_argument(
        "--reports",
        metavar="DIR",
        help="DICOM studies' reports, <case id | StudyInstanceUID | AccessionNumber>.txt (default: DATA_DIR/reports)",
    )
    parser.add_argument(
        "--max-shard-size", default="500MB", help="largest parquet shard, in Arrow bytes (default: 500MB)"
    )
    add_render_arguments(parser)
    parser.add_argument("--license", default="other", help="the card's license (that of the source cohort)")
    parser.add_argument(
        "--no-register",
        action="store_true",
        help="skip refreshing the datasets cache (then only load_dataset(<path>, ...) finds the build) and "
        'registering the evaluate module (`pet2rep register-metric`: evaluate.load("pet2rep_ce") by its bare name)',
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pet2rep.dataset.build import build_dataset, describe, parse_size
    from pet2rep.errors import InputError

    configs = tuple(c.strip() for c in args.configs.split(",") if c.strip())
    if not configs:
        raise InputError(f"--configs: expected a comma-separated list among {', '.join(DATASET_CONFIGS)}, got nothing")
    if args.num_proc < 1:
        raise InputError(f"--num-proc must be >= 1, got {args.num_proc}")
    try:
        max_shard_bytes = parse_size(args.max_shard_size)
    except InputError as e:
        raise InputError(f"--max-shard-size: {e}") from e
    options = options_from_args(args)
    masks_dir = masks_dir_of(args)
    summary = build_dataset(
        args.data_dir,
        args.out,
        configs,
        num_proc=args.num_proc,
        options=options,
        masks_dir=masks_dir,
        max_shard_bytes=max_shard_bytes,
        register=not args.no_register,
        license=args.license,
        progress=not args.quiet,
        allow_missing_reports=args.allow_missing_reports,
        reports_dir=args.reports,
    )
    print(describe(summary))
    if not args.no_register:
        _register_metric()
    if summary.failures and not args.allow_failures:
        print(
            f"pet2rep build: {len(summary.failures)} case(s) failed and were left out (listed above); "
            "the good cases were written. Fix them or pass --allow-failures.",
            file=sys.stderr,
        )
        return 1
    return 0


def _register_metric() -> None:
    """``pet2rep register-metric`` after a build, so the README's ``evaluate.load("pet2rep_ce")`` works; a failure
    is a note, not a failed build."""
    from pet2rep.errors import Pet2RepError
    from pet2rep.metric_module import register_metric

    try:
        path = register_metric()
    except (Pet2RepError, OSError) as e:
        print(f"pet2rep build: note: the evaluate module was not registered ({e})", file=sys.stderr)
        return
    print(f'  metric: evaluate.load("pet2rep_ce") offline from any directory ({path.parent})')
