"""Fixtures of the `pet2rep generate` tests: a tiny dataset in the build layout, the tiny VLM, a server process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from pet2rep import prompts

REPORTS = [
    "脑形态、结构正常，FDG摄取未见明显异常。两肺见结节，FDG摄取增高。",
    "甲状腺形态、大小正常，FDG摄取未见异常。左肾FDG摄取缺失。",
    "肝左叶见低密度结节，FDG摄取较本底减低。脾脏FDG摄取未见异常。",
]
API_KEY = "test-key-1234"


def write_dataset(root: Path, n: int = 6, configs=("fused", "separate")) -> Path:
    """A folder in the `pet2rep build` layout. Every image differs; the CT slices of `separate` are grayscale."""
    import datasets
    from PIL import Image

    root.mkdir(parents=True, exist_ok=True)
    lines = ["---", "configs:"]
    for config in configs:
        count = prompts.NUM_IMAGES[config]
        rows = {"case_id": [], "images": [], "report": [], "report_en": []}
        for case in range(n):
            images = []
            for pos in range(count):
                colour = (10 * case + pos, 30 * pos % 256, 7 + case)
                image = Image.new("RGB", (24, 20), colour)
                image.putpixel((pos, case), (255, 255, 255))
                images.append(image.convert("L") if config == "separate" and pos % 2 == 0 else image)
            rows["case_id"].append(f"case_{case:03d}")
            rows["images"].append(images)
            rows["report"].append(REPORTS[case % len(REPORTS)])
            rows["report_en"].append("Normal FDG uptake." if case % 2 == 0 else None)
        features = datasets.Features(
            {
                "case_id": datasets.Value("string"),
                "images": datasets.List(datasets.Image()),
                "report": datasets.Value("string"),
                "report_en": datasets.Value("string"),
            }
        )
        (root / config).mkdir(exist_ok=True)
        ds = datasets.Dataset.from_dict(rows, features=features)
        ds.to_parquet(str(root / config / "test-00000-of-00001.parquet"))
        lines += [f"- config_name: {config}", "  data_files:", "  - split: test", f"    path: {config}/test-*.parquet"]
    (root / "README.md").write_text("\n".join([*lines, "---", "", "# tiny", ""]), encoding="utf-8")
    return root


class Server:
    """A `python -m pet2rep.testing serve` process."""

    def __init__(self, model_dir: Path, *args: str):
        command = [sys.executable, "-m", "pet2rep.testing", "serve", str(model_dir), "--port", "0", *args]
        env = {**os.environ, "TOKENIZERS_PARALLELISM": "false"}
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        deadline = time.monotonic() + 120
        line = ""
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if line.startswith("serving ") or not line:
                break
        if not line.startswith("serving "):
            self.process.kill()
            raise RuntimeError(f"the server did not start: {line!r} {self.process.stderr.read()[-3000:]}")
        self.model = line.split()[1]
        self.api_base = line.split()[-1]
        self.root = self.api_base.removesuffix("/v1")

    def _call(self, path: str, payload=None):
        data = None if payload is None else json.dumps(payload).encode()
        request = urllib.request.Request(self.root + path, data=data, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())

    def faults(self, rules: list[dict]) -> None:
        """Set the fault plan; an empty plan also clears the request log."""
        self._call("/_pet2rep/faults", rules)

    def log(self) -> list[dict]:
        return self._call("/_pet2rep/log")

    def stop(self) -> None:
        self.process.kill()
        self.process.wait(timeout=30)
        self.process.stdout.close()
        self.process.stderr.close()


@pytest.fixture(scope="session")
def tiny_vlm(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("models") / "tiny-vlm"
    done = subprocess.run(
        [sys.executable, "-m", "pet2rep.testing", "tiny-vlm", str(out)], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return out


@pytest.fixture(scope="session")
def dataset(tmp_path_factory) -> Path:
    return write_dataset(tmp_path_factory.mktemp("data") / "pet2rep")


@pytest.fixture(scope="session")
def server_process(tiny_vlm):
    server = Server(tiny_vlm, "--test-hooks", "--api-key", API_KEY)
    yield server
    server.stop()


@pytest.fixture
def server(server_process, monkeypatch):
    """The session's server with no faults and an empty log; its key in $PET2REP_TEST_KEY."""
    server_process.faults([])
    monkeypatch.setenv("PET2REP_TEST_KEY", API_KEY)
    yield server_process
    server_process.faults([])


@pytest.fixture(scope="session")
def server_factory():
    return Server
