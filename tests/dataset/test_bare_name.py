"""``load_dataset("pet2rep", config)`` offline from another directory after a build, and after a rebuild."""

from __future__ import annotations

from pet2rep.dataset.build import build_dataset
from pet2rep.dataset.load import register_cache


def test_bare_name_loads_every_config_from_another_directory(built, hf_cache, tools, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    for config, n_images in (("fused", 3), ("separate", 6), ("mip", 4)):
        got = tools.bare_load("pet2rep", config, cwd=elsewhere, cache=hf_cache)
        assert got["case_id"] == built.cases
        assert got["n_images"] == [n_images] * tools.N_CASES
    assert not (elsewhere / "pet2rep").exists()  # the name resolves through the datasets cache, not a folder


def test_rebuild_refreshes_what_the_bare_name_returns(cohort, tools, tmp_path):
    cache = tmp_path / "cache"
    out = tmp_path / "data" / "pet2rep"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    first = tools.copy_cohort(cohort, tmp_path / "first", case_ids={"synth_0000", "synth_0001", "synth_0002"})
    build_dataset(first, out, ["fused"], cache_dir=cache, progress=False)
    assert tools.bare_load("pet2rep", "fused", cwd=elsewhere, cache=cache)["case_id"] == [
        "synth_0000",
        "synth_0001",
        "synth_0002",
    ]

    # Same card hash inputs would reuse the old cache entry; the build's registration must still refresh it.
    second = tools.copy_cohort(cohort, tmp_path / "second", case_ids={"synth_0001", "synth_0003"})
    (second / "synth_0001" / "report.txt").write_text("肝脏FDG摄取增高。", encoding="utf-8")
    build_dataset(second, out, ["fused"], cache_dir=cache, progress=False)
    got = tools.bare_load("pet2rep", "fused", cwd=elsewhere, cache=cache)
    assert got["case_id"] == ["synth_0001", "synth_0003"]
    assert got["report"][0] == "肝脏FDG摄取增高。"


def test_without_registration_the_name_is_unknown_offline(cohort, tools, tmp_path):
    cache = tmp_path / "cache"
    build_dataset(cohort, tmp_path / "pet2rep", ["fused"], register=False, progress=False)
    code = "import datasets\ndatasets.load_dataset('pet2rep', 'fused', split='test')\n"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    proc = tools.run_python(code, cwd=elsewhere, env={"HF_DATASETS_CACHE": str(cache)})
    assert proc.returncode != 0
    assert "pet2rep" in proc.stderr and ("Couldn't reach" in proc.stderr or "not cached" in proc.stderr)


def test_registration_replaces_a_stale_cache_entry(cohort, tools, tmp_path):
    """datasets keys a folder's cache on its base name and card, not on its files: a load of a folder whose card is
    unchanged but whose parquet files changed returns the old rows until the build re-registers it."""
    import shutil

    import datasets

    cache = tmp_path / "cache"
    first = tools.copy_cohort(cohort, tmp_path / "first", case_ids={"synth_0000", "synth_0001", "synth_0002"})
    a = build_dataset(first, tmp_path / "a" / "pet2rep", ["fused"], cache_dir=cache, progress=False)
    other = tools.copy_cohort(cohort, tmp_path / "other", case_ids={"synth_0001", "synth_0002", "synth_0003"})
    c = build_dataset(other, tmp_path / "c" / "pet2rep", ["fused"], register=False, progress=False)
    b = tmp_path / "b" / "pet2rep"  # a's card with c's rows (as many as a's, so the card's counts still hold)
    shutil.copytree(a.out, b)
    shutil.copy(c.out / "fused" / "test-00000-of-00001.parquet", b / "fused" / "test-00000-of-00001.parquet")

    stale = datasets.load_dataset(str(b), "fused", split="test", cache_dir=str(cache))
    assert list(stale["case_id"]) == a.cases  # the old rows

    assert register_cache(b, cache_dir=cache, progress=False) == ("fused",)
    fresh = datasets.load_dataset(str(b), "fused", split="test", cache_dir=str(cache))
    assert list(fresh["case_id"]) == c.cases == ["synth_0001", "synth_0002", "synth_0003"]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert tools.bare_load("pet2rep", "fused", cwd=elsewhere, cache=cache)["case_id"] == c.cases
