"""Conditions of the rule book: does ``[param, test, operand]`` hold for a call's arguments?

Run time (:func:`holds`: the real values) and source text (:func:`holds_static`: what a
:class:`StaticArg` says, ``None`` when it cannot be decided) answer the same tests, listed
in :mod:`adapters.migration.gotchas`. Besides the types named there, a value may be:

- ``array`` (a numpy array), ``dict``, ``spark.Series`` / ``spark.DataFrame``;
- ``scalars`` (a list of plain values), ``repeats`` (such a list with a value twice: one
  key per row, not column labels), ``many`` (a list of two or more), ``unordered`` (row
  positions that are negative or not increasing), ``mask`` (a list of booleans);
- ``tzaware`` (a time-zone aware timestamp); and, for the data of a constructor, seen in
  the source only (the adapter checks the built pandas object instead,
  :mod:`adapters.pandas._holdable`): ``complex``, ``period``, ``mixed`` (a list mixing
  text, numbers and lists) and ``mixed_rows`` (rows whose columns mix them).

Examples
--------
>>> holds(("by", "is", "repeats"), {"by": [1, 1, 2]}, {})
True
>>> holds_static(("n", "in", [0]), {"n": StaticArg(choices=(1, 0))}, {})
True
"""

from __future__ import annotations

import inspect
import os
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["POSITIONAL", "UNKNOWN", "StaticArg", "holds", "holds_static", "same_value"]

UNKNOWN: Any = type("Unknown", (), {"__repr__": lambda self: "UNKNOWN"})()
POSITIONAL = "*positional"  # key of bound arguments: the names that were passed by position
_SCALARS = (str, int, float)


@dataclass(frozen=True)
class StaticArg:
    """What the source text tells about one argument.

    ``value`` is the literal (or :data:`UNKNOWN`); ``types`` the type names it surely
    has (``str``, ``path``, ``buffer``, ``callable``, ``pandas.Grouper``, ``numpy.<name>``
    for a numpy attribute, ...); ``typed`` whether a function has a return type hint
    (None: cannot tell); ``items`` the arguments inside a list or tuple literal (the
    values of a dict literal); ``choices`` the literals a loop variable takes, each in turn.
    """

    value: Any = UNKNOWN
    types: frozenset[str] = frozenset()
    typed: bool | None = None
    items: tuple[StaticArg, ...] | None = None
    choices: tuple[Any, ...] | None = None


def same_value(value: Any, default: Any) -> bool:
    """``value`` is ``default`` (or an equal value of the same type); never raises."""
    if value is default:
        return True
    try:
        return type(value) is type(default) and bool(value == default)
    except Exception:  # noqa: BLE001 - arrays and frames have no single truth value
        return False


def unholdable_dtype(dtype: Any) -> str | None:
    """Why Spark cannot hold a column of ``dtype`` (None: it can, or it is no dtype).

    Examples
    --------
    >>> unholdable_dtype("uint8")
    'no unsigned integers'
    >>> unholdable_dtype("int64") is None
    True
    """
    import pandas

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            found = pandas.api.types.pandas_dtype(dtype)
    except (TypeError, ValueError):
        return None
    if isinstance(found, pandas.SparseDtype):
        return "no sparse columns"
    if isinstance(found, (pandas.PeriodDtype, pandas.IntervalDtype)):
        return "no periods or intervals"
    if isinstance(found, pandas.DatetimeTZDtype):
        return "no time-zone aware timestamps"
    kind = getattr(found, "kind", "")
    if kind == "u":
        return "no unsigned integers"
    if kind == "c":
        return "no complex numbers"
    return "no half-precision floats" if str(found) == "float16" else None


def _runtime_type(value: Any, name: str) -> bool:
    module = type(value).__module__
    if name in ("str", "dict"):
        return isinstance(value, str if name == "str" else dict)
    if name == "path":
        return isinstance(value, (str, os.PathLike))
    if name == "buffer":
        return (
            value is not None
            and not isinstance(value, (str, os.PathLike, list, tuple))
            and (hasattr(value, "read") or hasattr(value, "write"))
        )
    if name == "callable":
        return callable(value)
    if name == "list":
        return isinstance(value, (list, tuple))
    if name == "array":
        return module == "numpy" and hasattr(value, "ndim")
    if name in ("spark", "spark.Index", "spark.Series", "spark.DataFrame"):
        where = {"spark.Index": "pyspark.pandas.indexes", "spark.Series": "pyspark.pandas.series"}
        prefix = where.get(
            name, "pyspark.pandas.frame" if name.endswith("Frame") else "pyspark.pandas"
        )
        return module.startswith(prefix) and not isinstance(value, type)
    if name == "pandas.Grouper":
        import pandas

        return isinstance(value, pandas.Grouper)
    if name == "tzaware":
        return getattr(value, "tzinfo", None) is not None
    return isinstance(value, list) and _list_type(value, name)


def _list_type(value: list[Any], name: str) -> bool:
    """The list tests (``scalars``, ``repeats``, ``many``, ``unordered``, ``mask``)."""
    plain = bool(value) and all(type(v) in (*_SCALARS, bool) for v in value)
    if name == "many":
        return len(value) > 1
    if name == "mask":
        return plain and all(type(v) is bool for v in value)
    if name == "unordered":
        ints = plain and all(type(v) is int for v in value)
        return ints and (min(value) < 0 or value != sorted(value))
    scalars = plain and not any(type(v) is bool for v in value)
    if name == "repeats":
        return scalars and len(set(value)) < len(value)
    return name == "scalars" and scalars


def _rule_code(value: Any) -> str | None:
    """The rule code of a pandas offset alias ('3min' -> 'min'), or None when it is not one."""
    from pandas.tseries.frequencies import to_offset

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # deprecated aliases ('M', 'H') still parse
            return to_offset(value).rule_code if isinstance(value, str) else None
    except (ValueError, TypeError):
        return None


def _items(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return list(value.values())
    return list(value) if isinstance(value, (list, tuple)) else []


def _untyped(func: Any) -> bool:
    if not callable(func) or isinstance(func, (str, list, dict, tuple)):
        return False
    target = getattr(func, "__func__", func)
    try:
        return inspect.signature(target).return_annotation is inspect.Signature.empty
    except (TypeError, ValueError):
        return False


def holds(cond: tuple[str, str, Any], args: Mapping[str, Any], defaults: Mapping[str, Any]):
    """Whether ``cond`` holds for the run-time ``args`` (pandas ``defaults`` for the rest)."""
    param, test, operand = cond
    given = param in args
    value = args.get(param, defaults.get(param))
    if test == "keyword" and param in args.get(POSITIONAL, ()):
        return False
    if test in ("given", "keyword"):
        return given and not same_value(value, defaults.get(param, inspect.Parameter.empty))
    if test == "missing":
        return not given or value is None
    if test in ("in", "not_in"):
        inside = any(same_value(value, item) for item in operand)
        return inside if test == "in" else not inside
    if test == "freq_not_in":
        code = _rule_code(value)
        return given and code is not None and code not in operand
    if test == "is":
        return given and _runtime_type(value, operand)
    if test in ("has", "holds"):
        items = _items(value)
        if test == "has" and not isinstance(value, (list, tuple, dict)):
            items = [value]
        return given and any(_runtime_type(item, operand) for item in items)
    if test == "untyped":
        return given and _untyped(value)
    if test == "unholdable":
        return given and value is not None and unholdable_dtype(value) is not None
    raise ValueError(f"unknown condition test {test!r} in {cond!r}")


def holds_static(
    cond: tuple[str, str, Any], args: Mapping[str, StaticArg], defaults: Mapping[str, Any]
) -> bool | None:
    """Whether ``cond`` holds for arguments read from the source (None: cannot tell)."""
    param, test, operand = cond
    arg = args.get(param)
    if test == "missing":
        if arg is None:
            return True
        return None if arg.value is UNKNOWN else arg.value is None
    if arg is None:
        if test in ("in", "not_in"):
            inside = any(same_value(defaults.get(param), item) for item in operand)
            return inside if test == "in" else not inside
        return False
    if test == "keyword" and param in args.get(POSITIONAL, ()):  # type: ignore[operator]
        return False
    if test in ("given", "keyword"):
        default = defaults.get(param, inspect.Parameter.empty)
        return True if arg.value is UNKNOWN else not same_value(arg.value, default)
    if test in ("in", "not_in"):
        values = arg.choices if arg.value is UNKNOWN and arg.choices else (arg.value,)
        if any(v is UNKNOWN for v in values):
            return None
        inside = [any(same_value(v, item) for item in operand) for v in values]
        return any(inside) if test == "in" else not all(inside)
    if test == "freq_not_in":
        code = None if arg.value is UNKNOWN else _rule_code(arg.value)
        return None if code is None else code not in operand
    if test == "is":
        return True if operand in arg.types else None
    if test in ("has", "holds"):
        if test == "has" and operand in arg.types:
            return True
        return True if any(operand in item.types for item in arg.items or ()) else None
    if test == "untyped":
        return None if arg.typed is None else not arg.typed
    if test == "unholdable":
        return _static_unholdable(arg)
    raise ValueError(f"unknown condition test {test!r} in {cond!r}")


def _static_unholdable(arg: StaticArg) -> bool | None:
    import numpy

    named = [t.partition(".")[2] for t in arg.types if t.startswith("numpy.")]
    dtype = getattr(numpy, named[0], None) if named else arg.value
    if dtype is UNKNOWN or dtype is None:
        return None
    return True if unholdable_dtype(dtype) is not None else None
