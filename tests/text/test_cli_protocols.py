"""``pet2rep score --protocol`` and ``--pairs``: the CLI agrees with the library and records the protocol."""

from __future__ import annotations

import csv
import json
import re
import shlex
from pathlib import Path

import pytest

from pet2rep.cli import main
from pet2rep.errors import InputError, MissingFileError
from pet2rep.metrics import score
from pet2rep.pairs import read_pairs

DEV_PAIRS = Path(__file__).parent / "data" / "petrg3d_pairs_dev.jsonl"


@pytest.fixture(scope="module")
def dev_rows() -> list[dict]:
    return [json.loads(line) for line in DEV_PAIRS.read_text(encoding="utf-8").splitlines()][:12]


@pytest.fixture
def petrg3d_csv(tmp_path, dev_rows) -> Path:
    """The first pairs in the shape of PETRG-3D's released CSV (multi-line quoted reports, extra columns)."""
    path = tmp_path / "valid_infer_ckpt1260_autopet.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["AccNum", "Question", "GT_report", "Pred_report", "Cleaned_Pred_report"])
        for r in dev_rows:
            writer.writerow(
                [r["id"], '[{"role": "user"}]', r["reference"], r["prediction"] + "【报告结束】", r["prediction"]]
            )
    return path


def test_petrg3d_csv_table_and_json_agree_with_the_library(petrg3d_csv, dev_rows, tmp_path, capsys):
    out = tmp_path / "scores.json"
    argv = ["score", "--pairs", str(petrg3d_csv), "--protocol", "petrg3d", "--out", str(out)]
    argv += ["--prediction-column", "Cleaned_Pred_report", "--reference-column", "GT_report", "--id-column", "AccNum"]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    expected = score([r["prediction"] for r in dev_rows], [r["reference"] for r in dev_rows], protocol="petrg3d")
    assert printed.startswith("12 cases, lang zh, protocol petrg3d")
    for label, key in (("BLEU-4", "bleu_4"), ("CIDEr", "cider"), ("corpus BLEU-4", "corpus_bleu_4")):
        assert f"{label:<16}{expected[key]:>8.2f}" in printed
    saved = json.loads(out.read_text(encoding="utf-8"))
    assert next(iter(saved)) == "protocol" and saved["protocol"] == "petrg3d"
    assert saved["case_ids"] == [r["id"] for r in dev_rows]
    assert {k: saved[k] for k in expected if k != "per_sample"} == {
        k: v for k, v in expected.items() if k != "per_sample"
    }


def test_pairs_jsonl_default_columns_and_default_protocol(tmp_path, dev_rows, capsys):
    path = tmp_path / "pairs.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in dev_rows[:4]), encoding="utf-8")
    out = tmp_path / "scores.json"
    assert main(["score", "--pairs", str(path), "--bootstrap", "0", "--out", str(out)]) == 0
    assert "4 cases, lang zh, protocol pet2rep" in capsys.readouterr().out
    saved = json.loads(out.read_text(encoding="utf-8"))
    expected = score([r["prediction"] for r in dev_rows[:4]], [r["reference"] for r in dev_rows[:4]], bootstrap=0)
    assert saved["protocol"] == "pet2rep" and saved["ce_f1"] == expected["ce_f1"]
    assert saved["bleu_4"] == expected["bleu_4"] and saved["case_ids"] == [r["id"] for r in dev_rows[:4]]


def test_read_pairs_csv_equals_jsonl_and_row_number_ids(petrg3d_csv, dev_rows, tmp_path):
    ids, preds, refs = read_pairs(
        petrg3d_csv, prediction_column="Cleaned_Pred_report", reference_column="GT_report", id_column="AccNum"
    )
    assert ids == [r["id"] for r in dev_rows]
    assert preds == [r["prediction"] for r in dev_rows] and refs == [r["reference"] for r in dev_rows]
    assert any("\n" in t for t in refs)  # multi-line quoted cells survive
    ids, _, _ = read_pairs(petrg3d_csv, prediction_column="Pred_report", reference_column="GT_report")
    assert ids == [str(i) for i in range(1, len(dev_rows) + 1)]  # no "id" column: row numbers
    empty_cell = tmp_path / "empty.csv"
    empty_cell.write_text("id,prediction,reference\na,,肝脏未见异常。\n", encoding="utf-8")
    assert read_pairs(empty_cell) == (["a"], [""], ["肝脏未见异常。"])


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (
            "id,pred,reference\na,x,y\n",
            "p.csv",
            "no prediction column 'prediction'; the file's columns are: 'id', 'pred'",
        ),
        ("id,prediction,reference\na,x\n", "p.csv", "line 2: a row with a different number of fields"),
        ("id,prediction,reference\n", "p.csv", "no rows"),
        ('{"prediction": "x", "reference": 3}\n', "p.jsonl", "line 1: 'reference' must be a string; got int"),
        ('{"prediction": "x", "reference": "y"}\n{"prediction": "x"}\n', "p.jsonl", "line 2: no 'reference'"),
        ('{"prediction": "x", "reference": "y"}\n[1]\n', "p.jsonl", "line 2: expected a JSON object"),
    ],
)
def test_bad_pairs_files(tmp_path, content, name, message):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_pairs(path)


def test_cli_errors_are_one_line(tmp_path, dev_rows, capsys):
    with pytest.raises(MissingFileError):
        read_pairs(tmp_path / "none.csv")
    path = tmp_path / "pairs.jsonl"
    path.write_text(json.dumps(dev_rows[0], ensure_ascii=False) + "\n", encoding="utf-8")
    assert main(["score", "--pairs", str(path), "--predictions", str(path)]) == 1
    assert (
        capsys.readouterr().err
        == "pet2rep score: error: give either --pairs or --predictions and --references, not both\n"
    )
    assert main(["score"]) == 1
    assert capsys.readouterr().err == "pet2rep score: error: give --predictions and --references, or --pairs\n"
    assert main(["score", "--pairs", str(path), "--prediction-column", "Pred"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("pet2rep score: error: ") and "no prediction column 'Pred'" in err and "Traceback" not in err
    with pytest.raises(SystemExit) as info:
        main(["score", "--pairs", str(path), "--protocol", "coco"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    last = err.splitlines()[-1]
    assert last.startswith("pet2rep score: error: argument --protocol: invalid choice: 'coco' (choose from ")
    assert "pet2rep" in last.partition("choose from")[2] and "petrg3d" in last, last


def _readme_commands() -> list[list[str]]:
    """The commands of the README's "Comparing with other papers" section (``sh`` blocks)."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Comparing with other papers", 1)[1].split("\n## ", 1)[0]
    return [shlex.split(block.replace("\\\n", " ")) for block in re.findall(r"```sh\n(.*?)```", section, flags=re.S)]


def test_readme_reproduction_commands(petrg3d_csv, tmp_path, capsys, monkeypatch):
    csv_command, dev_command = _readme_commands()
    assert csv_command[:2] == ["pet2rep", "score"] and "Cleaned_Pred_report" in csv_command
    argv = csv_command[1:]
    argv[argv.index("--pairs") + 1] = str(petrg3d_csv)  # the released CSV's shape, 12 of its rows
    argv[argv.index("--out") + 1] = str(tmp_path / "scores.json")
    assert main(argv) == 0
    assert json.loads((tmp_path / "scores.json").read_text(encoding="utf-8"))["protocol"] == "petrg3d"
    capsys.readouterr()
    monkeypatch.chdir(Path(__file__).resolve().parents[2])
    assert main(dev_command[1:]) == 0
    printed = capsys.readouterr().out
    for label, figure in (("BLEU-4", "33.18"), ("METEOR", "41.69"), ("ROUGE-L", "41.50"), ("CIDEr", "0.34")):
        assert f"{label:<16}{figure:>8}" in printed, label  # the figures the README quotes
    assert f"{'corpus BLEU-4':<16}{'34.02':>8}" in printed
