"""pet2rep.testing.extras_env: the distributions of pet2rep[EXTRAS] and an environment holding only those."""

from __future__ import annotations

import os
import subprocess

import pytest

from pet2rep.errors import InputError
from pet2rep.testing.extras_env import extras_closure, make_extras_env


def test_the_closure_follows_extras_and_their_own_extras():
    core = set(extras_closure([]))
    assert {"pet2rep", "numpy", "scipy", "nibabel", "jieba", "nltk"} <= core
    assert not {"datasets", "evaluate", "gradio", "torch"} & core
    hf = extras_closure(["hf"])
    assert {"datasets", "pyarrow", "huggingface-hub"} <= set(hf) and core <= set(hf)
    metric = extras_closure(["metric"])  # metric requires pet2rep[hf]: its extras are followed
    assert {"evaluate", "datasets"} <= set(metric) and metric["pet2rep"] >= {"metric", "hf"}
    assert "torch" not in metric
    space = extras_closure(["space"])
    assert space["gradio"] >= {"oauth"} and "authlib" in space  # gradio[oauth]'s own requirement


def test_an_undefined_extra_is_refused():
    with pytest.raises(InputError, match=r"pet2rep has no extra\(s\) nope; defined: .*hf"):
        extras_closure(["hf", "nope"])


def test_the_environment_imports_only_its_extras(tmp_path):
    python = make_extras_env(tmp_path / "env", ["hf"])
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    ok = subprocess.run([python, "-c", "import datasets, pet2rep.dataset"], env=env, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr[-2000:]
    missing = subprocess.run([python, "-c", "import evaluate"], env=env, capture_output=True, text=True)
    assert "No module named 'evaluate'" in missing.stderr
