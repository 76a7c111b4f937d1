"""Results in pandas' row order, mended after the call where pandas-on-Spark's differ.

pandas sorts an aggregation by its group keys (``sort=True``, the default) and keeps the
rows of a transformation (``cumsum``, ``shift``, ``head``, ...) in the frame's order.
pandas-on-Spark does neither. After a guarded groupby call (:mod:`adapters.pandas._guard`):

- a result indexed by the group keys is sorted by them (unless ``sort=False``: pandas'
  first-seen order is not known here, and the checker says so);
- a result indexed like the frame is sorted by that index when the frame's index is
  increasing (a default index is), which is then the frame's own order; the same holds
  for ``duplicated``, ``drop_duplicates`` and ``repeat`` on a frame or series;
- two frames or series aligned on their rows (``a * b``, ``a.add(b)``,
  ``a.combine_first(b)``): pandas keeps the rows of equal indexes in their order and sorts
  a union; the result is sorted by its index when both indexes are increasing and unique
  (then both orders are that one), otherwise the call falls back (:class:`AnswerDiffers`);
- ``agg`` with a list of function names: rows in the order of the list; ``unstack``: rows
  sorted; ``rename_axis``: the Series' own name.

Where pandas-on-Spark's values differ and cannot be mended here, a step raises
:class:`AnswerDiffers` and the guard applies the fallback policy: ``rank`` and rolling or
expanding aggregations of data with nulls (pandas-on-Spark ranks nulls and counts them
towards ``min_periods``).

Examples
--------
>>> in_pandas_order(object(), 42)
42
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from adapters.pandas._fallback import ORIGIN
from adapters.pandas._freq import (
    KEEPS_INDEX,
    kept_index,
    reindexed,
    remember,
    restore,
    selected_columns,
    sliced,
    taken,
)

__all__ = ["AnswerDiffers", "after_step", "anchored", "in_frame_order", "in_pandas_order"]

_UNSORTED = "_scaleout_unsorted"  # on a result this module sorted: the one it sorted
# DataFrame / Series methods whose result pandas gives in the frame's own row order.
_KEEP_ORDER = frozenset({"duplicated", "drop_duplicates", "repeat"})
_ARITHMETIC = ("add", "sub", "mul", "div", "truediv", "floordiv", "mod", "pow")
# Calls that align two frames or series on their rows.
_ALIGNING = frozenset(
    {*_ARITHMETIC, *(f"r{n}" for n in _ARITHMETIC), "eq", "ne", "lt", "le", "gt", "ge"}
    | {f"__{n}__" for n in (*_ARITHMETIC, *(f"r{n}" for n in _ARITHMETIC))}
    | {f"__{n}__" for n in ("and", "or", "xor", "rand", "ror", "rxor")}
    | {f"__{n}__" for n in ("eq", "ne", "lt", "le", "gt", "ge")}
    | {"combine_first"}
)


class AnswerDiffers(Exception):
    """Raised by a post-processing step: pandas' answer differs and cannot be made here,
    so the guard applies the fallback policy with this reason."""


def in_pandas_order(groupby: Any, result: Any, *_: Any) -> Any:
    """``result`` of a call on ``groupby`` in the row order pandas gives it."""
    if type(result).__name__ not in ("DataFrame", "Series") or not hasattr(groupby, "_psdf"):
        return result
    names = list(result.index.names)
    keys = [key.name for key in groupby._groupkeys]
    if groupby._as_index and names == keys:
        origin = getattr(groupby, ORIGIN, None)
        return result if origin and origin[3].get("sort") is False else result.sort_index()
    parent = groupby._psdf
    if names == list(parent.index.names) and parent.index.is_monotonic_increasing:
        return _sorted_keeping(result)
    return result


def in_frame_order(frame: Any, result: Any, *_: Any) -> Any:
    """``result`` of a row-keeping call on ``frame`` (``duplicated``, ``drop_duplicates``,
    ``repeat``) in the frame's row order, when its index is increasing."""
    if type(result).__name__ not in ("DataFrame", "Series") or not hasattr(frame, "index"):
        return result
    same_index = list(result.index.names) == list(frame.index.names)
    if same_index and frame.index.is_monotonic_increasing:
        return _sorted_keeping(result)
    return result


def _sorted_keeping(result: Any) -> Any:
    """``result`` sorted by its index, remembering the unsorted one (see :func:`anchored`)."""
    ordered = result.sort_index()
    object.__setattr__(ordered, _UNSORTED, result)
    return ordered


def anchored(receiver: Any, value: Any) -> Any:
    """``value`` as pandas-on-Spark made it, before this module sorted it, when that one
    shares ``receiver``'s anchor: ``df["r"] = df.groupby("g")["v"].rank()`` then assigns
    without a join, which would reorder ``df``'s rows."""
    original = getattr(value, _UNSORTED, None) if _kind(value) else None
    if original is None or not _kind(receiver):
        return value
    from pyspark.pandas.utils import same_anchor

    return original if same_anchor(receiver, original) else value


def _kind(value: Any) -> bool:
    return type(value).__name__ in ("DataFrame", "Series") and type(value).__module__.startswith(
        "pyspark.pandas"
    )


def in_aligned_order(name: str) -> Callable[[Any, Any, tuple, dict], Any]:
    """The post-processing step of ``name`` (one of the calls that align two objects): its result in
    pandas' row order, or :class:`AnswerDiffers` when that order is not known here."""
    comparison = name.strip("_") in ("eq", "ne", "lt", "le", "gt", "ge")

    def after(receiver: Any, result: Any, args: tuple, kwargs: dict) -> Any:
        from pyspark.pandas.utils import same_anchor

        other = args[0] if args else kwargs.get("other")
        kinds = ("DataFrame", "Series")
        if type(result).__name__ not in kinds or type(other).__name__ not in kinds:
            return result
        if not type(other).__module__.startswith("pyspark.pandas"):
            return result
        if same_anchor(receiver, other):
            return result
        axis = kwargs.get("axis", args[1] if len(args) > 1 else None)
        if type(other) is not type(receiver) and axis not in (0, "index"):
            return result
        if not all(_increasing(x.index) for x in (receiver, other)):
            raise AnswerDiffers(
                "pandas keeps the rows of two equal indexes in their order and sorts a "
                "union; pandas-on-Spark joins them in any order"
            )
        result = result.sort_index()
        # pandas: a row or column only one side has compares False (True for ne)
        return result.fillna(name.strip("_") == "ne") if comparison else result

    return after


def in_listed_order(receiver: Any, result: Any, args: tuple, kwargs: dict) -> Any:
    """``result`` of ``agg([...])`` (or ``agg({column: [...]})``) with its rows in the order
    pandas gives: the function names as first listed."""
    func = args[0] if args else kwargs.get("func")
    listed = [f for v in func.values() for f in _listed(v)] if type(func) is dict else func
    if type(result).__name__ not in ("DataFrame", "Series") or type(listed) is not list:
        return result
    names = list(dict.fromkeys(listed))
    if not all(type(name) is str for name in names):
        return result
    from adapters.migration.surface import import_pyspark_pandas

    local = result.to_pandas()  # one row per listed function
    if sorted(map(str, local.index)) != sorted(names):
        return result
    return import_pyspark_pandas().from_pandas(local.loc[names])


def _listed(value: Any) -> list[Any]:
    return value if type(value) is list else [value]


def _sorted_rows(receiver: Any, result: Any, *_: Any) -> Any:
    """pandas sorts the rows of an unstacked result by the remaining index levels."""
    return result.sort_index() if type(result).__name__ in ("DataFrame", "Series") else result


def _same_name(receiver: Any, result: Any, *_: Any) -> Any:
    """pandas keeps a Series' name (pandas-on-Spark names an unnamed one 0)."""
    if type(result).__name__ == "Series" and result.name != receiver.name:
        result.name = receiver.name
    return result


def _ranked(receiver: Any, result: Any, args: tuple, kwargs: dict) -> Any:
    """pandas ranks only the values that are there; pandas-on-Spark counts nulls too."""
    if _has_nulls(receiver):
        raise AnswerDiffers("pandas-on-Spark ranks missing values among the others")
    return in_frame_order(receiver, result)


def _has_nulls(data: Any) -> bool:
    """Whether a pandas-on-Spark frame or series holds a missing value (one Spark job)."""
    found = data.isnull().any()
    return bool(found.any() if hasattr(found, "any") else found)


def in_window_rules(window: Any, result: Any, *_: Any) -> Any:
    """A rolling or expanding aggregation (grouped or not): pandas counts only values that
    are there towards ``min_periods``, pandas-on-Spark every row, so data with nulls falls
    back; pandas computes every window aggregation in float64."""
    data = getattr(window, "_psdf_or_psser", None)
    if data is None:
        data = getattr(getattr(window, "_groupby", None), "_psdf", None)
    if data is not None and _has_nulls(data):
        raise AnswerDiffers("pandas-on-Spark counts missing values towards min_periods")
    return _as_float(result)


def _as_float(result: Any) -> Any:
    """``result`` with its integer and boolean columns as float64, as pandas' windows give."""
    kind = type(result).__name__
    if kind == "Series":
        return result.astype("float64") if result.dtype.kind in "iub" else result
    if kind != "DataFrame":
        return result
    dtypes = zip(result.columns, result.dtypes, strict=True)
    columns = [c for c, dtype in dtypes if dtype.kind in "iub"]
    return result.astype({c: "float64" for c in columns}) if columns else result


def resampled(resampler: Any, result: Any, *_: Any) -> Any:
    """After an aggregation of a resampler: pandas' index has the resampling rule as freq."""
    from pandas.tseries.frequencies import to_offset

    origin = getattr(resampler, ORIGIN, None)
    if origin is not None:
        _, _, args, kwargs = origin
        rule = args[0] if args else kwargs.get("rule")
        with contextlib.suppress(TypeError, ValueError):
            remember(result, to_offset(rule))
    return result


def _counted(receiver: Any, result: Any, *_: Any) -> Any:
    """pandas counts in int64 (pandas-on-Spark may give int32)."""
    if type(result).__name__ == "Series" and str(result.dtype) in ("int32", "int16", "int8"):
        return result.astype("int64")
    return result


# Post-processing of other DataFrame / Series methods, by name.
_AFTER: dict[str, Callable[[Any, Any, tuple, dict], Any]] = {
    **dict.fromkeys(_KEEP_ORDER, in_frame_order),
    "agg": in_listed_order,
    "aggregate": in_listed_order,
    "unstack": _sorted_rows,
    "rename_axis": _same_name,
    "rank": _ranked,
    "nunique": _counted,
    "to_pandas": restore,
}


def _as_array(receiver: Any, result: Any, *_: Any) -> Any:
    """pandas' ``to_numpy()`` is a numpy array (pandas-on-Spark may give a Categorical)."""
    import numpy

    return result if isinstance(result, numpy.ndarray) else numpy.asarray(result)


# Steps that keep pandas' index freq (adapters.pandas._freq), by method name.
_FREQ_STEPS: dict[str, Callable[[Any, Any, tuple, dict], Any]] = {
    **dict.fromkeys(KEEPS_INDEX, kept_index),
    "at_time": taken,
    "between_time": taken,
    "reindex": reindexed,
    "reindex_like": reindexed,
    "to_numpy": _as_array,
}


def after_step(prefix: str, name: str) -> Callable[[Any, Any, tuple, dict], Any] | None:
    """The step that mends the result of ``prefix.name`` (``DataFrame.rank``), or None.

    Examples
    --------
    >>> after_step("DataFrame", "sum") is None
    True
    >>> after_step("SeriesGroupBy", "sum") is in_pandas_order
    True
    """
    if prefix in ("DataFrameGroupBy", "SeriesGroupBy"):
        return in_pandas_order
    if prefix in ("Rolling", "Expanding", "RollingGroupby", "ExpandingGroupby"):
        return in_window_rules
    if prefix == "Resampler":
        return resampled
    if prefix == "Index" and name == "to_pandas":
        return restore
    if prefix in ("LocIndexer", "iLocIndexer") and name == "__getitem__":
        return sliced
    if prefix not in ("DataFrame", "Series"):
        return None
    if name in _ALIGNING:
        return in_aligned_order(name)
    if name in ("__getitem__", "get"):
        return selected_columns if prefix == "DataFrame" else sliced
    return _AFTER.get(name) or _FREQ_STEPS.get(name)


def _increasing(index: Any) -> bool:
    return bool(index.is_monotonic_increasing) and bool(index.is_unique)
