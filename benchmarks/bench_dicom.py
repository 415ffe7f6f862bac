"""Benchmark: a realistic PET/CT study read from DICOM vs the same study read from ``.nii.gz``.

A realistic synthetic case (CT 512x512x400 int16, PET 192x192x260 in Bq/mL; :mod:`pet2rep.synth`) is written as
NIfTI and, from the same voxels, as DICOM (one uncompressed file per slice: CT uint16 with RescaleIntercept -1024,
PET int16 with a RescaleSlope per slice, random file names; :mod:`pet2rep.imaging.dicom.write`). The NIfTI PET is
rewritten with the values the DICOM files decode to, so both paths load the same numbers. Timed, each the median of
``--repeat`` interleaved runs, files in the page cache (the first, cold run is discarded):

- discovery: ``pet2rep.imaging.cases.scan_cases`` (NIfTI: file names and meta.json; DICOM: every header, series choice,
  SUV factor from the tags);
- load: CT + PET voxels (NIfTI: ``pet2rep.imaging.io.load_volume``; DICOM:
  ``pet2rep.imaging.dicom.volume.read_series``);
- the DICOM load split into its steps (``read_series(..., timings=...)``): reading and parsing the files
  (``pydicom.dcmread``), geometry from the headers, the stored pixel arrays (uncompressed: a view of the bytes),
  rescale and stacking into one array;
- render: ``render_all(case, ("separate", "fused", "mip"))`` from each source (load included);
- the peak traced memory (``tracemalloc``) of each load, against the raw in-memory size of CT + PET.

    python benchmarks/bench_dicom.py [--repeat 3] [--keep DIR] [--json OUT]   (--keep DIR again: reuse the study)
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import nibabel as nib
import numpy as np

CONFIGS = ("separate", "fused", "mip")


def make_study(root: Path) -> tuple[Path, Path]:
    """The realistic case as ``root/nifti/synth_0001`` and as a DICOM study under ``root/dicom``."""
    from pet2rep.imaging.dicom.write import (
        ds_string,
        encode_per_slice,
        make_uid,
        radiopharmaceutical_sequence,
        random_names,
        write_series,
    )
    from pet2rep.imaging.io import save_volume
    from pet2rep.synth import synthesize_case

    case = synthesize_case(root / "nifti", 1, seed=0, size="realistic")  # odd index: PET in Bq/mL, ISO times
    meta = json.loads((case / "meta.json").read_text(encoding="utf-8"))
    inj = datetime.fromisoformat(meta["injection_time"])
    acq = datetime.fromisoformat(meta["acquisition_time"])
    uids = {k: make_uid("bench", k) for k in ("study", "pet", "ct", "frame")}
    common = {"study_uid": uids["study"], "frame_of_reference_uid": uids["frame"]}
    pet_img = nib.load(str(case / "pet.nii.gz"))
    stored, slopes = encode_per_slice(np.asarray(pet_img.dataobj, dtype=np.float32))
    tags = {
        "Units": "BQML",
        "DecayCorrection": "START",
        "CorrectedImage": ["ATTN", "DECY"],
        "PatientWeight": ds_string(meta["weight_kg"]),
        "SeriesDate": acq.strftime("%Y%m%d"),
        "SeriesTime": acq.strftime("%H%M%S"),
        "RadiopharmaceuticalInformationSequence": radiopharmaceutical_sequence(
            meta["injected_dose_bq"], meta.get("half_life_s", 6586.2), start_datetime=inj.strftime("%Y%m%d%H%M%S")
        ),
    }
    out = root / "dicom"
    write_series(
        stored,
        pet_img.affine,
        out / "pet",
        modality="PT",
        series_uid=uids["pet"],
        slopes=slopes,
        tags=tags,
        file_names=random_names(stored.shape[2], "pet"),
        **common,
    )
    decoded = stored.astype(np.float32) * np.asarray(slopes, dtype=np.float32)
    save_volume(decoded, pet_img.affine, case / "pet.nii.gz")
    ct_img = nib.load(str(case / "ct.nii.gz"))
    ct = (np.asarray(ct_img.dataobj).astype(np.int32) + 1024).astype(np.uint16)
    write_series(
        ct,
        ct_img.affine,
        out / "ct",
        modality="CT",
        series_uid=uids["ct"],
        intercept=-1024,
        file_names=random_names(ct.shape[2], "ct"),
        **common,
    )
    return case.parent, out


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def _peak_mib(fn) -> float:
    """Peak traced allocation (numpy buffers included) while ``fn`` runs, in MiB."""
    import tracemalloc

    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def dicom_steps(files: list[Path], **kwargs) -> dict[str, float]:
    """One ``read_series`` of a series with its own split of the time (parse / geometry / pixels / stack)."""
    from pet2rep.imaging.dicom.volume import read_series

    split: dict[str, float] = {}
    t0 = time.perf_counter()
    read_series(files, timings=split, **kwargs)
    return {**split, "total": time.perf_counter() - t0}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--keep", type=Path, help="write the study here and keep it, or reuse the one there (default: a temp folder)"
    )
    parser.add_argument("--json", type=Path, help="also write the figures as JSON")
    args = parser.parse_args(argv)

    from pet2rep.imaging.cases import scan_cases
    from pet2rep.imaging.dicom.volume import read_series
    from pet2rep.imaging.io import load_volume
    from pet2rep.imaging.render import render_all

    tmp = None
    if args.keep is None:
        tmp = tempfile.TemporaryDirectory(prefix="bench_dicom_")
        root = Path(tmp.name)
    else:
        root = args.keep
    t0 = time.perf_counter()
    if (root / "dicom").is_dir() and (root / "nifti").is_dir():  # a study an earlier --keep run left there
        nifti_dir, dicom_dir = root / "nifti", root / "dicom"
        print(f"study reused from {root}")
    else:
        nifti_dir, dicom_dir = make_study(root)
        print(f"study written in {time.perf_counter() - t0:.0f} s under {root}")
    size = {
        "nifti_mb": sum(p.stat().st_size for p in nifti_dir.rglob("*.nii.gz")) / 1e6,
        "dicom_mb": sum(p.stat().st_size for p in dicom_dir.rglob("*") if p.is_file()) / 1e6,
    }
    (n_case,) = scan_cases(nifti_dir).cases
    (d_case,) = scan_cases(dicom_dir).cases
    ct_files, pet_files = list(d_case.dicom.ct_files), list(d_case.dicom.pet_files)

    def load_nifti():  # both volumes held at the end, as rendering holds them
        return load_volume(n_case.ct_path), load_volume(n_case.pet_input_path, float32=True)

    def load_dicom():
        return read_series(ct_files, allow_shear=True), read_series(pet_files, float32=True)

    steps = {
        "scan nifti": lambda: scan_cases(nifti_dir),
        "scan dicom": lambda: scan_cases(dicom_dir),
        "load nifti": load_nifti,
        "load dicom": load_dicom,
        "render nifti": lambda: render_all(n_case, CONFIGS),
        "render dicom": lambda: render_all(d_case, CONFIGS),
    }
    for fn in steps.values():  # warm-up: page cache, imports
        fn()
    times: dict[str, list[float]] = {k: [] for k in steps}
    split: dict[str, list[dict[str, float]]] = {"ct": [], "pet": []}
    for _ in range(args.repeat):
        for name, fn in steps.items():
            times[name].append(_timed(fn))
        split["ct"].append(dicom_steps(ct_files, allow_shear=True))
        split["pet"].append(dicom_steps(pet_files, float32=True))
    med = {k: statistics.median(v) for k, v in times.items()}
    parts = {s: {k: statistics.median(r[k] for r in runs) for k in runs[0]} for s, runs in split.items()}
    print(
        f"files: .nii.gz {size['nifti_mb']:.0f} MB, DICOM {size['dicom_mb']:.0f} MB "
        f"({len(ct_files)} CT + {len(pet_files)} PET files)"
    )
    print(f"medians of {args.repeat} interleaved runs (s):")
    low = {k: min(v) for k, v in times.items()}
    for what in ("scan", "load", "render"):
        a, b = med[f"{what} nifti"], med[f"{what} dicom"]
        print(
            f"  {what:<7} nifti {a:7.3f}   dicom {b:7.3f}   dicom/nifti {b / a:7.2f}x   "
            f"(min: {low[f'{what} nifti']:.3f} vs {low[f'{what} dicom']:.3f})"
        )
    for s, p in parts.items():
        shares = ", ".join(
            f"{k} {p[k]:.3f} ({p[k] / p['total']:.0%})" for k in ("parse", "geometry", "pixels", "stack")
        )
        print(f"  DICOM {s:<3} read_series {p['total']:.3f}: {shares}")
    peak = {name: _peak_mib(steps[name]) for name in ("load nifti", "load dicom")}
    raw_mib = sum(v.nbytes for v in load_nifti()) / 2**20
    print(
        f"  peak memory of the load (tracemalloc): nifti {peak['load nifti']:.0f} MiB, dicom "
        f"{peak['load dicom']:.0f} MiB; raw CT + PET {raw_mib:.0f} MiB"
    )
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "median_s": med,
                    "min_s": low,
                    "runs_s": times,
                    "dicom_split_s": parts,
                    "size": size,
                    "peak_mib": peak,
                    "raw_mib": raw_mib,
                },
                indent=2,
            )
            + "\n"
        )
    if tmp is not None:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
