"""Usages the rule book names with dunder APIs: operators, assignments, indexers, numpy.

:class:`Usages` is a mixin of :class:`~adapters.migration.expressions.Expressions`: it
turns ``df - [1, 2]``, ``~df``, ``idx < 1``, ``df.index = [...]``, ``s[k] = v``,
``df.at[i, c] = v``, ``df.loc[[True, False]]``, ``np.where(m, df, -df)`` and
``pd.Series`` inside a function handed to ``apply`` into look-ups of
``DataFrame.__sub__``, ``DataFrame.__invert__``, ``Index.__lt__``,
``DataFrame.__setattr__``, ``Series.__setitem__``, ``DataFrame.at.__setitem__``,
``DataFrame.loc.__getitem__``, ``DataFrame.__array__`` and ``pandas.Series`` (rules of
:mod:`adapters.migration.usages`), and gives numpy arrays, time-zone aware timestamps and
period indexes a :class:`~adapters.migration.conditions.StaticArg` type.

Examples
--------
>>> from adapters.migration.scanner import scan_source
>>> [f.api for f in scan_source("import pandas as pd\\ndf = pd.DataFrame({'a': [1]})\\n~df\\n")]
['DataFrame.__invert__']
"""

from __future__ import annotations

import ast
from typing import Any

from adapters.migration.conditions import StaticArg
from adapters.migration.inference import Value, dotted, static_arg
from adapters.migration.literals import (
    ARRAY_FUNCTIONS,
    ARRAY_METHODS,
    CONVERTING_FUNCTIONS,
    date_slice,
)
from adapters.migration.rules import RuleBook

__all__ = ["OPERATORS", "Usages"]

OPERATORS = {
    ast.Add: "add",
    ast.Sub: "sub",
    ast.Mult: "mul",
    ast.Div: "truediv",
    ast.FloorDiv: "floordiv",
    ast.Mod: "mod",
    ast.Pow: "pow",
    ast.Eq: "eq",
    ast.NotEq: "ne",
    ast.Lt: "lt",
    ast.LtE: "le",
    ast.Gt: "gt",
    ast.GtE: "ge",
}
_ARRAY = Value("const", static=StaticArg(types=frozenset({"array"})))
_PERIODS = frozenset({"PeriodIndex", "period_range", "IntervalIndex", "interval_range"})
_INDEX_CLASSES = frozenset({"Index", "MultiIndex", "DatetimeIndex", "TimedeltaIndex"})
_NUMPY = frozenset({"np", "numpy"})


class Usages:
    """Look-ups for operators, assignments, indexers and numpy calls (a mixin)."""

    book: RuleBook

    # supplied by Expressions / Scanner
    def expr(self, node: ast.expr, env: dict[str, Value]) -> Value | None: ...
    def lookup(self, base: Value, name: str, call: dict[str, Any]) -> tuple[str, list[Any]]: ...
    def report(
        self, node: ast.AST, api: str, rules: Any, *, unconditional: bool = False
    ) -> None: ...
    def arguments(self, node: ast.Call, env: dict[str, Value], *, udf: bool = False) -> Any: ...

    def operator(
        self, node: ast.AST, op: ast.AST, left: Value | None, right: ast.expr, other: Value | None
    ) -> None:
        """``left <op> right``: the rules of ``<kind>.__<op>__`` with ``other`` bound."""
        name = OPERATORS.get(type(op))
        if left is None or name is None or left.kind not in ("DataFrame", "Index"):
            return
        call = {"args": [static_arg(right, other)], "kwargs": {}}
        unconditional = left.kind == "Index"
        self.report(
            node,
            *self.lookup(left, f"__{name}__", {} if unconditional else call),
            unconditional=unconditional,
        )

    def unary(self, node: ast.UnaryOp, found: Value | None) -> None:
        if isinstance(node.op, ast.Invert) and found is not None and found.kind == "DataFrame":
            self.report(node, *self.lookup(found, "__invert__", {}), unconditional=True)

    def assigned(
        self, target: ast.expr, source: ast.expr | None, value: Value | None, env: dict[str, Value]
    ) -> bool:
        """Rules of assigning to ``target`` (an attribute or item); True when handled."""
        if isinstance(target, ast.Attribute):
            base = self.expr(target.value, env)
            if base is not None and base.kind in ("DataFrame", "Series", "NDFrame"):
                given = static_arg(source, value) if source is not None else StaticArg()
                call = {"args": [StaticArg(target.attr), given], "kwargs": {}}
                self.report(target, *self.lookup(base, "__setattr__", call))
            return True
        if not isinstance(target, ast.Subscript):
            return False
        holder = target.value
        if isinstance(holder, ast.Attribute) and holder.attr in ("at", "iat"):
            owner = self.expr(holder.value, env)
            if owner is not None and owner.is_frame:
                self.report(
                    target,
                    *self.lookup(owner, f"{holder.attr}.__setitem__", {}),
                    unconditional=True,
                )
        else:
            base = self.expr(holder, env)
            if base is not None and base.kind == "Series":
                self.report(target, *self.lookup(base, "__setitem__", {}), unconditional=True)
        self.expr(target.slice, env)
        return True

    def indexed(self, node: ast.Subscript, base: Value) -> None:
        """``df.loc[key]`` / ``df.iloc[key]``: the rules of ``<kind>.<indexer>.__getitem__``."""
        indexer = base.static.value
        if indexer not in ("loc", "iloc") or base.of not in ("DataFrame", "Series"):
            return
        rows = (
            node.slice.elts[0]
            if isinstance(node.slice, ast.Tuple) and node.slice.elts
            else node.slice
        )
        key = static_arg(rows, None)
        if date_slice(node.slice):
            key = StaticArg(types=key.types | {"dateslice"})
        call = {"args": [], "kwargs": {"key": key}}
        self.report(node, *self.lookup(Value(base.of), f"{indexer}.__getitem__", call))

    def numpy_call(self, node: ast.Call, env: dict[str, Value]) -> tuple[bool, Value | None]:
        """A numpy function: arrays it builds, frames it would read as plain sequences."""
        root, _, name = dotted(node.func).partition(".")
        if root not in _NUMPY or root in env:
            return False, None
        args, kwargs = self.arguments(node, env)
        if name in CONVERTING_FUNCTIONS:
            for _, found in [*args, *kwargs.values()]:
                if found is not None and found.kind in ("DataFrame", "Series", "Index"):
                    self.report(node, *self.lookup(found, "__array__", {}), unconditional=True)
        return True, _ARRAY if name in ARRAY_FUNCTIONS else None

    def local_method(
        self, node: ast.Call, func: ast.Attribute, base: Value | None, env: dict[str, Value]
    ) -> tuple[bool, Value | None]:
        """Methods of local values: an array's reshape, a timestamp's tz_localize."""
        if base is None or base.kind not in ("const", "local"):
            return False, None
        if "array" in base.static.types and func.attr in ARRAY_METHODS:
            self.arguments(node, env)
            return True, base
        if func.attr == "tz_localize" and node.args:
            self.arguments(node, env)
            first = node.args[0]
            if isinstance(first, ast.Constant) and first.value is None:
                return True, Value("local")
            return True, Value("const", static=StaticArg(types=frozenset({"tzaware"})))
        return False, None

    def top_level_value(self, top: str, node: ast.Call) -> Value | None:
        """What a pandas scalar or local index constructor gives (None: not one of those)."""
        if top in _PERIODS:
            return Value("const", static=StaticArg(types=frozenset({"period"})))
        if top == "Timestamp":
            zoned = any(
                k.arg in ("tz", "tzinfo")
                and not (isinstance(k.value, ast.Constant) and k.value.value is None)
                for k in node.keywords
            )
            return (
                Value("const", static=StaticArg(types=frozenset({"tzaware"})))
                if zoned
                else Value("local")
            )
        return Value("local") if top in self.book.surface.passthrough else None

    def class_method(self, owner: str) -> Value | None:
        """``pd.MultiIndex.from_tuples(...)``: an Index (a pandas-on-Spark one on Spark)."""
        return Value("Index") if owner in _INDEX_CLASSES else None

    def udf_constructors(self, func: ast.Lambda, env: dict[str, Value]) -> None:
        """``pd.Series(...)`` inside a function handed to apply: built by pandas-on-Spark."""
        for inner in ast.walk(func.body):
            if not (isinstance(inner, ast.Call) and isinstance(inner.func, ast.Attribute)):
                continue
            owner = inner.func.value
            module = env.get(owner.id) if isinstance(owner, ast.Name) else None
            if (
                module is None
                or module.kind != "pandas"
                or inner.func.attr not in ("Series", "DataFrame")
            ):
                continue
            api = f"pandas.{inner.func.attr}"
            rules = [r for r in self.book.rules(api) if r.when and r.when[0][0] == "*udf"]
            self.report(inner.func, api, rules)
