"""Key coronal slices of a PET/CT case as pictures: windows, hot-iron colour map, fusion, MIP.

The pictures live on the PET grid reoriented to RAS+ (axis 0 -> patient's right, 1 -> anterior,
2 -> superior). Key slices are coronal planes (fixed index along axis 1): the front-back centre of mass of the
CT body mask (HU > -500) inside the PET field of view, and planes ``slice_spacing_vox`` apart around it.
Slice indices recorded in :meth:`RenderedCase.record` are indices along that anterior axis (0 = most
posterior plane). Pictures show the head at the top and the patient's right on the image's left.

CT is sampled on the key planes only (trilinear, in world coordinates, -1024 HU outside the CT); the MIP uses
PET alone. One call of :func:`render_all` loads the volumes once for any number of configs.

With ``RenderOptions.mask_overlay`` the in-plane outline of the case's lesion mask is drawn on every fused picture
(configs ``fused``, ``lesion`` and the fused slices of ``mip``; :func:`mask_outline`), 1 pixel wide in
:data:`MASK_OVERLAY_RGB` (cyan), after the ``aspect`` resize (the mask is resized nearest-neighbour alongside), so
the line stays one output pixel wide and on the lesion's edge.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
from PIL import Image
from scipy import ndimage

from pet2rep import __version__
from pet2rep.errors import GeometryError, InputError
from pet2rep.files import write_json
from pet2rep.imaging.cases import Case
from pet2rep.imaging.geometry import (
    AIR_HU,
    check_overlap,
    reorient_to_ras,
    resample_to_grid,
    sample_plane,
    spacing_mm,
    survey_body,
)
from pet2rep.imaging.io import load_volume, nifti_image
from pet2rep.imaging.masks import find_mask, load_mask, voxel_volume_ml
from pet2rep.imaging.render_options import (  # noqa: F401 - re-exported: users look for them here
    ASPECTS,
    CT_MODES,
    MASK_OVERLAY_RGB,
    MIP_COLORMAPS,
    SLICE_AXIS,
    SLICE_STRATEGIES,
    RenderOptions,
)
from pet2rep.imaging.slices import select_slices
from pet2rep.imaging.suv import suv_parameters, to_suv
from pet2rep.vocab import IMAGE_CONFIGS


def _hot_iron_lut() -> np.ndarray:
    """DICOM "Hot Iron" palette (black -> red -> yellow -> white) as a (256, 3) uint8 table."""
    i = np.arange(256, dtype=np.float64)
    red = np.interp(i, [0, 127], [0, 255])
    green = np.interp(i, [128, 255], [0, 255])
    blue = np.interp(i, [192, 255], [0, 255])
    return np.round(np.stack([red, green, blue], axis=1)).astype(np.uint8)


HOT_IRON = _hot_iron_lut()


@dataclass
class CaseVolumes:
    """A case's voxel data ready to render.

    Attributes:
        case_id: the case.
        ct: CT in HU, stored orientation and dtype.
        ct_affine: CT voxel -> world.
        suv: SUV on the PET grid reoriented to RAS+ (a view of the loaded array).
        pet_affine: affine of ``suv`` (RAS+ grid).
        suv_factor: Bq/mL -> SUV factor applied, or None when the input was SUV.
        lesion_mask: the case's lesion mask on the RAS+ PET grid (bool), or None (:mod:`pet2rep.imaging.masks`).
        mask_name: the mask file's name, or None.
    """

    case_id: str
    ct: np.ndarray
    ct_affine: np.ndarray
    suv: np.ndarray
    pet_affine: np.ndarray
    suv_factor: float | None = None
    lesion_mask: np.ndarray | None = None
    mask_name: str | None = None

    @classmethod
    def from_arrays(
        cls,
        ct: np.ndarray,
        ct_affine: np.ndarray,
        suv: np.ndarray,
        pet_affine: np.ndarray,
        *,
        case_id: str = "case",
        suv_factor: float | None = None,
    ) -> CaseVolumes:
        """Build from arrays in any orientation (the PET is reoriented to RAS+ here)."""
        suv_ras, pet_affine_ras = reorient_to_ras(suv, pet_affine)
        return cls(case_id, ct, np.asarray(ct_affine, dtype=np.float64), suv_ras, pet_affine_ras, suv_factor)

    @property
    def pet_shape(self) -> tuple[int, int, int]:
        return tuple(int(n) for n in self.suv.shape)  # type: ignore[return-value]

    @property
    def pet_spacing_mm(self) -> np.ndarray:
        return spacing_mm(self.pet_affine)


def load_case_volumes(case: Case, masks_dir: str | Path | None = None) -> CaseVolumes:
    """Load CT and PET of a case, converting PET to SUV when in Bq/mL (a DICOM case: :mod:`pet2rep.imaging.dicom`),
    and its lesion mask on the PET grid when it has one (looked for in ``masks_dir`` first,
    :func:`pet2rep.imaging.masks.find_mask`).

    Raises:
        MetadataError: PET in Bq/mL without usable SUV metadata (checked before any voxel is read).
        MissingFileError, VolumeError: unreadable, truncated, non-3-D or non-finite volumes.
        GeometryError: a lesion mask whose field of view does not cover the PET's.
    """
    path = find_mask(case, masks_dir)  # a missing masks folder fails before any voxel is read
    vols = _load_case_volumes(case)
    if path is not None:
        # PET and CT that do not overlap are the case's first problem, before the mask's
        check_overlap(vols.ct_affine, vols.ct.shape, vols.pet_affine, vols.pet_shape, where=f"case {case.case_id!r}")
        vols.lesion_mask = load_mask(case, vols.pet_affine, vols.pet_shape, path=path)
        vols.mask_name = path.name
    return vols


def _load_case_volumes(case: Case) -> CaseVolumes:
    cid = case.case_id
    if case.dicom is not None:  # volumes, geometry and SUV factor from the DICOM headers (pet2rep.imaging.dicom)
        from pet2rep.imaging.dicom.cases import load_dicom_volumes

        ct, pet, factor = load_dicom_volumes(case)
        return CaseVolumes.from_arrays(ct.data, ct.affine, pet.data, pet.affine, case_id=cid, suv_factor=factor)
    params = None
    if not case.pet_is_suv:
        params = suv_parameters(case.meta, where=f"case {cid!r}: meta.json")
    ct = load_volume(case.ct_path, case_id=cid)
    pet = load_volume(case.pet_input_path, case_id=cid, float32=True)
    suv = pet.data
    factor = None
    if params is not None:
        factor = params.factor
        suv = to_suv(suv, factor, inplace=True)
    return CaseVolumes.from_arrays(ct.data, ct.affine, suv, pet.affine, case_id=cid, suv_factor=factor)


@dataclass
class RenderedCase:
    """The pictures of one case in one config, in the order a model receives them."""

    case_id: str
    config: str
    images: list[Image.Image]
    image_names: list[str]
    slice_indices: list[int]
    suv_factor: float | None
    window: dict
    options: RenderOptions = field(default_factory=RenderOptions)
    pet_shape: tuple[int, int, int] = (0, 0, 0)
    pet_spacing_mm: tuple[float, float, float] = (0.0, 0.0, 0.0)
    selection: dict = field(default_factory=dict)
    mask_overlay: bool = False
    mask_overlay_fallback: str | None = None

    def record(self) -> dict:
        """The JSON sidecar of the CLI contract.

        ``mask_overlay`` says whether lesion outlines were drawn; ``mask_overlay_fallback`` why they were not when
        ``options.mask_overlay`` asked for them (no lesion mask, or a config without fused pictures), else None.
        """
        return {
            "case_id": self.case_id,
            "config": self.config,
            "slice_axis": SLICE_AXIS,
            "slice_indices": list(self.slice_indices),
            "suv_factor": self.suv_factor,
            "window": dict(self.window),
            "images": list(self.image_names),
            "image_size": list(self.images[0].size) if self.images else None,
            "aspect": self.options.aspect,
            "fusion_alpha": self.options.fusion_alpha if self.config != "separate" else None,
            "pet_grid": {
                "orientation": "RAS",
                "shape": list(self.pet_shape),
                "spacing_mm": [round(float(s), 6) for s in self.pet_spacing_mm],
            },
            "options": _options_record(self.options),
            **self.selection,
            "mask_overlay": self.mask_overlay,
            "mask_overlay_fallback": self.mask_overlay_fallback,
            "pet2rep_version": __version__,
        }

    def save(self, out_dir: str | Path) -> Path:
        """Write the PNGs and ``<case_id>.json`` into ``out_dir``; returns the JSON path."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        for img, name in zip(self.images, self.image_names, strict=True):
            img.save(out / name, format="PNG")
        return write_json(self.record(), out / f"{self.case_id}.json")


def _options_record(options: RenderOptions) -> dict:
    rec = asdict(options)
    return {k: list(v) if isinstance(v, tuple) else v for k, v in rec.items()}


def key_slice_indices(centre: int, n_planes: int, options: RenderOptions, *, where: str = "") -> list[int]:
    """``num_slices`` planes ``slice_spacing_vox`` apart centred on ``centre``, shifted to fit in the grid.

    Raises:
        GeometryError: the grid has fewer planes than the set spans.
    """
    offsets = [
        round(options.slice_spacing_vox * (i - (options.num_slices - 1) / 2)) for i in range(options.num_slices)
    ]
    span = offsets[-1] - offsets[0]
    if span > n_planes - 1:
        prefix = f"{where}: " if where else ""
        raise GeometryError(
            f"{prefix}the PET grid has {n_planes} coronal planes; {options.num_slices} key slices "
            f"{options.slice_spacing_vox} voxels apart need {span + 1}"
        )
    lo = centre + offsets[0]
    lo = min(max(lo, 0), n_planes - 1 - span)
    return [lo + (o - offsets[0]) for o in offsets]


def to_picture(plane_xz: np.ndarray) -> np.ndarray:
    """A coronal plane indexed ``[x, z]`` on the RAS+ grid -> picture ``[row, col]``: head at the top,
    patient's right on the left."""
    return plane_xz[::-1, ::-1].T


def ct_gray(hu: np.ndarray, options: RenderOptions, stats: tuple[float, float] | None = None) -> np.ndarray:
    """CT (HU) to uint8 gray with the window or the z-score mapping."""
    if options.ct_mode == "window":
        width, level = options.ct_window
        lo, hi = level - width / 2.0, level + width / 2.0
        t = (hu - np.float32(lo)) / np.float32(hi - lo)
    else:
        if stats is None:
            raise InputError("ct_mode='zscore' needs the CT mean and std")
        mean, std = stats
        z = (hu - np.float32(mean)) / np.float32(max(std, 1e-6))
        zlo, zhi = options.zscore_range
        t = (z - np.float32(zlo)) / np.float32(zhi - zlo)
    return np.round(np.clip(t, 0.0, 1.0) * 255.0).astype(np.uint8)


def suv_unit(suv: np.ndarray, options: RenderOptions) -> np.ndarray:
    """SUV mapped to [0, 1] over the SUV window (float32)."""
    lo, hi = options.suv_window
    return np.clip((suv - np.float32(lo)) / np.float32(hi - lo), 0.0, 1.0).astype(np.float32, copy=False)


def pet_rgb(suv: np.ndarray, options: RenderOptions) -> np.ndarray:
    """SUV to hot-iron RGB (uint8, shape ``(..., 3)``)."""
    return HOT_IRON[np.round(suv_unit(suv, options) * 255.0).astype(np.uint8)]


def fuse(gray: np.ndarray, suv: np.ndarray, options: RenderOptions) -> np.ndarray:
    """PET (hot iron) over CT gray; PET opacity ramps from 0 at the window minimum up to ``fusion_alpha``."""
    t = suv_unit(suv, options)
    alpha = (np.float32(options.fusion_alpha) * np.clip(t / np.float32(options.fusion_fade), 0.0, 1.0))[..., None]
    colour = HOT_IRON[np.round(t * 255.0).astype(np.uint8)].astype(np.float32)
    base = gray.astype(np.float32)[..., None]
    return np.round(base * (1.0 - alpha) + colour * alpha).astype(np.uint8)


def mip_rgb(suv_ras: np.ndarray, options: RenderOptions) -> np.ndarray:
    """Coronal maximum intensity projection (along the anterior axis) as an RGB picture."""
    mip = to_picture(suv_ras.max(axis=1))
    if options.mip_colormap == "hot":
        return pet_rgb(mip, options)
    g = 255 - np.round(suv_unit(mip, options) * 255.0).astype(np.uint8)
    return np.repeat(g[..., None], 3, axis=2)


def mask_outline(mask: np.ndarray) -> np.ndarray:
    """The 1-pixel outline of a 2-D bool mask: its pixels with a 4-neighbour outside the mask or the picture."""
    mask = np.asarray(mask, dtype=bool)
    # the default structure is the 4-neighbour cross; border_value=0: pixels on the picture's edge are outline
    return mask & ~ndimage.binary_erosion(mask, border_value=0)


def draw_outline(rgb: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """A copy of an RGB picture with :func:`mask_outline` of ``mask`` (same rows and columns) in
    :data:`MASK_OVERLAY_RGB`."""
    out = np.array(rgb, dtype=np.uint8, copy=True)
    out[mask_outline(mask)] = MASK_OVERLAY_RGB
    return out


def _image(
    rgb_or_gray: np.ndarray, options: RenderOptions, spacing: np.ndarray, mask: np.ndarray | None = None
) -> Image.Image:
    arr = np.ascontiguousarray(rgb_or_gray)
    if arr.ndim == 2:
        arr = np.repeat(arr[..., None], 3, axis=2)
    img = Image.fromarray(arr, mode="RGB")
    if options.aspect == "mm":
        # Columns run along x, rows along z: stretch rows so a pixel is as tall in mm as it is wide.
        w, h = img.size
        new_h = max(1, round(h * float(spacing[2]) / float(spacing[0])))
        if new_h != h:
            img = img.resize((w, new_h), Image.Resampling.BILINEAR)
    if mask is not None:
        if mask.shape != (img.height, img.width):  # the mask follows the picture's resize, without blending
            mask = np.asarray(
                Image.fromarray(mask.astype(np.uint8)).resize(img.size, Image.Resampling.NEAREST), dtype=bool
            )
        img = Image.fromarray(draw_outline(np.asarray(img), mask), mode="RGB")
    return img


def choose_key_slices(vols: CaseVolumes, options: RenderOptions, *, with_stats: bool = False):
    """Key coronal slice indices of a case, and the CT body statistics when asked for.

    Returns:
        ``(indices, survey)`` where ``survey`` is the :class:`~pet2rep.imaging.geometry.BodySurvey`.

    Raises:
        GeometryError: PET and CT do not overlap, or no CT body voxel lies inside the PET field of view.
    """
    where = f"case {vols.case_id!r}"
    # Survey the CT through its RAS view (no copy): the strided voxel subset is then anchored in world space
    # and the same for any storage order of the same grid, so flipped / permuted files give the same slices.
    ct_ras, ct_affine_ras = reorient_to_ras(vols.ct, vols.ct_affine)
    box = check_overlap(ct_affine_ras, ct_ras.shape, vols.pet_affine, vols.pet_shape, where=where)
    # The mask's centre of mass (an average over millions of voxels) needs no sampling finer than the PET grid.
    pet_pitch = float(vols.pet_spacing_mm.min())
    step = tuple(max(1, int(pet_pitch // float(s))) for s in spacing_mm(ct_affine_ras))
    survey = survey_body(
        ct_ras, ct_affine_ras, box=box, threshold_hu=options.body_threshold_hu, step=step, with_stats=with_stats
    )
    if survey.centroid_world is None:
        raise GeometryError(
            f"{where}: no CT voxel above {options.body_threshold_hu:g} HU inside the PET field of view; "
            "cannot place the key slices (is the CT in HU and does it overlap the PET?)"
        )
    inv = np.linalg.inv(vols.pet_affine)
    centre_vox = inv[:3, :3] @ survey.centroid_world + inv[:3, 3]
    centre = round(float(centre_vox[1]))
    centre = min(max(centre, 0), vols.pet_shape[1] - 1)
    return key_slice_indices(centre, vols.pet_shape[1], options, where=where), survey


def select_key_slices(
    vols: CaseVolumes, options: RenderOptions, center: list[int] | None = None
) -> tuple[list[int], dict]:
    """The key planes of ``options.slice_strategy`` for loaded volumes, and the record of how they were chosen
    (:func:`pet2rep.imaging.slices.select_slices`, with the case's lesion mask).

    Args:
        vols: the case's volumes.
        options: the strategy, numbers of planes and spacings.
        center: the ``center`` planes when already known (:func:`choose_key_slices`).
    """
    if center is None:
        center = choose_key_slices(vols, options)[0]
    return select_slices(
        center,
        options,
        suv_ras=vols.suv,
        voxel_ml=voxel_volume_ml(vols.pet_affine),
        lesion_mask=vols.lesion_mask,
        mask_name=vols.mask_name,
        where=f"case {vols.case_id!r}",
    )


def _check_configs(configs: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    configs = tuple(configs)
    unknown = [c for c in configs if c not in IMAGE_CONFIGS]
    if unknown or not configs:
        raise InputError(f"unknown render config(s) {unknown}; expected some of {list(IMAGE_CONFIGS)}")
    return configs


def render_volumes(
    vols: CaseVolumes, configs: tuple[str, ...] | list[str] = IMAGE_CONFIGS, options: RenderOptions | None = None
) -> dict[str, RenderedCase]:
    """Render already-loaded volumes in several configs (key planes sampled once, shared by all configs).

    Every config places its planes with ``options.slice_strategy`` except ``lesion``, which always uses the
    ``lesion`` strategy (falling back to hot spots without a mask): :func:`pet2rep.imaging.slices.select_slices`.
    With ``options.mask_overlay`` and a lesion mask, the fused pictures carry the mask's outline (module docstring).
    """
    options = options or RenderOptions()
    configs = _check_configs(configs)
    zscore = options.ct_mode == "zscore"
    center, survey = choose_key_slices(vols, options, with_stats=zscore)
    chosen: dict[str, tuple[list[int], dict]] = {}
    config_options: dict[str, RenderOptions] = {}
    for config in configs:
        opts = replace(options, slice_strategy="lesion") if config == "lesion" else options
        config_options[config] = opts
        if opts.slice_strategy not in chosen:
            chosen[opts.slice_strategy] = select_key_slices(vols, opts, center)
    stats = (survey.mean_hu, survey.std_hu) if zscore else None

    window: dict = {"ct_mode": options.ct_mode}
    if zscore:
        window.update(
            ct_mean_hu=round(float(survey.mean_hu), 4),
            ct_std_hu=round(float(survey.std_hu), 4),
            ct_zscore_range=list(options.zscore_range),
        )
    else:
        window.update(ct_width_hu=float(options.ct_window[0]), ct_level_hu=float(options.ct_window[1]))
    window.update(suv_min=float(options.suv_window[0]), suv_max=float(options.suv_window[1]))

    spacing = vols.pet_spacing_mm
    gray: dict[int, np.ndarray] = {}
    suv_planes: dict[int, np.ndarray] = {}
    overlay = options.mask_overlay and vols.lesion_mask is not None
    mask_planes: dict[int, np.ndarray | None] = {}
    for j in sorted({j for indices, _ in chosen.values() for j in indices}):
        hu = sample_plane(vols.ct, vols.ct_affine, vols.pet_affine, vols.pet_shape, 1, j, outside=AIR_HU)
        gray[j] = to_picture(ct_gray(hu, options, stats))
        suv_planes[j] = to_picture(np.asarray(vols.suv[:, j, :], dtype=np.float32))
        mask_planes[j] = to_picture(vols.lesion_mask[:, j, :]) if overlay else None

    cid = vols.case_id
    out: dict[str, RenderedCase] = {}
    for config in configs:
        indices, selection = chosen[config_options[config].slice_strategy]
        arrays: list[tuple[np.ndarray, np.ndarray | None]] = []  # picture, mask plane to outline on it
        names: list[str] = []
        if config == "mip":
            arrays.append((mip_rgb(vols.suv, options), None))
            names.append(f"{cid}_mip.png")
        for j in indices:
            if config == "separate":
                arrays += [(gray[j], None), (pet_rgb(suv_planes[j], options), None)]
                names += [f"{cid}_ct_{j}.png", f"{cid}_pet_{j}.png"]
            else:
                arrays.append((fuse(gray[j], suv_planes[j], options), mask_planes[j]))
                names.append(f"{cid}_fused_{j}.png")
        drawn = overlay and config != "separate"
        not_drawn = None
        if options.mask_overlay and not drawn:
            not_drawn = "no lesion mask" if vols.lesion_mask is None else f"config {config!r} has no fused picture"
        out[config] = RenderedCase(
            case_id=cid,
            config=config,
            images=[_image(a, options, spacing, mask) for a, mask in arrays],
            image_names=names,
            slice_indices=list(indices),
            suv_factor=vols.suv_factor,
            window=dict(window),
            options=config_options[config],
            pet_shape=vols.pet_shape,
            pet_spacing_mm=tuple(float(s) for s in spacing),  # type: ignore[arg-type]
            selection=selection,
            mask_overlay=drawn,
            mask_overlay_fallback=not_drawn,
        )
    return out


def render_all(
    case: Case,
    configs: tuple[str, ...] | list[str] = IMAGE_CONFIGS,
    options: RenderOptions | None = None,
    *,
    masks_dir: str | Path | None = None,
) -> dict[str, RenderedCase]:
    """Render one case in several configs, loading its volumes (and lesion mask, if any) once.

    Returns:
        config -> :class:`RenderedCase`, in the order of ``configs``.
    """
    configs = _check_configs(configs)  # before any voxel is read
    return render_volumes(load_case_volumes(case, masks_dir), configs, options)


def render_case(
    case: Case, config: str, options: RenderOptions | None = None, *, masks_dir: str | Path | None = None
) -> RenderedCase:
    """Render one case in one config (see :data:`IMAGE_CONFIGS`)."""
    if config not in IMAGE_CONFIGS:
        raise InputError(f"unknown render config {config!r}; expected one of {list(IMAGE_CONFIGS)}")
    return render_all(case, (config,), options, masks_dir=masks_dir)[config]


def volumes_on_pet_grid(source: Case | CaseVolumes):
    """CT (HU, int16) trilinearly resampled onto the case's PET grid, and the SUV (float32), both on the PET
    grid reoriented to RAS+ (the grid the key-slice indices refer to).

    Args:
        source: a case (its volumes are loaded) or its already loaded :class:`CaseVolumes`.

    Returns:
        ``(ct_img, suv_img)`` as ``nibabel.Nifti1Image`` sharing one affine (:func:`pet2rep.imaging.io.nifti_image`);
        the
        SUV image holds ``vols.suv`` itself when that is already float32 in NIfTI's (Fortran) order.

    Raises:
        GeometryError: PET and CT do not overlap in world space.
    """
    vols = source if isinstance(source, CaseVolumes) else load_case_volumes(source)
    check_overlap(vols.ct_affine, vols.ct.shape, vols.pet_affine, vols.pet_shape, where=f"case {vols.case_id!r}")
    ct_on_pet = resample_to_grid(vols.ct, vols.ct_affine, vols.pet_affine, vols.pet_shape, dtype=np.int16)
    suv = np.asfortranarray(vols.suv, dtype=np.float32)  # NIfTI's own order: written without another copy
    return nifti_image(ct_on_pet, vols.pet_affine), nifti_image(suv, vols.pet_affine)
