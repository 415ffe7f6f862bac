"""Benchmark: the CE extractor on the 68 hand-labelled real reports: extraction F1 and time per report.

Reads ``tests/text/data/real_reports_gold.jsonl`` (68 real physician-written Chinese findings of AutoPET-RG-Lym with
adjudicated labels, see the README beside it) and prints:

- extraction micro precision / recall / F1 over (report, organ, state) triples, per organ and per state (the
  figure ``tests/text/test_ce_real_reports.py`` holds a floor on);
- with ``--diff``, every triple the extractor misses or adds, with the gold evidence;
- the time per report of ``extract_uptake`` on the 68 reports, memos cleared before every pass (cold) and kept
  (warm), median of ``--repeat`` passes; target (issue 10): well under 5 ms per report;
- bad input: digits only, mixed scripts and a report repeated, at 10 k and 100 k characters: time and the ratio
  100 k / 10 k (linear time: about 10).

``--src DIR`` puts another source tree first on ``sys.path`` (e.g. a ``git worktree`` of an earlier commit), so the
same command measures an older extractor: only ``pet2rep.text.ce.extract_uptake`` and ``clear_cache`` are used.

    python benchmarks/bench_ce.py [--gold FILE] [--src DIR] [--diff] [--repeat 7] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
GOLD = REPO_ROOT / "tests" / "text" / "data" / "real_reports_gold.jsonl"


def load_gold(path: Path) -> list[dict]:
    """The gold rows: ``{"id", "text", "labels": {organ: [states]}, "evidence", "notes"}``."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def triples(rows_labels) -> set[tuple[str, str, str]]:
    """``{(id, organ, state)}`` from ``[(id, {organ: states})]``."""
    return {(rid, organ, state) for rid, labels in rows_labels for organ, states in labels.items() for state in states}


def prf(tp: int, pred: int, gold: int) -> tuple[float, float, float]:
    p = tp / pred if pred else 0.0
    r = tp / gold if gold else 0.0
    f = 2 * tp / (pred + gold) if pred + gold else 0.0
    return p, r, f


def measure_f1(rows: list[dict], extract) -> dict:
    """Micro P/R/F1 over triples, per organ and per state, and the lists of misses and additions."""
    gold = triples((r["id"], r["labels"]) for r in rows)
    pred = triples((r["id"], {o: s for o, s in extract(r["text"], "zh").items() if s}) for r in rows)
    tp = gold & pred
    out = {"triples_gold": len(gold), "triples_pred": len(pred), "true_positives": len(tp)}
    out["precision"], out["recall"], out["f1"] = prf(len(tp), len(pred), len(gold))
    for key, index in (("per_organ", 1), ("per_state", 2)):
        g, p, t = (Counter(x[index] for x in s) for s in (gold, pred, tp))
        out[key] = {
            name: dict(zip(("precision", "recall", "f1"), prf(t[name], p[name], g[name]), strict=True))
            | {"gold": g[name], "pred": p[name]}
            for name in sorted(set(g) | set(p))
        }
    out["missed"] = sorted(gold - pred)
    out["added"] = sorted(pred - gold)
    return out


def time_reports(texts: list[str], extract, clear, repeat: int) -> dict:
    cold, warm = [], []
    for _ in range(repeat):
        clear()
        t0 = time.perf_counter()
        for t in texts:
            extract(t, "zh")
        cold.append((time.perf_counter() - t0) / len(texts))
        t0 = time.perf_counter()
        for t in texts:
            extract(t, "zh")
        warm.append((time.perf_counter() - t0) / len(texts))
    return {"cold_ms_per_report": statistics.median(cold) * 1e3, "warm_ms_per_report": statistics.median(warm) * 1e3}


def time_bad_inputs(report: str, extract, clear, repeat: int) -> dict:
    makers = {
        "digits only": lambda n: ("0123456789" * (n // 10 + 1))[:n],
        "mixed scripts": lambda n: ("肝脏FDGабвγδ摄取 ١٢٣ 増高تحت，" * (n // 20 + 1))[:n],
        "reports, no punctuation": lambda n: (report.replace("。", "").replace("，", "") * (n // len(report) + 1))[:n],
        "reports": lambda n: (report * (n // len(report) + 1))[:n],
    }
    out = {}
    for name, make in makers.items():
        row = {}
        for n in (10_000, 100_000):
            text = make(n)
            runs = []
            for _ in range(repeat):
                clear()
                t0 = time.perf_counter()
                extract(text, "auto")
                runs.append(time.perf_counter() - t0)
            row[n] = statistics.median(runs)
        out[name] = {"s_10k": row[10_000], "s_100k": row[100_000], "ratio": row[100_000] / max(row[10_000], 1e-9)}
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gold", type=Path, default=GOLD, help="gold JSONL with texts and labels")
    parser.add_argument("--src", type=Path, help="import pet2rep from this source tree instead")
    parser.add_argument("--diff", action="store_true", help="list every missed and added triple")
    parser.add_argument("--repeat", type=int, default=7, help="timed passes (median)")
    parser.add_argument("--no-timing", action="store_true", help="F1 only")
    parser.add_argument("--json", type=Path, help="also write every figure to this JSON file")
    args = parser.parse_args(argv)
    if args.src is not None:
        sys.path.insert(0, str(args.src.resolve()))
    from pet2rep.text import ce

    print(f"extractor: {Path(ce.__file__).resolve()}")
    rows = load_gold(args.gold)
    f1 = measure_f1(rows, ce.extract_uptake)
    print(f"\n{len(rows)} reports, {f1['triples_gold']} gold triples, {f1['triples_pred']} extracted")
    print(f"micro precision {f1['precision']:.4f}  recall {f1['recall']:.4f}  F1 {f1['f1']:.4f}\n")
    print(f"{'organ':<24}{'P':>7}{'R':>7}{'F1':>7}{'gold':>6}{'pred':>6}")
    for name, row in f1["per_organ"].items():
        print(
            f"{name:<24}{row['precision']:>7.3f}{row['recall']:>7.3f}{row['f1']:>7.3f}{row['gold']:>6}{row['pred']:>6}"
        )
    print()
    for name, row in f1["per_state"].items():
        print(
            f"{name:<24}{row['precision']:>7.3f}{row['recall']:>7.3f}{row['f1']:>7.3f}{row['gold']:>6}{row['pred']:>6}"
        )
    if args.diff:
        evidence = {r["id"]: r["evidence"] for r in rows}
        print("\nmissed (gold, not extracted):")
        for rid, organ, state in f1["missed"]:
            print(f"  {rid} {organ} {state}: {evidence[rid].get(organ, '')}")
        print("added (extracted, not gold):")
        for rid, organ, state in f1["added"]:
            print(f"  {rid} {organ} {state}")
    result = {"f1": f1}
    if not args.no_timing:
        clear = getattr(ce, "clear_cache", lambda: None)
        texts = [r["text"] for r in rows]
        timing = time_reports(texts, ce.extract_uptake, clear, args.repeat)
        mean_chars = sum(map(len, texts)) / len(texts)
        print(
            f"\ntime per report ({len(texts)} reports, {mean_chars:.0f} characters on average, median of "
            f"{args.repeat}): cold {timing['cold_ms_per_report']:.3f} ms, warm {timing['warm_ms_per_report']:.3f} ms"
            f"  (target well under 5 ms: {'ok' if timing['cold_ms_per_report'] < 5 else 'MISSED'})"
        )
        bad = time_bad_inputs("\n".join(texts[:3]), ce.extract_uptake, clear, max(1, args.repeat // 2))
        print(f"\n{'bad input':<26}{'10k s':>9}{'100k s':>9}{'ratio':>7}   (linear: ~10)")
        for name, row in bad.items():
            print(f"{name:<26}{row['s_10k']:>9.4f}{row['s_100k']:>9.4f}{row['ratio']:>7.1f}")
        result |= {"timing": timing, "bad_input": bad}
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
