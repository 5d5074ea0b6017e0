"""``python -m rescope`` runs the ``rescope`` command."""

import sys

from rescope.cli import main

sys.exit(main())
