"""PET/CT straight from DICOM: discovery, series grouping and choice, geometry from the headers, SUV from the tags.

Modules (each one idea):

* :mod:`~pet2rep.imaging.dicom.files`: which files are DICOM (Part 10 preamble); needs no pydicom.
* :mod:`~pet2rep.imaging.dicom.headers`: the header fields pet2rep reads, one record per file (pixels not decoded).
* :mod:`~pet2rep.imaging.dicom.volume`: a series -> voxel array + LPS->RAS affine (slices sorted along the normal,
  per-slice rescale applied), as a nibabel image or a :class:`pet2rep.imaging.io.Volume`.
* :mod:`~pet2rep.imaging.dicom.suv`: the body-weight SUV factor from the tags, per QIBA's vendor-neutral pseudo-code.
* :mod:`~pet2rep.imaging.dicom.study`: studies -> the PET series and the CT series of a case, and why.
* :mod:`~pet2rep.imaging.dicom.deid`: the de-identification rule (what may leave a DICOM header).
* :mod:`~pet2rep.imaging.dicom.cases`: DICOM studies as :class:`pet2rep.imaging.cases.Case` records, and their volumes.
* :mod:`~pet2rep.imaging.dicom.write`: write a volume as a DICOM series (synthetic data for tests and benchmarks).

pydicom is an optional dependency (``pip install 'pet2rep[dicom]'``): importing this package does not need it,
calling a reader without it raises :class:`~pet2rep.errors.MissingDependencyError` naming the extra.
"""

from __future__ import annotations

from pet2rep.errors import require

DICOM_EXTRA = "dicom"


def load_pydicom():
    """Import pydicom or raise :class:`~pet2rep.errors.MissingDependencyError` naming the ``dicom`` extra."""
    return require("pydicom", DICOM_EXTRA)
