"""``pet2rep score``: score a predictions JSONL against reference reports and print a table."""

from __future__ import annotations

import argparse

from pet2rep.pairs import DEFAULT_COLUMNS
from pet2rep.text.protocols import DEFAULT_PROTOCOL, PROTOCOL_NAMES, PROTOCOLS
from pet2rep.vocab import AUTO_LANG, LANGS


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "score",
        help="score generated reports (BLEU, METEOR, ROUGE-L, clinical efficacy)",
        description=(
            "Score a predictions JSONL ({case_id, report} per line) against reference reports: a JSONL of the same "
            "shape, a folder of cases (<case_id>/report.txt, or nnU-Net style reports/<case_id>.json), or a dataset "
            "folder written by `pet2rep build`. Or score a file of pairs (--pairs: CSV or JSONL with a prediction and "
            "a reference per row, as other benchmarks release results). --protocol picks the metric definitions: "
            + "; ".join(f"{p.name}: {p.description}" for p in PROTOCOLS.values())
            + " (docs/metrics.md)."
        ),
    )
    parser.add_argument("--predictions", help="predictions JSONL")
    parser.add_argument("--references", help="references JSONL, case folder or `pet2rep build` folder")
    parser.add_argument(
        "--pairs", help="instead of --predictions/--references: CSV or JSONL, a prediction and a reference per row"
    )
    parser.add_argument(
        "--prediction-column",
        default=DEFAULT_COLUMNS["prediction"],
        help="--pairs: column of the prediction (default: %(default)s; PETRG-3D's CSV: Cleaned_Pred_report)",
    )
    parser.add_argument(
        "--reference-column",
        default=DEFAULT_COLUMNS["reference"],
        help="--pairs: column of the reference (default: %(default)s; PETRG-3D's CSV: GT_report)",
    )
    parser.add_argument(
        "--id-column",
        default=DEFAULT_COLUMNS["id"],
        help="--pairs: column of the case id (default: %(default)s, else row numbers; PETRG-3D's CSV: AccNum)",
    )
    parser.add_argument(
        "--protocol",
        choices=PROTOCOL_NAMES,
        default=DEFAULT_PROTOCOL,
        help="scoring protocol (default: %(default)s; petrg3d: PETRG-3D's definitions, x100, no CE)",
    )
    parser.add_argument(
        "--lang",
        choices=(*LANGS, AUTO_LANG),
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

    if args.pairs:
        if args.predictions or args.references:
            raise InputError("give either --pairs or --predictions and --references, not both")
        from pet2rep.pairs import read_pairs

        case_ids, preds, refs = read_pairs(
            args.pairs,
            prediction_column=args.prediction_column,
            reference_column=args.reference_column,
            id_column=args.id_column,
        )
    elif args.predictions and args.references:
        predictions = read_reports_jsonl(args.predictions)
        references = load_references(args.references, lang="en" if args.lang == "en" else "zh")
        for path, reports in ((args.predictions, predictions), (args.references, references)):
            if not reports:
                raise InputError(
                    f'{path}: no reports in the file; expected one {{"case_id", "report"}} object per line'
                )
        predictions = _drop_unreported(predictions, references, args)
        case_ids, preds, refs = align(predictions, references)
    else:
        raise InputError("give --predictions and --references, or --pairs")
    result = score(preds, refs, args.lang, bootstrap=args.bootstrap, seed=args.seed, protocol=args.protocol)
    print(format_table(result))
    if args.out:
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        payload = {"protocol": result["protocol"], "case_ids": case_ids, **result}
        out.write_text(json.dumps(payload, ensure_ascii=False, indent=1, allow_nan=False) + "\n", encoding="utf-8")
        print(f"\nscores written to {out}")
    return 0


def _drop_unreported(predictions: dict, references: dict, args: argparse.Namespace) -> dict:
    """Leave out, with a note on stderr, the predictions of a build's cases that have no reference report."""
    import sys

    from pet2rep.reports import unreported_build_cases

    unreported = set(unreported_build_cases(args.references, lang="en" if args.lang == "en" else "zh"))
    dropped = [c for c in predictions if c in unreported and c not in references]
    if not dropped:
        return predictions
    shown = ", ".join(dropped[:5]) + (f" ... and {len(dropped) - 5} more" if len(dropped) > 5 else "")
    print(
        f"pet2rep score: {len(dropped)} prediction(s) are for cases of {args.references} without a reference report "
        f"(image-only); not scored: {shown}",
        file=sys.stderr,
    )
    return {c: r for c, r in predictions.items() if c not in unreported}


def format_table(result: dict) -> str:
    """A plain-text table of a ``pet2rep.metrics.score`` result: overall (mean, std), CE per state, per organ."""
    from pet2rep.vocab import ORGANS, STATES

    protocol = PROTOCOLS[result.get("protocol", DEFAULT_PROTOCOL)]
    lines = [f"{result['num_samples']} cases, lang {result['lang']}, protocol {protocol.name}", ""]
    if protocol.scale != 1:
        return "\n".join(lines + _protocol_table(result, protocol))
    lines.append(f"{'metric':<14}{'mean':>8}{'std':>8}")
    for key, label in protocol.columns:
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


def _protocol_table(result: dict, protocol) -> list[str]:
    """Rows of a protocol whose paper reports percentages: two decimals, as that paper's table."""
    lines = [f"{'metric (x100)':<16}{'value':>8}{'std':>8}"]
    for key, label in protocol.columns:
        if key in result:
            std = result.get(f"{key}_std")
            lines.append(f"{label:<16}{result[key]:>8.2f}{'' if std is None else f'{std:>8.2f}'}")
    lines.append(f"(per-pair means with their population std; corpus BLEU over all pairs; {protocol.description})")
    return lines
