"""The rendering options shared by ``pet2rep render`` and ``pet2rep build``: one definition, so they cannot drift.

:func:`add_render_arguments` adds the options to a parser, :func:`options_from_args` turns the parsed values into a
:class:`~pet2rep.imaging.render_options.RenderOptions` (a bad value is named by its flag) and :func:`masks_dir_of`
checks ``--masks``. Imports no numpy: the CLI builds its parsers at start-up.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from pet2rep.imaging.render_options import ASPECTS, CT_MODES, MIP_COLORMAPS, SLICE_STRATEGIES, RenderOptions

_DEFAULTS = RenderOptions()

# RenderOptions field -> the argparse destination that sets it (errors name what the user typed).
_OPTION_OF_FIELD = {
    "num_slices": "num_slices",
    "slice_spacing_vox": "slice_spacing",
    "ct_window": "ct_window",
    "ct_mode": "ct_mode",
    "zscore_range": "zscore_range",
    "suv_window": "suv_window",
    "aspect": "aspect",
    "fusion_alpha": "alpha",
    "mip_colormap": "mip_colormap",
    "slice_strategy": "slices",
    "min_slice_gap_vox": "min_slice_gap",
    "mask_overlay": "mask_overlay",
}


def add_render_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the key-slice, mask and picture options (``--slices`` ... ``--mip-colormap``) to ``parser``."""
    parser.add_argument(
        "--slices",
        choices=SLICE_STRATEGIES,
        default=_DEFAULTS.slice_strategy,
        help="key-slice placement: the body's front-back centre (the paper's protocol), planes through the lesions "
        "of a mask (seg.nii.gz, autoPET SEG.nii.gz, nnU-Net labels/, --masks), or through SUV hot spots "
        f"(default: {_DEFAULTS.slice_strategy})",
    )
    parser.add_argument(
        "--masks",
        metavar="DIR",
        help="folder of lesion masks <case_id>.nii.gz from any segmentation tool (looked in before the case's own)",
    )
    parser.add_argument(
        "--mask-overlay",
        action="store_true",
        help="draw the lesion mask's outline (1 pixel, cyan) on the fused pictures: a mask-prompted setting; cases "
        "without a mask are drawn without it (recorded)",
    )
    parser.add_argument(
        "--min-slice-gap",
        type=int,
        default=_DEFAULTS.min_slice_gap_vox,
        help=f"PET voxels at least between planes chosen by lesion / hotspot (default: {_DEFAULTS.min_slice_gap_vox})",
    )
    parser.add_argument(
        "--num-slices",
        type=int,
        default=_DEFAULTS.num_slices,
        help=f"coronal key slices (default: {_DEFAULTS.num_slices})",
    )
    parser.add_argument(
        "--slice-spacing",
        type=int,
        default=_DEFAULTS.slice_spacing_vox,
        help=f"PET voxels between key slices (default: {_DEFAULTS.slice_spacing_vox})",
    )
    parser.add_argument(
        "--ct-window",
        type=float,
        nargs=2,
        metavar=("WIDTH", "LEVEL"),
        default=_DEFAULTS.ct_window,
        help="CT window in HU (default: {:g} {:g}, soft tissue)".format(*_DEFAULTS.ct_window),
    )
    parser.add_argument(
        "--ct-mode",
        choices=CT_MODES,
        default=_DEFAULTS.ct_mode,
        help=f"CT gray mapping (default: {_DEFAULTS.ct_mode})",
    )
    parser.add_argument(
        "--zscore-range",
        type=float,
        nargs=2,
        metavar=("LOW", "HIGH"),
        default=_DEFAULTS.zscore_range,
        help="z-values shown black and white with --ct-mode zscore (default: {:g} {:g})".format(
            *_DEFAULTS.zscore_range
        ),
    )
    parser.add_argument(
        "--suv-window",
        type=float,
        nargs=2,
        metavar=("LOW", "HIGH"),
        default=_DEFAULTS.suv_window,
        help="SUV mapped to the ends of the colour map (default: {:g} {:g})".format(*_DEFAULTS.suv_window),
    )
    parser.add_argument(
        "--aspect",
        choices=ASPECTS,
        default=_DEFAULTS.aspect,
        help=f"native PET-grid size, or rows rescaled for square pixels in mm (default: {_DEFAULTS.aspect})",
    )
    parser.add_argument(
        "--alpha",
        type=float,
        default=_DEFAULTS.fusion_alpha,
        help=f"PET opacity in fused images (default: {_DEFAULTS.fusion_alpha:g})",
    )
    parser.add_argument(
        "--mip-colormap",
        choices=MIP_COLORMAPS,
        default=_DEFAULTS.mip_colormap,
        help=f"MIP colour map (default: {_DEFAULTS.mip_colormap})",
    )


def options_from_args(args: argparse.Namespace) -> RenderOptions:
    """The :class:`~pet2rep.imaging.render_options.RenderOptions` an argument namespace asks for.

    Raises:
        InputError: a bad value, named by its command-line option (``--alpha: expected ...``).
    """
    from pet2rep.errors import InputError

    values = {field: getattr(args, option) for field, option in _OPTION_OF_FIELD.items()}
    try:
        return RenderOptions(**{k: tuple(v) if isinstance(v, list) else v for k, v in values.items()})
    except InputError as e:
        field = str(e).partition(":")[0].removeprefix("RenderOptions.")
        if field not in _OPTION_OF_FIELD:
            raise
        flag = "--" + _OPTION_OF_FIELD[field].replace("_", "-")
        raise InputError(f"{flag}: expected{str(e).partition(': expected')[2]}") from e


def masks_dir_of(args: argparse.Namespace) -> Path | None:
    """``--masks`` as an absolute folder (worker processes may start elsewhere), or None when not given.

    Raises:
        MissingFileError: ``--masks`` is not a folder (checked before any case is read).
    """
    if args.masks is None:
        return None
    folder = Path(args.masks)
    if not folder.is_dir():
        from pet2rep.errors import MissingFileError

        raise MissingFileError(f"--masks: expected a folder of <case_id>.nii.gz lesion masks, got {args.masks!r}")
    return folder.resolve()


__all__ = ["add_render_arguments", "masks_dir_of", "options_from_args"]
