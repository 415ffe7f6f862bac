"""The packaging test (issue 13): the built wheel, installed in a fresh virtualenv, runs the lighteval tasks by module
name and the evaluate metric by its bare name, from a folder outside the checkout.

The wheel is built offline with the test environment's hatchling (the dev extra) and installed with ``--no-deps``;
the fresh venv gets the third-party packages through a ``.pth`` line naming the test environment's site-packages.
A plain path line does not run that folder's own ``.pth`` files, so an editable install of pet2rep there stays off:
the test checks that ``pet2rep`` is the wheel's copy. Slow (a venv, evaluate twice, one lighteval run).
"""

from __future__ import annotations

import json
import os
import site
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("lighteval")
pytest.importorskip("evaluate")
pytest.importorskip("hatchling", reason="hatchling (the build backend, in the dev extra) builds the wheel")
pytestmark = [pytest.mark.slow, pytest.mark.packaging]

REPO = Path(__file__).resolve().parents[2]
TASK = "pet2rep:fused"
METRIC_SCRIPT = """
import json, sys
import evaluate
predictions = ["两肺见结节，FDG摄取增高。肝脏FDG摄取未见异常。", "胃壁FDG摄取增高。"]
references = ["两肺见结节，FDG摄取增高。", "左肾FDG摄取缺失。胃壁FDG摄取增高。"]
scores = {
    name: evaluate.load(name).compute(predictions=predictions, references=references, include_nlg=True)
    for name in ("pet2rep_ce", sys.argv[1])
}
print(json.dumps(scores))
"""


def _check(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False, **kwargs)
    assert done.returncode == 0, f"{command}\n{done.stdout[-3000:]}\n{done.stderr[-5000:]}"
    return done


@pytest.fixture(scope="module")
def wheel_venv(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """A fresh venv holding the built wheel; the environment to run it offline outside the checkout."""
    root = tmp_path_factory.mktemp("wheel")
    pip = [sys.executable, "-m", "pip"]
    _check([*pip, "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-w", str(root / "dist"), str(REPO)])
    (wheel,) = (root / "dist").glob("pet2rep-*.whl")
    venv = root / "venv"
    _check([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    python = venv / "bin" / "python"
    _check([*pip, "--python", str(python), "install", "--no-deps", "--no-index", str(wheel)])
    purelib = _check([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip()
    (Path(purelib) / "test_environment.pth").write_text("\n".join(site.getsitepackages()) + "\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(
        {
            "HF_HOME": str(root / "hf-home"),  # evaluate's module cache, datasets' cache: nothing shared
            "HF_HUB_OFFLINE": "1",
            "HF_DATASETS_OFFLINE": "1",
            "HF_EVALUATE_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            "HF_HUB_DISABLE_TELEMETRY": "1",
            "TOKENIZERS_PARALLELISM": "false",
        }
    )
    env.pop("HF_MODULES_CACHE", None)
    env.pop("PET2REP_DATASET", None)
    return venv, env


@pytest.fixture
def work_dir(tmp_path) -> Path:
    """A working folder outside the checkout."""
    assert REPO not in tmp_path.parents
    return tmp_path


def test_pet2rep_is_the_wheels_copy(wheel_venv, work_dir):
    venv, env = wheel_venv
    code = "import importlib.util, pet2rep\n"
    code += "print(pet2rep.__file__, importlib.util.find_spec('pet2rep.lighteval.tasks').origin)"
    files = _check([str(venv / "bin" / "python"), "-c", code], env=env, cwd=work_dir).stdout.split()
    assert all(Path(f).resolve().is_relative_to(venv.resolve()) for f in files), files
    assert files[1].endswith("site-packages/pet2rep/lighteval/tasks.py")


def test_the_metric_by_bare_name_after_register_metric(wheel_venv, work_dir):
    venv, env = wheel_venv
    _check([str(venv / "bin" / "pet2rep"), "register-metric"], env=env, cwd=work_dir)
    by_path = str(REPO / "metrics" / "pet2rep_ce")  # the checkout's module folder
    done = _check([str(venv / "bin" / "python"), "-c", METRIC_SCRIPT, by_path], env=env, cwd=work_dir)
    scores = json.loads(done.stdout.strip().splitlines()[-1])
    assert scores["pet2rep_ce"] == scores[by_path]
    assert 0 < scores["pet2rep_ce"]["ce_f1"] <= 1 and 0 < scores["pet2rep_ce"]["bleu_4"] <= 1


def test_lighteval_runs_the_task_module_by_name(wheel_venv, work_dir, tiny_vlm, dataset_factory):
    """The default dataset is data/pet2rep in the working folder; the model a relative path there."""
    venv, env = wheel_venv
    dataset = dataset_factory(work_dir / "data" / "pet2rep", n=2, configs=("fused",))
    (work_dir / "tiny-vlm").symlink_to(tiny_vlm, target_is_directory=True)
    command = [str(venv / "bin" / "python"), "-m", "pet2rep.lighteval", "accelerate"]
    command += [f"model_name=tiny-vlm,batch_size=2,generation_size=8,cache_dir={work_dir / 'cache'}", f"{TASK}|0"]
    command += ["--custom-tasks", "pet2rep.lighteval.tasks", "--vision-model", "--save-details"]
    _check([*command, "--output-dir", str(work_dir / "results")], env=env, cwd=work_dir)
    (results,) = (work_dir / "results").glob("results/**/results_*.json")
    data = json.loads(results.read_text(encoding="utf-8"))
    assert 0 <= data["results"][f"{TASK}|0"]["ce_f1"] <= 1
    config = data["config_tasks"][f"{TASK}|0"]
    assert config["hf_repo"] == str(dataset.resolve())
    assert config["dataset_content_hash"].startswith("sha256:")
    (details,) = (work_dir / "results").glob(f"details/**/details_{TASK}|0_*.parquet")
    assert details.stat().st_size > 0
