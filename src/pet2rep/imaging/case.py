"""One PET/CT case as found on disk: the :class:`Case` record (paths, metadata, reports), whatever its layout.

:mod:`pet2rep.imaging.cases` finds cases in the NIfTI layouts and :mod:`pet2rep.imaging.dicom.cases` in DICOM; both
make these records, so the record has a module of its own (neither discovery module imports the other's records).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pet2rep.errors import InputError, MissingFileError
from pet2rep.files import read_json, read_text
from pet2rep.vocab import FINDINGS_KEY, check_lang


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
        dicom: for ``layout="dicom"``, the :class:`pet2rep.imaging.dicom.cases.DicomSource` its volumes are read from
            (``ct_path`` / ``pet_path`` are then the series' folders).
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
    dicom: Any = field(default=None, hash=False, compare=False, repr=False)

    @property
    def source_format(self) -> str:
        """``"dicom"`` for a case read from DICOM, else ``"nifti"``."""
        return "dicom" if self.dicom is not None else "nifti"

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
        check_lang(lang, allow_auto=False, name=f"case {self.case_id!r}: lang")
        path = self.report_path if lang == "zh" else self.report_en_path
        if path is None:
            return None
        if path.suffix == ".json":
            data = read_json(path, case_id=self.case_id)
            if not isinstance(data, dict) or not isinstance(data.get(FINDINGS_KEY), str):
                keys = sorted(data) if isinstance(data, dict) else type(data).__name__
                raise InputError(
                    f"case {self.case_id!r}: {path.name} has no string under {FINDINGS_KEY!r} (found {keys})"
                )
            return data[FINDINGS_KEY]
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


__all__ = ["Case"]
