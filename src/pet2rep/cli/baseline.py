"""``pet2rep baseline``: the paper's "Template Baseline" as a model: the template report for every case.

The output is a predictions JSONL (``{"case_id", "report"}`` per line) that ``pet2rep score`` scores and the
leaderboard accepts like any model's.
"""

from __future__ import annotations

import argparse

from pet2rep.vocab import LANGS


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "baseline",
        help="write the template baseline's predictions (the prompt's example report for every case)",
        description="Write the template baseline's predictions: the prompt's example report for every case "
        "of a dataset config.",
    )
    parser.add_argument(
        "--data",
        default=None,
        help="dataset: a local `pet2rep build` folder or a Hub id (default: $PET2REP_DATASET, else data/pet2rep)",
    )
    parser.add_argument("--config", default="fused", help="dataset config whose cases to cover (default: fused)")
    parser.add_argument("--split", default="test", help="dataset split (default: test)")
    parser.add_argument(
        "--lang",
        choices=LANGS,
        default="zh",
        help="report language; en covers only the cases with an English report (default: zh)",
    )
    parser.add_argument(
        "--keep-markers",
        action="store_true",
        help="keep the template's [] and 【】 markers (default: removed, their content kept)",
    )
    parser.add_argument("--out", required=True, help="predictions JSONL to write")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pet2rep.dataset.load import load_split, resolve_dataset
    from pet2rep.errors import InputError
    from pet2rep.prompts import baseline_predictions
    from pet2rep.reports import REPORT_COLUMNS, write_reports_jsonl

    dataset = resolve_dataset(args.data)
    report_column = REPORT_COLUMNS[args.lang]
    columns = ("case_id", report_column) if args.lang == "en" else ("case_id",)
    ds = load_split(dataset, args.config, split=args.split, columns=columns).select_columns(list(columns))
    case_ids = list(ds["case_id"])
    if args.lang == "en":
        reports = list(ds[report_column])
        case_ids = [c for c, r in zip(case_ids, reports, strict=True) if isinstance(r, str) and r.strip()]
    if not case_ids:
        raise InputError(f"dataset {dataset!r} config {args.config!r} has no case to predict (lang {args.lang})")
    duplicates = sorted({c for c in case_ids if case_ids.count(c) > 1})
    if duplicates:
        raise InputError(f"dataset {dataset!r} config {args.config!r} repeats case ids {duplicates[:5]}")
    write_reports_jsonl(args.out, baseline_predictions(case_ids, args.lang, keep_markers=args.keep_markers))
    print(f"template baseline: {len(case_ids)} cases -> {args.out}")
    return 0
