"""Benchmark: the HTTP client of ``pet2rep generate``: httpx (what it uses) vs the official ``openai`` client.

Both send the same requests (one real ``fused`` case: the benchmark's prompt and three 200x219 PNG images, ~0.4 MB
of JSON) to an in-process stub server that answers at once, ``--requests`` times at concurrency 8, so that only
the client's own cost is timed. Also timed: importing each client in a fresh interpreter. Medians of
``--repeat`` interleaved runs.

    python benchmarks/bench_generate_client.py [--requests 200] [--repeat 5]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import statistics
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ANSWER = json.dumps(
    {
        "id": "x",
        "object": "chat.completion",
        "created": 0,
        "model": "m",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "报告"}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }
).encode()


class Stub(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(ANSWER)))
        self.end_headers()
        self.wfile.write(ANSWER)


def case_messages():
    import numpy as np
    from PIL import Image

    from pet2rep.generate import chat_messages

    rng = np.random.default_rng(0)
    pngs = []
    for _ in range(3):
        buffer = io.BytesIO()
        Image.fromarray(rng.integers(0, 256, (219, 200, 3), dtype=np.uint8)).save(buffer, format="PNG")
        pngs.append(buffer.getvalue())
    return chat_messages("fused", pngs)


async def with_httpx(api_base, messages, n, concurrency):
    from pet2rep.generate import ChatClient, chat_request

    semaphore = asyncio.Semaphore(concurrency)
    async with ChatClient(api_base, concurrency=concurrency) as client:

        async def one():
            async with semaphore:  # the body is serialised per request, as the openai client does
                await client.complete(chat_request("m", messages, max_tokens=16, temperature=0.0))

        await asyncio.gather(*(one() for _ in range(n)))


async def with_openai(api_base, messages, n, concurrency):
    import httpx
    import openai

    semaphore = asyncio.Semaphore(concurrency)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    http_client = openai.DefaultAsyncHttpxClient(limits=limits)
    async with openai.AsyncOpenAI(base_url=api_base, api_key="x", http_client=http_client) as client:

        async def one():
            async with semaphore:
                await client.chat.completions.create(model="m", messages=messages, max_tokens=16, temperature=0.0)

        await asyncio.gather(*(one() for _ in range(n)))


def import_s(module: str, repeat: int) -> float:
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    runs = [float(subprocess.check_output([sys.executable, "-c", code], text=True)) for _ in range(repeat)]
    return statistics.median(runs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args(argv)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Stub)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    api_base = f"http://127.0.0.1:{server.server_address[1]}/v1"
    messages = case_messages()
    size_kb = len(json.dumps(messages)) / 1024
    times: dict[str, list[float]] = {"httpx (pet2rep ChatClient)": [], "openai AsyncOpenAI": []}
    runners = dict(zip(times, (with_httpx, with_openai), strict=True))
    for runner in runners.values():  # warm-up: imports, first connections
        asyncio.run(runner(api_base, messages, 8, args.concurrency))
    for _ in range(args.repeat):
        for name, runner in runners.items():
            start = time.perf_counter()
            asyncio.run(runner(api_base, messages, args.requests, args.concurrency))
            times[name].append(time.perf_counter() - start)
    server.shutdown()

    print(
        f"{args.requests} requests of {size_kb:.0f} KB, concurrency {args.concurrency}, stub server answering at once"
    )
    print(f"{'client':<28}{'median s':>9}{'ms/request':>12}{'import s':>10}")
    imports = {"httpx (pet2rep ChatClient)": "httpx", "openai AsyncOpenAI": "openai"}
    medians = {}
    for name, runs in times.items():
        medians[name] = statistics.median(runs)
        imported = import_s(imports[name], 3)
        print(f"{name:<28}{medians[name]:>9.3f}{1000 * medians[name] / args.requests:>12.2f}{imported:>10.3f}")
    a, b = medians.values()
    print(f"openai / httpx time: {b / a:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
