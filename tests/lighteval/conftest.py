"""Fixtures of the lighteval tests: a tiny dataset in the Hub layout `pet2rep build` writes, a tiny VLM."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pet2rep.vocab import IMAGE_CONFIGS

TASK_FILE = Path(__file__).resolve().parents[2] / "tasks" / "pet2rep.py"

REPORTS_ZH = [
    "脑形态、结构正常，FDG摄取未见明显异常。两肺见结节，FDG摄取增高。肝脏FDG摄取未见异常。",
    "甲状腺形态、大小正常，FDG摄取未见异常。左肾FDG摄取缺失。胃壁FDG摄取增高。",
    "肝左叶见低密度结节，FDG摄取较本底减低。脾脏FDG摄取未见异常。骨质FDG摄取未见异常。",
    "双侧颈部淋巴结FDG摄取增高。食管FDG摄取未见增高。膀胱充盈欠佳。",
]
REPORTS_EN = [
    "The brain is normal. Lung nodule with increased FDG uptake.",
    "Absent FDG uptake in the left kidney. Increased FDG uptake in the stomach wall.",
    None,  # a case without an English report
    "Increased FDG uptake in cervical lymph nodes.",
]


def image_names(config: str) -> list[str]:
    locations = [1, 2, 3]
    if config in ("fused", "lesion"):
        return [f"fused_{i}" for i in locations]
    if config == "separate":
        return [f"{kind}_{i}" for i in locations for kind in ("ct", "pet")]
    return ["mip"] + [f"fused_{i}" for i in locations]


def write_tiny_dataset(root: Path, n: int = 4, configs=IMAGE_CONFIGS, columns=None, blue: int = 7) -> Path:
    """A folder `load_dataset(root, config)` loads offline: README.md with `configs:` + `<config>/test-*.parquet`.

    Each image is a distinct solid colour whose red channel encodes (case, position) so tests can check the order;
    `blue` (the blue channel of every image) makes a dataset of other content with the same cases.
    """
    import datasets
    from PIL import Image

    root.mkdir(parents=True, exist_ok=True)
    lines = ["---", "configs:"]
    for config in configs:
        names = image_names(config)
        rows = {"case_id": [], "images": [], "image_names": [], "report": [], "report_en": [], "slice_indices": []}
        for case in range(n):
            rows["case_id"].append(f"case_{case:03d}")
            rows["images"].append(
                [Image.new("RGB", (20, 22), (10 * case + pos, 40 * pos % 256, blue)) for pos in range(len(names))]
            )
            rows["image_names"].append(names)
            rows["report"].append(REPORTS_ZH[case % len(REPORTS_ZH)])
            rows["report_en"].append(REPORTS_EN[case % len(REPORTS_EN)])
            rows["slice_indices"].append([90, 100, 110])
        features = datasets.Features(
            {
                "case_id": datasets.Value("string"),
                "images": datasets.List(datasets.Image()),
                "image_names": datasets.List(datasets.Value("string")),
                "report": datasets.Value("string"),
                "report_en": datasets.Value("string"),
                "slice_indices": datasets.List(datasets.Value("int32")),
            }
        )
        if columns is not None:
            rows = {k: v for k, v in rows.items() if k in columns}
            features = datasets.Features({k: v for k, v in features.items() if k in columns})
        ds = datasets.Dataset.from_dict(rows, features=features)
        (root / config).mkdir(exist_ok=True)
        ds.to_parquet(str(root / config / "test-00000-of-00001.parquet"))
        lines += [f"- config_name: {config}", "  data_files:", "  - split: test", f"    path: {config}/test-*.parquet"]
    lines += ["---", "", "# tiny pet2rep test dataset", ""]
    (root / "README.md").write_text("\n".join(lines), encoding="utf-8")
    return root


def write_details(output_dir: Path, model: str, date_id: str, task: str, generations: dict, shape: str = "str"):
    """Save lighteval details for `task` the way `lighteval ... --save-details` does (its own logger and writer).

    `generations` maps case_id -> generated text (None: a doc without `specific`).
    """
    from dataclasses import asdict

    from datasets import Dataset
    from lighteval.logging.evaluation_tracker import EvaluationTracker
    from lighteval.models.model_output import ModelResponse
    from lighteval.tasks.requests import Doc

    tracker = EvaluationTracker(output_dir=str(output_dir), save_details=True)
    tracker.general_config_logger.model_name = model
    for i, (case_id, text) in enumerate(generations.items()):
        specific = None if case_id is None else {"case_id": case_id, "config": task.split(":")[1].split("|")[0]}
        doc = Doc(query="q", choices=["ref"], gold_index=0, specific=specific, id=str(i), task_name=task)
        if shape == "str":  # VLM backend, after the pipeline's per-character reasoning-tag pass
            response = ModelResponse(text=text, text_post_processed=list(text))
        else:
            response = ModelResponse(text=[text], text_post_processed=[text])
        tracker.details_logger.log(task, doc, response, {"bleu_4": 0.0})
    details = tracker.details_logger.details[task]
    dataset = Dataset.from_list([asdict(detail) for detail in details])
    dataset = dataset.select_columns(sorted(c for c in dataset.column_names if c != "id"))
    tracker.save_details(date_id, {task: dataset})
    return output_dir / "details" / model / date_id


@pytest.fixture(scope="session")
def details_writer():
    return write_details


def load_task_module(name: str = "pet2rep_lighteval_tasks"):
    """Import tasks/pet2rep.py as lighteval does (from its path), under a name of our own."""
    spec = importlib.util.spec_from_file_location(name, TASK_FILE)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def task_file() -> Path:
    return TASK_FILE


@pytest.fixture(scope="session")
def dataset_factory():
    """write_tiny_dataset, for tests that need a dataset of their own (test files cannot import conftest)."""
    return write_tiny_dataset


@pytest.fixture(scope="session")
def tiny_dataset(tmp_path_factory) -> Path:
    return write_tiny_dataset(tmp_path_factory.mktemp("data") / "pet2rep")


@pytest.fixture(scope="session")
def synthetic_build(tmp_path_factory) -> Path:
    """A real tiny build: `pet2rep synth` (4 small cases) then `pet2rep build` (fused, separate, mip)."""
    root = tmp_path_factory.mktemp("synthetic")
    env = {**os.environ, "HF_DATASETS_CACHE": str(root / "hf-cache")}  # build may register its configs there
    commands = [
        ["synth", str(root / "cases"), "--n", "4", "--seed", "0", "--size", "small"],
        ["build", str(root / "cases"), "--out", str(root / "pet2rep"), "--configs", "fused,separate,mip"],
    ]
    for command in commands:
        done = subprocess.run(
            [sys.executable, "-m", "pet2rep", *command], capture_output=True, text=True, env=env, timeout=600
        )
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return root / "pet2rep"


@pytest.fixture(scope="session")
def tiny_vlm(tmp_path_factory) -> Path:
    """Built through the documented entry point, `python -m pet2rep.testing tiny-vlm OUT_DIR`."""
    out = tmp_path_factory.mktemp("models") / "tiny-vlm"
    done = subprocess.run(
        [sys.executable, "-m", "pet2rep.testing", "tiny-vlm", str(out)], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return out


@pytest.fixture
def load_tasks(tiny_dataset, monkeypatch):
    """Import tasks/pet2rep.py under a given module name, reading the tiny dataset."""
    monkeypatch.setenv("PET2REP_DATASET", str(tiny_dataset))
    names = []

    def load(name: str):
        names.append(name)
        return load_task_module(name)

    yield load
    for name in names:
        sys.modules.pop(name, None)


@pytest.fixture
def task_module(tiny_dataset, monkeypatch):
    monkeypatch.setenv("PET2REP_DATASET", str(tiny_dataset))
    module = load_task_module()
    yield module
    sys.modules.pop("pet2rep_lighteval_tasks", None)


def read_json(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))
