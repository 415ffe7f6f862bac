"""pet2rep.prompts: the official prompt held once, the per-setting user turns, the template baseline report."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from pet2rep import prompts
from pet2rep.errors import InputError, Pet2RepError
from pet2rep.vocab import LANGS


@pytest.fixture(scope="module")
def official(official_demo_dir):
    return json.loads((official_demo_dir / "prompt_qwen25vl.jsonl").read_text(encoding="utf-8").splitlines()[0])


def test_official_prompt_reproduced_character_for_character(official):
    assert prompts.system_prompt("zh") == official["prompt_system"]
    assert prompts.user_prompt("fused", "zh", image_placeholder="<image>") == official["prompt_user_text"]
    assert official["prompt_user_text"].endswith(prompts.report_template("zh"))


def test_default_prompt_has_no_placeholders_but_everything_else(official):
    text = prompts.user_prompt("fused", "zh")
    assert "<image>" not in text
    assert text == official["prompt_user_text"].replace("<image> <image> <image>", "")


@pytest.mark.parametrize(("config", "count"), [("fused", 3), ("separate", 6), ("mip", 4)])
@pytest.mark.parametrize("lang", LANGS)
def test_one_placeholder_per_image(config, count, lang):
    text = prompts.user_prompt(config, lang, image_placeholder="<image>")
    assert text.count("<image>") == count == prompts.NUM_IMAGES[config]
    assert text.endswith(prompts.report_template(lang))


def test_settings_describe_their_image_order():
    assert "每个层面依次为CT图像和PET图像" in prompts.user_prompt("separate")
    assert "3个冠状位层面" in prompts.user_prompt("separate")
    assert "最大密度投影（MIP）" in prompts.user_prompt("mip")
    assert "2个冠状位PET/CT融合图像" in prompts.user_prompt("mip", num_images=3)
    assert "5 coronal slice locations" in prompts.user_prompt("separate", "en", num_images=10)
    assert prompts.user_prompt("fused", num_images=5, image_placeholder="<i>").count("<i>") == 5


@pytest.mark.parametrize(("config", "n"), [("separate", 5), ("separate", 0), ("mip", 1), ("fused", 0)])
def test_impossible_image_counts_are_refused(config, n):
    with pytest.raises(InputError, match=f"got {n}"):
        prompts.user_prompt(config, num_images=n)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: prompts.user_prompt("volumes"),
            "config must be one of 'fused', 'separate', 'mip', 'lesion'; got 'volumes'",
        ),
        (lambda: prompts.system_prompt("fr"), "lang must be one of 'zh', 'en'; got 'fr'"),
        (lambda: prompts.template_report("EN"), "got 'EN'"),
        (lambda: prompts.user_prompt("fused", num_images=2.0), "must be an int"),
    ],
)
def test_bad_arguments_name_what_is_valid(call, message):
    with pytest.raises(InputError, match=re.escape(message)) as exc:
        call()
    assert isinstance(exc.value, ValueError) and isinstance(exc.value, Pet2RepError)


@pytest.mark.parametrize("lang", LANGS)
def test_template_report_drops_markers_keeps_their_content(lang):
    template = prompts.report_template(lang)
    report = prompts.template_report(lang)
    assert not set("[]【】") & set(report)
    assert report == template.replace("[", "").replace("]", "").replace("【", "").replace("】", "")
    assert prompts.template_report(lang, keep_markers=True) == template
    assert len(report) == len(template) - sum(template.count(c) for c in "[]【】")


def test_template_report_reads_like_a_report():
    report = prompts.template_report("zh")
    assert report.startswith("禁食状态下静脉注射18F-FDG")
    assert "脑形态、结构正常，双侧大脑皮质放射性分布均匀、对称，FDG摄取未见明显异常。" in report
    assert "左肾体积缩小" in report and "FDG摄取缺失" in report
    assert report.count("\n") == 6


def test_english_template_mirrors_the_chinese_structure():
    zh, en = prompts.report_template("zh"), prompts.report_template("en")
    assert en.count("\n") == zh.count("\n")
    assert en.count("【") == zh.count("【") and en.count("[") == zh.count("[")


def test_prompts_import_no_heavy_library():
    code = (
        "import sys, pet2rep.prompts; "
        "print(sorted(m for m in ('torch', 'transformers', 'lighteval', 'datasets') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
