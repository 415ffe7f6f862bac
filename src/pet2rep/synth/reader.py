"""An image-reading reference model: key-slice pictures + an anatomy atlas in, a Chinese structured report out.

It shows that the pictures of a dataset row carry the signal the clinical-efficacy (CE) metric rewards. It reads
nothing but

- the rendered pictures of one row (``images`` and ``image_names`` of the ``separate``, ``fused`` or ``mip``
  config), decoding SUV back from them: the hot-iron PET slices by inverting :data:`pet2rep.imaging.render.HOT_IRON`,
  the fused slices by solving the PET-over-CT blend for the colour-map index, the gray MIP from its gray level; and
- an :class:`~pet2rep.synth.atlas.Atlas`: where each anatomical part of the phantom lies (what a segmentation
  model would give), built by :func:`~pet2rep.synth.atlas.atlas_from_truth` from the anatomy of ``truth.json``
  alone, without its lesions, labels or the case's drawn uptake values.

What it knows besides: each part's population range of physiological SUV
(:data:`pet2rep.synth.atlas.EXPECTED_SUV`, from :data:`pet2rep.synth.anatomy.ANATOMY`), which structures can hold
lymph nodes (the node stations of the atlas), and how to write a report.

How it reads (:func:`read_images`):

1. every pixel of a slice belongs to the last-painted atlas part that covers it (later parts lie on top);
2. hot spots: pixels at or above ``max(HOT_MIN_SUV, HOT_FACTOR x the part's highest expected SUV)``, away from the
   reach of parts whose own uptake fills the window (brain, heart, kidneys, bladder); each connected spot goes to the
   smallest scored region (a filled part or a lymph-node station) that covers at least half of it;
3. cold spots: inside each scored part with some uptake (one voxel in from its surface), pixels below
   ``COLD_FACTOR`` x the part's uptake level on that slice; the spot is *absent* uptake when its coldest pixels are
   near zero (``ABSENT_FRACTION`` of the level), else *decreased*;
4. the MIP: hot spots where no part's expected uptake along the front-back ray fills the window, not already seen
   on a slice, go to a scored region that no key plane cuts through its middle (a focus that only the MIP shows
   lies off the key planes).

The thresholds were set by looking at a medium cohort with seed 1 (48 cases) and a small one with seed 0 (the
tests'); the demo's cohort (medium, seed 0) was not used to tune them.

The report (:func:`write_report`) follows the template's style: findings head to toe, one sentence per organ, the
normal phrasing for organs without a finding, an uptake statement for each finding, then the impression.

Picture decoding lives in :mod:`pet2rep.synth.decode`, the atlas and its picture masks in :mod:`pet2rep.synth.atlas`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pet2rep.errors import InputError
from pet2rep.imaging.render import RenderOptions
from pet2rep.synth.atlas import EXPECTED_SUV, Atlas, Planes
from pet2rep.synth.decode import decode_fused, decode_mip, decode_pet
from pet2rep.vocab import ORGANS, STATES

# ------------------------------------------------------------------------------------------------ knobs
HOT_MIN_SUV = 4.2
"""A hot spot is at least this SUV (and well above the part's expected uptake)."""
HOT_FACTOR = 1.45
"""... and at least this multiple of the highest physiological SUV of the part it lies on."""
SATURATING_SUV = 4.0
"""Parts whose expected uptake reaches this SUV fill the display window: no hot spot is read on or next to them."""
COLD_FACTOR = 0.55
"""A cold spot is below this fraction of the part's uptake level on the slice."""
SATURATED_COLD_FACTOR = 0.63
"""In a part that fills the window, a cold spot is below this fraction of the window's top or of the part's lowest
expected SUV, whichever is higher (and below 90 % of the window's top)."""
ABSENT_FRACTION = 0.2
"""A cold spot whose coldest pixels are below this fraction of the part's level is absent uptake."""
LEVEL_PERCENTILE = 75
"""A part's uptake level on a slice: this percentile of its pixels (a large cold focus barely moves it)."""
MIN_COLD_LEVEL = 1.0
"""Cold spots are read only in parts whose uptake level on the slice is at least this."""
MIN_HOT_AREA_MM2 = 140.0
"""A hot spot covers at least this much of the picture (4 pixels of 6 mm)."""
MIN_COLD_AREA_MM2 = 100.0
"""A cold spot covers at least this much (3 pixels of 6 mm)."""
MIN_REGION_AREA_MM2 = 430.0
"""Cold spots are read only in parts that show at least this much (12 pixels of 6 mm) inside their surface."""
ATTRIBUTE_COVER = 0.5
"""A spot goes to the smallest region covering at least this fraction of it."""


_IMAGE_NAME = re.compile(r"_(?P<kind>ct|pet|fused)_(?P<plane>\d+)\.png$|_(?P<mip>mip)\.png$")
_MIDLINE_MM = 10.0


def _expected_hi(name: str) -> float:
    return EXPECTED_SUV[name][1] if name in EXPECTED_SUV else 0.0


def _blobs(mask: np.ndarray, min_pixels: int) -> list[np.ndarray]:
    from scipy import ndimage

    labels, n = ndimage.label(mask, structure=np.ones((3, 3), dtype=bool))
    if n == 0:
        return []
    sizes = np.bincount(labels.ravel())
    return [labels == k for k in range(1, n + 1) if sizes[k] >= min_pixels]


def _dilate(mask: np.ndarray, iterations: int) -> np.ndarray:
    from scipy import ndimage

    return ndimage.binary_dilation(mask, structure=np.ones((3, 3), dtype=bool), iterations=iterations)


def _erode(mask: np.ndarray, iterations: int) -> np.ndarray:
    from scipy import ndimage

    return ndimage.binary_erosion(mask, structure=np.ones((3, 3), dtype=bool), iterations=iterations)


# ------------------------------------------------------------------------------------------------ findings
@dataclass(frozen=True)
class Finding:
    """One abnormal uptake focus the reader saw.

    Attributes:
        organ: CE organ key.
        state: ``increased``, ``decreased`` or ``absent``.
        part: the atlas part (or node station) it was attributed to.
        picture: ``"slice <plane>"`` or ``"mip"``.
        row, col: its centre on the picture (row 0 = head, column 0 = patient's right).
        suv: its peak SUV (hot) or the mean of its three coldest pixels (cold), as decoded.
        pixels: its size on the picture.
        side: ``"right"``, ``"left"`` or None (a midline part), from the patient's point of view.
    """

    organ: str
    state: str
    part: str
    picture: str
    row: int
    col: int
    suv: float
    pixels: int
    side: str | None = None


@dataclass
class Reading:
    """What the reader saw in one case."""

    case_id: str
    organs: tuple[str, ...]
    sex: str | None
    findings: list[Finding] = field(default_factory=list)

    def labels(self) -> dict[str, list[str]]:
        """Organ -> abnormal states (in :data:`~pet2rep.vocab.STATES` order); every phantom organ a key."""
        out: dict[str, list[str]] = {o: [] for o in self.organs}
        for f in self.findings:
            if f.state not in out.setdefault(f.organ, []):
                out[f.organ].append(f.state)
        return {o: sorted(v, key=STATES.index) for o, v in out.items()}


def _side(planes: Planes, index: int, col: float) -> str | None:
    """The patient's side of a spot: from the part's name when it is one of a pair, else from the body's midline
    (the trunk's centre; world x grows toward the patient's right in RAS+). None near the midline of a midline
    part."""
    part = planes.atlas.parts[index]
    if part.name.endswith("_right"):
        return "right"
    if part.name.endswith("_left"):
        return "left"
    a = planes.atlas.pet_affine
    i = planes.atlas.pet_shape[0] - 1 - col  # pictures show the patient's right on the left
    x = a[0, 0] * i + a[0, 3]
    trunk = next((p for p in planes.atlas.parts if p.name == "trunk"), planes.atlas.parts[0])
    x0 = float(trunk.centre_mm[0])
    if abs(x - x0) < _MIDLINE_MM:
        return None
    return "right" if x > x0 else "left"


def _attribute(planes: Planes, blob: np.ndarray, plane: int | None, candidates: Iterable[int]) -> int | None:
    """The region a spot belongs to: the smallest candidate region (filled part or node station) that covers at
    least ``ATTRIBUTE_COVER`` of it (a focus sitting where a small structure lies is read as that structure's),
    else the one covering most of it (ties: node stations, then parts painted later)."""
    n = int(blob.sum())
    covering = []
    best = None
    best_key = None
    for i in candidates:
        mask = planes.mask(i, plane, filled=True)
        cover = int((mask & blob).sum())
        if cover == 0:
            continue
        if cover >= ATTRIBUTE_COVER * n:
            covering.append((int(mask.sum()), i))
        key = (cover, i in planes.stations, i)
        if best_key is None or key > best_key:
            best, best_key = i, key
    if covering:
        return min(covering)[1]
    return best


def _hot_candidates(planes: Planes) -> list[int]:
    parts = planes.atlas.parts
    return [
        i
        for i in (*planes.drawn, *planes.stations)
        if parts[i].organ is not None and _expected_hi(parts[i].name) < SATURATING_SUV
    ]


def _saturating_margin(planes: Planes, plane: int | None) -> np.ndarray:
    """Pixels that parts whose uptake fills the window reach through partial volume and blur (one voxel around
    them, two around the hottest), also from just off the plane."""
    out = np.zeros(planes.shape, dtype=bool)
    voxel = float(np.abs(np.diag(planes.atlas.pet_affine)[:3]).mean())
    for i in planes.drawn:
        hi = _expected_hi(planes.atlas.parts[i].name)
        if hi >= SATURATING_SUV:
            out |= planes.mask(i, plane, grow_mm=(2 if hi >= 3 * SATURATING_SUV else 1) * voxel)
    return out


def _read_slice(planes: Planes, suv: np.ndarray, plane: int) -> tuple[list[Finding], np.ndarray]:
    parts = planes.atlas.parts
    owner = planes.owner(plane)
    hi = np.zeros(planes.shape, dtype=np.float32)
    for i in planes.drawn:
        hi[owner == i] = _expected_hi(parts[i].name)
    threshold = np.maximum(np.float32(HOT_MIN_SUV), np.float32(HOT_FACTOR) * hi)
    margin = _saturating_margin(planes, plane)
    hot = (suv >= threshold) & ~margin & (owner >= 0)
    findings = []
    hot_seen = np.zeros(planes.shape, dtype=bool)
    candidates = _hot_candidates(planes)
    for blob in _blobs(hot, planes.pixels(MIN_HOT_AREA_MM2)):
        index = _attribute(planes, blob, plane, candidates)
        if index is None:
            continue
        hot_seen |= blob
        findings.append(_finding(planes, blob, suv, index, "increased", f"slice {plane}", peak=True))

    top = float(suv.max())
    voxel = float(np.abs(np.diag(planes.atlas.pet_affine)[:3]).mean())
    for i in planes.drawn:
        part = parts[i]
        if part.organ is None:
            continue
        # A voxel inside the part's surface, in 3-D: the slice's partial volume with its surroundings (in the plane
        # and from the planes in front and behind) would look like a cold rim.
        if part.shape in ("shell", "tube"):  # walls: a pixel in from the rim
            inside = _erode(owner == i, 1)
        else:
            inside = (owner == i) & planes.mask(i, plane, grow_mm=-voxel)
        region = inside & ~hot_seen
        if region.sum() < planes.pixels(MIN_REGION_AREA_MM2):
            continue
        level = float(np.percentile(suv[region], LEVEL_PERCENTILE))
        if level < MIN_COLD_LEVEL:
            continue
        if _expected_hi(part.name) >= SATURATING_SUV and level >= top - 1e-3:
            # The part fills the window: its level is at least the window's top and at least its expected low.
            limit = min(SATURATED_COLD_FACTOR * max(top, EXPECTED_SUV[part.name][0]), 0.9 * top)
        else:
            limit = COLD_FACTOR * level
        for blob in _blobs(region & (suv < limit), planes.pixels(MIN_COLD_AREA_MM2)):
            coldest = float(np.sort(suv[blob])[:3].mean())
            state = "absent" if coldest < ABSENT_FRACTION * level else "decreased"
            findings.append(_finding(planes, blob, suv, i, state, f"slice {plane}", peak=False))
    return findings, hot_seen


def _finding(planes: Planes, blob: np.ndarray, suv: np.ndarray, index: int, state: str, picture: str, *, peak: bool):
    rows, cols = np.nonzero(blob)
    values = suv[blob]
    value = float(values.max()) if peak else float(np.sort(values)[:3].mean())
    part = planes.atlas.parts[index]
    return Finding(
        organ=part.organ,  # type: ignore[arg-type]
        state=state,
        part=part.name,
        picture=picture,
        row=round(float(rows.mean())),
        col=round(float(cols.mean())),
        suv=round(value, 2),
        pixels=int(blob.sum()),
        side=_side(planes, index, float(cols.mean())),
    )


def _read_mip(planes: Planes, suv: np.ndarray, key_planes: Sequence[int], seen: np.ndarray) -> list[Finding]:
    parts = planes.atlas.parts
    expected = np.zeros(planes.shape, dtype=np.float32)  # the highest expected uptake along each ray
    body = np.zeros(planes.shape, dtype=bool)
    footprints = [(i, planes.mask(i, None)) for i in planes.drawn]
    for i, m in footprints:
        body |= m
        np.maximum(expected, np.where(m, np.float32(_expected_hi(parts[i].name)), 0), out=expected)
    threshold = np.maximum(np.float32(HOT_MIN_SUV), np.float32(HOT_FACTOR) * expected)
    hot = (suv >= threshold) & body & ~_saturating_margin(planes, None) & ~_dilate(seen, 2)
    candidates = [i for i in _hot_candidates(planes) if not planes.cut_through_middle(i, key_planes)]
    out = []
    for blob in _blobs(hot, planes.pixels(MIN_HOT_AREA_MM2)):
        index = _attribute(planes, blob, None, candidates)
        if index is not None:
            out.append(_finding(planes, blob, suv, index, "increased", "mip", peak=True))
    return out


def read_images(
    images: Sequence[Any], image_names: Sequence[str], atlas: Atlas, options: RenderOptions | None = None
) -> Reading:
    """Read the pictures of one dataset row with the case's atlas.

    Args:
        images: the row's pictures (PIL images or RGB arrays), native aspect (one pixel per PET voxel).
        image_names: their names (``<case>_pet_<plane>.png``, ``<case>_fused_<plane>.png``, ``<case>_mip.png``;
            CT pictures are skipped): they say what each picture is and which key plane it shows.
        atlas: the case's :class:`Atlas`.
        options: the rendering options the pictures were made with (SUV window, fusion); default
            :class:`~pet2rep.imaging.render.RenderOptions`.

    Returns:
        The :class:`Reading`: findings per organ.

    Raises:
        InputError: names that do not say what a picture is, a picture whose size is not the PET grid's, or no
            PET-bearing picture at all.
    """
    options = options or RenderOptions()
    if len(images) != len(image_names):
        raise InputError(f"case {atlas.case_id!r}: {len(images)} images but {len(image_names)} image names")
    planes = Planes(atlas)
    slices: dict[int, tuple[str, Any]] = {}
    mip = None
    for image, name in zip(images, image_names, strict=True):
        m = _IMAGE_NAME.search(str(name))
        if m is None:
            raise InputError(
                f"case {atlas.case_id!r}: image name {name!r} is none of <case>_pet_<plane>.png, "
                "<case>_fused_<plane>.png, <case>_ct_<plane>.png, <case>_mip.png"
            )
        size = image.size if hasattr(image, "size") and not isinstance(image, np.ndarray) else image.shape[1::-1]
        if tuple(size) != (planes.shape[1], planes.shape[0]):
            raise InputError(
                f"case {atlas.case_id!r}: picture {name!r} is {size[0]}x{size[1]} pixels; the reader needs the "
                f"native aspect of the PET grid ({planes.shape[1]}x{planes.shape[0]})"
            )
        if m.group("mip"):
            mip = image
        elif m.group("kind") == "pet" or (m.group("kind") == "fused" and int(m.group("plane")) not in slices):
            slices[int(m.group("plane"))] = (m.group("kind"), image)
    if not slices and mip is None:
        raise InputError(f"case {atlas.case_id!r}: no PET, fused or MIP picture among {list(image_names)}")

    reading = Reading(atlas.case_id, atlas.organs, atlas.sex)
    seen = np.zeros(planes.shape, dtype=bool)
    for plane, (kind, image) in sorted(slices.items()):
        if kind == "pet":
            suv = decode_pet(image, options.suv_window)
        else:
            suv = decode_fused(image, options.suv_window, options.fusion_alpha, options.fusion_fade)
        found, hot_seen = _read_slice(planes, suv, plane)
        reading.findings += found
        seen |= hot_seen
    if mip is not None:
        reading.findings += _read_mip(planes, decode_mip(mip, options.suv_window), sorted(slices), seen)
    return reading


# ------------------------------------------------------------------------------------------------ report
HEADER = "影像所见：禁食状态下静脉注射18F-FDG，静息60分钟后行全身PET/CT断层显像，全身断层影像显示："

NORMAL_ZH = {
    "brain": "脑形态、结构正常，双侧大脑皮质放射性分布均匀、对称，FDG摄取未见明显异常。",
    "eye": "双侧眼球形态和轮廓无异常，FDG无异常摄取。",
    "sinus": "鼻窦黏膜未见增厚，FDG摄取未见异常。",
    "pharynx": "鼻咽壁未见增厚，两侧咽隐窝对称，FDG呈生理性摄取。",
    "salivary_gland": "双侧腮腺、颌下腺形态、密度正常，FDG呈生理性摄取。",
    "thyroid": "甲状腺形态、大小正常，密度均匀，FDG摄取未见异常。",
    "cervical_lymph_node": "双侧颈部未见肿大淋巴结，FDG摄取未见异常。",
    "lung": "两肺未见明显结节及肿块影，FDG摄取未见异常。",
    "mediastinal_lymph_node": "纵隔及两侧肺门未见肿大淋巴结，FDG摄取未见异常。",
    "breast": "双侧乳腺对称，FDG摄取未见明显异常。",
    "esophagus": "食管未见扩张，管壁未见明显增厚，FDG摄取未见增高。",
    "liver": "肝脏形态、大小未见明显异常，肝实质放射性分布均匀，FDG摄取未见异常。",
    "gallbladder": "胆囊不大，胆囊壁未见增厚，FDG摄取未见异常。",
    "pancreas": "胰腺形态正常，FDG摄取未见明显异常。",
    "spleen": "脾脏形态、大小未见异常，FDG摄取未见异常。",
    "kidney": "双肾形态、大小正常，FDG摄取未见明显异常。",
    "adrenal": "双侧肾上腺未见明显增粗，FDG摄取未见异常。",
    "stomach": "胃壁未见明显增厚，FDG呈生理性摄取。",
    "intestine": "肠道未见明显肿块，FDG呈生理性摄取。",
    "abdominal_lymph_node": "腹膜后及盆腔未见肿大淋巴结，FDG摄取未见异常。",
    "prostate": "前列腺大小正常，FDG摄取未见异常增高。",
    "uterus_adnexa": "子宫及双侧附件区未见明显异常，FDG摄取未见异常。",
    "bladder": "膀胱充盈可，腔内FDG呈生理性浓聚。",
    "bone": "全身骨骼未见明显骨质破坏，FDG摄取未见异常。",
}
"""The sentence of an organ without a finding (each reads as normal to the CE extractor)."""

_SIDE_ZH = {"right": "右", "left": "左", None: ""}
_STATE_ZH = {"increased": "FDG摄取增高灶", "decreased": "FDG摄取减低区", "absent": "FDG摄取缺失区"}
_IMPRESSION_ZH = {"increased": "考虑恶性病变可能", "decreased": "考虑良性病变可能", "absent": "考虑囊性病变可能"}
_PART_ZH = {
    "skull": "颅骨",
    "cervical_spine": "颈椎",
    "ribs": "肋骨",
    "spine": "脊柱椎体",
    "sacrum": "骶骨",
    "uterus": "子宫",
    "paraaortic_nodes": "腹膜后淋巴结",
    "mesenteric_nodes": "肠系膜区淋巴结",
    "mediastinal_nodes": "纵隔淋巴结",
}
_SIDED_PART_ZH = {
    "humerus": "侧肱骨",
    "pelvis": "侧髂骨",
    "femoral_head": "侧股骨头",
    "femur": "侧股骨",
    "ovary": "侧附件区",
    "iliac_nodes": "侧髂血管旁淋巴结",
    "cervical_nodes": "侧颈部淋巴结",
}
_ORGAN_ZH = {
    "brain": "{s}侧大脑",
    "eye": "{s}侧眼球",
    "sinus": "{s}侧上颌窦",
    "pharynx": "咽部{s}侧壁",
    "salivary_gland": "{s}侧腮腺",
    "thyroid": "甲状腺{s}叶",
    "lung": "{s}肺",
    "breast": "{s}侧乳腺",
    "esophagus": "食管",
    "liver": "肝{s}叶",
    "gallbladder": "胆囊",
    "pancreas": "胰腺",
    "spleen": "脾脏",
    "kidney": "{s}肾",
    "adrenal": "{s}侧肾上腺",
    "stomach": "胃壁",
    "intestine": "{s}侧腹部肠管",
    "prostate": "前列腺",
    "bladder": "膀胱",
}


def location_zh(finding: Finding) -> str:
    """Where a finding is, in Chinese (organ or part, with the side when it has one)."""
    side = _SIDE_ZH[finding.side]
    base = finding.part.rsplit("_", 1)[0] if finding.part.endswith(("_right", "_left")) else finding.part
    if finding.part in _PART_ZH:
        return _PART_ZH[finding.part]
    if base in _SIDED_PART_ZH:
        return (side or "") + _SIDED_PART_ZH[base] if side else _SIDED_PART_ZH[base].removeprefix("侧")
    template = _ORGAN_ZH.get(finding.organ, "{s}")
    if not side:
        template = template.replace("{s}侧", "").replace("{s}", "")
    text = template.format(s=side)
    if finding.organ == "intestine" and not side:
        text = "腹部肠管"
    return text or finding.organ


def _sentence(finding: Finding, suv_top: float) -> str:
    where = location_zh(finding)
    what = _STATE_ZH[finding.state]
    if finding.state == "increased":
        saturated = finding.suv >= suv_top - 1e-3
        value = f"SUVmax≥{suv_top:.1f}（达显示窗上限）" if saturated else f"SUVmax约{finding.suv:.1f}"
        return f"{where}见{what}，{value}。"
    return f"{where}见{what}。"


def write_report(reading: Reading, suv_top: float = 5.0) -> str:
    """The Chinese structured report of a reading: findings head to toe, then the impression.

    Args:
        reading: from :func:`read_images`.
        suv_top: the top of the SUV window (a peak there is reported as "at least").
    """
    by_organ: dict[str, list[Finding]] = {}
    for f in _dedupe(reading.findings):
        by_organ.setdefault(f.organ, []).append(f)
    lines = [HEADER]
    for organ in ORGANS:
        if organ not in reading.organs and organ not in by_organ:
            continue
        if organ in by_organ:
            lines.extend(_sentence(f, suv_top) for f in by_organ[organ])
        else:
            lines.append(NORMAL_ZH[organ])
    findings = "".join(lines)
    impression = ["影像诊断："]
    ordered = [f for organ in ORGANS for f in by_organ.get(organ, [])]
    for n, f in enumerate(ordered, start=1):
        impression.append(f"{n}.{location_zh(f)}{_STATE_ZH[f.state]}，{_IMPRESSION_ZH[f.state]}。")
    if not ordered:
        impression.append("1.全身PET/CT检查未见明显异常。")
    return findings + "\n" + "".join(impression) + "\n"


def _dedupe(findings: Sequence[Finding]) -> list[Finding]:
    """One finding per (organ, state, place): the same focus on neighbouring slices is reported once."""
    out: list[Finding] = []
    for f in sorted(findings, key=lambda f: (ORGANS.index(f.organ), STATES.index(f.state), -f.pixels)):
        if any(
            o.organ == f.organ
            and o.state == f.state
            and location_zh(o) == location_zh(f)
            and abs(o.row - f.row) <= 4
            and abs(o.col - f.col) <= 4
            for o in out
        ):
            continue
        out.append(f)
    return out


def read_report(
    images: Sequence[Any], image_names: Sequence[str], atlas: Atlas, options: RenderOptions | None = None
) -> str:
    """:func:`read_images` then :func:`write_report`: the reader's report of one dataset row."""
    options = options or RenderOptions()
    return write_report(read_images(images, image_names, atlas, options), suv_top=float(options.suv_window[1]))


def predict(rows: Iterable[Mapping[str, Any]], atlases: Mapping[str, Atlas], options: RenderOptions | None = None):
    """case_id -> report for dataset rows (``case_id``, ``images``, ``image_names``; other columns are not read).

    Raises:
        InputError: a row whose case has no atlas.
    """
    out: dict[str, str] = {}
    for row in rows:
        case_id = row["case_id"]
        if case_id not in atlases:
            raise InputError(f"case {case_id!r}: no atlas; expected one of {sorted(atlases)[:5]} ...")
        out[case_id] = read_report(row["images"], row["image_names"], atlases[case_id], options)
    return out
