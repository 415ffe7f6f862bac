"""``pet2rep score``: score a predictions JSONL against reference reports and print a table."""

from __future__ import annotations

import argparse

_OVERALL = (
    ("BLEU-1", "bleu_1"),
    ("BLEU-2", "bleu_2"),
    ("BLEU-3", "bleu_3"),
    ("BLEU-4", "bleu_4"),
    ("METEOR", "meteor"),
    ("ROUGE-L", "rouge_l"),
    ("CE precision", "ce_precision"),
    ("CE recall", "ce_recall"),
    ("CE F1", "ce_f1"),
)


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "score",
        help="score generated reports (BLEU, METEOR, ROUGE-L, clinical efficacy)",
        description=(
            "Score a predictions JSONL ({case_id, report} per line) against reference reports: a JSONL of the same "
            "shape, a folder of cases (<case_id>/report.txt, or nnU-Net style reports/<case_id>.json), or a dataset "
            "folder written by `pet2rep build`."
        ),
    )
    parser.add_argument("--predictions", required=True, help="predictions JSONL")
    parser.add_argument("--references", required=True, help="references JSONL, case folder or `pet2rep build` folder")
    parser.add_argument(
        "--lang",
        choices=("zh", "en", "auto"),
        default="auto",
        help="report language (default: auto; with a case folder, en reads report_en.txt)",
    )
    parser.add_argument("--out", help="also write every score (per organ and per case included) to this JSON file")
    parser.add_argument("--bootstrap", type=int, default=1000, help="bootstrap resamples for the CE std (0: off)")
    parser.add_argument("--seed", type=int, default=0, help="bootstrap seed")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pet2rep.cli.outputs import check_output_file

    check_output_file(args.out)  # before scoring: a wrong --out costs one error line, not the run
    import json
    from pathlib import Path

    from pet2rep.errors import InputError
    from pet2rep.metrics import score
    from pet2rep.reports import align, load_references, read_reports_jsonl

    predictions = read_reports_jsonl(args.predictions)
    references = load_references(args.references, lang="en" if args.lang == "en" else "zh")
    for path, reports in ((args.predictions, predictions), (args.references, references)):
        if not reports:
            raise InputError(f'{path}: no reports in the file; expected one {{"case_id", "report"}} object per line')
    case_ids, preds, refs = align(predictions, references)
    result = score(preds, refs, args.lang, bootstrap=args.bootstrap, seed=args.seed)
    print(format_table(result))
    if args.out:
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        payload = {"case_ids": case_ids, **result}
        out.write_text(json.dumps(payload, ensure_ascii=False, indent=1, allow_nan=False) + "\n", encoding="utf-8")
        print(f"\nscores written to {out}")
    return 0


def format_table(result: dict) -> str:
    """A plain-text table of a ``pet2rep.metrics.score`` result: overall (mean, std), CE per state, per organ."""
    from pet2rep.text.ce import ORGANS, STATES

    lines = [f"{result['num_samples']} cases, lang {result['lang']}", ""]
    lines.append(f"{'metric':<14}{'mean':>8}{'std':>8}")
    for label, key in _OVERALL:
        if key in result:
            lines.append(f"{label:<14}{result[key]:>8.4f}{result[key + '_std']:>8.4f}")
    if "ce_f1" in result:
        lines += ["", f"{'CE by state':<14}{'P':>8}{'R':>8}{'F1':>8}"]
        for state in STATES:
            p, r, f = (result[f"ce_{m}_{state}"] for m in ("precision", "recall", "f1"))
            lines.append(f"{state:<14}{p:>8.4f}{r:>8.4f}{f:>8.4f}")
        lines += [
            "",
            f"{'CE by organ':<24}{'P':>7}{'R':>7}{'F1':>7}   {'ref inc/dec/abs':>16}   {'pred inc/dec/abs':>16}",
        ]
        for organ in ORGANS:
            row = result["per_organ"][organ]
            ref = "/".join(str(row["support"][s]) for s in STATES)
            pred = "/".join(str(row["predicted"][s]) for s in STATES)
            lines.append(
                f"{organ:<24}{row['precision']:>7.3f}{row['recall']:>7.3f}{row['f1']:>7.3f}   {ref:>16}   {pred:>16}"
            )
        lines.append("(by organ: micro average over the three states; overall CE: macro average over the states)")
    return "\n".join(lines)
