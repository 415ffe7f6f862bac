"""Reading the private references: built dataset folder, JSONL, private repo (offline: a clear error)."""

from __future__ import annotations

import pytest
from pet2rep_space.config import load_config
from pet2rep_space.references import ReferenceSet, load_references, read_dataset_folder, read_references

from pet2rep.errors import InputError, MissingFileError


def test_dataset_folder(references_dir, references):
    assert read_dataset_folder(references_dir) == references
    loaded = read_references(references_dir)
    assert loaded.reports == references and len(loaded) == len(references)
    # The reports never show in a repr (logs).
    assert next(iter(references.values())) not in repr(loaded)


def test_fingerprint_identifies_the_set(references):
    a = ReferenceSet.from_reports(references)
    b = ReferenceSet.from_reports(dict(reversed(list(references.items()))))
    changed = ReferenceSet.from_reports({**references, "case_000": "改"})
    assert a.fingerprint == b.fingerprint != changed.fingerprint


def test_configs_must_agree(tmp_path, references, dataset_folder_writer):
    root = dataset_folder_writer(tmp_path / "d", references, configs=("fused",))
    dataset_folder_writer(tmp_path / "d", {**references, "case_000": "不同"}, configs=("separate",))
    with pytest.raises(InputError, match="configs 'fused' and 'separate' hold different reports"):
        read_dataset_folder(root)


def test_folder_without_parquet(tmp_path):
    (tmp_path / "fused").mkdir()
    with pytest.raises(MissingFileError, match=r"no <config>/\*\.parquet"):
        read_references(tmp_path)


def test_shard_without_report_column(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    (tmp_path / "fused").mkdir()
    pq.write_table(pa.table({"case_id": ["a"]}), tmp_path / "fused" / "test-00000-of-00001.parquet")
    with pytest.raises(InputError, match="no 'report' column; it has case_id"):
        read_references(tmp_path)


def test_duplicate_case_id_across_shards(tmp_path, dataset_folder_writer):
    import pyarrow.parquet as pq

    root = dataset_folder_writer(tmp_path / "d", {"a": "x", "b": "y"}, configs=("fused",), shards=1)
    shard = root / "fused" / "test-00000-of-00001.parquet"
    pq.write_table(pq.read_table(shard), root / "fused" / "test-extra.parquet")
    with pytest.raises(InputError, match="duplicate case_id 'a'"):
        read_references(root)


def test_load_references_from_config(references_dir, references, tmp_path):
    assert load_references(load_config({})) is None
    config = load_config({"PET2REP_REFERENCES": str(references_dir)})
    assert load_references(config).reports == references
    with pytest.raises(InputError, match="inside the Space folder"):
        load_references(config, app_dir=tmp_path)
    with pytest.raises(MissingFileError):
        load_references(load_config({"PET2REP_REFERENCES": str(tmp_path / "missing.jsonl")}))


def test_private_repo_needs_a_token_and_fails_clearly_offline(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(InputError, match="HF_TOKEN is not"):
        load_references(load_config({"PET2REP_REFERENCES_REPO": "org/refs"}))
    config = load_config(
        {
            "PET2REP_REFERENCES_REPO": "org/refs",
            "HF_TOKEN": "hf_secret_token",
            "PET2REP_REFERENCES_CACHE": str(tmp_path / "cache"),
        }
    )
    with pytest.raises(InputError, match="references repo 'org/refs' could not be downloaded") as info:
        load_references(config)
    assert "hf_secret_token" not in str(info.value)


def test_jsonl_and_a_folder_holding_one_jsonl(references_jsonl, references, tmp_path, jsonl_writer):
    assert read_references(references_jsonl).reports == references
    folder = tmp_path / "repo_snapshot"
    folder.mkdir()
    jsonl_writer(folder / "references.jsonl", references)
    (folder / "README.md").write_text("# private references\n", encoding="utf-8")
    assert read_references(folder).reports == references
    assert read_references(folder).fingerprint == read_references(references_jsonl).fingerprint
