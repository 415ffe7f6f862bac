"""Body-weight SUV from acquisition metadata: pure functions, no guessing.

SUV = C[Bq/mL] * weight[g] / (dose[Bq] * 2^(-dt / half_life_s)), dt = acquisition - injection time.
Missing or implausible metadata is a :class:`~pet2rep.errors.MetadataError`, never a default.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

import numpy as np

from pet2rep.errors import MetadataError

F18_HALF_LIFE_S = 6586.2
"""Half-life of fluorine-18 in seconds (109.77 min)."""

# Plausibility bounds: outside them the value is a unit mistake or a typo, not a patient.
MAX_WEIGHT_KG = 500.0
MIN_DOSE_BQ = 1.0e5  # 0.1 MBq: smaller values are almost surely MBq or mCi written into a Bq field
MAX_DOSE_BQ = 1.0e11
MAX_UPTAKE_S = 24 * 3600.0
# Bare times of day: an acquisition earlier on the clock than the injection is read as "after midnight" only when
# that gives the shorter interval (under 12 h); otherwise the fields are swapped or mistyped (10:00 -> 09:00 is not a
# 23 h uptake, whose decay correction would inflate SUV about 6000-fold).
MAX_WRAPPED_UPTAKE_S = 12 * 3600.0

_HMS = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2})(\.\d+)?)?$")
_DICOM_TM = re.compile(r"^(\d{2})(\d{2})(\d{2})(\.\d+)?$")


@dataclass(frozen=True)
class SuvParameters:
    """The validated inputs of the SUV factor and the factor itself."""

    weight_kg: float
    injected_dose_bq: float
    uptake_time_s: float
    half_life_s: float

    @property
    def decayed_dose_bq(self) -> float:
        return self.injected_dose_bq * 2.0 ** (-self.uptake_time_s / self.half_life_s)

    @property
    def factor(self) -> float:
        """Multiply Bq/mL by this to get SUV (g/mL)."""
        return self.weight_kg * 1000.0 / self.decayed_dose_bq


def parse_clock(value: Any, *, name: str, where: str = "") -> datetime | time:
    """Parse an ISO 8601 date-time (``2024-03-01T09:15:00``) or a time of day (``HH:MM[:SS[.f]]``, ``HHMMSS``).

    Returns:
        A ``datetime`` when a date is given, else a ``time``.

    Raises:
        MetadataError: not a string, or neither format.
    """
    prefix = f"{where}: " if where else ""
    if not isinstance(value, str) or not value.strip():
        raise MetadataError(f"{prefix}{name} must be an ISO 8601 date-time or HH:MM:SS string, got {value!r}")
    text = value.strip()
    m = _HMS.match(text) or _DICOM_TM.match(text)
    if m:
        hh, mm, ss = int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)
        frac = float(m.group(4)) if m.group(4) else 0.0
        if hh > 23 or mm > 59 or ss > 59:
            raise MetadataError(f"{prefix}{name} is not a valid time of day: {value!r}")
        return time(hh, mm, ss, round(frac * 1e6) % 1_000_000)
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as e:
        raise MetadataError(
            f"{prefix}{name} must be an ISO 8601 date-time (e.g. 2024-03-01T09:15:00) or HH:MM:SS, got {value!r}"
        ) from e


def uptake_seconds(injection: Any, acquisition: Any, *, where: str = "") -> float:
    """Seconds from injection to acquisition start.

    Two full date-times are subtracted as they are (time zones must agree). When either side is a bare
    time of day, the difference is taken on the clock and wraps over midnight (23:40 -> 00:45 is 65 min) when the
    wrapped interval is under 12 h; a clock time going further back (10:00 -> 09:00) is an acquisition before the
    injection.

    Raises:
        MetadataError: unparsable times, mixed time-zone awareness, a negative or zero interval, or one
            longer than 24 h.
    """
    prefix = f"{where}: " if where else ""
    inj = parse_clock(injection, name="injection_time", where=where)
    acq = parse_clock(acquisition, name="acquisition_time", where=where)
    if isinstance(inj, datetime) and isinstance(acq, datetime):
        if (inj.tzinfo is None) != (acq.tzinfo is None):
            raise MetadataError(
                f"{prefix}injection_time {injection!r} and acquisition_time {acquisition!r} mix a time zone "
                "with none; give both with or both without"
            )
        dt = (acq - inj).total_seconds()
        if dt <= 0:
            raise MetadataError(
                f"{prefix}acquisition_time {acquisition!r} is not after injection_time {injection!r} "
                f"(dt = {dt:.0f} s); expected a positive uptake time"
            )
    else:
        inj_t = inj.timetz() if isinstance(inj, datetime) else inj
        acq_t = acq.timetz() if isinstance(acq, datetime) else acq
        dt = _clock_seconds(acq_t) - _clock_seconds(inj_t)
        if dt < -(24 * 3600.0 - MAX_WRAPPED_UPTAKE_S):
            dt += 24 * 3600.0  # the scan started after midnight
        elif dt < 0:
            raise MetadataError(
                f"{prefix}acquisition_time {acquisition!r} is {-dt / 3600:.1f} h before injection_time "
                f"{injection!r}; expected a positive uptake time (a scan after midnight would mean "
                f"{(dt + 24 * 3600.0) / 3600:.1f} h of uptake; give ISO 8601 date-times if that is right)"
            )
        if dt == 0:
            raise MetadataError(
                f"{prefix}injection_time {injection!r} equals acquisition_time {acquisition!r}; "
                "expected a positive uptake time"
            )
    if dt > MAX_UPTAKE_S:
        raise MetadataError(
            f"{prefix}uptake time {dt / 3600:.1f} h between injection_time {injection!r} and acquisition_time "
            f"{acquisition!r} exceeds {MAX_UPTAKE_S / 3600:.0f} h; check the dates"
        )
    return float(dt)


def _clock_seconds(t: time) -> float:
    return t.hour * 3600.0 + t.minute * 60.0 + t.second + t.microsecond / 1e6


def _number(meta: dict, key: str, prefix: str) -> float:
    if key not in meta or meta[key] is None:
        raise MetadataError(f"{prefix}{key} is missing; it is required to convert PET in Bq/mL to SUV")
    value = meta[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise MetadataError(f"{prefix}{key} must be a number, got {value!r} ({type(value).__name__})")
    value = float(value)
    if not math.isfinite(value):
        raise MetadataError(f"{prefix}{key} must be finite, got {value!r}")
    return value


def suv_parameters(meta: dict, *, where: str = "") -> SuvParameters:
    """Validate the SUV metadata of a case (the keys of ``meta.json``).

    Args:
        meta: ``weight_kg``, ``injected_dose_bq``, ``injection_time``, ``acquisition_time`` and optionally
            ``half_life_s`` (default: F-18).
        where: prefix for messages (e.g. ``"case 'c017': meta.json"``).

    Raises:
        MetadataError: a key is missing, not a number, or implausible.
    """
    prefix = f"{where}: " if where else ""
    if not isinstance(meta, dict):
        raise MetadataError(f"{prefix}expected a JSON object with the SUV metadata, got {type(meta).__name__}")
    weight_kg = _number(meta, "weight_kg", prefix)
    if not 0.0 < weight_kg <= MAX_WEIGHT_KG:
        raise MetadataError(f"{prefix}weight_kg must be in (0, {MAX_WEIGHT_KG:g}] kg, got {weight_kg:g}")
    dose_bq = _number(meta, "injected_dose_bq", prefix)
    if dose_bq <= 0:
        raise MetadataError(f"{prefix}injected_dose_bq must be > 0, got {dose_bq:g}")
    if dose_bq < MIN_DOSE_BQ:
        raise MetadataError(
            f"{prefix}injected_dose_bq = {dose_bq:g} Bq is implausibly small for FDG; expected Bq "
            f"(e.g. 3.7e8 for 370 MBq), not MBq or mCi"
        )
    if dose_bq > MAX_DOSE_BQ:
        raise MetadataError(f"{prefix}injected_dose_bq = {dose_bq:g} Bq is implausibly large (> {MAX_DOSE_BQ:g})")
    half_life_s = _number(meta, "half_life_s", prefix) if "half_life_s" in meta else F18_HALF_LIFE_S
    if half_life_s <= 0:
        raise MetadataError(f"{prefix}half_life_s must be > 0, got {half_life_s:g}")
    for key in ("injection_time", "acquisition_time"):
        if meta.get(key) is None:
            raise MetadataError(f"{prefix}{key} is missing; it is required to decay-correct the injected dose")
    dt = uptake_seconds(meta["injection_time"], meta["acquisition_time"], where=where)
    return SuvParameters(weight_kg=weight_kg, injected_dose_bq=dose_bq, uptake_time_s=dt, half_life_s=half_life_s)


def suv_factor(
    weight_kg: float,
    injected_dose_bq: float,
    injection_time: str,
    acquisition_time: str,
    half_life_s: float = F18_HALF_LIFE_S,
) -> float:
    """SUV (body weight) factor: multiply activity concentration in Bq/mL by it to get SUV.

    >>> f"{suv_factor(70, 3.7e8, '09:00:00', '10:00:00'):.4e}"
    '2.7634e-04'
    """
    meta = {
        "weight_kg": weight_kg,
        "injected_dose_bq": injected_dose_bq,
        "injection_time": injection_time,
        "acquisition_time": acquisition_time,
        "half_life_s": half_life_s,
    }
    return suv_parameters(meta).factor


def to_suv(activity_bqml: np.ndarray, factor: float, *, inplace: bool = False) -> np.ndarray:
    """Convert activity concentration (Bq/mL) to SUV in ``float32``; ``inplace`` reuses a float32 input."""
    if inplace and activity_bqml.dtype == np.float32:
        activity_bqml *= np.float32(factor)
        return activity_bqml
    return np.multiply(activity_bqml, np.float32(factor), dtype=np.float32)
