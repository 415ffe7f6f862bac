"""``pet2rep-lighteval`` with a mistyped ``PET2REP_DATASET`` (issue 12): it exits non-zero WITH the reason.

``data/pet2rp`` looks like a Hub id (``org/name``), so the preflight lets it through; the task file then fails to
load it and exits with a message, which ``main`` used to swallow (it kept only the exit status)."""

from __future__ import annotations

import pytest

from pet2rep import lighteval as glue
from pet2rep.dataset import load
from pet2rep.lighteval import launcher

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore")]


def test_a_mistyped_dataset_exits_with_a_message(tmp_path, monkeypatch, capsys, repo_root):
    pytest.importorskip("lighteval")
    import nltk
    import requests

    # main() patches these two for lighteval's registry import: restored after the test, as other tests expect.
    monkeypatch.setattr(nltk, "download", nltk.download)
    monkeypatch.setattr(requests, "get", requests.get)
    (tmp_path / "data" / "pet2rep").mkdir(parents=True)  # the folder meant
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(load.DATASET_ENV, "data/pet2rp")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    args = ["accelerate", "model_name=x", "pet2rep:fused|0", "--vision-model"]
    code = glue.main([*args, "--custom-tasks", str(repo_root / "tasks" / "pet2rep.py")])
    err = capsys.readouterr().err
    assert code == 1
    assert "pet2rep: error: task pet2rep:fused: dataset 'data/pet2rp' is neither a local folder nor a Hub" in err


def test_a_string_exit_is_printed_not_swallowed(monkeypatch, capsys):
    import lighteval.__main__

    def app(args, prog_name):
        raise SystemExit("pet2rep: error: something went wrong")

    monkeypatch.setattr(lighteval.__main__, "app", app)
    monkeypatch.setattr(launcher, "skip_tiny_benchmarks_download", lambda: None)
    monkeypatch.setattr(launcher, "skip_nltk_downloads_offline", lambda: None)
    assert glue.main(["tasks", "list"]) == 1
    assert capsys.readouterr().err == "pet2rep: error: something went wrong\n"
