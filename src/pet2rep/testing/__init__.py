"""Test helpers that need no network: a tiny random-weight vision-language model, and a server for it.

``python -m pet2rep.testing family NAME OUT_DIR`` writes a tiny model of one VLM family of the paper's Table 1
(Qwen2.5-VL, InternVL3, Gemma 3, ...; see :mod:`pet2rep.testing.families`).

``python -m pet2rep.testing serve MODEL_DIR`` serves such a model (any local transformers VLM) behind an
OpenAI-compatible ``/v1/chat/completions``, see :mod:`pet2rep.testing.server`.

``python -m pet2rep.testing tiny-vlm OUT_DIR`` writes a LLaVA-style model folder (CLIP vision tower, Llama
text model, a byte-level BPE tokenizer trained on the benchmark's prompt, a PIL image processor and a chat
template) that ``transformers.AutoModelForImageTextToText`` / ``AutoProcessor`` and therefore
``lighteval accelerate --vision-model`` load offline on CPU. Its weights are random (seeded): it exercises the
plumbing, its reports are noise. No torchvision is needed.

The same arguments give byte-identical files.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path

from pet2rep.errors import InputError, require
from pet2rep.vocab import IMAGE_CONFIGS, LANGS

#: ChatML-style turns; message content may be a string or a list of ``{"type": "text"|"image"}`` parts.
CHAT_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}"
    "{% else %}{% for part in message['content'] %}"
    "{% if part['type'] == 'image' %}<image>{% elif part['type'] == 'text' %}{{ part['text'] }}{% endif %}"
    "{% endfor %}{% endif %}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
SPECIAL_TOKENS = ("<pad>", "<s>", "</s>", "<image>", "<|im_start|>", "<|im_end|>")


def _training_corpus() -> list[str]:
    from pet2rep import prompts

    texts = []
    for lang in LANGS:
        texts.append(prompts.system_prompt(lang))
        texts.extend(prompts.user_prompt(config, lang) for config in IMAGE_CONFIGS)
        texts.append(prompts.template_report(lang))
    return texts


def build_tokenizer(
    vocab_size: int = 1024,
    *,
    special_tokens: tuple[str, ...] = (),
    extra_special_tokens: dict[str, str] | None = None,
    chat_template: str = CHAT_TEMPLATE,
    **kwargs,
):
    """A byte-level BPE tokenizer trained on the benchmark's prompts, with special tokens and the chat template.

    Args:
        vocab_size: BPE vocabulary size, special tokens included.
        special_tokens: more single-token specials (a model family's image and turn markers).
        extra_special_tokens: named specials the family's processor reads as tokenizer attributes
            (e.g. ``{"image_token": "<image_soft_token>"}`` gives ``tokenizer.image_token`` and ``.image_token_id``).
        chat_template: the Jinja chat template.
        **kwargs: more ``PreTrainedTokenizerFast`` arguments (``bos_token=...``).

    Returns:
        A ``transformers.PreTrainedTokenizerFast``.
    """
    tokenizers = require("tokenizers", "eval")
    transformers = require("transformers", "eval")
    from tokenizers import decoders, models, pre_tokenizers, trainers

    tok = tokenizers.Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=list(dict.fromkeys([*SPECIAL_TOKENS, *special_tokens, *(extra_special_tokens or {}).values()])),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(_training_corpus(), trainer=trainer)
    options = {"bos_token": "<s>", "eos_token": "</s>", "pad_token": "<pad>", "padding_side": "left", **kwargs}
    if extra_special_tokens:
        options["extra_special_tokens"] = dict(extra_special_tokens)
    fast = transformers.PreTrainedTokenizerFast(tokenizer_object=tok, **options)
    if special_tokens:
        fast.add_special_tokens({"additional_special_tokens": list(special_tokens)})
    fast.chat_template = chat_template
    return fast


def build_tiny_vlm(out_dir: str | Path, *, seed: int = 0, image_size: int = 32, patch_size: int = 16) -> Path:
    """Write a tiny random LLaVA-style VLM (model, tokenizer, processor) to ``out_dir``.

    Args:
        out_dir: folder to create (may exist; files in it are overwritten).
        seed: torch seed of the random weights.
        image_size: side of the square the image processor resizes and crops to.
        patch_size: ViT patch side; each image becomes ``(image_size // patch_size) ** 2`` image tokens.

    Returns:
        The folder, loadable with ``AutoModelForImageTextToText.from_pretrained`` and ``AutoProcessor``.
    """
    if image_size <= 0 or patch_size <= 0 or image_size % patch_size:
        raise InputError(f"image_size must be a positive multiple of patch_size; got {image_size} and {patch_size}")
    torch = require("torch", "eval")
    transformers = require("transformers", "eval")
    from transformers.models.llava.image_processing_pil_llava import LlavaImageProcessorPil

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)

    tokenizer = build_tokenizer()
    image_processor = LlavaImageProcessorPil(
        size={"shortest_edge": image_size}, crop_size={"height": image_size, "width": image_size}
    )
    processor = transformers.LlavaProcessor(
        image_processor=image_processor,
        tokenizer=tokenizer,
        patch_size=patch_size,
        vision_feature_select_strategy="default",
        num_additional_image_tokens=1,  # CLIP's CLS token, dropped again by the "default" strategy
        chat_template=CHAT_TEMPLATE,
    )

    vision = transformers.CLIPVisionConfig(
        hidden_size=16,
        intermediate_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        image_size=image_size,
        patch_size=patch_size,
        projection_dim=16,
    )
    text = transformers.LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=16,
        intermediate_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        num_key_value_heads=1,
        max_position_embeddings=16384,  # the Chinese prompt is ~1-2k tokens; never truncate image tokens away
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    config = transformers.LlavaConfig(
        vision_config=vision,
        text_config=text,
        image_token_id=tokenizer.convert_tokens_to_ids("<image>"),
        vision_feature_select_strategy="default",
        vision_feature_layer=-1,
    )
    torch.manual_seed(seed)
    model = transformers.LlavaForConditionalGeneration(config).eval()
    model.generation_config.do_sample = False
    model.generation_config.bos_token_id = tokenizer.bos_token_id
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id

    model.save_pretrained(out)
    processor.save_pretrained(out)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pet2rep.testing", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    tiny = sub.add_parser("tiny-vlm", help="write a tiny random-weight VLM (offline, CPU)")
    tiny.add_argument("out_dir", type=Path)
    tiny.add_argument("--seed", type=int, default=0)
    family = sub.add_parser("family", help="write a tiny random-weight model of a VLM family (see families.py)")
    family.add_argument(
        "name", help="llava, gemma3, idefics3, qwen2_5_vl, qwen3_vl, internvl, llava_onevision, smolvlm"
    )
    family.add_argument("out_dir", type=Path)
    family.add_argument("--seed", type=int, default=0)
    serve = sub.add_parser("serve", help="serve a local VLM behind an OpenAI-compatible /v1/chat/completions")
    serve.add_argument("model_dir", type=Path)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000, help="0: any free port (printed)")
    serve.add_argument("--served-model-name", default=None, help="default: the folder name")
    serve.add_argument("--api-key", default=None, help="require this bearer token (401 otherwise)")
    serve.add_argument("--text-only", action="store_true", help="refuse images with HTTP 400, as a text-only model")
    serve.add_argument("--test-hooks", action="store_true", help="accept fault plans, keep a request log")
    serve.add_argument("--max-batch", type=int, default=8, help="requests generated together (default: 8)")
    serve.add_argument("--batch-wait-ms", type=float, default=10.0, help="wait for company before a batch")
    args = parser.parse_args(argv)
    if args.command == "serve":
        from pet2rep.testing.server import make_server

        server = make_server(
            args.model_dir,
            host=args.host,
            port=args.port,
            model_name=args.served_model_name,
            api_key=args.api_key,
            text_only=args.text_only,
            test_hooks=args.test_hooks,
            max_batch=args.max_batch,
            batch_wait_s=args.batch_wait_ms / 1000,
        )
        host, port = server.server_address[:2]
        print(f"serving {server.model_name} on http://{host}:{port}/v1", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()
        return 0
    if args.command == "family":
        from pet2rep.errors import Pet2RepError
        from pet2rep.testing.families import build_family

        try:
            out = build_family(args.name, args.out_dir, seed=args.seed)
        except Pet2RepError as e:
            print(f"python -m pet2rep.testing family: error: {e}", file=sys.stderr)
            return 1
        print(f"tiny {args.name} VLM written to {out}")
        return 0
    out = build_tiny_vlm(args.out_dir, seed=args.seed)
    print(f"tiny VLM written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
