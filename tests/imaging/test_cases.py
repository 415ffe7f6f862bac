import json

import numpy as np
import pytest

from pet2rep.errors import InputError, LayoutError, MetadataError, MissingFileError
from pet2rep.imaging.cases import Case, discover_cases, read_split_file, scan_cases


def test_single_generic_case_folder(imaging, tmp_path):
    folder = imaging.make_generic_case(tmp_path, "c001", report="肝脏FDG摄取增高。")
    (folder / "report_en.txt").write_text("Liver: increased FDG uptake.", encoding="utf-8")
    (folder / "labels.json").write_text(json.dumps({"liver": ["increased"]}), encoding="utf-8")
    (cases,) = [discover_cases(folder)]
    assert [c.case_id for c in cases] == ["c001"]
    case = cases[0]
    assert case.layout == "generic" and case.root == folder
    assert case.ct_path.name == "ct.nii.gz" and case.suv_path.name == "suv.nii.gz" and case.pet_path is None
    assert case.pet_is_suv
    assert case.read_report() == "肝脏FDG摄取增高。"
    assert case.read_report("en") == "Liver: increased FDG uptake."
    assert case.read_labels() == {"liver": ["increased"]}
    assert case.sex is None and case.age is None


def test_folder_of_generic_cases_is_sorted_and_pet_needs_meta(imaging, tmp_path):
    root = tmp_path / "data"
    imaging.make_generic_case(root, "b", suv=False, meta={"weight_kg": 60, "sex": "F", "age": 51})
    imaging.make_generic_case(root, "a")
    (root / "splits.json").write_text("{}", encoding="utf-8")  # files at the root are not cases
    (root / ".cache").mkdir()  # hidden folders are ignored
    cases = discover_cases(root)
    assert [c.case_id for c in cases] == ["a", "b"]
    b = cases[1]
    assert b.pet_path.name == "pet.nii.gz" and b.suv_path is None and not b.pet_is_suv
    assert b.meta["weight_kg"] == 60 and b.sex == "F" and b.age == 51.0


def test_discovery_does_not_decode_volumes(imaging, tmp_path):
    folder = imaging.make_generic_case(tmp_path, "c1")
    (folder / "ct.nii.gz").write_bytes(b"corrupt")  # rendering fails on it, discovery does not look
    assert discover_cases(folder)[0].case_id == "c1"


def test_missing_files_are_named(imaging, tmp_path):
    folder = imaging.make_generic_case(tmp_path, "c1")
    (folder / "ct.nii.gz").unlink()
    with pytest.raises(MissingFileError, match=r"case 'c1': ct.nii.gz not found"):
        discover_cases(folder)
    folder2 = imaging.make_generic_case(tmp_path, "c2")
    (folder2 / "suv.nii.gz").unlink()
    with pytest.raises(MissingFileError, match=r"case 'c2': neither pet.nii.gz nor suv.nii.gz"):
        discover_cases(folder2)


def test_pet_in_bqml_without_meta_is_an_error(imaging, tmp_path):
    folder = imaging.make_generic_case(tmp_path, "c3", suv=False)
    (folder / "meta.json").unlink()
    with pytest.raises(MissingFileError, match=r"case 'c3': pet.nii.gz is in Bq/mL and needs meta.json"):
        discover_cases(folder)


def test_meta_must_be_an_object(imaging, tmp_path):
    folder = imaging.make_generic_case(tmp_path, "c4")
    (folder / "meta.json").write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(MetadataError, match=r"meta\.json must be a JSON object"):
        discover_cases(folder)


def test_scan_collects_every_bad_folder_and_keeps_the_good(imaging, tmp_path):
    root = tmp_path / "data"
    imaging.make_generic_case(root, "good")
    bad = imaging.make_generic_case(root, "nopet")
    (bad / "suv.nii.gz").unlink()
    (root / "random_stuff").mkdir()
    (root / "random_stuff" / "notes.txt").write_text("x")
    scan = scan_cases(root)
    assert [c.case_id for c in scan.cases] == ["good"]
    assert sorted(name for name, _ in scan.failures) == ["nopet", "random_stuff"]
    errors = dict(scan.failures)
    assert isinstance(errors["random_stuff"], LayoutError)
    assert isinstance(errors["nopet"], MissingFileError)
    with pytest.raises(MissingFileError, match="2 case folders are unusable") as exc:
        discover_cases(root)
    assert "random_stuff" in str(exc.value) and "nopet" in str(exc.value)


def test_unmatched_and_missing_paths(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(LayoutError, match="no cases found"):
        discover_cases(empty)
    with pytest.raises(MissingFileError, match="data path not found"):
        discover_cases(tmp_path / "nope")
    f = tmp_path / "file.txt"
    f.write_text("x")
    with pytest.raises(LayoutError, match="got a file"):
        discover_cases(f)


def test_autopet_layout_prefers_ctres(imaging, tmp_path):
    ct, ct_aff, suv, pet_aff = imaging.tiny_ct_pet()
    study = tmp_path / "FDG-PET-CT-Lesions" / "PETCT_0af7ffe12a" / "08-12-2005-NA-PET-CT Ganzkoerper-10445"
    imaging.save_nifti(suv, pet_aff, study / "SUV.nii.gz")
    imaging.save_nifti(ct, ct_aff, study / "CT.nii.gz")
    imaging.save_nifti(ct, ct_aff, study / "CTres.nii.gz")
    study2 = tmp_path / "FDG-PET-CT-Lesions" / "PETCT_1b" / "s2"
    imaging.save_nifti(suv, pet_aff, study2 / "SUV.nii.gz")
    imaging.save_nifti(ct, ct_aff, study2 / "CT.nii.gz")
    for path in (tmp_path / "FDG-PET-CT-Lesions", study.parent, study):
        cases = discover_cases(path)
        assert cases[0].case_id == "PETCT_0af7ffe12a_08-12-2005-NA-PET-CT_Ganzkoerper-10445"
        assert cases[0].layout == "autopet"
        assert cases[0].ct_path.name == "CTres.nii.gz" and cases[0].suv_path.name == "SUV.nii.gz"
        assert cases[0].read_report() is None
    all_cases = discover_cases(tmp_path / "FDG-PET-CT-Lesions")
    assert [c.case_id for c in all_cases] == ["PETCT_0af7ffe12a_08-12-2005-NA-PET-CT_Ganzkoerper-10445", "PETCT_1b_s2"]
    assert all_cases[1].ct_path.name == "CT.nii.gz"


def test_autopet_study_without_suv(imaging, tmp_path):
    ct, ct_aff, _, _ = imaging.tiny_ct_pet()
    study = tmp_path / "P1" / "S1"
    imaging.save_nifti(ct, ct_aff, study / "CTres.nii.gz")
    with pytest.raises(MissingFileError, match=r"case 'P1_S1': SUV.nii.gz not found"):
        discover_cases(study)


def _nnunet(imaging, root, ids, reports=None):
    ct, ct_aff, suv, pet_aff = imaging.tiny_ct_pet()
    for cid in ids:
        imaging.save_nifti(ct, ct_aff, root / "images" / f"{cid}_0000.nii.gz")
        imaging.save_nifti(suv, pet_aff, root / "images" / f"{cid}_0001.nii.gz")
    for cid, obj in (reports or {}).items():
        (root / "reports").mkdir(parents=True, exist_ok=True)
        (root / "reports" / f"{cid}.json").write_text(json.dumps(obj, ensure_ascii=False), encoding="utf-8")


def test_nnunet_layout_with_reports(imaging, tmp_path):
    root = tmp_path / "AutoPET-RG-Lym"
    _nnunet(imaging, root, ["lym_002", "lym_001"], {"lym_001": {"检查所见": "纵隔淋巴结FDG摄取增高。"}, "lym_002": {}})
    cases = discover_cases(root)
    assert [c.case_id for c in cases] == ["lym_001", "lym_002"]
    assert all(c.layout == "nnunet" and c.pet_is_suv for c in cases)
    assert cases[0].ct_path.name == "lym_001_0000.nii.gz" and cases[0].suv_path.name == "lym_001_0001.nii.gz"
    assert cases[0].read_report() == "纵隔淋巴结FDG摄取增高。"
    assert cases[0].read_report("en") is None
    with pytest.raises(InputError, match=r"lym_002\.json has no string under '检查所见'"):
        cases[1].read_report()
    # a data folder holding the nnU-Net folder works too
    assert [c.case_id for c in discover_cases(tmp_path)] == ["lym_001", "lym_002"]


def test_nnunet_missing_channel(imaging, tmp_path):
    root = tmp_path / "ds"
    _nnunet(imaging, root, ["a"])
    (root / "images" / "a_0001.nii.gz").unlink()
    with pytest.raises(MissingFileError, match=r"case 'a': a_0001.nii.gz \(SUV\) not found"):
        discover_cases(root)


def test_duplicate_case_ids_are_an_error(imaging, tmp_path):
    root = tmp_path / "data"
    imaging.make_generic_case(root, "x1")
    _nnunet(imaging, root / "nn", ["x1"])
    with pytest.raises(LayoutError, match="duplicate case id 'x1'"):
        discover_cases(root)


def test_non_utf8_report_is_a_clear_error(imaging, tmp_path):
    folder = imaging.make_generic_case(tmp_path, "c1", report=None)
    (folder / "report.txt").write_bytes("肝脏未见异常".encode("gb18030"))
    case = discover_cases(folder)[0]
    with pytest.raises(InputError, match=r"case 'c1': report.txt: line 1: not valid UTF-8"):
        case.read_report()
    with pytest.raises(InputError, match="lang must be one of 'zh', 'en'"):
        case.read_report("fr")


def test_bad_labels(imaging, tmp_path):
    folder = imaging.make_generic_case(tmp_path, "c1")
    (folder / "labels.json").write_text('{"liver": "increased"}', encoding="utf-8")
    with pytest.raises(InputError, match="must map organ keys to lists of states"):
        discover_cases(folder)[0].read_labels()


@pytest.mark.parametrize(
    "meta, sex, age",
    [
        ({"sex": "male", "age": 63}, "M", 63.0),
        ({"sex": "女", "age": "058Y"}, "F", 58.0),
        ({"sex": "M", "age": "018M"}, "M", 1.5),
        ({"sex": "other", "age": True}, None, None),
        ({"age": -3}, None, None),
    ],
)
def test_sex_and_age_accessors(tmp_path, meta, sex, age):
    case = Case("c", "generic", tmp_path, tmp_path / "ct.nii.gz", suv_path=tmp_path / "suv.nii.gz", meta=meta)
    assert case.sex == sex
    assert case.age == (pytest.approx(age) if age is not None else None)


def test_split_file(imaging, tmp_path):
    root = tmp_path / "data"
    for cid in ("a", "b", "c"):
        imaging.make_generic_case(root, cid)
    assert read_split_file(root) is None
    (root / "splits.json").write_text(json.dumps({"train": ["a", "b"], "test": ["c"]}), encoding="utf-8")
    assert read_split_file(root) == {"train": ["a", "b"], "test": ["c"]}
    (root / "splits.json").write_text(json.dumps({"train": ["a"], "test": ["zz"]}), encoding="utf-8")
    with pytest.raises(InputError, match="names case 'zz', which is not a case"):
        read_split_file(root)
    (root / "splits.json").write_text(json.dumps({"train": ["a"], "test": ["a"]}), encoding="utf-8")
    with pytest.raises(InputError, match="case 'a' is listed in 'train' and again in 'test'"):
        read_split_file(root)
    (root / "splits.json").write_text(json.dumps({"dev": ["a"]}), encoding="utf-8")
    with pytest.raises(InputError, match=r"unknown split name\(s\) \['dev'\]"):
        read_split_file(root)
    (root / "splits.json").write_text(json.dumps({"test": "a"}), encoding="utf-8")
    with pytest.raises(InputError, match="must be a list of case id strings"):
        read_split_file(root)


def test_split_file_with_a_broken_case_folder(imaging, tmp_path):
    """A split file is checked against the ids discovery found, usable or not: one broken case folder does not make
    the split file unreadable (the build reports that case like any other failure)."""
    root = tmp_path / "data"
    for cid in ("a", "b", "c"):
        imaging.make_generic_case(root, cid)
    (root / "c" / "suv.nii.gz").unlink()  # c: a case folder without PET
    (root / "splits.json").write_text(json.dumps({"train": ["a", "c"], "test": ["b"]}), encoding="utf-8")
    assert read_split_file(root) == {"train": ["a", "c"], "test": ["b"]}
    assert read_split_file(root, case_ids=["a", "b", "c"]) == {"train": ["a", "c"], "test": ["b"]}
    with pytest.raises(InputError, match="names case 'c', which is not a case"):
        read_split_file(root, case_ids=["a", "b"])
    (root / "splits.json").write_text(json.dumps({"test": ["zz"]}), encoding="utf-8")
    with pytest.raises(InputError, match="names case 'zz', which is not a case"):
        read_split_file(root)


def test_broken_autopet_study_is_reported_under_its_case_id(imaging, tmp_path):
    ct, ct_aff, suv, pet_aff = imaging.tiny_ct_pet()
    imaging.save_nifti(ct, ct_aff, tmp_path / "P1" / "S1" / "CTres.nii.gz")  # no SUV.nii.gz
    imaging.save_nifti(ct, ct_aff, tmp_path / "P2" / "S2" / "CTres.nii.gz")
    imaging.save_nifti(suv, pet_aff, tmp_path / "P2" / "S2" / "SUV.nii.gz")
    scan = scan_cases(tmp_path)
    assert [c.case_id for c in scan.cases] == ["P2_S2"]
    assert [cid for cid, _ in scan.failures] == ["P1_S1"]


def test_case_is_frozen_and_hashable(tmp_path):
    case = Case("c", "generic", tmp_path, tmp_path / "ct.nii.gz", suv_path=tmp_path / "s.nii.gz", meta={"a": 1})
    with pytest.raises(AttributeError):
        case.case_id = "d"
    assert len({case, case}) == 1
    assert np.isscalar(hash(case))


def test_pet2rep_outputs_beside_the_cases_are_skipped_not_failed(imaging, tmp_path):
    from pet2rep.imaging.cases import BUILD_MARKER

    root = tmp_path / "data"
    imaging.make_generic_case(root, "good")
    build = root / "pet2rep"  # `pet2rep build data --out data/pet2rep`
    (build / "fused").mkdir(parents=True)
    (build / "README.md").write_text(f"---\nconfigs: []\n---\n\n{BUILD_MARKER}\n", encoding="utf-8")
    (build / "fused" / "test-00000-of-00001.parquet").write_bytes(b"PAR1")
    slices = root / "slices"  # `pet2rep render data --out data/slices`
    slices.mkdir()
    record = {"case_id": "good", "config": "fused", "slice_axis": "coronal", "images": ["good_fused_9.png"]}
    (slices / "good.json").write_text(json.dumps(record), encoding="utf-8")
    (slices / "good_fused_9.png").write_bytes(b"\x89PNG")
    lookalike = root / "docs"  # a card and JSON files that pet2rep did not write: still a failure
    lookalike.mkdir()
    (lookalike / "README.md").write_text("# my notes\n", encoding="utf-8")
    (lookalike / "a.json").write_text('{"case_id": "x"}', encoding="utf-8")
    (lookalike / "a.png").write_bytes(b"\x89PNG")
    scan = scan_cases(root)
    assert [c.case_id for c in scan.cases] == ["good"]
    assert [(name, type(e).__name__) for name, e in scan.failures] == [("docs", "LayoutError")]
    assert scan.skipped == [
        (build, "a dataset folder written by pet2rep build"),
        (slices, "key slices written by pet2rep render"),
    ]
