"""SUV (body weight) from DICOM tags, checked against pet2rep.imaging.suv's formula on the same inputs."""

from __future__ import annotations

import warnings
from datetime import datetime

import pytest
from pydicom.dataset import Dataset

from pet2rep.errors import MetadataError
from pet2rep.imaging.dicom.suv import acquisition_datetime, scan_reference, suv_from_tags
from pet2rep.imaging.dicom.write import radiopharmaceutical_sequence as radiopharmaceutical
from pet2rep.imaging.suv import suv_factor


def _pet(**tags) -> Dataset:
    ds = Dataset()
    ds.Modality = "PT"
    ds.Units = "BQML"
    ds.DecayCorrection = "START"
    ds.CorrectedImage = ["ATTN", "DECY"]
    ds.PatientWeight = "72.5"
    ds.SeriesDate, ds.SeriesTime = "20240305", "101500"
    ds.AcquisitionDate, ds.AcquisitionTime = "20240305", "101500"
    ds.RadiopharmaceuticalInformationSequence = radiopharmaceutical(3.4e8, 6586.2, start_time="091000")
    for key, value in tags.items():
        if value is None:
            delattr(ds, key)
        else:
            with warnings.catch_warnings():  # pydicom warns when a test writes a malformed value on purpose
                warnings.simplefilter("ignore", UserWarning)
                setattr(ds, key, value)
    return ds


def test_bqml_start_with_start_time_equals_the_meta_json_formula():
    suv = suv_from_tags(_pet())
    assert suv.method == "bqml-decay" and suv.units == "BQML"
    assert suv.factor == pytest.approx(suv_factor(72.5, 3.4e8, "09:10:00", "10:15:00"), rel=1e-12)
    assert suv.inputs["decay_time_s"] == 65 * 60
    assert suv.inputs["reference"] == "SeriesDate/SeriesTime"
    assert suv.inputs["injection"] == "RadiopharmaceuticalStartTime (on the scan date)"


def test_start_datetime_is_preferred_over_start_time():
    info = radiopharmaceutical(3.4e8, 6586.2, start_time="091000", start_datetime="20240305093000")
    suv = suv_from_tags(_pet(RadiopharmaceuticalInformationSequence=info))
    assert suv.inputs["decay_time_s"] == 45 * 60
    assert suv.inputs["injection"] == "RadiopharmaceuticalStartDateTime"


def test_a_study_crossing_midnight():
    # Injected at 23:40 on March 4th, scanned at 00:45 on March 5th: 65 min, with or without the injection date.
    want = suv_factor(72.5, 3.4e8, "23:40:00", "00:45:00")
    for info in (
        radiopharmaceutical(3.4e8, 6586.2, start_time="234000"),
        radiopharmaceutical(3.4e8, 6586.2, start_datetime="20240304234000"),
    ):
        suv = suv_from_tags(
            _pet(SeriesTime="004500", AcquisitionTime="004500", RadiopharmaceuticalInformationSequence=info)
        )
        assert suv.inputs["decay_time_s"] == 65 * 60
        assert suv.factor == pytest.approx(want, rel=1e-12)
    # A time-only injection far after the scan on the clock is not read as "yesterday" (that would be 22 h).
    info = radiopharmaceutical(3.4e8, 6586.2, start_time="120000")
    with pytest.raises(MetadataError, match="not after the injection"):
        suv_from_tags(_pet(SeriesTime="100000", AcquisitionTime="100000", RadiopharmaceuticalInformationSequence=info))


def test_admin_decay_correction_does_not_decay_the_dose():
    suv = suv_from_tags(_pet(DecayCorrection="ADMIN"))
    assert suv.factor == pytest.approx(72.5 * 1000 / 3.4e8, rel=1e-12)
    assert suv.inputs["decay_time_s"] == 0.0


def test_series_time_after_the_acquisition_falls_back_to_the_earliest_acquisition():
    # A post-processed series whose SeriesTime was rewritten at 11:30: QIBA uses the earliest acquisition time.
    ds = _pet(SeriesTime="113000")
    times = [datetime(2024, 3, 5, 10, 20), datetime(2024, 3, 5, 10, 15), datetime(2024, 3, 5, 10, 25)]
    ref, source = scan_reference(ds, times)
    assert ref == datetime(2024, 3, 5, 10, 15) and source.startswith("earliest AcquisitionDate/AcquisitionTime")
    suv = suv_from_tags(ds, times)
    assert suv.factor == pytest.approx(suv_factor(72.5, 3.4e8, "09:10:00", "10:15:00"), rel=1e-12)
    # A GE private scan date-time wins over the acquisition times.
    ds.private_block(0x0009, "GEMS_PETD_01", create=True).add_new(0x0D, "DT", "20240305101000")
    assert scan_reference(ds, times)[0] == datetime(2024, 3, 5, 10, 10)
    # SeriesTime not after the acquisitions: SeriesTime.
    assert scan_reference(_pet(), times)[1] == "SeriesDate/SeriesTime"
    assert acquisition_datetime(_pet()) == datetime(2024, 3, 5, 10, 15)


def test_gml_is_suv_already():
    suv = suv_from_tags(_pet(Units="GML", PatientWeight=None))
    assert suv.factor is None and suv.method == "gml"


def test_philips_counts_use_the_private_suv_scale_factor_or_are_refused():
    ds = _pet(Units="CNTS")
    with pytest.raises(MetadataError, match=r"CNTS.*Philips private SUV Scale Factor \(7053,1000\).*missing"):
        suv_from_tags(ds)
    ds.private_block(0x7053, "Philips PET Private Group", create=True).add_new(0x00, "DS", "0.000472")
    suv = suv_from_tags(ds)
    assert suv.factor == pytest.approx(0.000472) and suv.method == "philips-cnts"


@pytest.mark.parametrize(
    ("tags", "message"),
    [
        ({"PatientWeight": None}, r"PatientWeight \(0010,1030\) is missing"),
        ({"PatientWeight": "0"}, r"PatientWeight \(0010,1030\) must be in \(0, 500\] kg, got 0"),
        ({"Units": None}, r"Units \(0054,1001\) is missing"),
        ({"Units": "PROPCNTS"}, r"Units \(0054,1001\) is 'PROPCNTS'"),
        ({"DecayCorrection": None}, r"DecayCorrection \(0054,1102\) is missing"),
        ({"DecayCorrection": "NONE"}, r"DecayCorrection \(0054,1102\) is 'NONE'; expected START or ADMIN"),
        ({"CorrectedImage": ["ATTN"]}, r"CorrectedImage \(0028,0051\) is \['ATTN'\], without DECY"),
        ({"SeriesDate": None}, r"SeriesDate \(0008,0021\) is missing"),
        ({"SeriesTime": "25xx"}, r"SeriesTime \(0008,0031\) must be a DICOM time"),
        ({"RadiopharmaceuticalInformationSequence": None}, r"RadiopharmaceuticalInformationSequence \(0054,0016\)"),
        (
            {"RadiopharmaceuticalInformationSequence": radiopharmaceutical(370, 6586.2, start_time="091000")},
            r"RadionuclideTotalDose \(0018,1074\) = 370 Bq is implausible",
        ),
        (
            {"RadiopharmaceuticalInformationSequence": radiopharmaceutical(3.4e8, 1.83, start_time="091000")},
            r"RadionuclideHalfLife \(0018,1075\) = 1.83 s is implausible",
        ),
        (
            {"RadiopharmaceuticalInformationSequence": radiopharmaceutical(3.4e8, 6586.2)},
            r"RadiopharmaceuticalStartDateTime \(0018,1078\) or RadiopharmaceuticalStartTime \(0018,1072\) is missing",
        ),
    ],
)
def test_missing_or_implausible_tags_are_errors_naming_the_tag(tags, message):
    with pytest.raises(MetadataError, match=rf"^PET s: {message}"):
        suv_from_tags(_pet(**tags), where="PET s")


def test_missing_half_life_in_the_sequence_is_named():
    info = radiopharmaceutical(3.4e8, 6586.2, start_time="091000")
    del info[0].RadionuclideHalfLife
    with pytest.raises(MetadataError, match=r"RadionuclideHalfLife \(0018,1075\) is missing"):
        suv_from_tags(_pet(RadiopharmaceuticalInformationSequence=info))
