"""The deployable Space folder: the right files, the Space card, a vendored pet2rep that is the one imported."""

from __future__ import annotations

import ast
import importlib.metadata
import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

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


SCRIPT = """
import json, sys
from pathlib import Path
import pet2rep, app
from pet2rep_space.config import load_config
from pet2rep_space.service import LeaderboardService
refs = {"a": "肝脏放射性摄取增高，SUVmax约5.0。", "b": "脑实质放射性分布未见明显异常。"}
Path("refs.jsonl").write_text("".join(json.dumps({"case_id": k, "report": v}) + "\\n" for k, v in refs.items()))
Path("preds.jsonl").write_text("".join(json.dumps({"case_id": k, "report": "肝FDG摄取增高"}) + "\\n" for k in refs))
service = LeaderboardService.from_config(load_config({"PET2REP_DATA_DIR": "data", "PET2REP_REFERENCES": "refs.jsonl"}))
app.build_app(service)
record = service.submit("m", "", "fused", "preds.jsonl")
loaded = sorted({m.__file__ for m in list(sys.modules.values()) if getattr(m, "__file__", None)})
rows = {"published": len(service.published_frame()), "ranked": len(service.ranking())}
print(json.dumps({"pet2rep": pet2rep.__file__, "rows": rows, "loaded": loaded}))
"""


@pytest.fixture(scope="module")
def bundle_run(bundle, tmp_path_factory):
    """The bundle's app built and one submission scored in a fresh interpreter, run from a scratch folder."""
    out, _ = bundle
    cwd = tmp_path_factory.mktemp("bundle_run")
    env = {
        **os.environ,
        "PYTHONPATH": str(out),
        "GRADIO_ANALYTICS_ENABLED": "False",
        "HF_HUB_OFFLINE": "1",
    }
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_bundle_runs_on_its_vendored_pet2rep(bundle, bundle_run):
    out, _ = bundle
    assert bundle_run["pet2rep"].startswith(str(out)), bundle_run["pet2rep"]
    assert bundle_run["rows"] == {"published": 49, "ranked": 1}  # the paper's rows apart from the submission


def _top_level_imports(path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_requirements_cover_what_the_space_imports(bundle, bundle_run):
    """Every third-party package imported by a bundle module the Space loads is in requirements.txt
    (gradio itself comes from the card's sdk_version)."""
    out, _ = bundle
    ours = [Path(f) for f in bundle_run["loaded"] if f.startswith(str(out))]
    assert any(p.name == "metrics.py" for p in ours) and any(p.name == "service.py" for p in ours)
    imported = set().union(*(_top_level_imports(p) for p in ours))
    third_party = imported - set(sys.stdlib_module_names) - {"pet2rep", "pet2rep_space", "app", "__future__"}
    distributions = importlib.metadata.packages_distributions()
    needed = {_normalise(distributions[name][0]) for name in third_party}
    listed = {
        _normalise(re.split(r"[<>=!~\[; ]", line.strip())[0])
        for line in (out / "requirements.txt").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert needed - {"gradio"} <= listed, sorted(needed - {"gradio"} - listed)


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


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
