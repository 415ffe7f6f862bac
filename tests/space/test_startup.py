"""Starting the Space (``python space/app.py``, what ``make space`` runs) where it cannot work: one
``space: error: ...`` line and a non-zero exit, never a traceback (issue 12). A read-only data folder is not such a
case: the board is served."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow


def run_app(repo_root, env: dict, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(repo_root / "space" / "app.py")],
        cwd=repo_root,
        env={**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1", **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("space: error:") or "Traceback" in line]


def test_a_data_folder_that_is_a_file_is_one_error_line(tmp_path, repo_root):
    (tmp_path / "data").write_text("not a folder")
    done = run_app(repo_root, {"PET2REP_DATA_DIR": str(tmp_path / "data")})
    assert done.returncode == 1
    expected = f"space: error: data folder {tmp_path / 'data'}: expected a folder, found a file"
    assert error_lines(done.stderr) == [expected], done.stderr[-2000:]
    assert done.stderr.strip().splitlines()[-1].startswith("space: error:")


def test_a_busy_port_is_one_error_line(tmp_path, repo_root):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = run_app(repo_root, {"PET2REP_DATA_DIR": str(tmp_path / "data"), "GRADIO_SERVER_PORT": str(port)})
    assert done.returncode == 1
    assert error_lines(done.stderr) == [
        f"space: error: port {port} on 127.0.0.1 is in use (another Space or `make space` running?); stop it or set "
        "GRADIO_SERVER_PORT to a free port"
    ], done.stderr[-2000:]
