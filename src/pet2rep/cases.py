"""Finding PET/CT cases on disk: generic, autoPET and nnU-Net-style layouts -> :class:`Case` records.

Discovery only looks at file names and small JSON files: no volume is decoded.

Layouts (auto-detected per case folder):

* ``generic``: ``<case_id>/ct.nii.gz`` + ``pet.nii.gz`` (Bq/mL, with ``meta.json``) or ``suv.nii.gz``;
  optional ``report.txt``, ``report_en.txt``, ``meta.json``, ``labels.json``.
* ``autopet``: ``<patient>/<study>/{SUV,CTres,CT}.nii.gz`` (CTres preferred); case id ``<patient>_<study>``.
* ``nnunet``: ``images/<id>_0000.nii.gz`` (CT) + ``images/<id>_0001.nii.gz`` (SUV), optional
  ``reports/<id>.json`` with the findings under ``检查所见``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pet2rep.errors import InputError, LayoutError, MetadataError, MissingFileError, Pet2RepError
from pet2rep.io import read_json, read_text

LAYOUTS = ("generic", "autopet", "nnunet")
NNUNET_REPORT_KEY = "检查所见"
SPLITS = ("train", "validation", "test")
_NII = (".nii.gz", ".nii")
_NNUNET_IMAGE_DIRS = ("images", "imagesTr", "imagesTs")


def _find(folder: Path, stem: str) -> Path | None:
    for ext in _NII:
        p = folder / f"{stem}{ext}"
        if p.is_file():
            return p
    return None


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_") or "study"


@dataclass(frozen=True)
class Case:
    """One PET/CT study on disk.

    Attributes:
        case_id: unique id (folder name for generic cases).
        layout: ``"generic"``, ``"autopet"`` or ``"nnunet"``.
        root: the case folder (the dataset folder for nnU-Net cases).
        ct_path: CT in HU.
        pet_path: PET in Bq/mL (needs SUV metadata), or None.
        suv_path: PET already in SUV, or None. When both are given the SUV file is used.
        meta: parsed ``meta.json`` or ``{}``.
        report_path, report_en_path: Chinese / English report, or None.
        labels_path: ``labels.json`` (organ -> uptake states), or None.
    """

    case_id: str
    layout: str
    root: Path
    ct_path: Path
    pet_path: Path | None = None
    suv_path: Path | None = None
    meta: dict = field(default_factory=dict, hash=False, compare=False)
    report_path: Path | None = None
    report_en_path: Path | None = None
    labels_path: Path | None = None

    @property
    def pet_is_suv(self) -> bool:
        """True when the PET input is already in SUV (no metadata needed)."""
        return self.suv_path is not None

    @property
    def pet_input_path(self) -> Path:
        """The PET file rendering reads (SUV preferred)."""
        path = self.suv_path or self.pet_path
        if path is None:  # excluded by discovery; kept for hand-built records
            raise MissingFileError(f"case {self.case_id!r}: no PET volume (pet.nii.gz or suv.nii.gz)")
        return path

    def read_report(self, lang: str = "zh") -> str | None:
        """The report text (UTF-8, strict), or None when the case has none in that language.

        Raises:
            InputError: unknown ``lang``, non-UTF-8 bytes, or an nnU-Net report JSON without ``检查所见``.
        """
        if lang not in ("zh", "en"):
            raise InputError(f"case {self.case_id!r}: lang must be 'zh' or 'en', got {lang!r}")
        path = self.report_path if lang == "zh" else self.report_en_path
        if path is None:
            return None
        if path.suffix == ".json":
            data = read_json(path, case_id=self.case_id)
            if not isinstance(data, dict) or not isinstance(data.get(NNUNET_REPORT_KEY), str):
                keys = sorted(data) if isinstance(data, dict) else type(data).__name__
                raise InputError(
                    f"case {self.case_id!r}: {path.name} has no string under {NNUNET_REPORT_KEY!r} (found {keys})"
                )
            return data[NNUNET_REPORT_KEY]
        return read_text(path, case_id=self.case_id)

    def read_labels(self) -> dict[str, list[str]] | None:
        """``labels.json`` as organ key -> list of uptake states, or None when the case has none.

        Raises:
            InputError: not a JSON object of string -> list of strings.
        """
        if self.labels_path is None:
            return None
        data = read_json(self.labels_path, case_id=self.case_id)
        ok = isinstance(data, dict) and all(
            isinstance(k, str) and isinstance(v, list) and all(isinstance(s, str) for s in v) for k, v in data.items()
        )
        if not ok:
            raise InputError(
                f"case {self.case_id!r}: {self.labels_path.name} must map organ keys to lists of states, "
                f'e.g. {{"liver": ["increased"]}}'
            )
        return {k: list(v) for k, v in data.items()}

    @property
    def sex(self) -> str | None:
        """``"M"``, ``"F"`` or None."""
        value = self.meta.get("sex")
        if not isinstance(value, str):
            return None
        v = value.strip().lower()
        if v in ("m", "male", "man", "男"):
            return "M"
        if v in ("f", "female", "woman", "女"):
            return "F"
        return None

    @property
    def age(self) -> float | None:
        """Age in years (``meta.json`` number, or a DICOM age string such as ``"058Y"``), or None."""
        value = self.meta.get("age")
        if isinstance(value, bool):
            return None
        if isinstance(value, (int, float)):
            return float(value) if value >= 0 else None
        if isinstance(value, str):
            m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([YyMmWwDd]?)\s*", value)
            if m:
                n = float(m.group(1))
                return n / {"": 1, "y": 1, "m": 12, "w": 52.1775, "d": 365.25}[m.group(2).lower()]
        return None


@dataclass
class CaseScan:
    """Cases found under a path, and the folders that could not be made into cases (with the error)."""

    cases: list[Case]
    failures: list[tuple[str, Pet2RepError]]


def _generic_case(folder: Path) -> Case:
    case_id = folder.name
    where = f"case {case_id!r}"
    ct = _find(folder, "ct")
    pet = _find(folder, "pet")
    suv = _find(folder, "suv")
    if ct is None:
        raise MissingFileError(f"{where}: ct.nii.gz not found in {folder}")
    if pet is None and suv is None:
        raise MissingFileError(f"{where}: neither pet.nii.gz nor suv.nii.gz found in {folder}")
    meta_path = folder / "meta.json"
    meta: dict = {}
    if meta_path.is_file():
        loaded = read_json(meta_path, case_id=case_id)
        if not isinstance(loaded, dict):
            raise MetadataError(f"{where}: meta.json must be a JSON object, got {type(loaded).__name__}")
        meta = loaded
    elif suv is None:
        raise MissingFileError(
            f"{where}: pet.nii.gz is in Bq/mL and needs meta.json (weight_kg, injected_dose_bq, injection_time, "
            f"acquisition_time) to compute SUV; neither meta.json nor suv.nii.gz found in {folder}"
        )

    def opt(name: str) -> Path | None:
        p = folder / name
        return p if p.is_file() else None

    return Case(
        case_id=case_id,
        layout="generic",
        root=folder,
        ct_path=ct,
        pet_path=pet,
        suv_path=suv,
        meta=meta,
        report_path=opt("report.txt"),
        report_en_path=opt("report_en.txt"),
        labels_path=opt("labels.json"),
    )


def _autopet_id(study: Path) -> str:
    return f"{_slug(study.parent.name)}_{_slug(study.name)}"


def _autopet_case(study: Path) -> Case:
    case_id = _autopet_id(study)
    ct = _find(study, "CTres") or _find(study, "CT")
    suv = _find(study, "SUV")
    if ct is None:
        raise MissingFileError(f"case {case_id!r}: neither CTres.nii.gz nor CT.nii.gz found in {study}")
    if suv is None:
        raise MissingFileError(f"case {case_id!r}: SUV.nii.gz not found in {study}")
    return Case(case_id=case_id, layout="autopet", root=study, ct_path=ct, suv_path=suv)


def _nnunet_cases(root: Path) -> CaseScan:
    cases: list[Case] = []
    failures: list[tuple[str, Pet2RepError]] = []
    reports = root / "reports"
    for image_dir in (root / d for d in _NNUNET_IMAGE_DIRS):
        if not image_dir.is_dir():
            continue
        ids = set()
        for p in image_dir.iterdir():
            m = re.fullmatch(r"(.+)_(000[01])\.nii(\.gz)?", p.name)
            if m:
                ids.add(m.group(1))
        for cid in sorted(ids):
            ct = _find(image_dir, f"{cid}_0000")
            suv = _find(image_dir, f"{cid}_0001")
            if ct is None or suv is None:
                missing = f"{cid}_0000.nii.gz (CT)" if ct is None else f"{cid}_0001.nii.gz (SUV)"
                failures.append((cid, MissingFileError(f"case {cid!r}: {missing} not found in {image_dir}")))
                continue
            report = reports / f"{cid}.json"
            cases.append(
                Case(
                    case_id=cid,
                    layout="nnunet",
                    root=root,
                    ct_path=ct,
                    suv_path=suv,
                    report_path=report if report.is_file() else None,
                )
            )
    return CaseScan(cases, failures)


def _is_generic(folder: Path) -> bool:
    return any(_find(folder, stem) is not None for stem in ("ct", "pet", "suv"))


def _is_autopet_study(folder: Path) -> bool:
    return _find(folder, "SUV") is not None or _find(folder, "CTres") is not None


def _is_nnunet(folder: Path) -> bool:
    return any((folder / d).is_dir() for d in _NNUNET_IMAGE_DIRS)


def _scan_one(folder: Path) -> CaseScan | None:
    """Cases of a folder that is itself a case / study / nnU-Net dataset, or None when it is none of them."""
    if _is_generic(folder):
        make, case_id = _generic_case, folder.name
    elif _is_autopet_study(folder):
        make, case_id = _autopet_case, _autopet_id(folder)
    elif _is_nnunet(folder):
        return _nnunet_cases(folder)
    else:
        return None
    try:
        return CaseScan([make(folder)], [])
    except Pet2RepError as e:  # reported under the id the case would have had
        return CaseScan([], [(case_id, e)])


def _subdirs(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))


def scan_cases(path: str | Path) -> CaseScan:
    """Find cases under ``path`` and collect, rather than raise, per-case problems.

    ``path`` may be one case folder, an autoPET study or patient folder, an nnU-Net dataset folder, or a folder
    of any of these (one level; autoPET patients two). Sub-folders that match no layout are failures
    (:class:`LayoutError`), so nothing is silently dropped; hidden folders and files are ignored.

    Raises:
        MissingFileError: ``path`` does not exist.
        LayoutError: ``path`` matches no layout and holds no case; or duplicate case ids.
    """
    root = Path(path)
    if not root.exists():
        raise MissingFileError(f"data path not found: {root}")
    if not root.is_dir():
        raise LayoutError(f"{root}: expected a case folder or a folder of cases, got a file")
    scan = _scan_one(root)
    if scan is None:
        scan = CaseScan([], [])
        for sub in _subdirs(root):
            found = _scan_one(sub)
            if found is None:
                studies = [s for s in _subdirs(sub) if _is_autopet_study(s)]
                if studies:  # an autoPET patient folder
                    found = CaseScan([], [])
                    for study in studies:
                        part = _scan_one(study)
                        found.cases += part.cases
                        found.failures += part.failures
                else:
                    found = CaseScan(
                        [],
                        [
                            (
                                sub.name,
                                LayoutError(
                                    f"{sub}: matches no case layout (expected ct.nii.gz + pet.nii.gz/suv.nii.gz, "
                                    "an autoPET study with SUV.nii.gz + CTres.nii.gz, or images/<id>_0000.nii.gz)"
                                ),
                            )
                        ],
                    )
            scan.cases += found.cases
            scan.failures += found.failures
        if not scan.cases and not scan.failures:
            raise LayoutError(
                f"{root}: no cases found (expected a case folder with ct.nii.gz and pet.nii.gz or suv.nii.gz, "
                "an autoPET study, an nnU-Net images/ folder, or a folder of those)"
            )
    seen: dict[str, Case] = {}
    for case in scan.cases:
        if case.case_id in seen:
            raise LayoutError(
                f"duplicate case id {case.case_id!r}: {seen[case.case_id].root} and {case.root}; "
                "case ids must be unique"
            )
        seen[case.case_id] = case
    scan.cases.sort(key=lambda c: c.case_id)
    return scan


def discover_cases(path: str | Path) -> list[Case]:
    """All cases under ``path`` sorted by case id; any folder that cannot be made into a case is an error.

    Raises:
        LayoutError, MissingFileError, MetadataError, InputError: the first problem found, its message listing
            every problem when there are several. Use :func:`scan_cases` to keep the good cases.
    """
    scan = scan_cases(path)
    if scan.failures:
        first = scan.failures[0][1]
        if len(scan.failures) == 1:
            raise first
        listing = "; ".join(str(e) for _, e in scan.failures)
        raise type(first)(f"{len(scan.failures)} case folders are unusable: {listing}") from first
    return scan.cases


def read_split_file(data_dir: str | Path, case_ids: Iterable[str] | None = None) -> dict[str, list[str]] | None:
    """The optional ``splits.json`` at the data root (``{"train": [...], "validation": [...], "test": [...]}``).

    Args:
        data_dir: the data root.
        case_ids: the ids the split file may name: every case discovery found there, usable or not (a broken case
            folder is the build's failure to report, not the split file's). Default: those of :func:`scan_cases`.

    Returns:
        split name -> case ids, or None when there is no such file.

    Raises:
        InputError: unknown split names, non-string ids, an id listed twice, or an id not in ``case_ids``.
    """
    root = Path(data_dir)
    path = root / "splits.json"
    if not path.is_file():
        return None
    data: Any = read_json(path)
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a JSON object of split name -> list of case ids")
    unknown = sorted(set(data) - set(SPLITS))
    if unknown:
        raise InputError(f"{path}: unknown split name(s) {unknown}; expected some of {list(SPLITS)}")
    if case_ids is None:
        scan = scan_cases(root)
        case_ids = [c.case_id for c in scan.cases] + [cid for cid, _ in scan.failures]
    known = set(case_ids)
    where: dict[str, str] = {}
    out: dict[str, list[str]] = {}
    for split in SPLITS:
        if split not in data:
            continue
        ids = data[split]
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise InputError(f"{path}: split {split!r} must be a list of case id strings")
        for cid in ids:
            if cid in where:
                raise InputError(f"{path}: case {cid!r} is listed in {where[cid]!r} and again in {split!r}")
            if cid not in known:
                raise InputError(f"{path}: split {split!r} names case {cid!r}, which is not a case under {root}")
            where[cid] = split
        out[split] = list(ids)
    return out
