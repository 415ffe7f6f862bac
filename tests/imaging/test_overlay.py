"""``mask_overlay``: the lesion mask's outline on the fused pictures, exactly on the mask's edge, and nothing else."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from PIL import Image

from pet2rep.errors import InputError
from pet2rep.imaging.render import (
    MASK_OVERLAY_RGB,
    CaseVolumes,
    RenderOptions,
    mask_outline,
    render_volumes,
    to_picture,
)

OPTS = RenderOptions(slice_spacing_vox=4)
OVERLAY = RenderOptions(slice_spacing_vox=4, mask_overlay=True)


def _boundary(mask: np.ndarray) -> np.ndarray:
    """Mask pixels with a 4-neighbour outside the mask or the picture, by direct comparison (no scipy)."""
    m = np.pad(mask, 1, constant_values=False)
    inner = m[:-2, 1:-1] & m[2:, 1:-1] & m[1:-1, :-2] & m[1:-1, 2:]
    return mask & ~inner


def _mask(shape) -> np.ndarray:
    """A different shape on every coronal plane (axis 1), so a picture outlined with another plane's mask fails:
    a box whose size grows with the plane, with a hole, and a blob touching the grid's edge."""
    m = np.zeros(shape, dtype=bool)
    for j in range(shape[1]):
        half = 2 + j % 4
        m[10 - half : 10 + half, j, 8 : 8 + 2 * half] = True
        m[9:11, j, 10:12] = False  # a hole: its rim is outline too
    m[0:3, :, 20:25] = True  # on the x and z edges of the grid
    return m


def _volumes(tiny, *, with_mask: bool = True, pet_affine=None) -> CaseVolumes:
    ct, ct_aff, suv, pet_aff = tiny
    vols = CaseVolumes.from_arrays(ct, ct_aff, suv, pet_aff if pet_affine is None else pet_affine, case_id="t")
    if with_mask:
        vols.lesion_mask, vols.mask_name = _mask(vols.pet_shape), "seg.nii.gz"
    return vols


def _cyan(img: Image.Image) -> np.ndarray:
    return np.all(np.asarray(img) == MASK_OVERLAY_RGB, axis=2)


def _png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def test_mask_outline_is_the_boundary():
    mask = _mask((20, 18, 25))[:, 5, :]
    assert mask_outline(mask).any()
    assert np.array_equal(mask_outline(mask), _boundary(mask))
    assert not mask_outline(np.zeros((4, 5), bool)).any()
    ring = np.ones((3, 3), bool)
    ring[1, 1] = False  # a full 3x3 square: all but its centre touch the picture's edge
    assert np.array_equal(mask_outline(np.ones((3, 3), bool)), ring)


def test_outline_lies_exactly_on_each_planes_mask_boundary(tiny_volumes):
    vols = _volumes(tiny_volumes)
    drawn = render_volumes(vols, ("fused", "mip", "lesion"), OVERLAY)
    plain = render_volumes(vols, ("fused", "mip", "lesion"), OPTS)
    for config in ("fused", "mip", "lesion"):
        rc, ref = drawn[config], plain[config]
        assert rc.mask_overlay is True and rc.record()["mask_overlay"] is True
        assert rc.record()["mask_overlay_fallback"] is None and rc.record()["options"]["mask_overlay"] is True
        fused = rc.images[1:] if config == "mip" else rc.images
        for img, j, base in zip(fused, rc.slice_indices, ref.images[-len(fused) :], strict=True):
            expected = _boundary(to_picture(vols.lesion_mask[:, j, :]))
            assert expected.any()
            assert np.array_equal(_cyan(img), expected), (config, j)
            # every other pixel is the picture without overlay
            assert np.array_equal(np.asarray(img)[~expected], np.asarray(base)[~expected])
        if config == "mip":  # the MIP itself is not a fused picture
            assert _png(rc.images[0]) == _png(ref.images[0]) and not _cyan(rc.images[0]).any()


def test_outline_follows_the_mm_resize_one_pixel_wide(tiny_volumes):
    aniso = tiny_volumes[3].copy()
    aniso[2, 2] = 6.0  # 4 x 6 mm: rows are stretched 1.5x
    vols = _volumes(tiny_volumes, pet_affine=aniso)
    rc = render_volumes(vols, ("fused",), RenderOptions(slice_spacing_vox=4, mask_overlay=True, aspect="mm"))["fused"]
    for img, j in zip(rc.images, rc.slice_indices, strict=True):
        plane = to_picture(vols.lesion_mask[:, j, :])
        assert img.size == (plane.shape[1], round(plane.shape[0] * 1.5))
        resized = np.asarray(Image.fromarray(plane.astype(np.uint8)).resize(img.size, Image.Resampling.NEAREST)) > 0
        assert np.array_equal(_cyan(img), _boundary(resized))


def test_no_flag_no_overlay_and_the_mask_changes_no_picture(tiny_volumes):
    with_mask = render_volumes(_volumes(tiny_volumes), ("fused", "separate", "mip"), OPTS)
    without = render_volumes(_volumes(tiny_volumes, with_mask=False), ("fused", "separate", "mip"), OPTS)
    for config, rc in with_mask.items():
        assert [_png(i) for i in rc.images] == [_png(i) for i in without[config].images]
        rec = rc.record()
        assert rec["mask_overlay"] is False and rec["mask_overlay_fallback"] is None
        assert rec["options"]["mask_overlay"] is False and rec["lesion_mask"] == "seg.nii.gz"


def test_flag_without_mask_leaves_pictures_unchanged_and_says_why(tiny_volumes):
    vols = _volumes(tiny_volumes, with_mask=False)
    asked = render_volumes(vols, ("fused", "separate", "mip"), OVERLAY)
    plain = render_volumes(vols, ("fused", "separate", "mip"), OPTS)
    for config, rc in asked.items():
        assert [_png(i) for i in rc.images] == [_png(i) for i in plain[config].images]
        rec = rc.record()
        assert rec["mask_overlay"] is False and rec["mask_overlay_fallback"] == "no lesion mask"
        assert rec["options"]["mask_overlay"] is True and rec["lesion_mask"] is None
    # with a mask, separate still draws nothing (it has no fused picture), and says so
    sep = render_volumes(_volumes(tiny_volumes), ("separate",), OVERLAY)["separate"]
    assert [_png(i) for i in sep.images] == [_png(i) for i in plain["separate"].images]
    assert sep.record()["mask_overlay_fallback"] == "config 'separate' has no fused picture"


@pytest.mark.parametrize("value", ["yes", 1, None])
def test_mask_overlay_must_be_a_bool(value):
    with pytest.raises(InputError, match=r"RenderOptions.mask_overlay: expected True or False, got"):
        RenderOptions(mask_overlay=value)


def test_cli_render_mask_overlay(synth_cohort, tmp_path, capsys):
    from pet2rep.cli import main

    out = tmp_path / "out"
    case = synth_cohort / "synth_0001"
    assert main(["render", str(case), "--config", "fused", "--out", str(out), "--mask-overlay"]) == 0
    rec = json.loads((out / "synth_0001.json").read_text(encoding="utf-8"))
    assert rec["mask_overlay"] is True and rec["options"]["mask_overlay"] is True
    assert rec["lesion_mask"] == "seg.nii.gz"
    cyan = [_cyan(Image.open(out / name).convert("RGB")).sum() for name in rec["images"]]
    # the paper's planes cut some lesions (coverage > 0) or none; the outline is there exactly when they do
    assert (sum(cyan) > 0) == (rec["lesion_coverage"]["in_plane_volume"] > 0)
    plain = tmp_path / "plain"
    assert main(["render", str(case), "--config", "fused", "--out", str(plain)]) == 0
    rec_plain = json.loads((plain / "synth_0001.json").read_text(encoding="utf-8"))
    assert rec_plain["mask_overlay"] is False and rec_plain["options"]["mask_overlay"] is False
    assert all(not _cyan(Image.open(plain / n).convert("RGB")).any() for n in rec_plain["images"])
