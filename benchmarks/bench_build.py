"""Benchmark: ``pet2rep build`` of a synthetic cohort: peak memory vs cases, CPU vs the inflate floor, scaling.

A synthetic cohort of ``--max-cases`` cases (``--size medium`` by default: CT 192x192x160, PET 128x128x174;
``realistic``: CT 512x512x400 int16, PET 192x192x260 float32) is made once (``--keep DIR`` keeps it, ``--data DIR``
reuses it). Subsets of it are folders of hard links to distinct case folders (no symlinks, no copies). Every build
runs in a fresh subprocess, with the code under test (this checkout) and, with ``--compare-src``, another source
tree side by side (e.g. ``git archive main | tar -x -C /tmp/main``: its ``src``), in interleaved order. Measured:

- **peak memory vs cases** (``memory``): the build (one process, all ``--configs``, registration included) of
  ``--cases`` and of ``--max-cases`` cases: peak resident set (``ru_maxrss``). Target (issue 11): the peak at
  ``--max-cases`` (96) within 1.3x of the peak at ``--cases`` (24);
- **CPU per case vs the ISA-L inflate floor** (``cpu``): CPU seconds (``process_time``) per case of a one-process
  build of the picture configs (fused, separate, mip): the slope between builds of half and all of the first
  ``--cpu-cases`` cases, against the CPU seconds that ISA-L's inflate alone takes to decode the case's CT and PET
  ``.nii.gz`` (read into memory first). Target: <= 1.5x. Also per case (this checkout, warm): ``case_rows`` CPU /
  floor, median and max;
- **scaling with processes** (``scaling``): wall time of the build of ``--cases`` cases with each ``--num-procs``
  (default 1, 2, 4, ... up to the core count), median of ``--repeat``; speed-up over 1 process and its efficiency
  (speed-up / processes); and, as wall times on a busy machine mislead, the parent's share of the work (its CPU
  with ``p`` processes over the one-process build's CPU): it runs alongside the workers, so it keeps up with about
  1 / share processes. Target: near-linear up to the core count;
- **time split** per case (``split``, this checkout, one process): ``render`` (load, SUV, key planes, pictures),
  ``png``, ``nifti`` (the ``volumes`` config), ``text`` (reports, CE) from ``pet2rep.dataset.rows.case_rows``.

    python benchmarks/bench_build.py [--cases 24] [--max-cases 96] [--size medium] [--data DIR] [--keep DIR]
        [--compare-src DIR] [--num-procs 1,2] [--repeat 1] [--cpu-cases 4] [--only memory,cpu,scaling,split]
        [--configs fused,separate,mip,volumes] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
THIS_SRC = HERE.parent / "src"
IMAGE_CONFIGS = "fused,separate,mip"
PARTS = ("memory", "cpu", "scaling", "split")


def _subset(data: Path, n: int, dest: Path) -> Path:
    """A folder holding the first ``n`` case folders of ``data`` as hard links (distinct cases; no symlinks)."""
    cases = sorted(p for p in data.iterdir() if p.is_dir() and not p.name.startswith("."))
    if len(cases) < n:
        raise SystemExit(f"{data} holds {len(cases)} cases; {n} needed (make a larger cohort with --max-cases)")
    if dest.exists():
        return dest
    for case in cases[:n]:
        shutil.copytree(case, dest / case.name, copy_function=os.link)
    return dest


def _rss_bytes() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def child(src: str, data: str, out: str, configs: str, num_proc: str, cache: str) -> None:
    """One build in this (fresh) process with the ``pet2rep`` of ``src``; prints its figures as JSON."""
    sys.path.insert(0, src)
    os.environ["PYTHONPATH"] = os.pathsep.join([src, os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    try:
        from pet2rep.dataset.build import build_dataset
    except ImportError:  # a tree from before issue 11
        from pet2rep.hub import build_dataset

    # Imports are a one-off cost of the process, not of the build: done before the clocks start.
    import datasets  # noqa: F401
    import pyarrow.parquet  # noqa: F401
    import tqdm.auto  # noqa: F401

    import pet2rep.text.ce

    try:
        import pet2rep.imaging.render
    except ImportError:  # a tree from before issue 11
        import pet2rep.render  # noqa: F401

    before = _rss_bytes()
    t0, c0 = time.perf_counter(), time.process_time()
    summary = build_dataset(
        data,
        out,
        configs.split(","),
        num_proc=int(num_proc),
        register=cache != "-",
        cache_dir=None if cache == "-" else cache,
        progress=False,
    )
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(
        json.dumps(
            {
                "cases": len(summary.cases),
                "failures": len(summary.failures),
                "content_hash": summary.content_hash,
                "peak_rss": peak,
                "rss_before": before,
                "seconds": seconds,
                "cpu_s": cpu,
            }
        )
    )


def _build(src: Path, data: Path, out: Path, configs: str, num_proc: int = 1, cache: Path | None = None) -> dict:
    """A build in a fresh subprocess (``cache``: register there; None: no registration)."""
    args = [str(src), str(data), str(out), configs, str(num_proc), "-" if cache is None else str(cache)]
    proc = subprocess.run([sys.executable, __file__, "--child", *args], capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"build with {src} failed:\n{proc.stderr[-3000:]}")
    shutil.rmtree(out.parent, ignore_errors=True)
    if cache is not None:
        shutil.rmtree(cache, ignore_errors=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _inflate_floor_s(case) -> float:
    """CPU seconds of ISA-L's inflate over the case's CT and PET ``.nii.gz`` (file bytes read beforehand)."""
    from isal import igzip

    blobs = [Path(case.ct_path).read_bytes(), Path(case.pet_input_path).read_bytes()]
    c0 = time.process_time()
    for blob in blobs:
        igzip.decompress(blob)
    return time.process_time() - c0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=24, help="cases of the smaller memory run and the scaling runs")
    parser.add_argument("--max-cases", type=int, default=96, help="cases of the larger memory run")
    parser.add_argument("--cpu-cases", type=int, default=4, help="cases of the CPU-vs-floor runs")
    parser.add_argument("--num-procs", help="comma-separated process counts of the scaling runs (default 1,2,4,..)")
    parser.add_argument("--repeat", type=int, default=1, help="builds per setting in the scaling runs (median)")
    parser.add_argument("--data", type=Path, help="an existing folder of cases (at least --max-cases)")
    parser.add_argument("--keep", type=Path, help="write the synthetic cohort here and keep it")
    parser.add_argument("--size", default="medium", choices=("small", "medium", "realistic"))
    parser.add_argument("--configs", default="fused,separate,mip,volumes", help="configs of the memory/scaling runs")
    parser.add_argument("--compare-src", type=Path, help="another source tree (its src/) to measure side by side")
    parser.add_argument("--only", default=",".join(PARTS), help=f"parts to run among {', '.join(PARTS)}")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON")
    parser.add_argument("--child", nargs=6, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(*args.child)
        return 0
    parts = [p.strip() for p in args.only.split(",") if p.strip()]
    if unknown := [p for p in parts if p not in PARTS]:
        parser.error(f"--only: unknown part(s) {unknown}; expected some of {list(PARTS)}")
    if args.cases < 1 or args.max_cases < args.cases or args.cpu_cases > args.max_cases:
        parser.error("need 1 <= --cases <= --max-cases and --cpu-cases <= --max-cases")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    sys.path.insert(0, str(THIS_SRC))

    with tempfile.TemporaryDirectory(prefix="bench_build_") as tmp:
        tmp = Path(tmp)
        data = args.data
        if data is None:
            from pet2rep.synth import synthesize_cohort

            data = args.keep or tmp / "cohort"
            t0 = time.perf_counter()
            synthesize_cohort(data, args.max_cases, seed=0, size=args.size, progress=False)
            print(f"synthesized {args.max_cases} {args.size} cases in {time.perf_counter() - t0:.0f} s -> {data}")
        return _run(args, parts, Path(data), tmp)


def _run(args, parts: list[str], data: Path, tmp: Path) -> int:
    from pet2rep.imaging.cases import discover_cases

    trees = {"after": THIS_SRC}
    if args.compare_src:
        trees = {"before": args.compare_src.resolve(), **trees}
    small = _subset(data, args.cases, tmp / f"first_{args.cases}")
    cases = discover_cases(_subset(data, args.cpu_cases, tmp / f"first_{args.cpu_cases}"))
    ct_mb = sum(c.ct_path.stat().st_size for c in cases) / len(cases) / 1e6
    pet_mb = sum(c.pet_input_path.stat().st_size for c in cases) / len(cases) / 1e6
    print(f"cohort: {data} (.nii.gz per case: CT {ct_mb:.1f} MB, PET {pet_mb:.1f} MB); cpu count {os.cpu_count()}")
    print(f"trees: {', '.join(f'{k} = {v}' for k, v in trees.items())}\n")
    payload: dict = {"cohort": str(data), "trees": {k: str(v) for k, v in trees.items()}}

    if "memory" in parts:
        large = _subset(data, args.max_cases, tmp / f"first_{args.max_cases}")
        mem: dict = {name: {} for name in trees}
        for n, folder in ((args.cases, small), (args.max_cases, large)):
            for name, src in trees.items():
                mem[name][n] = _build(src, folder, tmp / "m" / "pet2rep", args.configs, 1, tmp / "m_cache")
        print(f"peak memory, build + register ({args.configs}), one process, fresh subprocess")
        print(f"{'tree':<10}{'cases':>8}{'peak RSS':>12}{'build s':>10}")
        for name in trees:
            for n in (args.cases, args.max_cases):
                m = mem[name][n]
                print(f"{name:<10}{m['cases']:>8}{m['peak_rss'] / 2**20:>8.0f} MiB{m['seconds']:>10.1f}")
            ratio = mem[name][args.max_cases]["peak_rss"] / mem[name][args.cases]["peak_rss"]
            print(f"{name:<10}peak ratio {args.max_cases}/{args.cases} cases: {ratio:.2f}x (target <= 1.3x)")
            mem[name]["ratio"] = ratio
        payload["memory"] = mem
        print()

    if "cpu" in parts:
        # CPU per case = the slope between builds of half and all of --cpu-cases cases: what a build spends once
        # (imports, the CE lexicon, the card) is not a per-case cost.
        floors = [_inflate_floor_s(c) for c in cases]
        half = max(1, args.cpu_cases // 2)
        halves = {n: tmp / f"first_{n}" for n in (half, args.cpu_cases)}
        _subset(data, half, halves[half])
        cpu: dict = {name: {} for name in trees}
        for n, folder in halves.items():
            for name, src in trees.items():
                cpu[name][n] = _build(src, folder, tmp / "c" / "pet2rep", IMAGE_CONFIGS)
        floor_per_case = statistics.mean(floors)
        print(
            f"CPU per case, picture configs ({IMAGE_CONFIGS}), builds of {half} and {args.cpu_cases} cases, 1 process"
        )
        print(f"{'ISA-L inflate of CT + PET (floor)':<40}{floor_per_case:>8.2f} s")
        for name in trees:
            spent = cpu[name][args.cpu_cases]["cpu_s"] - (cpu[name][half]["cpu_s"] if half < args.cpu_cases else 0)
            per_case = spent / (args.cpu_cases - half if half < args.cpu_cases else args.cpu_cases)
            ratio = per_case / floor_per_case
            print(f"{'build, ' + name:<40}{per_case:>8.2f} s  {ratio:>5.2f}x the floor (target <= 1.5x)")
            cpu[name]["per_case_s"] = per_case
        from pet2rep.dataset.rows import case_rows

        case_rows(cases[0], IMAGE_CONFIGS.split(","))  # warm: imports, the CE lexicon
        ratios = []
        for case, floor in zip(cases, floors, strict=True):
            c0 = time.process_time()
            case_rows(case, IMAGE_CONFIGS.split(","))
            ratios.append((time.process_time() - c0) / floor)
        med, worst = statistics.median(ratios), max(ratios)
        print(f"{'case_rows / floor per case (after)':<40}median {med:.2f}x, max {worst:.2f}x")
        payload["cpu"] = {"floor_per_case_s": floor_per_case, "floors_s": floors, "builds": cpu, "ratios": ratios}
        print()

    if "scaling" in parts:
        procs = [int(p) for p in args.num_procs.split(",")] if args.num_procs else _default_procs()
        runs: dict = {name: {p: [] for p in procs} for name in trees}
        cpus: dict = {name: {p: [] for p in procs} for name in trees}
        for _ in range(args.repeat):
            for p in procs:
                for name, src in trees.items():
                    figures = _build(src, small, tmp / "s" / "pet2rep", args.configs, p)
                    runs[name][p].append(figures["seconds"])
                    cpus[name][p].append(figures["cpu_s"])
        # Wall times on a shared machine mislead. The parent's own CPU with p processes (writing the shards, taking
        # the results in) over the CPU of the one-process build is the share of the work that runs in one process;
        # it runs alongside the workers, so the parent keeps up with about 1 / share processes.
        print(f"scaling, {args.cases} cases ({args.configs}), no registration, median of {args.repeat}")
        header = f"{'tree':<10}{'procs':>6}{'seconds':>10}{'cases/s':>10}{'speed-up':>10}{'efficiency':>12}"
        print(header + f"{'parent share':>14}{'feeds up to':>13}")
        for name in trees:
            base = statistics.median(runs[name][procs[0]]) * procs[0]
            one_cpu = statistics.median(cpus[name][procs[0]])
            for p in procs:
                s = statistics.median(runs[name][p])
                share = statistics.median(cpus[name][p]) / one_cpu
                print(
                    f"{name:<10}{p:>6}{s:>10.1f}{args.cases / s:>10.2f}{base / s:>9.2f}x{base / s / p:>12.0%}"
                    + (f"{share:>14.1%}{1 / share:>8.0f} procs" if p > 1 else "")
                )
        payload["scaling"] = {"seconds": runs, "parent_cpu_s": cpus}
        print()

    if "split" in parts:
        from pet2rep.dataset.rows import case_rows

        split: dict[str, list[float]] = {}
        for case in cases:
            timings: dict[str, float] = {}
            case_rows(case, args.configs.split(","), timings=timings)
            for key, value in timings.items():
                split.setdefault(key, []).append(value)
        med = {k: statistics.median(v) for k, v in split.items()}
        total = sum(med.values())
        print(f"{'per case (median, after, one process)':<40}{'seconds':>10}{'share':>8}")
        for key, value in med.items():
            print(f"{key:<40}{value:>10.2f}{value / total:>8.0%}")
        payload["split"] = med

    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(payload, indent=1) + "\n")
    return 0


def _default_procs() -> list[int]:
    cores = os.cpu_count() or 1
    procs = [1]
    while procs[-1] * 2 <= cores:
        procs.append(procs[-1] * 2)
    if procs[-1] != cores:
        procs.append(cores)
    return procs


if __name__ == "__main__":
    sys.exit(main())
