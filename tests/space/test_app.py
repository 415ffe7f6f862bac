"""The Space launched in-process on 127.0.0.1 and driven through its public API with gradio_client."""

from __future__ import annotations

import json
import re
import threading
import urllib.request
from pathlib import Path

import httpx
import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from pet2rep_space import leaderboard as lb
from pet2rep_space.config import load_config
from pet2rep_space.service import LeaderboardService

from pet2rep.metrics import score
from pet2rep.reports import align

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

MAX_UPLOAD_MB = 0.2


@pytest.fixture(scope="module")
def space(tmp_path_factory, references, dataset_folder_writer, launch_space, leak_scanner):
    """A running app on a fresh data dir (no quota limits: every test uses its own model names)."""
    root = tmp_path_factory.mktemp("space")
    refs = dataset_folder_writer(root / "refs", references)
    config = load_config(
        {
            "PET2REP_DATA_DIR": str(root / "data"),
            "PET2REP_REFERENCES": str(refs),
            "PET2REP_QUOTA_PER_DAY": "0",
            "PET2REP_QUOTA_MIN_GAP_S": "0",
            "PET2REP_RATE_PER_HOUR": "0",
            "PET2REP_QUEUE_SIZE": "64",
            "PET2REP_MAX_UPLOAD_MB": str(MAX_UPLOAD_MB),
        }
    )
    service = LeaderboardService.from_config(config)
    url = launch_space(service)
    client = Client(url, verbose=False, analytics_enabled=False)
    return {"url": url, "service": service, "client": client, "root": root, "scan": leak_scanner}


@pytest.fixture
def upload(tmp_path, jsonl_writer):
    def write(content: dict | bytes | str, name: str = "predictions.jsonl"):
        path = tmp_path / name
        if isinstance(content, dict):
            return handle_file(str(jsonl_writer(path, content)))
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
        return handle_file(str(path))

    return write


def submit(space, *args):
    """Call /submit; every answer, result or error, is scanned for reference text first."""
    try:
        result = space["client"].predict(*args, api_name="/submit")
    except Exception as e:
        assert space["scan"](str(e)) == [], "reference text in an error message"
        raise
    assert space["scan"](json.dumps(result, ensure_ascii=False)) == [], "reference text in a /submit answer"
    return result


def rows_by_model(table: dict) -> dict[str, dict]:
    return {row[0]: dict(zip(table["headers"], row, strict=True)) for row in table["data"]}


def test_only_submit_is_public(space):
    api = space["client"].view_api(print_info=False, return_format="dict")
    assert list(api["named_endpoints"]) == ["/submit"]
    assert api["unnamed_endpoints"] == {}
    params = [p["parameter_name"] for p in api["named_endpoints"]["/submit"]["parameters"]]
    assert params == ["model_name", "model_url", "setting", "predictions_file"]


def test_valid_submission_scores_equal_pet2rep_metrics(space, references, predictions_for, upload, leak_scanner):
    predictions = predictions_for(references, seed=11)
    message, table = submit(space, "Valid-Model", "https://huggingface.co/org/valid", "separate", upload(predictions))
    # Scored on the same files: the uploaded predictions aligned with the references as loaded.
    _, aligned_predictions, aligned_references = align(predictions, space["service"].references.reports)
    expected = score(aligned_predictions, aligned_references)
    record = next(r for r in space["service"].records() if r["model_name"] == "Valid-Model")
    for key in ("bleu_1", "bleu_2", "bleu_3", "bleu_4", "meteor", "rouge_l", "ce_precision", "ce_recall", "ce_f1"):
        assert record["scores"][key] == expected[key], key
    assert message.startswith("Accepted: 'Valid-Model' (separate, 12 cases).")
    row = rows_by_model(table)["Valid-Model"]
    # Rounded to the precision shown, never more (no oracle on the references).
    for metric, column in lb.METRIC_COLUMNS.items():
        assert row[column] == round(expected[metric], 4), column
    assert row[lb.COL_OVERALL] == round(lb.overall_pct(expected), 1)
    assert row[lb.COL_TEST_SET] == lb.test_set_cell(space["service"].test_set)
    assert row[lb.COL_LINK] == "[model](https://huggingface.co/org/valid)"
    # The answer ranks this Space's test set only: the paper's rows are not in it.
    assert "Template Baseline" not in rows_by_model(table)
    assert leak_scanner(json.dumps([message, table], ensure_ascii=False)) == []


def test_markup_in_a_model_name_is_kept_as_text(space, references, predictions_for, upload):
    name = '<img src=x onerror="alert(1)"><script>alert(2)</script>'
    _, table = submit(space, name, "", "mip", upload(predictions_for(references, seed=12)))
    assert name in rows_by_model(table)
    record = next(r for r in space["service"].records() if r["model_name"] == name)
    assert record["model_url"] == ""


def test_one_empty_report_is_allowed_but_not_many(space, references, predictions_for, upload):
    predictions = predictions_for(references, seed=14)
    predictions[next(iter(predictions))] = ""
    submit(space, "One-silent", "", "fused", upload(predictions))
    before = len(space["service"].records())
    with pytest.raises(AppError, match="empty reports: 12 of 12 reports are empty; at most 1"):
        submit(space, "Silent", "", "fused", upload(dict.fromkeys(references, "")))
    assert len(space["service"].records()) == before


def _bad_cases(references: dict[str, str]) -> dict[str, tuple]:
    ids = sorted(references)
    good = dict.fromkeys(ids, "报告")
    lines = [json.dumps({"case_id": i, "report": "报告"}, ensure_ascii=False) for i in ids]
    return {
        "not utf-8": ("m", "", "fused", "\n".join(lines).encode("gbk"), ["UTF-8"]),
        "not jsonl": ("m", "", "fused", "case_000,报告\ncase_001,报告\n", ["line 1"]),
        "no case_id": ("m", "", "fused", "\n".join([json.dumps({"report": "x"}), *lines[1:]]), ["line 1", "case_id"]),
        "no report": (
            "m",
            "",
            "fused",
            "\n".join([json.dumps({"case_id": ids[0]}), *lines[1:]]),
            ["line 1", 'missing "report"'],
        ),
        "duplicate id": ("m", "", "fused", "\n".join([*lines, lines[3]]), ["duplicate", ids[3]]),
        "unknown ids": ("m", "", "fused", {**good, "zz_1": "x", "zz_2": "y"}, ["2", "zz_1", "zz_2"]),
        "missing ids": (
            "m",
            "",
            "fused",
            dict.fromkeys(ids[:4], "x"),
            ["8", *ids[4:6]],
        ),
        "link not http": ("m", "javascript:alert(1)", "fused", good, ["model link", "http"]),
        "ftp link": ("m", "ftp://example.org/m", "fused", good, ["model link"]),
        "empty name": ("  ", "", "fused", good, ["model name"]),
        "bad setting": ("m", "", "template", good, ["'template'", "not in the list of choices"]),
        "empty file": ("m", "", "fused", b"", ["empty"]),
    }


BAD_CASES = list(_bad_cases({f"case_{i:03d}": "" for i in range(12)}))


@pytest.mark.parametrize("case", BAD_CASES)
def test_bad_inputs_are_refused_with_a_clear_message(space, references, upload, leak_scanner, case):
    name, url, setting, content, expected = _bad_cases(references)[case]
    before = len(space["service"].records())
    with pytest.raises((AppError, ValueError)) as info:
        submit(space, name, url, setting, upload(content))
    message = str(info.value)
    for fragment in expected:
        assert fragment in message, (case, message)
    assert len(space["service"].records()) == before
    assert leak_scanner(message) == []


def test_an_upload_over_the_cap_is_refused(space, upload):
    before = len(space["service"].records())
    too_big = b'{"case_id": "case_000", "report": "' + "脑".encode() * int(MAX_UPLOAD_MB * 1e6) + b'"}\n'
    # gradio_client reads the cap from the app's config and refuses before sending ...
    with pytest.raises(ValueError, match="exceeds the maximum file size of 200000 bytes"):
        submit(space, "huge", "", "fused", upload(too_big))
    # ... and the server refuses the upload itself (HTTP 413) from any other client.
    response = httpx.post(
        space["url"].rstrip("/") + "/gradio_api/upload", files={"files": ("p.jsonl", too_big)}, timeout=30
    )
    assert response.status_code == 413, response.text[:200]
    assert len(space["service"].records()) == before


def test_duplicates_are_refused(space, references, predictions_for, upload):
    predictions = predictions_for(references, seed=13)
    submit(space, "Twice", "", "fused", upload(predictions))
    before = len(space["service"].records())
    with pytest.raises(AppError, match="already submitted for the 'fused' setting"):
        submit(space, "twice", "", "fused", upload(predictions, "again.jsonl"))
    assert len(space["service"].records()) == before


def test_twenty_concurrent_submissions_are_all_stored_once(space, references, predictions_for, tmp_path, jsonl_writer):
    files = [jsonl_writer(tmp_path / f"p{i}.jsonl", predictions_for(references, seed=100 + i)) for i in range(20)]
    before = {r["id"] for r in space["service"].records()}
    results: dict[int, object] = {}

    def send(i):
        try:
            results[i] = submit(space, f"concurrent-{i:02d}", "", "fused", handle_file(str(files[i])))
        except Exception as e:  # collected and reported below
            results[i] = e

    threads = [threading.Thread(target=send, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    failures = {i: r for i, r in results.items() if isinstance(r, Exception)}
    assert len(results) == 20 and not failures, failures
    new = [r for r in space["service"].records() if r["id"] not in before]
    names = sorted(r["model_name"] for r in new)
    assert names == [f"concurrent-{i:02d}" for i in range(20)]
    on_disk = list((space["root"] / "data" / "submissions").glob("*.json"))
    assert len(on_disk) == len(space["service"].records())
    assert not list((space["root"] / "data" / "submissions").glob(".*"))


def test_page_config_holds_no_reference_text(space, leak_scanner):
    with urllib.request.urlopen(space["url"].rstrip("/") + "/config", timeout=10) as response:
        config = response.read().decode("utf-8")
    assert "Template Baseline" in config
    assert leak_scanner(config) == []
    assert str(space["root"]) not in config  # neither the data dir nor the references path is exposed


def test_the_leak_scanner_finds_reference_text(leak_scanner, references):
    report = next(iter(references.values()))
    sentence = report.removeprefix("影像所见：").split("。")[1] + "。"
    assert leak_scanner(f"... {sentence} ...") == [sentence]
    assert leak_scanner(json.dumps({"x": report}, ensure_ascii=False))
    assert leak_scanner("Accepted: 'm' (fused, 12 cases).") == []


def test_references_and_records_are_not_served(space):
    refs = space["service"].config.references
    private = [*sorted(refs.rglob("*.parquet"))[:1], refs / "README.md", space["root"] / "data" / ".lock"]
    assert all(path.is_file() for path in private)
    for path in private:
        response = httpx.get(space["url"].rstrip("/") + f"/gradio_api/file={path}", timeout=10)
        assert response.status_code in (403, 404), (path.name, response.status_code)
        assert b"case_000" not in response.content


def test_uploads_are_deleted_once_scored(space, references, predictions_for, upload):
    import gradio as gr

    cache = Path(gr.utils.get_upload_folder())
    accepted = upload(predictions_for(references, seed=15), "cleanup-accepted.jsonl")
    submit(space, "Cleanup-accepted", "", "fused", accepted)
    assert list(cache.rglob("cleanup-accepted.jsonl")) == []  # scored: deleted at once, not kept for gradio's hour
    refused = upload(predictions_for(references, seed=16), "cleanup-refused.jsonl")
    with pytest.raises(AppError, match="model link"):
        submit(space, "Cleanup-refused", "ftp://example.org", "fused", refused)
    assert len(list(cache.rglob("cleanup-refused.jsonl"))) == 1  # kept for a corrected resubmission


def test_scores_returned_are_rounded_as_shown(space, references, predictions_for, upload):
    message, table = submit(space, "Rounded", "", "fused", upload(predictions_for(references, seed=17)))
    row = rows_by_model(table)["Rounded"]
    for column in lb.METRIC_COLUMNS.values():
        assert row[column] == round(row[column], 4)
    assert row[lb.COL_OVERALL] == round(row[lb.COL_OVERALL], 1)
    assert re.fullmatch(r"Accepted: .*Overall \d+\.\d%; BLEU-4 0\.\d{4}, .* CE F1 0\.\d{4}\. Test set: .+\.", message)


def test_the_queue_is_bounded(space_app, tmp_path, references_dir, port_factory):
    config = load_config(
        {
            "PET2REP_DATA_DIR": str(tmp_path / "data"),
            "PET2REP_REFERENCES": str(references_dir),
            "PET2REP_QUEUE_SIZE": "3",
        }
    )
    demo = space_app.build_app(LeaderboardService.from_config(config))
    space_app.launch(demo, config, server_name="127.0.0.1", server_port=port_factory(), prevent_thread_lock=True)
    try:
        assert demo._queue.max_size == 3  # a 4th waiting request is answered "queue full"
    finally:
        demo.close()


def test_the_rate_limit_counts_per_client_address(space_app):
    from types import SimpleNamespace

    request = SimpleNamespace(
        headers={"x-forwarded-for": "203.0.113.7, 10.0.0.2"}, client=SimpleNamespace(host="10.0.0.2")
    )
    assert space_app.client_address(request, on_spaces=True) == "ip:203.0.113.7"  # the Space proxy's first hop
    assert space_app.client_address(request, on_spaces=False) == "ip:10.0.0.2"  # locally the header is not trusted
    assert space_app.client_address(None, on_spaces=False) is None
