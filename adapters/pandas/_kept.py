"""Data Spark cannot hold, kept in pandas on the driver under the fallback policy.

pandas data that pandas-on-Spark cannot hold without changing it (unsigned, complex,
sparse, period, interval or time-zone aware values, mixed-kind object columns, duplicate
column names, see :mod:`adapters.pandas._holdable`) is never converted into other values.
Under fallback ``raise`` it is refused by name; under ``warn`` / ``silent`` (within
``max_rows``) it stays what pandas made: a plain pandas object, so every later call on it
is pandas' own. :func:`keep` applies that policy; :func:`holds_kept` finds such data among
the arguments of a call, which then runs in pandas as well.

Examples
--------
>>> import pandas
>>> holds_kept(([pandas.Series([1, "x"])],))
True
>>> holds_kept((pandas.Series([1, 2]),))
False
"""

from __future__ import annotations

from typing import Any

from adapters.pandas._holdable import holdable_problem
from adapters.pandas._policy import advise, get_fallback, record, user_line
from toolkit.exceptions import UnsupportedPandasAPIError

__all__ = ["holds_kept", "keep", "local_data"]

_LOOKED_AT = 1000  # items of a list argument looked at (pandas data is passed near the front)


def keep(api: str, local: Any, problem: str, *, count: bool = True) -> Any:
    """``local`` (pandas data Spark cannot hold, ``problem`` says why) under the fallback policy.

    Refused with :class:`~toolkit.exceptions.UnsupportedPandasAPIError` under ``raise`` or
    past ``max_rows``; otherwise given back unchanged (a pandas object), reported in
    :func:`~adapters.pandas.fallback_report` (unless ``count`` is False: a fallback that
    counts itself) and, under ``warn``, advised.
    """
    policy = get_fallback()
    where = f"{api} at {user_line()}"
    problem = problem.rstrip(".") + "."
    if policy.mode == "raise":
        raise UnsupportedPandasAPIError(f"{where}: {problem}")
    rows = len(local)
    if rows > policy.max_rows:
        raise UnsupportedPandasAPIError(
            f"{where}: {problem} Keeping it in pandas on the driver would hold {rows:,} rows, "
            f"more than max_rows={policy.max_rows:,}; adapters.pandas.set_fallback(max_rows=...) "
            "allows more."
        )
    if count:
        record(api, calls=1)
    if policy.mode == "warn":
        advise(
            f"{api}: {problem} It stays in pandas on the driver ({rows:,} rows, a pandas "
            f"{type(local).__name__}): calls on it run in pandas."
        )
    return local


def local_data(value: Any) -> bool:
    """Whether ``value`` is a pandas DataFrame, Series or Index."""
    return type(value).__module__.startswith("pandas.") and type(value).__name__.endswith(
        ("DataFrame", "Series", "Index")
    )


def holds_kept(value: Any) -> bool:
    """Whether ``value`` is or contains (in lists, tuples, dicts) pandas data Spark cannot hold."""
    if type(value) in (list, tuple):
        return any(holds_kept(item) for item in value[:_LOOKED_AT])
    if type(value) is dict:
        return any(holds_kept(item) for item in value.values())
    return local_data(value) and holdable_problem(value) is not None
