"""Spark SQL expressions built as text, for one query per scored frame.

The native engine writes models of hundreds of terms. Built with
``pyspark.sql.functions``, every literal and operator is a round trip to the JVM
(on classic Spark) and compiling a 20-feature logistic regression took ~4,000 of
them, 0.6 s on the driver for every ``score`` call. :class:`Expr` offers the few
``Column`` operators and functions the engine uses and keeps the SQL text;
:meth:`toolkit.native.plan.NativePlan.apply` hands Spark the whole plan as one query,
on classic Spark and Spark Connect alike.

Literals are exact: a float is written with ``repr`` (which round-trips) and a
``D`` suffix, NaN and infinities as casts, and a string with a quote, backslash or
backtick as UTF-8 bytes, so that no setting of the SQL parser changes its value.

Examples
--------
>>> x = col("a") * lit(0.5) + lit(1)
>>> x.sql
'((`a` * 0.5D) + 1)'
>>> when(isnan(col("a")), lit("it's")).otherwise(lit(None).cast("string")).sql
"CASE WHEN isnan(`a`) THEN decode(X'69742773', 'UTF-8') ELSE CAST(NULL AS string) END"
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from toolkit.scoring.schema import quote

__all__ = [
    "Expr", "abs", "array", "array_contains", "array_position", "bind", "coalesce", "col",
    "concat", "element_at", "exp", "greatest", "isnan", "least", "lit", "log", "named_struct",
    "raise_error", "regexp_replace", "sqrt", "when",
]  # fmt: skip

_INT32 = 2**31


def _operator(op: str) -> Any:
    """The method for a binary SQL operator (``a + b``, ``a AND b``, ``a = b``...)."""

    def method(self: Expr, other: Any) -> Expr:
        return self._binary(op, other)

    return method


class Expr:
    """A Spark SQL expression as text, with the ``Column`` operators the engine uses.

    ``nodes`` counts the expressions it holds (the size of the code Spark generates for
    it grows with it); ``depth`` is the projection it can be computed in (one past the
    deepest shared column it reads, see :meth:`toolkit.native.block.Trace.share`).
    """

    __slots__ = ("sql", "nodes", "depth", "_cases")

    def __init__(
        self, sql: str, nodes: int = 1, depth: int = 0, cases: tuple[str, ...] = ()
    ) -> None:
        self.sql = sql
        self.nodes = nodes
        self.depth = depth
        self._cases = cases  # the WHEN ... THEN ... parts of an open CASE

    def __repr__(self) -> str:
        return f"Expr({self.sql!r})"

    def _binary(self, op: str, other: Any) -> Expr:
        other = _expr(other)
        return _node(f"({self.sql} {op} {other.sql})", self, other)

    __add__, __sub__, __mul__, __truediv__ = (_operator(op) for op in "+-*/")
    __and__, __or__ = _operator("AND"), _operator("OR")
    __eq__, __ne__ = _operator("="), _operator("!=")
    __lt__, __le__, __gt__, __ge__ = (_operator(op) for op in ("<", "<=", ">", ">="))

    def __neg__(self) -> Expr:
        return _node(f"(- {self.sql})", self)

    def __invert__(self) -> Expr:
        return _node(f"(NOT {self.sql})", self)

    __hash__ = None  # type: ignore[assignment]

    def __bool__(self) -> bool:
        raise TypeError("an Expr has no truth value (use & | ~ for and, or, not)")

    def isNull(self) -> Expr:  # noqa: N802 (Column's name)
        return _node(f"({self.sql} IS NULL)", self)

    def cast(self, type_name: str) -> Expr:
        return _node(f"CAST({self.sql} AS {type_name})", self)

    def when(self, condition: Any, value: Any) -> Expr:
        """Another branch of a ``when(...)`` chain."""
        if not self._cases:
            raise TypeError("when() follows when(), as on a Column")
        condition, value = _expr(condition), _expr(value)
        cases = (*self._cases, f"WHEN {condition.sql} THEN {value.sql}")
        return _node(_case(cases, None), self, condition, value, cases=cases, own=0)

    def otherwise(self, value: Any) -> Expr:
        """The ``ELSE`` of a ``when(...)`` chain."""
        if not self._cases:
            raise TypeError("otherwise() follows when(), as on a Column")
        value = _expr(value)
        return _node(_case(self._cases, value.sql), self, value, own=0)


def _node(sql: str, *children: Expr, cases: tuple[str, ...] = (), own: int = 1) -> Expr:
    """An expression over ``children``: their nodes plus ``own``, at their deepest depth."""
    nodes = own + sum(c.nodes for c in children)
    return Expr(sql, nodes, max((c.depth for c in children), default=0), cases)


def _case(cases: tuple[str, ...], otherwise: str | None) -> str:
    tail = f" ELSE {otherwise}" if otherwise is not None else ""
    return f"CASE {' '.join(cases)}{tail} END"


def _expr(value: Any) -> Expr:
    return value if isinstance(value, Expr) else lit(value)


def _call(name: str, *args: Any) -> Expr:
    items = [_expr(a) for a in args]
    return _node(f"{name}({', '.join(a.sql for a in items)})", *items)


def lit(value: Any) -> Expr:
    """A literal of the type ``functions.lit`` gives it (a float is a double); a constant
    costs no code of its own, so it counts as no node."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None:
        return Expr("NULL", 0)
    if isinstance(value, bool):
        return Expr("TRUE" if value else "FALSE", 0)
    if isinstance(value, int):
        return Expr(str(value) if -_INT32 <= value < _INT32 else f"{value}L", 0)
    if isinstance(value, float):
        if math.isnan(value):
            return Expr("CAST('NaN' AS DOUBLE)", 0)
        if math.isinf(value):
            return Expr(f"CAST('{'-' if value < 0 else ''}Infinity' AS DOUBLE)", 0)
        return Expr(f"{value!r}D" if value >= 0 else f"(- {-value!r}D)", 0)
    if isinstance(value, str):
        if any(c in value for c in "'\\`"):  # a backtick too: no text can look like a column
            return Expr(f"decode(X'{value.encode('utf-8').hex().upper()}', 'UTF-8')", 0)
        return Expr(f"'{value}'", 0)
    raise TypeError(f"no SQL literal for {type(value).__name__}")


def col(name: str, *, depth: int = 0) -> Expr:
    """The column ``name``, quoted whatever characters it holds; ``depth`` is the
    projection that can first read it (0: a column of the input)."""
    return Expr(quote(name), 1, depth)


def when(condition: Any, value: Any) -> Expr:
    """``CASE WHEN condition THEN value``; chain ``.when`` and ``.otherwise``."""
    condition, value = _expr(condition), _expr(value)
    cases = (f"WHEN {condition.sql} THEN {value.sql}",)
    return _node(_case(cases, None), condition, value, cases=cases)


def named_struct(fields: dict[str, Any]) -> Expr:
    """A struct of the named fields, in order."""
    return _call("named_struct", *[part for item in fields.items() for part in item])


def bind(values: dict[str, Any], body: Callable[[dict[str, Expr]], Expr]) -> Expr:
    """``body`` over ``values``, each written once: SQL has no ``LET``, so the values go
    into a struct that a lambda receives. ``body`` gets the fields as expressions and
    must read the row only through them (the lambda's variable hides a column ``v``).

    >>> bind({"p": col("a")}, lambda v: v["p"] + v["p"]).sql
    "element_at(transform(array(named_struct('p', `a`)), v -> (v.p + v.p)), 1)"
    """
    fields = {name: Expr(f"v.{name}") for name in values}
    inner, struct = body(fields), named_struct(values)
    text = f"element_at(transform(array({struct.sql}), v -> {inner.sql}), 1)"
    return _node(text, struct, inner, own=3)


def abs(x: Any) -> Expr:  # noqa: A001 (the SQL name)
    return _call("abs", x)


def array(*items: Any) -> Expr:
    return _call("array", *items)


def array_contains(array: Any, value: Any) -> Expr:
    """True when ``array`` holds ``value`` (NaN finds NaN, as in all of Spark SQL)."""
    return _call("array_contains", array, value)


def array_position(array: Any, value: Any) -> Expr:
    return _call("array_position", array, value)


def coalesce(*items: Any) -> Expr:
    return _call("coalesce", *items)


def concat(*items: Any) -> Expr:
    return _call("concat", *items)


def element_at(array: Any, index: Any) -> Expr:
    return _call("element_at", array, index)


def exp(x: Any) -> Expr:
    return _call("exp", x)


def greatest(*items: Any) -> Expr:
    return _call("greatest", *items)


def least(*items: Any) -> Expr:
    return _call("least", *items)


def isnan(x: Any) -> Expr:
    return _call("isnan", x)


def log(x: Any) -> Expr:
    """The natural logarithm (``functions.log`` with one argument)."""
    return _call("ln", x)


def sqrt(x: Any) -> Expr:
    return _call("sqrt", x)


def raise_error(message: Any) -> Expr:
    return _call("raise_error", message)


def regexp_replace(text: Any, pattern: str, replacement: str) -> Expr:
    return _call("regexp_replace", text, pattern, replacement)
