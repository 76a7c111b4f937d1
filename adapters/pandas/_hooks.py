"""Teach pandas-on-Spark classes the fallback policy (installed once, on first spark use).

Methods and frames come out of pandas-on-Spark itself (``df.groupby(...)`` builds its
own objects), so the policy has to live on its classes. Installing:

- adds a stub for each pandas method the class lacks (and replaces pyspark's
  ``pyspark.pandas.missing`` stubs, methods and properties) that applies the policy;
  pandas *properties* pandas-on-Spark never had are left alone, so ``hasattr`` stays
  truthful;
- wraps methods that pandas-on-Spark has but with fewer keywords or stricter arguments
  (:mod:`adapters.pandas._arguments`): the call runs natively when it can, else per policy;
- records on each groupby / window / resampler the call that made it, so a fallback can
  rebuild it in pandas.

Only calls that would raise in plain pandas-on-Spark behave differently.

Examples
--------
>>> install()                               # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import threading
from collections.abc import Callable
from typing import Any

from adapters.migration.rules import Rule, rulebook
from adapters.migration.surface import SURFACES, import_path, import_pyspark_pandas
from adapters.pandas._arguments import checks, prepare
from adapters.pandas._differences import INDEX_COMPARISONS, REFUSED
from adapters.pandas._fallback import ORIGIN, holds_spark, run_attribute, run_function, run_method
from adapters.pandas._guard import (
    INDEXERS,
    guard_constructor,
    guard_method,
    guard_property,
    guarded,
    outermost,
)
from adapters.pandas._holdable import check_holdable
from adapters.pandas._order import (
    AFTER,
    ALIGNING,
    KEEP_ORDER,
    in_aligned_order,
    in_frame_order,
    in_listed_order,
    in_pandas_order,
)
from adapters.pandas._policy import user_line
from toolkit.exceptions import UnsupportedPandasAPIError

__all__ = ["install", "installed"]

# Methods whose result a fallback may need to rebuild in pandas: (API prefix, name).
CONSTRUCTORS = frozenset(
    {
        *(
            (kind, name)
            for kind in ("DataFrame", "Series")
            for name in ("groupby", "rolling", "expanding", "ewm", "resample")
        ),
        *(
            (kind, name)
            for kind in ("DataFrameGroupBy", "SeriesGroupBy")
            for name in ("rolling", "expanding", "ewm")
        ),
        ("DataFrameGroupBy", "__getitem__"),
    }
)
_DUNDERS = ("__iter__", "__getitem__")
# Guarded besides the public methods: item access and assignment, and display (a lazy
# failure surfaces there).
# ``__array__``: without it numpy reads a frame as one opaque object (np.where(m, df, -df)).
_GUARDED_DUNDERS = ("__getitem__", "__setitem__", "__repr__", "__array__")
# Operators and attribute assignment, on frames and series.
_OPERATORS = tuple(
    f"__{name}__"
    for base in ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "and", "or", "xor")
    for name in (base, f"r{base}")
) + (
    "__eq__",
    "__ne__",
    "__lt__",
    "__le__",
    "__gt__",
    "__ge__",
    "__invert__",
    "__neg__",
    "__abs__",
    "__setattr__",
)
# Item access pandas has and these classes lack: a stub that raises, then guarded.
_ITEM_STUBS = {
    "DataFrame": ("__invert__", "__array__"),
    "Series": ("__setitem__", "__setattr__", "__array__"),
    "Index": ("__getitem__", "__array__"),
}
# Subclasses with methods of their own, guarded under their base's API prefix.
_MORE_CLASSES = {
    "Index": tuple(
        f"pyspark.pandas.indexes.{module}:{name}"
        for module, name in (
            ("multi", "MultiIndex"),
            ("datetimes", "DatetimeIndex"),
            ("timedelta", "TimedeltaIndex"),
            ("category", "CategoricalIndex"),
        )
    ),
}
_lock = threading.Lock()
_installed = False


def installed() -> bool:
    """Whether :func:`install` has run in this process."""
    return _installed


def install() -> None:
    """Install the stubs and wrappers on the pandas-on-Spark classes (idempotent)."""
    global _installed
    with _lock:
        if _installed:
            return
        import_pyspark_pandas()
        book = rulebook()
        for prefix, (_, spark_paths, _) in SURFACES.items():
            classes = [import_path(path) for path in spark_paths]
            for name, gap in book.surface.missing[prefix].items():
                own = prefix in ("DataFrame", "Series", "Index")  # no attribute-style columns
                if gap.kind == "property" and gap.source == "absent" and not own:
                    continue
                rule = _blocker(book.rules(gap.api))
                stub = (
                    _method_stub(gap.api, name, rule)
                    if gap.kind == "method"
                    else _property_stub(gap.api, name, rule)
                )
                for cls in classes:
                    setattr(cls, name, stub)
            for name in _DUNDERS:
                rule = _blocker([r for r in book.rules(f"{prefix}.{name}") if not r.when])
                if rule is not None:
                    for cls in classes:
                        setattr(cls, name, _method_stub(rule.api, name, rule))
            for cls in classes:
                _wrap_class(prefix, cls)
        _guard_all()
        for name in ("DataFrame", "Series"):
            _wrap_init(
                import_path(f"pyspark.pandas:{name}"),
                f"pandas.{name}",
                import_path(f"pandas:{name}"),
            )
        _installed = True


def _guard_all() -> None:
    """Fallback on failure (:mod:`adapters.pandas._guard`) for every public method."""
    for prefix, (_, spark_paths, _) in SURFACES.items():
        for path in (*spark_paths, *_MORE_CLASSES.get(prefix, ())):
            cls = import_path(path)
            names = {n for n in dir(cls) if not n.startswith("_")} | set(_GUARDED_DUNDERS)
            if prefix == "Index":
                names |= set(INDEX_COMPARISONS)
            if prefix in ("DataFrame", "Series"):
                names |= set(_OPERATORS)
            for name in _ITEM_STUBS.get(prefix, ()):
                _stub_item(cls, f"{prefix}.{name}", name)
            grouped = prefix in ("DataFrameGroupBy", "SeriesGroupBy")
            for name in sorted(names):
                after = None
                if grouped and (prefix, name) not in CONSTRUCTORS:
                    after = in_pandas_order
                elif prefix in ("DataFrame", "Series") and name in KEEP_ORDER:
                    after = in_frame_order
                elif prefix in ("DataFrame", "Series") and name in ALIGNING:
                    after = in_aligned_order(name)
                elif prefix in ("DataFrame", "Series") and name in ("agg", "aggregate"):
                    after = in_listed_order
                elif prefix in ("DataFrame", "Series") and name in AFTER:
                    after = AFTER[name]
                _guard(cls, f"{prefix}.{name}", name, after=after)
            if prefix == "Index":
                _guard_new(cls, f"pandas.{cls.__name__}")
            if grouped:  # pandas' g.nth[0, 1] as well as g.nth([0, 1])
                _subscriptable(cls, "nth")
    for class_name in INDEXERS:
        cls = import_path(f"pyspark.pandas.indexing:{class_name}")
        for name in ("__getitem__", "__setitem__"):
            _stub_item(cls, f"{class_name}.{name}", name)
            _guard(cls, f"{class_name}.{name}", name)


class _Subscriptable:
    """A bound method that can also be subscripted: ``m[a, b]`` is ``m([a, b])``."""

    def __init__(self, method: Callable[..., Any]) -> None:
        self._method = method

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._method(*args, **kwargs)

    def __getitem__(self, key: Any) -> Any:
        return self._method(list(key) if type(key) is tuple else key)


def _subscriptable(cls: type, name: str) -> None:
    function = vars(cls).get(name) or getattr(cls, name, None)
    if inspect.isfunction(function):
        setattr(cls, name, property(lambda self: _Subscriptable(function.__get__(self))))


def _stub_item(cls: type, api: str, name: str) -> None:
    """Give ``cls`` a ``name`` pandas has (item access, ``~``) that raises, so the guard can
    fall back; ``__setattr__`` is Python's own behaviour, made visible to the guard."""
    if any(name in vars(k) for k in cls.__mro__ if k is not object):
        return

    def stub(self: Any, *args: Any, **kwargs: Any) -> Any:
        if name == "__setattr__":  # Python's own, so the guard sees `s.index = [...]`
            return object.__setattr__(self, *args)
        raise TypeError(f"{api} is not supported by pandas-on-Spark")

    stub.__name__ = stub.__qualname__ = name
    setattr(cls, name, stub)


def _guard(cls: type, api: str, name: str, *, after: Callable[..., Any] | None = None) -> None:
    owner = next((k for k in cls.__mro__ if name in vars(k)), None)
    original = vars(owner).get(name) if owner not in (None, object) else None
    if inspect.isfunction(original) and not guarded(original):
        setattr(cls, name, guard_method(api, name, original, after=after))
    elif (
        isinstance(original, property)
        and inspect.isfunction(original.fget)
        and not guarded(original.fget)
    ):
        setattr(cls, name, guard_property(api, name, original))


def _guard_new(cls: type, api: str) -> None:
    """An Index class built from the user's data refuses cleanly what it cannot hold."""
    original = vars(cls).get("__new__")
    if not isinstance(original, staticmethod) or guarded(original.__func__):
        return
    build = original.__func__

    @functools.wraps(build)
    def __new__(kind: type, *args: Any, **kwargs: Any) -> Any:
        return guard_constructor(api, lambda: build(kind, *args, **kwargs))

    __new__.__scaleout_guard__ = True  # type: ignore[attr-defined]
    cls.__new__ = staticmethod(__new__)  # type: ignore[assignment]


def _blocker(rules: Any) -> Rule | None:
    return next((r for r in rules if r.severity == "blocker"), None)


def _wrap_class(prefix: str, cls: type) -> None:
    names = {name for name in dir(cls) if not name.startswith("_")} | {"__getitem__"}
    for name in sorted(names):
        api = f"{prefix}.{name}"
        constructor = (prefix, name) in CONSTRUCTORS
        if not (constructor or checks(api)):
            continue
        owner = next((k for k in cls.__mro__ if name in vars(k)), None)
        original = vars(owner).get(name) if owner is not None else None
        if not inspect.isfunction(original) or getattr(original, "__scaleout__", False):
            continue
        setattr(cls, name, _wrapped(api, name, original, constructor))


def _wrapped(
    api: str, name: str, original: Callable[..., Any], constructor: bool
) -> Callable[..., Any]:
    needs_check = checks(api)

    @functools.wraps(original)
    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        call_args, call_kwargs = args, kwargs
        if needs_check:
            call_args, call_kwargs, rule = prepare(api, args, kwargs)
            if rule is not None:
                return run_method(api, rule, self, name, args, kwargs)
        out = original(self, *call_args, **call_kwargs)
        if constructor:
            with contextlib.suppress(AttributeError, TypeError):
                object.__setattr__(out, ORIGIN, (self, name, args, kwargs))
        return out

    method.__scaleout__ = True  # type: ignore[attr-defined]
    return method


def _wrap_init(cls: type, api: str, local_cls: type) -> None:
    """``ps.DataFrame({...: ps object})``: pandas-on-Spark cannot read its own objects there."""
    original = vars(cls)["__init__"]
    if getattr(original, "__scaleout__", False):
        return

    @functools.wraps(original)
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        if outermost() and _local_data(args, kwargs):
            args, kwargs = _local_index(args, kwargs)
        if (args or kwargs) and holds_spark((args, kwargs)):
            _, _, rule = prepare(api, args, kwargs)
            if rule is not None:
                built = run_function(api, rule, local_cls, args, kwargs)
                original(self, built)
                return
        elif outermost() and _local_data(args, kwargs):  # in pandas first: refuse what
            # Spark cannot hold (pandas-on-Spark's own calls pass: the guard judges those)
            local = local_cls(*args, **kwargs)
            check_holdable(local, api=api)
            guard_constructor(api, lambda: original(self, local))
            return
        original(self, *args, **kwargs)

    __init__.__scaleout__ = True  # type: ignore[attr-defined]
    cls.__init__ = __init__  # type: ignore[misc]


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


def _local_data(args: tuple, kwargs: dict) -> bool:
    """Plain Python or pandas data (not Spark's own objects, which pandas-on-Spark passes)."""
    data = args[0] if args else kwargs.get("data")  # None: empty, built in pandas first
    return not type(data).__module__.startswith("pyspark")


def _method_stub(api: str, name: str, rule: Rule | None) -> Callable[..., Any]:
    def stub(self: Any, *args: Any, **kwargs: Any) -> Any:
        return run_method(api, rule or _generic(api), self, name, args, kwargs)

    stub.__name__ = stub.__qualname__ = name
    stub.__doc__ = f"{api} is not in pandas-on-Spark: runs per the adapters.pandas fallback policy."
    stub.__scaleout__ = True  # type: ignore[attr-defined]
    return stub


def _property_stub(api: str, name: str, rule: Rule | None) -> property:
    def getter(self: Any) -> Any:
        if name in REFUSED:  # a pandas copy's metadata would be changed, not this object's
            raise UnsupportedPandasAPIError(f"{api} at {user_line()}: {REFUSED[name]}.")
        return run_attribute(api, rule or _generic(api), self, name)

    getter.__name__ = name
    getter.__scaleout__ = True  # type: ignore[attr-defined]
    return property(getter, doc=f"{api} is not in pandas-on-Spark: runs per the fallback policy.")


def _generic(api: str) -> Rule:
    from adapters.migration.rules import alternative

    return Rule(api, "blocker", f"{api} is not implemented in pandas-on-Spark", alternative(api))
