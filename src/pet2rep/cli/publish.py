"""``pet2rep publish``: upload a built dataset folder, or the ``pet2rep_ce`` evaluate module as a Space, to the Hub."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "publish",
        help="upload a `pet2rep build` folder as a dataset repository, or the metric as a Space, to the Hub",
        description=(
            "FOLDER --repo-id ORG/NAME: check that FOLDER is a complete pet2rep build (card, parquet files matching "
            "its content hash), create the dataset repository if needed and upload README.md and the parquet "
            "files. --metric ORG/NAME: upload the pet2rep_ce evaluate module as a Gradio Space (module file, "
            "widget, metric card, requirements, vendored pet2rep source), after which "
            "evaluate.load('ORG/NAME') works wherever pet2rep is installed; --dry-run writes that folder to --out "
            "instead. Needs the network and a token with write access (`hf auth login` or HF_TOKEN)."
        ),
    )
    parser.add_argument("folder", metavar="FOLDER", nargs="?", help="the dataset folder (e.g. data/pet2rep)")
    parser.add_argument("--repo-id", help="dataset repository, org/name (e.g. my-lab/pet2rep)")
    parser.add_argument(
        "--metric",
        metavar="ORG/NAME",
        help="publish the pet2rep_ce evaluate module as this Space (e.g. my-lab/pet2rep_ce) instead of a dataset",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="with --metric: write the Space folder to --out, upload nothing"
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("results/metric_space"),
        help="with --metric --dry-run: the Space folder to write (default: %(default)s)",
    )
    parser.add_argument("--private", action="store_true", help="create the repository as private")
    parser.add_argument("--commit-message", help="commit message of the upload")
    parser.set_defaults(func=run)


def check_args(args: argparse.Namespace) -> None:
    """Exactly one of ``FOLDER --repo-id`` and ``--metric``; ``--dry-run`` only with ``--metric``.

    Raises:
        InputError: naming what was given and what is expected.
    """
    from pet2rep.errors import InputError

    if args.metric is not None:
        if args.folder is not None or args.repo_id is not None:
            raise InputError(
                "--metric publishes the evaluate module, not a dataset: give either FOLDER --repo-id ORG/NAME or "
                f"--metric ORG/NAME, got FOLDER={args.folder!r} --repo-id={args.repo_id!r} --metric={args.metric!r}"
            )
        return
    if args.dry_run:
        raise InputError("--dry-run applies to --metric only (a dataset folder is its own dry run)")
    if args.folder is None or args.repo_id is None:
        raise InputError(
            "expected FOLDER --repo-id ORG/NAME (a dataset) or --metric ORG/NAME (the evaluate module), got "
            f"FOLDER={args.folder!r} --repo-id={args.repo_id!r}"
        )


def run(args: argparse.Namespace) -> int:
    check_args(args)
    if args.metric is not None:
        return run_metric(args)
    from pet2rep.dataset.publish import publish

    url = publish(args.folder, args.repo_id, private=args.private, commit_message=args.commit_message)
    print(f"pet2rep publish: uploaded {args.folder} to {url}")
    return 0


def run_metric(args: argparse.Namespace) -> int:
    from pet2rep.hub import check_repo_id
    from pet2rep.metric_space import publish_metric, write_metric_space

    check_repo_id(args.metric, "--metric", "my-lab/pet2rep_ce")
    if args.dry_run:
        files = write_metric_space(args.out, args.metric)
        top = sorted({f.split("/")[0] + ("/" if "/" in f else "") for f in files})
        vendored = sum(f.startswith("pet2rep/") for f in files)
        print(f"pet2rep publish: dry run: wrote the Space folder for {args.metric} to {args.out} (nothing uploaded)")
        print(f"  would push as a Gradio Space ({len(files)} files): {', '.join(top)}  (pet2rep/: {vendored} files)")
        print(f"  then: evaluate.load({args.metric!r}) with pet2rep installed")
        return 0
    url = publish_metric(args.metric, private=args.private, commit_message=args.commit_message)
    print(f"pet2rep publish: uploaded the pet2rep_ce evaluate module to {url}")
    print(f"  evaluate.load({args.metric!r}) now works wherever pet2rep is installed")
    return 0
