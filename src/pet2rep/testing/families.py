"""Tiny random-weight models of the VLM families of the paper's Table 1 that transformers supports natively.

Each builder writes a model folder that ``AutoModelForImageTextToText`` and ``AutoProcessor`` load offline: the
family's own model class and processor class (with its image processor), a byte-level BPE tokenizer trained on
the benchmark's prompts holding the family's special tokens, and a chat template that places the family's image
marker where its real template does. The weights are random (seeded) and the sizes tiny (hidden size 16, one
layer, 32-pixel images), so each runs through ``lighteval accelerate --vision-model`` on CPU in seconds. What they
prove is the plumbing: processor, image tokens, chat template, multi-image prompts, generation.

``python -m pet2rep.testing family NAME OUT_DIR``; :data:`FAMILIES` lists the names, what each stands for and
whether its processor needs torchvision (transformers 5 builds the processors of families that also take video
with a torchvision video processor).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pet2rep.errors import InputError, MissingDependencyError, require

IMAGE_SIZE = 32

_TURNS = ("<|im_start|>", "<|im_end|>")


def _chatml(image_marker: str) -> str:
    """A ChatML template (Qwen, InternVL, SmolVLM, LLaVA-OneVision use ChatML turns) with the family's image marker."""
    return (
        "{% for message in messages %}<|im_start|>{{ message['role'] }}\n"
        "{% if message['content'] is string %}{{ message['content'] }}"
        "{% else %}{% for part in message['content'] %}"
        "{% if part['type'] == 'image' %}" + image_marker + "{% elif part['type'] == 'text' %}{{ part['text'] }}"
        "{% endif %}{% endfor %}{% endif %}<|im_end|>\n{% endfor %}"
        "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
    )


# Gemma 3's own turn format: no system role (the system text opens the first user turn), "model" for the assistant.
GEMMA3_TEMPLATE = (
    "{{ bos_token }}{% set ns = namespace(prefix='') %}{% set loop_messages = messages %}"
    "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}"
    "{% if messages[0]['content'] is string %}{% set ns.prefix = messages[0]['content'] + '\n\n' %}"
    "{% else %}{% set ns.prefix = messages[0]['content'][0]['text'] + '\n\n' %}{% endif %}{% endif %}"
    "{% for message in loop_messages %}<start_of_turn>{{ 'model' if message['role'] == 'assistant' else "
    "message['role'] }}\n{% if loop.first %}{{ ns.prefix }}{% endif %}"
    "{% if message['content'] is string %}{{ message['content'] }}"
    "{% else %}{% for part in message['content'] %}"
    "{% if part['type'] == 'image' %}<start_of_image>{% elif part['type'] == 'text' %}{{ part['text'] }}"
    "{% endif %}{% endfor %}{% endif %}<end_of_turn>\n{% endfor %}"
    "{% if add_generation_prompt %}<start_of_turn>model\n{% endif %}"
)


def _tiny(**overrides) -> dict:
    return {
        "hidden_size": 16,
        "intermediate_size": 32,
        "num_hidden_layers": 1,
        "num_attention_heads": 2,
        **overrides,
    }


def _text(tokenizer, **overrides) -> dict:
    """A tiny decoder's config fields (the prompt is ~1-2k tokens: never truncate image tokens away)."""
    return _tiny(
        vocab_size=len(tokenizer),
        num_key_value_heads=1,
        max_position_embeddings=16384,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        **overrides,
    )


def _save(model_class, config, processor, out: Path, seed: int) -> Path:
    torch = require("torch", "eval")
    torch.manual_seed(seed)
    model = model_class(config).eval()
    tokenizer = processor.tokenizer
    generation = model.generation_config
    generation.do_sample = False
    generation.bos_token_id, generation.eos_token_id = tokenizer.bos_token_id, tokenizer.eos_token_id
    generation.pad_token_id = tokenizer.pad_token_id
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    processor.save_pretrained(out)
    return out


# --- families whose processors need no torchvision --------------------------------------------------------------


def build_llava(out: Path, seed: int = 0) -> Path:
    from pet2rep.testing import build_tiny_vlm

    return build_tiny_vlm(out, seed=seed, image_size=IMAGE_SIZE, patch_size=16)


def build_gemma3(out: Path, seed: int = 0) -> Path:
    transformers = require("transformers", "eval")
    from transformers.models.gemma3.image_processing_pil_gemma3 import Gemma3ImageProcessorPil

    from pet2rep.testing import build_tokenizer

    extra = {"image_token": "<image_soft_token>", "boi_token": "<start_of_image>", "eoi_token": "<end_of_image>"}
    tokenizer = build_tokenizer(
        special_tokens=("<start_of_turn>", "<end_of_turn>"), extra_special_tokens=extra, chat_template=GEMMA3_TEMPLATE
    )
    mm_tokens = 4  # the projector average-pools the (32 / 8)^2 = 16 patches to 2 x 2 tokens
    processor = transformers.Gemma3Processor(
        image_processor=Gemma3ImageProcessorPil(size={"height": IMAGE_SIZE, "width": IMAGE_SIZE}),
        tokenizer=tokenizer,
        image_seq_length=mm_tokens,
        chat_template=GEMMA3_TEMPLATE,
    )
    config = transformers.Gemma3Config(
        text_config=transformers.Gemma3TextConfig(**_text(tokenizer, head_dim=8, sliding_window=512)),
        vision_config=transformers.SiglipVisionConfig(**_tiny(image_size=IMAGE_SIZE, patch_size=8)),
        mm_tokens_per_image=mm_tokens,
        boi_token_index=tokenizer.boi_token_id,
        eoi_token_index=tokenizer.eoi_token_id,
        image_token_index=tokenizer.image_token_id,
    )
    return _save(transformers.Gemma3ForConditionalGeneration, config, processor, out, seed)


def build_idefics3(out: Path, seed: int = 0) -> Path:
    transformers = require("transformers", "eval")
    from transformers.models.idefics3.image_processing_pil_idefics3 import Idefics3ImageProcessorPil

    from pet2rep.testing import build_tokenizer

    grid = tuple(f"<row_{i}_col_{j}>" for i in range(1, 7) for j in range(1, 7))
    specials = ("<fake_token_around_image>", "<global-img>", "<end_of_utterance>", *grid)
    template = _chatml("<image>")
    tokenizer = build_tokenizer(special_tokens=specials, chat_template=template)
    image_seq_len = 4  # (32 / 8)^2 patches, pixel-shuffled by scale_factor 2
    image_processor = Idefics3ImageProcessorPil(
        do_image_splitting=False, size={"longest_edge": IMAGE_SIZE}, max_image_size={"longest_edge": IMAGE_SIZE}
    )
    processor = transformers.Idefics3Processor(
        image_processor=image_processor, tokenizer=tokenizer, image_seq_len=image_seq_len, chat_template=template
    )
    config = transformers.Idefics3Config(
        vision_config=transformers.Idefics3VisionConfig(**_tiny(image_size=IMAGE_SIZE, patch_size=8)),
        text_config=transformers.LlamaConfig(**_text(tokenizer)),
        scale_factor=2,
        image_token_id=tokenizer.convert_tokens_to_ids("<image>"),
    )
    return _save(transformers.Idefics3ForConditionalGeneration, config, processor, out, seed)


# --- families whose processors need torchvision (their video processor) ----------------------------------------

QWEN_SPECIALS = ("<|vision_start|>", "<|vision_end|>", "<|image_pad|>", "<|video_pad|>")
QWEN_IMAGE = "<|vision_start|><|image_pad|><|vision_end|>"
#: Qwen-VL image processors resize to whole 28-pixel cells (patch 14 x merge 2) within these pixel counts.
QWEN_MIN_PIXELS, QWEN_MAX_PIXELS = 28 * 28 * 4, 28 * 28 * 16


def _qwen_ids(tokenizer) -> dict:
    names = ("vision_start", "vision_end", "image", "video")
    ids = dict(zip(names, tokenizer.convert_tokens_to_ids(list(QWEN_SPECIALS)), strict=True))
    return {
        "image_token_id": ids["image"],
        "video_token_id": ids["video"],
        "vision_start_token_id": ids["vision_start"],
        "vision_end_token_id": ids["vision_end"],
    }


def build_qwen2_5_vl(out: Path, seed: int = 0) -> Path:
    transformers = require("transformers", "eval")
    from pet2rep.testing import build_tokenizer

    template = _chatml(QWEN_IMAGE)
    tokenizer = build_tokenizer(special_tokens=QWEN_SPECIALS, chat_template=template)
    processor = transformers.Qwen2_5_VLProcessor(
        image_processor=transformers.Qwen2VLImageProcessor(min_pixels=QWEN_MIN_PIXELS, max_pixels=QWEN_MAX_PIXELS),
        tokenizer=tokenizer,
        video_processor=transformers.Qwen2VLVideoProcessor(),
        chat_template=template,
    )
    vision = _tiny(depth=1, num_heads=2, out_hidden_size=16, patch_size=14, window_size=56, fullatt_block_indexes=[0])
    vision.pop("num_hidden_layers"), vision.pop("num_attention_heads")
    rope = {"rope_type": "default", "rope_theta": 10000.0, "mrope_section": [1, 1, 2]}  # head_dim 8: 4 = 1 + 1 + 2
    config = transformers.Qwen2_5_VLConfig(
        text_config=_text(tokenizer, rope_parameters=rope), vision_config=vision, **_qwen_ids(tokenizer)
    )
    return _save(transformers.Qwen2_5_VLForConditionalGeneration, config, processor, out, seed)


def build_qwen3_vl(out: Path, seed: int = 0) -> Path:
    transformers = require("transformers", "eval")
    from pet2rep.testing import build_tokenizer

    template = _chatml(QWEN_IMAGE)
    tokenizer = build_tokenizer(special_tokens=QWEN_SPECIALS, chat_template=template)
    # Qwen3-VL: 16-pixel patches merged 2 x 2, so 32-pixel cells
    image_processor = transformers.Qwen2VLImageProcessor(
        patch_size=16, merge_size=2, min_pixels=32 * 32 * 4, max_pixels=32 * 32 * 16
    )
    processor = transformers.Qwen3VLProcessor(
        image_processor=image_processor,
        tokenizer=tokenizer,
        video_processor=transformers.Qwen3VLVideoProcessor(),
        chat_template=template,
    )
    vision = _tiny(depth=1, num_heads=2, out_hidden_size=16, patch_size=16, num_position_embeddings=64)
    vision.pop("num_hidden_layers"), vision.pop("num_attention_heads")
    vision["deepstack_visual_indexes"] = [0]
    rope = {"rope_type": "default", "rope_theta": 10000.0, "mrope_section": [1, 1, 2], "mrope_interleaved": True}
    config = transformers.Qwen3VLConfig(
        text_config=_text(tokenizer, head_dim=8, rope_parameters=rope), vision_config=vision, **_qwen_ids(tokenizer)
    )
    return _save(transformers.Qwen3VLForConditionalGeneration, config, processor, out, seed)


def build_internvl(out: Path, seed: int = 0) -> Path:
    transformers = require("transformers", "eval")
    from pet2rep.testing import build_tokenizer

    extra = {
        "start_image_token": "<img>",
        "end_image_token": "</img>",
        "context_image_token": "<IMG_CONTEXT>",
        "video_token": "<video>",
    }
    template = _chatml("<IMG_CONTEXT>")
    tokenizer = build_tokenizer(extra_special_tokens=extra, chat_template=template)
    image_seq_length = 4  # (32 / 8)^2 patches x downsample_ratio^2
    # tiles of 32 pixels; the processor's call default crop_to_patches=True tiles as the real InternVL3 does
    image_processor = transformers.GotOcr2ImageProcessor(size={"height": IMAGE_SIZE, "width": IMAGE_SIZE})
    processor = transformers.InternVLProcessor(
        image_processor=image_processor,
        tokenizer=tokenizer,
        video_processor=transformers.InternVLVideoProcessor(),
        image_seq_length=image_seq_length,
        chat_template=template,
    )
    vision = transformers.InternVLVisionConfig(**_tiny(image_size=IMAGE_SIZE, patch_size=8))
    text = transformers.Qwen2Config(**_text(tokenizer))
    config = transformers.InternVLConfig(
        vision_config=vision,
        text_config=text,
        image_token_id=tokenizer.context_image_token_id,
        image_seq_length=image_seq_length,
        downsample_ratio=0.5,
    )
    return _save(transformers.InternVLForConditionalGeneration, config, processor, out, seed)


def build_llava_onevision(out: Path, seed: int = 0) -> Path:
    transformers = require("transformers", "eval")
    from pet2rep.testing import build_tokenizer

    template = _chatml("<image>")
    tokenizer = build_tokenizer(special_tokens=("<video>",), chat_template=template)
    pinpoints = [[IMAGE_SIZE, IMAGE_SIZE], [IMAGE_SIZE, 2 * IMAGE_SIZE], [2 * IMAGE_SIZE, IMAGE_SIZE]]
    image_processor = transformers.LlavaOnevisionImageProcessor(
        size={"height": IMAGE_SIZE, "width": IMAGE_SIZE}, image_grid_pinpoints=pinpoints
    )
    processor = transformers.LlavaOnevisionProcessor(
        image_processor=image_processor,
        tokenizer=tokenizer,
        video_processor=transformers.LlavaOnevisionVideoProcessor(),
        num_image_tokens=(IMAGE_SIZE // 8) ** 2,
        vision_feature_select_strategy="full",
        chat_template=template,
    )
    config = transformers.LlavaOnevisionConfig(
        vision_config=transformers.SiglipVisionConfig(**_tiny(image_size=IMAGE_SIZE, patch_size=8)),
        text_config=transformers.Qwen2Config(**_text(tokenizer)),
        image_token_index=tokenizer.convert_tokens_to_ids("<image>"),
        video_token_index=tokenizer.convert_tokens_to_ids("<video>"),
        image_grid_pinpoints=pinpoints,
        vision_feature_select_strategy="full",
    )
    return _save(transformers.LlavaOnevisionForConditionalGeneration, config, processor, out, seed)


def build_smolvlm(out: Path, seed: int = 0) -> Path:
    transformers = require("transformers", "eval")
    from pet2rep.testing import build_tokenizer

    grid = tuple(f"<row_{i}_col_{j}>" for i in range(1, 7) for j in range(1, 7))
    specials = ("<fake_token_around_image>", "<global-img>", "<end_of_utterance>", *grid)
    template = _chatml("<image>")
    tokenizer = build_tokenizer(special_tokens=specials, chat_template=template)
    image_processor = transformers.SmolVLMImageProcessor(
        do_image_splitting=False, size={"longest_edge": IMAGE_SIZE}, max_image_size={"longest_edge": IMAGE_SIZE}
    )
    processor = transformers.SmolVLMProcessor(
        image_processor=image_processor,
        tokenizer=tokenizer,
        video_processor=transformers.SmolVLMVideoProcessor(),
        image_seq_len=4,
        chat_template=template,
    )
    config = transformers.SmolVLMConfig(
        vision_config=transformers.SmolVLMVisionConfig(**_tiny(image_size=IMAGE_SIZE, patch_size=8)),
        text_config=transformers.LlamaConfig(**_text(tokenizer)),
        scale_factor=2,
        image_token_id=tokenizer.convert_tokens_to_ids("<image>"),
    )
    return _save(transformers.SmolVLMForConditionalGeneration, config, processor, out, seed)


# --- the matrix -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Family:
    """A VLM family: how to build its tiny model and what to expect of its processor."""

    name: str
    label: str
    stands_for: str
    model_class: str
    processor_class: str
    image_token: str
    needs_torchvision: bool
    build: Callable[[Path, int], Path]
    #: image tokens the processor inserts per image of a multi-image prompt (None: depends on the image size).
    #: LLaVA-OneVision tiles (anyres) a lone image only; with several, each is one base-resolution view:
    #: (32 / 8)^2 patches + 1 newline = 17. InternVL tiles every image (1 to 12 tiles by aspect ratio, plus a
    #: thumbnail), 4 tokens a tile here.
    tokens_per_image: int | None


FAMILIES: dict[str, Family] = {
    f.name: f
    for f in (
        Family(
            "llava", "LLaVA-1.5", "LLaVA-1.5 (and LLaVA-Med)", "LlavaForConditionalGeneration", "LlavaProcessor",
            "<image>", False, build_llava, 4,
        ),
        Family(
            "gemma3", "Gemma 3", "MedGemma, Gemma 3", "Gemma3ForConditionalGeneration", "Gemma3Processor",
            "<image_soft_token>", False, build_gemma3, 4,
        ),
        Family(
            "idefics3", "Idefics3 / SmolVLM", "Idefics3, SmolVLM (same model class)",
            "Idefics3ForConditionalGeneration", "Idefics3Processor", "<image>", False, build_idefics3, 4,
        ),
        Family(
            "qwen2_5_vl", "Qwen2.5-VL", "Qwen2.5-VL, Lingshu, MedVLM-R1, HuatuoGPT-Vision-Qwen",
            "Qwen2_5_VLForConditionalGeneration", "Qwen2_5_VLProcessor", "<|image_pad|>", True, build_qwen2_5_vl,
            None,
        ),
        Family(
            "qwen3_vl", "Qwen3-VL", "Qwen3-VL", "Qwen3VLForConditionalGeneration", "Qwen3VLProcessor",
            "<|image_pad|>", True, build_qwen3_vl, None,
        ),
        Family(
            "internvl", "InternVL3", "InternVL3 (the -hf checkpoints)", "InternVLForConditionalGeneration",
            "InternVLProcessor", "<IMG_CONTEXT>", True, build_internvl, None,
        ),
        Family(
            "llava_onevision", "LLaVA-OneVision", "LLaVA-OneVision", "LlavaOnevisionForConditionalGeneration",
            "LlavaOnevisionProcessor", "<image>", True, build_llava_onevision, 17,
        ),
        Family(
            "smolvlm", "SmolVLM", "SmolVLM, SmolVLM2", "SmolVLMForConditionalGeneration", "SmolVLMProcessor",
            "<image>", True, build_smolvlm, 4,
        ),
    )
}  # fmt: skip


def torchvision_problem() -> str | None:
    """Why ``import torchvision`` fails here (None when it works)."""
    try:
        import torchvision  # noqa: F401
    except Exception as e:  # a CUDA-only build raises RuntimeError at import beside a CPU torch
        return f"{type(e).__name__}: {e}"
    return None


def build_family(name: str, out_dir: str | Path, *, seed: int = 0) -> Path:
    """Write the tiny model of family ``name`` (see :data:`FAMILIES`) to ``out_dir``."""
    if name not in FAMILIES:
        raise InputError(f"unknown model family {name!r}; expected one of {', '.join(FAMILIES)}")
    family = FAMILIES[name]
    if family.needs_torchvision:
        problem = torchvision_problem()
        if problem:
            raise MissingDependencyError(
                f"the {family.label} processor ({family.processor_class}) needs torchvision under transformers 5, "
                f"which does not import here ({problem}); install the torchvision build that matches your torch"
            )
    return family.build(Path(out_dir), seed)
