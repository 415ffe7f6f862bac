"""One ``POST /chat/completions`` with retries: httpx, asyncio, exponential backoff with jitter.

What is retried: HTTP 408, 409, 429 and 5xx (``Retry-After`` honoured, capped), timeouts, dropped connections and
malformed answers. What is not: an empty answer (greedy decoding gives it again), other 4xx. Connection refused
and HTTP 401/403/404 are *fatal*: they concern every case (no server, wrong key, unknown model), and the runner
stops instead of failing each case in turn.
"""

from __future__ import annotations

import asyncio
import json
import random
from dataclasses import dataclass

from pet2rep.errors import require
from pet2rep.generate.messages import Completion, ResponseError, parse_completion

RETRY_STATUSES = frozenset({408, 409, 429})
FATAL_STATUSES = frozenset({401, 403, 404})
#: Further tries when the connection is refused (a server restarting), before the run stops: no server there.
CONNECT_RETRIES = 2


@dataclass
class Failure:
    """Why one request got no report.

    ``kind``: ``connection``, ``timeout``, ``rate_limited``, ``server_error``, ``malformed``, ``empty``,
    ``client_error`` (other 4xx, e.g. images refused by a text-only model) or ``refused`` (401/403: the key; 404:
    the model or the URL).
    """

    kind: str
    message: str
    status: int | None = None
    retryable: bool = False
    fatal: bool = False
    retry_after_s: float | None = None


class RequestFailed(Exception):
    """The last :class:`Failure` of a request after ``attempts`` tries."""

    def __init__(self, failure: Failure, attempts: int):
        super().__init__(failure.message)
        self.failure = failure
        self.attempts = attempts


def chat_completions_url(api_base: str) -> str:
    """``http://host:8000/v1`` -> ``http://host:8000/v1/chat/completions`` (a full URL is kept as it is)."""
    base = api_base.rstrip("/")
    return base if base.endswith("/chat/completions") else base + "/chat/completions"


def _error_text(body: bytes) -> str:
    """The ``error.message`` of an OpenAI-style error body (vLLM, SGLang, OpenAI, Gemini), else the raw text."""
    text = body.decode("utf-8", "replace").strip()
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return text[:300]
    if isinstance(data, list) and data and isinstance(data[0], dict):  # Gemini wraps the error in a list
        data = data[0]
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, dict) and error.get("message"):
        return str(error["message"])[:300]
    if isinstance(data, dict) and data.get("message"):
        return str(data["message"])[:300]
    if isinstance(error, str):
        return error[:300]
    return text[:300]


def _retry_after_s(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None  # an HTTP date: fall back to the backoff


def classify_status(status: int, body: bytes, retry_after: str | None = None) -> Failure:
    """A :class:`Failure` for a non-2xx answer."""
    detail = _error_text(body)
    message = f"HTTP {status}: {detail}" if detail else f"HTTP {status}"
    if status == 429:
        return Failure("rate_limited", message, status, retryable=True, retry_after_s=_retry_after_s(retry_after))
    if status in RETRY_STATUSES or status >= 500:
        kind = "server_error" if status >= 500 else "client_error"
        return Failure(kind, message, status, retryable=True, retry_after_s=_retry_after_s(retry_after))
    if status in FATAL_STATUSES:
        return Failure("refused", message, status, fatal=True)
    return Failure("client_error", message, status)


def backoff_s(attempt: int, base_s: float, cap_s: float, retry_after_s: float | None = None) -> float:
    """Seconds before try ``attempt + 1``: ``Retry-After`` if given, else ``base * 2**(attempt-1)``, jittered."""
    if retry_after_s is not None:
        return min(cap_s, retry_after_s)
    return min(cap_s, base_s * 2 ** (attempt - 1)) * random.uniform(0.5, 1.0)


class ChatClient:
    """Posts chat requests to one endpoint with retries. Use as ``async with ChatClient(...) as client``.

    Args:
        api_base: the OpenAI-compatible base URL (``.../v1``) or the full ``.../chat/completions`` URL.
        api_key: sent as ``Authorization: Bearer``; None sends no key (a local server).
        timeout_s: per try: connecting, and waiting for the answer.
        retries: further tries after the first for a retryable failure.
        backoff_base_s, backoff_cap_s: the exponential backoff between tries.
        concurrency: connections kept open (the runner never has more requests in flight).
    """

    def __init__(
        self,
        api_base: str,
        *,
        api_key: str | None = None,
        timeout_s: float = 300.0,
        retries: int = 5,
        backoff_base_s: float = 1.0,
        backoff_cap_s: float = 60.0,
        concurrency: int = 8,
    ):
        self.url = chat_completions_url(api_base)
        self.timeout_s = timeout_s
        self.retries = retries
        self.backoff_base_s = backoff_base_s
        self.backoff_cap_s = backoff_cap_s
        self._headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if api_key:
            self._headers["Authorization"] = f"Bearer {api_key}"
        self._concurrency = concurrency
        self._http = None

    async def __aenter__(self) -> ChatClient:
        httpx = require("httpx", "generate")
        limits = httpx.Limits(max_connections=self._concurrency, max_keepalive_connections=self._concurrency)
        self._http = httpx.AsyncClient(timeout=httpx.Timeout(self.timeout_s), limits=limits, trust_env=True)
        return self

    async def __aexit__(self, *exc) -> None:
        await self._http.aclose()

    async def _try(self, body: bytes) -> Completion | Failure:
        import httpx

        try:
            response = await self._http.post(self.url, content=body, headers=self._headers)
        except httpx.TimeoutException:
            return Failure("timeout", f"no answer within {self.timeout_s:g} s", retryable=True)
        except httpx.ConnectError as e:
            return Failure("connection", f"connection failed: {e or type(e).__name__}", fatal=True)
        except httpx.TransportError as e:  # the connection dropped mid-request
            return Failure("connection", f"{type(e).__name__}: {e}", retryable=True)
        if response.status_code // 100 != 2:
            return classify_status(response.status_code, response.content, response.headers.get("retry-after"))
        try:
            return parse_completion(response.content)
        except ResponseError as e:
            return Failure(e.kind, str(e), response.status_code, retryable=e.kind == "malformed")

    async def complete(self, body: bytes) -> tuple[Completion, int]:
        """Send one request body until it succeeds or the retries are spent.

        Returns:
            The completion and the number of tries it took.

        Raises:
            RequestFailed: the last failure, with the number of tries.
        """
        attempts = 0
        while True:
            attempts += 1
            result = await self._try(body)
            if isinstance(result, Completion):
                return result, attempts
            if result.kind == "connection" and result.fatal:  # refused: a server restarting, or none there
                if attempts > min(self.retries, CONNECT_RETRIES):
                    raise RequestFailed(result, attempts)
            elif not result.retryable or attempts > self.retries:
                raise RequestFailed(result, attempts)
            await asyncio.sleep(backoff_s(attempts, self.backoff_base_s, self.backoff_cap_s, result.retry_after_s))
