"""``pet2rep inspect``: what ``render`` / ``build`` would find in a data folder, before anything is built.

Lists every case (NIfTI or DICOM), for a DICOM study the chosen PET and CT series and why, the series passed over,
the SUV inputs and the factor; then every problem (per case or per unreadable file). Reads headers and small
files only: no voxel is decoded. Exit status 1 when there is a problem. No patient identifier is printed
(see :mod:`pet2rep.imaging.dicom.deid`).
"""

from __future__ import annotations

import argparse
import json
import sys


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "inspect",
        help="list the cases of a data folder (NIfTI or DICOM): chosen series and why, SUV inputs, problems",
        description=__doc__.splitlines()[0],
    )
    parser.add_argument("path", metavar="DATA", help="a case folder, a folder of cases, or a folder of DICOM files")
    parser.add_argument("--reports", metavar="DIR", help="reports of DICOM studies (default: DATA/reports)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    parser.set_defaults(func=run)


def _suv_lines(case, problems: list) -> list[str]:
    from pet2rep.errors import Pet2RepError
    from pet2rep.imaging.suv import suv_parameters

    suv = case.meta.get("suv")
    if suv is not None:  # DICOM: computed from the tags at discovery
        if suv["factor"] is None:
            return [f"SUV: Units {suv['units']}: the pixels are SUV already"]
        if suv["method"] == "philips-cnts":
            return [f"SUV: Units CNTS, Philips SUV Scale Factor (7053,1000) -> factor {suv['factor']:.6g}"]
        timing = (
            f"injection {suv['injection_time']} ({suv['injection']}), reference {suv['reference_time']} "
            f"({suv['reference']})"
            if suv["DecayCorrection"] == "START"
            else suv["reference"]
        )
        return [
            f"SUV: Units BQML, DecayCorrection {suv['DecayCorrection']}: PatientWeight {suv['PatientWeight']:g} kg, "
            f"RadionuclideTotalDose {suv['RadionuclideTotalDose']:.6g} Bq, RadionuclideHalfLife "
            f"{suv['RadionuclideHalfLife']:g} s",
            f"     {timing}, decay {suv['decay_time_s']:.0f} s -> factor {suv['factor']:.6g}",
        ]
    if case.pet_is_suv:
        return [f"SUV: {case.pet_input_path.name} is SUV already"]
    try:
        params = suv_parameters(case.meta, where="meta.json")
    except Pet2RepError as e:
        problems.append((case.case_id, e))
        return [f"SUV: PROBLEM {e}"]
    return [
        f"SUV: meta.json: weight {params.weight_kg:g} kg, dose {params.injected_dose_bq:.6g} Bq, uptake "
        f"{params.uptake_time_s:.0f} s -> factor {params.factor:.6g}"
    ]


def _case_lines(case, problems: list) -> list[str]:
    lines = [f"case {case.case_id} ({case.layout})"]
    choice = case.meta.get("series_choice")
    if choice is not None:
        lines.append(f"  study {case.meta['study_instance_uid']}")
        for what in ("pet", "ct"):
            c = choice[what]
            desc = f" {c['description']!r}" if c["description"] else ""
            lines.append(f"  {what.upper():<3} series {c['series_instance_uid']}{desc}: {c['why']}")
        for c in choice["passed_over"]:
            desc = f" {c['description']!r}" if c["description"] else ""
            lines.append(f"  passed over: {c['modality']} series {c['series_instance_uid']}{desc}: {c['why']}")
    else:
        lines.append(f"  CT {case.ct_path}, PET {case.pet_input_path}")
    lines += [f"  {line}" for line in _suv_lines(case, problems)]
    reports = [p.name for p in (case.report_path, case.report_en_path) if p is not None]
    lines.append(f"  reports: {', '.join(reports) if reports else 'none'}")
    return lines


def run(args: argparse.Namespace) -> int:
    from pet2rep.imaging.cases import scan_cases

    scan = scan_cases(args.path, reports_dir=args.reports)
    problems = list(scan.failures)  # + cases whose SUV metadata will not do (appended while describing them)
    described = [_case_lines(case, problems) for case in scan.cases]
    if args.json:
        record = {
            "cases": [
                {"case_id": c.case_id, "layout": c.layout, "source_format": c.source_format, "meta": c.meta}
                for c in scan.cases
            ],
            "problems": [{"name": name, "error": type(e).__name__, "message": str(e)} for name, e in problems],
        }
        print(json.dumps(record, ensure_ascii=False, indent=2, default=str))
    else:
        print(f"{args.path}: {len(scan.cases)} case(s), {len(problems)} problem(s)")
        for lines in described:
            print("\n".join(lines))
        for folder, what in scan.skipped:
            print(f"skipped {folder}: {what}")
        if problems:
            print(f"{len(problems)} problem(s):", file=sys.stderr)
            for name, e in problems:
                print(f"  {name}: {type(e).__name__}: {e}", file=sys.stderr)
    return 1 if problems else 0
