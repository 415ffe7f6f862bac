"""The ``lesion`` config: fused pictures on planes through the lesions, with the strategy and coverage per row."""

from __future__ import annotations

import json

import datasets
import numpy as np

from pet2rep import lighteval as glue
from pet2rep import prompts
from pet2rep.imaging.cases import discover_cases
from pet2rep.imaging.masks import load_mask
from pet2rep.imaging.render import load_case_volumes
from pet2rep.imaging.slices import lesion_components, lesion_coverage


def test_lesion_config_is_built_and_loads(built, hf_cache, cohort):
    ds = datasets.load_dataset(str(built.out), "lesion", split="test", cache_dir=str(hf_cache))
    fused = datasets.load_dataset(str(built.out), "fused", split="test", cache_dir=str(hf_cache))
    assert ds["case_id"] == fused["case_id"] and ds.num_rows == 4
    for columns in (ds.column_names, fused.column_names):
        assert {"slice_strategy", "lesion_coverage", "mask_overlay", "slice_indices"} <= set(columns)
    cases = {c.case_id: c for c in discover_cases(cohort)}
    for row, frow in zip(ds, fused, strict=True):
        case = cases[row["case_id"]]
        truth = json.loads((case.root / "truth.json").read_text(encoding="utf-8"))
        assert frow["slice_indices"] == truth["key_slices"]  # the other configs keep the paper's planes
        assert frow["slice_strategy"] == "center" and not frow["mask_overlay"] and not row["mask_overlay"]
        assert row["slice_strategy"] == "lesion"  # every synthetic case has its seg.nii.gz
        assert len(row["images"]) == 3 and all(
            f"_fused_{j}.png" in n for j, n in zip(row["slice_indices"], row["image_names"], strict=True)
        )
        # the recorded coverage is that of the recorded planes against the case's mask
        vols = load_case_volumes(case)
        mask = load_mask(case, vols.pet_affine, vols.pet_shape)
        expected = lesion_coverage(
            lesion_components(mask), row["slice_indices"], voxel_ml=float(np.prod(vols.pet_spacing_mm)) / 1000
        )
        assert row["lesion_coverage"] == expected
        assert row["lesion_coverage"]["components"] == 1.0
        # the paper's planes get their coverage too: what the center protocol misses
        voxel_ml = float(np.prod(vols.pet_spacing_mm)) / 1000
        assert frow["lesion_coverage"] == lesion_coverage(
            lesion_components(mask), frow["slice_indices"], voxel_ml=voxel_ml
        )
        assert frow["lesion_coverage"]["components"] <= row["lesion_coverage"]["components"]


def test_lesion_task_prompt_on_a_row(built, hf_cache):
    ds = datasets.load_dataset(str(built.out), "lesion", split="test", cache_dir=str(hf_cache))
    row = dict(ds[0])
    fields = glue.doc_fields(row, "pet2rep:lesion")
    assert fields["query"] == prompts.user_prompt("lesion", "zh")
    assert "经病灶选取的冠状位PET/CT融合图像" in fields["query"]
    assert "chosen through the lesions" in prompts.user_prompt("lesion", "en")
    assert prompts.user_prompt("fused", "en") != prompts.user_prompt("lesion", "en")
    assert len(fields["images"]) == 3
