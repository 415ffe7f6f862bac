"""The app as it runs on Hugging Face Spaces (``SYSTEM=spaces``): a login button, submissions refused without a
login, quotas per Hub user. The Hub's OAuth provider is never called: the session cookie a login would set is
signed here with the app's session secret."""

from __future__ import annotations

import base64
import hashlib
import json
import time
import urllib.request

import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from pet2rep_space.config import load_config
from pet2rep_space.service import LeaderboardService

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

CLIENT_SECRET = "test-oauth-secret"


@pytest.fixture
def spaces_env(monkeypatch):
    pytest.importorskip("authlib", reason="gradio[oauth] (the space extra) is needed for the login button")
    import gradio.oauth

    monkeypatch.setenv("SYSTEM", "spaces")
    monkeypatch.setenv("SPACE_ID", "pet2rep/leaderboard")
    # On a Space, gradio's server also starts a hot-reload watcher that needs the `spaces` package the Space runtime
    # provides (its thread dies with "`spaces` package is required"); the watcher is not what this test is about.
    import gradio.http_server

    monkeypatch.setattr(gradio.http_server, "get_space", lambda: None)
    for name, value in {
        "OAUTH_CLIENT_ID": "test-client",
        "OAUTH_CLIENT_SECRET": CLIENT_SECRET,
        "OAUTH_SCOPES": "openid profile",
        "OPENID_PROVIDER_URL": "http://127.0.0.1:9",  # never reached: nobody logs in through it here
    }.items():
        monkeypatch.setattr(gradio.oauth, name, value)


def session_cookie(username: str) -> str:
    """The cookie Starlette's SessionMiddleware would hold after a Hugging Face login (gradio's secret scheme)."""
    import itsdangerous

    secret = hashlib.sha256((CLIENT_SECRET + "-v4").encode()).hexdigest()
    session = {
        "oauth_info": {
            "access_token": "hf_oauth_test",
            "expires_at": int(time.time()) + 3600,
            "userinfo": {"preferred_username": username, "name": username, "picture": "", "profile": ""},
        }
    }
    payload = base64.b64encode(json.dumps(session).encode("utf-8"))
    return "session=" + itsdangerous.TimestampSigner(secret).sign(payload).decode("utf-8")


def test_login_is_required_and_quotas_count_per_user(
    spaces_env, tmp_path, references_dir, references, predictions_for, jsonl_writer, launch_space
):
    config = load_config(
        {
            "SYSTEM": "spaces",
            "GRADIO_SERVER_NAME": "127.0.0.1",
            "PET2REP_DATA_DIR": str(tmp_path / "data"),
            "PET2REP_REFERENCES": str(references_dir),
            "PET2REP_QUOTA_PER_DAY": "1",
            "PET2REP_QUOTA_MIN_GAP_S": "0",
        }
    )
    service = LeaderboardService.from_config(config)
    url = launch_space(service)
    with urllib.request.urlopen(url + "config", timeout=10) as response:
        app_config = json.load(response)
    buttons = [c["props"].get("value") for c in app_config["components"] if c.get("type") == "button"]
    assert "Sign in with Hugging Face" in buttons

    anonymous = Client(url, verbose=False, analytics_enabled=False)
    params = anonymous.view_api(print_info=False, return_format="dict")["named_endpoints"]["/submit"]["parameters"]
    assert [p["parameter_name"] for p in params] == ["model_name", "model_url", "setting", "predictions_file"]
    first = jsonl_writer(tmp_path / "a.jsonl", predictions_for(references, seed=31))
    with pytest.raises(AppError, match="sign in with Hugging Face"):
        anonymous.predict("m", "", "fused", handle_file(str(first)), api_name="/submit")
    assert service.records() == []

    alice = Client(url, verbose=False, analytics_enabled=False, headers={"Cookie": session_cookie("alice")})
    message, _ = alice.predict("m", "", "fused", handle_file(str(first)), api_name="/submit")
    assert message.startswith("Accepted: 'm'")
    assert [r["user"] for r in service.records()] == ["hf:alice"]
    # Another model name does not escape alice's quota; another user has their own.
    second = jsonl_writer(tmp_path / "b.jsonl", predictions_for(references, seed=32))
    with pytest.raises(AppError, match="per user 'alice' reached"):
        alice.predict("other name", "", "fused", handle_file(str(second)), api_name="/submit")
    bob = Client(url, verbose=False, analytics_enabled=False, headers={"Cookie": session_cookie("bob")})
    bob.predict("other name", "", "fused", handle_file(str(second)), api_name="/submit")
    assert sorted(r["user"] for r in service.records()) == ["hf:alice", "hf:bob"]
