"""Constructors of the drop-in module: built as pandas builds them, or refused cleanly.

``pd.DataFrame(...)`` / ``pd.Series(...)`` from local data are built in pandas first (so
what Spark cannot hold is refused by name, :mod:`adapters.pandas._holdable`), with an
``index=`` or ``columns=`` from the module itself brought to pandas; what Spark cannot
hold stays that pandas object under the fallback policy (:mod:`adapters.pandas._kept`); a
Series of an Index keeps pandas' order and name; data holding pandas-on-Spark objects a
rule says pandas-on-Spark cannot read is built in pandas under the fallback policy. Index
classes built from the user's data keep in pandas (or refuse) what they cannot hold.

Examples
--------
>>> _local_data(([1, 2],), {})
True
>>> _local_data((), {})
True
"""

from __future__ import annotations

import functools
import sys
from importlib import import_module
from typing import Any

from adapters.pandas._arguments import prepare
from adapters.pandas._fallback import holds_spark, run_function
from adapters.pandas._freq import carry, carry_columns, remember_index
from adapters.pandas._guard import guard_constructor, guarded, outermost
from adapters.pandas._holdable import holdable_problem
from adapters.pandas._kept import keep, local_data
from toolkit.exceptions import UnsupportedPandasAPIError

__all__ = ["guard_new", "wrap_init"]

_LOCAL = "_scaleout_local"  # the pandas object __new__ built, for __init__ to convert


def guard_new(cls: type, api: str) -> None:
    """An Index class built from the user's data refuses cleanly what it cannot hold."""
    original = vars(cls).get("__new__")
    if not isinstance(original, staticmethod) or guarded(original.__func__):
        return
    build = original.__func__

    local_cls = getattr(import_module("pandas"), cls.__name__)

    @functools.wraps(build)
    def __new__(kind: type, *args: Any, **kwargs: Any) -> Any:
        return guard_constructor(
            api, lambda: build(kind, *args, **kwargs), local=lambda: local_cls(*args, **kwargs)
        )

    __new__.__scaleout_guard__ = True  # type: ignore[attr-defined]
    cls.__new__ = staticmethod(__new__)  # type: ignore[assignment]


def wrap_init(cls: type, api: str, local_cls: type) -> None:
    """``ps.DataFrame({...: ps object})``: pandas-on-Spark cannot read its own objects there;
    local data is built in pandas first, and kept there when Spark cannot hold it."""
    original = vars(cls)["__init__"]
    if getattr(original, "__scaleout__", False):
        return

    def __new__(kind: type, *args: Any, **kwargs: Any) -> Any:
        called = bool(args or kwargs) or not _copying(sys._getframe(1))
        if kind is cls and called and outermost() and _local_data(args, kwargs):
            local_args, local_kwargs = _local_index(args, kwargs)
            if not _index_data(args, kwargs) and not holds_spark((local_args, local_kwargs)):
                local = local_cls(*local_args, **local_kwargs)  # pandas' own errors as pandas'
                problem = holdable_problem(local)
                if problem is not None and _converting(sys._getframe(1)):
                    raise UnsupportedPandasAPIError(f"{api}: {problem}")
                if problem is not None:
                    return keep(api, local, problem)
                made = object.__new__(kind)
                made.__dict__[_LOCAL] = local
                return made
        return object.__new__(kind)

    @functools.wraps(original)
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        built = vars(self).pop(_LOCAL, None)
        if built is not None:  # built in pandas by __new__, which Spark can hold
            guard_constructor(api, lambda: original(self, built))
            remember_index(self, built)
            return
        if outermost() and api == "pandas.Series" and _index_data(args, kwargs):
            # pd.Series(pd.date_range(...)): pandas' rows in order, unnamed (not name 0)
            series = args[0].to_series().reset_index(drop=True)
            series.name = kwargs.get("name")
            dtype = kwargs.get("dtype")
            original(self, series if dtype is None else series.astype(dtype))
            return
        if outermost() and _local_data(args, kwargs):
            args, kwargs = _local_index(args, kwargs)
        if (args or kwargs) and holds_spark((args, kwargs)):
            _, _, rule = prepare(api, args, kwargs)
            if rule is not None:
                built = run_function(api, rule, local_cls, args, kwargs)
                if local_data(built):  # kept in pandas: this object cannot become it
                    raise UnsupportedPandasAPIError(f"{api}: {holdable_problem(built)}")
                original(self, built)
                carry(built, self)
                return
        original(self, *args, **kwargs)
        if outermost():
            carry_columns(self, args, kwargs)

    __init__.__scaleout__ = True  # type: ignore[attr-defined]
    cls.__new__ = __new__  # type: ignore[assignment]
    cls.__init__ = __init__  # type: ignore[misc]


def _copying(caller: Any) -> bool:
    """Called by ``copy`` / ``pickle`` to make an object their own way (no data given)."""
    return caller is not None and caller.f_globals.get("__name__") in ("copy", "copyreg", "pickle")


def _converting(caller: Any) -> bool:
    """Called by ``pyspark.pandas.from_pandas``: an explicit conversion to Spark, which
    refuses what Spark cannot hold rather than give back a pandas object."""
    return caller is not None and caller.f_globals.get("__name__") == "pyspark.pandas.namespace"


def _local_index(args: tuple, kwargs: dict) -> tuple[tuple, dict]:
    """Local data with a pandas-on-Spark ``index=`` or ``columns=``: brought to pandas, so
    the object is built as pandas builds it (pandas-on-Spark would join the two, naming a
    Series 0 and ordering rows its own way). The data is local, so is the index's size."""
    args, kwargs = list(args), dict(kwargs)
    for at, keyword in ((1, "index"), (2, "columns")):
        value = args[at] if len(args) > at else kwargs.get(keyword)
        if type(value).__module__.startswith("pyspark.pandas"):
            if len(args) > at:
                args[at] = value.to_pandas()
            else:
                kwargs[keyword] = value.to_pandas()
    return tuple(args), kwargs


def _index_data(args: tuple, kwargs: dict) -> bool:
    """The data is a pandas-on-Spark Index alone (with at most a name and a dtype)."""
    index = type(args[0]).__module__.startswith("pyspark.pandas.indexes") if args else False
    return index and len(args) == 1 and set(kwargs) <= {"name", "dtype"}


def _local_data(args: tuple, kwargs: dict) -> bool:
    """Plain Python or pandas data (not Spark's own objects, which pandas-on-Spark passes)."""
    data = args[0] if args else kwargs.get("data")  # None: empty, built in pandas first
    return not type(data).__module__.startswith("pyspark")
