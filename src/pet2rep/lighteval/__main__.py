"""``python -m pet2rep.lighteval ARGS``: the same as ``pet2rep-lighteval ARGS``."""

import sys

from pet2rep.lighteval.launcher import main

sys.exit(main())
