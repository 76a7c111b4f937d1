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
from adapters.pandas._differences import difference, refused_call, with_exact_bounds
from adapters.pandas._fallback import (
    FELL_BACK,
    FROM_PANDAS,
    holds_spark,
    run_attribute,
    run_function,
    run_method,
    run_setattr,
    run_setitem,
)
from adapters.pandas._holdable import holdable_problem
from adapters.pandas._kept import holds_kept, keep
from adapters.pandas._order import AnswerDiffers, anchored
from adapters.pandas._policy import get_fallback, running_pandas, user_line
from toolkit.exceptions import ToolkitError, UnsupportedPandasAPIError, from_worker_error

__all__ = [
    "INDEXERS",
    "PYTHON_SCALARS",
    "guard_constructor",
    "guard_function",
    "guard_method",
    "guard_property",
    "guarded",
    "outermost",
    "reason",
    "refusal",
]

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
        refused = refused_call(name, args, kwargs)
        if refused is not None:  # no fallback gives pandas' answer either
            raise UnsupportedPandasAPIError(f"{where} at {user_line()}: {refused}.")
        if where.endswith(".loc"):
            args = with_exact_bounds(self, args)
        return _guarded(
            where,
            lambda: native(self, args, kwargs),
            lambda rule: _recover(where, rule, self, name, args, kwargs),
            difference=difference(where, args, kwargs, receiver=self),
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


def guard_constructor(
    api: str, build: Callable[[], Any], *, local: Callable[[], Any] | None = None
) -> Any:
    """Build a pandas-on-Spark object from the user's data; calls from pandas-on-Spark itself
    pass. On failure, when ``local`` builds pandas' object and Spark cannot hold it, that
    object is kept in pandas under the fallback policy; any other failure is a clean refusal."""
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
        kept = _kept_locally(api, local)
        if kept is not None:
            return kept
        raise UnsupportedPandasAPIError(
            f"{api} at {user_line()}: pandas-on-Spark cannot hold this data "
            f"({type(exc).__name__}: {reason(exc)}). Instead: build it in pandas and convert "
            "the columns Spark cannot hold (see the dtype in the reason) before "
            "tk.to_pandas_on_spark(...)."
        ) from None
    finally:
        _depth.reset(token)


def _kept_locally(api: str, local: Callable[[], Any] | None) -> Any:
    """pandas' own object for a constructor that failed, under the policy of
    :func:`~adapters.pandas._kept.keep` when Spark cannot hold it; else None."""
    if local is None:
        return None
    try:
        built = local()
    except Exception:  # noqa: BLE001 - pandas cannot build it either: the refusal stands
        return None
    problem = holdable_problem(built)
    return None if problem is None else keep(api, built, problem)


def guard_function(
    api: str, spark_func: Callable[..., Any], pandas_func: Callable[..., Any]
) -> Callable[..., Any]:
    """A top-level pandas-on-Spark function with the fallback-on-failure policy; with only
    local arguments among which pandas data Spark cannot hold, pandas' function."""

    @functools.wraps(spark_func)
    def call(*args: Any, **kwargs: Any) -> Any:
        if _depth.get():
            return spark_func(*args, **kwargs)
        if holds_kept((args, kwargs)) and not holds_spark((args, kwargs)):
            with running_pandas():  # data kept in pandas stays pandas'
                return pandas_func(*args, **kwargs)
        return _guarded(
            api,
            lambda: spark_func(*args, **kwargs),
            lambda rule: run_function(api, rule, pandas_func, args, kwargs),
            difference=difference(api, args, kwargs),
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
        why, refused = difference, UnsupportedPandasAPIError
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
                refused = refusal(type(failure))
        rule = Rule(api, "blocker", why, alternative(api))
        if raising:
            raise refused(
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
def refusal(kind: type[BaseException]) -> type[UnsupportedPandasAPIError]:
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
