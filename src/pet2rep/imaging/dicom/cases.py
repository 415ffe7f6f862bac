"""DICOM studies as :class:`pet2rep.imaging.cases.Case` records, and the volumes of such a case.

A case is a study (StudyInstanceUID) with one PET and one CT series (:mod:`pet2rep.imaging.dicom.study`), its case id
``dicom-<hash of the StudyInstanceUID>`` (:mod:`pet2rep.imaging.dicom.deid`). The SUV factor is computed from the PET
headers at discovery (:mod:`pet2rep.imaging.dicom.suv`), so ``pet2rep inspect`` shows it and a case with unusable tags
fails before any pixel is decoded. The case metadata hold ``source_format`` (``"dicom"``), the study and series
UIDs, the SUV record (factor, method, the tags used) and the series choice with its reasons.

Reports: ``report.txt`` / ``report_en.txt`` / ``labels.json`` in the study's folder (the deepest folder holding
all of the study's files and no other study's), as in the generic layout; or, in a reports folder (``--reports
DIR``, default ``DATA/reports`` when it exists), ``<key>.txt`` / ``<key>_en.txt`` / ``<key>_labels.json`` where
the key is the case id, the StudyInstanceUID or the AccessionNumber (first found).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from pet2rep.errors import Pet2RepError, VolumeError
from pet2rep.imaging.case import Case
from pet2rep.imaging.dicom import deid, load_pydicom
from pet2rep.imaging.dicom.headers import MEDIA_STORAGE_DIRECTORY, read_header
from pet2rep.imaging.dicom.study import SeriesChoice, choose_series, group_studies
from pet2rep.imaging.dicom.suv import DicomSuv, acquisition_datetime, suv_from_tags

LAYOUT = "dicom"
REPORTS_DIR = "reports"


@dataclass(frozen=True)
class DicomSource:
    """Where a DICOM case's volumes come from.

    Attributes:
        study_uid: StudyInstanceUID.
        pet_series_uid, ct_series_uid: the chosen series.
        pet_files, ct_files: their files (any order; the reader sorts them by position).
        suv_factor: the SUV factor from the tags (None: the PET is SUV already).
    """

    study_uid: str
    pet_series_uid: str
    ct_series_uid: str
    pet_files: tuple[Path, ...]
    ct_files: tuple[Path, ...]
    suv_factor: float | None


def _common_folder(paths: Iterable[Path]) -> Path:
    return Path(os.path.commonpath([str(p.parent) for p in paths]))


def _report_files(
    folder: Path | None, reports_dir: Path | None, keys: list[str]
) -> tuple[Path | None, Path | None, Path | None]:
    def first(*candidates: Path) -> Path | None:
        return next((p for p in candidates if p.is_file()), None)

    zh = en = labels = None
    if folder is not None:
        zh, en, labels = first(folder / "report.txt"), first(folder / "report_en.txt"), first(folder / "labels.json")
    if reports_dir is not None:
        keys = [k for k in keys if k and "/" not in k and "\\" not in k]
        zh = zh or first(*(reports_dir / f"{k}.txt" for k in keys))
        en = en or first(*(reports_dir / f"{k}_en.txt" for k in keys))
        labels = labels or first(*(reports_dir / f"{k}_labels.json" for k in keys))
    return zh, en, labels


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def scan_dicom(
    files: Iterable[Path], *, data_root: Path, reports_dir: Path | None = None
) -> tuple[list, list[tuple[str, Pet2RepError]]]:
    """Cases from DICOM files (headers only): ``(cases, failures)``.

    Args:
        files: the DICOM files (:func:`pet2rep.imaging.dicom.files.iter_dicom_files`).
        data_root: the folder being scanned (messages name files relative to it; its ``reports`` folder).
        reports_dir: the reports folder (default: ``data_root/reports`` when it is a folder).

    Returns:
        The :class:`pet2rep.imaging.cases.Case` records (layout ``"dicom"``) and, per study or unreadable file, the
        error.

    Raises:
        MissingDependencyError: pydicom is not installed.
    """

    load_pydicom()
    if reports_dir is None and (data_root / REPORTS_DIR).is_dir():
        reports_dir = data_root / REPORTS_DIR
    failures: list[tuple[str, Pet2RepError]] = []
    headers = []
    pet_datasets: dict[Path, Any] = {}  # every PET header: the SUV tags and the acquisition times
    identifying: dict[str, set[str]] = {}  # study -> values of its identifying tags (the redaction guard)
    for path in files:
        try:
            h, ds = read_header(path)
        except Pet2RepError as e:
            failures.append((_relative(path, data_root), e))
            continue
        if h.sop_class_uid == MEDIA_STORAGE_DIRECTORY:  # a DICOMDIR: files are found by walking the folders
            continue
        missing = [k for k in ("StudyInstanceUID", "SeriesInstanceUID", "Modality") if not ds.get(k)]
        if missing:
            rel = _relative(path, data_root)
            why = "a truncated or corrupt DICOM file, or not an image of a study"
            failures.append((rel, VolumeError(f"{rel}: {', '.join(missing)} missing: {why}")))
            continue
        headers.append(h)
        if h.modality == "PT":
            pet_datasets[path] = ds
        if h.study_uid not in identifying:
            identifying[h.study_uid] = deid.identifying_values(ds)
    studies = group_studies(headers)
    folders = {uid: _common_folder(h.path for series in s.values() for h in series) for uid, s in studies.items()}
    dirs = {uid: {h.path.parent for series in s.values() for h in series} for uid, s in studies.items()}
    cases = []
    for study_uid, series in studies.items():
        case_id = deid.case_id_for(study_uid)
        where = f"case {case_id!r} (study in {_relative(folders[study_uid], data_root) or '.'})"
        redact = partial(deid.redact, values=identifying[study_uid])
        try:
            choice = choose_series(study_uid, series, where=where, redact=redact)
            pet_ds = [pet_datasets[h.path] for h in choice.pet.headers]
            suv = _suv(pet_ds, where=f"{where}: PET series {choice.pet.uid}")
        except Pet2RepError as e:
            failures.append((case_id, e))
            continue
        folder = folders[study_uid]
        exclusive = not any(_is_under(d, folder) for other, ds_ in dirs.items() if other != study_uid for d in ds_)
        keys = [case_id, study_uid, choice.pet.headers[0].accession_number]
        zh, en, labels = _report_files(folder if exclusive else None, reports_dir, keys)
        meta = _meta(choice, suv, pet_ds[0], identifying[study_uid])
        cases.append(
            Case(
                case_id=case_id,
                layout=LAYOUT,
                root=folder,
                ct_path=_common_folder(choice.ct.paths),
                pet_path=_common_folder(choice.pet.paths),
                meta=meta,
                report_path=zh,
                report_en_path=en,
                labels_path=labels,
                dicom=DicomSource(
                    study_uid=study_uid,
                    pet_series_uid=choice.pet.uid,
                    ct_series_uid=choice.ct.uid,
                    pet_files=tuple(choice.pet.paths),
                    ct_files=tuple(choice.ct.paths),
                    suv_factor=suv.factor,
                ),
            )
        )
    return cases, failures


def _is_under(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _suv(pet_datasets: list, *, where: str) -> DicomSuv:
    times = [t for t in (acquisition_datetime(ds, where=where) for ds in pet_datasets) if t is not None]
    return suv_from_tags(pet_datasets[0], times, where=where)


def _meta(choice: SeriesChoice, suv: DicomSuv, pet_ds: Any, identifying: set[str]) -> dict[str, Any]:
    def desc(series) -> str:
        return deid.redact(series.description, identifying)

    meta: dict[str, Any] = {
        "source_format": "dicom",
        "study_instance_uid": choice.study_uid,
        "pet_series_instance_uid": choice.pet.uid,
        "ct_series_instance_uid": choice.ct.uid,
        "frame_of_reference_uid": choice.pet.frame_of_reference_uid,
        "suv": suv.record(),
        "series_choice": {
            "pet": {"series_instance_uid": choice.pet.uid, "description": desc(choice.pet), "why": choice.pet_reason},
            "ct": {"series_instance_uid": choice.ct.uid, "description": desc(choice.ct), "why": choice.ct_reason},
            "passed_over": [
                {"series_instance_uid": s.uid, "modality": s.modality, "description": desc(s), "why": why}
                for s, why in choice.passed_over
            ],
        },
    }
    sex, age = deid.patient_sex(pet_ds), deid.patient_age(pet_ds)
    if sex is not None:
        meta["sex"] = sex
    if age is not None:
        meta["age"] = age
    return meta


def load_dicom_volumes(case) -> tuple:
    """The CT (HU) and the PET in SUV of a DICOM case: ``(ct, suv, factor)`` as :class:`pet2rep.imaging.io.Volume`.

    The CT may be tilted (kept as a sheared affine, resampled in world space onto the PET grid downstream).

    Raises:
        GeometryError, VolumeError, MissingDependencyError: see :func:`pet2rep.imaging.dicom.volume.read_series`.
    """
    from pet2rep.imaging.dicom.volume import read_series
    from pet2rep.imaging.suv import to_suv

    src: DicomSource = case.dicom
    where = f"case {case.case_id!r}"
    ct = read_series(src.ct_files, where=f"{where}: CT series {src.ct_series_uid}", allow_shear=True)
    pet = read_series(src.pet_files, where=f"{where}: PET series {src.pet_series_uid}", float32=True)
    if src.suv_factor is not None:
        pet.data = to_suv(pet.data, src.suv_factor, inplace=True)
    return ct, pet, src.suv_factor
