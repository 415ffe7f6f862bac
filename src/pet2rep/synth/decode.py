"""Key-slice pictures back to SUV: the inverse of :mod:`pet2rep.imaging.render`'s colour maps and PET/CT blend.

Used by the image reader (:mod:`pet2rep.synth.reader`): it reads nothing but the pictures of a dataset row.
"""

from __future__ import annotations

import numpy as np

from pet2rep.errors import InputError
from pet2rep.imaging.render import HOT_IRON


def _unit_to_suv(t: np.ndarray, window: tuple[float, float]) -> np.ndarray:
    lo, hi = window
    return (np.float32(lo) + t.astype(np.float32) * np.float32(hi - lo)).astype(np.float32)


def _rgb(image) -> np.ndarray:
    arr = np.asarray(image.convert("RGB") if hasattr(image, "convert") else image)
    if arr.ndim != 3 or arr.shape[2] != 3:
        raise InputError(f"expected an RGB picture, got an array of shape {arr.shape}")
    return arr


_LUT_KEYS = (HOT_IRON[:, 0].astype(np.int32) << 16) | (HOT_IRON[:, 1].astype(np.int32) << 8) | HOT_IRON[:, 2]


def decode_pet(image, suv_window: tuple[float, float] = (0.0, 5.0)) -> np.ndarray:
    """SUV of a hot-iron PET picture: exact to the colour map's 256 levels (indices 127 and 128 share one colour),
    the window's top standing for "at least".

    A colour that is not in the map (never, for pictures rendered by :mod:`pet2rep.imaging.render`) takes the nearest
    one.
    """
    rgb = _rgb(image).astype(np.int32)
    keys = (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]
    order = np.argsort(_LUT_KEYS, kind="stable")
    sorted_keys = _LUT_KEYS[order]
    pos = np.clip(np.searchsorted(sorted_keys, keys), 0, 255)
    index = order[pos]
    miss = sorted_keys[pos] != keys
    if miss.any():
        d = np.abs(rgb[miss][:, None, :] - HOT_IRON[None, :, :].astype(np.int32)).sum(axis=2)
        index[miss] = d.argmin(axis=1)
    return _unit_to_suv(index / 255.0, suv_window)


def decode_fused(
    image, suv_window: tuple[float, float] = (0.0, 5.0), fusion_alpha: float = 0.5, fusion_fade: float = 0.05
) -> np.ndarray:
    """SUV of a fused PET/CT picture: per colour, the colour-map index whose blend over some gray CT level
    explains the three channels best (:func:`pet2rep.imaging.render.fuse` inverted). Each channel was rounded to 8
    bits after blending, so the index comes back within 2.5 steps (99 % within 1.5) where the PET is drawn at full
    opacity and within 3.5 steps in the faint range where it fades out (measured by the tests)."""
    rgb = _rgb(image).astype(np.int32)
    flat = (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]
    colours, inverse = np.unique(flat.ravel(), return_inverse=True)
    px = np.stack([(colours >> 16) & 255, (colours >> 8) & 255, colours & 255], axis=1).astype(np.float32)
    t = np.arange(256, dtype=np.float32) / 255.0
    alpha = np.float32(fusion_alpha) * np.clip(t / np.float32(fusion_fade), 0.0, 1.0)  # (256,)
    lut = HOT_IRON.astype(np.float32)  # (256, 3)
    best = np.empty(len(colours), dtype=np.int64)
    opaque = int(np.argmax(alpha >= np.float32(fusion_alpha)))  # first index drawn at full opacity
    for start in range(0, len(colours), 4096):
        chunk = px[start : start + 4096]
        # residual = pixel - alpha * colour: the CT's share, equal in the three channels for the right index
        resid = chunk[:, None, :] - alpha[None, :, None] * lut[None, :, :]
        spread = resid.max(axis=2) - resid.min(axis=2)
        # The CT gray level an index implies must be a gray level. Ties go to the brighter reading.
        gray = resid.mean(axis=2) / np.maximum(1.0 - alpha, 1e-6)[None, :]
        spread += np.where((gray < -1.0) | (gray > 256.0), np.float32(1e3), np.float32(0))
        tied = spread <= spread.min(axis=1, keepdims=True)
        pick = 255 - np.argmax(tied[:, ::-1], axis=1)
        # Rounding to 8 bits moves each channel by up to 1/2: an index at full opacity that explains the pixel that
        # well wins over a faint (partly transparent) one. A near-gray pixel fits both "faint PET over this gray"
        # and "near-white PET over a darker gray"; pure CT that bright is bone or soft tissue, which has uptake.
        full = spread[:, opaque:]
        fits = full.min(axis=1) <= 1.0 + 1e-3
        full_pick = 255 - np.argmax((full <= full.min(axis=1, keepdims=True))[:, ::-1], axis=1)
        best[start : start + 4096] = np.where(fits, full_pick, pick)
    index = best[inverse].reshape(flat.shape)
    return _unit_to_suv(index / 255.0, suv_window)


def decode_mip(image, suv_window: tuple[float, float] = (0.0, 5.0)) -> np.ndarray:
    """SUV of a MIP picture: inverted gray (``gray_r``, how the dataset renders it) or hot iron."""
    rgb = _rgb(image)
    if (rgb[..., 0] == rgb[..., 1]).all() and (rgb[..., 1] == rgb[..., 2]).all():
        return _unit_to_suv((255.0 - rgb[..., 0].astype(np.float32)) / 255.0, suv_window)
    return decode_pet(image, suv_window)
