"""Calls pandas-on-Spark answers with other values than pandas: refused, or fallen back.

:data:`REFUSED` calls depend on pandas' own objects (memory layout, metadata) and no
fallback gives pandas' answer, so they are refused under every policy. For the rest,
:func:`difference` says, before the call runs, why pandas-on-Spark would answer it with
other values (the fallback policy then applies as for a call it cannot run), where that
depends on what the arguments or the receiver are at run time; differences visible in the
source are rules of :mod:`adapters.migration.differences`, which the checker reads too.
Every entry comes from a case the docstring corpus (``python -m benchmarks.dropin``) found.

Examples
--------
>>> difference("DataFrame.take", ([2, 0],), {})
'pandas returns the rows in the order asked for; pandas-on-Spark in its own'
>>> difference("DataFrame.head", (5,), {}) is None
True
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy

from adapters.pandas._kept import holds_kept

__all__ = ["INDEX_COMPARISONS", "REFUSED", "difference", "refused_call", "with_exact_bounds"]

# Calls whose pandas answer depends on pandas' own memory layout: no fallback reproduces
# it (data moved to pandas has another index and other arrays), so they are refused.
REFUSED = {
    "memory_usage": "pandas counts the bytes of its own arrays (a RangeIndex, object strings), "
    "which data on Spark does not have, and data moved back to pandas has other arrays. "
    "Instead: call memory_usage() on the pandas frame you built this one from",
    "attrs": "pandas keeps user metadata in attrs; pandas-on-Spark objects have none, and "
    "a pandas copy's would be changed instead. Instead: keep the metadata in a dict of your own",
    "flags": "pandas-on-Spark objects have no flags (allows_duplicate_labels): Spark columns "
    "never have duplicate labels. Instead: leave it out",
    "info": "pandas prints its own index type (RangeIndex) and memory use, which data on "
    "Spark does not have. Instead: df.dtypes and df.count() give the columns, their types "
    "and non-null counts",
}
# Calls pandas-on-Spark answers with other values than pandas whatever the arguments.
# pandas answers ``index < 1`` with a numpy array of booleans; pandas-on-Spark with an
# integer Index that loc then reads as labels.
INDEX_COMPARISONS = ("__lt__", "__le__", "__gt__", "__ge__", "__eq__", "__ne__")


def refused_call(name: str, args: tuple, kwargs: dict) -> str | None:
    """Why a call is refused under every policy (:data:`REFUSED`, or arguments that ask for
    pandas' memory sharing), else None."""
    if name in REFUSED:
        return REFUSED[name]
    if name == "copy" and _first(args, kwargs, "deep") is False:
        return (
            "a shallow copy shares pandas' arrays with the original, so a change to one "
            "shows in the other; data on Spark is never shared that way. Instead: copy() "
            "and assign the changes to each frame you need them in"
        )
    return None


def difference(api: str, args: tuple, kwargs: dict, *, receiver: Any = None) -> str | None:
    """Why pandas-on-Spark would answer this call with other values than pandas, else None."""
    name = api.rsplit(".", 1)[-1]
    if holds_kept((args, kwargs)):
        return "an argument is pandas data Spark cannot hold, kept in pandas"
    if api == "Series.unique":
        return (
            "pandas gives the distinct values as an array in order of appearance; "
            "pandas-on-Spark as a Series in its own order"
        )
    typed = _typed(name, args, kwargs, receiver)
    if typed is not None:
        return typed
    if name == "isin" and type(_first(args, kwargs, "values")).__name__ in ("DataFrame", "Series"):
        return "pandas matches a DataFrame or Series of values by label; pandas-on-Spark does not"
    if name.startswith("__") and any(_matrix(value) for value in args):
        return "pandas-on-Spark does not align a two-dimensional array with the frame"
    if api.endswith("melt"):
        at = 1 if api.startswith("pandas.") else 0  # pandas.melt(frame, id_vars, value_vars)
        ids = args[at] if len(args) > at else kwargs.get("id_vars")
        melted = args[at + 1] if len(args) > at + 1 else kwargs.get("value_vars")
        if isinstance(melted, (list, tuple)) and len(melted) > 1:
            return (
                "pandas stacks the melted columns one after the other; pandas-on-Spark "
                "interleaves them row by row"
            )
        if any(type(name) is tuple for name in [*_listed(ids), *_listed(melted)]):
            return "pandas-on-Spark names a column of a MultiIndex by the text of its tuple"
    if api.endswith(".take") and args and _out_of_order(args[0]):
        return "pandas returns the rows in the order asked for; pandas-on-Spark in its own"
    if api.endswith(".__setattr__") and args and args[0] == "index":
        return "pandas-on-Spark cannot set the index by assignment"
    if api.startswith("Index.") and api.endswith(INDEX_COMPARISONS):
        return "pandas compares an Index element-wise into a numpy array of booleans"
    if api.endswith((".loc", ".iloc")) and args:
        key = args[0]
        rows = key[0] if type(key) is tuple and key else key
        if _boolean_mask(rows):
            return (
                "pandas-on-Spark reads a boolean array or Index (such as df.index < 1) as "
                "labels, not as a row mask"
            )
        if _named_index(rows):
            return "pandas names the result's index after the Index of labels; pandas-on-Spark does not"
        if api.endswith(".loc") and _partial_dates(rows, receiver):
            return (
                "pandas reads a date string bound as the whole period it names (all of "
                "'2016-01-10'); pandas-on-Spark as its first instant"
            )
    return None


def _typed(name: str, args: tuple, kwargs: dict, receiver: Any) -> str | None:
    """Differences in the type of a result, which depend on the data's dtypes."""
    if receiver is None or not type(receiver).__module__.startswith("pyspark.pandas"):
        return None
    powers = name in ("__pow__", "__rpow__", "pow", "rpow") and bool(args)
    if powers and _integers(receiver) and (_integers(args[0]) or type(args[0]) is int):
        return "pandas raises integers to integer powers exactly; Spark in floating point"
    if name == "update" and type(receiver).__name__ == "Series" and _integers(receiver):
        other = _first(args, kwargs, "other")
        if str(getattr(other, "dtype", "")) != str(receiver.dtype):
            return "pandas keeps the integer dtype where the new values allow; pandas-on-Spark not"
    if name in ("reindex", "reindex_like"):
        fill = kwargs.get("fill_value")
        if fill is not None and not all(_fits(fill, d) for d in _dtypes(receiver)):
            return (
                "pandas makes a column the fill_value does not fit into one of both types; "
                "Spark casts the fill_value to the column's type"
            )
    assigned = args[1] if name == "__setitem__" and len(args) == 2 else None
    if type(assigned).__module__.startswith("pyspark.pandas.indexes"):
        return "pandas-on-Spark cannot assign an Index as a column"
    return None


def _integers(data: Any) -> bool:
    kind = getattr(getattr(data, "dtype", None), "kind", "")
    return type(data).__name__ in ("Series", "Index") and kind in "iu" and kind != ""


def _dtypes(data: Any) -> list[Any]:
    if type(data).__name__ == "DataFrame":
        return list(data.dtypes)
    dtype = getattr(data, "dtype", None)
    return [] if dtype is None else [dtype]


def _fits(value: Any, dtype: Any) -> bool:
    """Whether pandas keeps ``dtype`` for a column filled with ``value``."""
    kind = getattr(dtype, "kind", "O")
    if isinstance(value, (bool, numpy.bool_)):
        return kind == "b"
    if isinstance(value, numbers.Integral):
        return kind in "if"
    if isinstance(value, float):
        return kind == "f" or value != value  # NaN: missing
    if isinstance(value, str):
        return kind == "O" or str(dtype) == "string"
    return False


def _first(args: tuple, kwargs: dict, keyword: str) -> Any:
    return args[0] if args else kwargs.get(keyword)


def _matrix(value: Any) -> bool:
    return type(value).__module__ == "numpy" and getattr(value, "ndim", 0) >= 2


def _partial_dates(rows: Any, indexer: Any) -> bool:
    """A slice with a string bound on a frame or series with a datetime index."""
    if type(rows) is not slice or not any(type(b) is str for b in (rows.start, rows.stop)):
        return False
    owner = getattr(indexer, "_psdf_or_psser", None)
    return str(getattr(getattr(owner, "index", None), "dtype", "")).startswith("datetime")


def with_exact_bounds(indexer: Any, args: tuple) -> tuple:
    """``loc``'s arguments with date-string slice bounds as the instants pandas reads them
    as (``'2016-01-10'`` as a stop: its last nanosecond), when the index is increasing."""
    key = args[0] if args else None
    rows = key[0] if type(key) is tuple and key else key
    if not _partial_dates(rows, indexer):
        return args
    owner = indexer._psdf_or_psser
    import pandas

    local = pandas.DatetimeIndex([], dtype=owner.index.dtype)
    try:
        start, stop = (
            None if bound is None else local._maybe_cast_slice_bound(bound, side)
            for bound, side in ((rows.start, "left"), (rows.stop, "right"))
        )
    except (KeyError, TypeError, ValueError):  # not a date: the fallback judges it
        return args
    if rows.step is not None or not owner.index.is_monotonic_increasing:
        return args
    exact = slice(  # Spark holds microseconds
        None if start is None else start.ceil("us"), None if stop is None else stop.floor("us")
    )
    return ((exact, *key[1:]) if type(key) is tuple else exact, *args[1:])


def _listed(names: Any) -> list[Any]:
    return list(names) if isinstance(names, list) else [] if names is None else [names]


def _named_index(rows: Any) -> bool:
    """A pandas or pandas-on-Spark Index with a name (pandas gives it to the result)."""
    module = type(rows).__module__
    is_index = module.startswith(("pandas.core.indexes", "pyspark.pandas.indexes"))
    return is_index and getattr(rows, "name", None) is not None


def _out_of_order(positions: Any) -> bool:
    """Positions that are not increasing and non-negative (pandas keeps the order asked)."""
    try:
        listed = [int(p) for p in positions]
    except (TypeError, ValueError):
        return False
    return any(p < 0 for p in listed) or listed != sorted(listed)


def _boolean_mask(rows: Any) -> bool:
    """A list, numpy array or pandas-on-Spark Index of booleans (not a boolean Series)."""
    if type(rows) is list:
        return bool(rows) and all(isinstance(item, bool) for item in rows)
    module = type(rows).__module__
    local_array = module == "numpy" or module.startswith("pandas.core.indexes")
    spark_index = module.startswith("pyspark.pandas.indexes")
    return (local_array or spark_index) and str(getattr(rows, "dtype", "")) == "bool"
