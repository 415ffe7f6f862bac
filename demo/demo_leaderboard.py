"""The demo's runs recorded in the leaderboard store of ``make space``, through the Space's own service layer."""

from __future__ import annotations

import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def record_runs(models: dict[str, dict], store: Path, dataset: Path, predictions_dir: Path) -> dict[str, str]:
    """Step 5b: both runs into the leaderboard store of ``make space``, through the Space's service layer."""
    space_dir = REPO_ROOT / "space"
    if not (space_dir / "pet2rep_space").is_dir():
        return dict.fromkeys(models, f"not recorded: the Space's code ({space_dir}) is missing from this checkout")
    # ``pet2rep_space`` is the Space's own package, run from its folder (``python space/app.py``), not installed:
    # put that folder on sys.path, last, so that it cannot shadow anything installed.
    if str(space_dir) not in sys.path:
        sys.path.append(str(space_dir))
    from pet2rep_space.config import SpaceConfig
    from pet2rep_space.quota import DuplicateSubmissionError, QuotaError
    from pet2rep_space.references import read_references
    from pet2rep_space.service import LeaderboardService
    from pet2rep_space.store import SubmissionStore

    config = SpaceConfig(data_dir=store, references=dataset)
    service = LeaderboardService(config, SubmissionStore(config.data_dir), read_references(dataset))
    status = {}
    for key, model in models.items():
        path = predictions_dir / f"{key}.jsonl"
        try:
            record = service.submit(model["name"], "", model["setting"], path)
        except DuplicateSubmissionError:
            status[key] = "already recorded (the same predictions for the same setting)"
        except QuotaError as e:
            status[key] = f"not recorded: {e}"
        else:
            status[key] = f"recorded as {record['id']}"
    return status
