"""pet2rep.testing: the tiny random VLM loads like a Hub VLM, offline, on CPU, and is reproducible."""

from __future__ import annotations

import hashlib

import pytest

from pet2rep import prompts
from pet2rep.errors import InputError
from pet2rep.testing import build_tiny_vlm

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")


def _digest(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


def test_entry_point_writes_a_complete_model_folder(tiny_vlm):
    names = {p.name for p in tiny_vlm.iterdir()}
    assert {"config.json", "model.safetensors", "tokenizer.json", "processor_config.json"} <= names


def test_same_seed_same_bytes_other_seed_other_weights(tiny_vlm, tmp_path):
    again = build_tiny_vlm(tmp_path / "again")
    assert _digest(again) == _digest(tiny_vlm)
    other = build_tiny_vlm(tmp_path / "other", seed=1)
    assert _digest(other)["model.safetensors"] != _digest(tiny_vlm)["model.safetensors"]
    assert _digest(other)["tokenizer.json"] == _digest(tiny_vlm)["tokenizer.json"]


def test_loads_as_image_text_to_text_and_generates_deterministically(tiny_vlm):
    from PIL import Image

    model = transformers.AutoModelForImageTextToText.from_pretrained(tiny_vlm)
    processor = transformers.AutoProcessor.from_pretrained(tiny_vlm, padding_side="left")
    assert sum(p.numel() for p in model.parameters()) < 200_000
    # the message shape lighteval's VLM backend builds: system text, then user text followed by the images
    user = [{"type": "text", "text": prompts.user_prompt("separate")}] + [{"type": "image"}] * 6
    messages = [
        {"role": "system", "content": [{"type": "text", "text": prompts.system_prompt()}]},
        {"role": "user", "content": user},
    ]
    text = processor.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    assert text.count("<image>") == 6
    images = [Image.new("RGB", (200, 219), (40 * i, 0, 0)) for i in range(6)]
    inputs = processor(text=[text], images=[images], padding="longest", return_tensors="pt")
    assert inputs["pixel_values"].shape == (6, 3, 32, 32)
    image_token = processor.tokenizer.convert_tokens_to_ids("<image>")
    assert int((inputs["input_ids"] == image_token).sum()) == 6 * 4  # (32 // 16) ** 2 tokens per image
    assert inputs["input_ids"].shape[1] < model.config.text_config.max_position_embeddings
    runs = [model.generate(**inputs, max_new_tokens=6, do_sample=False) for _ in range(2)]
    assert torch.equal(runs[0], runs[1])
    assert runs[0].shape[1] > inputs["input_ids"].shape[1]


def test_chinese_prompt_round_trips_through_the_tokenizer(tiny_vlm):
    tokenizer = transformers.AutoTokenizer.from_pretrained(tiny_vlm)
    text = prompts.user_prompt("fused")
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    assert tokenizer.decode(ids) == text
    assert len(ids) < len(text.encode("utf-8")) / 2  # trained on the prompt: far fewer tokens than bytes


@pytest.mark.parametrize(("image_size", "patch_size"), [(30, 16), (0, 16), (32, 0)])
def test_bad_sizes_are_refused(tmp_path, image_size, patch_size):
    with pytest.raises(InputError, match="multiple of patch_size"):
        build_tiny_vlm(tmp_path / "x", image_size=image_size, patch_size=patch_size)
