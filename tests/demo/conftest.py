"""The demo is a script of the repository (``demo/run_demo.py``), not an installed module: its folder on sys.path."""

from __future__ import annotations

import sys
from pathlib import Path

DEMO_DIR = Path(__file__).resolve().parents[2] / "demo"
if str(DEMO_DIR) not in sys.path:
    sys.path.append(str(DEMO_DIR))
