"""``python -m mcpgen`` is the ``mcpgen`` command."""

import sys

from .cli import main

sys.exit(main())
