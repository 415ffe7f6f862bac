"""``make demo`` runs ``python demo/run_demo.py``: the script finds its helpers from any working directory."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

RUN_DEMO = Path(__file__).resolve().parents[2] / "demo" / "run_demo.py"


def test_the_script_runs_from_another_folder(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(RUN_DEMO.parents[1] / "src")}
    args = [sys.executable, str(RUN_DEMO), "--n", "0", "--data", "d", "--dataset", "ds", "--out", "o", "--store", "s"]
    result = subprocess.run(args, capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120, check=False)
    assert result.returncode == 1, result.stderr
    assert result.stderr.strip().splitlines()[-1] == "demo: error: --n must be >= 1, got 0"
    assert list(tmp_path.iterdir()) == []


def test_the_help_names_the_script():
    env = {**os.environ, "PYTHONPATH": str(RUN_DEMO.parents[1] / "src")}
    args = [sys.executable, str(RUN_DEMO), "--help"]
    result = subprocess.run(args, capture_output=True, text=True, env=env, timeout=120, check=False)
    assert result.returncode == 0
    assert result.stdout.startswith("usage: python demo/run_demo.py")
