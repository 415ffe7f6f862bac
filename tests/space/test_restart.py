"""The Space as a separate process, killed (SIGKILL) during a burst of submissions and restarted:
no partial record is ever read, every submission that was answered is stored and shown again."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request

import pytest
from gradio_client import Client, handle_file

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::DeprecationWarning")]

REQUIRED_KEYS = {"id", "model_name", "setting", "submitted_at", "scores", "predictions_sha256", "user"}


def start_app(repo_root, env: dict, port: int, log_path):
    log = open(log_path, "ab")  # noqa: SIM115 - closed with the process below
    process = subprocess.Popen(
        [sys.executable, str(repo_root / "space" / "app.py")],
        cwd=repo_root,
        env={**env, "GRADIO_SERVER_PORT": str(port)},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    process.log = log
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the app exited with {process.returncode}: {log_path.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(url + "config", timeout=2) as response:
                return process, url, response.read().decode("utf-8")
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError(f"the app did not start: {log_path.read_text()[-2000:]}")


def stop(process) -> None:
    if process.poll() is None:
        process.kill()
    process.wait(timeout=30)
    process.log.close()


def table_models(config_text: str, elem_id: str = "leaderboard-table") -> list[str]:
    config = json.loads(config_text)
    table = next(c for c in config["components"] if c.get("props", {}).get("elem_id") == elem_id)
    return [row[0] for row in table["props"]["value"]["data"]]


def read_records(records_dir) -> dict[str, dict]:
    """Every record file, each of which must parse completely; hidden temp files are the only other files."""
    records = {}
    for path in records_dir.iterdir():
        if path.name.startswith("."):
            assert path.name.endswith(".tmp"), path.name
            continue
        record = json.loads(path.read_text(encoding="utf-8"))
        assert set(record) >= REQUIRED_KEYS, path.name
        records[record["model_name"]] = record
    return records


def test_kill_during_a_submission_burst_then_restart(
    tmp_path, repo_root, references, dataset_folder_writer, predictions_for, jsonl_writer, leak_scanner, port_factory
):
    refs = dataset_folder_writer(tmp_path / "refs", references)
    records_dir = tmp_path / "data" / "submissions"
    env = {
        **os.environ,
        "PET2REP_DATA_DIR": str(tmp_path / "data"),
        "PET2REP_REFERENCES": str(refs),
        "PET2REP_QUOTA_PER_DAY": "0",
        "PET2REP_QUOTA_MIN_GAP_S": "0",
        "PET2REP_RATE_PER_HOUR": "0",
        "GRADIO_ANALYTICS_ENABLED": "False",
        "HF_HUB_OFFLINE": "1",
    }
    log_path = tmp_path / "app.log"
    process, url, _ = start_app(repo_root, env, port_factory(), log_path)
    try:
        files = [jsonl_writer(tmp_path / f"p{i}.jsonl", predictions_for(references, seed=200 + i)) for i in range(12)]
        client = Client(url, verbose=False, analytics_enabled=False)
        answered: list[str] = []

        def send(i):
            name = f"burst-{i:02d}"
            try:
                client.predict(name, "", "fused", handle_file(str(files[i])), api_name="/submit")
            except Exception:  # the server was killed under this request: it may or may not have been stored
                return
            answered.append(name)

        threads = [threading.Thread(target=send, args=(i,), daemon=True) for i in range(len(files))]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 60
        while len(answered) < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        for t in threads:
            t.join(timeout=30)
    finally:
        stop(process)

    assert len(answered) >= 3, log_path.read_text()[-2000:]
    assert len(answered) < len(files), "the kill came after the whole burst; nothing was interrupted"
    stored = read_records(records_dir)
    assert set(answered) <= set(stored)

    process, _, config_text = start_app(repo_root, env, port_factory(), log_path)
    try:
        shown = table_models(config_text)
        published = table_models(config_text, "published-table")
    finally:
        stop(process)
    assert not [p.name for p in records_dir.iterdir() if p.name.startswith(".")]  # leftovers cleaned
    assert read_records(records_dir) == stored
    burst_rows = sorted(m for m in shown if m.startswith("burst-"))
    assert burst_rows == sorted(stored)  # every stored record shown once, nothing else
    assert "Template Baseline" in published and "Template Baseline" not in shown  # the paper's rows apart
    assert leak_scanner(config_text) == []
