"""Backend selection, and what a top-level name means on each backend.

``pandas``: the name is pandas' own. ``spark``: pandas-on-Spark's when it has it
(functions wrapped where arguments need normalising or may need a fallback), pandas'
own for values (``NA``, ``Timestamp``, dtypes, offsets) and classes that only build
local objects, and a fallback wrapper for functions pandas-on-Spark lacks. Options
go to pandas-on-Spark when it knows the key, else to pandas (display of local results).

Examples
--------
>>> with backend("pandas"):
...     get_backend()
'pandas'
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import os
import threading
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any

from adapters.pandas._policy import in_pandas
from toolkit.exceptions import InvalidOptionError

__all__ = ["BACKENDS", "backend", "get_backend", "resolve", "set_backend"]

BACKENDS = ("pandas", "spark")
ENV = "SCALEOUT_BACKEND"
_default: str | None = None
_override: ContextVar[str | None] = ContextVar("scaleout_backend", default=None)
_resolved: dict[str, Any] = {}
_lock = threading.Lock()


def _checked(name: str) -> str:
    if name not in BACKENDS:
        raise InvalidOptionError(
            f"backend must be one of {', '.join(BACKENDS)}; got {name!r}. Use 'pandas' to "
            "run on plain pandas, 'spark' for pandas-on-Spark (set it with "
            f"adapters.pandas.set_backend(...), a `with backend(...)` block or ${ENV})."
        )
    return name


def get_backend() -> str:
    """The backend in force: a ``with backend(...)`` block, else :func:`set_backend`, else
    ``$SCALEOUT_BACKEND``, else ``"pandas"``. Inside a Spark task, and inside a fallback's
    pandas call, it is always ``pandas`` (functions run by ``apply`` get pandas objects there).

    Examples
    --------
    >>> get_backend() in ("pandas", "spark")
    True
    """
    name = _checked(_override.get() or _default or os.environ.get(ENV) or "pandas")
    if name == "spark" and (_in_spark_task() or in_pandas()):
        return "pandas"
    return name


def set_backend(name: str | None) -> str:
    """Choose the backend for this process (None: back to ``$SCALEOUT_BACKEND``); return the
    previous one.

    Parameters
    ----------
    name : {"pandas", "spark"} or None
        The backend; ``"spark"`` imports pandas-on-Spark and makes sure a session runs.

    Examples
    --------
    >>> import adapters.pandas as pd
    >>> previous = pd.set_backend("spark")                      # doctest: +SKIP
    >>> pd.DataFrame({"x": [1, 2]})  # pandas-on-Spark          # doctest: +SKIP
    """
    global _default
    previous = get_backend()
    _default = None if name is None else _checked(name)
    if name == "spark":
        _spark()
    return previous


@contextlib.contextmanager
def backend(name: str) -> Iterator[str]:
    """Use ``name`` as the backend inside a ``with`` block (this thread/context only).

    Parameters
    ----------
    name : {"pandas", "spark"}
        The backend inside the block (yielded by ``with``); ``"spark"`` makes sure a session runs.

    Examples
    --------
    >>> import adapters.pandas as pd
    >>> with pd.backend("spark"):                               # doctest: +SKIP
    ...     df = pd.read_parquet("sales/")
    """
    token = _override.set(_checked(name))
    try:
        if name == "spark":
            _spark()
        yield name
    finally:
        _override.reset(token)


def resolve(name: str) -> Any:
    """What the top-level pandas name ``name`` means on the current backend."""
    if name.startswith("__"):
        raise AttributeError(name)
    import pandas

    if get_backend() == "pandas":
        try:
            return getattr(pandas, name)
        except AttributeError:
            raise AttributeError(f"module 'adapters.pandas' has no attribute {name!r}") from None
    found = _resolved.get(name)
    if found is None:
        with _lock:
            found = _resolved[name] = _spark_name(name, pandas)
    return found


@functools.lru_cache(maxsize=1)
def _spark() -> Any:
    """Import pandas-on-Spark, install the fallback hooks, make sure scaleout's session is used."""
    from adapters.migration.surface import import_pyspark_pandas
    from adapters.pandas._hooks import install
    from toolkit.session.api import active_session

    ps = import_pyspark_pandas()
    install()
    active_session()
    _quiet_query_context_logs()
    return ps


def _quiet_query_context_logs() -> None:
    """pyspark logs every failed query with its whole Java stack; the guard reports it instead."""
    from pyspark.logger import PySparkLogger

    for name in ("DataFrameQueryContextLogger", "SQLQueryContextLogger"):
        PySparkLogger.getLogger(name).disabled = True


def _spark_name(name: str, pandas: Any) -> Any:
    from adapters.migration.rules import rulebook
    from adapters.pandas._arguments import checks
    from adapters.pandas._guard import guard_function

    book = rulebook()
    if name in _OPTIONS:
        return _OPTIONS[name]
    if name in book.surface.passthrough or not hasattr(pandas, name):
        if hasattr(pandas, name):
            return getattr(pandas, name)
        raise AttributeError(f"module 'adapters.pandas' has no attribute {name!r}")
    ps = _spark()
    api = f"pandas.{name}"
    if name in vars(ps):
        found = vars(ps)[name]
        if not inspect.isfunction(found):
            return found
        local = getattr(pandas, name)
        if checks(api):
            found = _checked_function(api, found, local)
        guarded = guard_function(api, found, local)
        return _with_freq(api, guarded, local) if name in _RANGES else guarded
    local = getattr(pandas, name)
    if isinstance(local, type):
        return local  # builds a local object; the policy applies where it meets Spark
    return _missing_function(api, local)


# Functions whose pandas-on-Spark result is built from pandas' own, which has a freq.
_RANGES = frozenset({"date_range", "timedelta_range"})


def _with_freq(
    api: str, func: Callable[..., Any], pandas_func: Callable[..., Any]
) -> Callable[..., Any]:
    """``func`` (which builds pandas' range and sends it to Spark) built in pandas first: kept
    there under the fallback policy when Spark cannot hold it (time zones, values past the
    nanosecond range), else sent with its freq remembered (see adapters.pandas._freq)."""
    from adapters.pandas._fallback import holds_spark
    from adapters.pandas._freq import remember_index
    from adapters.pandas._holdable import holdable_problem
    from adapters.pandas._kept import keep

    @functools.wraps(func)
    def call(*args: Any, **kwargs: Any) -> Any:
        if holds_spark((args, kwargs)):
            return func(*args, **kwargs)
        local = pandas_func(*args, **kwargs)  # pandas' own errors, as pandas raises them
        problem = holdable_problem(local)
        if problem is not None:
            return keep(api, local, problem)
        out = func(*args, **kwargs)
        if type(out).__module__.startswith("pyspark.pandas"):
            remember_index(out, local)
        return out

    return call


def _checked_function(
    api: str, spark_func: Callable[..., Any], pandas_func: Callable[..., Any]
) -> Callable[..., Any]:
    from adapters.pandas._arguments import prepare
    from adapters.pandas._fallback import run_function

    @functools.wraps(spark_func)
    def call(*args: Any, **kwargs: Any) -> Any:
        call_args, call_kwargs, rule = prepare(api, args, kwargs)
        if rule is not None:
            return run_function(api, rule, pandas_func, args, kwargs)
        return spark_func(*call_args, **call_kwargs)

    return call


def _missing_function(api: str, pandas_func: Callable[..., Any]) -> Callable[..., Any]:
    from adapters.migration.rules import rulebook
    from adapters.pandas._fallback import holds_spark, run_function, with_caller_names

    rule = rulebook().rules(api)[0]

    @functools.wraps(pandas_func)
    def call(*args: Any, **kwargs: Any) -> Any:
        kwargs = with_caller_names(api, args, kwargs)
        if not holds_spark((args, kwargs)):  # local data only: plain pandas, nothing moves
            return pandas_func(*args, **kwargs)
        return run_function(api, rule, pandas_func, args, kwargs)

    return call


def _in_spark_task() -> bool:
    try:
        from pyspark import TaskContext
    except ImportError:
        return False
    return TaskContext.get() is not None


# -- options: pandas-on-Spark's when it knows the key, else pandas' ----------------------


def _spark_key(key: str) -> bool:
    from adapters.migration.rules import rulebook

    return key in rulebook().surface.spark_options


def _pairs(args: tuple) -> list[tuple[str, Any]]:
    return list(zip(args[::2], args[1::2], strict=True))


def set_option(*args: Any) -> None:
    """``pandas.set_option``; pandas-on-Spark keys go to pandas-on-Spark."""
    import pandas

    for key, value in _pairs(args):
        (_spark() if _spark_key(key) else pandas).set_option(key, value)


def get_option(key: str) -> Any:
    """``pandas.get_option``; pandas-on-Spark keys come from pandas-on-Spark."""
    import pandas

    return (_spark() if _spark_key(key) else pandas).get_option(key)


def reset_option(key: str) -> None:
    """``pandas.reset_option``; pandas-on-Spark keys go to pandas-on-Spark."""
    import pandas

    (_spark() if _spark_key(key) else pandas).reset_option(key)


@contextlib.contextmanager
def option_context(*args: Any) -> Iterator[None]:
    """``pandas.option_context``, each key set where it belongs."""
    import pandas

    pairs = _pairs(args)
    spark = [item for pair in pairs if _spark_key(pair[0]) for item in pair]
    local = [item for pair in pairs if not _spark_key(pair[0]) for item in pair]
    with contextlib.ExitStack() as stack:
        if spark:
            stack.enter_context(_spark().option_context(*spark))
        if local:
            stack.enter_context(pandas.option_context(*local))
        yield


_OPTIONS = {
    "get_option": get_option,
    "option_context": option_context,
    "reset_option": reset_option,
    "set_option": set_option,
}
