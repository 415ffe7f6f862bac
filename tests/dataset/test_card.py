"""The dataset card: YAML that datasets and the Hub parse, listing every config; the sections a card needs."""

from __future__ import annotations

import json

import datasets
import yaml
from datasets.info import DatasetInfosDict
from datasets.utils.metadata import MetadataConfigs
from huggingface_hub import DatasetCard

from pet2rep.dataset.build import build_dataset
from pet2rep.dataset.card import read_card
from pet2rep.dataset.schema import DATASET_CONFIGS, FIELD_DOCS, features
from pet2rep.paper import CITATION


def test_yaml_parses_and_lists_every_config(built):
    text = (built.out / "README.md").read_text(encoding="utf-8")
    assert text.startswith("---\n")
    meta = yaml.safe_load(text.split("---\n")[1])
    assert [c["config_name"] for c in meta["configs"]] == list(DATASET_CONFIGS)
    assert [c["config_name"] for c in meta["configs"] if c.get("default")] == ["fused"]
    for entry in meta["configs"]:
        assert entry["data_files"] == [{"split": "test", "path": f"{entry['config_name']}/test-*.parquet"}]
    assert [i["config_name"] for i in meta["dataset_info"]] == list(DATASET_CONFIGS)
    for info in meta["dataset_info"]:
        config = info["config_name"]
        assert info["splits"][0]["name"] == "test" and info["splits"][0]["num_examples"] == 4
        assert info["splits"][0]["num_bytes"] > 0 and info["dataset_size"] == info["splits"][0]["num_bytes"]
        assert info["download_size"] == (built.out / config / "test-00000-of-00001.parquet").stat().st_size
        assert datasets.Features._from_yaml_list(info["features"]) == features(config)
    assert meta["license"] == "other" and meta["task_categories"] == ["image-to-text"]
    assert set(meta["language"]) == {"zh", "en"}


def test_datasets_and_hub_read_the_card(built):
    card = DatasetCard.load(built.out / "README.md")
    configs = MetadataConfigs.from_dataset_card_data(card.data)
    assert list(configs) == list(DATASET_CONFIGS) and configs.get_default_config_name() == "fused"
    infos = DatasetInfosDict.from_dataset_card_data(card.data)
    assert {name: info.splits["test"].num_examples for name, info in infos.items()} == dict.fromkeys(
        DATASET_CONFIGS, 4
    )


def test_card_sections(built):
    _, body = read_card(built.out)
    for heading in (
        "## Description",
        "## Structure",
        "## Fields",
        "## How the slices are made",
        "## Cases left out of this build",
        "## Citation",
        "## License",
        "## How to evaluate",
    ):
        assert f"\n{heading}\n" in body, heading
    assert CITATION in body and "2508.04062" in body
    assert f"content hash of the parquet files: `{built.content_hash}`" in body
    assert "W400/L40" in body and "Hot Iron" in body and "3 coronal planes 10 PET voxels apart" in body
    assert "head at the top" in body.lower() and "patient's right on the image's left" in body
    assert "pet2rep score" in body and 'evaluate.load("pet2rep_ce")' in body and "pet2rep.lighteval.tasks" in body
    assert "pet2rep:lesion" in body
    for name, _, _ in FIELD_DOCS:
        assert f"| `{name}` |" in body
    for file in built.files:
        assert file.relative_to(built.out).as_posix() in body


def test_card_follows_the_render_options(cohort, tmp_path):
    from pet2rep.imaging.render import RenderOptions

    options = RenderOptions(ct_mode="zscore", aspect="mm", num_slices=2, slice_spacing_vox=6)
    summary = build_dataset(cohort, tmp_path / "pet2rep", ["fused"], options=options, register=False, progress=False)
    _, body = read_card(summary.out)
    assert "z-scored HU" in body and "2 coronal planes 6 PET voxels apart" in body and "square in mm" in body
    assert summary.rows == {"fused": {"test": 4}}


def test_benchmark_version_on_card_rows_and_files(built, tmp_path):
    import pyarrow.parquet as pq

    from pet2rep import __version__
    from pet2rep.dataset import benchmark_version, content_hash

    found = benchmark_version(built.out)
    assert found is not None and found.record() == {
        "name": "PET2Rep",
        "pet2rep_version": __version__,
        "content_hash": built.content_hash,
    }
    assert found.content_hash == content_hash(built.out)  # the hash is of the parquet files, which exclude the card
    meta, _ = read_card(built.out)
    assert meta["pet2rep"]["content_hash"] == built.content_hash
    assert {c["config_name"]: c["version"] for c in meta["configs"]} == dict.fromkeys(DATASET_CONFIGS, __version__)
    # each row set: a loaded split says which pet2rep made it (datasets would say 0.0.0), each file says it too
    ds = datasets.load_dataset(str(built.out), "mip", split="test", cache_dir=str(tmp_path / "cache"))
    assert str(ds.info.version) == __version__
    for file in built.files:
        recorded = json.loads(pq.read_metadata(file).metadata[b"pet2rep"])
        assert recorded == {"pet2rep_version": __version__, "config": file.parent.name, "split": "test"}


def test_benchmark_version_of_older_and_foreign_cards(built, tmp_path):
    from pet2rep.dataset import benchmark_version

    text = (built.out / "README.md").read_text(encoding="utf-8")
    meta_text, body = text.split("---\n")[1:3]
    meta = yaml.safe_load(meta_text)
    del meta["pet2rep"]  # a card written before the YAML block: read from its prose
    older = tmp_path / "older"
    older.mkdir()
    (older / "README.md").write_text(f"---\n{yaml.safe_dump(meta)}---\n{body}", encoding="utf-8")
    assert benchmark_version(older) == benchmark_version(built.out)
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "README.md").write_text("---\npretty_name: Other\n---\n# Some dataset\n", encoding="utf-8")
    assert benchmark_version(foreign) is None
    assert benchmark_version(tmp_path / "missing") is None
