"""``pet2rep view``: a local Gradio app to browse the cases of a build with the reports of one or more models."""

from __future__ import annotations

import argparse


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "view",
        help="browse cases: pictures, reference vs model reports, per-case scores, per-organ CE states (local)",
        description=(
            "A local case viewer (Gradio, on 127.0.0.1 only: it shows reference reports): the pictures of one "
            "config, the reference and each model's report side by side with per-case NLG scores, and a per-organ "
            "table of reference vs predicted CE states with their evidence; filter to cases where an organ "
            "disagrees. Needs the space extra."
        ),
    )
    parser.add_argument("--data", required=True, help="a `pet2rep build` folder")
    parser.add_argument(
        "--predictions",
        action="append",
        default=[],
        metavar="[NAME=]P.jsonl",
        help="a predictions JSONL ({case_id, report} per line); repeat for several models (name: the file stem)",
    )
    parser.add_argument("--config", default="fused", help="picture config to show (default: %(default)s)")
    parser.add_argument("--port", type=int, default=7861, help="port on 127.0.0.1 (default: %(default)s)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pet2rep.errors import require
    from pet2rep.viewer import CaseStore, build_app, launch, load_models

    require("gradio", "space")
    models = load_models(args.predictions)
    store = CaseStore(args.data, args.config)
    print(f"pet2rep view: {len(store.references)} case(s) of {args.data} ({args.config}), {len(models)} model(s)")
    launch(build_app(store, models), port=args.port)
    return 0
