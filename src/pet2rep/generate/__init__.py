"""Reports from any OpenAI-compatible endpoint: vLLM, SGLang, TGI servers and the closed APIs of the paper.

``pet2rep generate`` sends every case of a dataset config (the benchmark's prompt, its images as PNG data URLs in
model order) to ``POST {api_base}/chat/completions`` with bounded concurrency and retries, and writes a
resumable predictions JSONL that ``pet2rep score`` and the leaderboard accept. See :func:`generate`.
"""

from __future__ import annotations

from pet2rep.generate.client import ChatClient, Failure, RequestFailed, chat_completions_url
from pet2rep.generate.messages import Completion, ResponseError, chat_messages, chat_request, parse_completion
from pet2rep.generate.runner import CaseError, RunSummary, generate, read_done, sidecar_path

__all__ = [
    "CaseError",
    "ChatClient",
    "Completion",
    "Failure",
    "RequestFailed",
    "ResponseError",
    "RunSummary",
    "chat_completions_url",
    "chat_messages",
    "chat_request",
    "generate",
    "parse_completion",
    "read_done",
    "sidecar_path",
]
