"""Entry point for ``python -m carzero_viewer``."""

import sys

from carzero_viewer.cli import main

sys.exit(main())
