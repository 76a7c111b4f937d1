"""The ``scaleout`` command line and the demo: the one composition root.

Nothing in the core imports this package; it imports adapters and benchmarks lazily.
``main`` holds the parser and the ``check`` subcommand; each other subcommand has a
module of its own.
"""

from __future__ import annotations

from toolkit.cli.main import main

__all__ = ["main"]
