"""Settings of the Space, read from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest
from pet2rep_space.config import load_config

from pet2rep.errors import InputError, Pet2RepError


def test_defaults_run_offline_locally():
    config = load_config({})
    assert config.data_dir == Path("space_data")
    assert config.references is None and config.references_repo is None
    assert config.hf_token is None and not config.mirror_enabled
    assert not config.on_spaces
    assert config.server_name == "127.0.0.1" and config.server_port == 7860
    assert config.quota_per_day == 5 and config.quota_min_gap_s == 60.0
    assert config.max_upload_bytes == 5_000_000
    assert config.lang == "auto"


def test_every_variable_is_read(tmp_path):
    env = {
        "PET2REP_DATA_DIR": str(tmp_path / "d"),
        "PET2REP_REFERENCES": str(tmp_path / "refs.jsonl"),
        "PET2REP_REFERENCES_REPO": "org/private-refs",
        "PET2REP_REFERENCES_CACHE": str(tmp_path / "cache"),
        "HF_TOKEN": "hf_secret",
        "PET2REP_RESULTS_REPO": "org/results",
        "PET2REP_QUOTA_PER_DAY": "2",
        "PET2REP_QUOTA_MIN_GAP_S": "0",
        "PET2REP_MAX_UPLOAD_MB": "0.5",
        "PET2REP_LANG": "zh",
        "PET2REP_SUBMIT_CONCURRENCY": "3",
        "GRADIO_SERVER_PORT": "7999",
        "SYSTEM": "spaces",
    }
    config = load_config(env)
    assert config.data_dir == tmp_path / "d"
    assert config.references == tmp_path / "refs.jsonl"
    assert config.references_repo == "org/private-refs"
    assert config.references_cache_dir == tmp_path / "cache"
    assert config.hf_token == "hf_secret" and config.mirror_enabled
    assert config.results_repo == "org/results"
    assert (config.quota_per_day, config.quota_min_gap_s) == (2, 0.0)
    assert config.max_upload_bytes == 500_000
    assert config.lang == "zh" and config.submit_concurrency == 3
    assert config.on_spaces and config.server_name == "0.0.0.0" and config.server_port == 7999
    # The token never shows up in a repr (logs, error pages).
    assert "hf_secret" not in repr(config)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PET2REP_QUOTA_PER_DAY", "many"),
        ("PET2REP_QUOTA_PER_DAY", "-1"),
        ("PET2REP_QUOTA_PER_DAY", "1.5"),
        ("PET2REP_QUOTA_MIN_GAP_S", "nan"),
        ("PET2REP_MAX_UPLOAD_MB", "0"),
        ("PET2REP_MAX_UPLOAD_MB", "inf"),
        ("GRADIO_SERVER_PORT", "http"),
        ("GRADIO_SERVER_PORT", "70000"),
        ("PET2REP_LANG", "fr"),
        ("PET2REP_RESULTS_REPO", "not a repo"),
        ("PET2REP_REFERENCES_REPO", "https://huggingface.co/datasets/x/y"),
    ],
)
def test_bad_values_name_the_variable(name, value):
    with pytest.raises(InputError) as info:
        load_config({name: value})
    assert name in str(info.value) and repr(value) in str(info.value)
    assert isinstance(info.value, (Pet2RepError, ValueError))


def test_the_app_stops_with_the_variable_named(space_app, monkeypatch):
    monkeypatch.setenv("PET2REP_QUOTA_PER_DAY", "many")
    with pytest.raises(SystemExit) as info:
        space_app.main()
    assert (
        info.value.code
        == "space: error: environment variable PET2REP_QUOTA_PER_DAY should be an integer >= 0, got 'many'"
    )
