"""Fallback on failure: a pandas-on-Spark call that raises runs in pandas, or is refused cleanly.

The rule book knows many gaps before a call runs; this catches the rest when it runs.
Every public method of the pandas-on-Spark classes, their indexers (``loc``, ``iloc``,
``at``, ``iat``) and the top-level functions are guarded. When the outermost guarded
call raises anything but a :class:`~toolkit.exceptions.ToolkitError`:

- fallback ``warn`` / ``silent``: the call runs in pandas on the driver (within
  ``max_rows``, reported and warned like any fallback). If pandas raises too, that is
  pandas' answer and its exception propagates unchanged.
- fallback ``raise`` (or past ``max_rows``): :class:`~toolkit.exceptions.UnsupportedPandasAPIError`
  naming the API, pandas-on-Spark's reason in one line, the caller's file:line and what
  to do instead (for a missing label, one that is also a ``KeyError`` / ``IndexError``).

Calls made inside a guarded call are not guarded again, so a fallback never starts
half-way through pandas-on-Spark's own work.

Examples
--------
>>> reason(ValueError("An error occurred while calling o1.x.\\n: java.lang.IllegalStateException: bad cast"))
'bad cast'
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

import numpy

from adapters.migration.rules import Rule, alternative
from adapters.pandas._fallback import (
    FELL_BACK,
    FROM_PANDAS,
    run_attribute,
    run_function,
    run_method,
    run_setattr,
    run_setitem,
)
from adapters.pandas._order import AnswerDiffers, anchored
from adapters.pandas._policy import get_fallback, user_line
from toolkit.exceptions import ToolkitError, UnsupportedPandasAPIError, from_worker_error

__all__ = [
    "DIFFERS",
    "PYTHON_SCALARS",
    "INDEXERS",
    "INDEX_COMPARISONS",
    "REFUSED",
    "guard_constructor",
    "guard_function",
    "guard_method",
    "guard_property",
    "guarded",
    "outermost",
    "reason",
]

# Calls whose pandas answer depends on pandas' own memory layout: no fallback reproduces
# it (data moved to pandas has another index and other arrays), so they are refused.
REFUSED = {
    "memory_usage": "pandas counts the bytes of its own arrays (a RangeIndex, object strings), "
    "which data on Spark does not have, and data moved back to pandas has other arrays. "
    "Instead: call memory_usage() on the pandas frame you built this one from",
    "info": "pandas prints its own index type (RangeIndex) and memory use, which data on "
    "Spark does not have. Instead: df.dtypes and df.count() give the columns, their types "
    "and non-null counts",
}
# Calls pandas-on-Spark answers with other values than pandas whatever the arguments.
_EQUALS = (
    "pandas answers one bool for the whole object; pandas-on-Spark compares element by element"
)
DIFFERS = {
    "DataFrame.equals": _EQUALS,
    "Series.equals": _EQUALS,
    "SeriesGroupBy.unique": "pandas lists each group's values in the order they appear; pandas-on-Spark "
    "in any order",
    "pandas.wide_to_long": "pandas-on-Spark gives the rows in another order",
}
# Methods whose scalar pandas gives as a Python object (labels, counts of distinct values);
# every other method's Python int, float or bool becomes the numpy scalar pandas gives.
PYTHON_SCALARS = frozenset(
    {"idxmax", "idxmin", "first_valid_index", "last_valid_index", "nunique", "item", "equals"}
)
_NUMPY_SCALARS: dict[type, Callable[[Any], Any]] = {
    int: numpy.int64,
    float: numpy.float64,
    bool: numpy.bool_,
}
_depth: ContextVar[int] = ContextVar("scaleout_guard_depth", default=0)
INDEXERS = {"LocIndexer": "loc", "iLocIndexer": "iloc", "AtIndexer": "at", "iAtIndexer": "iat"}
# pandas answers ``index < 1`` with a numpy array of booleans; pandas-on-Spark with an
# integer Index that loc then reads as labels.
INDEX_COMPARISONS = ("__lt__", "__le__", "__gt__", "__ge__", "__eq__", "__ne__")
_JAVA_PREFIX = re.compile(r"^(?:[\w$]+\.)+[\w$]*(?:Exception|Error)(?::\s*|$)")
_PY_LAST = re.compile(r"^\w+(?:Error|Exception|Warning)\b.*")


def outermost() -> bool:
    """Whether this is the user's own call, not one pandas-on-Spark makes inside another."""
    return not _depth.get()


def guarded(function: Any) -> bool:
    """Whether ``function`` is already one of this module's guards."""
    return getattr(function, "__scaleout_guard__", False)


def guard_method(
    api: str,
    name: str,
    original: Callable[..., Any],
    *,
    after: Callable[[Any, Any, tuple, dict], Any] | None = None,
) -> Callable[..., Any]:
    """``original`` (a method) with the fallback-on-failure policy of this module;
    ``after(self, result, args, kwargs)`` post-processes a result pandas-on-Spark gave (not
    a fallback's), or raises :class:`~adapters.pandas._order.AnswerDiffers`."""

    def native(self: Any, args: tuple, kwargs: dict) -> Any:
        args = tuple(anchored(self, value) for value in args)
        result = original(self, *args, **kwargs)
        numpy_type = _NUMPY_SCALARS.get(type(result))
        if numpy_type is not None and name not in PYTHON_SCALARS:
            return numpy_type(result)  # pandas' reductions give numpy scalars (s.sum())
        if after is None or getattr(result, FELL_BACK, False):
            return result
        return after(self, result, args, kwargs)

    @functools.wraps(original)
    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        if _depth.get():
            return original(self, *args, **kwargs)
        where = _api(api, self)
        if name in REFUSED:  # no fallback gives pandas' answer either
            raise UnsupportedPandasAPIError(f"{where} at {user_line()}: {REFUSED[name]}.")
        return _guarded(
            where,
            lambda: native(self, args, kwargs),
            lambda rule: _recover(where, rule, self, name, args, kwargs),
            difference=_difference(where, args, kwargs, receiver=self),
        )

    method.__scaleout_guard__ = True  # type: ignore[attr-defined]
    return method


def guard_property(api: str, name: str, prop: property) -> property:
    """A property of a pandas-on-Spark class with the fallback-on-failure policy."""

    def native(self: Any) -> Any:
        return prop.fget(self)  # type: ignore[misc]

    def getter(self: Any) -> Any:
        if _depth.get():
            return native(self)
        return _guarded(
            api, lambda: native(self), lambda rule: run_attribute(api, rule, self, name)
        )

    getter.__name__ = name
    getter.__scaleout_guard__ = True  # type: ignore[attr-defined]
    return property(getter, prop.fset, prop.fdel, prop.__doc__)


def guard_constructor(api: str, build: Callable[[], Any]) -> Any:
    """Build a pandas-on-Spark object from the user's data: a failure is a clean refusal
    (there is no pandas object to fall back to); calls from pandas-on-Spark itself pass."""
    if _depth.get():
        return build()
    token = _depth.set(1)
    try:
        return build()
    except ToolkitError:
        raise
    except Exception as exc:  # noqa: BLE001
        if getattr(exc, FROM_PANDAS, False):
            raise
        raise UnsupportedPandasAPIError(
            f"{api} at {user_line()}: pandas-on-Spark cannot hold this data "
            f"({type(exc).__name__}: {reason(exc)}). Instead: build it in pandas and convert "
            "the columns Spark cannot hold (see the dtype in the reason) before "
            "tk.to_pandas_on_spark(...)."
        ) from None
    finally:
        _depth.reset(token)


def guard_function(
    api: str, spark_func: Callable[..., Any], pandas_func: Callable[..., Any]
) -> Callable[..., Any]:
    """A top-level pandas-on-Spark function with the fallback-on-failure policy."""

    @functools.wraps(spark_func)
    def call(*args: Any, **kwargs: Any) -> Any:
        if _depth.get():
            return spark_func(*args, **kwargs)
        return _guarded(
            api,
            lambda: spark_func(*args, **kwargs),
            lambda rule: run_function(api, rule, pandas_func, args, kwargs),
            difference=_difference(api, args, kwargs),
        )

    call.__scaleout_guard__ = True  # type: ignore[attr-defined]
    return call


def _guarded(
    api: str,
    native: Callable[[], Any],
    fallback: Callable[[Rule], Any],
    *,
    difference: str | None = None,
) -> Any:
    """Run ``native``; on failure (or a known ``difference``) apply the fallback policy."""
    token = _depth.set(1)
    try:
        raising = get_fallback().mode == "raise"
        why, refusal = difference, UnsupportedPandasAPIError
        if why is None:
            try:
                return native()
            except ToolkitError:
                raise
            except AnswerDiffers as exc:
                failure, why = exc, str(exc)
            except Exception as exc:  # noqa: BLE001 - judged below, never leaked raw
                if getattr(exc, FROM_PANDAS, False):
                    raise
                worker = from_worker_error(exc)
                if worker is not None:  # scaleout's own refusal in a Spark task: the answer
                    raise worker from None
                failure = exc
            if why is None:
                why = f"pandas-on-Spark cannot run it ({type(failure).__name__}: {reason(failure)})"
            if isinstance(failure, LookupError) and _plain_python(failure):
                refusal = _refusal(type(failure))
        rule = Rule(api, "blocker", why, alternative(api))
        if raising:
            raise refusal(
                f"{api} at {user_line()}: {rule.message}. Instead: {rule.suggestion}."
            ) from None
        try:
            return fallback(rule)
        except ToolkitError:
            raise
        except Exception as exc:  # noqa: BLE001
            if getattr(exc, FROM_PANDAS, False):
                raise  # pandas raises it too: that is pandas' answer
            raise UnsupportedPandasAPIError(
                f"{api} at {user_line()}: {rule.message}, and moving its data to pandas "
                f"failed too ({type(exc).__name__}: {reason(exc)}). Instead: {rule.suggestion}."
            ) from None
    finally:
        _depth.reset(token)


def _difference(api: str, args: tuple, kwargs: dict, *, receiver: Any = None) -> str | None:
    """Why pandas-on-Spark would answer this call with other values than pandas, else None."""
    name = api.rsplit(".", 1)[-1]
    if api in DIFFERS:
        return DIFFERS[api]
    if name == "isin" and type(_first(args, kwargs, "values")).__name__ in ("DataFrame", "Series"):
        return "pandas matches a DataFrame or Series of values by label; pandas-on-Spark does not"
    if name == "cov" and (len(args) > 0 or "min_periods" in kwargs):
        return "pandas-on-Spark counts min_periods over other rows than pandas"
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


def _recover(api: str, rule: Rule, receiver: Any, name: str, args: tuple, kwargs: dict) -> Any:
    if name == "__setitem__":
        return run_setitem(api, rule, receiver, args[0], args[1])
    if name == "__setattr__":
        return run_setattr(api, rule, receiver, args[0], args[1])
    return run_method(api, rule, receiver, name, args, kwargs)


def _api(api: str, receiver: Any) -> str:
    """``DataFrame.loc`` rather than ``LocIndexer.__getitem__`` for an indexer."""
    indexer = INDEXERS.get(type(receiver).__name__)
    if indexer is None:
        return api
    owner = type(getattr(receiver, "_psdf_or_psser", None)).__name__
    return f"{owner}.{indexer}"


@functools.cache
def _refusal(kind: type[BaseException]) -> type[UnsupportedPandasAPIError]:
    """An UnsupportedPandasAPIError that is also a ``kind`` (a KeyError stays catchable as one)."""
    namespace = {"__module__": UnsupportedPandasAPIError.__module__, "__str__": Exception.__str__}
    return type(UnsupportedPandasAPIError.__name__, (UnsupportedPandasAPIError, kind), namespace)


def _plain_python(exc: BaseException) -> bool:
    """A Python-level error (a missing label), not one carried over from the JVM or a worker."""
    module = type(exc).__module__
    return not module.startswith(("py4j", "pyspark", "pyarrow"))


def reason(exc: BaseException) -> str:
    """The one line of an error that says why: no py4j preamble, Java class or traceback."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    if any(line.startswith("Traceback (most recent call last)") for line in lines):
        last = [line for line in lines if _PY_LAST.match(line)]
        if last:
            return last[-1][:300]
    for line in lines:
        if line.startswith("An error occurred while calling"):
            continue
        line = _JAVA_PREFIX.sub("", line.lstrip(": ")).strip()
        if line:
            return line[:300]
    return type(exc).__name__
