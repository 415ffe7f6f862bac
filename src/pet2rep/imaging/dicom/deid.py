"""The de-identification rule of the DICOM path: what may leave a DICOM header.

Nothing is copied from a header wholesale. Case records get only an allow-list: the study / series /
frame-of-reference UIDs, Modality, SeriesDescription, ImageType, CorrectedImage, PatientSex, PatientAge (90 and
over written as 90, as HIPAA's safe harbour asks), and the SUV inputs (weight, dose, half-life, Units,
DecayCorrection, clock times without dates). The case id is a hash of the StudyInstanceUID (``dicom-<12 hex>``),
never a folder or patient name. The tags in :data:`IDENTIFYING_KEYWORDS` (PatientName, PatientID, PatientBirthDate,
...) are never read into a record, a message, a log line or a card; AccessionNumber is read only to find a report
file. As a last guard, free text taken from a header (SeriesDescription) is redacted when it contains the value
of an identifying tag.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from typing import Any

IDENTIFYING_KEYWORDS = (
    "PatientName",
    "PatientID",
    "PatientBirthDate",
    "PatientBirthTime",
    "OtherPatientIDs",
    "OtherPatientNames",
    "PatientBirthName",
    "PatientMotherBirthName",
    "PatientAddress",
    "PatientTelephoneNumbers",
    "MedicalRecordLocator",
    "IssuerOfPatientID",
    "AccessionNumber",
    "StudyID",
    "ReferringPhysicianName",
    "PerformingPhysicianName",
    "OperatorsName",
    "InstitutionName",
    "InstitutionAddress",
)
"""Tags whose values never leave the header (the DICOM PS3.15 basic profile's patient and staff identifiers)."""

MAX_AGE_YEARS = 90
REDACTED = "<redacted>"


def case_id_for(study_uid: str) -> str:
    """The case id of a DICOM study: ``dicom-`` + 12 hex digits of the SHA-256 of its StudyInstanceUID."""
    return "dicom-" + hashlib.sha256(study_uid.encode("ascii", "replace")).hexdigest()[:12]


def raw_text(ds: Any, keyword: str) -> str:
    """The text of an element as stored, without pydicom's value conversion.

    Converting a value can make pydicom validate it and echo an invalid one in a warning and a log line (it does
    for some value representations, e.g. "Invalid value for VR UI: ..."); for an identifying tag that would put the
    identifier in the logs. Reading the raw bytes cannot.
    """
    from pydicom.datadict import tag_for_keyword
    from pydicom.multival import MultiValue

    if ds is None:
        return ""
    elem = ds.get_item(tag_for_keyword(keyword))
    if elem is None or elem.value is None:
        return ""
    value = elem.value
    if isinstance(value, bytes):
        return value.decode("latin-1").strip(" \x00")
    if isinstance(value, (list, tuple, MultiValue)):
        return "\\".join(str(v) for v in value)
    return str(value).strip()


def identifying_values(ds: Any) -> set[str]:
    """The values of the identifying tags of a dataset (strings of 3+ characters, whole and split at the
    ``^``, ``=`` and multi-value ``\\`` separators), read raw (:func:`raw_text`)."""
    out: set[str] = set()
    for keyword in IDENTIFYING_KEYWORDS:
        text = raw_text(ds, keyword)
        for part in {text, *re.split(r"[\^=\\]", text)}:
            part = part.strip()
            if len(part) >= 3:
                out.add(part)
    return out


def redact(text: str, values: Iterable[str]) -> str:
    """``text``, or :data:`REDACTED` when it contains one of ``values`` (case-insensitive)."""
    low = text.lower()
    return REDACTED if any(v.lower() in low for v in values) else text


def patient_sex(ds: Any) -> str | None:
    """PatientSex as ``"M"`` / ``"F"``, else None."""
    value = str(ds.get("PatientSex") or "").strip().upper()
    return value if value in ("M", "F") else None


def patient_age(ds: Any) -> str | None:
    """PatientAge as a DICOM age string (``"058Y"``), ages of 90 years and more written ``"090Y"``; else None."""
    value = str(ds.get("PatientAge") or "").strip().upper()
    m = re.fullmatch(r"(\d{1,3})([DWMY])", value)
    if not m:
        return None
    n, unit = int(m.group(1)), m.group(2)
    years = n / {"D": 365.25, "W": 52.1775, "M": 12, "Y": 1}[unit]
    return f"{MAX_AGE_YEARS:03d}Y" if years >= MAX_AGE_YEARS else f"{n:03d}{unit}"
