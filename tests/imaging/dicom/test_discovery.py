"""DICOM discovery: grouping, the series choice and its reasons, reports, and per-case errors for bad input."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pydicom
import pytest
from pydicom.encaps import encapsulate
from pydicom.uid import JPEGLosslessSV1

from pet2rep.cli import main
from pet2rep.errors import LayoutError, MissingDependencyError, VolumeError
from pet2rep.imaging.cases import scan_cases
from pet2rep.imaging.dicom.deid import case_id_for

GOOD_TAGS = {
    "Units": "BQML",
    "DecayCorrection": "ADMIN",
    "CorrectedImage": ["ATTN", "DECY"],
    "PatientWeight": "70",
}


def _tiny(seed=0):
    """A tiny PET (Bq/mL) and CT on overlapping grids."""
    rng = np.random.default_rng(seed)
    pet = (rng.random((6, 5, 4), dtype=np.float32) * 2e4).astype(np.float32)
    pet_aff = np.diag([8.0, 8.0, 8.0, 1.0])
    pet_aff[:3, 3] = (-20, -16, -12)
    ct = rng.integers(-1000, 1000, size=(10, 9, 7)).astype(np.int16)
    ct_aff = np.diag([5.0, 5.0, 5.0, 1.0])
    ct_aff[:3, 3] = (-22, -18, -15)
    return pet, pet_aff, ct, ct_aff


def _study(h, root, seed, *, pet=True, ct=True, second_pet=False, tags=None, ct_frame=None, ct_tags=None):
    from pet2rep.imaging.dicom.write import radiopharmaceutical_sequence

    uids = h.study_uids(seed)
    p, p_aff, c, c_aff = _tiny(seed)
    pet_tags = {
        **GOOD_TAGS,
        "RadiopharmaceuticalInformationSequence": radiopharmaceutical_sequence(3.7e8, 6586.2, start_time="090000"),
        **(tags or {}),
    }
    if pet:
        h.write_pet(p, p_aff, root / "pet", uids, tags=pet_tags, seed=seed)
    if second_pet:
        h.write_pet(
            p, p_aff, root / "pet2", {**uids, "pet": uids["pet2"]}, tags=pet_tags, seed=seed, description="PET 2"
        )
    if ct:
        h.write_ct(c, c_aff, root / "ct", {**uids, "frame": ct_frame or uids["frame"]}, seed=seed, tags=ct_tags)
    return uids


def test_series_choice_and_reasons(tmp_path, dicom_helpers):
    h = dicom_helpers
    uids = _study(h, tmp_path / "s", 1)
    h.write_localizer(tmp_path / "s" / "scout", uids, 1)
    # A shorter CT in the same frame and a CT in another frame of reference.
    _, _, c, c_aff = _tiny(1)
    h.write_ct(c[:, :, :3], c_aff, tmp_path / "s" / "ct_short", {**uids, "ct": uids["ct2"]}, seed=11)
    h.write_ct(c, c_aff, tmp_path / "s" / "ct_other", {**uids, "ct": "1.2.3.999", "frame": "1.2.3.998"}, seed=12)
    scan = scan_cases(tmp_path)
    assert scan.failures == []
    (case,) = scan.cases
    assert case.case_id == case_id_for(uids["study"])
    assert case.meta["ct_series_instance_uid"] == uids["ct"]
    why = {c["series_instance_uid"]: c["why"] for c in case.meta["series_choice"]["passed_over"]}
    assert why[uids["scout"]] == "a localizer (ImageType LOCALIZER)"
    assert why[uids["ct2"]].startswith("CT covering less (10 mm vs 30 mm)")
    assert why["1.2.3.999"] == "CT in another frame of reference than the PET"
    assert case.meta["suv"]["factor"] == pytest.approx(70000 / 3.7e8)
    assert case.meta["suv"]["DecayCorrection"] == "ADMIN"


def test_one_study_split_over_folders_and_files_at_the_root(tmp_path, dicom_helpers):
    h = dicom_helpers
    uids = h.study_uids(2)
    p, p_aff, c, c_aff = _tiny(2)
    from pet2rep.imaging.dicom.write import radiopharmaceutical_sequence

    tags = {**GOOD_TAGS, "RadiopharmaceuticalInformationSequence": radiopharmaceutical_sequence(3.7e8, 6586.2)}
    h.write_pet(p, p_aff, tmp_path, uids, tags=tags, seed=2)  # loose files at the root
    h.write_ct(c, c_aff, tmp_path / "deep" / "er" / "ct", uids, seed=2)
    (tmp_path / "notes.pdf").write_bytes(b"%PDF-1.4 not dicom")
    dicomdir = pydicom.Dataset()
    dicomdir.file_meta = pydicom.dataset.FileMetaDataset()
    dicomdir.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.1.3.10"
    dicomdir.file_meta.MediaStorageSOPInstanceUID = "1.2.3.4"
    dicomdir.file_meta.TransferSyntaxUID = pydicom.uid.ExplicitVRLittleEndian
    dicomdir.SOPClassUID = "1.2.840.10008.1.3.10"
    pydicom.dcmwrite(tmp_path / "DICOMDIR", dicomdir, enforce_file_format=True)
    (tmp_path / "report.txt").write_text("肝脏FDG摄取未见异常。", encoding="utf-8")
    scan = scan_cases(tmp_path)
    assert scan.failures == []
    (case,) = scan.cases
    assert len(case.dicom.pet_files) == 4 and len(case.dicom.ct_files) == 7
    assert case.read_report("zh") == "肝脏FDG摄取未见异常。"  # the study's folder is the root: its report


def test_reports_folder_keyed_by_uid_or_accession(tmp_path, dicom_helpers):
    data = tmp_path / "data"
    uids_a = _study(dicom_helpers, data / "a", 3)
    _study(dicom_helpers, data / "b", 4)
    reports = data / "reports"
    reports.mkdir()
    (reports / f"{uids_a['study']}.txt").write_text("A", encoding="utf-8")
    (reports / f"{dicom_helpers.PATIENT['AccessionNumber']}_en.txt").write_text("B en", encoding="utf-8")
    scan = scan_cases(data)
    assert scan.failures == []
    cases = {c.meta["study_instance_uid"]: c for c in scan.cases}
    assert cases[uids_a["study"]].read_report("zh") == "A"
    assert all(c.read_report("en") == "B en" for c in scan.cases)  # both studies carry that accession number
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / f"{case_id_for(uids_a['study'])}.txt").write_text("C", encoding="utf-8")
    scan = scan_cases(data, reports_dir=elsewhere)
    assert {c.meta["study_instance_uid"]: c.read_report("zh") for c in scan.cases}[uids_a["study"]] == "C"


def _corrupt_files(folder):
    """A file cut inside its header (a copy of a good one) and one that is a preamble and nothing else."""
    good = next(p for p in sorted((folder / "series" / "ct").iterdir()))
    (folder / "cut").write_bytes(good.read_bytes()[:300])
    (folder / "garbage").write_bytes(b"\0" * 128 + b"DICM")


def _jpeg(folder):
    """Rewrite a series' files as JPEG Lossless (encapsulated bytes): pydicom needs a plugin to decode them."""
    for path in folder.iterdir():
        ds = pydicom.dcmread(path)
        ds.file_meta.TransferSyntaxUID = JPEGLosslessSV1
        ds.PixelData = encapsulate([b"\xff\xd8\xff\xc3not-really-jpeg\xff\xd9"])
        ds["PixelData"].VR = "OB"
        ds.save_as(path, enforce_file_format=True)


@pytest.fixture(scope="module")
def bad_cohort(twin_cohort, tmp_path_factory, dicom_helpers):
    """One good study (a synthetic case as DICOM) beside studies that each fail in their own way."""
    import shutil

    h = dicom_helpers
    data = tmp_path_factory.mktemp("bad") / "data"
    shutil.copytree(twin_cohort["dicom"] / "patient1", data / "good")
    uids = {
        "nopet": _study(h, data / "nopet", 20, pet=False),
        "noct": _study(h, data / "noct", 21, ct=False),
        "twopet": _study(h, data / "twopet", 22, second_pet=True),
        "frame": _study(h, data / "frame", 23, ct_frame="1.2.3.4.5"),
        "noweight": _study(h, data / "noweight", 24, tags={"PatientWeight": None}),
        "jpeg": _study(h, data / "jpeg", 25),
        "truncated": _study(h, data / "truncated", 26),
    }
    h.write_localizer(data / "noct" / "scout", uids["noct"], 21)
    _jpeg(data / "jpeg" / "pet")
    victim = sorted((data / "truncated" / "ct").iterdir())[3]
    victim.write_bytes(victim.read_bytes()[:-100])
    _corrupt_files(data / "good")
    return {"data": data, "uids": uids, "victim": victim}


def test_bad_input_gives_per_case_errors(bad_cohort, twin_cohort):
    data, uids = bad_cohort["data"], bad_cohort["uids"]
    scan = scan_cases(data)
    errors = dict(scan.failures)
    cid = {k: case_id_for(u["study"]) for k, u in uids.items()}
    assert isinstance(errors[cid["nopet"]], LayoutError)
    assert "no PET image series (Modality PT)" in str(errors[cid["nopet"]])
    assert "PET without a CT image series" in str(errors[cid["noct"]])
    assert "CT series passed over" in str(errors[cid["noct"]]) and "localizer" in str(errors[cid["noct"]])
    msg = str(errors[cid["twopet"]])
    assert "2 candidate PET series" in msg and uids["twopet"]["pet"] in msg and uids["twopet"]["pet2"] in msg
    assert "no CT series shares the PET's FrameOfReferenceUID" in str(errors[cid["frame"]])
    assert "PatientWeight (0010,1030) is missing" in str(errors[cid["noweight"]])
    jpeg = errors[cid["jpeg"]]
    assert isinstance(jpeg, MissingDependencyError) and isinstance(jpeg, ImportError)
    assert f"PET series {uids['jpeg']['pet']} is compressed as JPEG Lossless" in str(jpeg)
    assert "pylibjpeg" in str(jpeg) and "gdcm" in str(jpeg)
    for name in ("good/cut", "good/garbage"):
        assert isinstance(errors[name], VolumeError)
        assert "StudyInstanceUID, SeriesInstanceUID, Modality missing: a truncated or corrupt" in str(errors[name])
    # The truncated CT slice is found when the pixels are read: a per-case error at render time.
    ok = {c.meta["study_instance_uid"]: c for c in scan.cases}
    assert set(ok) == {uids["truncated"]["study"], twin_cohort["studies"]["synth_0001"]["uids"]["study"]}


def test_render_builds_the_good_case_and_lists_the_others(bad_cohort, tmp_path, capsys):
    data = bad_cohort["data"]
    out = tmp_path / "slices"
    assert main(["render", str(data), "--config", "fused", "--out", str(out), "--no-progress"]) == 1
    captured = capsys.readouterr()
    assert "rendered 1 of 10 case(s) (fused)" in captured.out
    assert f"{bad_cohort['victim'].name}: pixel data are truncated or corrupt" in captured.err
    assert captured.err.count("\n  ") == 9
    (sidecar,) = out.glob("*.json")
    rec = json.loads(sidecar.read_text(encoding="utf-8"))
    assert rec["case_id"].startswith("dicom-") and rec["suv_factor"] > 0 and len(rec["images"]) == 3


def test_inspect_lists_choices_suv_and_problems_without_identifiers(bad_cohort, capsys, dicom_helpers):
    assert main(["inspect", str(bad_cohort["data"])]) == 1
    captured = capsys.readouterr()
    out, err = captured.out, captured.err
    assert ": 2 case(s), 8 problem(s)" in out
    assert "PET series" in out and "the only attenuation-corrected PET image series (non-AC series passed over)" in out
    assert "passed over: PT series" in out and "PET not attenuation-corrected" in out
    assert "passed over: CT series" in out and "a localizer (ImageType LOCALIZER)" in out
    assert "SUV: Units BQML, DecayCorrection START: PatientWeight" in out and "-> factor " in out
    assert "SUV: Units BQML, DecayCorrection ADMIN" in out
    assert "8 problem(s):" in err and "PatientWeight (0010,1030) is missing" in err
    assert main(["inspect", str(bad_cohort["data"]), "--json"]) == 1
    record = json.loads(capsys.readouterr().out)
    assert len(record["cases"]) == 2 and len(record["problems"]) == 8
    assert {c["source_format"] for c in record["cases"]} == {"dicom"}
    for text in (out, err, json.dumps(record, ensure_ascii=False)):
        for keyword in ("PatientName", "PatientID", "PatientBirthDate", "AccessionNumber", "InstitutionName"):
            value = dicom_helpers.PATIENT[keyword]
            assert value not in text
        assert "DOE" not in text and "JANE" not in text


def test_identifiers_in_a_series_description_are_redacted(tmp_path, dicom_helpers):
    _study(dicom_helpers, tmp_path / "s", 30, ct_tags={"SeriesDescription": "WB CT jane doe"})
    (case,) = scan_cases(tmp_path).cases
    assert case.meta["series_choice"]["ct"]["description"] == "<redacted>"
    assert case.meta["series_choice"]["pet"]["description"] == "PET AC"
    assert case.sex == "F" and case.age == 66.0


def test_the_core_imports_without_pydicom_and_a_dicom_folder_asks_for_the_extra(bad_cohort):
    code = (
        "import sys; sys.modules['pydicom'] = None\n"
        "import pet2rep, pet2rep.imaging.cases, pet2rep.imaging.render, pet2rep.imaging.dicom\n"
        "import pet2rep.imaging.dicom.cases, pet2rep.cli.inspect\n"
        "from pet2rep.imaging.cases import scan_cases\n"
        f"scan = scan_cases({str(bad_cohort['data'])!r})\n"
        "print(len(scan.cases), sorted({type(e).__name__ for _, e in scan.failures}), str(scan.failures[0][1]))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "0 ['MissingDependencyError']" in result.stdout
    assert "pip install 'pet2rep[dicom]'" in result.stdout


def test_malformed_identifiers_are_not_echoed_in_warnings_or_logs(tmp_path, dicom_helpers, caplog, recwarn):
    # pydicom echoes some malformed values in its validation warnings ("Invalid value for VR ..."): identifying
    # values, malformed or not, must reach neither a warning nor a log line of a scan or an inspect.
    tags = {"PatientBirthDate": "14.02.1958", "PatientName": "SECRETFAMILY^GIVEN", "AccessionNumber": "ACC-77/31"}
    with pytest.warns(UserWarning, match="14.02.1958"):  # writing it warns (the test's own doing)
        _study(dicom_helpers, tmp_path / "s", 31, ct_tags=tags, tags=tags)
    recwarn.clear()
    caplog.clear()
    with caplog.at_level("DEBUG"):
        scan = scan_cases(tmp_path)
        assert main(["inspect", str(tmp_path)]) == 0
    assert len(scan.cases) == 1
    logged = " ".join(r.getMessage() for r in caplog.records) + " ".join(str(w.message) for w in recwarn)
    assert "1958" not in logged and "SECRETFAMILY" not in logged and "ACC-77" not in logged
