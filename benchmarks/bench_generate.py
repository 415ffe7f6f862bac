"""Benchmark: ``pet2rep generate`` against a local OpenAI-compatible server (the tiny VLM), concurrency 1, 4, 8.

Starts ``python -m pet2rep.testing serve`` on a tiny random VLM (it batches the requests that arrive together, as
vLLM/SGLang do), then runs :func:`pet2rep.generate.generate` over every case of the ``fused`` config at each
concurrency, interleaved, ``--repeat`` times, each into a fresh output file. Prints per concurrency: the median
wall time, cases/s, the speed-up over concurrency 1, the server's mean batch size and time per request; and the
runner's own time per case (reading the row and encoding the request; writing, fsyncing the line and counting)
next to the time a request spends at the server.

    python benchmarks/bench_generate.py [--cases 24] [--max-tokens 32] [--repeat 3] [--data BUILD]

Without ``--data`` it writes a dataset of ``--cases`` cases in a temp folder, three 200x219 RGB images each (the
size of the real key slices), with noise so that the PNGs are as large as real ones (~100 KB).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def write_dataset(root: Path, n: int) -> Path:
    import datasets
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(0)
    rows = {"case_id": [], "images": [], "report": []}
    for case in range(n):
        images = [Image.fromarray(rng.integers(0, 256, (219, 200, 3), dtype=np.uint8)) for _ in range(3)]
        rows["case_id"].append(f"case_{case:04d}")
        rows["images"].append(images)
        rows["report"].append("肝脏FDG摄取未见异常。")
    features = datasets.Features(
        {
            "case_id": datasets.Value("string"),
            "images": datasets.List(datasets.Image()),
            "report": datasets.Value("string"),
        }
    )
    (root / "fused").mkdir(parents=True, exist_ok=True)
    datasets.Dataset.from_dict(rows, features=features).to_parquet(str(root / "fused" / "test-00000-of-00001.parquet"))
    card = [
        "---",
        "configs:",
        "- config_name: fused",
        "  data_files:",
        "  - split: test",
        "    path: fused/test-*.parquet",
    ]
    (root / "README.md").write_text("\n".join([*card, "---", ""]), encoding="utf-8")
    return root


def start_server(model_dir: Path, max_batch: int):
    command = [sys.executable, "-m", "pet2rep.testing", "serve", str(model_dir), "--port", "0", "--test-hooks"]
    command += ["--max-batch", str(max_batch)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = process.stdout.readline()
    if not line.startswith("serving "):
        process.kill()
        raise SystemExit(f"the server did not start: {line!r}")
    return process, line.split()[-1]


def server_call(api_base: str, path: str, payload=None):
    root = api_base.removesuffix("/v1")
    data = None if payload is None else json.dumps(payload).encode()
    request = urllib.request.Request(root + path, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=24)
    parser.add_argument("--max-tokens", type=int, default=32)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 8])
    parser.add_argument("--max-batch", type=int, default=8, help="the server's batch limit")
    parser.add_argument("--data", default=None, help="a `pet2rep build` folder (default: a generated one)")
    parser.add_argument("--json", default=None, help="also write the figures here")
    args = parser.parse_args(argv)

    from pet2rep.generate import generate
    from pet2rep.testing import build_tiny_vlm

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        data = Path(args.data) if args.data else write_dataset(tmp / "data", args.cases)
        model_dir = build_tiny_vlm(tmp / "tiny-vlm")
        process, api_base = start_server(model_dir, args.max_batch)
        try:
            generate(api_base=api_base, model="tiny-vlm", dataset=str(data), out=tmp / "warm.jsonl", limit=2,
                     max_tokens=args.max_tokens)  # fmt: skip
            runs: dict[int, list[dict]] = {c: [] for c in args.concurrency}
            for repeat in range(args.repeat):
                for concurrency in args.concurrency:
                    server_call(api_base, "/_pet2rep/faults", [])  # clears the server's log
                    out = tmp / f"c{concurrency}_{repeat}.jsonl"
                    s = generate(api_base=api_base, model="tiny-vlm", dataset=str(data), out=out,
                                 concurrency=concurrency, max_tokens=args.max_tokens, progress=False)  # fmt: skip
                    if s.errors or s.succeeded != s.cases:
                        raise SystemExit(f"run failed: {s.errors[:3]}")
                    log = server_call(api_base, "/_pet2rep/log")
                    runs[concurrency].append(
                        {
                            "wall_s": s.wall_s,
                            "cases": s.succeeded,
                            "runner_prepare_ms": 1000 * s.prepare_s / s.succeeded,
                            "runner_bookkeeping_ms": 1000 * s.bookkeeping_s / s.succeeded,
                            "request_ms": 1000 * s.request_s / s.succeeded,
                            "server_ms": 1000 * statistics.mean(e["server_s"] for e in log),
                            "batch": statistics.mean(e["batch_size"] for e in log),
                        }
                    )
        finally:
            process.kill()
            process.wait()

    def med(c, key):
        return statistics.median(r[key] for r in runs[c])

    cases = runs[args.concurrency[0]][0]["cases"]
    print(
        f"{cases} cases (fused, 3 images), {args.max_tokens} new tokens, tiny VLM on CPU, cpu count {os.cpu_count()}"
    )
    print(f"server batches up to {args.max_batch} requests; medians of {args.repeat} interleaved runs\n")
    print(f"{'concurrency':>11} {'wall s':>8} {'cases/s':>8} {'speed-up':>9} {'batch':>6} {'server ms':>10} "
          f"{'request ms':>11} {'runner ms':>10}")  # fmt: skip
    base = med(args.concurrency[0], "wall_s")
    figures = {}
    for c in args.concurrency:
        wall = med(c, "wall_s")
        runner_ms = med(c, "runner_prepare_ms") + med(c, "runner_bookkeeping_ms")
        figures[c] = {k: med(c, k) for k in runs[c][0]} | {"speed_up": base / wall, "runner_ms": runner_ms}
        print(f"{c:>11} {wall:>8.2f} {cases / wall:>8.2f} {base / wall:>8.2f}x {med(c, 'batch'):>6.2f} "
              f"{med(c, 'server_ms'):>10.1f} {med(c, 'request_ms'):>11.1f} {runner_ms:>10.2f}")  # fmt: skip
    c1 = figures[args.concurrency[0]]
    print(
        f"\nrunner overhead per case at concurrency {args.concurrency[0]}: {c1['runner_prepare_ms']:.2f} ms preparing "
        f"(row, PNG check, base64, JSON) + {c1['runner_bookkeeping_ms']:.2f} ms recording (write, fsync, counts) = "
        f"{c1['runner_ms']:.2f} ms, {100 * c1['runner_ms'] / c1['server_ms']:.1f}% of the {c1['server_ms']:.0f} ms "
        "a request spends at the server"
    )
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(figures, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
