"""A synthetic whole-body FDG PET/CT cohort (phantom volumes, structured reports, uptake labels) and a reader.

- ``anatomy``: the parts of the phantom (:data:`ANATOMY`) and a part placed in world space;
- ``phantom``: grids, rasterisation, storage orientations: one case's volumes;
- ``lesions``: which lesions a case gets, where they sit, the CE labels they make;
- ``reports``: Chinese and English structured reports written from the lesions;
- ``cohort``: :func:`synthesize_cohort` / :func:`synthesize_case`: the case folders on disk;
- ``regions``: organ boxes and masks from a case's ``truth.json``;
- ``reader``: the demo's image-reading reference model (pictures + an anatomy atlas in, a report out), on top of
  ``decode`` (pictures back to SUV) and ``atlas`` (where the parts lie on a case's pictures).
"""

from pet2rep.synth.cohort import synthesize_case, synthesize_cohort
from pet2rep.synth.phantom import GRIDS, SIZES
from pet2rep.synth.regions import OrganRegion, load_truth, organ_mask, organ_regions

__all__ = [
    "GRIDS",
    "SIZES",
    "OrganRegion",
    "load_truth",
    "organ_mask",
    "organ_regions",
    "synthesize_case",
    "synthesize_cohort",
]
