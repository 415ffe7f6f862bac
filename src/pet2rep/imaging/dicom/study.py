"""Studies -> the PET series and the CT series of one case, with the reason for every choice.

Files are grouped by StudyInstanceUID, then SeriesInstanceUID. In a study:

* an *image series* has one frame per file, ImagePositionPatient and ImageOrientationPatient on every file, one
  orientation and at least 2 slices; anything else (a localizer / scout, a screen capture, a dose report, a
  multi-frame object) is listed with the reason it was passed over;
* the PET is the image series of Modality PT. Attenuation-corrected series (CorrectedImage has ATTN) are
  preferred over non-AC ones, ORIGINAL over DERIVED (ImageType). When more than one candidate is left,
  pet2rep does not guess: the study is an error listing them;
* the CT is the image series of Modality CT in the PET's FrameOfReferenceUID (the scanner's registration of the
  two) with the largest coverage along its slice normal (then the most slices). A CT in another frame of
  reference is never used: nothing says how it lines up with the PET;
* both chosen series must be decodable: a compressed transfer syntax whose pydicom plugin is missing is a
  :class:`~pet2rep.errors.MissingDependencyError` naming the series and the plugins that would decode it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from pet2rep.errors import LayoutError, MissingDependencyError
from pet2rep.imaging.dicom.headers import MEDIA_STORAGE_DIRECTORY, SliceHeader

UNCOMPRESSED = (
    "1.2.840.10008.1.2",  # Implicit VR Little Endian
    "1.2.840.10008.1.2.1",  # Explicit VR Little Endian
    "1.2.840.10008.1.2.1.99",  # Deflated Explicit VR Little Endian
    "1.2.840.10008.1.2.2",  # Explicit VR Big Endian
)


@dataclass
class Series:
    """One series of a study (its files' headers) and what discovery concluded about it."""

    uid: str
    modality: str
    headers: list[SliceHeader]
    problem: str | None = None  # why it is not an image series (None: it is one)
    coverage_mm: float = 0.0

    @property
    def description(self) -> str:
        return self.headers[0].series_description

    @property
    def frame_of_reference_uid(self) -> str:
        return self.headers[0].frame_of_reference_uid

    @property
    def attenuation_rank(self) -> int:
        """2: CorrectedImage has ATTN; 1: no CorrectedImage (unknown); 0: CorrectedImage without ATTN (non-AC)."""
        if all(h.is_attenuation_corrected for h in self.headers):
            return 2
        return 1 if not any(h.corrected_image for h in self.headers) else 0

    @property
    def derived(self) -> bool:
        return any("DERIVED" in h.image_type for h in self.headers)

    @property
    def paths(self) -> list:
        return [h.path for h in self.headers]

    def label(self, redact=lambda s: s) -> str:
        desc = redact(self.description) if self.description else ""
        return f"{self.modality} series {self.uid}" + (
            f" ({desc!r}, {len(self.headers)} files)" if desc else f" ({len(self.headers)} files)"
        )


@dataclass
class SeriesChoice:
    """The PET and CT series chosen for a study, why, and every other series with the reason it was not used."""

    study_uid: str
    pet: Series
    ct: Series
    pet_reason: str
    ct_reason: str
    passed_over: list[tuple[Series, str]] = field(default_factory=list)


def group_studies(headers: Sequence[SliceHeader]) -> dict[str, dict[str, list[SliceHeader]]]:
    """StudyInstanceUID -> SeriesInstanceUID -> headers (DICOMDIR index files left out), in first-seen order."""
    studies: dict[str, dict[str, list[SliceHeader]]] = defaultdict(lambda: defaultdict(list))
    for h in headers:
        if h.sop_class_uid == MEDIA_STORAGE_DIRECTORY:
            continue
        studies[h.study_uid][h.series_uid].append(h)
    return {s: dict(series) for s, series in studies.items()}


def _image_problem(headers: list[SliceHeader]) -> str | None:
    if any(h.is_localizer for h in headers):
        return "a localizer (ImageType LOCALIZER)"
    if any(h.number_of_frames > 1 for h in headers):
        return "multi-frame files (one frame per file is supported)"
    lacking = [h for h in headers if h.position is None or h.orientation is None]
    if len(lacking) == len(headers):
        return "not a cross-sectional image series (no ImagePositionPatient / ImageOrientationPatient)"
    if lacking:
        return (
            f"{len(lacking)} of {len(headers)} files lack ImagePositionPatient / ImageOrientationPatient "
            f"(e.g. {lacking[0].path.name}: truncated or corrupt?)"
        )
    if len(headers) < 2:
        return "a single slice (a volume needs at least 2)"
    first = np.asarray(headers[0].orientation)
    if any(np.max(np.abs(np.asarray(h.orientation) - first)) > 1e-3 for h in headers):
        return "slices in several orientations (a localizer?)"
    return None


def _coverage_mm(headers: list[SliceHeader]) -> float:
    o = np.asarray(headers[0].orientation, dtype=np.float64)
    normal = np.cross(o[:3], o[3:])
    d = np.asarray([h.position for h in headers], dtype=np.float64) @ normal
    return float(d.max() - d.min())


def make_series(uid: str, headers: list[SliceHeader]) -> Series:
    """A :class:`Series` with its image-series check and coverage."""
    modality = headers[0].modality
    problem = _image_problem(headers)
    return Series(uid, modality, headers, problem, 0.0 if problem else _coverage_mm(headers))


def check_decodable(series: Series, what: str, where: str) -> None:
    """Raise :class:`MissingDependencyError` when pydicom cannot decode a transfer syntax of ``series``."""
    from pydicom.pixels import get_decoder

    from pet2rep.imaging.dicom.volume import ts_name

    for ts in sorted({h.transfer_syntax_uid for h in series.headers}):
        if ts in UNCOMPRESSED:
            continue
        try:
            decoder = get_decoder(ts)
        except NotImplementedError as e:
            raise MissingDependencyError(
                f"{where}: {what} {series.uid} uses transfer syntax {ts} ({ts_name(ts)}), which pydicom cannot decode"
            ) from e
        if not decoder.is_available:
            raise MissingDependencyError(
                f"{where}: {what} {series.uid} is compressed as {ts_name(ts)} ({ts}); pydicom needs a decoding plugin "
                f"for it: {'; '.join(decoder.missing_dependencies)}"
            )


def choose_series(
    study_uid: str, series: dict[str, list[SliceHeader]], *, where: str, redact=lambda s: s
) -> SeriesChoice:
    """Choose the PET and the CT of a study (see the module docstring).

    Args:
        study_uid: the study.
        series: SeriesInstanceUID -> headers.
        where: names the case in messages.
        redact: applied to header free text (SeriesDescription) before it enters a message.

    Raises:
        LayoutError: no PET, no CT (or none in the PET's frame of reference), several candidate PET series, or only
            non-attenuation-corrected PET.
        MissingDependencyError: a chosen series is compressed in a syntax pydicom cannot decode here.
    """
    all_series = [make_series(uid, hs) for uid, hs in series.items()]
    passed: list[tuple[Series, str]] = [(s, s.problem) for s in all_series if s.problem]
    images = [s for s in all_series if not s.problem]
    found = ", ".join(s.label(redact) for s in all_series) or "nothing"
    pets = [s for s in images if s.modality == "PT"]
    if not pets:
        pt_other = [f"{s.label(redact)}: {s.problem}" for s in all_series if s.modality == "PT"]
        extra = f" (PT series passed over: {'; '.join(pt_other)})" if pt_other else ""
        raise LayoutError(f"{where}: no PET image series (Modality PT) in study {study_uid}{extra}; found {found}")
    best = max(s.attenuation_rank for s in pets)
    ac = [s for s in pets if s.attenuation_rank == best]
    if best == 0:
        raise LayoutError(
            f"{where}: only non-attenuation-corrected PET ({', '.join(s.label(redact) for s in pets)}: CorrectedImage "
            "has no ATTN); SUV needs an attenuation-corrected series"
        )
    passed += [
        (s, "PET not attenuation-corrected (CorrectedImage has no ATTN); an AC series is preferred")
        for s in pets
        if s not in ac
    ]
    original = [s for s in ac if not s.derived] or ac
    passed += [(s, "PET DERIVED (ImageType); an ORIGINAL series is preferred") for s in ac if s not in original]
    if len(original) > 1:
        raise LayoutError(
            f"{where}: {len(original)} candidate PET series (attenuation-corrected, same standing): "
            f"{'; '.join(s.label(redact) for s in original)}; pet2rep does not guess: leave one of them in the study"
        )
    pet = original[0]
    pet_reason = (
        "the only attenuation-corrected PET image series"
        + (" (non-AC series passed over)" if len(ac) < len(pets) else "")
        + (" (DERIVED series passed over)" if len(original) < len(ac) else "")
    )
    cts = [s for s in images if s.modality == "CT"]
    if not cts:
        ct_other = [f"{s.label(redact)}: {s.problem}" for s in all_series if s.modality == "CT"]
        extra = f" (CT series passed over: {'; '.join(ct_other)})" if ct_other else ""
        raise LayoutError(f"{where}: PET without a CT image series in study {study_uid}{extra}; found {found}")
    matching = [s for s in cts if s.frame_of_reference_uid and s.frame_of_reference_uid == pet.frame_of_reference_uid]
    if not matching:
        listing = "; ".join(f"{s.label(redact)} in frame {s.frame_of_reference_uid or '(none)'}" for s in cts)
        raise LayoutError(
            f"{where}: no CT series shares the PET's FrameOfReferenceUID {pet.frame_of_reference_uid or '(none)'} "
            f"({listing}); a CT in another frame of reference cannot be placed on the PET"
        )
    passed += [(s, "CT in another frame of reference than the PET") for s in cts if s not in matching]
    matching.sort(key=lambda s: (-round(s.coverage_mm, 3), -len(s.headers), s.uid))
    ct = matching[0]
    passed += [(s, f"CT covering less ({s.coverage_mm:.0f} mm vs {ct.coverage_mm:.0f} mm)") for s in matching[1:]]
    passed += [(s, "neither PET nor CT") for s in images if s.modality not in ("PT", "CT")]
    ct_reason = (
        f"CT in the PET's frame of reference with the largest coverage ({ct.coverage_mm:.0f} mm, "
        f"{len(ct.headers)} slices)"
    )
    check_decodable(pet, "PET series", where)
    check_decodable(ct, "CT series", where)
    return SeriesChoice(study_uid, pet, ct, pet_reason, ct_reason, passed)
