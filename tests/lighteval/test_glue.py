"""pet2rep.lighteval: dataset location and checks, rows -> Doc fields, response shapes, command-line checks."""

from __future__ import annotations

import io
import sys

import pytest

from pet2rep import lighteval as glue
from pet2rep import prompts
from pet2rep.dataset import load
from pet2rep.errors import InputError, MissingFileError
from pet2rep.vocab import IMAGE_CONFIGS

datasets = pytest.importorskip("datasets")


@pytest.fixture(scope="module")
def rows(tiny_dataset):
    return {config: glue.load_split(str(tiny_dataset), config) for config in IMAGE_CONFIGS}


# --- dataset location ----------------------------------------------------------------------------------------


def test_env_var_folder_wins_and_is_made_absolute(tiny_dataset, monkeypatch, tmp_path):
    monkeypatch.chdir(tiny_dataset.parent)
    monkeypatch.setenv(load.DATASET_ENV, tiny_dataset.name)
    assert glue.resolve_dataset() == str(tiny_dataset.resolve())
    assert glue.resolve_dataset("org/pet2rep") == "org/pet2rep"  # not a folder here: a Hub id


def test_default_is_the_local_build_in_cwd_then_in_the_repo(tmp_path, monkeypatch):
    monkeypatch.delenv(load.DATASET_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    assert glue.resolve_dataset() == str(tmp_path / "data" / "pet2rep")
    repo = tmp_path / "repo"
    (repo / "data" / "pet2rep").mkdir(parents=True)
    assert glue.resolve_dataset(repo_root=repo) == str(repo / "data" / "pet2rep")
    (tmp_path / "data" / "pet2rep").mkdir(parents=True)
    assert glue.resolve_dataset(repo_root=repo) == str(tmp_path / "data" / "pet2rep")


def test_missing_local_folder_is_named_with_the_fix(tmp_path):
    missing = str(tmp_path / "nowhere")
    problem = load.dataset_problem(missing)
    assert missing in problem and "pet2rep build" in problem and "PET2REP_DATASET" in problem
    assert load.dataset_problem("org/pet2rep") is None
    with pytest.raises(MissingFileError, match="does not exist"):
        glue.load_split(missing, "fused")


def test_unreachable_hub_id_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", True)
    with pytest.raises(MissingFileError, match="'nobody/pet2rep-x' is neither a local folder nor a Hub dataset"):
        glue.load_split("nobody/pet2rep-x", "fused")


def test_unknown_config_and_missing_columns_are_clear_errors(tiny_dataset, tmp_path, dataset_factory):
    with pytest.raises(InputError, match="has no config 'volumes'") as exc:
        glue.load_split(str(tiny_dataset), "volumes")
    assert "fused" in str(exc.value)  # datasets lists the configs there are
    partial = dataset_factory(tmp_path / "partial", n=2, configs=("fused",), columns=("case_id", "report"))
    with pytest.raises(InputError, match=r"lacks column\(s\) images; it has case_id, report"):
        glue.load_split(str(partial), "fused", columns=("case_id", "images", "report"))


def test_local_folder_is_read_fresh_after_a_rebuild(tmp_path, dataset_factory):
    # datasets 5.2's load_dataset would return the first build's rows for both (cache keyed on the base name)
    first = dataset_factory(tmp_path / "a" / "pet2rep", n=2, configs=("fused",), columns=("case_id", "report"))
    assert glue.load_split(str(first), "fused").column_names == ["case_id", "report"]
    dataset_factory(first, n=3, configs=("fused",))
    rebuilt = glue.load_split(str(first), "fused")
    assert rebuilt.num_rows == 3 and "images" in rebuilt.column_names
    other = dataset_factory(tmp_path / "b" / "pet2rep", n=1, configs=("fused",), columns=("case_id", "images"))
    assert glue.load_split(str(other), "fused").column_names == ["case_id", "images"]


def test_local_folder_without_readme_configs_uses_config_folders(tmp_path, dataset_factory):
    folder = dataset_factory(tmp_path / "plain", n=2, configs=("fused",))
    (folder / "README.md").unlink()
    assert list(glue.load_split(str(folder), "fused")["case_id"]) == ["case_000", "case_001"]
    with pytest.raises(InputError, match=r"no config 'mip' \(no README.md configs and no mip/ folder; folders: fused"):
        glue.load_split(str(folder), "mip")
    with pytest.raises(InputError, match="no 'validation' file matches fused/validation-"):
        glue.load_split(str(folder), "fused", split="validation")


def test_readme_without_the_split_and_broken_parquet(tmp_path, dataset_factory):
    folder = dataset_factory(tmp_path / "x", n=1, configs=("fused",))
    with pytest.raises(InputError, match=r"config 'fused' has no 'train' split in its README\.md"):
        glue.load_split(str(folder), "fused", split="train")
    (folder / "fused" / "test-00000-of-00001.parquet").write_bytes(b"not parquet")
    with pytest.raises(InputError, match="unreadable parquet"):
        glue.load_split(str(folder), "fused")


# --- rows -> Doc fields ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("config", IMAGE_CONFIGS)
def test_doc_fields_on_a_real_shaped_row(rows, config):
    row = dict(rows[config][1])
    fields = glue.doc_fields(row, f"pet2rep:{config}")
    n = prompts.NUM_IMAGES[config]
    assert fields["query"] == prompts.user_prompt(config, "zh")
    assert fields["instruction"] == prompts.system_prompt("zh")
    assert fields["choices"] == [row["report"]] and fields["gold_index"] == 0
    assert len(fields["images"]) == n
    # the red channel encodes 10 * case + position: the model sees the images in the dataset's order
    assert [image.getpixel((0, 0))[0] for image in fields["images"]] == [10 + pos for pos in range(n)]
    assert fields["specific"] == {
        "case_id": "case_001",
        "config": config,
        "lang": "zh",
        "image_names": row["image_names"],
    }


def test_english_task_uses_report_en_and_skips_rows_without_it(rows):
    fields = glue.doc_fields(dict(rows["mip"][0]), "pet2rep_en:mip")
    assert fields["choices"] == [rows["mip"][0]["report_en"]]
    assert fields["query"] == prompts.user_prompt("mip", "en")
    assert fields["instruction"] == prompts.system_prompt("en")
    assert rows["mip"][2]["report_en"] is None
    assert glue.doc_fields(dict(rows["mip"][2]), "pet2rep_en:mip") is None


def test_images_stored_as_bytes_are_decoded(rows):
    row = dict(rows["fused"][0])
    encoded = []
    for image in row["images"]:
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        encoded.append({"bytes": buffer.getvalue(), "path": None})
    fields = glue.doc_fields({**row, "images": encoded}, "pet2rep:fused")
    assert [im.getpixel((0, 0)) for im in fields["images"]] == [im.getpixel((0, 0)) for im in row["images"]]


def test_grayscale_images_reach_the_model_as_rgb(rows):
    row = dict(rows["separate"][0])
    gray = [image.convert("L") for image in row["images"]]
    fields = glue.doc_fields({**row, "images": gray}, "pet2rep:separate")
    assert {image.mode for image in fields["images"]} == {"RGB"}
    assert fields["images"][1].getpixel((0, 0)) == (gray[1].getpixel((0, 0)),) * 3


@pytest.mark.parametrize(
    ("change", "task", "message"),
    [
        ({"images": None}, "pet2rep:fused", "images must be a non-empty list"),
        ({"images": []}, "pet2rep:fused", "images must be a non-empty list"),
        ({"images": ["a.png"]}, "pet2rep:fused", r"images\[0\] is str"),
        ({"report": "  "}, "pet2rep:fused", "empty 'report'"),
        ({"case_id": ""}, "pet2rep:fused", "case_id must be a non-empty string"),
        ({"report": 3}, "pet2rep:fused", "report is int"),
    ],
)
def test_bad_rows_are_named(rows, change, task, message):
    with pytest.raises(InputError, match=message):
        glue.doc_fields({**dict(rows["fused"][0]), **change}, task)


def test_missing_columns_and_wrong_image_count_are_named(rows):
    row = dict(rows["separate"][0])
    with pytest.raises(InputError, match=r"lacks column\(s\) images, report \(it has case_id, image_names"):
        glue.doc_fields({"case_id": "c1", "image_names": [], "__index": 0}, "pet2rep:fused")
    with pytest.raises(InputError, match=r"lacks column\(s\) report_en"):
        glue.doc_fields({k: v for k, v in row.items() if k != "report_en"}, "pet2rep_en:separate")
    with pytest.raises(InputError, match=r"case 'case_000'.*an even number"):
        glue.doc_fields({**row, "images": row["images"][:5]}, "pet2rep:separate")


@pytest.mark.parametrize("name", ["pet2rep:volumes", "other:fused", "pet2rep", "pet2rep_EN:fused"])
def test_unknown_task_names(name):
    with pytest.raises(InputError, match="unknown pet2rep task"):
        glue.parse_task_name(name)


def test_task_names_parse_with_or_without_fewshot():
    assert glue.parse_task_name("pet2rep_en:mip|0") == ("pet2rep_en", "mip", "en")
    assert glue.parse_task_name("pet2rep:fused") == ("pet2rep", "fused", "zh")


# --- responses ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "post", "expected"),
    [
        ("报告", None, "报告"),  # VLM backend, reasoning-tag pass off
        ("<think>x</think>报告", list("<think>x</think>报告"), "报告"),  # VLM backend: per-character "post-processing"
        ("<think>x</think>报告", None, "<think>x</think>报告"),
        (["报告", "other"], None, "报告"),  # other backends: a list
        (["<think>x</think>报告"], ["报告"], "报告"),
        ("", [], ""),
        ([], None, ""),
        (None, None, ""),
        ([None], None, ""),
    ],
)
def test_response_text_whatever_the_backend(text, post, expected):
    assert glue.response_text(text, post) == expected


def test_strip_reasoning_spans_lines():
    assert glue.strip_reasoning("a<think>1\n2</think>b<think>3</think>c") == "abc"


# --- command line --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "flagged"),
    [
        (["lighteval", "accelerate", "model_name=m", "pet2rep|0", "--custom-tasks", "t.py"], True),
        (["lighteval", "accelerate", "model_name=m", "pet2rep:fused|0", "--vision-model"], False),
        (["lighteval", "vllm", "model_name=m", "pet2rep:fused|0", "--custom-tasks", "t.py"], True),
        (["lighteval", "endpoint", "litellm", "model_name=m", "pet2rep:fused|0"], True),
        (["lighteval", "accelerate", "model_name=m", "gsm8k|0"], False),
        (["lighteval", "vllm", "model_name=org/pet2rep-vlm", "gsm8k|0", "--custom-tasks", "tasks/pet2rep.py"], False),
        (["lighteval", "sglang", "model_name=m", "gsm8k|0,pet2rep_en|0"], True),
        (["lighteval", "tasks", "inspect", "pet2rep:fused", "--custom-tasks", "t.py"], False),
        (["lighteval"], False),
        (["pytest", "tests/lighteval"], False),
    ],
)
def test_check_invocation_flags_backends_that_drop_images(argv, flagged):
    problems = glue.check_invocation(argv, environ={})
    assert bool(problems) == flagged
    if flagged:
        assert "--vision-model" in problems[0] and glue.ALLOW_TEXT_ONLY_ENV in problems[0]


def test_text_only_runs_can_be_allowed_deliberately():
    argv = ["lighteval", "vllm", "model_name=m", "pet2rep|0"]
    assert glue.check_invocation(argv, environ={glue.ALLOW_TEXT_ONLY_ENV: "1"}) == []


def test_model_problem_tells_a_vlm_from_a_text_model(tiny_vlm, tmp_path):
    transformers = pytest.importorskip("transformers")
    assert glue.model_problem(str(tiny_vlm)) is None
    text_model = tmp_path / "text-only"
    transformers.LlamaConfig(hidden_size=8, num_hidden_layers=1, num_attention_heads=1).save_pretrained(text_model)
    problem = glue.model_problem(str(text_model))
    assert "not a vision-language model" in problem and "'llama'" in problem
    assert glue.model_problem(str(tmp_path / "absent")) is None  # unreadable here: lighteval reports it


def test_preflight_reports_every_problem_before_lighteval_starts(tiny_vlm, tiny_dataset, tmp_path, monkeypatch):
    transformers = pytest.importorskip("transformers")
    text_model = tmp_path / "text-only"
    transformers.LlamaConfig(hidden_size=8, num_hidden_layers=1, num_attention_heads=1).save_pretrained(text_model)
    monkeypatch.setenv(load.DATASET_ENV, str(tmp_path / "no-data"))
    problems = glue.preflight(["accelerate", f"model_name={text_model}", "pet2rep|0", "--vision-model"])
    assert len(problems) == 2
    assert "not a vision-language model" in problems[0] and "no-data does not exist" in problems[1]
    monkeypatch.setenv(load.DATASET_ENV, str(tiny_dataset))
    assert glue.preflight(["accelerate", f"model_name={tiny_vlm}", "pet2rep|0,pet2rep_en|0", "--vision-model"]) == []


def test_preflight_finds_missing_configs_and_columns(tiny_vlm, tmp_path, monkeypatch, dataset_factory):
    partial = dataset_factory(tmp_path / "partial", n=2, configs=("fused",), columns=("case_id", "images"))
    monkeypatch.setenv(load.DATASET_ENV, str(partial))
    args = ["accelerate", f"model_name={tiny_vlm}", "pet2rep:fused|0,pet2rep:mip", "--vision-model"]
    problems = glue.preflight(args)
    assert len(problems) == 2
    assert "lacks column(s) report" in problems[0] and "no config 'mip'" in problems[1]


def test_preflight_names_a_task_that_does_not_exist(tiny_vlm, tiny_dataset, monkeypatch):
    """lighteval itself answers an unknown task with a long traceback ending in 'Cannot find task'."""
    monkeypatch.setenv(load.DATASET_ENV, str(tiny_dataset))
    args = ["accelerate", f"model_name={tiny_vlm}", "pet2rep:volumes|0,pet2rep:fused|0", "--vision-model"]
    (problem,) = glue.preflight(args)
    assert "unknown pet2rep task 'pet2rep:volumes'" in problem and "pet2rep:fused, pet2rep:separate" in problem
    assert glue.preflight([*args[:2], "pet2rep_en:fused,pet2rep|0", "--vision-model"]) == []


def test_main_exits_2_with_the_problems_and_no_traceback(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv(load.DATASET_ENV, str(tmp_path / "no-data"))
    assert glue.main(["accelerate", "model_name=x", "pet2rep:fused|0"]) == 2
    err = capsys.readouterr().err
    assert err.count("pet2rep: error:") == 2 and "Traceback" not in err


def test_tiny_benchmarks_download_is_answered_locally(monkeypatch):
    requests = pytest.importorskip("requests")
    monkeypatch.setattr(requests, "get", requests.get)  # restored after the test
    glue.skip_tiny_benchmarks_download()
    patched = requests.get
    glue.skip_tiny_benchmarks_download()
    assert requests.get is patched  # idempotent
    assert requests.get(glue.TINY_BENCHMARKS_URL).status_code == 404
    assert sys.modules["requests"].get is patched


def test_nltk_downloads_are_skipped_offline(monkeypatch, capsys):
    """lighteval's registry import calls nltk.download("punkt") (ifeval); offline that can only fail or hang."""
    nltk = pytest.importorskip("nltk")
    original = nltk.download
    monkeypatch.setattr(nltk, "download", original)  # restored after the test
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    glue.skip_nltk_downloads_offline()
    assert nltk.download is original  # online: untouched
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    glue.skip_nltk_downloads_offline()
    patched = nltk.download
    assert patched is not original
    glue.skip_nltk_downloads_offline()
    assert nltk.download is patched  # idempotent
    assert nltk.download("punkt") is False and nltk.download("punkt_tab", quiet=True) is False
    assert capsys.readouterr().err == ""


def test_preflight_looks_for_the_default_dataset_next_to_the_task_file(
    tiny_vlm, tmp_path, monkeypatch, dataset_factory
):
    repo = tmp_path / "repo"
    dataset_factory(repo / "data" / "pet2rep", n=1, configs=("fused",))
    (repo / "tasks").mkdir()
    (repo / "tasks" / "pet2rep.py").touch()  # an existing file: lighteval reads a missing one as a module name
    monkeypatch.delenv(load.DATASET_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    args = ["accelerate", f"model_name={tiny_vlm}", "pet2rep:fused|0", "--vision-model"]
    assert glue.preflight([*args, "--custom-tasks", str(repo / "tasks" / "pet2rep.py")]) == []
    assert "does not exist" in glue.preflight(args)[0]  # without the task file: data/pet2rep in cwd
