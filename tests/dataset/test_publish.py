"""``pet2rep publish``: everything up to the network call, and what a user sees offline, without a token or network."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys

import httpx
import huggingface_hub
import pytest
from huggingface_hub import constants
from huggingface_hub.errors import HfHubHTTPError

from pet2rep.cli import main
from pet2rep.dataset.publish import publish
from pet2rep.errors import HubError, InputError, MissingFileError


class FakeApi:
    """Records the calls publish makes instead of reaching the Hub."""

    calls: list = []  # noqa: RUF012 - shared record of one test
    fail_with: BaseException | None = None

    def __init__(self, endpoint=None, token=None):
        FakeApi.calls.append(("init", {"endpoint": endpoint, "token": token}))

    def create_repo(self, repo_id, **kwargs):
        FakeApi.calls.append(("create_repo", {"repo_id": repo_id, **kwargs}))
        if FakeApi.fail_with is not None:
            raise FakeApi.fail_with
        return huggingface_hub.RepoUrl(f"https://hub.example/datasets/{repo_id}", endpoint="https://hub.example")

    def upload_folder(self, **kwargs):
        FakeApi.calls.append(("upload_folder", kwargs))


@pytest.fixture
def fake_hub(monkeypatch):
    FakeApi.calls = []
    FakeApi.fail_with = None
    monkeypatch.setattr(huggingface_hub, "HfApi", FakeApi)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    return FakeApi


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens there once the socket is closed


def run_cli(args: list[str], env_extra: dict, tmp_path) -> subprocess.CompletedProcess:
    import os

    env = {
        k: v for k, v in os.environ.items() if k not in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "TRANSFORMERS_OFFLINE")
    }
    env.update({"HF_HOME": str(tmp_path / "hf_home"), "HF_HUB_OFFLINE": "0", "HF_HUB_DISABLE_TELEMETRY": "1"})
    env.update(env_extra)
    return subprocess.run(
        [sys.executable, "-m", "pet2rep", *args], env=env, capture_output=True, text=True, timeout=120
    )


def test_publish_uploads_readme_and_parquet_with_create_repo(built, fake_hub):
    url = publish(built.out, "my-lab/pet2rep", private=True, token="hf_test")
    assert url == "https://hub.example/datasets/my-lab/pet2rep"
    names = [name for name, _ in fake_hub.calls]
    assert names == ["init", "create_repo", "upload_folder"]
    assert fake_hub.calls[0][1]["token"] == "hf_test"
    assert fake_hub.calls[1][1] == {
        "repo_id": "my-lab/pet2rep",
        "repo_type": "dataset",
        "private": True,
        "exist_ok": True,
    }
    upload = fake_hub.calls[2][1]
    assert upload["folder_path"] == str(built.out) and upload["repo_type"] == "dataset"
    assert upload["allow_patterns"] == ["README.md", "*/*.parquet"]
    assert "pet2rep" in upload["commit_message"]


def test_cli_publish_uses_the_environment_token_and_prints_the_url(built, fake_hub, monkeypatch, capsys):
    monkeypatch.setenv("HF_TOKEN", "hf_env")
    assert main(["publish", str(built.out), "--repo-id", "org/pet2rep"]) == 0
    out = capsys.readouterr().out
    assert "uploaded" in out and "https://hub.example/datasets/org/pet2rep" in out
    assert fake_hub.calls[1][1]["private"] is False and fake_hub.calls[0][1]["token"] == "hf_env"


def test_hub_refusal_is_explained(built, fake_hub):
    request = httpx.Request("POST", "https://hub.example/api/repos/create")
    fake_hub.fail_with = HfHubHTTPError("Forbidden", response=httpx.Response(403, request=request))
    with pytest.raises(HubError, match=r"refused to publish 'org/pet2rep' \(403: the token may not write"):
        publish(built.out, "org/pet2rep", token="hf_test")


def test_offline_mode_is_refused_before_any_network_call(built, monkeypatch, capsys):
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    assert main(["publish", str(built.out), "--repo-id", "org/pet2rep"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("pet2rep publish: error: HF_HUB_OFFLINE is set: publishing needs the network")


def test_no_token_message(built, tmp_path):
    proc = run_cli(
        ["publish", str(built.out), "--repo-id", "org/pet2rep"],
        {"HF_ENDPOINT": f"http://127.0.0.1:{closed_port()}"},
        tmp_path,
    )
    assert proc.returncode == 1
    assert "pet2rep publish: error: no Hugging Face token: log in with `hf auth login` or set HF_TOKEN" in proc.stderr


def test_no_network_message(built, tmp_path):
    endpoint = f"http://127.0.0.1:{closed_port()}"
    proc = run_cli(
        ["publish", str(built.out), "--repo-id", "org/pet2rep"],
        {"HF_ENDPOINT": endpoint, "HF_TOKEN": "hf_not_a_real_token"},
        tmp_path,
    )
    assert proc.returncode == 1, proc.stderr
    assert f"pet2rep publish: error: cannot reach the Hugging Face Hub at {endpoint} to publish 'org/pet2rep'" in (
        proc.stderr
    )
    assert "Traceback" not in proc.stderr


def test_bad_repo_id_and_folders_are_refused(built, tmp_path, fake_hub):
    with pytest.raises(InputError, match="--repo-id must look like 'org/name'"):
        publish(built.out, "pet2rep", token="hf_test")
    with pytest.raises(MissingFileError, match="dataset folder not found"):
        publish(tmp_path / "nope", "org/pet2rep", token="hf_test")
    (tmp_path / "empty").mkdir()
    with pytest.raises(MissingFileError, match=r"README\.md not found"):
        publish(tmp_path / "empty", "org/pet2rep", token="hf_test")
    edited = tmp_path / "edited"
    shutil.copytree(built.out, edited)
    (edited / "mip" / "test-00000-of-00001.parquet").unlink()
    with pytest.raises(InputError, match=r"config\(s\) mip have no parquet files"):
        publish(edited, "org/pet2rep", token="hf_test")
    shutil.copy(built.out / "fused" / "test-00000-of-00001.parquet", edited / "mip" / "test-00000-of-00001.parquet")
    with pytest.raises(InputError, match="do not match the card's content hash"):
        publish(edited, "org/pet2rep", token="hf_test")
    assert [name for name, _ in fake_hub.calls] == []  # nothing reached the (fake) Hub
