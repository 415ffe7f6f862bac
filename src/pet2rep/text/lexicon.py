"""The CE term tables, at their former address: they live in :mod:`pet2rep.text.ce.lexicon`.

Kept so that ``from pet2rep.text.lexicon import NODE_GROUPS`` (and every other table) works as it did before the CE
extractor became a package; new code imports :mod:`pet2rep.text.ce.lexicon`.
"""

from pet2rep.text.ce.lexicon import *  # noqa: F403
