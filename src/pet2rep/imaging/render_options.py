"""Render options and their vocabulary, without numpy: the CLI builds its parsers from them at start-up.

:mod:`pet2rep.imaging.render` re-exports everything here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from pet2rep.checks import Integer, Options, describe, satisfied
from pet2rep.errors import InputError

CT_MODES = ("window", "zscore")
ASPECTS = ("native", "mm")
MIP_COLORMAPS = ("gray_r", "hot")
SLICE_AXIS = "coronal"
#: How key slices are placed (:mod:`pet2rep.imaging.slices`): the paper's body centre, through the lesions of a
#: mask, or through SUV hot spots.
SLICE_STRATEGIES = ("center", "lesion", "hotspot")
#: The colour of the lesion-mask outline drawn with ``mask_overlay`` (cyan: neither a gray nor a hot-iron colour).
MASK_OVERLAY_RGB = (0, 255, 255)


@dataclass(frozen=True)
class RenderOptions:
    """How key slices are chosen and drawn.

    Attributes:
        num_slices: number of coronal key slices.
        slice_spacing_vox: PET voxels between neighbouring key slices.
        ct_window: ``(width_hu, level_hu)`` for ``ct_mode="window"`` (soft tissue W400/L40 by default).
        ct_mode: ``"window"`` or ``"zscore"`` (the paper's z-scored CT: HU standardised with the mean and std of
            the body mask inside the PET field of view, shown over ``zscore_range``).
        zscore_range: z-values mapped to black and white in ``zscore`` mode.
        suv_window: SUV mapped to the ends of the colour map.
        aspect: ``"native"`` (one pixel per PET voxel) or ``"mm"`` (height rescaled so pixels are square in mm).
        fusion_alpha: PET opacity over CT in fused images.
        fusion_fade: PET is transparent at the window minimum and reaches ``fusion_alpha`` at this fraction of
            the SUV window (so near-zero uptake leaves the CT visible).
        mip_colormap: ``"gray_r"`` (inverted gray, how MIPs are read) or ``"hot"``.
        body_threshold_hu: CT body mask threshold for choosing the key slices.
        slice_strategy: ``"center"`` (the paper's protocol), ``"lesion"`` (planes through the lesion mask) or
            ``"hotspot"`` (planes through SUV hot spots); see :mod:`pet2rep.imaging.slices`.
        min_slice_gap_vox: smallest distance in PET voxels between two planes chosen by ``lesion`` / ``hotspot``.
        mask_overlay: draw the in-plane outline of the case's lesion mask on every fused picture (1 pixel wide, in
            :data:`MASK_OVERLAY_RGB`): a mask-prompted setting, the segmentation given to the model. No effect on a
            case without a mask, nor on CT, PET and MIP pictures.
    """

    num_slices: int = 3
    slice_spacing_vox: int = 10
    ct_window: tuple[float, float] = (400.0, 40.0)
    ct_mode: str = "window"
    zscore_range: tuple[float, float] = (-3.0, 3.0)
    suv_window: tuple[float, float] = (0.0, 5.0)
    aspect: str = "native"
    fusion_alpha: float = 0.5
    fusion_fade: float = 0.05
    mip_colormap: str = "gray_r"
    body_threshold_hu: float = -500.0
    slice_strategy: str = "center"
    min_slice_gap_vox: int = 3
    mask_overlay: bool = False

    def __post_init__(self) -> None:
        def bad(name: str, expected: str) -> InputError:
            return InputError(f"RenderOptions.{name}: expected {expected}, got {getattr(self, name)!r}")

        for name in ("num_slices", "slice_spacing_vox", "min_slice_gap_vox"):
            if not satisfied(getattr(self, name), Integer(low=1)):
                raise bad(name, describe(Integer(low=1)))
        if not _pair(self.ct_window) or self.ct_window[0] <= 0:
            raise bad("ct_window", "(width_hu > 0, level_hu)")
        if not satisfied(self.ct_mode, Options(*CT_MODES)):
            raise bad("ct_mode", describe(Options(*CT_MODES)))
        if not _pair(self.zscore_range) or self.zscore_range[1] <= self.zscore_range[0]:
            raise bad("zscore_range", "(low, high) with low < high")
        if not _pair(self.suv_window) or self.suv_window[1] <= self.suv_window[0]:
            raise bad("suv_window", "(low, high) with low < high")
        if not satisfied(self.aspect, Options(*ASPECTS)):
            raise bad("aspect", describe(Options(*ASPECTS)))
        if not 0.0 <= float(self.fusion_alpha) <= 1.0:
            raise bad("fusion_alpha", "a number in [0, 1]")
        if not 0.0 < float(self.fusion_fade) <= 1.0:
            raise bad("fusion_fade", "a number in (0, 1]")
        if not satisfied(self.mip_colormap, Options(*MIP_COLORMAPS)):
            raise bad("mip_colormap", describe(Options(*MIP_COLORMAPS)))
        if not satisfied(self.slice_strategy, Options(*SLICE_STRATEGIES)):
            raise bad("slice_strategy", describe(Options(*SLICE_STRATEGIES)))
        if not isinstance(self.mask_overlay, bool):
            raise bad("mask_overlay", "True or False")


def _pair(value) -> bool:
    return (
        isinstance(value, (tuple, list))
        and len(value) == 2
        and all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in value)
    )
