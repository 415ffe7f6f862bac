"""The demo (``make demo``, ``python demo/run_demo.py``): the whole benchmark loop on a synthetic cohort.

1. synthesize ``--n`` whole-body PET/CT cases into ``--data`` (default ``data/synthetic``);
2. build the dataset (every config) into ``--dataset`` (default ``data/pet2rep``) and load it back by its bare name,
   ``datasets.load_dataset("pet2rep", "fused")``;
3. run two models: the paper's template baseline (what ``pet2rep baseline`` writes) and the image-reading reference
   model :mod:`pet2rep.synth.reader` on the ``mip`` pictures (the MIP and the 3 fused slices);
4. score both with :func:`pet2rep.metrics.score` and print them beside the paper's template baseline row, with
   per-organ CE;
5. write ``--out`` (default ``results/demo``): predictions, ``scores.json``, a contact sheet of one case's pictures
   and a per-organ CE bar chart; record both runs in the leaderboard store of ``make space`` (``--store``, default
   ``results/space_data``) through the Space's service layer;
6. print the next steps, each a command that works here (and the make target that installs what it needs), and
   where everything is.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

from demo_figures import contact_sheet, organ_chart, pick_case
from demo_leaderboard import record_runs

from pet2rep.dataset.load import load_split
from pet2rep.vocab import HEADLINE_METRICS, METRIC_GROUPS, METRIC_SHORT_LABELS, ORGANS

MODELS = {
    "template_baseline": {"name": "Template baseline (pet2rep demo)", "setting": "fused"},
    "image_reader": {"name": "pet2rep image reader (demo reference model)", "setting": "mip"},
}
"""The demo's two models: key -> the name and input setting they are recorded under on the leaderboard."""
READER_CONFIG = "mip"
# Narrow headers: "BLEU-4" ... for NLG, "CE-P", "CE-R", "CE-F1" for CE.
TABLE_HEADERS = tuple(
    METRIC_SHORT_LABELS[m] if METRIC_GROUPS[m] == "NLG" else f"{METRIC_GROUPS[m]}-{METRIC_SHORT_LABELS[m]}"
    for m in HEADLINE_METRICS
)
_CASE_DIR = re.compile(r"^synth_\d{4}$")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python demo/run_demo.py", description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=24, help="number of synthetic cases (default: 24)")
    parser.add_argument("--seed", type=int, default=0, help="cohort seed (default: 0)")
    parser.add_argument("--size", choices=("small", "medium"), default="medium", help="volume sizes (default: medium)")
    parser.add_argument(
        "--data", type=Path, default=Path("data/synthetic"), help="cohort folder (default: data/synthetic)"
    )
    parser.add_argument(
        "--dataset", type=Path, default=Path("data/pet2rep"), help="dataset folder to build (default: data/pet2rep)"
    )
    parser.add_argument(
        "--out", type=Path, default=Path("results/demo"), help="results folder (default: results/demo)"
    )
    parser.add_argument(
        "--store",
        type=Path,
        default=Path("results/space_data"),
        help="leaderboard store of `make space` (default: results/space_data)",
    )
    parser.add_argument(
        "--hf-cache",
        type=Path,
        default=None,
        help="datasets cache to register the build in (default: HF_DATASETS_CACHE)",
    )
    parser.add_argument(
        "--num-proc", type=int, default=None, help="build worker processes (default: 2, or 1 on a 1-core machine)"
    )
    parser.add_argument(
        "--bootstrap", type=int, default=1000, help="bootstrap resamples for the CE std (default 1000)"
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    return parser


class _Steps:
    """Numbered progress lines with the time each step took."""

    def __init__(self, total: int):
        self.total = total
        self.n = 0
        self.t0 = time.perf_counter()
        self.timings: dict[str, float] = {}
        self._t = self.t0
        self._name = ""

    def start(self, name: str, text: str) -> None:
        self._finish()
        self.n += 1
        self._name = name
        self._t = time.perf_counter()
        print(f"\n[{self.n}/{self.total}] {text}", flush=True)

    def _finish(self) -> None:
        if self._name:
            self.timings[self._name] = round(time.perf_counter() - self._t, 2)
            if self.timings[self._name] >= 0.05:
                print(f"      ({self.timings[self._name]:.1f} s)", flush=True)
            self._name = ""

    def done(self) -> float:
        self._finish()
        return time.perf_counter() - self.t0


# ----------------------------------------------------------------------------------------------- steps
#: Written beside the cohort: what made it and the digest of its files, so an unchanged cohort is not made again.
COHORT_STAMP = ".pet2rep-demo-cohort.json"


def _cohort_digest(folders: list[Path]) -> str:
    """sha256 over the relative path and bytes of every file of the case folders, in sorted order."""
    import hashlib

    digest = hashlib.sha256()
    root = folders[0].parent if folders else Path()
    for path in sorted(p for folder in folders for p in folder.rglob("*") if p.is_file()):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        with path.open("rb") as f:
            while chunk := f.read(1 << 20):
                digest.update(chunk)
    return "sha256:" + digest.hexdigest()


def _reusable_cohort(args: argparse.Namespace, recipe: dict) -> list[Path] | None:
    """The case folders of an earlier run with the same recipe whose files are unchanged, else None."""
    stamp = args.data / COHORT_STAMP
    try:
        recorded = json.loads(stamp.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    folders = [args.data / f"synth_{i:04d}" for i in range(args.n)]
    if recorded.get("recipe") != recipe or not all(p.is_dir() for p in folders):
        return None
    return folders if _cohort_digest(folders) == recorded.get("digest") else None


def make_cohort(args: argparse.Namespace) -> list[Path]:
    """Step 1: the synthetic cohort, reused when an earlier run made the same one and its files are unchanged
    (stale ``synth_*`` cases of an earlier, larger run are removed)."""
    import shutil

    import pet2rep
    from pet2rep.synth import synthesize_cohort

    recipe = {"n": args.n, "seed": args.seed, "size": args.size, "pet2rep": pet2rep.__version__}
    folders = _reusable_cohort(args, recipe)
    if folders is not None:
        print(f"      reusing the unchanged cohort in {args.data} (same recipe, files match their digest)")
    else:
        (args.data / COHORT_STAMP).unlink(missing_ok=True)
        folders = synthesize_cohort(args.data, args.n, seed=args.seed, size=args.size, progress=not args.no_progress)
        stamp = {"recipe": recipe, "digest": _cohort_digest(folders)}
        (args.data / COHORT_STAMP).write_text(json.dumps(stamp, indent=1) + "\n", encoding="utf-8")
    keep = {p.name for p in folders}
    for stale in sorted(p for p in args.data.iterdir() if _CASE_DIR.match(p.name) and p.name not in keep):
        shutil.rmtree(stale)
        print(f"      removed {stale} (not part of this cohort)")
    bq = sum(1 for p in folders if (p / "pet.nii.gz").exists())
    n_suv = len(folders) - bq
    print(f"      {len(folders)} {args.size} cases in {args.data}: PET in SUV ({n_suv}) or Bq/mL + meta.json ({bq});")
    print("      each with ct.nii.gz, report.txt, report_en.txt, labels.json, truth.json")
    return folders


def build(args: argparse.Namespace) -> Any:
    """Step 2: the dataset in every config, then loaded back by its bare name."""
    from pet2rep.dataset.build import build_dataset, describe

    num_proc = args.num_proc or min(2, os.cpu_count() or 1)
    summary = build_dataset(
        args.data, args.dataset, num_proc=num_proc, cache_dir=args.hf_cache, progress=not args.no_progress
    )
    print("      " + describe(summary).replace("\n", "\n      "))
    name = summary.out.name
    fused = load_split(name, "fused", cache_dir=args.hf_cache)
    row = fused[0]
    print(f"      datasets.load_dataset({name!r}, 'fused', split='test') -> {fused.num_rows} rows")
    print(f"      features: {', '.join(fused.features)}")
    sizes = ", ".join(f"{im.size[0]}x{im.size[1]}" for im in row["images"])
    abnormal = {o: s for o, s in row["ce_labels"].items() if s}
    print(f"      row 0: {row['case_id']}, {len(row['images'])} images ({sizes}), abnormal: {abnormal or 'none'}")
    return fused


def run_models(args: argparse.Namespace, fused) -> tuple[list[str], list[str], dict[str, dict[str, str]], dict]:
    """Step 3: both models' predictions, written as JSONL. Returns case ids, references, predictions, readings."""
    from pet2rep.imaging.render import RenderOptions
    from pet2rep.prompts import baseline_predictions
    from pet2rep.reports import write_reports_jsonl
    from pet2rep.synth import reader
    from pet2rep.synth.atlas import load_atlas

    case_ids = list(fused["case_id"])
    references = list(fused["report"])
    predictions: dict[str, dict[str, str]] = {"template_baseline": baseline_predictions(case_ids)}
    print(f"      template baseline: the prompt's example report for all {len(case_ids)} cases")

    rows = load_split(args.dataset.resolve().name, READER_CONFIG, cache_dir=args.hf_cache)
    readings = {}
    iterator = rows
    if not args.no_progress:
        from tqdm.auto import tqdm

        iterator = tqdm(rows, desc=f"image reader ({READER_CONFIG})", unit="case")
    report_top = float(RenderOptions().suv_window[1])
    reports = {}
    for row in iterator:
        # The reader sees the row's pictures and the case's anatomy atlas (truth.json without its lesions) only.
        atlas = load_atlas(args.data / row["case_id"])
        reading = reader.read_images(row["images"], row["image_names"], atlas)
        readings[row["case_id"]] = reading
        reports[row["case_id"]] = reader.write_report(reading, suv_top=report_top)
    predictions["image_reader"] = {cid: reports[cid] for cid in case_ids}
    n_found = sum(len(r.findings) for r in readings.values())
    print(f"      image reader: {len(reports)} reports from the {READER_CONFIG} pictures ({n_found} foci marked)")

    folder = args.out / "predictions"
    for key, preds in predictions.items():
        path = write_reports_jsonl(folder / f"{key}.jsonl", preds)
        print(f"      {MODELS[key]['name']}: {path}")
    return case_ids, references, predictions, readings


def score_models(args: argparse.Namespace, references: list[str], predictions: dict[str, dict[str, str]], case_ids):
    """Step 4: every metric of both models, printed beside the paper's template baseline row."""
    from pet2rep.metrics import score
    from pet2rep.paper import baseline_row

    scores = {}
    for key, preds in predictions.items():
        result = score([preds[c] for c in case_ids], references, bootstrap=args.bootstrap)
        result.pop("per_sample", None)
        scores[key] = result
    paper = baseline_row()
    print(format_table(scores, paper, len(case_ids)))
    print()
    print(format_per_organ(scores))
    return scores, paper


def format_table(scores: dict[str, dict], paper: dict, n_cases: int) -> str:
    """The score table: the paper's template baseline row, then the two models measured here."""
    width = 56
    lines = [f"      {'model':<{width}}{'cases':>6}" + "".join(f"{h:>9}" for h in TABLE_HEADERS)]
    lines.append("      " + "-" * (width + 6 + 9 * len(TABLE_HEADERS)))
    label = "Template baseline, paper Table 1 (its private cohort)"
    lines.append(f"      {label:<{width}}{'565':>6}" + "".join(f"{paper[m]:>9.4f}" for m in HEADLINE_METRICS))
    for key, label in (
        ("template_baseline", "Template baseline, measured here (synthetic)"),
        ("image_reader", f"Image reader ({READER_CONFIG} pictures), measured here"),
    ):
        lines.append(
            f"      {label:<{width}}{n_cases:>6}" + "".join(f"{scores[key][m]:>9.4f}" for m in HEADLINE_METRICS)
        )
    lines.append(
        "      The paper's row was measured by its authors on their private 565-case cohort; the others on this "
        "synthetic cohort."
    )
    ce = {k: scores[k]["ce_f1"] for k in scores}
    lines.append(
        f"      CE-F1 std (bootstrap over cases): template {scores['template_baseline']['ce_f1_std']:.4f}, "
        f"reader {scores['image_reader']['ce_f1_std']:.4f}; reader / template CE-F1 = "
        + (f"{ce['image_reader'] / ce['template_baseline']:.1f}x" if ce["template_baseline"] else "n/a")
    )
    return "\n".join(lines)


def format_per_organ(scores: dict[str, dict]) -> str:
    """Per-organ CE (precision / recall / F1 over the organ's three states) of both models."""
    t, r = scores["template_baseline"]["per_organ"], scores["image_reader"]["per_organ"]
    head = f"      {'organ':<24}{'ref+':>5}  {'template P/R/F1':>20}  {'reader P/R/F1':>20}  {'reader pred+':>12}"
    lines = ["      per-organ CE (ref+: abnormal (case, state) labels in the references)", head]
    for organ in ORGANS:
        support = sum(t[organ]["support"].values())
        n_pred = sum(r[organ]["predicted"].values())
        cells = []
        for s in (t, r):
            cells.append(f"{s[organ]['precision']:.2f}/{s[organ]['recall']:.2f}/{s[organ]['f1']:.2f}")
        lines.append(f"      {organ:<24}{support:>5}  {cells[0]:>20}  {cells[1]:>20}  {n_pred:>12}")
    return "\n".join(lines)


def check_args(args: argparse.Namespace) -> None:
    """Refuse, before any work, arguments the steps would fail on later.

    Raises:
        InputError: naming the option, what it should be and what it got.
    """
    from pet2rep.errors import InputError

    if args.n < 1:
        raise InputError(f"--n must be >= 1, got {args.n}")
    if args.num_proc is not None and args.num_proc < 1:
        raise InputError(f"--num-proc must be >= 1, got {args.num_proc}")
    if args.bootstrap != 0 and args.bootstrap < 2:
        raise InputError(f"--bootstrap must be 0 (off) or >= 2 resamples, got {args.bootstrap}")
    for option in ("data", "dataset", "out", "store"):
        path = getattr(args, option)
        if path.exists() and not path.is_dir():
            raise InputError(f"--{option} {path} is a file; expected a folder (it is created if missing)")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from pet2rep.errors import Pet2RepError

    steps = _Steps(6)
    try:
        check_args(args)
        steps.start("synthesize", f"synthesizing {args.n} {args.size} whole-body FDG PET/CT cases (seed {args.seed})")
        make_cohort(args)
        steps.start("build", f"building the dataset (all configs) into {args.dataset}, then loading it back")
        fused = build(args)
        steps.start("models", f"running the template baseline and the image reader on {fused.num_rows} cases")
        case_ids, references, predictions, readings = run_models(args, fused)
        steps.start("score", "scoring both with pet2rep.metrics.score")
        scores, paper = score_models(args, references, predictions, case_ids)
        steps.start("artifacts", f"writing {args.out} and recording both runs in the leaderboard store {args.store}")
        out = args.out
        out.mkdir(parents=True, exist_ok=True)
        case_id = pick_case(fused)
        sheet = contact_sheet(
            args.dataset.resolve().name, case_id, readings, reader_config=READER_CONFIG, cache_dir=args.hf_cache
        )
        sheet.save(out / "contact_sheet.png")
        organ_chart(scores, len(case_ids), reader_config=READER_CONFIG).save(out / "per_organ_ce.png")
        leaderboard = record_runs(MODELS, args.store, args.dataset, out / "predictions")
        for key, state in leaderboard.items():
            print(f"      leaderboard: {MODELS[key]['name']}: {state}")
        payload = scores_payload(args, scores, paper, leaderboard, case_ids, steps.timings)
        (out / "scores.json").write_text(json.dumps(payload, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        steps.start("next", "what to do next")
        print_next_steps(args, out, case_id)
    except (Pet2RepError, OSError) as e:  # OSError: a folder that cannot be written, a full disk
        print(f"demo: error: {e}", file=sys.stderr)
        return 1
    total = steps.done()
    print(f"\ndemo finished in {total:.1f} s")
    return 0


def scores_payload(args, scores, paper, leaderboard, case_ids, timings) -> dict:
    from pet2rep import __version__

    return {
        "pet2rep_version": __version__,
        "cohort": {
            "cases": len(case_ids),
            "seed": args.seed,
            "size": args.size,
            "data": str(args.data),
            "dataset": str(args.dataset),
        },
        "models": {
            key: {
                "name": MODELS[key]["name"],
                "setting": MODELS[key]["setting"],
                "predictions": str(args.out / "predictions" / f"{key}.jsonl"),
                "leaderboard": leaderboard.get(key),
                "scores": scores[key],
            }
            for key in MODELS
        },
        "paper_template_baseline": {
            "note": "Table 1 of arXiv 2508.04062, measured by the paper's authors on their private 565-case cohort",
            **paper,
        },
        "timings_s": timings,
    }


#: The bare-name evaluate load the demo suggests (`make demo` registers the metric: `pet2rep register-metric`).
EVALUATE_SNIPPET = (
    'import evaluate; m = evaluate.load("pet2rep_ce"); '
    'print(m.compute(predictions=["肝脏FDG摄取增高。"], references=["肝右叶结节，FDG摄取增高。"])["ce_f1"])'
)
#: What `make lighteval-demo` adds to the demo's environment, as measured (README, Performance).
LIGHTEVAL_INSTALL = "the eval extra with the CPU torch wheel: 2 to 5 min and 1.3 GiB more"


def next_steps(args: argparse.Namespace) -> list[tuple[str, list[str]]]:
    """The demo's next steps: (what it is and what it needs, argv) each, every one a command that works on this
    machine right after the demo, offline, in make demo's environment unless it names a make target that adds to it.
    """
    predictions = args.out / "predictions"
    return [
        (
            "browse the cases: pictures, the reference and both models' reports, per-organ CE states "
            "(make demo's environment; http://127.0.0.1:7861)",
            [
                *("pet2rep", "view", "--data", str(args.dataset), "--config", "fused"),
                *(arg for key in MODELS for arg in ("--predictions", str(predictions / f"{key}.jsonl"))),
            ],
        ),
        (
            "open the leaderboard: the paper's Table 1 and the two runs recorded above (http://127.0.0.1:7860)",
            ["make", "space"],
        ),
        (
            "score reports with evaluate, the metric by its bare name (make demo's environment)",
            ["HF_EVALUATE_OFFLINE=1", "python", "-c", EVALUATE_SNIPPET],
        ),
        (
            f"lighteval offline on CPU with a tiny random VLM on {args.dataset}, then leaderboard submissions "
            f"(it installs {LIGHTEVAL_INSTALL}; the commands it runs are in the README)",
            ["make", "lighteval-demo"],
        ),
    ]


def print_next_steps(args: argparse.Namespace, out: Path, case_id: str) -> None:
    import shlex

    name = args.dataset.resolve().name
    lines = ["      Next steps (in .venv: `source .venv/bin/activate` first; a real VLM on a GPU: docs/lighteval.md):"]
    for what, argv in next_steps(args):
        lines += [
            f"        {what}:",
            "          " + shlex.join(argv),
        ]
    lines.append("      Artifacts:")
    artifacts = [
        ("cohort (volumes, reports, truth)", f"{args.data}/"),
        ("dataset (parquet + card)", f"{args.dataset}/  (load_dataset({name!r}, 'fused'))"),
        ("predictions (JSONL per model)", f"{out / 'predictions'}/{{template_baseline,image_reader}}.jsonl"),
        ("scores (all metrics, per organ)", str(out / "scores.json")),
        (f"contact sheet ({case_id})", str(out / "contact_sheet.png")),
        ("per-organ CE bar chart", str(out / "per_organ_ce.png")),
        ("leaderboard store", f"{args.store}/submissions/"),
    ]
    lines += [f"          {what:<35}{where}" for what, where in artifacts]
    print("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())
