"""The evaluate module metrics/pet2rep_ce: loads offline by path and by name, doctests, same numbers as score."""

from __future__ import annotations

import doctest
import os

import pytest

from pet2rep.errors import InputError
from pet2rep.metrics import score

MODULE_DIR = ("metrics", "pet2rep_ce")


@pytest.fixture(scope="module")
def evaluate_lib(tmp_path_factory):
    # evaluate copies loaded modules into HF_MODULES_CACHE; keep them out of the home directory when we can
    # (it is read when evaluate is first imported in this process).
    os.environ.setdefault("HF_MODULES_CACHE", str(tmp_path_factory.mktemp("hf_modules")))
    assert os.environ.get("HF_EVALUATE_OFFLINE") == "1"  # evaluate ignores HF_HUB_OFFLINE
    return pytest.importorskip("evaluate")


@pytest.fixture(scope="module")
def by_name(evaluate_lib, repo_root):
    """evaluate.load("pet2rep_ce") from metrics/, as the metric card and the doctests do."""
    cwd = os.getcwd()
    os.chdir(repo_root / MODULE_DIR[0])
    try:
        yield evaluate_lib.load("pet2rep_ce")
    finally:
        os.chdir(cwd)


def test_load_by_path_from_the_repo_root(evaluate_lib, repo_root, monkeypatch):
    monkeypatch.chdir(repo_root)
    metric = evaluate_lib.load("/".join(MODULE_DIR))
    assert metric.name == "pet2rep_ce"
    result = metric.compute(predictions=["肝脏FDG摄取增高。"], references=["肝脏FDG摄取增高。"], bootstrap=0)
    assert result["ce_f1_increased"] == 1.0


def test_doctest_examples(evaluate_lib, by_name, repo_root, monkeypatch):
    monkeypatch.chdir(repo_root / MODULE_DIR[0])
    docstring = by_name.inputs_description
    assert ">>>" in docstring
    parser = doctest.DocTestParser()
    test = parser.get_doctest(docstring, {"evaluate": evaluate_lib}, "pet2rep_ce", "pet2rep_ce.py", 0)
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    assert runner.failures == 0
    assert runner.tries >= 6
    assert ">>>" in by_name.description + by_name.inputs_description  # the card text comes from the constants


def test_numbers_equal_pet2rep_metrics_score(by_name, official_texts):
    predictions = [official_texts["template"], "胃FDG摄取增高。", "", "左肾未见FDG摄取。"]
    references = [
        official_texts["answer"],
        "胃窦FDG摄取增高，肝脏FDG摄取减低。",
        "骨髓FDG摄取增高。",
        "左肾FDG摄取缺失。",
    ]
    ce = by_name.compute(predictions=predictions, references=references, bootstrap=100, seed=4)
    expected = score(predictions, references, metrics=["ce"], bootstrap=100, seed=4, return_per_sample=False)
    assert ce == expected
    assert "bleu_4" not in ce
    full = by_name.compute(predictions=predictions, references=references, include_nlg=True, bootstrap=0)
    expected = score(predictions, references, bootstrap=0, return_per_sample=False)
    assert full == expected
    assert full["bleu_4"] > 0


def test_batches_and_errors(by_name):
    by_name.add_batch(predictions=["肝脏FDG摄取增高。"], references=["肝脏FDG摄取增高。"])
    by_name.add_batch(predictions=["脾脏FDG摄取减低。"], references=["脾脏FDG摄取未见异常。"])
    result = by_name.compute(bootstrap=0)
    assert result["num_samples"] == 2
    assert result["ce_precision_decreased"] == 0.0 and result["ce_precision_increased"] == 1.0
    with pytest.raises(InputError, match="lang must be one of"):
        by_name.compute(predictions=["a"], references=["a"], lang="de")


def test_module_imports_are_one_per_line(repo_root):
    """evaluate parses imports with a regex: one import per line, no relative imports."""
    source = (repo_root.joinpath(*MODULE_DIR) / "pet2rep_ce.py").read_text(encoding="utf-8")
    imports = [line for line in source.splitlines() if line.startswith(("import ", "from "))]
    assert imports == [
        "import datasets",
        "import evaluate",
        "from pet2rep.metrics import score",
        "from pet2rep.paper import CITATION",
    ]


def test_app_widget_computes_the_same_scores(evaluate_lib, repo_root):
    gr = pytest.importorskip("gradio")
    import importlib.util
    import json

    path = repo_root.joinpath(*MODULE_DIR) / "app.py"
    spec = importlib.util.spec_from_file_location("pet2rep_ce_app", path)
    app = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(app)  # builds the Interface; launching is left to __main__
    assert isinstance(app.demo, gr.Interface)
    out = json.loads(
        app.compute("肝脏FDG摄取增高。\n脾脏FDG摄取减低。", "肝脏FDG摄取增高。\n脾脏未见异常。", "auto", True)
    )
    assert out == score(
        ["肝脏FDG摄取增高。", "脾脏FDG摄取减低。"], ["肝脏FDG摄取增高。", "脾脏未见异常。"], return_per_sample=False
    )
    with pytest.raises(gr.Error, match="number of predictions"):
        app.compute("a\nb", "a", "auto", False)
