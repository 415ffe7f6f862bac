"""Key-slice strategies: greedy plane choice and lesion coverage on constructed masks, hot spots, fallbacks."""

from __future__ import annotations

import numpy as np
import pytest

from pet2rep.errors import GeometryError, InputError
from pet2rep.imaging.render import CaseVolumes, RenderOptions, render_volumes
from pet2rep.imaging.slices import (
    HotspotRule,
    choose_planes,
    hotspot_mask,
    lesion_components,
    lesion_coverage,
    select_slices,
)


def _mask(shape=(20, 60, 20)) -> np.ndarray:
    """Four lesions at known coronal planes (axis 1):

    A: planes 5..8, 2x4x2 = 16 voxels;  B: planes 30..31, 3x2x3 = 18 voxels;  C: planes 31..33, 1x3x1 = 3 voxels;
    D: planes 50..59, 4x10x4 = 160 voxels.  Total 197 voxels.
    """
    m = np.zeros(shape, dtype=bool)
    m[2:4, 5:9, 2:4] = True  # A
    m[10:13, 30:32, 10:13] = True  # B
    m[16, 31:34, 16] = True  # C (not touching B)
    m[4:8, 50:60, 12:16] = True  # D
    return m


def test_components_and_their_plane_runs():
    comps = lesion_components(_mask())
    assert comps.count == 4
    assert sorted(zip(comps.first.tolist(), comps.last.tolist(), comps.volume_vox.tolist(), strict=True)) == [
        (5, 8, 16),
        (30, 31, 18),
        (31, 33, 3),
        (50, 59, 160),
    ]
    assert comps.total_vox == 197 and int(comps.plane_vox[31]) == 9 + 1
    # corner-touching voxels are one component (26-connectivity)
    m = np.zeros((4, 4, 4), dtype=bool)
    m[0, 0, 0] = m[1, 1, 1] = True
    assert lesion_components(m).count == 1


def test_coverage_numbers_on_a_constructed_case():
    comps = lesion_components(_mask())
    cov = lesion_coverage(comps, [7, 31, 40], voxel_ml=0.5)
    assert cov["n_components"] == 4 and cov["n_components_hit"] == 3
    assert cov["components"] == 0.75
    assert cov["volume"] == round((16 + 18 + 3) / 197, 6)
    # plane 7: 4 voxels of A; plane 31: 9 of B + 1 of C; plane 40: none
    assert cov["in_plane_volume"] == round(14 / 197, 6)
    assert cov["lesion_volume_ml"] == 98.5
    # the same plane twice counts once
    assert lesion_coverage(comps, [7, 7])["in_plane_volume"] == round(4 / 197, 6)
    assert lesion_coverage(lesion_components(np.zeros((3, 3, 3), bool)), [1]) is None


def test_greedy_finds_the_known_optimum():
    comps = lesion_components(_mask())
    # D is most of the volume: first pick; then plane 31 covers B and C together (two components);
    # then A. Ties within a run go to the plane with most lesion voxels, then nearest the centre.
    planes = choose_planes(comps, 3, min_gap_vox=3, centre=30)
    assert planes[1] == 31
    assert 5 <= planes[0] <= 8 and 50 <= planes[2] <= 59
    assert lesion_coverage(comps, planes)["components"] == 1.0
    # two planes: D and the B+C plane beat D and A (2 components + 21 voxels vs 1 + 16)
    two = choose_planes(comps, 2, min_gap_vox=3, centre=30)
    assert two[0] == 31 and 50 <= two[1] <= 59
    # one plane: D (160/197 of the volume + 1/4) beats B+C (21/197 + 2/4)
    assert 50 <= choose_planes(comps, 1, min_gap_vox=1, centre=0)[0] <= 59


def test_minimum_spacing_is_kept_and_checked():
    m = np.zeros((5, 40, 5), dtype=bool)
    m[2, 20, 2] = m[2, 21, 2] = True  # one small lesion: all planes go near it, kept apart
    comps = lesion_components(m)
    planes = choose_planes(comps, 3, min_gap_vox=4, centre=0)
    assert min(np.diff(planes)) >= 4
    assert any(p in (20, 21) for p in planes)
    with pytest.raises(GeometryError, match="has 40 coronal planes; 3 key slices at least 25 planes apart need 51"):
        choose_planes(comps, 3, min_gap_vox=25, centre=0)
    with pytest.raises(InputError, match="n >= 1"):
        choose_planes(comps, 0, min_gap_vox=1, centre=0)


def test_planes_beyond_coverage_stand_for_the_center_planes():
    m = np.zeros((5, 60, 5), dtype=bool)
    m[2, 20:23, 2] = True  # one lesion, planes 20..22: covered by the first plane
    comps = lesion_components(m)
    # without fill: the lesion's plane nearest the centre, then empty planes nearest the centre
    assert choose_planes(comps, 3, min_gap_vox=3, centre=30) == [22, 27, 30]
    # with the paper's planes: the lesion's plane, then the center planes it does not stand for
    assert choose_planes(comps, 3, min_gap_vox=3, centre=30, fill=[20, 30, 40]) == [22, 30, 40]
    # a center plane within the gap of a chosen plane is already stood for: the next one is used
    assert choose_planes(comps, 3, min_gap_vox=3, centre=30, fill=[21, 32, 42]) == [22, 32, 42]
    # a center plane blocked but not stood for: the nearest allowed plane to it
    m2 = np.zeros((5, 60, 5), dtype=bool)
    m2[2, 28, 2] = True
    planes = choose_planes(lesion_components(m2), 3, min_gap_vox=5, centre=30, fill=[20, 30, 40])
    assert planes == [20, 28, 40]  # 30 is within 5 of the lesion plane 28: it stands for it
    # every component still comes first: two lesions, two planes, whatever the fill
    m3 = np.zeros((5, 60, 5), dtype=bool)
    m3[2, 5, 2] = m3[2, 55, 2] = True
    assert choose_planes(lesion_components(m3), 2, min_gap_vox=3, centre=30, fill=[20, 30, 40]) == [5, 55]


def test_hotspot_finds_a_focus_and_excludes_the_brain_and_bladder():
    suv = np.full((40, 40, 100), 1.0, dtype=np.float32)  # body: z 0..99, head at the top (high z)
    suv[15:25, 15:25, 92:99] = 9.0  # brain: top 12 %
    suv[17:23, 20:26, 3:9] = 30.0  # bladder: bottom, midline, 216 voxels
    suv[5:8, 10:13, 60:63] = 7.0  # a focus off the midline, chest level
    suv[30, 30, 50] = 6.0  # a single hot voxel: noise
    mask, info = hotspot_mask(suv, voxel_ml=0.5, rule=HotspotRule())
    assert info["threshold_suv"] == 3.0 and info["kept"] == 1
    assert info["excluded"]["brain"] == 1 and info["excluded"]["bladder"] == 1 and info["excluded"]["noise"] == 1
    assert np.array_equal(np.argwhere(mask), np.argwhere(suv == 7.0))


def test_select_slices_fallbacks_and_records():
    opts = RenderOptions(slice_strategy="lesion")
    suv = np.ones((20, 60, 20), dtype=np.float32)
    centre = [20, 30, 40]
    idx, rec = select_slices(centre, opts, suv_ras=suv, voxel_ml=1.0, lesion_mask=_mask(), mask_name="seg.nii.gz")
    assert rec["slice_strategy"] == "lesion" and rec["slice_fallback"] is None
    assert rec["lesion_coverage"]["components"] == 1.0 and idx[1] == 31
    # the center strategy still reports what it covers when a mask exists
    idx_c, rec_c = select_slices(centre, RenderOptions(), suv_ras=suv, voxel_ml=1.0, lesion_mask=_mask())
    # planes 20, 30, 40 cut B (30..31) only
    assert idx_c == centre and rec_c["lesion_coverage"]["components"] == 0.25
    assert rec_c["slice_strategy"] == "center" and rec_c["slice_fallback"] is None
    # empty mask: center, said so, coverage null
    idx_e, rec_e = select_slices(centre, opts, suv_ras=suv, voxel_ml=1.0, lesion_mask=np.zeros_like(_mask()))
    assert idx_e == centre and rec_e["slice_strategy"] == "center"
    assert rec_e["slice_fallback"] == "the lesion mask is empty" and rec_e["lesion_coverage"] is None
    # no mask: hot spots; none there either: center
    idx_n, rec_n = select_slices(centre, opts, suv_ras=suv, voxel_ml=1.0)
    assert idx_n == centre and rec_n["slice_fallback"] == "no lesion mask; no SUV hot spot"
    assert rec_n["hotspot"]["kept"] == 0 and rec_n["lesion_coverage"] is None


def test_render_records_strategy_and_coverage(tiny_volumes):
    ct, ct_aff, suv, pet_aff = tiny_volumes
    vols = CaseVolumes.from_arrays(ct, ct_aff, suv, pet_aff, case_id="t")
    mask = np.zeros(vols.pet_shape, dtype=bool)
    mask[6:9, 14:16, 15:18] = True
    vols.lesion_mask, vols.mask_name = mask, "seg.nii.gz"
    opts = RenderOptions(num_slices=3, slice_spacing_vox=2, slice_strategy="lesion", min_slice_gap_vox=2)
    rec = render_volumes(vols, ("fused",), opts)["fused"].record()
    assert rec["slice_strategy"] == "lesion" and rec["lesion_mask"] == "seg.nii.gz"
    assert any(j in (14, 15) for j in rec["slice_indices"])
    assert rec["lesion_coverage"]["components"] == 1.0
    assert rec["options"]["slice_strategy"] == "lesion"
    with pytest.raises(InputError, match="slice_strategy: expected one of"):
        RenderOptions(slice_strategy="random")


def test_cli_render_with_strategies_and_masks(synth_cohort, tmp_path, capsys):
    import json
    import shutil

    from pet2rep.cli import main

    data = tmp_path / "data"
    shutil.copytree(synth_cohort / "synth_0002", data / "synth_0002")
    truth = json.loads((data / "synth_0002" / "truth.json").read_text(encoding="utf-8"))
    for strategy in ("center", "lesion", "hotspot"):
        out = tmp_path / strategy
        args = ["render", str(data), "--config", "fused", "--out", str(out), "--slices", strategy, "--no-progress"]
        assert main(args) == 0
        rec = json.loads((out / "synth_0002.json").read_text(encoding="utf-8"))
        assert rec["slice_strategy_requested"] == strategy and rec["lesion_mask"] == "seg.nii.gz"
        assert rec["lesion_coverage"]["n_components"] >= 1
        assert len(rec["images"]) == 3
        if strategy == "center":
            assert rec["slice_indices"] == truth["key_slices"]
        if strategy == "lesion":  # every truth lesion's centre plane is within one of the chosen planes' lesions
            assert rec["lesion_coverage"]["components"] == 1.0
    # --masks: an empty mask from another tool wins over seg.nii.gz -> center, said so
    masks = tmp_path / "pred"
    import nibabel as nib

    seg = nib.load(str(data / "synth_0002" / "seg.nii.gz"))
    masks.mkdir()
    nib.save(nib.Nifti1Image(np.zeros(seg.shape, np.uint8), seg.affine), str(masks / "synth_0002.nii.gz"))
    out = tmp_path / "empty"
    args = ["render", str(data), "--config", "fused", "--out", str(out), "--slices", "lesion", "--masks", str(masks)]
    assert main([*args, "--no-progress"]) == 0
    rec = json.loads((out / "synth_0002.json").read_text(encoding="utf-8"))
    assert rec["slice_strategy"] == "center" and rec["slice_fallback"] == "the lesion mask is empty"
    assert rec["lesion_coverage"] is None and rec["slice_indices"] == truth["key_slices"]
    capsys.readouterr()
    assert main(["render", str(data), "--config", "fused", "--out", str(out), "--masks", str(tmp_path / "no")]) == 1
    assert "pet2rep render: error: --masks: expected a folder" in capsys.readouterr().err
    assert main([*args[:-2], "--min-slice-gap", "0"]) == 1
    assert "--min-slice-gap: expected" in capsys.readouterr().err
