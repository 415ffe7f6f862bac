"""``pet2rep publish``: upload a built dataset folder to the Hugging Face Hub."""

from __future__ import annotations

import argparse


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "publish",
        help="upload a `pet2rep build` folder to the Hugging Face Hub as a dataset repository",
        description=(
            "Check that FOLDER is a complete pet2rep build (card, parquet files matching its content hash), create "
            "the dataset repository if needed and upload README.md and the parquet files. Needs the network and a "
            "token with write access (`hf auth login` or HF_TOKEN)."
        ),
    )
    parser.add_argument("folder", metavar="FOLDER", help="the dataset folder (e.g. data/pet2rep)")
    parser.add_argument("--repo-id", required=True, help="dataset repository, org/name (e.g. my-lab/pet2rep)")
    parser.add_argument("--private", action="store_true", help="create the repository as private")
    parser.add_argument("--commit-message", help="commit message of the upload")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pet2rep.dataset.publish import publish

    url = publish(args.folder, args.repo_id, private=args.private, commit_message=args.commit_message)
    print(f"pet2rep publish: uploaded {args.folder} to {url}")
    return 0
