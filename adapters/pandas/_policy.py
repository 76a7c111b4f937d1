"""The fallback policy (raise, warn or silent, and max_rows) and the report of what fell back.

Examples
--------
>>> previous = set_fallback("raise")
>>> get_fallback().mode
'raise'
>>> _ = set_fallback(previous.mode, max_rows=previous.max_rows)
"""

from __future__ import annotations

import os
import sys
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Literal

from toolkit.bridge import DEFAULT_MAX_ROWS
from toolkit.exceptions import InvalidOptionError, ToolkitAdviceWarning

__all__ = [
    "FallbackPolicy",
    "advise",
    "fallback",
    "fallback_report",
    "get_fallback",
    "in_pandas",
    "record",
    "running_pandas",
    "set_fallback",
    "user_frame",
    "user_line",
]

Mode = Literal["raise", "warn", "silent"]
MODES: tuple[str, ...] = ("raise", "warn", "silent")


@dataclass(frozen=True)
class FallbackPolicy:
    """What the spark backend does with a pandas API pandas-on-Spark lacks.

    ``raise``: :class:`~toolkit.exceptions.UnsupportedPandasAPIError`; ``warn`` /
    ``silent``: run it in pandas on the driver when at most ``max_rows`` rows would move
    there (``warn`` also emits a :class:`~toolkit.exceptions.ToolkitAdviceWarning`).
    """

    mode: Mode = "warn"
    max_rows: int = DEFAULT_MAX_ROWS


_policy = FallbackPolicy()
_override: ContextVar[FallbackPolicy | None] = ContextVar("scaleout_fallback", default=None)
_lock = threading.Lock()
_report: dict[str, list[int]] = {}  # api -> [calls, rows_to_driver, rows_to_spark]
_HERE = os.path.dirname(os.path.abspath(__file__))
_QUIET_PREFIXES = (_HERE, os.path.dirname(os.path.abspath(warnings.__file__)))


def _checked(mode: str, max_rows: int) -> FallbackPolicy:
    if mode not in MODES:
        raise InvalidOptionError(
            f"fallback mode must be one of {', '.join(MODES)}; got {mode!r}. "
            "Use 'raise' to fail on APIs pandas-on-Spark lacks, 'warn' (default) or 'silent' "
            "to run them in pandas on the driver."
        )
    if isinstance(max_rows, bool) or not isinstance(max_rows, int) or max_rows < 0:
        raise InvalidOptionError(f"max_rows must be a non-negative int; got {max_rows!r}.")
    return FallbackPolicy(mode, max_rows)  # type: ignore[arg-type]


def set_fallback(mode: str | None = None, *, max_rows: int | None = None) -> FallbackPolicy:
    """Set the fallback policy for this process; return the previous one.

    Parameters
    ----------
    mode : {"raise", "warn", "silent"}, optional
        Unchanged when omitted.
    max_rows : int, optional
        Most rows one fallback may move to the driver; unchanged when omitted.

    Examples
    --------
    >>> import adapters.pandas as pd
    >>> previous = pd.set_fallback("raise")
    >>> _ = pd.set_fallback("warn", max_rows=10_000)
    """
    global _policy
    previous = _policy
    _policy = _checked(mode or _policy.mode, _policy.max_rows if max_rows is None else max_rows)
    return previous


def get_fallback() -> FallbackPolicy:
    """The policy in force here (a ``with fallback(...)`` block wins over :func:`set_fallback`).

    Examples
    --------
    >>> get_fallback().mode in ("raise", "warn", "silent")
    True
    """
    return _override.get() or _policy


@contextmanager
def fallback(mode: str | None = None, *, max_rows: int | None = None) -> Iterator[FallbackPolicy]:
    """Use another fallback policy inside a ``with`` block (this thread/context only).

    The block gets the :class:`FallbackPolicy` in force inside it.

    Parameters
    ----------
    mode : {"raise", "warn", "silent"}, optional
        The mode inside the block; the current one when omitted.
    max_rows : int, optional
        Most rows one fallback may move to the driver; the current limit when omitted.

    Examples
    --------
    >>> import adapters.pandas as pd
    >>> with pd.fallback("raise"):
    ...     pd.get_fallback().mode
    'raise'
    """
    current = get_fallback()
    policy = _checked(mode or current.mode, current.max_rows if max_rows is None else max_rows)
    token = _override.set(policy)
    try:
        yield policy
    finally:
        _override.reset(token)


_running_pandas: ContextVar[bool] = ContextVar("scaleout_running_pandas", default=False)


@contextmanager
def running_pandas() -> Iterator[None]:
    """Inside a fallback's pandas call: the user's functions it runs (``apply``) get pandas
    objects from ``pd.*``, as they would under pandas (see :func:`in_pandas`)."""
    token = _running_pandas.set(True)
    try:
        yield
    finally:
        _running_pandas.reset(token)


def in_pandas() -> bool:
    """Whether a fallback's pandas call is running here (the backend is then ``pandas``)."""
    return _running_pandas.get()


def record(api: str, *, calls: int = 0, rows_to_driver: int = 0, rows_to_spark: int = 0) -> None:
    """Add to the fallback report (thread-safe)."""
    with _lock:
        counts = _report.setdefault(api, [0, 0, 0])
        counts[0] += calls
        counts[1] += rows_to_driver
        counts[2] += rows_to_spark


def fallback_report(*, reset: bool = False) -> Any:
    """What fell back to pandas: one row per API with ``calls``, ``rows_to_driver``, ``rows_to_spark``.

    Returns a (plain pandas) DataFrame sorted by API; ``reset=True`` empties the report
    after reading it.

    Parameters
    ----------
    reset : bool
        Empty the report after reading it (default False: it keeps accumulating).

    Examples
    --------
    >>> import adapters.pandas as pd
    >>> pd.fallback_report().columns.tolist()
    ['api', 'calls', 'rows_to_driver', 'rows_to_spark']
    """
    import pandas

    with _lock:
        rows = [(api, *counts) for api, counts in sorted(_report.items())]
        if reset:
            _report.clear()
    columns = ["api", "calls", "rows_to_driver", "rows_to_spark"]
    frame = pandas.DataFrame(rows, columns=columns)
    return frame.astype({c: "int64" for c in columns[1:]})


def advise(message: str) -> None:
    """Emit a ToolkitAdviceWarning pointing at the user's line, not at pyspark or this package."""
    level, _ = _user_frame()
    warnings.warn(message, ToolkitAdviceWarning, stacklevel=level + 1)


def user_line() -> str:
    """``file:line`` of the caller's code that led here (outside pyspark, pandas and this package).

    Examples
    --------
    >>> user_line().rpartition(":")[2].isdigit()
    True
    """
    _, frame = _user_frame()
    if frame is None:
        return "<unknown>"
    return f"{frame.f_code.co_filename}:{frame.f_lineno}"


def user_frame() -> Any:
    """The frame of the caller's code that led here (see :func:`user_line`), or None."""
    return _user_frame()[1]


def _user_frame() -> tuple[int, Any]:
    """(stack level above the caller of this function's caller, frame) of the user's code."""
    level, frame = 1, sys._getframe(2)
    library = _QUIET_PREFIXES + _pyspark()
    while frame is not None and frame.f_code.co_filename.startswith(library):
        frame, level = frame.f_back, level + 1
    return level, frame


def _pyspark() -> tuple[str, ...]:
    """Library code a warning should not point at: pyspark, pandas, the standard library."""
    found = ["<frozen", os.path.dirname(os.__file__)]
    for name in ("pyspark", "pandas"):
        module = sys.modules.get(name)
        if module is not None and module.__file__ is not None:
            found.append(os.path.dirname(os.path.abspath(module.__file__)))
    return tuple(found)
