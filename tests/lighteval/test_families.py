"""The VLM families of the paper's Table 1 on CPU: tiny random-weight models with each family's real model and
processor classes, their image tokens per image, and `pet2rep:fused` + `pet2rep:separate` through lighteval
`accelerate --vision-model`.

Families whose transformers 5 processor needs torchvision are skipped, with the reason, where torchvision does
not import (this project's CPU torch 2.13.0 has no matching torchvision on PyPI; see docs/lighteval.md).
"""

from __future__ import annotations

import importlib.util
import math
import os
import subprocess
import sys

import pytest

from pet2rep import prompts
from pet2rep.testing.families import FAMILIES, build_family, torchvision_problem

transformers = pytest.importorskip("transformers")
pytest.importorskip("lighteval")
pytestmark = pytest.mark.slow

TASKS = ("pet2rep:fused", "pet2rep:separate")


def _skip_reason(name: str) -> str | None:
    family = FAMILIES[name]
    if family.needs_torchvision and torchvision_problem():
        return f"{family.processor_class} needs torchvision, which does not import here: {torchvision_problem()}"
    if name == "smolvlm" and importlib.util.find_spec("num2words") is None:
        return "SmolVLMProcessor needs num2words"
    return None


def _family(name):
    reason = _skip_reason(name)
    return pytest.param(name, marks=pytest.mark.skip(reason=reason)) if reason else name


FAMILY_PARAMS = [_family(name) for name in FAMILIES]


@pytest.fixture(scope="module")
def family_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("families")
    built = {}

    def get(name):
        if name not in built:
            built[name] = build_family(name, root / name)
        return built[name]

    return get


def _prompt(processor, config: str) -> str:
    user = [{"type": "text", "text": prompts.user_prompt(config)}] + [{"type": "image"}] * prompts.NUM_IMAGES[config]
    messages = [
        {"role": "system", "content": [{"type": "text", "text": prompts.system_prompt()}]},
        {"role": "user", "content": user},
    ]
    return processor.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)


def qwen_tokens(width: int, height: int, cell: int, min_pixels: int, max_pixels: int) -> int:
    """Qwen-VL's resize rule (whole cells, aspect kept, pixel budget) -> tokens of one image: one per cell."""
    h, w = max(cell, round(height / cell) * cell), max(cell, round(width / cell) * cell)
    if h * w > max_pixels:
        beta = math.sqrt(height * width / max_pixels)
        h, w = math.floor(height / beta / cell) * cell, math.floor(width / beta / cell) * cell
    elif h * w < min_pixels:
        beta = math.sqrt(min_pixels / (height * width))
        h, w = math.ceil(height * beta / cell) * cell, math.ceil(width * beta / cell) * cell
    return (h // cell) * (w // cell)


def expected_tokens(name: str, processor, width: int, height: int) -> int:
    """Image tokens the family's processor should insert for one image of this size."""
    family = FAMILIES[name]
    if family.tokens_per_image is not None:
        return family.tokens_per_image
    if name in ("qwen2_5_vl", "qwen3_vl"):
        p = processor.image_processor
        size = p.size or {}
        min_pixels = size.get("shortest_edge") or p.min_pixels
        max_pixels = size.get("longest_edge") or p.max_pixels
        return qwen_tokens(width, height, p.patch_size * p.merge_size, min_pixels, max_pixels)
    # InternVL's tiles: what the processor gives one image of that size alone
    from PIL import Image

    image_token = processor.tokenizer.convert_tokens_to_ids(family.image_token)
    text = processor.apply_chat_template(
        [{"role": "user", "content": [{"type": "image"}]}], tokenize=False, add_generation_prompt=True
    )
    inputs = processor(text=[text], images=[[Image.new("RGB", (width, height))]], return_tensors="pt")
    return int((inputs["input_ids"] == image_token).sum())


@pytest.mark.parametrize("name", FAMILY_PARAMS)
def test_family_loads_with_its_own_classes_and_inserts_its_image_tokens_for_every_image(name, family_dir):
    import torch
    from PIL import Image

    family = FAMILIES[name]
    folder = family_dir(name)
    model = transformers.AutoModelForImageTextToText.from_pretrained(folder).eval()
    processor = transformers.AutoProcessor.from_pretrained(folder, padding_side="left")
    assert type(model).__name__ == family.model_class
    assert type(processor).__name__ == family.processor_class
    assert sum(p.numel() for p in model.parameters()) < 200_000
    images = [Image.new("RGB", (200, 219), (40 * i, 200 - 30 * i, 9)) for i in range(6)]
    inputs = processor(text=[_prompt(processor, "separate")], images=[images], padding=True, return_tensors="pt")
    image_token = processor.tokenizer.convert_tokens_to_ids(family.image_token)
    per_image = expected_tokens(name, processor, 200, 219)
    assert per_image > 0
    assert int((inputs["input_ids"] == image_token).sum()) == 6 * per_image
    with torch.inference_mode():
        output = model.generate(**inputs, max_new_tokens=3, do_sample=False)
    assert output.shape[1] == inputs["input_ids"].shape[1] + 3


def test_qwen_resize_rule():
    assert qwen_tokens(64, 87, 28, 28 * 28 * 4, 28 * 28 * 16) == 6  # 56 x 84
    assert qwen_tokens(200, 219, 28, 28 * 28 * 4, 28 * 28 * 16) == 12  # over budget: scaled down to 84 x 112
    assert qwen_tokens(30, 30, 28, 28 * 28 * 4, 28 * 28 * 16) == 4  # under budget: scaled up to 56 x 56


def test_unknown_family_is_refused(tmp_path):
    from pet2rep.errors import InputError

    with pytest.raises(InputError, match="unknown model family 'blip'; expected one of llava, gemma3"):
        build_family("blip", tmp_path)


@pytest.mark.parametrize("name", FAMILY_PARAMS)
def test_family_runs_fused_and_separate_through_lighteval(name, family_dir, synthetic_build, task_file, tmp_path):
    """`pet2rep:fused` and `pet2rep:separate` (2 cases each) through `lighteval accelerate --vision-model`."""
    import pyarrow.parquet as pq
    from PIL import Image

    folder = family_dir(name)
    env = {
        **os.environ,
        "PET2REP_DATASET": str(synthetic_build),
        "HF_DATASETS_CACHE": str(tmp_path / "hf-datasets"),
        "HF_HUB_OFFLINE": "1",
        "HF_DATASETS_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "TOKENIZERS_PARALLELISM": "false",
    }
    command = [
        sys.executable, "-m", "pet2rep.lighteval", "accelerate",
        f"model_name={folder.name},batch_size=2,generation_size=4,cache_dir={tmp_path / 'cache'}",
        ",".join(f"{task}|0" for task in TASKS), "--custom-tasks", str(task_file), "--vision-model",
        "--max-samples", "2", "--save-details", "--output-dir", str(tmp_path / "results"),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=folder.parent, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    processor = transformers.AutoProcessor.from_pretrained(folder)
    image_token = processor.tokenizer.convert_tokens_to_ids(FAMILIES[name].image_token)
    for task in TASKS:
        (details,) = (tmp_path / "results").glob(f"details/**/details_{task}|0_*.parquet")
        rows = pq.read_table(details, columns=["doc", "model_response"]).to_pylist()
        assert len(rows) == 2
        for row in rows:
            images = row["doc"]["images"]
            assert len(images) == prompts.NUM_IMAGES[task.split(":")[1]]
            import io

            width, height = Image.open(io.BytesIO(images[0]["bytes"])).size
            per_image = expected_tokens(name, processor, width, height)
            assert row["model_response"]["input_tokens"].count(image_token) == len(images) * per_image
            assert row["model_response"]["output_tokens"]  # something was generated
