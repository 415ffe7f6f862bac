"""``pet2rep publish --metric ORG/pet2rep_ce``: the evaluate module as a Hub Space (issue 13).

The dry run's folder is checked end to end in an environment without an installed pet2rep (its dependencies only,
:mod:`pet2rep.testing.extras_env`): its ``pet2rep_ce.py`` loads with ``evaluate.load(<folder>/pet2rep_ce.py)`` on
the vendored source and gives the installed module's numbers, and ``app.py`` imports and builds its interface
without launching. The push goes to a fake ``HfApi``; the Hub is unreachable here.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import huggingface_hub
import pytest
import tomllib
from huggingface_hub import constants
from packaging.requirements import Requirement

from pet2rep.cli import main
from pet2rep.errors import HubError, InputError
from pet2rep.metric_space import MANIFEST, publish_metric, write_metric_space
from pet2rep.testing.extras_env import make_extras_env

PREDICTIONS = ["肝脏FDG摄取增高。", "双肺FDG摄取未见异常。", "Increased FDG uptake in the liver."]
REFERENCES = [
    "肝脏FDG摄取增高，脾脏FDG摄取减低。",
    "右肺下叶结节FDG摄取增高。",
    "The liver shows increased FDG uptake.",
]

ON_THE_SPACE = """
import json, sys
from pathlib import Path
import evaluate
import pet2rep
module = evaluate.load(str(Path("pet2rep_ce.py").resolve()))
result = module.compute(predictions=json.loads(sys.argv[1]), references=json.loads(sys.argv[2]), include_nlg=True,
                        bootstrap=50, seed=3)
import app  # builds the widget; launching is under `if __name__ == "__main__"`
lines = ["\\n".join(json.loads(arg)) for arg in sys.argv[1:3]]
widget = json.loads(app.compute(*lines, "auto", True))
print(json.dumps({"pet2rep": pet2rep.__file__, "result": result, "widget_ce_f1": widget["ce_f1"],
                  "interface": type(app.demo).__name__}, ensure_ascii=False))
"""


@pytest.fixture(scope="module")
def space(tmp_path_factory):
    out = tmp_path_factory.mktemp("metric") / "space"
    assert main(["publish", "--metric", "my-lab/pet2rep_ce", "--dry-run", "--out", str(out)]) == 0
    return out


def test_the_dry_run_writes_the_space_folder(space, repo_root, capsys):
    assert main(["publish", "--metric", "my-lab/pet2rep_ce", "--dry-run", "--out", str(space)]) == 0  # replaces it
    printed = capsys.readouterr().out
    assert f"wrote the Space folder for my-lab/pet2rep_ce to {space} (nothing uploaded)" in printed
    assert "evaluate.load('my-lab/pet2rep_ce')" in printed
    for name in ("pet2rep_ce.py", "app.py", "README.md"):
        assert (space / name).read_bytes() == (repo_root / "metrics" / "pet2rep_ce" / name).read_bytes(), name
    assert (space / "pet2rep" / "metrics.py").read_bytes() == (
        repo_root / "src" / "pet2rep" / "metrics.py"
    ).read_bytes()
    assert not list(space.rglob("__pycache__"))
    manifest = json.loads((space / MANIFEST).read_text(encoding="utf-8"))
    assert set(manifest) == {p.relative_to(space).as_posix() for p in space.rglob("*") if p.is_file()} - {MANIFEST}

    card = (space / "README.md").read_text(encoding="utf-8")
    header = card.split("---")[1]
    assert re.search(r"^sdk: gradio$", header, flags=re.M) and re.search(r"^app_file: app.py$", header, flags=re.M)
    assert re.search(r"^- evaluate$", header, flags=re.M) and re.search(r"^- metric$", header, flags=re.M)

    # requirements: pet2rep's own dependencies and its hf + metric extras, with pyproject's bounds
    project = tomllib.loads((repo_root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = [*project["dependencies"], *project["optional-dependencies"]["hf"]]
    declared += [r for r in project["optional-dependencies"]["metric"] if not r.startswith("pet2rep")]
    lines = [line for line in (space / "requirements.txt").read_text(encoding="utf-8").splitlines() if line[:1] != "#"]
    as_set = lambda reqs: {(Requirement(r).name.lower(), Requirement(r).specifier) for r in reqs}  # noqa: E731
    assert len(lines) == len(declared) and as_set(lines) == as_set(declared)
    assert "evaluate==0.4.6" in lines and not any(line.startswith("pet2rep") for line in lines)


def test_a_non_empty_folder_that_is_no_earlier_space_is_refused(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    assert main(["publish", "--metric", "my-lab/pet2rep_ce", "--dry-run", "--out", str(tmp_path)]) == 1
    assert "is not empty and holds no earlier metric Space" in capsys.readouterr().err
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "mine"


@pytest.mark.slow
def test_the_space_runs_on_its_vendored_source_with_the_installed_numbers(space, tmp_path, repo_root):
    pytest.importorskip("evaluate")
    pytest.importorskip("gradio")
    python = make_extras_env(tmp_path / "env", ["hf", "metric", "space"], include_project=False)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["HF_MODULES_CACHE"] = str(tmp_path / "modules")
    assert subprocess.run([python, "-c", "import pet2rep"], env=env, capture_output=True).returncode != 0
    args = [python, "-c", ON_THE_SPACE, json.dumps(PREDICTIONS), json.dumps(REFERENCES)]
    out = subprocess.run(args, cwd=space, env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    on_space = json.loads(out.stdout.strip().splitlines()[-1])
    assert Path(on_space["pet2rep"]).resolve().is_relative_to(space.resolve())
    assert on_space["interface"] == "Interface"

    import evaluate

    installed = evaluate.load(str(repo_root / "metrics" / "pet2rep_ce")).compute(
        predictions=PREDICTIONS, references=REFERENCES, include_nlg=True, bootstrap=50, seed=3
    )
    assert on_space["result"] == json.loads(json.dumps(installed))
    assert on_space["widget_ce_f1"] == pytest.approx(installed["ce_f1"]) and 0 < installed["ce_f1"] < 1


class FakeApi:
    """Records the calls instead of reaching the Hub, and the files of the folder at upload time."""

    calls: list = []  # noqa: RUF012 - shared record of one test

    def __init__(self, endpoint=None, token=None):
        FakeApi.calls.append(("init", {"endpoint": endpoint, "token": token}))

    def create_repo(self, repo_id, **kwargs):
        FakeApi.calls.append(("create_repo", {"repo_id": repo_id, **kwargs}))
        return huggingface_hub.RepoUrl(f"https://hub.example/spaces/{repo_id}", endpoint="https://hub.example")

    def upload_folder(self, **kwargs):
        root = Path(kwargs["folder_path"])
        files = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
        FakeApi.calls.append(("upload_folder", {**kwargs, "files": files}))


@pytest.fixture
def fake_hub(monkeypatch):
    FakeApi.calls = []
    monkeypatch.setattr(huggingface_hub, "HfApi", FakeApi)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    return FakeApi


def test_the_push_creates_a_gradio_space_and_uploads_the_folder(fake_hub, tmp_path):
    url = publish_metric("my-lab/pet2rep_ce", private=True, token="hf_test")
    assert url == "https://hub.example/spaces/my-lab/pet2rep_ce"
    assert [name for name, _ in fake_hub.calls] == ["init", "create_repo", "upload_folder"]
    assert fake_hub.calls[0][1]["token"] == "hf_test"
    assert fake_hub.calls[1][1] == {
        "repo_id": "my-lab/pet2rep_ce",
        "repo_type": "space",
        "space_sdk": "gradio",
        "private": True,
        "exist_ok": True,
    }
    upload = fake_hub.calls[2][1]
    assert upload["repo_id"] == "my-lab/pet2rep_ce" and upload["repo_type"] == "space"
    assert "allow_patterns" not in upload and "pet2rep_ce" in upload["commit_message"]
    expected = write_metric_space(tmp_path / "expected", "my-lab/pet2rep_ce")
    assert upload["files"] == expected
    assert {"pet2rep_ce.py", "app.py", "README.md", "requirements.txt", "pet2rep/metrics.py"} <= set(upload["files"])
    assert not Path(upload["folder_path"]).exists()  # the temporary folder is gone


def test_the_cli_push_prints_the_space(fake_hub, monkeypatch, capsys):
    monkeypatch.setenv("HF_TOKEN", "hf_env")
    assert main(["publish", "--metric", "org/pet2rep_ce"]) == 0
    out = capsys.readouterr().out
    assert "uploaded the pet2rep_ce evaluate module to https://hub.example/spaces/org/pet2rep_ce" in out
    assert fake_hub.calls[1][1]["private"] is False and fake_hub.calls[0][1]["token"] == "hf_env"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_no_token_is_one_line_saying_how_to_log_in(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN")}
    env.update(
        {
            "HF_HOME": str(tmp_path / "hf_home"),
            "HF_HUB_OFFLINE": "0",
            "HF_ENDPOINT": f"http://127.0.0.1:{_closed_port()}",
        }
    )
    proc = subprocess.run(
        [sys.executable, "-m", "pet2rep", "publish", "--metric", "org/pet2rep_ce"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [
        "pet2rep publish: error: no Hugging Face token: log in with `hf auth login` or set HF_TOKEN (a token with "
        "write access to 'org') before publishing"
    ]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--metric", "pet2rep_ce"], "--metric must look like 'org/name' (e.g. my-lab/pet2rep_ce), got 'pet2rep_ce'"),
        (["--metric", "a/b/c"], "--metric must look like 'org/name'"),
        (["data/pet2rep", "--metric", "org/x"], "--metric publishes the evaluate module, not a dataset"),
        (["data/pet2rep", "--dry-run", "--repo-id", "org/x"], "--dry-run applies to --metric only"),
        (["data/pet2rep"], "expected FOLDER --repo-id ORG/NAME (a dataset) or --metric ORG/NAME"),
    ],
)
def test_bad_arguments_are_one_line(argv, message, fake_hub, capsys):
    assert main(["publish", *argv]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0], err
    assert fake_hub.calls == []


def test_offline_mode_is_refused(monkeypatch):
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(HubError, match="HF_HUB_OFFLINE is set: publishing needs the network"):
        publish_metric("org/pet2rep_ce", token="hf_test")
    with pytest.raises(InputError, match="--metric must look like"):
        publish_metric("nope", token="hf_test")
