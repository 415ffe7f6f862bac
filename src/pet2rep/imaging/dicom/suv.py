"""Body-weight SUV from DICOM tags, following QIBA's vendor-neutral SUV pseudo-code.

``SUVbw = (stored * RescaleSlope + RescaleIntercept) * factor`` where the factor depends on Units (0054,1001):

* ``BQML``: ``factor = PatientWeight[kg] * 1000 / decayed_dose[Bq]``, ``decayed_dose = RadionuclideTotalDose *
  2^(-decay_time / RadionuclideHalfLife)``. DecayCorrection (0054,1102) names the time the pixels are
  decay-corrected to:

  - ``START``: the scan start. QIBA's rule: SeriesDate + SeriesTime when it is not after the earliest
    AcquisitionDate + AcquisitionTime of the series; otherwise (a post-processed series whose series time was
    rewritten) the GE private scan date-time (0009,100D) when present, else that earliest acquisition time.
    ``decay_time`` runs from the injection: RadiopharmaceuticalStartDateTime (0018,1078), or
    RadiopharmaceuticalStartTime (0018,1072) on the scan's date, on the day before when that puts the injection
    after the scan and the interval across midnight is under 12 h.
  - ``ADMIN``: the pixels are decay-corrected to the injection: ``decay_time = 0``.
  - ``NONE``: refused (each frame would need its own correction).

* ``GML``: the pixels are SUVbw already (factor None: nothing to apply).
* ``CNTS``: Philips counts; the Philips private SUV Scale Factor (7053,1000) is the factor. Without it: refused.

CorrectedImage (0028,0051) must include ``DECY`` when present. Missing or implausible tags are
:class:`~pet2rep.errors.MetadataError` naming the tag, never a default. The bounds are those of
:mod:`pet2rep.imaging.suv`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from pet2rep.errors import MetadataError
from pet2rep.imaging.suv import (
    MAX_DOSE_BQ,
    MAX_UPTAKE_S,
    MAX_WEIGHT_KG,
    MAX_WRAPPED_UPTAKE_S,
    MIN_DOSE_BQ,
    SuvParameters,
)

UNITS = ("BQML", "GML", "CNTS")
PHILIPS_CREATOR = "Philips PET Private Group"
GE_CREATOR = "GEMS_PETD_01"
MIN_HALF_LIFE_S = 60.0  # shorter is not a PET tracer (O-15 is 122 s)
MAX_HALF_LIFE_S = 1.0e7  # longer is a unit mistake


@dataclass(frozen=True)
class DicomSuv:
    """The SUV factor of a PET series and what it came from.

    Attributes:
        factor: multiply the rescaled pixel values by it to get SUVbw; None when they are SUVbw already (GML).
        units: Units (0054,1001).
        method: ``"bqml-decay"``, ``"gml"`` or ``"philips-cnts"``.
        inputs: tag keyword -> value used (JSON-safe; clock times without dates), plus derived values
            (``decay_time_s``, ``reference``).
    """

    factor: float | None
    units: str
    method: str
    inputs: dict[str, Any] = field(default_factory=dict)

    def record(self) -> dict[str, Any]:
        """JSON-safe summary for the case metadata."""
        return {"factor": self.factor, "units": self.units, "method": self.method, **self.inputs}


def _missing(tag: str, where: str, why: str) -> MetadataError:
    return MetadataError(f"{where}: {tag} is missing; it is required {why}")


def _get(ds: Any, keyword: str):
    value = ds.get(keyword) if ds is not None else None
    return None if value is None or value == "" else value


def _number(ds: Any, keyword: str, tag: str, where: str, why: str) -> float:
    value = _get(ds, keyword)
    if value is None:
        raise _missing(f"{keyword} {tag}", where, why)
    try:
        out = float(value)
    except (TypeError, ValueError) as e:
        raise MetadataError(f"{where}: {keyword} {tag} must be a number, got {value!r}") from e
    if not math.isfinite(out):
        raise MetadataError(f"{where}: {keyword} {tag} must be finite, got {value!r}")
    return out


def _parse_da(value: Any, name: str, where: str) -> date:
    from pydicom.valuerep import DA

    try:
        out = DA(str(value).strip())
    except ValueError as e:
        raise MetadataError(f"{where}: {name} must be a DICOM date YYYYMMDD, got {value!r}") from e
    if out is None:
        raise MetadataError(f"{where}: {name} is empty")
    return date(out.year, out.month, out.day)


def _parse_tm(value: Any, name: str, where: str) -> time:
    from pydicom.valuerep import TM

    try:
        out = TM(str(value).strip())
    except ValueError as e:
        raise MetadataError(f"{where}: {name} must be a DICOM time HHMMSS[.ffffff], got {value!r}") from e
    if out is None:
        raise MetadataError(f"{where}: {name} is empty")
    return time(out.hour, out.minute, out.second, out.microsecond)


def _parse_dt(value: Any, name: str, where: str) -> datetime:
    from pydicom.valuerep import DT

    try:
        out = DT(str(value).strip())
    except ValueError as e:
        raise MetadataError(f"{where}: {name} must be a DICOM date-time YYYYMMDDHHMMSS, got {value!r}") from e
    if out is None:
        raise MetadataError(f"{where}: {name} is empty")
    return datetime(out.year, out.month, out.day, out.hour, out.minute, out.second, out.microsecond, out.tzinfo)


def _naive(dt: datetime) -> datetime:
    # DICOM clocks are local unless TimezoneOffsetFromUTC says otherwise, and that applies to every time of the
    # file alike: an offset on one DT does not shift it against the bare DA/TM values.
    return dt.replace(tzinfo=None)


def acquisition_datetime(ds: Any, *, where: str = "") -> datetime | None:
    """AcquisitionDateTime, or AcquisitionDate + AcquisitionTime, of one slice (None when absent)."""
    if _get(ds, "AcquisitionDateTime") is not None:
        return _naive(_parse_dt(ds.AcquisitionDateTime, "AcquisitionDateTime (0008,002A)", where))
    if _get(ds, "AcquisitionDate") is not None and _get(ds, "AcquisitionTime") is not None:
        d = _parse_da(ds.AcquisitionDate, "AcquisitionDate (0008,0022)", where)
        t = _parse_tm(ds.AcquisitionTime, "AcquisitionTime (0008,0032)", where)
        return datetime.combine(d, t)
    return None


def _ge_scan_datetime(ds: Any, where: str) -> datetime | None:
    try:
        element = ds.get_private_item(0x0009, 0x0D, GE_CREATOR)
    except KeyError:
        return None
    value = element.value
    if value in (None, ""):
        return None
    if isinstance(value, bytes):
        value = value.decode("ascii", errors="replace")
    return _naive(_parse_dt(value, "GE private scan DateTime (0009,100D)", where))


def scan_reference(ds: Any, acquisition_times: Sequence[datetime], *, where: str = "") -> tuple[datetime, str]:
    """The scan start that DecayCorrection START refers to, per QIBA, and where it came from.

    Raises:
        MetadataError: SeriesDate / SeriesTime missing or malformed.
    """
    for keyword, tag in (("SeriesDate", "(0008,0021)"), ("SeriesTime", "(0008,0031)")):
        if _get(ds, keyword) is None:
            raise _missing(f"{keyword} {tag}", where, "as the decay-correction reference (DecayCorrection START)")
    series = datetime.combine(
        _parse_da(ds.SeriesDate, "SeriesDate (0008,0021)", where),
        _parse_tm(ds.SeriesTime, "SeriesTime (0008,0031)", where),
    )
    earliest = min(acquisition_times) if acquisition_times else None
    if earliest is None or series <= earliest:
        return series, "SeriesDate/SeriesTime"
    ge = _ge_scan_datetime(ds, where)
    if ge is not None:
        return ge, "GE private scan DateTime (0009,100D): SeriesTime is after the acquisition"
    return earliest, "earliest AcquisitionDate/AcquisitionTime: SeriesTime is after the acquisition"


def injection_datetime(info: Any, reference: datetime, *, where: str = "") -> tuple[datetime, str]:
    """The injection (RadiopharmaceuticalStartDateTime, or StartTime on the reference's date, across midnight when
    that is the shorter reading) and the tag used.

    Raises:
        MetadataError: neither tag, malformed, or a time-only injection that cannot precede the scan.
    """
    if _get(info, "RadiopharmaceuticalStartDateTime") is not None:
        value = info.RadiopharmaceuticalStartDateTime
        return _naive(_parse_dt(value, "RadiopharmaceuticalStartDateTime (0018,1078)", where)), (
            "RadiopharmaceuticalStartDateTime"
        )
    if _get(info, "RadiopharmaceuticalStartTime") is None:
        raise _missing(
            "RadiopharmaceuticalStartDateTime (0018,1078) or RadiopharmaceuticalStartTime (0018,1072)",
            where,
            "to decay-correct the injected dose",
        )
    t = _parse_tm(info.RadiopharmaceuticalStartTime, "RadiopharmaceuticalStartTime (0018,1072)", where)
    inj = datetime.combine(reference.date(), t)
    if inj > reference and (reference - (inj - timedelta(days=1))).total_seconds() < MAX_WRAPPED_UPTAKE_S:
        return inj - timedelta(days=1), "RadiopharmaceuticalStartTime (the day before the scan: across midnight)"
    return inj, "RadiopharmaceuticalStartTime (on the scan date)"


def _clock(dt: datetime) -> str:
    return dt.strftime("%H:%M:%S")


def suv_from_tags(ds: Any, acquisition_times: Sequence[datetime] = (), *, where: str = "") -> DicomSuv:
    """The SUVbw factor of a PET series from the header of one of its files (see the module docstring).

    Args:
        ds: a pydicom dataset of the series (pixels not needed).
        acquisition_times: the acquisition date-times of all its slices (:func:`acquisition_datetime`), for the
            QIBA rule on a rewritten SeriesTime.
        where: names the series in messages.

    Raises:
        MetadataError: a tag missing, malformed or implausible, or Units / DecayCorrection not supported.
    """
    units = _get(ds, "Units")
    if units is None:
        raise _missing("Units (0054,1001)", where, "to know whether the pixels are Bq/mL, SUV or counts")
    units = str(units).strip().upper()
    corrected = _get(ds, "CorrectedImage")
    if corrected is not None:
        flags = [str(v).strip().upper() for v in ([corrected] if isinstance(corrected, str) else corrected)]
        if "DECY" not in flags:
            raise MetadataError(
                f"{where}: CorrectedImage (0028,0051) is {flags}, without DECY: the pixels are not decay-corrected, "
                "so no single SUV factor applies"
            )
    if units == "GML":
        return DicomSuv(None, units, "gml", {"Units": units})
    if units == "CNTS":
        try:
            element = ds.get_private_item(0x7053, 0x00, PHILIPS_CREATOR)
        except KeyError:
            element = None
        if element is None or element.value in (None, ""):
            raise MetadataError(
                f"{where}: Units (0054,1001) is CNTS (counts) and the Philips private SUV Scale Factor (7053,1000) of "
                f"{PHILIPS_CREATOR!r} is missing; counts cannot be converted to SUV without it (export the series "
                "in BQML)"
            )
        value = element.value.decode("ascii", "replace") if isinstance(element.value, bytes) else element.value
        try:
            factor = float(value)
        except (TypeError, ValueError) as e:
            raise MetadataError(
                f"{where}: Philips SUV Scale Factor (7053,1000) must be a number, got {value!r}"
            ) from e
        if not (math.isfinite(factor) and factor > 0):
            raise MetadataError(f"{where}: Philips SUV Scale Factor (7053,1000) must be > 0, got {value!r}")
        return DicomSuv(factor, units, "philips-cnts", {"Units": units, "PhilipsSUVScaleFactor": factor})
    if units != "BQML":
        raise MetadataError(f"{where}: Units (0054,1001) is {units!r}; expected one of {list(UNITS)}")
    return _bqml(ds, acquisition_times, where)


def _bqml(ds: Any, acquisition_times: Sequence[datetime], where: str) -> DicomSuv:
    why = "to convert PET in Bq/mL to SUV"
    decay = _get(ds, "DecayCorrection")
    if decay is None:
        raise _missing("DecayCorrection (0054,1102)", where, "to know the time the dose is decay-corrected to")
    decay = str(decay).strip().upper()
    if decay not in ("START", "ADMIN"):
        raise MetadataError(
            f"{where}: DecayCorrection (0054,1102) is {decay!r}; expected START or ADMIN (NONE: each frame would "
            "need its own decay correction, which pet2rep does not do)"
        )
    weight_kg = _number(ds, "PatientWeight", "(0010,1030)", where, why)
    if not 0.0 < weight_kg <= MAX_WEIGHT_KG:
        raise MetadataError(
            f"{where}: PatientWeight (0010,1030) must be in (0, {MAX_WEIGHT_KG:g}] kg, got {weight_kg:g}"
        )
    seq = _get(ds, "RadiopharmaceuticalInformationSequence")
    if not seq:
        raise _missing("RadiopharmaceuticalInformationSequence (0054,0016)", where, why)
    info = seq[0]
    dose_bq = _number(info, "RadionuclideTotalDose", "(0018,1074)", where, why)
    if not MIN_DOSE_BQ <= dose_bq <= MAX_DOSE_BQ:
        raise MetadataError(
            f"{where}: RadionuclideTotalDose (0018,1074) = {dose_bq:g} Bq is implausible for a PET tracer; "
            f"expected Bq in [{MIN_DOSE_BQ:g}, {MAX_DOSE_BQ:g}]"
        )
    half_life_s = _number(info, "RadionuclideHalfLife", "(0018,1075)", where, why)
    if not MIN_HALF_LIFE_S <= half_life_s <= MAX_HALF_LIFE_S:
        raise MetadataError(
            f"{where}: RadionuclideHalfLife (0018,1075) = {half_life_s:g} s is implausible; expected seconds "
            f"(F-18: 6586.2)"
        )
    inputs: dict[str, Any] = {
        "Units": "BQML",
        "DecayCorrection": decay,
        "PatientWeight": weight_kg,
        "RadionuclideTotalDose": dose_bq,
        "RadionuclideHalfLife": half_life_s,
    }
    if decay == "ADMIN":
        decay_s = 0.0
        inputs["reference"] = "ADMIN: pixels decay-corrected to the injection"
    else:
        reference, source = scan_reference(ds, acquisition_times, where=where)
        injection, inj_source = injection_datetime(info, reference, where=where)
        decay_s = (reference - injection).total_seconds()
        if decay_s <= 0:
            raise MetadataError(
                f"{where}: the scan reference ({source}, {_clock(reference)}) is not after the injection "
                f"({inj_source}, {_clock(injection)}); expected a positive uptake time"
            )
        if decay_s > MAX_UPTAKE_S:
            raise MetadataError(
                f"{where}: {decay_s / 3600:.1f} h from the injection ({inj_source}) to the scan ({source}) exceeds "
                f"{MAX_UPTAKE_S / 3600:.0f} h; check the dates"
            )
        inputs.update(
            reference=source,
            reference_time=_clock(reference),
            injection=inj_source,
            injection_time=_clock(injection),
        )
    params = SuvParameters(
        weight_kg=weight_kg, injected_dose_bq=dose_bq, uptake_time_s=decay_s, half_life_s=half_life_s
    )
    inputs["decay_time_s"] = decay_s
    inputs["decayed_dose_bq"] = params.decayed_dose_bq
    return DicomSuv(params.factor, "BQML", "bqml-decay", inputs)
