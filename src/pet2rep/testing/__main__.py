"""``python -m pet2rep.testing``: see :func:`pet2rep.testing.main`."""

import sys

from pet2rep.testing import main

sys.exit(main())
