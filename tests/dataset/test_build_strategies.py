"""``pet2rep build --slices/--masks/--mask-overlay``: the strategy reaches every config, masks from another folder
reach the worker processes, and the rows and the card record what was used."""

from __future__ import annotations

import argparse
import json
import shutil

import datasets
import numpy as np
import pytest

from pet2rep.cli import build_parser, main
from pet2rep.cli.render_args import add_render_arguments
from pet2rep.dataset.build import build_dataset
from pet2rep.dataset.rows import case_rows
from pet2rep.errors import MissingFileError
from pet2rep.imaging.cases import discover_cases
from pet2rep.imaging.render import MASK_OVERLAY_RGB, RenderOptions, load_case_volumes, render_volumes
from pet2rep.vocab import DATASET_CONFIGS


def _load(out, config, cache):
    return {r["case_id"]: r for r in datasets.load_dataset(str(out), config, split="test", cache_dir=str(cache))}


def _truth(case_dir) -> dict:
    return json.loads((case_dir / "truth.json").read_text(encoding="utf-8"))


@pytest.fixture
def split_masks(cohort, tmp_path, tools):
    """Three cases: ``synth_0000`` keeps its ``seg.nii.gz``, ``synth_0001``'s mask moved to ``masks/synth_0001.nii.gz``
    (found only through ``--masks``), ``synth_0002`` without any mask."""
    data = tools.copy_cohort(cohort, tmp_path / "data", {"synth_0000", "synth_0001", "synth_0002"})
    masks = tmp_path / "masks"
    masks.mkdir()
    shutil.move(data / "synth_0001" / "seg.nii.gz", masks / "synth_0001.nii.gz")
    (data / "synth_0002" / "seg.nii.gz").unlink()
    return data, masks


def test_build_with_lesion_slices_masks_and_overlay(split_masks, tmp_path, capsys):
    data, masks = split_masks
    out, cache = tmp_path / "pet2rep", tmp_path / "cache"
    args = ["build", str(data), "--out", str(out), "--configs", "fused,separate,mip,volumes", "--no-register"]
    # two worker processes: the masks folder must travel with each case
    args += ["--slices", "lesion", "--masks", str(masks), "--mask-overlay", "--num-proc", "2", "--quiet"]
    assert main(args) == 0, capsys.readouterr().err
    rows = {config: _load(out, config, cache) for config in ("fused", "separate", "mip", "volumes")}
    cases = {c.case_id: c for c in discover_cases(data)}
    for config in ("fused", "separate", "mip"):
        assert set(rows[config]["synth_0000"]) >= {"slice_strategy", "lesion_coverage", "mask_overlay"}
    for cid in ("synth_0000", "synth_0001"):  # a mask in the case folder, and one from --masks
        fused = rows["fused"][cid]
        assert fused["slice_strategy"] == "lesion" and fused["lesion_coverage"]["components"] == 1.0
        assert fused["mask_overlay"] is True and rows["mip"][cid]["mask_overlay"] is True
        assert rows["separate"][cid]["mask_overlay"] is False  # no fused picture to draw on
        for config in ("separate", "mip", "volumes"):  # one strategy, the same planes everywhere
            assert rows[config][cid]["slice_indices"] == fused["slice_indices"]
        # the planes the lesion strategy picks with that mask (the paper's planes where they already cut every
        # lesion: the planes left once every lesion is cut are the center planes)
        vols = load_case_volumes(cases[cid], masks)
        lesion = render_volumes(vols, ("fused",), RenderOptions(slice_strategy="lesion"))["fused"]
        assert fused["slice_indices"] == lesion.slice_indices and lesion.selection["slice_strategy"] == "lesion"
        # a plane shows an outline exactly when the mask (wherever it came from) has lesion voxels on it
        mask = vols.lesion_mask
        cyan = [np.all(np.asarray(img.convert("RGB")) == MASK_OVERLAY_RGB, axis=2).any() for img in fused["images"]]
        assert cyan == [bool(mask[:, j, :].any()) for j in fused["slice_indices"]] and any(cyan)
        assert "mask_overlay" not in rows["volumes"][cid]
    # no mask anywhere: lesion falls back to hot spots (or center), no coverage, nothing drawn
    none = rows["fused"]["synth_0002"]
    assert none["slice_strategy"] in ("hotspot", "center") and none["lesion_coverage"] is None
    assert none["mask_overlay"] is False
    card = (out / "README.md").read_text(encoding="utf-8")
    assert "planes through the lesions (`--slices lesion`)" in card
    assert "a masks folder given to the build (`--masks`)" in card and str(masks) not in card
    assert "**Mask overlay.** on (`--mask-overlay`)" in card


def test_default_build_keeps_the_papers_planes_and_records_coverage(built, hf_cache, cohort):
    card = (built.out / "README.md").read_text(encoding="utf-8")
    assert "the planes above (`--slices center`, the paper's protocol)" in card
    assert "**Mask overlay.** off" in card and "(`--masks`)" not in card
    fused = _load(built.out, "fused", hf_cache)
    for case in discover_cases(cohort):
        row = fused[case.case_id]
        assert row["slice_strategy"] == "center" and row["slice_indices"] == _truth(case.root)["key_slices"]
        assert row["lesion_coverage"]["n_components"] >= 1 and row["mask_overlay"] is False


def test_volumes_alone_follow_the_strategy(cohort, tmp_path):
    import nibabel as nib

    case = discover_cases(cohort)[1]
    key_slices = _truth(case.root)["key_slices"]
    # a mask (on the RAS PET grid) with one lesion 6 planes in front of the paper's first plane
    vols = load_case_volumes(case)
    mask = np.zeros(vols.pet_shape, dtype=np.uint8)
    x, z = (n // 2 for n in vols.pet_shape[::2])
    mask[x : x + 2, key_slices[0] - 6, z : z + 2] = 1
    masks = tmp_path / "masks"
    masks.mkdir()
    nib.save(nib.Nifti1Image(mask, vols.pet_affine), masks / f"{case.case_id}.nii.gz")
    opts = RenderOptions(slice_strategy="lesion")
    alone = case_rows(case, ["volumes"], opts, masks_dir=masks)["volumes"]["slice_indices"]
    assert alone == case_rows(case, ["fused"], opts, masks_dir=masks)["fused"]["slice_indices"]
    # the lesion's plane, then the paper's planes it does not stand for: the middle one, then of the two outer ones
    # (equally far from the centre) the lower
    assert alone == [key_slices[0] - 6, key_slices[0], key_slices[1]]
    # with the lesion config only (which forces its own strategy), volumes still follow options.slice_strategy
    both = case_rows(case, ["lesion", "volumes"], RenderOptions())
    assert both["volumes"]["slice_indices"] == _truth(case.root)["key_slices"]


def test_missing_masks_folder_fails_at_once(cohort, tmp_path, capsys):
    out = tmp_path / "x"
    assert main(["build", str(cohort), "--out", str(out), "--quiet", "--masks", str(tmp_path / "nowhere")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("pet2rep build: error: --masks: expected a folder of <case_id>.nii.gz lesion masks")
    assert len(err.strip().splitlines()) == 1 and not out.exists()
    with pytest.raises(MissingFileError, match="masks folder not found"):
        build_dataset(cohort, out, ["fused"], masks_dir=tmp_path / "nowhere", progress=False, register=False)
    assert not out.exists()


def _subparser(name: str) -> argparse.ArgumentParser:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return sub.choices[name]


def test_render_and_build_share_every_render_option():
    shared = argparse.ArgumentParser()
    add_render_arguments(shared)
    expected = {
        a.dest: (a.option_strings, a.default, a.choices) for a in shared._actions if a.dest != "help" and a.dest
    }
    assert {"slices", "masks", "mask_overlay", "num_slices", "min_slice_gap"} <= set(expected)
    for command in ("render", "build"):
        actions = {a.dest: (a.option_strings, a.default, a.choices) for a in _subparser(command)._actions}
        assert {dest: actions.get(dest) for dest in expected} == expected, command


def test_build_help_lists_every_config():
    help_text = " ".join(_subparser("build").format_help().split())
    assert f"among {', '.join(DATASET_CONFIGS)}" in help_text and "lesion" in DATASET_CONFIGS
    assert "(default: fused,separate,mip,volumes)" in help_text
