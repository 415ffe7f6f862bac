"""Benchmark: the ``petrg3d`` scoring protocol vs the default ``pet2rep`` protocol on 565 report pairs.

Same corpus as ``bench_metrics.py`` (565 seeded, real-shaped pairs of ~750 Chinese characters). Timed in one
process, interleaved, each the median of ``--repeat`` runs, tokenizer and CE memos cleared before every run:

- ``score(p, r)``: the pet2rep protocol, every metric (BLEU-1..4, METEOR, ROUGE-L, CE with its 1000-resample
  bootstrap) — what ``pet2rep score`` runs;
- ``score(p, r, metrics="nlg")``: the pet2rep protocol's NLG metrics alone;
- ``score(p, r, protocol="petrg3d")``: PETRG-3D's metrics (per-pair NMT BLEU-1..4, METEOR, ROUGE-1/2/L, corpus
  CIDEr, corpus BLEU-1..4) on jieba tokens with punctuation;
- the petrg3d metrics alone on pre-computed tokens, and jieba tokenization with punctuation alone.

Target (issue 15): petrg3d within 2x of the pet2rep protocol. A missed target is printed, and fails only with
``--strict``.

    python benchmarks/bench_protocols.py [--n 565] [--repeat 5] [--strict]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_metrics import make_corpus  # the same corpus as the metrics benchmark


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=565, help="report pairs (default 565, the PET2Rep test set)")
    parser.add_argument("--repeat", type=int, default=5, help="interleaved runs per timing; the median is reported")
    parser.add_argument("--strict", action="store_true", help="exit 1 when the target is missed")
    args = parser.parse_args(argv)

    from pet2rep.metrics import score
    from pet2rep.text import ce, petrg3d
    from pet2rep.text.tokenize import clear_cache as clear_tokenizer_cache
    from pet2rep.text.tokenize import tokenize_jieba

    def clear_cache():
        clear_tokenizer_cache()
        ce.clear_cache()

    score(["肝脏FDG摄取增高，SUVmax 5.2。"], ["肝脏FDG摄取未见异常。"], bootstrap=10)  # jieba dictionary, nltk stemmer
    score(["肝脏FDG摄取增高，SUVmax 5.2。"], ["肝脏FDG摄取未见异常。"], protocol="petrg3d")
    preds, refs = make_corpus(args.n)
    chars = [len(t) for t in preds + refs]
    print(f"corpus: {args.n} pairs, {statistics.mean(chars):.0f} characters per report, seed 0")
    pred_tokens = [tokenize_jieba(t) for t in preds]
    ref_tokens = [tokenize_jieba(t) for t in refs]
    print(f"petrg3d tokens per report: {statistics.mean(map(len, pred_tokens + ref_tokens)):.0f}")

    def tokenize_all():
        clear_cache()
        return [tokenize_jieba(t) for t in preds + refs]

    jobs = {
        "pet2rep: score(), every metric": lambda: (clear_cache(), score(preds, refs))[1],
        "pet2rep: score(metrics='nlg')": lambda: (clear_cache(), score(preds, refs, metrics="nlg"))[1],
        "petrg3d: score(protocol=)": lambda: (clear_cache(), score(preds, refs, protocol="petrg3d"))[1],
        "petrg3d: metrics on tokens": lambda: petrg3d.score_tokens(pred_tokens, ref_tokens),
        "petrg3d: tokenize_jieba": tokenize_all,
    }
    times: dict[str, list[float]] = {name: [] for name in jobs}
    results = {}
    for _ in range(args.repeat):
        for name, job in jobs.items():
            t0 = time.perf_counter()
            results[name] = job()
            times[name].append(time.perf_counter() - t0)
    median = {name: statistics.median(t) for name, t in times.items()}
    print(f"{'':<34}{'median s':>9}   runs")
    for name, t in times.items():
        print(f"{name:<34}{median[name]:>9.3f}   {', '.join(f'{x:.3f}' for x in t)}")
    full = median["petrg3d: score(protocol=)"] / median["pet2rep: score(), every metric"]
    nlg = median["petrg3d: score(protocol=)"] / median["pet2rep: score(metrics='nlg')"]
    print(f"petrg3d / pet2rep (every metric):  {full:5.2f}x   (target <= 2x)")
    print(f"petrg3d / pet2rep (NLG only):      {nlg:5.2f}x")
    r = results["petrg3d: score(protocol=)"]
    print("petrg3d scores: " + ", ".join(f"{label} {r[key]:.2f}" for key, label in (
        ("bleu_4", "BLEU-4"), ("meteor", "METEOR"), ("rouge_l", "ROUGE-L"), ("cider", "CIDEr"),
        ("corpus_bleu_4", "corpus BLEU-4"))))  # fmt: skip
    ok = full <= 2.0
    print("target met" if ok else "TARGET NOT MET (wall-clock medians; a busy machine inflates them)")
    return 0 if ok or not args.strict else 1


if __name__ == "__main__":
    sys.exit(main())
