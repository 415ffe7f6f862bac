"""``pet2rep register-metric``: ``evaluate.load("pet2rep_ce")`` by its bare name, offline, from any folder."""

from __future__ import annotations

import argparse


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "register-metric",
        help='make evaluate.load("pet2rep_ce") work by its bare name (offline, any folder)',
        description=(
            "Copy the evaluate module pet2rep_ce into the evaluate modules cache (HF_MODULES_CACHE, default "
            "~/.cache/huggingface/modules) where evaluate.load('pet2rep_ce') finds it offline from any folder, as "
            "evaluate lays out a module it has loaded before. `pet2rep build` does this too (unless --no-register). "
            "With the network on, evaluate first tries the Hub's evaluate-metric/pet2rep_ce."
        ),
    )
    parser.add_argument("--cache", help="the HF_MODULES_CACHE to register in (default: as evaluate reads it)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pet2rep.metric_module import register_metric

    path = register_metric(args.cache)
    print(f'registered {path}: evaluate.load("pet2rep_ce") now loads it offline from any folder')
    return 0
