"""A small OpenAI-compatible chat server over a local transformers VLM, for tests and benchmarks (CPU, no network).

``python -m pet2rep.testing serve MODEL_DIR --port 0`` prints ``serving NAME on http://HOST:PORT/v1`` and answers

- ``POST /v1/chat/completions``: text parts and ``image_url`` parts holding ``data:`` URLs, decoded with the model's
  own processor and chat template and generated with ``model.generate`` (real decoding of real images);
  concurrent requests are batched (up to ``--max-batch``, waiting ``--batch-wait-ms`` for company), as serving
  engines do;
- ``GET /v1/models``, ``GET /health``.

Like vLLM it checks ``--api-key`` (401), the model name (404) and, with ``--text-only``, refuses images (400).
With ``--test-hooks`` it also takes a fault plan (``POST /_pet2rep/faults``, a JSON list of rules; an empty list
also clears the log) and reports every chat request it saw (``GET /_pet2rep/log``: key, image keys, texts, the fault
applied, seconds spent, batch size). A rule ``{"match": KEY or "*", "times": N or null, ...}`` applies to the next
``times`` requests (null: all) whose :func:`request_key` is ``KEY`` and does one of: ``"status": 429`` (with
``"retry_after"``), ``"hang_s": S`` (answer only after S seconds), ``"delay_s": S`` (wait, then answer normally),
``"malformed": true`` (a body that is not JSON), ``"empty": true`` (no choice).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import queue
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from pet2rep.errors import InputError, require


def request_key(first_image_url: str | None) -> str:
    """What a fault rule matches: the first 16 hex digits of the SHA-256 of the first image URL ("" without one)."""
    if not first_image_url:
        return ""
    return hashlib.sha256(first_image_url.encode("ascii", "replace")).hexdigest()[:16]


def _decode_data_url(url: str):
    from PIL import Image

    if not isinstance(url, str) or not url.startswith("data:image/") or ";base64," not in url:
        raise InputError("image_url must be a data:image/...;base64 URL (this server fetches nothing)")
    try:
        image = Image.open(io.BytesIO(base64.b64decode(url.split(";base64,", 1)[1], validate=True)))
        image.load()
    except Exception as e:  # any decoding failure is the client's fault: answer 400
        raise InputError(f"image_url does not hold a readable image ({type(e).__name__}: {e})") from e
    return image if image.mode == "RGB" else image.convert("RGB")


def parse_messages(messages: Any) -> tuple[list[dict], list, list[str]]:
    """OpenAI chat messages -> (processor chat messages with ``{"type": "image"}`` parts, PIL images, image URLs)."""
    if not isinstance(messages, list) or not messages:
        raise InputError("'messages' must be a non-empty list")
    chat, images, urls = [], [], []
    for message in messages:
        if not isinstance(message, dict) or message.get("role") not in ("system", "user", "assistant"):
            raise InputError(f"each message needs a role system/user/assistant; got {str(message)[:80]}")
        content = message.get("content")
        if isinstance(content, str):
            parts = [{"type": "text", "text": content}]
        elif isinstance(content, list):
            parts = []
            for part in content:
                kind = part.get("type") if isinstance(part, dict) else None
                if kind == "text":
                    parts.append({"type": "text", "text": str(part.get("text", ""))})
                elif kind == "image_url":
                    url = (part.get("image_url") or {}).get("url")
                    urls.append(url)
                    images.append(_decode_data_url(url))
                    parts.append({"type": "image"})
                else:
                    raise InputError(f"unsupported content part type {kind!r}; expected text or image_url")
        else:
            raise InputError("message content must be a string or a list of parts")
        chat.append({"role": message["role"], "content": parts})
    return chat, images, urls


@dataclass
class _Job:
    chat: list[dict]
    images: list
    max_tokens: int
    temperature: float
    future: Future = field(default_factory=Future)


class Engine:
    """Generation with a transformers VLM from one worker thread, batching the requests that arrive together."""

    def __init__(self, model_dir: str | Path, *, max_batch: int = 8, batch_wait_s: float = 0.01):
        self.torch = require("torch", "eval")
        transformers = require("transformers", "eval")
        self.processor = transformers.AutoProcessor.from_pretrained(model_dir, padding_side="left")
        self.model = transformers.AutoModelForImageTextToText.from_pretrained(model_dir).eval()
        self.tokenizer = self.processor.tokenizer
        eos = self.model.generation_config.eos_token_id
        self.eos_ids = set(eos if isinstance(eos, list) else [eos]) - {None}
        self.max_batch = max_batch
        self.batch_wait_s = batch_wait_s
        self._queue: queue.Queue[_Job] = queue.Queue()
        threading.Thread(target=self._loop, name="engine", daemon=True).start()

    def submit(self, chat: list[dict], images: list, max_tokens: int, temperature: float) -> Future:
        job = _Job(chat, images, max_tokens, temperature)
        self._queue.put(job)
        return job.future

    def _loop(self) -> None:
        while True:
            batch = [self._queue.get()]
            deadline = time.monotonic() + self.batch_wait_s
            while len(batch) < self.max_batch:
                try:
                    batch.append(self._queue.get(timeout=max(0.0, deadline - time.monotonic())))
                except queue.Empty:
                    break
            groups: dict[tuple, list[_Job]] = {}
            for job in batch:  # one generate call per (images or not, temperature)
                groups.setdefault((bool(job.images), job.temperature), []).append(job)
            for jobs in groups.values():
                try:
                    results = self._generate(jobs)
                except Exception as e:  # report to every waiting request (HTTP 500), keep serving
                    for job in jobs:
                        job.future.set_exception(e)
                    continue
                for job, result in zip(jobs, results, strict=True):
                    job.future.set_result({**result, "batch_size": len(jobs)})

    def _generate(self, jobs: list[_Job]) -> list[dict]:
        torch = self.torch
        texts = [self.processor.apply_chat_template(j.chat, tokenize=False, add_generation_prompt=True) for j in jobs]
        images = [j.images for j in jobs] if jobs[0].images else None
        inputs = self.processor(text=texts, images=images, padding=True, return_tensors="pt")
        temperature = jobs[0].temperature
        sampling = {"do_sample": True, "temperature": temperature} if temperature > 0 else {"do_sample": False}
        with torch.inference_mode():
            output = self.model.generate(**inputs, max_new_tokens=max(j.max_tokens for j in jobs), **sampling)
        new_tokens = output[:, inputs["input_ids"].shape[1] :].tolist()
        results = []
        for i, job in enumerate(jobs):
            ids = new_tokens[i][: job.max_tokens]
            stop = next((k for k, t in enumerate(ids) if t in self.eos_ids), None)
            kept = ids if stop is None else ids[:stop]
            results.append(
                {
                    "text": self.tokenizer.decode(kept, skip_special_tokens=True),
                    "finish_reason": "length" if stop is None else "stop",
                    "prompt_tokens": int(inputs["attention_mask"][i].sum()),
                    "completion_tokens": len(ids) if stop is None else stop + 1,
                }
            )
        return results


class _State:
    def __init__(self, engine, model_name, api_key, text_only, test_hooks):
        self.engine = engine
        self.model_name = model_name
        self.api_key = api_key
        self.text_only = text_only
        self.test_hooks = test_hooks
        self.faults: list[dict] = []
        self.log: list[dict] = []
        self.lock = threading.Lock()
        self.counter = 0

    def take_fault(self, key: str) -> dict | None:
        with self.lock:
            for rule in self.faults:
                if rule.get("match", "*") in ("*", key) and rule.get("times", 1) != 0:
                    if rule.get("times") is not None:
                        rule["times"] = rule.get("times", 1) - 1
                    return dict(rule)
        return None


def _error_body(message: str, kind: str, code: str | int | None = None) -> dict:
    return {"error": {"message": message, "type": kind, "code": code}}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as clients pool connections
    state: _State

    def log_message(self, format, *args):  # the test output stays readable
        pass

    def _send(self, status: int, payload: Any, *, raw: bytes | None = None, headers: dict | None = None) -> None:
        body = raw if raw is not None else json.dumps(payload, ensure_ascii=False).encode("utf-8")
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (its timeout): nothing to answer
            pass

    def _read_json(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(length) or b"null")

    def do_GET(self) -> None:
        state = self.state
        if self.path.rstrip("/") == "/health":
            self._send(200, {"status": "ok"})
        elif self.path.rstrip("/") == "/v1/models":
            self._send(200, {"object": "list", "data": [{"id": state.model_name, "object": "model"}]})
        elif self.path == "/_pet2rep/log" and state.test_hooks:
            with state.lock:
                self._send(200, list(state.log))
        else:
            self._send(404, _error_body(f"no route {self.path}", "not_found"))

    def do_POST(self) -> None:
        state = self.state
        if self.path == "/_pet2rep/faults" and state.test_hooks:
            rules = self._read_json()
            with state.lock:
                state.faults = list(rules or [])
                if not rules:
                    state.log.clear()
            self._send(200, {"faults": len(state.faults)})
            return
        if self.path.rstrip("/") != "/v1/chat/completions":
            self._send(404, _error_body(f"no route {self.path}", "not_found"))
            return
        received = time.perf_counter()
        if state.api_key and self.headers.get("Authorization") != f"Bearer {state.api_key}":
            self._send(401, _error_body("Incorrect API key provided", "invalid_request_error", "invalid_api_key"))
            return
        try:
            request = self._read_json()
            if not isinstance(request, dict):
                raise InputError("the body must be a JSON object")
            chat, images, urls = parse_messages(request.get("messages"))
        except (InputError, json.JSONDecodeError) as e:
            self._send(400, _error_body(str(e), "BadRequestError", 400))
            return
        if request.get("model") != state.model_name:
            message = f"The model `{request.get('model')}` does not exist."
            self._send(404, _error_body(message, "NotFoundError", 404))
            return
        if state.text_only and images:
            message = f"{state.model_name} is not a multimodal model: image_url content parts are not supported"
            self._send(400, _error_body(message, "BadRequestError", 400))
            return
        key = request_key(urls[0] if urls else None)
        fault = state.take_fault(key) if state.test_hooks else None
        entry = {"key": key, "fault": fault, "image_keys": [request_key(u) for u in urls], "received": received}
        entry["texts"] = [(m["role"], p["text"]) for m in chat for p in m["content"] if p["type"] == "text"]
        with state.lock:
            state.log.append(entry)
            state.counter += 1
            number = state.counter
        if fault and fault.get("hang_s"):
            time.sleep(float(fault["hang_s"]))
        if fault and fault.get("delay_s"):
            time.sleep(float(fault["delay_s"]))
        if fault and fault.get("status"):
            status = int(fault["status"])
            headers = {"Retry-After": str(fault["retry_after"])} if "retry_after" in fault else None
            self._send(status, _error_body(f"injected HTTP {status}", "injected", status), headers=headers)
            return
        if fault and fault.get("malformed"):
            self._send(200, None, raw=b"<html>502 Bad Gateway</html>")
            return
        max_tokens = request.get("max_tokens") or request.get("max_completion_tokens") or 16
        temperature = float(request.get("temperature") or 0.0)
        try:
            result = state.engine.submit(chat, images, int(max_tokens), temperature).result()
        except Exception as e:  # the model failed on this input
            self._send(500, _error_body(f"generation failed: {type(e).__name__}: {e}", "InternalServerError", 500))
            return
        entry["server_s"] = time.perf_counter() - received
        entry["batch_size"] = result["batch_size"]
        choices = []
        if not (fault and fault.get("empty")):
            message = {"role": "assistant", "content": result["text"]}
            choices.append({"index": 0, "message": message, "finish_reason": result["finish_reason"]})
        usage = {
            "prompt_tokens": result["prompt_tokens"],
            "completion_tokens": result["completion_tokens"],
            "total_tokens": result["prompt_tokens"] + result["completion_tokens"],
        }
        response = {
            "id": f"chatcmpl-{number}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": state.model_name,
            "choices": choices,
            "usage": usage,
        }
        self._send(200, response)


def make_server(
    model_dir: str | Path,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    model_name: str | None = None,
    api_key: str | None = None,
    text_only: bool = False,
    test_hooks: bool = False,
    max_batch: int = 8,
    batch_wait_s: float = 0.01,
) -> ThreadingHTTPServer:
    """The HTTP server (not started: call ``serve_forever``); ``server.server_address`` has the bound port."""
    engine = Engine(model_dir, max_batch=max_batch, batch_wait_s=batch_wait_s)
    state = _State(engine, model_name or Path(model_dir).name, api_key, text_only, test_hooks)
    handler = type("Handler", (_Handler,), {"state": state})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    server.model_name = state.model_name
    return server
