"""``python -m toolkit.cli``: the ``scaleout`` command."""

from __future__ import annotations

import sys

from toolkit.cli.main import main

sys.exit(main())
