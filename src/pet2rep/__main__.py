import sys

from pet2rep.cli import main

sys.exit(main())
