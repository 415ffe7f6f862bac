"""``pet2rep build`` on a folder of DICOM studies: rows as for NIfTI cases, no patient identifier anywhere."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest

from pet2rep import hub
from pet2rep.imaging.cases import scan_cases


def test_build_from_dicom(twin_cohort, tmp_path, dicom_helpers):
    pytest.importorskip("datasets")
    data = twin_cohort["dicom"]
    summary = hub.build_dataset(
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
    # Every column but the pictures, and the card: no identifier of the headers.
    texts = json.dumps([{k: v for k, v in r.items() if k != "images"} for r in rows], ensure_ascii=False, default=str)
    texts += (tmp_path / "pet2rep" / "README.md").read_text(encoding="utf-8")
    for keyword in ("PatientName", "PatientID", "PatientBirthDate", "AccessionNumber", "InstitutionName"):
        assert dicom_helpers.PATIENT[keyword] not in texts
    assert "DOE" not in texts and "JANE" not in texts
