"""Deprecated: ``python -m pet2rep.lighteval_glue ARGS`` as documented in pet2rep 0.1.0; use ``pet2rep-lighteval ARGS``
(or ``python -m pet2rep.lighteval ARGS``).

Kept only as that command, so that 0.1.0 scripts keep running; the library moved to the :mod:`pet2rep.lighteval`
package, and importing this module fails with a message saying where to.
"""

import sys

if __name__ != "__main__":
    raise ImportError(
        "pet2rep.lighteval_glue is gone: import from pet2rep.lighteval (the same names), e.g. "
        "`from pet2rep.lighteval import doc_fields`"
    )

print(
    "pet2rep: note: `python -m pet2rep.lighteval_glue` is deprecated; run `pet2rep-lighteval` "
    "(or `python -m pet2rep.lighteval`) with the same arguments",
    file=sys.stderr,
)
from pet2rep.lighteval.launcher import main  # noqa: E402 - only when run as a command

sys.exit(main())
