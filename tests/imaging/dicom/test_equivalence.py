"""The same case through NIfTI and through DICOM: the same SUV (to 1e-4) and the same pictures."""

from __future__ import annotations

import numpy as np
import pytest

from pet2rep.imaging.cases import scan_cases
from pet2rep.imaging.render import load_case_volumes, render_all
from pet2rep.vocab import IMAGE_CONFIGS


@pytest.fixture(scope="module")
def pairs(twin_cohort):
    nifti = {c.case_id: c for c in scan_cases(twin_cohort["nifti"]).cases}
    scan = scan_cases(twin_cohort["dicom"])
    assert not scan.failures, scan.failures
    by_uid = {c.meta["study_instance_uid"]: c for c in scan.cases}
    return [(nifti[name], by_uid[info["uids"]["study"]]) for name, info in twin_cohort["studies"].items()]


def test_dicom_cases_are_found_with_their_uids(pairs, twin_cohort):
    for nifti_case, dicom_case in pairs:
        uids = twin_cohort["studies"][nifti_case.case_id]["uids"]
        assert dicom_case.layout == "dicom" and dicom_case.source_format == "dicom"
        assert nifti_case.source_format == "nifti"
        assert dicom_case.meta["pet_series_instance_uid"] == uids["pet"]  # AC chosen over the non-AC series
        assert dicom_case.meta["ct_series_instance_uid"] == uids["ct"]  # the localizer passed over
        assert dicom_case.case_id.startswith("dicom-")


def test_same_suv_factor_and_volumes(pairs):
    for nifti_case, dicom_case in pairs:
        a, b = load_case_volumes(nifti_case), load_case_volumes(dicom_case)
        if nifti_case.pet_is_suv:  # synth_0002: suv.nii.gz, Units GML
            assert a.suv_factor is None and b.suv_factor is None and dicom_case.meta["suv"]["method"] == "gml"
        else:
            assert b.suv_factor == pytest.approx(a.suv_factor, rel=1e-4)
            assert dicom_case.meta["suv"]["factor"] == b.suv_factor
        np.testing.assert_allclose(b.suv, a.suv, rtol=1e-4, atol=1e-4)
        np.testing.assert_allclose(b.pet_affine, a.pet_affine, atol=1e-4)
        np.testing.assert_allclose(b.ct_affine, a.ct_affine, atol=1e-4)
        assert b.ct.dtype == a.ct.dtype == np.int16
        np.testing.assert_array_equal(b.ct, a.ct)


def test_midnight_case_uses_the_day_before(pairs):
    case = {n.case_id: d for n, d in pairs}["synth_0005"]
    assert case.meta["suv"]["injection"].startswith("RadiopharmaceuticalStartTime (the day before the scan")
    assert 50 * 60 <= case.meta["suv"]["decay_time_s"] <= 80 * 60


def test_same_pictures(pairs):
    for nifti_case, dicom_case in pairs:
        # The DICOM export carries no lesion mask (DICOM SEG is not read): its `lesion` planes come from hot spots.
        configs = [c for c in IMAGE_CONFIGS if c != "lesion"]
        a, b = render_all(nifti_case, configs), render_all(dicom_case, configs)
        for config in configs:
            assert a[config].slice_indices == b[config].slice_indices
            names = [n.replace(dicom_case.case_id, nifti_case.case_id) for n in b[config].image_names]
            assert names == a[config].image_names
            for x, y in zip(a[config].images, b[config].images, strict=True):
                np.testing.assert_array_equal(np.asarray(x), np.asarray(y))
