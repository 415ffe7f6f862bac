"""Fixtures for the leaderboard Space tests: the `space/` folder importable, synthetic references.

The references fixture is the contract with the dataset build: a folder with `README.md` and
`<config>/test-0000i-of-0000n.parquet` holding at least the string columns `case_id` and `report`.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SPACE_DIR = REPO_ROOT / "space"
if str(SPACE_DIR) not in sys.path:
    sys.path.insert(0, str(SPACE_DIR))

# Sentences a synthetic Chinese FDG PET/CT report is assembled from (findings, head to toe).
_SENTENCES = {
    "brain": ["脑实质放射性分布未见明显异常。", "左侧额叶见放射性摄取减低区。"],
    "thyroid": ["甲状腺形态大小正常，放射性分布均匀。", "甲状腺右叶见结节，FDG摄取增高，SUVmax约6.1。"],
    "lung": ["两肺纹理清晰，未见异常放射性浓聚。", "右肺上叶见软组织结节，放射性摄取明显增高，SUVmax约9.3。"],
    "mediastinal_lymph_node": ["纵隔及两肺门未见肿大淋巴结。", "纵隔4R区见肿大淋巴结，FDG代谢增高，SUVmax约5.4。"],
    "liver": ["肝脏形态大小正常，放射性分布均匀。", "肝右叶见低密度灶，放射性摄取增高，SUVmax约7.2。"],
    "spleen": ["脾脏不大，未见异常代谢。", "脾脏放射性摄取弥漫性增高。"],
    "kidney": ["双肾形态正常，放射性排泄通畅。", "左肾见囊性低密度灶，未见FDG摄取。"],
    "bone": ["全身骨骼未见异常放射性浓聚。", "第3腰椎椎体见骨质破坏，放射性摄取增高，SUVmax约8.0。"],
}


def make_reports(n: int, seed: int = 0) -> dict[str, str]:
    """``n`` synthetic Chinese reports keyed by case id (``case_000`` ...), reproducible by ``seed``."""
    rng = random.Random(seed)
    reports = {}
    for i in range(n):
        parts = [rng.choice(options) for options in _SENTENCES.values()]
        reports[f"case_{i:03d}"] = "影像所见：" + "".join(parts) + f"（随访编号{i:03d}）"
    return reports


def write_jsonl(path: Path, reports: dict[str, str]) -> Path:
    with path.open("w", encoding="utf-8") as f:
        for case_id, report in reports.items():
            f.write(json.dumps({"case_id": case_id, "report": report}, ensure_ascii=False) + "\n")
    return path


def write_dataset_folder(root: Path, reports: dict[str, str], configs=("fused", "separate"), shards: int = 2) -> Path:
    """A built-dataset-shaped folder: README.md + <config>/test-0000i-of-0000n.parquet (+ an image column)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    root.mkdir(parents=True, exist_ok=True)
    (root / "README.md").write_text("---\nconfigs: []\n---\n# synthetic references\n", encoding="utf-8")
    ids = list(reports)
    for config in configs:
        (root / config).mkdir(exist_ok=True)
        for k in range(shards):
            part = ids[k::shards]
            table = pa.table(
                {
                    "case_id": pa.array(part, pa.string()),
                    "report": pa.array([reports[c] for c in part], pa.string()),
                    "image": pa.array([{"bytes": b"\x89PNG", "path": None}] * len(part)),
                }
            )
            pq.write_table(table, root / config / f"test-{k:05d}-of-{shards:05d}.parquet")
    return root


@pytest.fixture(scope="session")
def references() -> dict[str, str]:
    return make_reports(12, seed=1)


@pytest.fixture
def references_dir(tmp_path, references) -> Path:
    return write_dataset_folder(tmp_path / "refs", references)


@pytest.fixture
def references_jsonl(tmp_path, references) -> Path:
    return write_jsonl(tmp_path / "refs.jsonl", references)


def make_record(name: str, setting: str = "fused", *, submitted_at: str = "2026-01-02T03:04:05+00:00", **over) -> dict:
    """A stored-record-shaped dict with fixed scores (for leaderboard and quota tests)."""
    scores = {
        "bleu_4": 0.30,
        "meteor": 0.20,
        "rouge_l": 0.50,
        "ce_precision": 0.40,
        "ce_recall": 0.30,
        "ce_f1": 0.34,
    }
    record = {
        "id": f"{name}-{setting}",
        "model_name": name,
        "model_url": "https://huggingface.co/org/model",
        "setting": setting,
        "user": f"model:{name.casefold()}",
        "submitted_at": submitted_at,
        "predictions_sha256": "0" * 64,
        "num_samples": 12,
        "scores": scores,
        "per_organ": {
            "liver": {"precision": 1.0, "recall": 0.5, "f1": 2 / 3},
            "lung": {"precision": 0.0, "recall": 0.0, "f1": 0.0},
        },
    }
    record.update(over)
    return record


@pytest.fixture
def record_factory():
    return make_record


@pytest.fixture
def reports_factory():
    return make_reports


@pytest.fixture
def jsonl_writer():
    return write_jsonl


@pytest.fixture
def dataset_folder_writer():
    return write_dataset_folder
