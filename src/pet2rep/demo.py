"""The demo (``make demo``, ``python -m pet2rep.demo``): a synthetic cohort made and rendered end to end.

Steps: synthesize ``--n`` whole-body PET/CT cases into ``--data`` (default ``data/synthetic``), then render every
case in every config into ``--out``/slices/<config>/ (default ``results/demo``), and print where things are.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m pet2rep.demo", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, default=Path("results/demo"), help="results folder (default: results/demo)"
    )
    parser.add_argument(
        "--data", type=Path, default=Path("data/synthetic"), help="cohort folder (default: data/synthetic)"
    )
    parser.add_argument("--n", type=int, default=8, help="number of synthetic cases (default: 8)")
    parser.add_argument("--seed", type=int, default=0, help="cohort seed (default: 0)")
    parser.add_argument("--size", choices=("small", "medium"), default="medium", help="volume sizes (default: medium)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    return parser


def make_cohort(args: argparse.Namespace) -> list[Path]:
    """Step 1: the synthetic cohort."""
    from pet2rep.synth import synthesize_cohort

    t0 = time.perf_counter()
    folders = synthesize_cohort(args.data, args.n, seed=args.seed, size=args.size, progress=not args.no_progress)
    print(f"[1] synthesized {len(folders)} {args.size} cases into {args.data} in {time.perf_counter() - t0:.1f} s")
    return folders


def render_cohort(args: argparse.Namespace) -> dict[str, Path]:
    """Step 2: key slices of every case in every config (volumes loaded once per case)."""
    from pet2rep.cases import discover_cases
    from pet2rep.render import RENDER_CONFIGS, render_all

    t0 = time.perf_counter()
    cases = discover_cases(args.data)
    out = {config: args.out / "slices" / config for config in RENDER_CONFIGS}
    iterator = cases
    if not args.no_progress:
        from tqdm.auto import tqdm

        iterator = tqdm(cases, desc="render", unit="case")
    for case in iterator:
        for config, rendered in render_all(case, RENDER_CONFIGS).items():
            rendered.save(out[config])
    print(f"[2] rendered {len(cases)} cases x {len(RENDER_CONFIGS)} configs in {time.perf_counter() - t0:.1f} s")
    for config, folder in out.items():
        print(f"    {config:<9} {folder}/<case_id>.json + PNGs")
    return out


def summarize(args: argparse.Namespace) -> None:
    """What the cohort holds: sex, PET units and abnormal findings per case."""
    from pet2rep.cases import discover_cases

    print("[3] cohort:")
    for case in discover_cases(args.data):
        labels = case.read_labels() or {}
        findings = ", ".join(f"{organ}:{'/'.join(states)}" for organ, states in labels.items() if states) or "normal"
        units = "SUV" if case.pet_is_suv else "Bq/mL + meta.json"
        print(f"    {case.case_id}  {case.sex}  {units:<17}  {findings}")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from pet2rep.errors import Pet2RepError

    try:
        make_cohort(args)
        render_cohort(args)
        summarize(args)
    except Pet2RepError as e:
        print(f"demo: error: {e}", file=sys.stderr)
        return 1
    print(f"done: cases in {args.data}, pictures in {args.out / 'slices'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
