import numpy as np
import pytest

from pet2rep.errors import MetadataError, Pet2RepError
from pet2rep.imaging.suv import F18_HALF_LIFE_S, parse_clock, suv_factor, suv_parameters, to_suv, uptake_seconds

META = {
    "weight_kg": 70.0,
    "injected_dose_bq": 3.7e8,
    "injection_time": "09:00:00",
    "acquisition_time": "10:00:00",
}


def test_factor_matches_hand_calculation():
    # 60 min of F-18 decay: 2^(-3600 / 6586.2) = 0.684633; 70 kg = 70000 g; 370 MBq.
    decayed = 3.7e8 * 0.6846329195720021
    assert suv_parameters(META).factor == pytest.approx(70000.0 / decayed, rel=1e-12)
    assert suv_factor(70, 3.7e8, "09:00:00", "10:00:00") == pytest.approx(2.7633668171764324e-04, rel=1e-12)


def test_suv_of_a_voxel():
    # 5000 Bq/mL in a 70 kg patient 60 min after 370 MBq: SUV = 5000 * 70000 / (3.7e8 * 0.684633) = 1.3817
    out = to_suv(np.array([5000.0], dtype=np.float32), suv_factor(70, 3.7e8, "09:00", "10:00"))
    assert out.dtype == np.float32
    assert float(out[0]) == pytest.approx(1.38168, rel=1e-5)


def test_to_suv_inplace_reuses_float32_buffer():
    a = np.full(4, 2.0, dtype=np.float32)
    out = to_suv(a, 0.5, inplace=True)
    assert out is a and np.all(a == 1.0)


def test_half_life_default_and_override():
    assert suv_parameters(META).half_life_s == F18_HALF_LIFE_S
    p = suv_parameters({**META, "half_life_s": 1223.4})  # C-11
    assert p.decayed_dose_bq == pytest.approx(3.7e8 * 2 ** (-3600 / 1223.4))


def test_midnight_wrap_on_clock_times():
    assert uptake_seconds("23:40:00", "00:45:00") == 3900.0
    p = suv_parameters({**META, "injection_time": "23:40:00", "acquisition_time": "00:45:00"})
    assert p.decayed_dose_bq == pytest.approx(3.7e8 * 0.6633548761332619)


def test_clock_times_read_backwards_are_an_error_not_a_day_long_uptake():
    # 10:00 -> 09:00 is an acquisition before the injection (swapped or mistyped fields), not a 23 h uptake past
    # midnight: the SUV factor would be off by 2^(23 h / 110 min), about 6000x.
    with pytest.raises(MetadataError, match=r"acquisition_time '09:00:00' is 1\.0 h before injection_time '10:00:00'"):
        uptake_seconds("10:00:00", "09:00:00", where="case 'c9': meta.json")
    with pytest.raises(MetadataError, match=r"case 'c9': meta\.json: acquisition_time"):
        suv_parameters(
            {**META, "injection_time": "10:00:00", "acquisition_time": "09:00:00"}, where="case 'c9': meta.json"
        )
    # The nearer reading wins: a wrap is taken when it gives the shorter interval (under 12 h).
    assert uptake_seconds("18:30:00", "06:00:00") == 11.5 * 3600
    with pytest.raises(MetadataError, match=r"is 11\.5 h before injection_time"):
        uptake_seconds("18:00:00", "06:30:00")  # 11.5 h back, or 12.5 h over midnight


def test_iso_datetimes_across_midnight_and_mixed_formats():
    assert uptake_seconds("2024-03-01T23:40:00", "2024-03-02T00:45:00") == 3900.0
    assert uptake_seconds("2024-03-01T09:00:00+01:00", "2024-03-01T10:00:30+01:00") == 3630.0
    assert uptake_seconds("2024-03-01T09:00:00Z", "2024-03-01T10:00:00Z") == 3600.0
    # One side a bare time of day: the clock difference.
    assert uptake_seconds("2024-03-01T09:00:00", "10:15") == 4500.0
    # DICOM TM and fractional seconds
    assert uptake_seconds("090000", "100000.5") == pytest.approx(3600.5)


@pytest.mark.parametrize(
    "change, fragment",
    [
        ({"weight_kg": None}, "weight_kg is missing"),
        ({"weight_kg": 0}, "weight_kg must be in"),
        ({"weight_kg": -70}, "weight_kg must be in"),
        ({"weight_kg": 900}, "weight_kg must be in"),
        ({"weight_kg": "70"}, "weight_kg must be a number"),
        ({"weight_kg": True}, "weight_kg must be a number"),
        ({"weight_kg": float("nan")}, "weight_kg must be finite"),
        ({"injected_dose_bq": 0}, "injected_dose_bq must be > 0"),
        ({"injected_dose_bq": -3.7e8}, "injected_dose_bq must be > 0"),
        ({"injected_dose_bq": 370}, "not MBq"),
        ({"injected_dose_bq": None}, "injected_dose_bq is missing"),
        ({"injection_time": None}, "injection_time is missing"),
        ({"acquisition_time": None}, "acquisition_time is missing"),
        ({"half_life_s": 0}, "half_life_s must be > 0"),
        ({"injection_time": "9 o'clock"}, "injection_time must be an ISO 8601"),
        ({"acquisition_time": "25:00:00"}, "not a valid time of day"),
        ({"acquisition_time": 36000}, "acquisition_time must be an ISO 8601"),
        (
            {"injection_time": "2024-03-01T10:00:00", "acquisition_time": "2024-03-01T09:00:00"},
            "is not after injection_time",
        ),
        ({"injection_time": "10:00:00", "acquisition_time": "10:00:00"}, "expected a positive uptake time"),
        (
            {"injection_time": "2024-03-01T10:00:00", "acquisition_time": "2024-03-03T10:00:00"},
            "exceeds 24 h",
        ),
        (
            {"injection_time": "2024-03-01T09:00:00+01:00", "acquisition_time": "2024-03-01T10:00:00"},
            "mix a time zone",
        ),
    ],
)
def test_bad_metadata_is_a_clear_error(change, fragment):
    meta = {**META, **change}
    meta = {k: v for k, v in meta.items() if v is not None}
    with pytest.raises(MetadataError, match=fragment) as exc:
        suv_parameters(meta, where="case 'c9': meta.json")
    assert "case 'c9': meta.json" in str(exc.value)
    assert isinstance(exc.value, ValueError) and isinstance(exc.value, Pet2RepError)


def test_meta_must_be_a_mapping():
    with pytest.raises(MetadataError, match="JSON object"):
        suv_parameters(["weight_kg", 70])


def test_parse_clock_kinds():
    assert parse_clock("2024-03-01T09:15:00", name="t").hour == 9
    t = parse_clock("09:15:30.25", name="t")
    assert (t.hour, t.minute, t.second, t.microsecond) == (9, 15, 30, 250000)
