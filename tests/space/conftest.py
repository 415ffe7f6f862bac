"""Fixtures for the leaderboard Space tests: the `space/` folder importable, synthetic references.

The references fixture is the contract with the dataset build: a folder with `README.md` and
`<config>/test-0000i-of-0000n.parquet` holding at least the string columns `case_id` and `report`.
"""

from __future__ import annotations

import importlib.util
import json
import random
import socket
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SPACE_DIR = REPO_ROOT / "space"
if str(SPACE_DIR) not in sys.path:
    sys.path.append(str(SPACE_DIR))  # last: only pet2rep_space is looked up there

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


#: The test set of :func:`make_record`'s records unless a test names another (e.g. a service's own).
FIXTURE_TEST_SET = {
    "name": "Fixture set",
    "version": "v1",
    "num_cases": 12,
    "content_hash": "sha256:" + "f" * 64,
    "kind": "private",
}


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
        "test_set": dict(FIXTURE_TEST_SET),
        "per_organ": {
            "liver": {"precision": 1.0, "recall": 0.5, "f1": 2 / 3, "support": {"increased": 6, "absent": 1}},
            "lung": {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": {"increased": 2}},
        },
    }
    record.update(over)
    return record


@pytest.fixture(scope="session")
def fixture_test_set() -> dict:
    """The ``test_set`` entry of :func:`make_record`'s records."""
    return dict(FIXTURE_TEST_SET)


@pytest.fixture(scope="session")
def record_factory():
    return make_record


@pytest.fixture(scope="session")
def reports_factory():
    return make_reports


@pytest.fixture(scope="session")
def jsonl_writer():
    return write_jsonl


@pytest.fixture(scope="session")
def dataset_folder_writer():
    return write_dataset_folder


@pytest.fixture(scope="session")
def predictions_for():
    """``predictions_for(references, seed)``: other synthetic reports for the same case ids."""

    def make(references: dict[str, str], seed: int = 7) -> dict[str, str]:
        others = make_reports(len(references), seed=seed)
        return dict(zip(references, others.values(), strict=True))

    return make


def reference_fragments(references: dict[str, str]) -> set[str]:
    """Pieces of reference text that must never appear in anything the Space sends out: each report and
    each of its sentences (the shortest sentence of the synthetic pool has 13 characters)."""
    pieces = set(references.values())
    for report in references.values():
        pieces.update(s + "。" for s in report.removeprefix("影像所见：").split("。") if len(s) >= 8)
    return pieces


@pytest.fixture(scope="session")
def leak_scanner(references):
    """``scan(text)``: the reference fragments found in ``text`` (empty list: no leak)."""
    fragments = reference_fragments(references)

    def scan(text: str) -> list[str]:
        return sorted(f for f in fragments if f in text)

    return scan


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def port_factory():
    return free_port


@pytest.fixture(scope="session")
def space_app():
    """The `space/app.py` module (loaded by path: a bare `import app` could pick up another app.py)."""
    spec = importlib.util.spec_from_file_location("pet2rep_space_app", SPACE_DIR / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def launch_space(space_app):
    """``launch_space(service) -> url``: the app in-process on 127.0.0.1 and a free port; closed at the end."""
    demos = []

    def launch(service) -> str:
        demo = space_app.build_app(service)
        _, url, _ = space_app.launch(
            demo,
            service.config,
            server_name="127.0.0.1",
            server_port=free_port(),
            prevent_thread_lock=True,
            quiet=True,
        )
        demos.append(demo)
        return url

    yield launch
    for demo in demos:
        demo.close()


CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1400,1000",
)


class BrowserPage:
    """One headless Chromium page driven over the DevTools protocol (websocket-client, no other driver).

    Console messages of level error and uncaught exceptions are collected in :attr:`errors`.
    """

    def __init__(self, user_data_dir: Path):
        import subprocess
        import time
        import urllib.request

        import websocket

        port = free_port()
        self.process = subprocess.Popen(
            [
                str(CHROMIUM),
                *CHROMIUM_FLAGS,
                f"--user-data-dir={user_data_dir}",
                f"--remote-debugging-port={port}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=2) as r:
                    targets = json.load(r)
                page = next(t for t in targets if t["type"] == "page")
                break
            except (OSError, StopIteration, ValueError):
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.close()
                    raise RuntimeError("chromium did not open its DevTools endpoint") from None
                time.sleep(0.2)
        self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], suppress_origin=True, timeout=60)
        self._next_id = 0
        self.events: list[dict] = []
        for domain in ("Page", "Runtime", "Log"):
            self.send(f"{domain}.enable")

    def send(self, method: str, **params) -> dict:
        self._next_id += 1
        self.ws.send(json.dumps({"id": self._next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self._next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message["result"]
            self.events.append(message)

    def evaluate(self, expression: str):
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression[:80]}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 30.0):
        """Poll a JavaScript expression until it is truthy; return its value."""
        import time

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = self.evaluate(expression)
            if value:
                return value
            time.sleep(0.2)
        raise TimeoutError(f"waited {timeout} s for: {expression}")

    def click_like_a_user(self, selector: str) -> None:
        """Mouse events at the element's centre, as a user clicks (gradio's dropdowns open on focus, not .click())."""
        self.evaluate(f"document.querySelector({json.dumps(selector)}).scrollIntoView({{block: 'center'}})")
        box = self.evaluate(
            f"(() => {{ const r = document.querySelector({json.dumps(selector)}).getBoundingClientRect();"
            " return [r.left + r.width / 2, r.top + r.height / 2]; })()"
        )
        for kind in ("mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", type=kind, x=box[0], y=box[1], button="left", clickCount=1)

    def screenshot(self, path: Path) -> Path:
        import base64

        path.write_bytes(base64.b64decode(self.send("Page.captureScreenshot", format="png")["data"]))
        return path

    @property
    def errors(self) -> list[str]:
        found = []
        for event in self.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.exceptionThrown":
                found.append(json.dumps(params["exceptionDetails"], ensure_ascii=False)[:500])
            elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                found.append(" ".join(str(a.get("value", a.get("description", ""))) for a in params["args"])[:500])
            elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
                found.append(f"{params['entry'].get('url', '')}: {params['entry']['text']}"[:500])
        return found

    def close(self) -> None:
        if getattr(self, "ws", None) is not None:
            self.ws.close()
        self.process.kill()
        self.process.wait(timeout=10)


@pytest.fixture
def browser_page(tmp_path):
    """A headless Chromium page; skipped, with the reason printed, only where Chromium is absent."""
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is absent: the browser test needs Chromium (make test installs it where it can)"
        print(f"SKIPPED: {reason}")
        pytest.skip(reason)
    page = BrowserPage(tmp_path / "chromium-profile")
    yield page
    page.close()
