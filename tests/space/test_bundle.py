"""The deployable Space folder: the right files, the Space card, a vendored pet2rep that is the one imported."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys

import pytest
import yaml


@pytest.fixture(scope="module")
def bundle_module(repo_root):
    spec = importlib.util.spec_from_file_location("pet2rep_space_bundle", repo_root / "space" / "bundle.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def bundle(tmp_path_factory, bundle_module):
    out = tmp_path_factory.mktemp("bundle") / "space_bundle"
    files = bundle_module.build_bundle(out)
    return out, files


def test_bundle_contents(bundle, repo_root):
    out, files = bundle
    for required in ("app.py", "README.md", "requirements.txt", "pet2rep_space/config.py", "pet2rep/paper.py"):
        assert required in files
    assert "pet2rep/resources/paper_table1.csv" in files
    assert not [f for f in files if "__pycache__" in f or f.endswith(".pyc")]
    assert not [f for f in files if f.endswith((".parquet", ".jsonl", ".nii.gz"))]
    assert (out / "pet2rep" / "paper.py").read_bytes() == (repo_root / "src" / "pet2rep" / "paper.py").read_bytes()
    manifest = json.loads((out / "BUNDLE_MANIFEST.json").read_text(encoding="utf-8"))
    assert sorted(manifest) == files


def test_space_card_header(bundle):
    out, _ = bundle
    text = (out / "README.md").read_text(encoding="utf-8")
    assert text.startswith("---\n")
    header = yaml.safe_load(text.split("---\n")[1])
    assert header["sdk"] == "gradio"
    assert header["app_file"] == "app.py"
    assert str(header["python_version"]) == "3.11"
    assert header["hf_oauth"] is True
    assert "leaderboard" in header["tags"]
    assert str(header["sdk_version"]).startswith("6.")
    assert len(header["short_description"]) <= 60


def test_bundle_runs_on_its_vendored_pet2rep(bundle):
    out, _ = bundle
    env = {**os.environ, "PYTHONPATH": "", "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1"}
    code = (
        "import pet2rep, pet2rep_space, app; from pet2rep_space.config import load_config; "
        "from pet2rep_space.service import LeaderboardService; "
        "service = LeaderboardService.from_config(load_config({'PET2REP_DATA_DIR': 'space_data_test'})); "
        "app.build_app(service); print(pet2rep.__file__); print(len(service.leaderboard()))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=out, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
    module_file, rows = result.stdout.split()[-2:]
    assert module_file.startswith(str(out)), module_file
    assert rows == "49"


def test_rebuilding_replaces_only_an_earlier_bundle(tmp_path, bundle_module):
    out = tmp_path / "b"
    bundle_module.build_bundle(out)
    (out / "stale.txt").write_text("x")
    bundle_module.build_bundle(out)
    assert not (out / "stale.txt").exists()
    other = tmp_path / "not_a_bundle"
    other.mkdir()
    (other / "keep.txt").write_text("x")
    with pytest.raises(bundle_module.BundleError, match="not an earlier bundle"):
        bundle_module.build_bundle(other)
    assert (other / "keep.txt").exists()
    with pytest.raises(bundle_module.BundleError, match="refusing"):
        bundle_module.build_bundle(bundle_module.REPO_ROOT)
