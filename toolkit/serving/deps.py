"""Import the optional serving libraries, or say how to install them.

Examples
--------
>>> require("json").__name__
'json'
"""

from __future__ import annotations

import importlib
from typing import Any

from toolkit.exceptions import MissingDependencyError

__all__ = ["INSTALL", "require"]

INSTALL = 'pip install "scaleout[serve]"'


def require(module: str, *, purpose: str = "ONNX export and serving") -> Any:
    """Import ``module``; a missing one is a :class:`MissingDependencyError` naming the extra.

    Examples
    --------
    >>> require("no_such_module_xyz")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    toolkit.exceptions.MissingDependencyError: ...
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        top = module.split(".")[0]
        raise MissingDependencyError(
            f"{purpose} needs the optional library {top!r}, which is not installed "
            f"({exc}). Install it with: {INSTALL}"
        ) from None
