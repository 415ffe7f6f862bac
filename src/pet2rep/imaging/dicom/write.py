"""Write a volume as a DICOM series: synthetic PET/CT studies for tests and benchmarks, not an exporter.

The volume is given as NIfTI sees it (voxel array + RAS+ affine); each plane along voxel axis 2 becomes one
single-frame file (axis 0 along the rows, axis 1 down the columns) with the standard geometry tags. PET values
are stored as int16 with a RescaleSlope per slice (:func:`encode_per_slice`), as scanners do.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from pet2rep.imaging.dicom import load_pydicom
from pet2rep.imaging.dicom.volume import LPS_TO_RAS

CT_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.2"
PET_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.128"
_INT16_MAX = 32767


def make_uid(*parts: Any) -> str:
    """A deterministic DICOM UID from the given parts (pydicom's root, a hash of the parts)."""
    from pydicom.uid import generate_uid

    return str(generate_uid(entropy_srcs=[str(p) for p in parts]))


def ds_string(value: float) -> str:
    """``value`` as a DICOM decimal string (at most 16 characters, as precise as they allow)."""
    from pydicom.valuerep import format_number_as_ds

    return format_number_as_ds(float(value))


def encode_per_slice(values: np.ndarray) -> tuple[np.ndarray, list[float]]:
    """Float values -> int16 stored values and one RescaleSlope per plane along axis 2 (intercept 0).

    The slope of a plane maps its largest magnitude to 32767 and is rounded to a DICOM decimal string, so
    ``stored[..., k].astype(float32) * float32(slopes[k])`` is exactly what a reader decodes.
    """
    values = np.asarray(values, dtype=np.float32)
    stored = np.empty(values.shape, dtype=np.int16)
    slopes: list[float] = []
    for k in range(values.shape[2]):
        plane = values[:, :, k]
        peak = float(np.max(np.abs(plane))) if plane.size else 0.0
        slope = float(ds_string(peak / _INT16_MAX)) if peak > 0 else 1.0
        stored[:, :, k] = np.clip(np.rint(plane / slope), -_INT16_MAX, _INT16_MAX)
        slopes.append(slope)
    return stored, slopes


def decode_per_slice(stored: np.ndarray, slopes: Sequence[float]) -> np.ndarray:
    """The float32 values a reader gets from :func:`encode_per_slice` output."""
    out = stored.astype(np.float32)
    for k, slope in enumerate(slopes):
        out[:, :, k] *= np.float32(slope)
    return out


def radiopharmaceutical_sequence(
    dose_bq: float, half_life_s: float, *, start_time: str = "", start_datetime: str = ""
) -> list:
    """A RadiopharmaceuticalInformationSequence value (one FDG item) with the given dose, half-life and start."""
    from pydicom.dataset import Dataset

    item = Dataset()
    item.Radiopharmaceutical = "Fluorodeoxyglucose"
    item.RadionuclideTotalDose = ds_string(dose_bq)
    item.RadionuclideHalfLife = ds_string(half_life_s)
    if start_time:
        item.RadiopharmaceuticalStartTime = start_time
    if start_datetime:
        item.RadiopharmaceuticalStartDateTime = start_datetime
    return [item]


def write_series(
    stored: np.ndarray,
    affine: np.ndarray,
    out_dir: str | Path,
    *,
    modality: str,
    study_uid: str,
    series_uid: str,
    frame_of_reference_uid: str,
    slopes: Sequence[float] | None = None,
    intercept: float = 0.0,
    tags: Mapping[str, Any] | None = None,
    file_names: Sequence[str] | None = None,
    transfer_syntax: str | None = None,
) -> list[Path]:
    """Write ``stored`` (integer array, axes as NIfTI's) as one file per plane along axis 2.

    Args:
        stored: int16 / uint16 stored values.
        affine: voxel -> RAS+ mm (orthogonal axes).
        out_dir: folder (created).
        modality: ``"CT"`` or ``"PT"`` (sets the SOP class).
        study_uid, series_uid, frame_of_reference_uid: the UIDs.
        slopes: RescaleSlope per plane (default 1).
        intercept: RescaleIntercept of every plane.
        tags: keyword -> value set on every file after the defaults (None deletes the default).
        file_names: one name per plane (default ``IM<k>.dcm``).
        transfer_syntax: default Explicit VR Little Endian (the pixel data are written uncompressed in any case).

    Returns:
        The paths written, in plane order.
    """
    pydicom = load_pydicom()
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian

    stored = np.asarray(stored)
    if stored.dtype not in (np.int16, np.uint16):
        raise TypeError(f"stored values must be int16 or uint16, got {stored.dtype}")
    lps = LPS_TO_RAS @ np.asarray(affine, dtype=np.float64)
    sp = np.sqrt((lps[:3, :3] ** 2).sum(axis=0))
    row_cos, col_cos = lps[:3, 0] / sp[0], lps[:3, 1] / sp[1]
    nx, ny, nz = stored.shape
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    sop_class = PET_IMAGE_STORAGE if modality == "PT" else CT_IMAGE_STORAGE
    paths = []
    for k in range(nz):
        sop_uid = make_uid(series_uid, k)
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = sop_class
        meta.MediaStorageSOPInstanceUID = sop_uid
        meta.TransferSyntaxUID = transfer_syntax or ExplicitVRLittleEndian
        ds = Dataset()
        ds.file_meta = meta
        ds.SOPClassUID = sop_class
        ds.SOPInstanceUID = sop_uid
        ds.StudyInstanceUID = study_uid
        ds.SeriesInstanceUID = series_uid
        ds.FrameOfReferenceUID = frame_of_reference_uid
        ds.Modality = modality
        ds.InstanceNumber = k + 1
        ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
        ds.ImagePositionPatient = [ds_string(v) for v in lps[:3, :3] @ np.array([0.0, 0.0, k]) + lps[:3, 3]]
        ds.ImageOrientationPatient = [ds_string(v) for v in (*row_cos, *col_cos)]
        ds.PixelSpacing = [ds_string(sp[1]), ds_string(sp[0])]
        ds.SliceThickness = ds_string(sp[2])
        ds.Rows, ds.Columns = ny, nx
        ds.SamplesPerPixel = 1
        ds.PhotometricInterpretation = "MONOCHROME2"
        ds.BitsAllocated = ds.BitsStored = 16
        ds.HighBit = 15
        ds.PixelRepresentation = 1 if stored.dtype == np.int16 else 0
        ds.RescaleSlope = ds_string(slopes[k] if slopes is not None else 1.0)
        ds.RescaleIntercept = ds_string(intercept)
        for key, value in (tags or {}).items():
            if value is None:
                if key in ds:
                    delattr(ds, key)
            else:
                setattr(ds, key, value)
        # Plane k, rows down axis 1 and columns along axis 0: the transpose of the NIfTI plane.
        ds.PixelData = np.ascontiguousarray(stored[:, :, k].T).tobytes()
        name = file_names[k] if file_names is not None else f"IM{k:05d}.dcm"
        path = out / name
        pydicom.dcmwrite(str(path), ds, enforce_file_format=True)
        paths.append(path)
    return paths


def random_names(n: int, seed: Any) -> list[str]:
    """``n`` distinct file names that sort in no useful order (hex digests, no extension)."""
    return [hashlib.sha1(f"{seed}/{i}".encode()).hexdigest()[:16] for i in range(n)]
