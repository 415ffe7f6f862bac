"""Benchmark: ``pet2rep build`` of a realistic-size synthetic cohort: cases/s, time split, peak memory vs cases.

A synthetic cohort (``--size realistic``: CT 512x512x400 int16, PET 192x192x260 float32, ``.nii.gz``) of
``--max-cases`` cases is made in a temporary folder (or ``--data DIR`` is used). Measured:

- **throughput**: ``pet2rep.hub.build_dataset`` of the first ``--cases`` cases into the Hub layout (all of
  ``--configs``, no cache registration) with ``num_proc`` 1 and 2, interleaved, median of ``--repeat`` runs;
  cases per second and the 2-process speed-up (the machine's cores bound it);
- **time split** per case (median over the cases, one process): ``render`` (load CT and PET, SUV, key planes,
  pictures), ``png`` (PNG encoding), ``nifti`` (CT resampled on the PET grid + gzip of both volumes, the
  ``volumes`` config), ``text`` (reports, CE labels), from :func:`pet2rep.hub.case_rows`; and per build (the
  ``num_proc=1`` run): ``prepare`` (the builder passes: all of the above + Arrow writing), ``parquet`` (writing the
  shards), ``card``; plus ``register`` (the datasets cache refresh ``pet2rep build`` ends with) once;
- **the volumes config's CT** (median over the cases, same loaded volumes, same run): the CT resampled onto the
  whole PET grid by ``pet2rep.imaging.geometry.resample_to_grid`` with ``method="general"`` (3-D sampling of every
  point,
  the path before the separable one) and ``method="separable"`` (three 1-D passes: what ``auto`` picks for
  axis-aligned grids), and the NIfTI encoding + gzip of both volumes; so ``nifti`` before = general + encoding;
- **peak memory vs cases**: the build (num_proc 1, registration included) of ``--cases`` and of ``--max-cases``
  cases, each in a fresh subprocess: peak resident set (``ru_maxrss``) and its growth over the resident set before
  the build. Target (issue 4): the peak does not grow with the number of cases.

    python benchmarks/bench_build.py [--cases 4] [--max-cases 8] [--repeat 1] [--data DIR] [--keep DIR]
                                     [--size realistic] [--configs fused,separate,mip,volumes] [--json OUT]
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


def _subset(data: Path, n: int, dest: Path) -> Path:
    """A folder with symlinks to the first ``n`` case folders of ``data``."""
    cases = sorted(p for p in data.iterdir() if p.is_dir() and not p.name.startswith("."))
    if len(cases) < n:
        raise SystemExit(f"{data} holds {len(cases)} cases; {n} needed")
    dest.mkdir(parents=True, exist_ok=True)
    for case in cases[:n]:
        link = dest / case.name
        if not link.exists():
            link.symlink_to(case.resolve(), target_is_directory=True)
    return dest


def _rss_bytes() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def child(data: str, out: str, configs: str, cache: str) -> None:
    """One build in this (fresh) process; prints its peak memory as JSON."""
    from pet2rep import hub

    before = _rss_bytes()
    t0 = time.perf_counter()
    summary = hub.build_dataset(data, out, configs.split(","), num_proc=1, cache_dir=cache, progress=False)
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"cases": len(summary.cases), "peak_rss": peak, "rss_before": before, "seconds": seconds}))


def _memory(data: Path, out: Path, configs: str, cache: Path) -> dict:
    proc = subprocess.run(
        [sys.executable, __file__, "--child", str(data), str(out), configs, str(cache)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _build_seconds(data: Path, out: Path, configs: list[str], num_proc: int) -> tuple[float, dict]:
    from pet2rep import hub

    t0 = time.perf_counter()
    summary = hub.build_dataset(data, out, configs, num_proc=num_proc, register=False, progress=False)
    return time.perf_counter() - t0, summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=4, help="cases of the timed builds and the smaller memory run")
    parser.add_argument("--max-cases", type=int, default=8, help="cases of the larger memory run")
    parser.add_argument("--repeat", type=int, default=1, help="timed builds per num_proc (median reported)")
    parser.add_argument("--data", type=Path, help="an existing folder of cases (at least --max-cases)")
    parser.add_argument("--keep", type=Path, help="write the synthetic cohort here and keep it")
    parser.add_argument("--size", default="realistic", choices=("small", "medium", "realistic"))
    parser.add_argument("--configs", default="fused,separate,mip,volumes", help="configs to build")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON")
    parser.add_argument("--child", nargs=4, metavar=("DATA", "OUT", "CONFIGS", "CACHE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(*args.child)
        return 0
    if args.cases < 1 or args.max_cases < args.cases:
        parser.error("need 1 <= --cases <= --max-cases")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

    with tempfile.TemporaryDirectory(prefix="bench_build_") as tmp:
        tmp = Path(tmp)
        data = args.data
        if data is None:
            from pet2rep.synth import synthesize_cohort

            data = args.keep or tmp / "cohort"
            t0 = time.perf_counter()
            synthesize_cohort(data, args.max_cases, seed=0, size=args.size, progress=False)
            print(f"synthesized {args.max_cases} {args.size} cases in {time.perf_counter() - t0:.0f} s -> {data}")
        return _run(args, Path(data), tmp)


def _run(args, data: Path, tmp: Path) -> int:
    from pet2rep import hub
    from pet2rep.imaging.cases import discover_cases

    configs = [c.strip() for c in args.configs.split(",") if c.strip()]
    small = _subset(data, args.cases, tmp / f"first_{args.cases}")
    large = _subset(data, args.max_cases, tmp / f"first_{args.max_cases}")
    cases = discover_cases(small)
    ct_mb = sum(c.ct_path.stat().st_size for c in cases) / len(cases) / 1e6
    pet_mb = sum(c.pet_input_path.stat().st_size for c in cases) / len(cases) / 1e6
    print(f"cohort: {data} ({args.cases} cases timed; .nii.gz per case: CT {ct_mb:.0f} MB, PET {pet_mb:.0f} MB)")
    print(f"configs: {', '.join(configs)}; cpu count {os.cpu_count()}\n")

    # Per-case split, one process.
    parts: dict[str, list[float]] = {}
    for case in cases:
        timings: dict[str, float] = {}
        hub.case_rows(case, configs, timings=timings)
        for key, value in timings.items():
            parts.setdefault(key, []).append(value)
    split = {k: statistics.median(v) for k, v in parts.items()}

    # The volumes config's CT on the PET grid, both methods on the same loaded volumes.
    grid: dict[str, list[float]] = {"general": [], "separable": [], "encode": []}
    if "volumes" in configs:
        from pet2rep.imaging.geometry import resample_to_grid
        from pet2rep.imaging.render import load_case_volumes, volumes_on_pet_grid

        for case in cases:
            vols = load_case_volumes(case)
            for method in ("general", "separable"):
                t0 = time.perf_counter()
                resample_to_grid(
                    vols.ct, vols.ct_affine, vols.pet_affine, vols.pet_shape, dtype="int16", method=method
                )
                grid[method].append(time.perf_counter() - t0)
            ct_img, suv_img = volumes_on_pet_grid(vols)
            t0 = time.perf_counter()
            hub.encode_nifti(ct_img)
            hub.encode_nifti(suv_img)
            grid["encode"].append(time.perf_counter() - t0)
            del vols, ct_img, suv_img
    grid_med = {k: statistics.median(v) for k, v in grid.items() if v}

    # Throughput, interleaved.
    seconds: dict[int, list[float]] = {1: [], 2: []}
    phases: list[dict] = []
    for r in range(args.repeat):
        for num_proc in (1, 2):
            out = tmp / f"out_{num_proc}_{r}" / "pet2rep"
            s, summary = _build_seconds(small, out, configs, num_proc)
            seconds[num_proc].append(s)
            if num_proc == 1:
                phases.append(summary.timings)
            shutil.rmtree(out.parent)
    t1, t2 = statistics.median(seconds[1]), statistics.median(seconds[2])
    phase = {k: statistics.median(p[k] for p in phases) for k in phases[0]}
    reg_out = tmp / "reg" / "pet2rep"
    hub.build_dataset(small, reg_out, configs, register=False, progress=False)
    t0 = time.perf_counter()
    hub.register_cache(reg_out, cache_dir=tmp / "reg_cache", progress=False)
    register_s = time.perf_counter() - t0
    size = sum(p.stat().st_size for p in reg_out.rglob("*") if p.is_file())

    # Peak memory vs number of cases, fresh processes.
    mem_small = _memory(small, tmp / "mem_s" / "pet2rep", ",".join(configs), tmp / "mem_s_cache")
    mem_large = _memory(large, tmp / "mem_l" / "pet2rep", ",".join(configs), tmp / "mem_l_cache")

    n = args.cases
    print(f"{'throughput':<34}{'seconds':>10}{'cases/s':>10}")
    print(f"{'build, num_proc=1':<34}{t1:>10.1f}{n / t1:>10.3f}")
    print(f"{'build, num_proc=2':<34}{t2:>10.1f}{n / t2:>10.3f}")
    print(f"{'speed-up num_proc 2 vs 1':<34}{t1 / t2:>10.2f}x")
    print(f"\n{'per case (median, one process)':<34}{'seconds':>10}{'share':>10}")
    total_case = sum(split.values())
    for key in ("render", "png", "nifti", "text"):
        if key in split:
            print(f"{key:<34}{split[key]:>10.2f}{split[key] / total_case:>10.0%}")
    if grid_med:
        print(f"\n{'volumes config, per case (median)':<34}{'seconds':>10}")
        print(f"{'CT on PET grid, general':<34}{grid_med['general']:>10.2f}")
        print(f"{'CT on PET grid, separable':<34}{grid_med['separable']:>10.2f}")
        print(f"{'NIfTI encoding + gzip (CT, SUV)':<34}{grid_med['encode']:>10.2f}")
        before = grid_med["general"] + grid_med["encode"]
        after = grid_med["separable"] + grid_med["encode"]
        print(
            f"{'nifti phase general -> separable':<34}{before:>10.2f} -> {after:.2f} s "
            f"(resampling {grid_med['general'] / grid_med['separable']:.1f}x faster)"
        )
    print(f"\n{'per build, num_proc=1':<34}{'seconds':>10}")
    for key, value in phase.items():
        print(f"{key:<34}{value:>10.2f}")
    print(f"{'register (datasets cache)':<34}{register_s:>10.2f}")
    print(f"{'dataset size':<34}{size / 1e6:>9.1f} MB")
    print(f"\n{'peak memory (fresh process)':<34}{'cases':>8}{'peak RSS':>12}{'growth':>12}")
    for mem in (mem_small, mem_large):
        growth = mem["peak_rss"] - mem["rss_before"]
        print(
            f"{'build + register':<34}{mem['cases']:>8}{mem['peak_rss'] / 2**20:>9.0f} MiB{growth / 2**20:>8.0f} MiB"
        )
    ratio = mem_large["peak_rss"] / mem_small["peak_rss"]
    print(f"{'peak ratio':<34}{args.max_cases}/{args.cases} cases: {ratio:.2f}x (target: ~1.0, no growth with cases)")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "cases": n,
            "configs": configs,
            "build_seconds": {"num_proc_1": seconds[1], "num_proc_2": seconds[2]},
            "cases_per_s": {"num_proc_1": n / t1, "num_proc_2": n / t2},
            "per_case_seconds": split,
            "per_build_seconds": {**phase, "register": register_s},
            "volumes_ct_seconds": grid,
            "dataset_bytes": size,
            "memory": {"small": mem_small, "large": mem_large, "peak_ratio": ratio},
        }
        args.json.write_text(json.dumps(payload, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
