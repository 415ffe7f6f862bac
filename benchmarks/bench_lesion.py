"""Benchmark (issue 14): lesion coverage, CE F1 and render time of the key-slice strategies center|hotspot|lesion.

A synthetic cohort (``--n`` cases, default 24, ``--size small``) is made in a temporary folder; every case carries
its lesion mask (``seg.nii.gz``, from the cohort's truth). For each strategy:

- lesion coverage of its 3 fused planes against the mask (:func:`pet2rep.imaging.slices.lesion_coverage`): the mean
  over cases with a lesion of the component and volume fractions, and the pooled component fraction (components cut
  / components);
- CE F1 (and precision, recall) of the demo's image reader (:mod:`pet2rep.synth.reader`, which reads the pictures
  with the case's anatomy atlas) against the reference reports, over the whole cohort (``pet2rep.metrics.score``,
  the ``ce`` family, no bootstrap);
- render time: ``render_all(case, ("fused",))`` with the ``center`` and the ``lesion`` strategy, volumes and mask
  loaded in each call, interleaved, the median over ``--repeat`` passes of the cohort total; the target is
  lesion <= 1.2x center.

``--picture PNG`` writes one case's three strategies side by side (one row each, its 3 fused pictures) with the
lesion mask outlined in green.

Caveat: the synthetic cohort places its lesions on the ``center`` key planes (so that the reader's reports can be
checked against the truth): ``center`` covers them by construction here, and the comparison measures the other
strategies against that ceiling, not what the paper's protocol misses on real studies.

    python benchmarks/bench_lesion.py [--n 24] [--seed 0] [--size small] [--repeat 3] [--picture OUT.png] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

STRATEGIES = ("center", "hotspot", "lesion")


def picture(vols, out: Path, zoom: int = 3) -> Path:
    """One case's three strategies, one row each, pixels ``zoom`` times larger, the lesion mask outlined by the
    library's own ``--mask-overlay`` (:func:`pet2rep.imaging.render.draw_outline`, cyan)."""
    from PIL import Image, ImageDraw

    from pet2rep.imaging.render import RenderOptions, render_volumes

    rows = []
    for strategy in STRATEGIES:
        opts = RenderOptions(slice_strategy=strategy, mask_overlay=True)
        rc = render_volumes(vols, ("fused",), opts)["fused"]
        row = np.concatenate([np.asarray(img) for img in rc.images], axis=1)
        rows.append((strategy, rc.slice_indices, row.repeat(zoom, axis=0).repeat(zoom, axis=1)))
    h, w = rows[0][2].shape[:2]
    label_h = 14
    canvas = Image.new("RGB", (w, (h + label_h) * len(rows)), (255, 255, 255))
    draw = ImageDraw.Draw(canvas)
    for r, (strategy, idx, arr) in enumerate(rows):
        y = r * (h + label_h)
        draw.text((2, y + 1), f"{strategy}: coronal planes {idx}", fill=(0, 0, 0))
        canvas.paste(Image.fromarray(arr), (0, y + label_h))
    out.parent.mkdir(parents=True, exist_ok=True)
    canvas.save(out)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=24)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--size", default="small")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--picture", type=Path, help="write one case's three strategies side by side here")
    parser.add_argument(
        "--picture-case",
        default=None,
        help="case id of the picture (default: the case whose lesions the center planes miss most)",
    )
    parser.add_argument("--json", type=Path, help="write the figures as JSON here")
    args = parser.parse_args(argv)

    from pet2rep.imaging.cases import discover_cases
    from pet2rep.imaging.render import RenderOptions, load_case_volumes, render_all, render_volumes
    from pet2rep.metrics import score
    from pet2rep.synth import synthesize_cohort
    from pet2rep.synth.atlas import load_atlas
    from pet2rep.synth.reader import read_report

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "cohort"
        synthesize_cohort(root, args.n, seed=args.seed, size=args.size, progress=False)
        cases = discover_cases(root)
        coverage: dict[str, list[dict]] = {s: [] for s in STRATEGIES}
        fallbacks: dict[str, int] = dict.fromkeys(STRATEGIES, 0)
        preds: dict[str, list[str]] = {s: [] for s in STRATEGIES}
        refs: list[str] = []
        center_hit: dict[str, float] = {}  # case -> fraction of its lesion components the center planes cut
        for case in cases:
            vols = load_case_volumes(case)
            atlas = load_atlas(case.root)
            refs.append(case.read_report("zh"))
            for strategy in STRATEGIES:
                rc = render_volumes(vols, ("fused",), RenderOptions(slice_strategy=strategy))["fused"]
                sel = rc.selection
                fallbacks[strategy] += sel["slice_fallback"] is not None
                if sel["lesion_coverage"] is not None:
                    coverage[strategy].append(sel["lesion_coverage"])
                    if strategy == "center":
                        center_hit[case.case_id] = sel["lesion_coverage"]["components"]
                preds[strategy].append(read_report(rc.images, rc.image_names, atlas))
        if args.picture is not None:
            pick = args.picture_case or min(center_hit, key=center_hit.__getitem__, default=cases[0].case_id)
            print(f"picture: {pick} (the center planes cut {center_hit.get(pick, 1.0):.0%} of its lesion components)")
            picture(load_case_volumes(next(c for c in cases if c.case_id == pick)), args.picture)

        times: dict[str, list[float]] = {"center": [], "lesion": []}
        for _ in range(args.repeat):
            for strategy in times:
                opts = RenderOptions(slice_strategy=strategy)
                t0 = time.perf_counter()
                for case in cases:
                    render_all(case, ("fused",), opts)
                times[strategy].append(time.perf_counter() - t0)

    figures: dict = {"n_cases": len(cases), "size": args.size, "seed": args.seed, "strategies": {}}
    print(f"{len(cases)} synthetic cases ({args.size}, seed {args.seed}); coverage over cases with a lesion mask")
    print(
        f"{'strategy':9s} {'cases':>5s} {'comp.mean':>9s} {'vol.mean':>9s} {'comp.pooled':>11s} "
        f"{'in-plane':>9s} {'fallback':>8s} {'CE P':>6s} {'CE R':>6s} {'CE F1':>6s}"
    )
    for strategy in STRATEGIES:
        cov = coverage[strategy]
        ce = score(preds[strategy], refs, lang="zh", metrics=["ce"], bootstrap=0, return_per_sample=False)
        row = {
            "cases_with_lesions": len(cov),
            "components_mean": statistics.fmean(c["components"] for c in cov) if cov else None,
            "volume_mean": statistics.fmean(c["volume"] for c in cov) if cov else None,
            "components_pooled": (
                sum(c["n_components_hit"] for c in cov) / sum(c["n_components"] for c in cov) if cov else None
            ),
            "in_plane_volume_mean": statistics.fmean(c["in_plane_volume"] for c in cov) if cov else None,
            "fallbacks": fallbacks[strategy],
            "ce_precision": ce["ce_precision"],
            "ce_recall": ce["ce_recall"],
            "ce_f1": ce["ce_f1"],
        }
        figures["strategies"][strategy] = row
        print(
            f"{strategy:9s} {row['cases_with_lesions']:5d} {row['components_mean']:9.3f} {row['volume_mean']:9.3f} "
            f"{row['components_pooled']:11.3f} {row['in_plane_volume_mean']:9.3f} {row['fallbacks']:8d} "
            f"{row['ce_precision']:6.2f} {row['ce_recall']:6.2f} {row['ce_f1']:6.2f}"
        )
    med = {s: statistics.median(v) for s, v in times.items()}
    figures["render_s"] = {s: {"median": med[s], "runs": times[s]} for s in times}
    figures["render_ratio_lesion_vs_center"] = med["lesion"] / med["center"]
    print(
        f"render fused, {len(cases)} cases, median of {args.repeat}: center {med['center']:.2f} s, "
        f"lesion {med['lesion']:.2f} s, ratio {med['lesion'] / med['center']:.2f}x (target <= 1.2x)"
    )
    if args.picture is not None:
        print(f"picture: {args.picture}")
    if args.json is not None:
        args.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
