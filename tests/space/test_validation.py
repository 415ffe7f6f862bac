"""Checks on a submission's fields and uploaded file."""

from __future__ import annotations

import pytest
from pet2rep_space.validation import (
    predictions_sha256,
    read_upload,
    validate_model_name,
    validate_model_url,
    validate_setting,
)

from pet2rep.errors import SubmissionError


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("  Qwen2.5-VL-7B ", "Qwen2.5-VL-7B"),
        ("<script>alert(1)</script>", "<script>alert(1)</script>"),  # kept as text, rendered as text
        ("医学模型 v2", "医学模型 v2"),
        ("x" * 100, "x" * 100),
    ],
)
def test_model_names_accepted(name, expected):
    assert validate_model_name(name) == expected


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "non-empty"),
        ("   ", "non-empty"),
        (None, "non-empty"),
        ("x" * 101, "at most 100 characters, got 101"),
        ("a\nb", "U+000A"),
        ("a\u202eb", "U+202E"),
    ],
)
def test_model_names_refused(name, message):
    with pytest.raises(SubmissionError, match="model name") as info:
        validate_model_name(name)
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://huggingface.co/org/model", "https://huggingface.co/org/model"),
        (" http://example.org/x?y=1 ", "http://example.org/x?y=1"),
        ("HTTPS://EXAMPLE.ORG", "HTTPS://EXAMPLE.ORG"),
        ("", ""),
        (None, ""),
    ],
)
def test_model_urls_accepted(url, expected):
    assert validate_model_url(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "ftp://example.org/model",
        "file:///etc/passwd",
        "huggingface.co/org/model",
        "https://",
        "https://exa mple.org",
        "https://example.org:99999/",
        "data:text/html,<script>alert(1)</script>",
        "https://e.org/" + "a" * 600,
    ],
)
def test_model_urls_refused(url):
    with pytest.raises(SubmissionError, match="model link"):
        validate_model_url(url)


def test_settings():
    assert [validate_setting(s) for s in ("separate", "fused", "mip")] == ["separate", "fused", "mip"]
    for bad in ("template", "FUSED", "", None):
        with pytest.raises(SubmissionError, match="expected one of fused, separate, mip"):
            validate_setting(bad)


def test_read_upload(tmp_path):
    ok = tmp_path / "p.jsonl"
    ok.write_bytes(b'{"case_id": "a", "report": "x"}\n')
    assert read_upload(ok, 100) == ok.read_bytes()
    with pytest.raises(SubmissionError, match=r"0\.00 MB is over the 1e-05 MB limit"):
        read_upload(ok, 10)
    with pytest.raises(SubmissionError, match="none was uploaded"):
        read_upload(None, 100)
    with pytest.raises(SubmissionError, match="could not be read"):
        read_upload(tmp_path / "gone.jsonl", 100)
    empty = tmp_path / "e.jsonl"
    empty.write_bytes(b"\n \n")
    with pytest.raises(SubmissionError, match="the file is empty"):
        read_upload(empty, 100)


def test_big_upload_message_names_the_sizes(tmp_path):
    big = tmp_path / "big.jsonl"
    big.write_bytes(b"x" * 2_500_000)
    with pytest.raises(SubmissionError, match=r"2\.50 MB is over the 1 MB limit"):
        read_upload(big, 1_000_000)


def test_predictions_hash_ignores_order():
    assert predictions_sha256({"a": "x", "b": "y"}) == predictions_sha256({"b": "y", "a": "x"})
    assert predictions_sha256({"a": "x"}) != predictions_sha256({"a": "x "})
