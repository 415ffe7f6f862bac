"""pet2rep: the PET2Rep benchmark (arXiv 2508.04062) for report generation from whole-body FDG PET/CT.

The core library turns 3-D PET/CT volumes into coronal key slices (`pet2rep.imaging.render`) and scores generated
reports (`pet2rep.metrics`). Adapters for `datasets`, `evaluate`, `lighteval` and Gradio live outside the
package and import only its public API.
"""

__version__ = "0.1.0"

from pet2rep.errors import Pet2RepError

__all__ = ["Pet2RepError", "__version__"]
