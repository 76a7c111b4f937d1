"""Argument normalisation: make pandas-on-Spark take what pandas takes, or say it cannot.

Adjustments come from :data:`adapters.migration.normalised.NORMALISED` (a single label
where pandas-on-Spark wants a list; keywords it has no use for), and keywords
pandas-on-Spark lacks are dropped when they carry the pandas default. What is left is
checked against the rule book: a blocker there means the call cannot run natively.

Examples
--------
>>> prepare("DataFrame.pivot_table", (), {"index": "region", "values": "v"})[1]  # doctest: +SKIP
{'index': ['region'], 'values': 'v'}
"""

from __future__ import annotations

import functools
from typing import Any

from adapters.migration.rules import Rule, rulebook, same_value

__all__ = ["checks", "prepare"]


def checks(api: str) -> bool:
    """Whether calls of ``api`` need :func:`prepare` (normalisers or blockers: a method
    pandas-on-Spark has but answers differently, such as ``median``, is a blocker too)."""
    book = rulebook()
    if api in book.normalisers or api in book.surface.keywords:
        return True
    return any(rule.severity == "blocker" for rule in book.rules(api))


def prepare(
    api: str, args: tuple, kwargs: dict[str, Any]
) -> tuple[tuple, dict[str, Any], Rule | None]:
    """Return the arguments to give pandas-on-Spark, and the blocker rule if it cannot run them."""
    book = rulebook()
    kwargs = dict(kwargs)
    positions = [p.name for p in book.surface.pandas_parameters(api)]
    for normaliser in book.normalisers.get(api, ()):
        for param in normaliser.params:
            if normaliser.action == "pandas_value":
                passed = param in positions[: len(args)]
                if not passed and kwargs.get(param) is None:
                    kwargs[param] = normaliser.value
            elif normaliser.action == "pandas_default":
                if param not in kwargs and param not in positions[: len(args)]:
                    kwargs[param] = _pandas_default(book, api, param)
            elif param in kwargs:
                kwargs[param] = _adjust(normaliser.action, kwargs[param])
                if kwargs[param] is _DROP:
                    del kwargs[param]
            elif normaliser.action != "drop" and param in positions[: len(args)]:
                at = positions.index(param)
                args = (*args[:at], _adjust(normaliser.action, args[at]), *args[at + 1 :])
    lacking = book.surface.keywords.get(api, {})
    for name in [k for k in kwargs if k in lacking]:
        if same_value(kwargs[name], lacking[name]):
            del kwargs[name]
    return args, kwargs, book.blocker(api, book.bind(api, args, kwargs))


_DROP: Any = object()


def _pandas_default(book: Any, api: str, param: str) -> Any:
    return next(p.default for p in book.surface.pandas_parameters(api) if p.name == param)


def _adjust(action: str, value: Any) -> Any:
    if action == "drop":
        return _DROP
    if action == "listify" and _label(value):
        return [value]
    if action == "callable" and isinstance(value, str):
        return _calling(value)
    if action == "missing_as_nan" and callable(value) and not isinstance(value, type):
        return _missing_as_nan(value)
    return value


def _missing_as_nan(func: Any) -> Any:
    """``func`` called with NaN where pandas-on-Spark passes None (a null in a text column)."""

    @functools.wraps(func)
    def call(value, *args, **kwargs):  # no annotations of its own: pandas-on-Spark reads them
        return func(float("nan") if value is None else value, *args, **kwargs)

    return call


def _calling(name: str) -> Any:
    """A function calling the method ``name`` (``"sum"`` -> ``lambda s: s.sum()``)."""

    def call(data, *args, **kwargs):  # no annotations: pandas-on-Spark reads them as a schema
        return getattr(data, name)(*args, **kwargs)

    call.__name__ = call.__qualname__ = name
    return call


def _label(value: Any) -> bool:
    return (
        value is not None
        and not isinstance(value, (list, tuple))
        and not hasattr(value, "__array__")
    )
