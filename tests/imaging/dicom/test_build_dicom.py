"""``pet2rep build`` on a folder of DICOM studies: rows as for NIfTI cases, no patient identifier anywhere."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest

from pet2rep.dataset.build import build_dataset
from pet2rep.imaging.cases import scan_cases


def test_build_from_dicom(twin_cohort, tmp_path, dicom_helpers):
    pytest.importorskip("datasets")
    data = twin_cohort["dicom"]
    summary = build_dataset(
        data, tmp_path / "pet2rep", ("fused",), cache_dir=tmp_path / "cache", register=False, progress=False
    )
    cases = {c.case_id: c for c in scan_cases(data).cases}
    assert summary.failures == [] and sorted(summary.cases) == sorted(cases)
    (shard,) = (tmp_path / "pet2rep" / "fused").glob("*.parquet")
    rows = pq.read_table(shard).to_pylist()
    assert {r["case_id"] for r in rows} == set(cases)
    for row in rows:
        assert row["suv_factor"] == cases[row["case_id"]].meta["suv"]["factor"]  # None for the GML case
        assert len(row["images"]) == 3
        meta = cases[row["case_id"]].meta
        assert row["source_format"] == "dicom"
        assert row["study_instance_uid"] == meta["study_instance_uid"] and row["study_instance_uid"]
        assert row["pet_series_instance_uid"] == meta["pet_series_instance_uid"] != row["ct_series_instance_uid"]
        assert row["ct_series_instance_uid"] == meta["ct_series_instance_uid"]
    # Every column but the pictures, and the card: no identifier of the headers.
    texts = json.dumps([{k: v for k, v in r.items() if k != "images"} for r in rows], ensure_ascii=False, default=str)
    texts += (tmp_path / "pet2rep" / "README.md").read_text(encoding="utf-8")
    for keyword in ("PatientName", "PatientID", "PatientBirthDate", "AccessionNumber", "InstitutionName"):
        assert dicom_helpers.PATIENT[keyword] not in texts
    assert "DOE" not in texts and "JANE" not in texts


def test_a_nifti_case_row_says_nifti_and_has_no_dicom_uids(twin_cohort, tmp_path):
    pytest.importorskip("datasets")
    build_dataset(
        twin_cohort["nifti"], tmp_path / "b", ("fused",), cache_dir=tmp_path / "cache", register=False, progress=False
    )
    (shard,) = (tmp_path / "b" / "fused").glob("*.parquet")
    rows = pq.read_table(shard, columns=["source_format", "study_instance_uid", "pet_series_instance_uid"]).to_pylist()
    assert rows and all(
        r == {"source_format": "nifti", "study_instance_uid": None, "pet_series_instance_uid": None} for r in rows
    )


def test_build_reads_dicom_reports_from_another_folder(twin_cohort, tmp_path):
    pytest.importorskip("datasets")
    from pet2rep.cli import main

    cases = scan_cases(twin_cohort["dicom"]).cases
    reports = tmp_path / "reports"
    reports.mkdir()
    for i, case in enumerate(cases):  # keyed by StudyInstanceUID for one, by case id for the others
        key = case.meta["study_instance_uid"] if i == 0 else case.case_id
        (reports / f"{key}.txt").write_text(f"肝脏FDG摄取增高。{i}", encoding="utf-8")
    out = tmp_path / "b"
    args = [str(twin_cohort["dicom"]), "--out", str(out), "--configs", "fused", "--quiet", "--no-register"]
    assert main(["build", *args, "--reports", str(reports)]) == 0
    (shard,) = (out / "fused").glob("*.parquet")
    rows = pq.read_table(shard, columns=["case_id", "report", "ce_labels"]).to_pylist()
    expected = {c.case_id: f"肝脏FDG摄取增高。{i}" for i, c in enumerate(cases)}
    assert {r["case_id"]: r["report"] for r in rows} == expected
    assert all(r["ce_labels"]["liver"] == ["increased"] for r in rows)
