"""The dataset build: every config loads offline with the expected rows, images, volumes and texts."""

from __future__ import annotations

import json

import datasets
import numpy as np
import pyarrow.parquet as pq
import pytest

from pet2rep.dataset.build import build_dataset, describe
from pet2rep.dataset.parquet import content_hash
from pet2rep.dataset.schema import DATASET_CONFIGS
from pet2rep.errors import InputError
from pet2rep.imaging.cases import discover_cases
from pet2rep.imaging.render import load_case_volumes, render_all, volumes_on_pet_grid
from pet2rep.text.ce import ORGANS, STATES, extract_uptake

N_CASES = 4  # the cohort fixture's size
N_IMAGES = {"fused": 3, "separate": 6, "mip": 4}


def load(built, hf_cache, config):
    return datasets.load_dataset(str(built.out), config, split="test", cache_dir=str(hf_cache))


def test_summary_and_layout(built, cohort):
    assert built.configs == DATASET_CONFIGS
    assert built.cases == [c.case_id for c in discover_cases(cohort)]
    assert built.failures == []
    assert built.rows == {c: {"test": N_CASES} for c in DATASET_CONFIGS}
    names = sorted(p.relative_to(built.out).as_posix() for p in built.out.rglob("*") if p.is_file())
    assert names == ["README.md", *sorted(f"{c}/test-00000-of-00001.parquet" for c in DATASET_CONFIGS)]
    assert built.content_hash == content_hash(built.out)
    assert built.size_bytes == sum(p.stat().st_size for p in built.out.rglob("*") if p.is_file())
    assert built.registered == DATASET_CONFIGS
    text = describe(built)
    assert built.content_hash in text and "0 left out" in text


@pytest.mark.parametrize("config", ["fused", "separate", "mip"])
def test_image_configs_load_offline(built, hf_cache, cohort, config):
    ds = load(built, hf_cache, config)
    cases = {c.case_id: c for c in discover_cases(cohort)}
    assert ds.num_rows == N_CASES
    assert ds["case_id"] == sorted(cases)
    assert isinstance(ds.features["images"], datasets.List)
    assert isinstance(ds.features["images"].feature, datasets.Image)
    for row in ds:
        case = cases[row["case_id"]]
        truth = json.loads((case.root / "truth.json").read_text(encoding="utf-8"))
        nx, _, nz = truth["pet_grid"]["shape"]
        assert len(row["images"]) == len(row["image_names"]) == N_IMAGES[config]
        assert all(im.mode == "RGB" and im.size == (nx, nz) for im in row["images"])
        assert row["report"] == (case.root / "report.txt").read_text(encoding="utf-8")
        assert row["report_en"] == (case.root / "report_en.txt").read_text(encoding="utf-8")
        assert row["slice_indices"] == truth["key_slices"]
        assert row["sex"] == case.sex and row["age"] == int(case.age)
        assert row["pet_shape"] == truth["pet_grid"]["shape"]
        expected = extract_uptake(row["report"], lang="zh")
        assert row["ce_labels"] == {o: [s for s in STATES if s in expected.get(o, ())] for o in ORGANS}
        assert (row["suv_factor"] is None) == (case.suv_path is not None)


def test_images_are_the_rendered_pictures_in_model_order(built, hf_cache, cohort):
    case = discover_cases(cohort)[1]  # PET in Bq/mL: SUV from meta.json
    rendered = render_all(case)
    for config in ("fused", "separate", "mip"):
        row = load(built, hf_cache, config)[1]
        assert row["case_id"] == case.case_id
        assert row["image_names"] == rendered[config].image_names
        assert row["suv_factor"] == pytest.approx(rendered[config].suv_factor)
        for got, want in zip(row["images"], rendered[config].images, strict=True):
            np.testing.assert_array_equal(np.asarray(got), np.asarray(want))


def test_ce_labels_are_queryable_and_not_empty(built, hf_cache):
    ds = load(built, hf_cache, "fused")
    assert list(ds.features["ce_labels"]) == list(ORGANS)
    # The synthetic reports describe abnormal uptake: at least one organ state per case.
    assert all(any(states for states in row.values()) for row in ds["ce_labels"])
    hot = ds.filter(lambda r: any("increased" in s for s in r["ce_labels"].values()))
    assert 0 < hot.num_rows <= N_CASES


def test_volumes_config_holds_ct_and_suv_on_the_pet_grid(built, hf_cache, cohort):
    ds = load(built, hf_cache, "volumes")
    assert ds.num_rows == N_CASES
    assert isinstance(ds.features["ct"], datasets.Nifti) and isinstance(ds.features["suv"], datasets.Nifti)
    assert "images" not in ds.features
    for case, row in zip(discover_cases(cohort), ds, strict=True):
        vols = load_case_volumes(case)
        ct, suv = row["ct"], row["suv"]
        assert ct.shape == suv.shape == vols.pet_shape
        assert ct.get_data_dtype() == np.int16 and suv.get_data_dtype() == np.float32
        np.testing.assert_allclose(ct.affine, vols.pet_affine)
        np.testing.assert_allclose(suv.affine, vols.pet_affine)
        np.testing.assert_array_equal(np.asanyarray(suv.dataobj), vols.suv)
        assert row["report"] == (case.root / "report.txt").read_text(encoding="utf-8")
        # HU range of a CT on the PET grid: air outside (-1024) and tissue inside.
        ct_data = np.asanyarray(ct.dataobj)
        assert ct_data.min() >= -1024 and ct_data.max() > 0
        # The row holds what pet2rep.imaging.render.volumes_on_pet_grid gives for the loaded volumes.
        ct_img, _ = volumes_on_pet_grid(vols)
        np.testing.assert_array_equal(ct_data, np.asanyarray(ct_img.dataobj))
        assert row["slice_indices"] == json.loads((case.root / "truth.json").read_text())["key_slices"]


def test_parquet_files_embed_images_and_plain_pyarrow_reads_references(built):
    table = pq.read_table(built.out / "fused" / "test-00000-of-00001.parquet", columns=["case_id", "report"])
    assert table.column("case_id").to_pylist() == built.cases
    schema = pq.read_schema(built.out / "fused" / "test-00000-of-00001.parquet")
    assert b"huggingface" in schema.metadata
    images = pq.read_table(built.out / "fused" / "test-00000-of-00001.parquet", columns=["images"])
    first = images.column("images")[0].as_py()[0]
    assert first["bytes"][:8] == b"\x89PNG\r\n\x1a\n" and first["path"] is None


def test_the_lighteval_package_reads_the_build(built):
    from pet2rep.lighteval import doc_fields, load_split

    ds = load_split(str(built.out), "separate", columns=("case_id", "images", "report"))
    fields = doc_fields({**ds[0], "__index": 0}, "pet2rep:separate")
    assert len(fields["images"]) == 6 and fields["choices"] == [ds[0]["report"]]


def test_rebuild_with_num_proc_2_is_byte_identical(built, cohort, tmp_path):
    again = build_dataset(cohort, tmp_path / "pet2rep", num_proc=2, register=False, progress=False)
    files = sorted(p.relative_to(built.out) for p in built.out.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(again.out) for p in again.out.rglob("*") if p.is_file())
    for rel in files:
        assert (built.out / rel).read_bytes() == (again.out / rel).read_bytes(), rel
    assert again.content_hash == built.content_hash


def test_small_shards_split_a_config_and_still_load(cohort, tmp_path, hf_cache):
    summary = build_dataset(
        cohort, tmp_path / "sharded", ["volumes"], max_shard_bytes=1, register=False, progress=False
    )
    files = [p.name for p in summary.files]
    assert files == [f"test-{i:05d}-of-{N_CASES:05d}.parquet" for i in range(N_CASES)]  # one volume row per shard
    ds = datasets.load_dataset(str(summary.out), "volumes", split="test", cache_dir=str(tmp_path / "cache"))
    assert ds["case_id"] == summary.cases


def test_refuses_to_overwrite_a_folder_that_is_not_a_build(cohort, tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    with pytest.raises(InputError, match=r"not a pet2rep build \(it holds notes\.txt\)"):
        build_dataset(cohort, out, ["fused"], register=False, progress=False)
    assert (out / "notes.txt").read_text() == "keep me"


def test_unknown_config_and_bad_num_proc_are_refused(cohort, tmp_path):
    with pytest.raises(InputError, match=r"unknown dataset config\(s\) \['axial'\]"):
        build_dataset(cohort, tmp_path / "x", ["fused", "axial"], progress=False)
    with pytest.raises(InputError, match="num_proc must be an integer >= 1; got 0"):
        build_dataset(cohort, tmp_path / "x", ["fused"], num_proc=0, progress=False)


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (
            ["--configs", " , "],
            "--configs: expected a comma-separated list among fused, separate, mip, lesion, volumes",
        ),
        (["--configs", "fused,axial"], "unknown dataset config(s) ['axial']; expected some of"),
        (["--num-proc", "0"], "--num-proc must be >= 1, got 0"),
        (["--max-shard-size", "0"], "--max-shard-size: size must be at least 1 byte, got '0'"),
        (["--max-shard-size", "big"], "--max-shard-size: size must be a number with an optional unit"),
    ],
)
def test_cli_bad_options_name_the_option_and_write_nothing(cohort, tmp_path, capsys, option, message):
    from pet2rep.cli import main

    assert main(["build", str(cohort), "--out", str(tmp_path / "x"), "--quiet", *option]) == 1
    assert capsys.readouterr().err.startswith(f"pet2rep build: error: {message}")
    assert not (tmp_path / "x").exists()


def test_a_relative_data_dir_is_discovered_once(cohort, tmp_path, monkeypatch):
    """Discovery reads every DICOM header of a folder: the build does it once, also for a relative path."""
    import pet2rep.dataset.build as build_module

    calls = []
    real = build_module.scan_cases

    def counted(path, **kwargs):
        calls.append(path)
        return real(path, **kwargs)

    monkeypatch.setattr(build_module, "scan_cases", counted)
    monkeypatch.chdir(cohort.parent)
    summary = build_dataset(cohort.name, tmp_path / "pet2rep", ["mip"], register=False, progress=False)
    assert summary.rows == {"mip": {"test": 4}}
    assert calls == [cohort.resolve()]
