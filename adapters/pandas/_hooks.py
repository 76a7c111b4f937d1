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
from adapters.pandas._constructors import guard_new, wrap_init
from adapters.pandas._differences import INDEX_COMPARISONS, REFUSED
from adapters.pandas._fallback import ORIGIN, run_attribute, run_method
from adapters.pandas._guard import (
    INDEXERS,
    guard_method,
    guard_property,
    guarded,
    refusal,
)
from adapters.pandas._order import after_step
from adapters.pandas._policy import user_line

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
# Properties pandas-on-Spark lacks that get a stub run per the fallback policy; others stay
# absent (hasattr(df, "sparse") stays False, as libraries probe it).
_ABSENT_STUBBED = {"Index": ("str",)}
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
                absent = gap.kind == "property" and gap.source == "absent"
                if absent and name not in _ABSENT_STUBBED.get(prefix, ()):
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
            _refuse_attributes(import_path(f"pyspark.pandas:{name}"), name)
            wrap_init(
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
                after = None if (prefix, name) in CONSTRUCTORS else after_step(prefix, name)
                _guard(cls, f"{prefix}.{name}", name, after=after)
            if prefix == "Index":
                guard_new(cls, f"pandas.{cls.__name__}")
            if grouped:  # pandas' g.nth[0, 1] as well as g.nth([0, 1])
                _subscriptable(cls, "nth")
    for class_name in INDEXERS:
        cls = import_path(f"pyspark.pandas.indexing:{class_name}")
        for name in ("__getitem__", "__setitem__"):
            _stub_item(cls, f"{class_name}.{name}", name)
            _guard(cls, f"{class_name}.{name}", name, after=after_step(class_name, name))


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


def _refuse_attributes(cls: type, prefix: str) -> None:
    """``df.attrs``: a refusal naming why (:data:`REFUSED`), still an AttributeError, so
    ``hasattr(df, "attrs")`` stays False."""
    original = vars(cls)["__getattr__"]
    if getattr(original, "__scaleout__", False):
        return

    @functools.wraps(original)
    def __getattr__(self: Any, key: str) -> Any:
        if key in REFUSED:
            raise refusal(AttributeError)(f"{prefix}.{key} at {user_line()}: {REFUSED[key]}.")
        return original(self, key)

    __getattr__.__scaleout__ = True  # type: ignore[attr-defined]
    cls.__getattr__ = __getattr__  # type: ignore[attr-defined]


def _method_stub(api: str, name: str, rule: Rule | None) -> Callable[..., Any]:
    def stub(self: Any, *args: Any, **kwargs: Any) -> Any:
        return run_method(api, rule or _generic(api), self, name, args, kwargs)

    stub.__name__ = stub.__qualname__ = name
    stub.__doc__ = f"{api} is not in pandas-on-Spark: runs per the adapters.pandas fallback policy."
    stub.__scaleout__ = True  # type: ignore[attr-defined]
    return stub


def _property_stub(api: str, name: str, rule: Rule | None) -> property:
    def getter(self: Any) -> Any:
        return run_attribute(api, rule or _generic(api), self, name)

    getter.__name__ = name
    getter.__scaleout__ = True  # type: ignore[attr-defined]
    return property(getter, doc=f"{api} is not in pandas-on-Spark: runs per the fallback policy.")


def _generic(api: str) -> Rule:
    from adapters.migration.rules import alternative

    return Rule(api, "blocker", f"{api} is not implemented in pandas-on-Spark", alternative(api))
