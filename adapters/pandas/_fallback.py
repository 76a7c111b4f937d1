"""Run an API pandas-on-Spark lacks in pandas on the driver, and bring the result back.

Every pandas-on-Spark object among the receiver and the arguments is collected (at most
``max_rows`` rows in all), the pandas call runs, and frames, series and indexes in the
result become pandas-on-Spark again. A groupby, window or resampler is rebuilt in pandas
by replaying the call that made it (recorded by :mod:`adapters.pandas._hooks`).

Examples
--------
>>> run_function("pandas.cut", rule, pandas.cut, (psser, 3), {})    # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import functools
import re
import warnings
from collections.abc import Callable, Iterator
from typing import Any

from adapters.migration.rules import Rule
from adapters.pandas._freq import carry, remember_index, restore
from adapters.pandas._holdable import holdable_problem, without_categories
from adapters.pandas._kept import keep
from adapters.pandas._policy import advise, get_fallback, record, running_pandas, user_frame
from toolkit.exceptions import DriverMemoryError, UnsupportedPandasAPIError

__all__ = [
    "CHANGES_RECEIVER",
    "FELL_BACK",
    "FROM_PANDAS",
    "ORIGIN",
    "PandasResult",
    "holds_spark",
    "run_attribute",
    "run_function",
    "run_method",
    "run_setattr",
    "run_setitem",
    "with_caller_names",
]

ORIGIN = "_scaleout_origin"  # (parent, method name, args, kwargs) on groupby/window objects
FROM_PANDAS = "_scaleout_from_pandas"  # set on an exception pandas itself raised in a fallback
FELL_BACK = "_scaleout_fell_back"  # set on a pandas-on-Spark object a fallback sent back
_ACCESSORS = {"StringMethods": "str", "DatetimeMethods": "dt", "CategoricalAccessor": "cat"}
# Methods that change their receiver without inplace=True (pop also returns the column).
CHANGES_RECEIVER = frozenset({"update", "insert", "pop"})
_INDEXERS = {"LocIndexer": "loc", "iLocIndexer": "iloc", "AtIndexer": "at", "iAtIndexer": "iat"}
# Calls that evaluate an expression string against the caller's variables.
_EVALUATORS = frozenset({"pandas.eval", "DataFrame.eval", "DataFrame.query"})
_NAME = re.compile(r"[A-Za-z_]\w*")
_RAISE_HINT = (
    "The fallback policy is 'raise'; adapters.pandas.set_fallback('warn') runs such calls in "
    "pandas on the driver for frames up to max_rows rows."
)


def run_method(api: str, rule: Rule, receiver: Any, name: str, args: tuple, kwargs: dict) -> Any:
    """``receiver.name(*args, **kwargs)`` under the fallback policy.

    With ``inplace=True`` (or a method of :data:`CHANGES_RECEIVER`) the change is made on a
    pandas copy and, once pandas has succeeded, replaces the receiver's data whole.
    """
    kwargs = with_caller_names(api, args, kwargs)
    if kwargs.get("inplace") or name in CHANGES_RECEIVER:
        return _in_place(api, rule, receiver, lambda local: getattr(local, name), args, kwargs)
    return _run(
        api,
        rule,
        lambda mover: _pandas(
            getattr(mover.to_pandas(receiver), name),
            mover.to_pandas(args),
            mover.to_pandas(kwargs),
        ),
    )


def run_setitem(api: str, rule: Rule, receiver: Any, key: Any, value: Any) -> None:
    """``receiver[key] = value`` (a frame, a Series or an indexer) under the fallback policy."""
    _in_place(api, rule, receiver, lambda local: local.__setitem__, (key, value), {})


def run_setattr(api: str, rule: Rule, receiver: Any, name: str, value: Any) -> None:
    """``receiver.name = value`` (``df.index = [...]``) under the fallback policy."""
    _in_place(
        api, rule, receiver, lambda local: functools.partial(setattr, local), (name, value), {}
    )


def _in_place(
    api: str,
    rule: Rule,
    receiver: Any,
    method: Callable[[Any], Callable[..., Any]],
    args: tuple,
    kwargs: dict,
) -> Any:
    """Run a changing call on a pandas copy; only when pandas succeeds, swap the data in
    (a DataFrame's data, or a Series' own). Gives the call's own result (``pop``'s column)."""
    import pyspark.pandas as ps

    indexer = _INDEXERS.get(type(receiver).__name__)
    frame = receiver._psdf_or_psser if indexer else receiver

    def call(mover: _Mover) -> Any:
        local = mover.to_pandas(frame).copy()
        target = getattr(local, indexer) if indexer else local
        result = _pandas(method(target), mover.to_pandas(args), mover.to_pandas(kwargs))
        return local, result

    changed, result = _run(api, rule, call, keeps=False)  # the receiver stays on Spark
    if isinstance(frame, ps.DataFrame):
        frame._update_internal_frame(changed._internal, check_same_anchor=False)
    elif isinstance(changed, ps.Series) and changed._psdf._internal.column_labels == [
        frame._column_label
    ]:  # the Series now stands alone, as a pandas copy would
        frame._update_anchor(changed._psdf)
    else:
        raise UnsupportedPandasAPIError(
            f"{api}: {rule.message}, and this change to a Series cannot be carried back to "
            f"Spark. Instead: {rule.suggestion}; or assign the result, e.g. s = s.method(...)."
        )
    carry(changed, frame)  # the receiver now holds the changed data, and its freq
    return result


def run_attribute(api: str, rule: Rule, receiver: Any, name: str) -> Any:
    """``receiver.name`` (a property) under the fallback policy."""
    return _run(api, rule, lambda mover: _pandas(getattr, (mover.to_pandas(receiver), name), {}))


def run_function(api: str, rule: Rule, func: Callable[..., Any], args: tuple, kwargs: dict) -> Any:
    """``func(*args, **kwargs)`` (a pandas function) under the fallback policy."""
    kwargs = with_caller_names(api, args, kwargs)
    return _run(
        api, rule, lambda mover: _pandas(func, mover.to_pandas(args), mover.to_pandas(kwargs))
    )


def with_caller_names(api: str, args: tuple, kwargs: dict) -> dict:
    """For ``eval`` / ``query``: the caller's variables the expression names, as pandas would
    find them on the stack (the fallback runs pandas from here, not from the caller)."""
    if api not in _EVALUATORS or "local_dict" in kwargs or "global_dict" in kwargs:
        return kwargs
    expr = args[0] if args else kwargs.get("expr")
    frame = user_frame()
    if not isinstance(expr, str) or frame is None:
        return kwargs
    names = set(_NAME.findall(expr))
    return {
        **kwargs,
        "local_dict": {n: v for n, v in frame.f_locals.items() if n in names},
        "global_dict": {n: v for n, v in frame.f_globals.items() if n in names},
    }


def _pandas(func: Callable[..., Any], args: tuple, kwargs: dict) -> Any:
    """Run pandas; an exception it raises is marked as pandas' own answer (see FROM_PANDAS)."""
    try:
        with running_pandas():
            return func(*args, **kwargs)
    except Exception as exc:
        with contextlib.suppress(AttributeError, TypeError):
            setattr(exc, FROM_PANDAS, True)
        raise


def holds_spark(value: Any) -> bool:
    """True when ``value`` is or contains (in lists, tuples, dicts) a pandas-on-Spark object."""
    if type(value) in (list, tuple):
        return any(holds_spark(item) for item in value)
    if type(value) is dict:
        return any(holds_spark(item) for item in value.values())
    return _spark_kind(value) is not None or isinstance(value, PandasResult)


def _run(api: str, rule: Rule, call: Callable[[_Mover], Any], *, keeps: bool = True) -> Any:
    policy = get_fallback()
    if policy.mode == "raise":
        what = rule.message if rule.message.startswith(api) else f"{api}: {rule.message}"
        raise UnsupportedPandasAPIError(f"{what}. Instead: {rule.suggestion}. {_RAISE_HINT}")
    mover = _Mover(api, rule, policy.max_rows, keeps=keeps)
    result = mover.to_spark(call(mover))
    record(api, calls=1, rows_to_driver=mover.rows_to_driver, rows_to_spark=mover.rows_to_spark)
    if policy.mode == "warn":
        advise(
            f"{api} ran in pandas on the driver ({mover.rows_to_driver:,} rows collected, "
            f"{mover.rows_to_spark:,} sent back): {rule.message}. To stay distributed: "
            f"{rule.suggestion}."
        )
    return result


class _Mover:
    """Moves data for one fallback call and counts the rows it moves; a result Spark cannot
    hold stays in pandas when ``keeps`` (else it is refused)."""

    def __init__(self, api: str, rule: Rule, max_rows: int, *, keeps: bool = True) -> None:
        self.api, self.rule, self.max_rows, self.keeps = api, rule, max_rows, keeps
        self.rows_to_driver = 0
        self.rows_to_spark = 0

    def to_pandas(self, value: Any) -> Any:
        if type(value) in (list, tuple):
            return type(value)(self.to_pandas(item) for item in value)
        if type(value) is dict:
            return {key: self.to_pandas(item) for key, item in value.items()}
        if isinstance(value, PandasResult):
            return value._obj
        kind = _spark_kind(value)
        if kind == "data":
            return self._collect(value)
        if kind == "accessor":
            return getattr(self.to_pandas(value._data), _ACCESSORS[type(value).__name__])
        if kind == "indexer":
            return getattr(self.to_pandas(value._psdf_or_psser), _INDEXERS[type(value).__name__])
        if kind == "intermediate":
            origin = getattr(value, ORIGIN, None)
            if origin is None:
                raise UnsupportedPandasAPIError(
                    f"{self.api}: {self.rule.message}, and this {type(value).__name__} was not "
                    "made by a call adapters.pandas saw, so it cannot be rebuilt in pandas. "
                    f"Instead: {self.rule.suggestion}."
                )
            parent, name, args, kwargs = origin
            rebuilt = getattr(self.to_pandas(parent), name)
            return rebuilt(*self.to_pandas(args), **self.to_pandas(kwargs))
        return value

    def _collect(self, value: Any) -> Any:
        from toolkit.bridge import to_pandas

        budget = self.max_rows - self.rows_to_driver
        try:
            if hasattr(value, "head"):
                local = to_pandas(value, max_rows=budget)
            else:  # an Index: no head(), count first
                rows = len(value)
                if rows > budget:
                    raise DriverMemoryError(f"{rows:,} rows")
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    local = value.to_pandas()
        except DriverMemoryError as exc:
            raise UnsupportedPandasAPIError(
                f"{self.api}: {self.rule.message}, and running it in pandas would move more "
                f"than max_rows={self.max_rows:,} rows to the driver ({str(exc).split(';')[0]}). "
                f"Instead: {self.rule.suggestion}. Or allow more rows: "
                "adapters.pandas.set_fallback(max_rows=...)."
            ) from None
        self.rows_to_driver += len(local)
        return restore(value, local)

    def to_spark(self, value: Any) -> Any:
        import pandas

        if type(value) in (list, tuple):
            return type(value)(self.to_spark(item) for item in value)
        if isinstance(value, (pandas.DataFrame, pandas.Series, pandas.Index)):
            return self._send(value)
        if _pandas_intermediate(value):
            return PandasResult(value, self.api, self.rule)
        if isinstance(value, Iterator):
            return self._stream(value)
        return value

    def _send(self, value: Any) -> Any:
        from adapters.migration.surface import import_pyspark_pandas

        ps = import_pyspark_pandas()
        try:
            plain = without_categories(value, api=self.api)
        except UnsupportedPandasAPIError as exc:  # interval categories
            return self._keep(value, str(exc).partition(": ")[2])
        problem = holdable_problem(plain)
        if problem is not None:
            return self._keep(value, problem)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                sent = ps.from_pandas(plain)
        except Exception as exc:  # noqa: BLE001 - arrow cannot hold some pandas dtypes
            why = str(exc).splitlines()[0] if str(exc) else ""
            return self._keep(
                value, f"pandas-on-Spark cannot hold it ({type(exc).__name__}: {why})"
            )
        self.rows_to_spark += len(plain)
        object.__setattr__(sent, FELL_BACK, True)  # already in pandas' order
        remember_index(sent, value)
        return sent

    def _keep(self, value: Any, problem: str) -> Any:
        """A result Spark cannot hold: pandas' own object, under the fallback policy."""
        if not self.keeps:
            raise UnsupportedPandasAPIError(
                f"{self.api} ran in pandas, but its result cannot go back to Spark: {problem}"
            )
        why = f"it ran in pandas; its result cannot go back to Spark: {problem}"
        return keep(self.api, value, why, count=False)

    def _stream(self, items: Iterator[Any]) -> Iterator[Any]:
        for item in items:
            before = self.rows_to_spark
            out = self.to_spark(item)
            record(self.api, rows_to_spark=self.rows_to_spark - before)
            yield out


def _spark_kind(value: Any) -> str | None:
    if not type(value).__module__.startswith("pyspark.pandas"):
        return None
    import pyspark.pandas as ps
    from pyspark.pandas.groupby import GroupBy
    from pyspark.pandas.resample import Resampler
    from pyspark.pandas.window import ExponentialMovingLike, RollingAndExpanding

    if isinstance(value, (ps.DataFrame, ps.Series, ps.Index)):
        return "data"
    if type(value).__name__ in _ACCESSORS and hasattr(value, "_data"):
        return "accessor"
    if type(value).__name__ in _INDEXERS and hasattr(value, "_psdf_or_psser"):
        return "indexer"
    if isinstance(value, (GroupBy, RollingAndExpanding, ExponentialMovingLike, Resampler)):
        return "intermediate"
    return None


def _pandas_intermediate(value: Any) -> bool:
    from pandas.core.arrays.categorical import CategoricalAccessor
    from pandas.core.groupby import GroupBy
    from pandas.core.indexes.accessors import Properties
    from pandas.core.resample import Resampler
    from pandas.core.strings.accessor import StringMethods
    from pandas.core.window.rolling import BaseWindow

    kinds = (GroupBy, BaseWindow, Resampler, StringMethods, Properties, CategoricalAccessor)
    return isinstance(value, kinds)


class PandasResult:
    """A pandas groupby, window or accessor standing in after a fallback.

    Its methods run in pandas; frames and series they return go back to pandas-on-Spark
    (and count in the fallback report under the API that made it).

    Examples
    --------
    >>> r = psdf["x"].rolling("2D")            # doctest: +SKIP
    >>> r.sum()  # a pandas-on-Spark Series      # doctest: +SKIP
    """

    __slots__ = ("_api", "_obj", "_rule")

    def __init__(self, obj: Any, api: str, rule: Rule) -> None:
        self._obj, self._api, self._rule = obj, api, rule

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._obj, name)
        if callable(value) and not isinstance(value, type):
            return functools.wraps(value)(functools.partial(self._call, value))
        return self._back(value)

    def __getitem__(self, key: Any) -> Any:
        return self._call(self._obj.__getitem__, key)

    def __iter__(self) -> Iterator[Any]:
        return self._back(iter(self._obj))

    def __len__(self) -> int:
        return len(self._obj)

    def __repr__(self) -> str:
        return f"<pandas {type(self._obj).__name__} standing in for pandas-on-Spark ({self._api})>"

    def _call(self, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        mover = _Mover(self._api, self._rule, get_fallback().max_rows)
        with running_pandas():
            result = func(*mover.to_pandas(args), **mover.to_pandas(kwargs))
        out = mover.to_spark(result)
        record(self._api, rows_to_driver=mover.rows_to_driver, rows_to_spark=mover.rows_to_spark)
        return out

    def _back(self, value: Any) -> Any:
        mover = _Mover(self._api, self._rule, 0)
        out = mover.to_spark(value)
        record(self._api, rows_to_spark=mover.rows_to_spark)
        return out
