"""``pet2rep ce``: the CE (clinical efficacy) labels of reports, and the evidence behind them."""

from __future__ import annotations

import argparse

_INPUT_HELP = (
    "a report text, a text file (one report), a .jsonl file (one JSON object per line: the text under the first of "
    "report, text, findings, reference, prediction; the name under case_id or id), or - for standard input"
)


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "ce",
        help="CE labels of reports and the evidence behind them (audit the extractor)",
        description="The organ-level uptake states the CE metric reads from reports (rules: docs/ce.md).",
    )
    sub = parser.add_subparsers(dest="ce_command", metavar="{explain,extract}", required=True)
    explain = sub.add_parser(
        "explain",
        help="for every organ with a state: the state, the sentence, the cue words and the rules applied",
        description="For every organ with an abnormal uptake state: the state and its evidence (the sentence, the "
        "cue words that decided it, any negation, comparison or other rule applied).",
    )
    extract = sub.add_parser(
        "extract",
        help="the labels only ({organ: [states]} per report)",
        description="The CE labels of each report: {organ: [states]} for the organs with an abnormal state.",
    )
    for p in (explain, extract):
        p.add_argument("input", metavar="FILE_OR_TEXT", help=_INPUT_HELP)
        p.add_argument("--lang", choices=("zh", "en", "auto"), default="auto", help="report language (default: auto)")
        p.add_argument("--json", action="store_true", help="print JSON (one object per report, one per line)")
        p.add_argument(
            "--key", help="JSONL: read the report text under this key (default: the first of the list above)"
        )
    explain.set_defaults(func=run_explain)
    extract.set_defaults(func=run_extract)


def run_explain(args: argparse.Namespace) -> int:
    import json

    from pet2rep.text.ce.audit import audit_report, format_audit, read_reports

    for i, (name, text) in enumerate(read_reports(args.input, args.key)):
        result = audit_report(text, args.lang)
        if args.json:
            print(json.dumps({"name": name, **result}, ensure_ascii=False))
        else:
            print(("\n" if i else "") + format_audit(name, result))
    return 0


def run_extract(args: argparse.Namespace) -> int:
    import json

    from pet2rep.text.ce.audit import audit_report, read_reports

    for name, text in read_reports(args.input, args.key):
        result = audit_report(text, args.lang)
        if args.json:
            print(json.dumps({"name": name, "lang": result["lang"], "labels": result["labels"]}, ensure_ascii=False))
        else:
            labels = "; ".join(f"{organ}: {', '.join(states)}" for organ, states in result["labels"].items())
            print(f"{name}\t{labels or '(all normal)'}")
    return 0
