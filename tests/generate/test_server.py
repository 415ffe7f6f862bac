"""`pet2rep generate` against a real OpenAI-compatible server process serving the tiny VLM (real decoding, real
images), with faults injected by the server: 429, 500, a hung request, a malformed body, an empty choice, a text-only
model, no server, a wrong key, and a resume after SIGKILL."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from pet2rep import lighteval as glue
from pet2rep import prompts
from pet2rep.cli import main as pet2rep_main
from pet2rep.errors import InputError
from pet2rep.generate import generate, messages, runner
from pet2rep.testing.server import request_key

pytest.importorskip("torch")
pytest.importorskip("httpx")
pytestmark = pytest.mark.slow

FAST = {"retries": 2, "backoff_base_s": 0.01, "max_tokens": 8}


def case_keys(dataset, config="fused") -> dict[str, list[str]]:
    """case_id -> the server's request_key of each of its images, in model order."""
    table, case_ids = runner.load_cases(str(dataset), config)
    keys = {}
    for i, case_id in enumerate(case_ids):
        images = table.column("images")[i].as_py()
        keys[case_id] = [request_key(messages.image_data_url(messages.png_bytes(v))) for v in images]
    return keys


def run(server, dataset, out, **kwargs):
    arguments = {
        "api_base": server.api_base,
        "model": server.model,
        "dataset": str(dataset),
        "out": out,
        "api_key": os.environ["PET2REP_TEST_KEY"],
        **FAST,
    }
    return generate(**{**arguments, **kwargs})


def server_args(server, key_env="PET2REP_TEST_KEY") -> list[str]:
    """`pet2rep generate` arguments naming the server, its model and key, and 8 new tokens."""
    key = ["--api-key-env", key_env] if key_env else []
    return ["generate", "--api-base", server.api_base, "--model", server.model, *key, "--max-tokens", "8"]


def requests_per_case(server, keys) -> dict[str, int]:
    by_key = {k[0]: c for c, k in keys.items()}
    counts = dict.fromkeys(keys, 0)
    for entry in server.log():
        counts[by_key[entry["key"]]] += 1
    return counts


def lines(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize("config", ["fused", "separate"])
def test_every_case_gets_a_report_that_pet2rep_score_accepts(server, dataset, tmp_path, capsys, config):
    out = tmp_path / f"{config}.jsonl"
    status = pet2rep_main(
        [*server_args(server), "--data", str(dataset), "--config", config, "--out", str(out), "--concurrency", "3"]
    )
    assert status == 0, capsys.readouterr().err
    records = lines(out)
    keys = case_keys(dataset, config)
    assert [r["case_id"] for r in records] == list(keys)  # dataset order, whatever order the answers came in
    assert all(r["report"].strip() and r["finish_reason"] in ("stop", "length") for r in records)
    # the server saw the lighteval task's texts and every image of the case, in model order
    doc = glue.doc_fields(glue.load_split(str(dataset), config)[0], f"pet2rep:{config}")
    log = server.log()
    assert sorted(entry["image_keys"] for entry in log) == sorted(keys.values())
    assert all(entry["texts"] == [["system", doc["instruction"]], ["user", doc["query"]]] for entry in log)
    meta = json.loads(runner.sidecar_path(out).read_text(encoding="utf-8"))
    from pet2rep.dataset.parquet import content_hash

    assert meta["dataset_content_hash"] == content_hash(dataset)
    assert (meta["model"], meta["endpoint"], meta["config"]) == (
        server.model,
        server.api_base + "/chat/completions",
        config,
    )
    assert meta["prompt_version"] == prompts.PROMPT_VERSION
    assert meta["usage"]["prompt_tokens"] == sum(r["usage"]["prompt_tokens"] for r in records) > 0
    assert meta["usage"]["completion_tokens"] == sum(r["usage"]["completion_tokens"] for r in records) > 0
    assert meta["runs"][-1]["status"] == "complete" and meta["done"] == len(keys)
    capsys.readouterr()
    assert pet2rep_main(["score", "--predictions", str(out), "--references", str(dataset), "--bootstrap", "0"]) == 0
    assert f"{len(keys)} cases, lang zh" in capsys.readouterr().out


def test_reports_are_the_models_own_greedy_decoding_of_the_images(server, dataset, tiny_vlm, tmp_path):
    """What the server answered equals transformers' generate on the same prompt and images, run here."""
    import torch
    import transformers

    out = tmp_path / "p.jsonl"
    summary = run(server, dataset, out, limit=2, concurrency=1, max_tokens=12)
    assert summary.succeeded == 2
    model = transformers.AutoModelForImageTextToText.from_pretrained(tiny_vlm).eval()
    processor = transformers.AutoProcessor.from_pretrained(tiny_vlm, padding_side="left")
    rows = glue.load_split(str(dataset), "fused")
    for record in lines(out):
        fields = glue.doc_fields(rows[int(record["case_id"][-3:])], "pet2rep:fused")
        chat = [
            {"role": "system", "content": [{"type": "text", "text": fields["instruction"]}]},
            {"role": "user", "content": [{"type": "text", "text": fields["query"]}] + [{"type": "image"}] * 3},
        ]
        text = processor.apply_chat_template(chat, tokenize=False, add_generation_prompt=True)
        inputs = processor(text=[text], images=[fields["images"]], return_tensors="pt")
        with torch.inference_mode():
            output = model.generate(**inputs, max_new_tokens=12, do_sample=False)
        expected = processor.tokenizer.decode(output[0, inputs["input_ids"].shape[1] :], skip_special_tokens=True)
        assert record["report"] == expected
        assert record["usage"] == {"prompt_tokens": inputs["input_ids"].shape[1], "completion_tokens": 12}


def test_429_then_success_and_a_hung_request_are_retried(server, dataset, tmp_path):
    keys = case_keys(dataset)
    ids = list(keys)
    server.faults(
        [
            {"match": keys[ids[1]][0], "status": 429, "retry_after": 0, "times": 1},
            {"match": keys[ids[2]][0], "hang_s": 10, "times": 1},
            {"match": keys[ids[3]][0], "malformed": True, "times": 1},
        ]
    )
    # one at a time, so that no answer but the hung one comes near the timeout on a loaded machine
    summary = run(server, dataset, tmp_path / "p.jsonl", timeout_s=5, concurrency=1)
    assert (summary.succeeded, summary.errors, summary.retried) == (6, [], 3)
    assert [r["case_id"] for r in lines(tmp_path / "p.jsonl")] == ids
    counts = requests_per_case(server, keys)
    assert counts == {c: 2 if c in ids[1:4] else 1 for c in ids}


def test_a_persistent_500_and_an_empty_choice_leave_those_cases_out_then_a_rerun_fills_them(
    server, dataset, tmp_path, capsys
):
    keys = case_keys(dataset)
    ids = list(keys)
    server.faults(
        [
            {"match": keys[ids[2]][0], "status": 500, "times": None},
            {"match": keys[ids[4]][0], "empty": True, "times": None},
        ]
    )
    out = tmp_path / "p.jsonl"
    command = [*server_args(server), "--data", str(dataset), "--out", str(out), "--retries", "2"]
    assert pet2rep_main(command) == 1
    captured = capsys.readouterr()
    assert "pet2rep generate: error: 2 of 6 cases failed (case_002, case_004;" in captured.err
    assert "failed case_002: server_error after 3 tries: HTTP 500: injected HTTP 500" in captured.out
    assert "failed case_004: empty: the answer holds no choice" in captured.out
    assert [r["case_id"] for r in lines(out)] == [c for c in ids if c not in (ids[2], ids[4])]
    meta = json.loads(runner.sidecar_path(out).read_text(encoding="utf-8"))
    assert [(e["case_id"], e["kind"], e["attempts"]) for e in meta["errors"]] == [
        (ids[2], "server_error", 3),
        (ids[4], "empty", 1),  # not retried: greedy decoding would answer the same
    ]
    assert meta["missing"] == [ids[2], ids[4]] and meta["runs"][-1]["status"] == "incomplete"
    assert pet2rep_main(["score", "--predictions", str(out), "--references", str(dataset)]) == 1
    assert "2 reference case(s) have no prediction: 'case_002', 'case_004'" in capsys.readouterr().err

    server.faults([])
    assert pet2rep_main(command) == 0
    assert "6 cases, 4 already in p.jsonl, 2 requested: 2 succeeded, 0 failed" in capsys.readouterr().out
    assert [r["case_id"] for r in lines(out)] == ids
    assert requests_per_case(server, keys) == {c: 1 if c in (ids[2], ids[4]) else 0 for c in ids}
    meta = json.loads(runner.sidecar_path(out).read_text(encoding="utf-8"))
    assert [run["status"] for run in meta["runs"]] == ["incomplete", "complete"] and meta["errors"] == []


def test_a_text_only_model_stops_the_run_with_a_message_and_writes_nothing(
    tiny_vlm, dataset, tmp_path, capsys, server_factory
):
    text_only = server_factory(tiny_vlm, "--text-only")
    out = tmp_path / "p.jsonl"
    try:
        command = [
            *server_args(text_only, key_env=None),
            "--data",
            str(dataset),
            "--out",
            str(out),
            "--concurrency",
            "1",
        ]
        assert pet2rep_main(command) == 1
    finally:
        text_only.stop()
    captured = capsys.readouterr()
    assert "pet2rep generate: error: the endpoint refused each of the first 3 cases and answered none: HTTP 400: " in (
        captured.err
    )
    assert "does not seem to accept images (a text-only model?); 6 of 6 cases have no report" in captured.err
    assert "6 requested: 0 succeeded, 3 failed, 3 not attempted" in captured.out
    assert out.read_text() == ""


def test_wrong_key_stops_the_run(server, dataset, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("WRONG_KEY", "nope")
    out = tmp_path / "p.jsonl"
    command = [
        *server_args(server, key_env="WRONG_KEY"),
        "--data",
        str(dataset),
        "--out",
        str(out),
        "--concurrency",
        "1",
    ]
    assert pet2rep_main(command) == 1
    err = capsys.readouterr().err
    assert err.startswith("pet2rep generate: error: the endpoint refused the credentials (HTTP 401: Incorrect API key")
    assert "6 of 6 cases have no report (case_000, case_001" in err
    assert out.read_text() == ""
    assert len(err.strip().splitlines()) == 1
    monkeypatch.delenv("WRONG_KEY")
    assert pet2rep_main(command) == 1
    assert "--api-key-env WRONG_KEY: that environment variable is not set" in capsys.readouterr().err


def test_no_server_stops_the_run(dataset, tmp_path, capsys):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = tmp_path / "p.jsonl"
    api_base = f"http://127.0.0.1:{port}/v1"
    command = ["generate", "--api-base", api_base, "--model", "m", "--data", str(dataset), "--out", str(out)]
    command += ["--concurrency", "2"]
    assert pet2rep_main(command) == 1
    captured = capsys.readouterr()
    assert f"error: cannot reach http://127.0.0.1:{port}/v1/chat/completions after 3 tries" in captured.err
    assert "is the server running there?" in captured.err and "6 of 6 cases have no report" in captured.err
    # it stops (with --retries 5 by default) instead of trying every case in turn: the 2 in flight failed
    assert "6 requested: 0 succeeded, 2 failed, 4 not attempted" in captured.out
    assert out.read_text() == ""


def test_another_model_cannot_resume_into_the_same_file(server, dataset, tmp_path):
    out = tmp_path / "p.jsonl"
    run(server, dataset, out, limit=2)
    with pytest.raises(InputError, match=r"holds 2 reports of another run \(max_tokens: 8 there, 9 now\)"):
        run(server, dataset, out, max_tokens=9)
    (tmp_path / "q.jsonl").write_text('{"case_id": "case_000", "report": "x"}\n', encoding="utf-8")
    with pytest.raises(InputError, match="without its sidecar"):
        run(server, dataset, tmp_path / "q.jsonl")


def test_resume_after_sigkill_loses_nothing_and_asks_nothing_twice(server, dataset, tmp_path):
    keys = case_keys(dataset)
    server.faults([{"match": "*", "delay_s": 0.5, "times": None}])
    out = tmp_path / "p.jsonl"
    command = [sys.executable, "-m", "pet2rep", *server_args(server), "--data", str(dataset), "--out", str(out)]
    command += ["--concurrency", "1"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and (not out.exists() or out.read_bytes().count(b"\n") < 2):
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    process.stderr.close()
    kept = [r["case_id"] for r in lines(out)]
    assert 2 <= len(kept) < 6, kept
    before = len(server.log())
    server.faults([{"match": "*", "delay_s": 0, "times": None}])  # keeps the log
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert f"6 cases, {len(kept)} already in p.jsonl, {6 - len(kept)} requested" in done.stdout
    assert [r["case_id"] for r in lines(out)] == list(keys)
    by_key = {k[0]: c for c, k in keys.items()}
    asked_again = [by_key[e["key"]] for e in server.log()[before:]]
    assert sorted(asked_again) == sorted(set(keys) - set(kept))
    meta = json.loads(runner.sidecar_path(out).read_text(encoding="utf-8"))
    assert [r["status"] for r in meta["runs"]] == ["running", "complete"]  # the killed run never finished
