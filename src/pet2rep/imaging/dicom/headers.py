"""The header fields pet2rep reads from a DICOM file, as a plain record (pixels are not decoded).

Only the fields listed in :class:`SliceHeader` are kept; patient identifiers are never read into it
(see :mod:`pet2rep.imaging.dicom.deid`). The full pydicom dataset (minus pixels) of one file per series is kept aside
for the SUV tags.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pet2rep.errors import VolumeError
from pet2rep.imaging.dicom import load_pydicom
from pet2rep.imaging.dicom.deid import raw_text

MEDIA_STORAGE_DIRECTORY = "1.2.840.10008.1.3.10"
"""SOP Class UID of a DICOMDIR: an index, not an image (files are found by walking the folders)."""


@dataclass(frozen=True)
class SliceHeader:
    """What discovery needs of one DICOM file.

    Attributes:
        path: the file.
        study_uid, series_uid, frame_of_reference_uid: StudyInstanceUID, SeriesInstanceUID, FrameOfReferenceUID
            ("" when absent).
        modality: Modality (``"PT"``, ``"CT"``, ...).
        series_description: SeriesDescription ("" when absent).
        image_type: ImageType values, upper case.
        corrected_image: CorrectedImage values (PET: ``ATTN``, ``DECY``, ...), upper case.
        position: ImagePositionPatient (LPS mm) or None.
        orientation: ImageOrientationPatient (6 direction cosines) or None.
        rows, columns: image size.
        number_of_frames: NumberOfFrames (1 for single-frame files).
        transfer_syntax_uid: the file's transfer syntax.
        sop_class_uid: SOPClassUID.
        accession_number: AccessionNumber (used to look up reports only; never recorded).
    """

    path: Path
    study_uid: str
    series_uid: str
    frame_of_reference_uid: str
    modality: str
    series_description: str
    image_type: tuple[str, ...]
    corrected_image: tuple[str, ...]
    position: tuple[float, float, float] | None
    orientation: tuple[float, ...] | None
    rows: int
    columns: int
    number_of_frames: int
    transfer_syntax_uid: str
    sop_class_uid: str
    accession_number: str

    @property
    def is_localizer(self) -> bool:
        return "LOCALIZER" in self.image_type

    @property
    def is_attenuation_corrected(self) -> bool:
        return "ATTN" in self.corrected_image


def _values(ds, keyword: str) -> tuple[str, ...]:
    value = ds.get(keyword)
    if value is None or value == "":
        return ()
    if isinstance(value, (str, bytes)):
        value = [value]
    return tuple(str(v).strip().upper() for v in value)


def _floats(ds, keyword: str, n: int) -> tuple[float, ...] | None:
    value = ds.get(keyword)
    if value is None or value == "":
        return None
    try:
        out = tuple(float(v) for v in value)
    except (TypeError, ValueError):
        return None
    return out if len(out) == n else None


def _text(ds, keyword: str) -> str:
    value = ds.get(keyword)
    return "" if value is None else str(value).strip()


def slice_header(ds: Any, path: Path) -> SliceHeader:
    """The :class:`SliceHeader` of a pydicom dataset read from ``path``."""
    meta = getattr(ds, "file_meta", None)
    ts = str(getattr(meta, "TransferSyntaxUID", "") or "") if meta is not None else ""
    sop = _text(ds, "SOPClassUID") or (str(getattr(meta, "MediaStorageSOPClassUID", "")) if meta else "")
    try:
        frames = int(ds.get("NumberOfFrames") or 1)
    except (TypeError, ValueError):
        frames = 1
    return SliceHeader(
        path=path,
        study_uid=_text(ds, "StudyInstanceUID"),
        series_uid=_text(ds, "SeriesInstanceUID"),
        frame_of_reference_uid=_text(ds, "FrameOfReferenceUID"),
        modality=_text(ds, "Modality").upper(),
        series_description=_text(ds, "SeriesDescription"),
        image_type=_values(ds, "ImageType"),
        corrected_image=_values(ds, "CorrectedImage"),
        position=_floats(ds, "ImagePositionPatient", 3),  # type: ignore[arg-type]
        orientation=_floats(ds, "ImageOrientationPatient", 6),
        rows=int(ds.get("Rows") or 0),
        columns=int(ds.get("Columns") or 0),
        number_of_frames=frames,
        transfer_syntax_uid=ts,
        sop_class_uid=sop,
        accession_number=raw_text(ds, "AccessionNumber"),  # raw: never echoed by pydicom's validation
    )


def read_header(path: str | Path):
    """Read the header of one DICOM file (no pixel data).

    Returns:
        ``(SliceHeader, dataset)``; the dataset holds every tag but the pixel data.

    Raises:
        VolumeError: the file cannot be parsed as DICOM (names the file and pydicom's reason).
        MissingDependencyError: pydicom is not installed.
    """
    pydicom = load_pydicom()
    path = Path(path)
    try:
        ds = pydicom.dcmread(str(path), stop_before_pixels=True)
    except Exception as e:  # pydicom raises many types on malformed input; the file is named, the cause chained
        raise VolumeError(f"{path}: not a readable DICOM file ({type(e).__name__}: {e})") from e
    return slice_header(ds, path), ds
