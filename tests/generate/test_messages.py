"""pet2rep.generate without a server: the request is the lighteval task's prompt, answers are parsed strictly."""

from __future__ import annotations

import base64
import io
import json

import pytest
from PIL import Image

from pet2rep import lighteval as glue
from pet2rep import prompts
from pet2rep.errors import InputError
from pet2rep.generate import client, messages, runner


def _row(dataset, config, index=0):
    ds = glue.load_split(str(dataset), config)
    return ds[index]


@pytest.mark.parametrize("config", ["fused", "separate"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_request_holds_the_lighteval_tasks_prompt_and_images_in_model_order(dataset, config, lang):
    row = _row(dataset, config)
    table, case_ids = runner.load_cases(str(dataset), config, lang=lang)
    body = json.loads(
        runner.request_body(
            table, 0, config=config, lang=lang, model="m", settings={"max_tokens": 7, "temperature": 0.0}
        )
    )
    doc = glue.doc_fields(
        {**row, "report_en": row["report_en"] or "x"}, f"{'pet2rep' if lang == 'zh' else 'pet2rep_en'}:{config}"
    )
    system, user = body["messages"]
    assert system == {"role": "system", "content": doc["instruction"]}
    assert user["role"] == "user"
    assert user["content"][0] == {"type": "text", "text": doc["query"]}
    urls = [part["image_url"]["url"] for part in user["content"][1:]]
    assert [part["type"] for part in user["content"][1:]] == ["image_url"] * prompts.NUM_IMAGES[config]
    sent = [Image.open(io.BytesIO(base64.b64decode(u.split(",", 1)[1]))) for u in urls]
    assert all(u.startswith("data:image/png;base64,") for u in urls)
    assert all(image.mode == "RGB" for image in sent)  # grayscale CT slices are sent as RGB, as lighteval does
    assert [image.tobytes() for image in sent] == [image.tobytes() for image in doc["images"]]
    assert (body["model"], body["max_tokens"], body["temperature"]) == ("m", 7, 0.0)
    assert case_ids[0] == row["case_id"]


def test_english_prompt_covers_only_cases_with_an_english_report(dataset):
    _, zh_ids = runner.load_cases(str(dataset), "fused")
    _, en_ids = runner.load_cases(str(dataset), "fused", lang="en")
    assert len(zh_ids) == 6
    assert en_ids == zh_ids[::2]


def test_stored_rgb_png_passes_through_unchanged_and_others_are_converted():
    buffer = io.BytesIO()
    Image.new("RGB", (5, 4), (1, 2, 3)).save(buffer, format="PNG", compress_level=0)  # re-encoding would differ
    png = buffer.getvalue()
    assert messages.png_bytes({"bytes": png, "path": None}) == png
    gray = io.BytesIO()
    Image.new("L", (5, 4), 9).save(gray, format="PNG")
    converted = Image.open(io.BytesIO(messages.png_bytes({"bytes": gray.getvalue()})))
    assert converted.mode == "RGB" and converted.getpixel((0, 0)) == (9, 9, 9)
    jpeg = io.BytesIO()
    Image.new("RGB", (5, 4), (200, 0, 0)).save(jpeg, format="JPEG")
    assert messages.png_bytes({"bytes": jpeg.getvalue()}).startswith(messages.PNG_SIGNATURE)
    with pytest.raises(InputError, match=r"case 'c1': images\[2\] is not a readable image"):
        messages.png_bytes({"bytes": b"not an image"}, case_id="c1", index=2)
    with pytest.raises(InputError, match="expected a PIL image"):
        messages.png_bytes(42)


def _answer(content="report", choices=None, usage=True, finish="stop"):
    body = {
        "choices": choices if choices is not None else [{"message": {"content": content}, "finish_reason": finish}]
    }
    if usage:
        body["usage"] = {"prompt_tokens": 10, "completion_tokens": 3}
    return json.dumps(body).encode()


def test_parse_completion_reads_text_reason_and_usage():
    completion = messages.parse_completion(_answer("右肺结节", finish="length"))
    assert completion == messages.Completion("右肺结节", "length", 10, 3)
    parts = {"choices": [{"message": {"content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}}]}
    assert messages.parse_completion(json.dumps(parts)).text == "ab"
    assert messages.parse_completion(_answer(usage=False)).prompt_tokens is None


@pytest.mark.parametrize(
    ("body", "kind", "match"),
    [
        (b"<html>502 Bad Gateway</html>", "malformed", "not JSON"),
        (b'{"object": "error"}', "malformed", "no 'choices' list"),
        (b'{"choices": [{"text": "legacy"}]}', "malformed", "no 'message'"),
        (_answer(choices=[]), "empty", "no choice"),
        (_answer(""), "empty", "content is empty"),
        (_answer("  \n"), "empty", "content is empty"),
        (json.dumps({"choices": [{"message": {"content": None, "refusal": "no"}}]}).encode(), "empty", "refusal"),
    ],
)
def test_answers_without_a_report_are_refused_with_their_kind(body, kind, match):
    with pytest.raises(messages.ResponseError, match=match) as info:
        messages.parse_completion(body)
    assert info.value.kind == kind


def test_status_classification():
    assert client.classify_status(429, b'{"error": {"message": "slow down"}}', "2").retry_after_s == 2.0
    assert client.classify_status(429, b"", None).retryable
    assert client.classify_status(503, b"overloaded", None).kind == "server_error"
    refused = client.classify_status(401, b'{"error": {"message": "Incorrect API key provided"}}')
    assert (refused.kind, refused.fatal, refused.message) == ("refused", True, "HTTP 401: Incorrect API key provided")
    bad = client.classify_status(400, b'[{"error": {"code": 400, "message": "image input not supported"}}]')
    assert (bad.kind, bad.retryable, bad.fatal) == ("client_error", False, False)
    assert "image input not supported" in bad.message  # Gemini's list-wrapped error body


def test_backoff_doubles_is_jittered_and_capped():
    assert 0.5 <= client.backoff_s(1, 1.0, 60) <= 1.0
    assert 4.0 <= client.backoff_s(4, 1.0, 60) <= 8.0
    assert client.backoff_s(20, 1.0, 60) <= 60
    assert client.backoff_s(1, 1.0, 60, retry_after_s=120) == 60
    assert client.backoff_s(3, 1.0, 60, retry_after_s=0) == 0


def test_chat_completions_url():
    assert client.chat_completions_url("http://h:8000/v1/") == "http://h:8000/v1/chat/completions"
    full = "https://generativelanguage.googleapis.com/v1beta/openai/chat/completions"
    assert client.chat_completions_url(full) == full


def test_a_line_torn_by_a_kill_is_cut_off_and_its_case_asked_again(tmp_path):
    out = tmp_path / "preds.jsonl"
    out.write_bytes(b'{"case_id": "a", "report": "x"}\n{"case_id": "b", "rep')
    assert list(runner.read_done(out)) == ["a"]
    assert out.read_bytes() == b'{"case_id": "a", "report": "x"}\n'
    out.write_text("not json\n", encoding="utf-8")
    with pytest.raises(InputError, match="line 1 is not JSON"):
        runner.read_done(out)


def test_sidecar_name():
    assert runner.sidecar_path("r/fused.jsonl").name == "fused.meta.json"
    assert runner.sidecar_path("r/preds").name == "preds.meta.json"


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"concurrency": 0}, "concurrency must be an integer >= 1"),
        ({"max_tokens": 0}, "max_tokens"),
        ({"temperature": -1}, "temperature"),
        ({"config": "volumes"}, "config must be one of .fused., .separate., .mip., .lesion.; got .volumes."),
        ({"api_base": "localhost:8000"}, "http"),
    ],
)
def test_bad_arguments_are_refused_before_anything_is_sent(dataset, tmp_path, kwargs, match):
    arguments = {"api_base": "http://127.0.0.1:9/v1", "model": "m", "dataset": str(dataset), "out": tmp_path / "p"}
    with pytest.raises(InputError, match=match):
        runner.generate(**{**arguments, **kwargs})
    assert not (tmp_path / "p").exists()
