"""The streaming build: rows reach the shards as cases are made, and no failure of one case hides another's."""

from __future__ import annotations

import os

import datasets
import pyarrow.parquet as pq
import pytest

from pet2rep.cli import main
from pet2rep.dataset import build as build_module
from pet2rep.dataset import rows as rows_module
from pet2rep.dataset.build import build_dataset
from pet2rep.dataset.load import load_split
from pet2rep.dataset.parquet import SplitWriter
from pet2rep.dataset.rows import case_result, case_rows
from pet2rep.imaging.cases import discover_cases

_real_case_rows = rows_module.case_rows
_real_case_result = rows_module.case_result


def _raise_for_synth_0001(case, configs, options=None, timings=None, masks_dir=None):
    if case.case_id == "synth_0001":
        raise RuntimeError("a bug, not a bad case")
    return _real_case_rows(case, configs, options, timings, masks_dir=masks_dir)


def _kill_worker_for_synth_0002(case, configs, options, masks_dir=None):
    if case.case_id == "synth_0002":
        os._exit(3)  # what an out-of-memory kill looks like to the pool
    return _real_case_result(case, configs, options, masks_dir)


def test_an_unexpected_error_is_reported_with_the_others_and_the_rest_written(cohort, tools, tmp_path, monkeypatch):
    root = tools.copy_cohort(cohort, tmp_path / "cases")
    (root / "synth_0003" / "report.txt").write_bytes(b"\xff not utf-8")  # an ordinary bad case as well
    monkeypatch.setattr(rows_module, "case_rows", _raise_for_synth_0001)
    summary = build_dataset(root, tmp_path / "pet2rep", ["fused", "volumes"], register=False, progress=False)
    assert [(f.case_id, f.configs, f.error) for f in summary.failures] == [
        ("synth_0001", ("fused", "volumes"), "RuntimeError"),
        ("synth_0003", ("fused", "volumes"), "InputError"),
    ]
    message = summary.failures[0].message
    assert "unexpected RuntimeError at test_stream.py:" in message and "a bug, not a bad case" in message
    assert summary.cases == ["synth_0000", "synth_0002"]
    for config in ("fused", "volumes"):
        assert list(load_split(str(summary.out), config)["case_id"]) == ["synth_0000", "synth_0002"]
    assert "- `synth_0001` (fused, volumes): RuntimeError: case 'synth_0001': unexpected" in (
        summary.out / "README.md"
    ).read_text(encoding="utf-8")


def test_cli_prints_every_failure_and_exits_1(cohort, tools, tmp_path, monkeypatch, capsys):
    root = tools.copy_cohort(cohort, tmp_path / "cases")
    (root / "synth_0003" / "report.txt").write_bytes(b"\xff not utf-8")
    monkeypatch.setattr(rows_module, "case_rows", _raise_for_synth_0001)
    out = tmp_path / "pet2rep"
    assert main(["build", str(root), "--out", str(out), "--configs", "mip", "--quiet", "--no-register"]) == 1
    captured = capsys.readouterr()
    assert "FAILED synth_0001 [mip] RuntimeError: case 'synth_0001': unexpected RuntimeError" in captured.out
    assert "FAILED synth_0003 [mip] InputError" in captured.out and "2 built, 2 left out" in captured.out
    assert "Traceback" not in captured.err


def test_worker_failures_match_the_one_process_build(cohort, tools, tmp_path):
    """A bad case in a worker process is reported as in one process; the shards are byte-identical."""
    root = tools.copy_cohort(cohort, tmp_path / "cases")
    ct = root / "synth_0002" / "ct.nii.gz"
    ct.write_bytes(ct.read_bytes()[:1000])
    kwargs = {"register": False, "progress": False}
    one = build_dataset(root, tmp_path / "one" / "pet2rep", ["fused", "mip"], **kwargs)
    two = build_dataset(root, tmp_path / "two" / "pet2rep", ["fused", "mip"], num_proc=2, **kwargs)
    assert (
        [(f.case_id, f.error) for f in two.failures]
        == [("synth_0002", "VolumeError")]
        == [(f.case_id, f.error) for f in one.failures]
    )
    assert two.failures == one.failures and two.cases == one.cases == ["synth_0000", "synth_0001", "synth_0003"]
    assert two.content_hash == one.content_hash
    assert (two.out / "README.md").read_bytes() == (one.out / "README.md").read_bytes()


def test_a_worker_that_dies_fails_its_case_only(cohort, tmp_path, monkeypatch):
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # fork, so that the workers see the patched case_result (forkserver workers import the real one).
    monkeypatch.setattr(
        build_module,
        "_new_pool",
        lambda workers: ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork")),
    )
    monkeypatch.setattr(build_module, "case_result", _kill_worker_for_synth_0002)
    summary = build_dataset(cohort, tmp_path / "pet2rep", ["fused"], num_proc=2, register=False, progress=False)
    assert [(f.case_id, f.error) for f in summary.failures] == [("synth_0002", "WorkerError")]
    assert "the process building it died" in summary.failures[0].message
    assert summary.cases == ["synth_0000", "synth_0001", "synth_0003"]


def test_rows_reach_the_shard_as_each_row_group_fills(cohort, tmp_path):
    """A volumes row group is one row: each row is on disk once added, and nothing is kept back."""
    cases = discover_cases(cohort)
    writer = SplitWriter(tmp_path / "volumes", "test", "volumes")
    sizes = []
    for case in cases:
        writer.add(case_rows(case, ["volumes"])["volumes"])
        sizes.append(sum(p.stat().st_size for p in (tmp_path / "volumes").glob(".test-part-*.parquet")))
        assert writer.num_rows == len(sizes)  # written, not pending
    assert all(b > a for a, b in zip([0, *sizes], sizes, strict=False))
    files = writer.close()
    assert [p.name for p in files] == ["test-00000-of-00001.parquet"]
    meta = pq.ParquetFile(files[0]).metadata
    assert meta.num_row_groups == meta.num_rows == len(cases)


def test_split_writer_cuts_shards_by_size_and_loads(cohort, tmp_path):
    rows = [case_rows(case, ["fused"])["fused"] for case in discover_cases(cohort)]
    one = SplitWriter(tmp_path / "one", "test", "fused")
    for row in rows:
        one.add(row)
    assert one.num_rows == 0  # a picture row group is 100 rows: still pending
    [whole] = one.close()
    assert one.num_rows == len(rows) and one.num_bytes > 0
    table = pq.read_table(whole)
    assert table.column("case_id").to_pylist() == [r["case_id"] for r in rows]
    ds = datasets.Dataset(table)
    assert ds.features["images"] == datasets.List(datasets.Image())


def test_case_result_never_raises_for_a_bad_case(cohort, tools, tmp_path):
    root = tools.copy_cohort(cohort, tmp_path / "cases", case_ids={"synth_0000"})
    (root / "synth_0000" / "ct.nii.gz").write_bytes(b"not gzip")
    [case] = discover_cases(root)
    result = case_result(case, ("fused",))
    assert result.rows is None and result.error == "VolumeError" and "ct.nii.gz" in result.message


def test_load_split_by_the_registered_bare_name(built, hf_cache, tmp_path, monkeypatch):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    ds = load_split("pet2rep", "mip", cache_dir=hf_cache, columns=("case_id", "images"))
    assert list(ds["case_id"]) == built.cases and [len(i) for i in ds["images"]] == [4] * len(built.cases)


@pytest.mark.parametrize("num_proc", [1, 2])
def test_the_builder_file_gives_the_same_rows_as_the_build(built, cohort, tmp_path, num_proc):
    from pet2rep.dataset.script import load_builder_class

    builder = load_builder_class()(config_name="separate", data_dir=str(cohort), cache_dir=str(tmp_path / "cache"))
    builder.download_and_prepare(num_proc=num_proc)
    via_builder = builder.as_dataset(split="test")
    via_build = load_split(str(built.out), "separate")
    assert via_builder.features == via_build.features
    assert via_builder.data.table.equals(via_build.data.table.cast(via_builder.data.table.schema))


def test_registration_writes_the_cache_load_dataset_would(built, tmp_path):
    """register_cache reads the shards its own way (row group by row group): same cache folder, same tables."""
    from pet2rep.dataset.load import register_cache

    registered = register_cache(built.out, ["volumes", "mip"], cache_dir=tmp_path / "a", progress=False)
    assert registered == ("volumes", "mip")
    for config in ("volumes", "mip"):
        ours = datasets.load_dataset(str(built.out), config, split="test", cache_dir=str(tmp_path / "a"))
        plain = datasets.load_dataset(str(built.out), config, split="test", cache_dir=str(tmp_path / "b"))
        [ours_file], [plain_file] = ours.cache_files, plain.cache_files
        assert os.path.relpath(ours_file["filename"], tmp_path / "a") == os.path.relpath(
            plain_file["filename"], tmp_path / "b"
        )
        assert ours.data.table.equals(plain.data.table) and ours.num_rows == len(built.cases)
