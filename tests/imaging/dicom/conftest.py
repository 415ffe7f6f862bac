"""DICOM studies written by the tests with pydicom from the synthetic volumes (pet2rep.synth).

Every study uses standard tags, random file names in nested folders (the files sort in no useful order), PET as
int16 with a RescaleSlope per slice, and CT as uint16 with RescaleIntercept -1024. The NIfTI twin of a case gets
the PET values the DICOM files decode to, so the two paths can be compared exactly.
"""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import nibabel as nib
import numpy as np
import pytest

pytest.importorskip("pydicom")

from pet2rep.imaging.dicom.write import (
    decode_per_slice,
    ds_string,
    encode_per_slice,
    make_uid,
    radiopharmaceutical_sequence,
    random_names,
    write_series,
)
from pet2rep.imaging.io import save_volume
from pet2rep.synth import synthesize_case

PATIENT = {
    "PatientName": "DOE^JANE^Q",
    "PatientID": "PID-7731-SECRET",
    "PatientBirthDate": "19580214",
    "PatientSex": "F",
    "PatientAge": "066Y",
    "AccessionNumber": "ACC20240301",
    "InstitutionName": "Hospital of Nowhere",
}


def _dicom_dt(text: str) -> tuple[str, str, str]:
    """meta.json time -> (DA, TM, DT) strings; bare times get the date 2024-03-05."""
    if "T" in text:
        dt = datetime.fromisoformat(text)
        tz = dt.strftime("%z")
        return dt.strftime("%Y%m%d"), dt.strftime("%H%M%S"), dt.strftime("%Y%m%d%H%M%S") + tz
    return "20240305", text.replace(":", ""), ""


def pet_tags_from_meta(meta: dict) -> dict[str, Any]:
    """PET tags (BQML, DecayCorrection START) carrying the SUV inputs of a synthetic case's meta.json."""
    acq_da, acq_tm, _ = _dicom_dt(meta["acquisition_time"])
    _, inj_tm, inj_dt = _dicom_dt(meta["injection_time"])
    if not inj_dt and acq_tm < inj_tm:  # bare clock times across midnight: the scan is on the next day
        acq_da = (datetime.strptime(acq_da, "%Y%m%d") + timedelta(days=1)).strftime("%Y%m%d")
    return {
        "Units": "BQML",
        "DecayCorrection": "START",
        "CorrectedImage": ["ATTN", "DECY", "SCAT"],
        "PatientWeight": ds_string(meta["weight_kg"]),
        "SeriesDate": acq_da,
        "SeriesTime": acq_tm,
        "AcquisitionDate": acq_da,
        "AcquisitionTime": acq_tm,
        "RadiopharmaceuticalInformationSequence": radiopharmaceutical_sequence(
            meta["injected_dose_bq"],
            meta.get("half_life_s", 6586.2),
            start_time="" if inj_dt else inj_tm,
            start_datetime=inj_dt,
        ),
    }


def write_pet(values, affine, out, uids, *, tags, seed, description="PET AC"):
    stored, slopes = encode_per_slice(values)
    write_series(
        stored,
        affine,
        out,
        modality="PT",
        study_uid=uids["study"],
        series_uid=uids["pet"],
        frame_of_reference_uid=uids["frame"],
        slopes=slopes,
        tags={**PATIENT, "SeriesDescription": description, **tags},
        file_names=random_names(stored.shape[2], f"pet{seed}{uids['pet']}"),
    )
    return decode_per_slice(stored, slopes)


def write_ct(hu, affine, out, uids, *, seed, tags=None, description="CT WB"):
    stored = (np.asarray(hu, dtype=np.int32) + 1024).astype(np.uint16)
    return write_series(
        stored,
        affine,
        out,
        modality="CT",
        study_uid=uids["study"],
        series_uid=uids["ct"],
        frame_of_reference_uid=uids["frame"],
        intercept=-1024.0,
        tags={**PATIENT, "SeriesDescription": description, **(tags or {})},
        file_names=random_names(stored.shape[2], f"ct{seed}{uids['ct']}"),
    )


def write_localizer(out, uids, seed):
    """A two-image CT scout (ImageType LOCALIZER, one sagittal and one coronal image) in the same study."""
    scout = np.full((32, 40, 1), 1000, dtype=np.uint16)
    for i, aff in enumerate(
        (np.array([[0, 0, 1, 0], [1, 0, 0, -100], [0, 1, 0, -300], [0, 0, 0, 1.0]]), np.diag([1.0, 1, 1, 1]))
    ):
        write_series(
            scout,
            aff,
            out,
            modality="CT",
            study_uid=uids["study"],
            series_uid=uids["scout"],
            frame_of_reference_uid=uids["frame"],
            tags={**PATIENT, "ImageType": ["ORIGINAL", "PRIMARY", "LOCALIZER"], "SeriesDescription": "Topogram"},
            file_names=[f"scout{seed}_{i}"],
        )


def study_uids(seed: Any) -> dict[str, str]:
    return {k: make_uid("study", seed, k) for k in ("study", "pet", "ct", "frame", "scout", "nac", "ct2", "pet2")}


def dicom_twin(case_dir: Path, out: Path, seed: Any, *, extras: bool = True, pet_tags=None) -> dict[str, Any]:
    """Write the synthetic case ``case_dir`` as a DICOM study under ``out`` (nested folders, random names), with a
    localizer and a non-AC PET beside the AC one when ``extras``; the case's PET NIfTI is rewritten with the
    values the DICOM files decode to. Returns the UIDs and the meta."""
    meta = json.loads((case_dir / "meta.json").read_text(encoding="utf-8"))
    uids = study_uids(seed)
    ct_img = nib.load(str(case_dir / "ct.nii.gz"))
    pet_name = "pet.nii.gz" if (case_dir / "pet.nii.gz").is_file() else "suv.nii.gz"
    pet_img = nib.load(str(case_dir / pet_name))
    if pet_name == "pet.nii.gz":
        tags = pet_tags_from_meta(meta)
    else:
        tags = {"Units": "GML", "DecayCorrection": "START", "CorrectedImage": ["ATTN", "DECY"]}
    tags.update(pet_tags or {})
    pet_values = np.asarray(pet_img.dataobj, dtype=np.float32)
    decoded = write_pet(pet_values, pet_img.affine, out / "series" / "pt_ac" / "x", uids, tags=tags, seed=seed)
    save_volume(decoded, pet_img.affine, case_dir / pet_name)  # the NIfTI twin holds exactly the DICOM values
    write_ct(np.asarray(ct_img.dataobj), ct_img.affine, out / "series" / "ct", uids, seed=seed)
    if extras:
        write_localizer(out / "scouts", uids, seed)
        nac = {**uids, "pet": uids["nac"]}
        nac_tags = {**tags, "CorrectedImage": ["DECY"]}
        write_pet(
            pet_values * 0.5,
            pet_img.affine,
            out / "series" / "pt_nac",
            nac,
            tags=nac_tags,
            seed=seed,
            description="PET NAC",
        )
    return {"uids": uids, "meta": meta}


@pytest.fixture(scope="session")
def twin_cohort(tmp_path_factory) -> dict[str, Any]:
    """Three synthetic cases in NIfTI (``nifti/``) and as DICOM studies (``dicom/<name>/``): synth_0001 (ISO
    date-times), synth_0002 (PET in SUV: Units GML) and synth_0005 (bare clock times, injected before midnight,
    scanned after)."""
    root = tmp_path_factory.mktemp("twins")
    out: dict[str, Any] = {"nifti": root / "nifti", "dicom": root / "dicom", "studies": {}}
    for index in (1, 2, 5):
        case = synthesize_case(out["nifti"], index, seed=0, size="small")
        out["studies"][case.name] = dicom_twin(case, out["dicom"] / f"patient{index}", seed=index)
    return out


def copy_tree(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


@pytest.fixture(scope="session")
def dicom_helpers():
    """The writers of this conftest, for tests (conftest modules are not importable under importlib mode)."""
    import types

    return types.SimpleNamespace(
        PATIENT=PATIENT,
        dicom_twin=dicom_twin,
        pet_tags_from_meta=pet_tags_from_meta,
        study_uids=study_uids,
        write_ct=write_ct,
        write_pet=write_pet,
        write_localizer=write_localizer,
    )
