"""Chat requests and responses of the OpenAI-compatible API: the benchmark's prompt with its images. Pure functions.

A request carries the same texts as the lighteval task (:func:`pet2rep.lighteval.doc_fields`): the system
prompt as the system turn, then one user turn holding the instruction with the report template followed by the
config's images in model order, each an RGB PNG ``data:`` URL (the OpenAI ``image_url`` content part, which vLLM,
SGLang, TGI and the closed APIs of the paper accept).
"""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pet2rep import prompts
from pet2rep.errors import InputError

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class ResponseError(InputError):
    """An answer of the endpoint that holds no report. ``kind`` is ``malformed`` or ``empty``."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class Completion:
    """The report an endpoint generated for one case and what it cost."""

    text: str
    finish_reason: str | None
    prompt_tokens: int | None
    completion_tokens: int | None


def png_bytes(value: Any, *, case_id: str = "?", index: int = 0) -> bytes:
    """One dataset image as the bytes of an RGB PNG.

    Args:
        value: a PIL image, or ``{"bytes": ..., "path": ...}`` as a ``datasets.Image`` column stores it.
        case_id, index: for error messages.

    Returns:
        The stored bytes unchanged when they already are an RGB PNG (what ``pet2rep build`` writes), else the
        image converted to RGB (as the lighteval task does for grayscale slices) and encoded as PNG.
    """
    from PIL import Image, UnidentifiedImageError

    if isinstance(value, Mapping):
        data = value.get("bytes")
        if not data and value.get("path"):
            try:
                with open(value["path"], "rb") as f:
                    data = f.read()
            except OSError as e:
                raise InputError(f"case {case_id!r}: images[{index}] path {value['path']!r} unreadable ({e})") from e
        if not data:
            raise InputError(f"case {case_id!r}: images[{index}] holds neither bytes nor a readable path")
        try:
            image = Image.open(io.BytesIO(data))
        except (UnidentifiedImageError, OSError) as e:
            raise InputError(f"case {case_id!r}: images[{index}] is not a readable image ({e})") from e
        if data.startswith(PNG_SIGNATURE) and image.mode == "RGB":
            return bytes(data)
    elif isinstance(value, Image.Image):
        image = value
    else:
        raise InputError(
            f"case {case_id!r}: images[{index}] is {type(value).__name__}; expected a PIL image or {{'bytes': ...}}"
        )
    buffer = io.BytesIO()
    (image if image.mode == "RGB" else image.convert("RGB")).save(buffer, format="PNG")
    return buffer.getvalue()


def image_data_url(png: bytes) -> str:
    """``data:image/png;base64,...`` of PNG bytes."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def chat_messages(config: str, images_png: Sequence[bytes], lang: str = "zh") -> list[dict]:
    """The two chat turns of one case: system prompt; instruction and template, then the images in model order."""
    text = prompts.user_prompt(config, lang, num_images=len(images_png))
    parts: list[dict] = [{"type": "text", "text": text}]
    parts.extend({"type": "image_url", "image_url": {"url": image_data_url(png)}} for png in images_png)
    return [{"role": "system", "content": prompts.system_prompt(lang)}, {"role": "user", "content": parts}]


def chat_request(
    model: str,
    messages: list[dict],
    *,
    max_tokens: int,
    temperature: float,
    extra_body: Mapping[str, Any] | None = None,
) -> bytes:
    """The JSON body of a ``POST /chat/completions`` (UTF-8 bytes). ``extra_body`` keys are added last."""
    body: dict[str, Any] = {
        "model": model,
        "messages": messages,
        "max_tokens": max_tokens,
        "temperature": temperature,
        "n": 1,
        "stream": False,
    }
    body.update(extra_body or {})
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


def _token_count(usage: Mapping, key: str) -> int | None:
    value = usage.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def parse_completion(body: bytes | str) -> Completion:
    """The report in a ``chat.completion`` answer.

    Raises:
        ResponseError: ``malformed`` (not JSON, no ``choices`` list, a choice without a message) or ``empty``
            (no choice, or a choice whose content is empty or only whitespace).
    """
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        shown = body[:80] if isinstance(body, str) else body[:80].decode("utf-8", "replace")
        raise ResponseError("malformed", f"the answer is not JSON ({e}): {shown!r}") from e
    if not isinstance(data, dict) or not isinstance(data.get("choices"), list):
        keys = sorted(data) if isinstance(data, dict) else type(data).__name__
        raise ResponseError("malformed", f"the answer has no 'choices' list (it has {keys})")
    if not data["choices"]:
        raise ResponseError("empty", "the answer holds no choice")
    choice = data["choices"][0]
    message = choice.get("message") if isinstance(choice, dict) else None
    if not isinstance(message, dict):
        raise ResponseError("malformed", f"choices[0] has no 'message' object: {json.dumps(choice)[:120]}")
    content = message.get("content")
    if isinstance(content, list):  # some servers answer with content parts
        content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
    if content is not None and not isinstance(content, str):
        raise ResponseError("malformed", f"choices[0].message.content is {type(content).__name__}; expected text")
    finish_reason = choice.get("finish_reason")
    if not content or not content.strip():
        refusal = message.get("refusal")
        why = f" (refusal: {refusal!r})" if refusal else f" (finish_reason {finish_reason!r})"
        raise ResponseError("empty", "the answer's message content is empty" + why)
    usage = data.get("usage") if isinstance(data.get("usage"), dict) else {}
    return Completion(
        text=content,
        finish_reason=finish_reason if isinstance(finish_reason, str) else None,
        prompt_tokens=_token_count(usage, "prompt_tokens"),
        completion_tokens=_token_count(usage, "completion_tokens"),
    )
