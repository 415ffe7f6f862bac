"""The About tab: the task's input settings as the dataset renders them, every column of the table, how to submit."""

from __future__ import annotations

import re

from pet2rep_space import leaderboard as lb
from pet2rep_space.about import ABOUT
from pet2rep_space.validation import SETTINGS

from pet2rep.prompts import NUM_IMAGES
from pet2rep.vocab import SUBMISSION_CATEGORY


def test_each_input_setting_is_described_with_its_pictures():
    bullets = dict(re.findall(r"^- `(\w+)`: (.+?)(?=^- `|^\n)", ABOUT, flags=re.M | re.S))
    assert set(bullets) == set(SETTINGS)
    for setting in SETTINGS:
        assert f"({NUM_IMAGES[setting]} images" in bullets[setting], (setting, bullets[setting])
    assert "maximum intensity projection, then the 3 fused slices" in bullets["mip"]


def test_every_column_and_metric_is_explained():
    for column in (lb.COL_CATEGORY, lb.COL_TEST_SET, lb.COL_DATE, lb.COL_OVERALL):
        assert f"*{column}*" in ABOUT or f"**{column}**" in ABOUT, column
    for group in lb.COLUMN_GROUPS:
        assert f"**{group} ·**" in ABOUT
    for name in ("BLEU-4", "METEOR", "ROUGE-L", "CE precision, recall and F1"):
        assert f"**{name}**" in ABOUT
    assert "PET2Rep-565 (published)" in ABOUT and SUBMISSION_CATEGORY in ABOUT


def test_the_threat_model_says_what_a_submitter_can_and_cannot_learn():
    section = ABOUT.split("## What a submitter can and cannot learn (threat model)")[1]
    for defence in ("**Rounding.**", "**Near-duplicates are refused.**", "**Empty reports are limited**", "n<5"):
        assert defence in section, defence
    assert "**can** learn" in section and "**cannot** get" in section


def test_how_to_submit_uses_the_public_endpoint_in_its_argument_order():
    call = re.search(r"client\.predict\((.+?)\)\n```", ABOUT, flags=re.S).group(1)
    assert 'api_name="/submit"' in call
    assert re.search(r'"my-model", "https://[^"]+", "fused", handle_file\("predictions\.jsonl"\)', call)
