"""``pet2rep submission``: lighteval details -> leaderboard submissions, one JSONL per task.

Reads the details parquet files a ``lighteval accelerate ... --save-details --output-dir RESULTS_DIR`` run wrote
for the pet2rep tasks (the newest run of the model when it ran several times) and writes ``{"case_id", "report"}``
per line: ``OUT/fused.jsonl``, ``OUT/separate.jsonl``, ``OUT/mip.jsonl`` (``OUT/<config>_en.jsonl`` for the English
tasks). ``OUT`` ending in ``.jsonl`` names the file itself when there is one task. Beside each file a sidecar
``<name>.meta.json`` (as ``pet2rep generate`` writes) records the benchmark version the run was on (the pet2rep
version and the test set's content hash, from the run's results file), the task, the model and the source files.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "submission",
        help="turn lighteval details (pet2rep tasks) into leaderboard submission JSONL files",
        description="Turn the details files of a lighteval run of the pet2rep tasks into leaderboard "
        "submissions, one JSONL per task.",
    )
    parser.add_argument("results_dir", help="lighteval --output-dir (or a details folder or file below it)")
    parser.add_argument("--out", required=True, help="output folder (one <config>.jsonl per task) or a .jsonl file")
    parser.add_argument("--model", default=None, help="model folder under details/ when several models ran")
    parser.add_argument(
        "--task", action="append", default=None, help="only this task (e.g. pet2rep:fused); repeatable"
    )
    parser.add_argument(
        "--data",
        default=None,
        help="dataset to check completeness against: every case of each task's config must have a report (an "
        "error when one has none). Without --data the local default ($PET2REP_DATASET, else data/pet2rep) is "
        "checked when it exists, and missing cases are a warning",
    )
    parser.add_argument(
        "--strict", action="store_true", help="missing cases are an error also against the default dataset"
    )
    parser.set_defaults(func=run)


def submission_filename(task: str) -> str:
    """``pet2rep:fused`` -> ``fused.jsonl``; ``pet2rep_en:fused`` -> ``fused_en.jsonl``."""
    suite, _, config = task.partition(":")
    return f"{config}_en.jsonl" if suite.endswith("_en") else f"{config}.jsonl"


def run(args: argparse.Namespace) -> int:
    from pet2rep import lighteval as glue
    from pet2rep.errors import InputError
    from pet2rep.generate.runner import sidecar_path
    from pet2rep.reports import write_reports_jsonl

    found = glue.collect_submissions(args.results_dir, model=args.model)
    if args.task:
        unknown = sorted(set(args.task) - set(found))
        if unknown:
            raise InputError(f"no details for task(s) {', '.join(unknown)}; found {', '.join(found)}")
        found = {task: found[task] for task in args.task}
    out = Path(args.out)
    if out.suffix == ".jsonl" and len(found) > 1:
        raise InputError(
            f"--out {out} is one file but the details hold {len(found)} tasks ({', '.join(found)}); "
            "give a folder or choose one with --task"
        )
    strict = args.strict or args.data is not None
    dataset = glue.resolve_dataset(args.data)
    if args.data is None and not Path(dataset).is_dir():
        print(f"note: completeness not checked (no dataset at {dataset}); pass --data", file=sys.stderr)
    else:
        for task, (_, reports) in found.items():
            _, config, lang = glue.parse_task_name(task)
            column = glue.REPORT_COLUMN[lang]
            ds = glue.load_split(dataset, config, columns=("case_id", column)).select_columns(["case_id", column])
            pairs = zip(list(ds["case_id"]), list(ds[column]), strict=True)
            expected = [c for c, r in pairs if isinstance(r, str) and r.strip()]
            missing = [c for c in expected if c not in reports]
            if missing:
                message = (
                    f"task {task}: {len(missing)} of {len(expected)} cases have no generated report "
                    f"(e.g. {', '.join(missing[:5])}); was lighteval run with --max-samples?"
                )
                if strict:
                    raise InputError(message)
                print(
                    f"warning: {message} (the submission is incomplete; --strict makes this an error)", file=sys.stderr
                )
    for task, (source, reports) in found.items():
        target = out if out.suffix == ".jsonl" else out / submission_filename(task)
        target.parent.mkdir(parents=True, exist_ok=True)
        write_reports_jsonl(target, dict(sorted(reports.items())))
        meta = glue.submission_meta(task, source)
        sidecar_path(target).write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        empty = sum(1 for r in reports.values() if not r.strip())
        note = f", {empty} empty" if empty else ""
        print(f"{task}: {len(reports)} cases{note} -> {target} (from {source})")
    return 0
