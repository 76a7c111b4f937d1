"""Type aliases used across toolkit's modules, in one place (imports nothing from toolkit).

Examples
--------
>>> from toolkit._typing import Trusted
>>> Trusted
bool | list[str]
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, TypeAlias

__all__ = ["ColumnNames", "IndexCol", "PathLike", "Subcommands", "Trusted"]

ColumnNames = Sequence[str]
"""Column names in order, such as a model's feature columns."""

IndexCol = str | Sequence[str] | None
"""The column(s) that hold a pandas index once it is a Spark column, or None for none."""

PathLike = str | os.PathLike[str]
"""A local path or URI as a string, or a path object."""

# What parser.add_subparsers() returns: the scaleout CLI adds its commands to it.
if TYPE_CHECKING:
    Subcommands: TypeAlias = argparse._SubParsersAction[argparse.ArgumentParser]
else:  # the class is generic in the stubs only, not at run time
    Subcommands = argparse._SubParsersAction

Trusted = bool | list[str]
"""What a model load may trust: True for everything, or the extra type names it may use."""
