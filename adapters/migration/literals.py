"""What literals in the source say about values: kinds of list items, numpy arrays, dates.

The facts become type names of a :class:`~adapters.migration.conditions.StaticArg`
(``mixed``, ``mixed_rows``, ``scalars``, ``repeats``, ``many``, ``unordered``, ``mask``,
``complex``, ``array``, ...), which rule conditions test.

Examples
--------
>>> from adapters.migration.conditions import StaticArg
>>> sorted(list_types((StaticArg("a"), StaticArg(1))))
['list', 'many', 'mixed', 'scalars']
"""

from __future__ import annotations

import ast
import re
from typing import Any

from adapters.migration.conditions import UNKNOWN, StaticArg

__all__ = [
    "ARRAY_FUNCTIONS",
    "ARRAY_METHODS",
    "CONVERTING_FUNCTIONS",
    "date_slice",
    "dict_types",
    "list_types",
]

# numpy functions that build an array; methods of an array that give an array again.
ARRAY_FUNCTIONS = frozenset(
    {"array", "arange", "zeros", "ones", "full", "empty", "linspace", "eye", "identity"}
    | {"random.randn", "random.rand", "random.randint", "random.random", "random.normal"}
)
ARRAY_METHODS = frozenset({"reshape", "astype", "copy", "ravel", "flatten", "transpose"})
# numpy functions that read their arguments as arrays (no pandas method is called): a
# pandas-on-Spark object there is read as a plain sequence.
CONVERTING_FUNCTIONS = frozenset(
    {"where", "select", "asarray", "asanyarray", "array", "concatenate", "stack", "vstack"}
    | {"hstack", "column_stack", "unique", "sort", "isin", "percentile", "quantile", "median"}
)
_PROPAGATED = frozenset({"complex", "tzaware", "period"})  # a list holding one is one
_DATE = re.compile(r"^\d{4}-\d{2}(-\d{2})?$")


def _kind(arg: StaticArg) -> str | None:
    """``text``, ``number``, ``bool``, ``list`` or ``dict`` for a literal; None otherwise
    (missing values and what the source does not tell)."""
    value = arg.value
    if value is not UNKNOWN:
        if isinstance(value, bool):
            return "bool"
        if isinstance(value, str):
            return "text"
        return "number" if isinstance(value, (int, float)) else None
    if "list" in arg.types:
        return "list"
    return "dict" if "dict" in arg.types else None


def _mixed(items: tuple[StaticArg, ...]) -> bool:
    kinds = {_kind(item) for item in items} - {None, "bool"}
    return len(kinds) > 1


def _rows_mixed(rows: tuple[StaticArg, ...]) -> bool:
    """Rows (lists or tuples of equal length) whose columns mix kinds of value."""
    cells = [row.items for row in rows]
    if len(cells) < 2 or any(
        c is None or "list" not in r.types for c, r in zip(cells, rows, strict=True)
    ):
        return False
    widths = {len(c) for c in cells if c is not None}
    if len(widths) != 1:
        return False
    return any(_mixed(tuple(c[j] for c in cells if c is not None)) for j in range(widths.pop()))


def list_types(items: tuple[StaticArg, ...]) -> frozenset[str]:
    """Type names of a list or tuple literal holding ``items``."""
    found = {"list"} | {t for item in items for t in item.types & _PROPAGATED}
    values = [item.value for item in items]
    plain = bool(items) and all(type(v) in (str, int, float, bool) for v in values)
    if len(items) > 1:
        found.add("many")
    if plain and all(type(v) is bool for v in values):
        found.add("mask")
    elif plain and not any(type(v) is bool for v in values):
        found.add("scalars")
        if len(set(values)) < len(values):
            found.add("repeats")
        if all(type(v) is int for v in values) and (min(values) < 0 or values != sorted(values)):
            found.add("unordered")
    if _mixed(items):
        found.add("mixed")
    if _rows_mixed(items):
        found.add("mixed_rows")
    if items and all(_kind(item) == "list" for item in items):
        found.add("lists")  # as a Series' data: a list in every cell
    return frozenset(found)


def dict_types(values: tuple[StaticArg, ...]) -> frozenset[str]:
    """Type names of a dict literal with ``values``: ``mixed`` (as a column),
    ``mixed_columns`` (a value mixes kinds), ``mixed_records`` (its values are rows
    whose columns mix kinds, orient='index') and ``list_columns`` (a value is a list of
    lists: a column with a list in every cell)."""
    found = {"dict"} | {t for item in values for t in item.types & _PROPAGATED}
    if _mixed(values):
        found.add("mixed")
    if any("mixed" in item.types for item in values):
        found.add("mixed_columns")  # {'A': ['a', 1]}: a column mixing kinds
    if _rows_mixed(values):
        found.add("mixed_records")
    if any("lists" in item.types for item in values):
        found.add("list_columns")  # {'A': [[1, 2], [3]]}: a column of lists
    return frozenset(found)


def date_slice(node: ast.expr) -> bool:
    """A slice with a date string bound (``'2016-01-05':'2016-01-10'``), as in ``loc[...]``."""
    if isinstance(node, ast.Tuple) and node.elts:
        node = node.elts[0]
    if not isinstance(node, ast.Slice):
        return False
    bounds: list[Any] = [node.lower, node.upper]
    return any(
        isinstance(b, ast.Constant) and isinstance(b.value, str) and bool(_DATE.match(b.value))
        for b in bounds
    )
