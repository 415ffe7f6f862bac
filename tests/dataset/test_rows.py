"""Row pieces: deterministic PNG / NIfTI bytes, CE labels, features, sizes, finding the builder file."""

from __future__ import annotations

import gzip
import io

import nibabel as nib
import numpy as np
import pytest
from PIL import Image

from pet2rep.dataset import rows as rows_module
from pet2rep.dataset import script
from pet2rep.dataset.build import parse_size
from pet2rep.dataset.rows import case_rows, ce_labels, encode_nifti, encode_png
from pet2rep.dataset.schema import features
from pet2rep.errors import InputError, MissingFileError
from pet2rep.imaging.cases import discover_cases
from pet2rep.imaging.io import nifti_image
from pet2rep.text.ce import ORGANS


def test_png_bytes_are_deterministic_and_lossless():
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, size=(30, 20, 3), dtype=np.uint8)
    first = encode_png(Image.fromarray(pixels))
    assert first == encode_png(Image.fromarray(pixels.copy()))
    assert first[:8] == b"\x89PNG\r\n\x1a\n" and b"tIME" not in first and b"tEXt" not in first
    np.testing.assert_array_equal(np.asarray(Image.open(io.BytesIO(first))), pixels)


def test_nifti_bytes_have_no_timestamp_and_round_trip():
    data = np.arange(4 * 5 * 6, dtype=np.int16).reshape(4, 5, 6) - 60
    affine = np.array([[-4.0, 0, 0, 10], [0, 4.0, 0, -20], [0, 0, 5.0, 30], [0, 0, 0, 1]])
    raw = encode_nifti(nifti_image(data, affine))
    assert raw == encode_nifti(nifti_image(data.copy(), affine))
    assert raw[:2] == b"\x1f\x8b" and raw[4:8] == b"\x00\x00\x00\x00"  # gzip MTIME field is zero
    img = nib.Nifti1Image.from_bytes(gzip.decompress(raw))
    np.testing.assert_array_equal(np.asanyarray(img.dataobj), data)
    np.testing.assert_allclose(img.affine, affine)
    assert img.get_data_dtype() == np.int16 and img.header.get_xyzt_units() == ("mm", "sec")


def test_ce_labels_cover_every_organ():
    labels = ce_labels("肝脏FDG摄取增高。左肾FDG摄取缺失。脑FDG摄取未见异常。")
    assert list(labels) == list(ORGANS)
    assert labels["liver"] == ["increased"] and labels["kidney"] == ["absent"] and labels["brain"] == []
    assert ce_labels(None) is None


def test_case_rows_for_several_configs_load_once(cohort, monkeypatch):
    import pet2rep.imaging.render as render_mod

    calls = []
    original = render_mod.load_case_volumes
    monkeypatch.setattr(
        rows_module, "load_case_volumes", lambda case, *a: calls.append(case.case_id) or original(case, *a)
    )
    case = discover_cases(cohort)[0]
    timings: dict[str, float] = {}
    rows = case_rows(case, ["volumes", "fused", "mip"], timings=timings)
    assert calls == [case.case_id]
    assert list(rows) == ["volumes", "fused", "mip"]
    assert rows["fused"]["slice_indices"] == rows["volumes"]["slice_indices"] == rows["mip"]["slice_indices"]
    assert set(timings) == {"text", "render", "png", "nifti"} and all(t >= 0 for t in timings.values())
    for config, row in rows.items():
        assert set(row) == set(features(config)), config


def test_features_per_config():
    import datasets

    for config in ("fused", "separate", "mip", "lesion"):
        f = features(config)
        assert list(f)[:4] == ["case_id", "images", "image_names", "report"]
        strategy = ["slice_indices", "slice_strategy", "lesion_coverage", "mask_overlay"]
        assert list(f)[list(f).index("slice_indices") :][:4] == strategy
        assert f["mask_overlay"] == datasets.Value("bool")
        assert f["images"] == datasets.List(datasets.Image())
        assert f["age"] == datasets.Value("int32") and f["slice_indices"] == datasets.List(datasets.Value("int32"))
    v = features("volumes")
    assert isinstance(v["ct"], datasets.Nifti) and isinstance(v["suv"], datasets.Nifti) and "images" not in v
    assert "slice_indices" in v and not {"slice_strategy", "lesion_coverage", "mask_overlay"} & set(v)
    with pytest.raises(InputError, match="unknown dataset config"):
        features("axial")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("500MB", 500_000_000), ("2GiB", 2 * 1024**3), ("1000", 1000), ("1.5 kb", 1500), ("64MiB", 64 * 1024**2)],
)
def test_parse_size(text, expected):
    assert parse_size(text) == expected


def test_parse_size_rejects_nonsense():
    with pytest.raises(InputError, match="size must be a number"):
        parse_size("big")


def test_builder_file_is_the_repository_one(repo_root):
    assert script.builder_path() == repo_root / "dataset_script" / "pet2rep.py"


def test_missing_builder_file_names_where_it_looked(monkeypatch, tmp_path):
    monkeypatch.setattr(script, "__file__", str(tmp_path / "src" / "pet2rep" / "dataset" / "script.py"))
    with pytest.raises(MissingFileError) as info:
        script.builder_path()
    message = str(info.value)
    assert str(tmp_path / "dataset_script" / "pet2rep.py") in message
    assert str(tmp_path / "src" / "pet2rep" / "_dataset_script" / "pet2rep.py") in message


def test_builder_configs_are_typed(cohort, tmp_path):
    builder_cls = script.load_builder_class()
    config = builder_cls.BUILDER_CONFIG_CLASS
    assert config.__name__ == "Pet2RepConfig"
    volumes = next(c for c in builder_cls.BUILDER_CONFIGS if c.name == "volumes")
    assert isinstance(volumes, config) and volumes.writer_batch_size == 2
    # The builder file is a thin re-export: the class lives in the package, so worker processes unpickle it there.
    from pet2rep.dataset.builder import Pet2Rep

    assert builder_cls is Pet2Rep and builder_cls.__module__ == "pet2rep.dataset.builder"
    builder = builder_cls(config_name="mip", data_dir=str(cohort), cache_dir=str(tmp_path))
    assert builder.info.features == features("mip") and builder.config.render_options.num_slices == 3
