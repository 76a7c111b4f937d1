"""The values flowing through a compiled model: named Spark columns and the trace met so far.

A :class:`Block` is what a scikit-learn step receives or returns, as Spark
``Column`` expressions: one expression per column of the step's array, with its
name (for ``ColumnTransformer`` selections and ``transform`` outputs). Numeric
columns are doubles in which a missing value is NaN, as in the pandas frame the
Python path hands the model; string columns stay strings (null for missing).

A :class:`Trace` list records, in the order scikit-learn would evaluate them, the
conditions under which a step raises and the first line of the message it raises.
``Trace.message()`` is the message of the first step that refuses a row, which is
the message the Python path reports for it.

Examples
--------
>>> unsupported(object(), "it has no native translation").args[0][:46]
'engine="native" cannot compile object: it has '
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from toolkit.exceptions import UnsupportedModelError, first_line
from toolkit.native import sql

__all__ = [
    "INF",
    "NAN",
    "Block",
    "Trace",
    "add_finite_checks",
    "any_of",
    "probe_refusals",
    "unsupported",
]

INF = float("inf")
NAN = float("nan")
HIDDEN = "__scaleout_native_"  # the shared intermediate columns, dropped at the end


def unsupported(step: Any, why: str) -> UnsupportedModelError:
    """The error for a step the native engine cannot compile (``auto`` falls back)."""
    return UnsupportedModelError(
        f'engine="native" cannot compile {type(step).__name__}: {why}. Use engine="auto" (it '
        'scores such models in Python) or engine="python".'
    )


@dataclass
class Block:
    """Columns (Spark expressions) with their names; ``strings`` marks string columns."""

    columns: list[Any]
    names: list[str]
    strings: list[bool] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.strings:
            self.strings = [False] * len(self.columns)

    def __len__(self) -> int:
        return len(self.columns)

    def select(self, keys: Any, step: Any) -> Block:
        """The columns a ``ColumnTransformer`` entry selects (names, positions or a mask)."""
        if isinstance(keys, slice):
            positions = list(range(len(self)))[keys]
        else:
            items = [keys] if isinstance(keys, (str, int, np.integer)) else list(keys)
            if items and all(isinstance(k, (bool, np.bool_)) for k in items):
                positions = [i for i, keep in enumerate(items) if keep]
            else:
                positions = []
                for key in items:
                    if isinstance(key, str):
                        if key not in self.names:
                            raise unsupported(step, f"it selects column {key!r}, not an input")
                        positions.append(self.names.index(key))
                    else:
                        positions.append(int(key))
        return Block(
            [self.columns[i] for i in positions],
            [self.names[i] for i in positions],
            [self.strings[i] for i in positions],
        )

    def numeric(self, step: Any) -> list[Any]:
        """The columns, refusing string ones (a numeric step would raise on them)."""
        if any(self.strings):
            raise unsupported(step, "it receives string columns")
        return self.columns


@dataclass
class Trace:
    """What compiling a model records as it goes: the conditions under which a step raises
    (each with the first line of its message, in evaluation order), and the projections
    that compute shared values once."""

    items: list[tuple[Any, Any]] = field(default_factory=list)
    explained: bool = True  # every refusal comes from a missing or infinite value
    levels: list[dict[str, Any]] = field(default_factory=list)

    def add(
        self, condition: Any, message: Any, *, explained: bool = True, share: bool = True
    ) -> None:
        """Record that the step raises ``message`` when ``condition`` holds; ``explained``
        is False for a refusal a missing or infinite input does not explain. ``share``
        computes the condition once, in a projection: for a large condition, which the
        refusal test and the message both read; a cheap one is written out in each."""
        if isinstance(message, str):
            message = sql.lit(message)
        if share:
            (condition,) = self.share([condition])
        self.items.append((condition, message))
        self.explained = self.explained and explained

    def share(self, columns: list[Any]) -> list[Any]:
        """Compute ``columns`` once, in a projection, and return references to them, so
        that an expression using a value several times does not repeat it (Spark keeps
        such projections apart; inlined, the generated code outgrows the JIT).

        A column goes to the first projection that can compute it (one past the deepest
        shared column it reads): independent values share a projection, and each
        projection is one more plan for the driver to analyse.
        """
        refs = []
        for column in columns:
            name = f"{HIDDEN}{sum(len(level) for level in self.levels)}"
            while len(self.levels) <= column.depth:
                self.levels.append({})
            self.levels[column.depth][name] = column
            refs.append(sql.col(name, depth=column.depth + 1))
        return refs

    def hidden(self) -> list[str]:
        """The names of the shared columns, to drop once the output is computed."""
        return [name for level in self.levels for name in level]

    def refused(self) -> Any:
        """True for a row any step refuses (None when no step can refuse)."""
        return any_of([condition for condition, _ in self.items])

    def message(self) -> Any:
        """The message of the first step that refuses a row :meth:`refused` is true for
        (the last step's needs no test: it is the one left)."""
        if not self.items:
            return sql.lit(None).cast("string")
        *tested, (_, last) = self.items
        return sql.coalesce(*[sql.when(cond, message) for cond, message in tested], last)


def any_of(conditions: list[Any]) -> Any:
    """OR of Spark conditions; None for an empty list."""
    result = None
    for condition in conditions:
        result = condition if result is None else (result | condition)
    return result


def probe_refusals(call: Any, width: int) -> dict[str, str]:
    """Which of NaN and infinity a numeric step refuses, with the first line of its message.

    ``call`` runs the step on a float64 array of ``width`` columns; the probe rows hold
    zeros and one NaN or infinite value, so only that value can be refused.
    """
    import warnings

    found: dict[str, str] = {}
    for kind, value in (("nan", np.nan), ("inf", INF)):
        row = np.zeros((1, width))
        row[0, 0] = value
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # "X does not have valid feature names"
                call(row)
        except (ValueError, TypeError) as exc:
            found[kind] = first_line(exc)
    return found


def add_finite_checks(
    trace: Trace, call: Any, columns: list[Any], *, total: Any | None = None
) -> None:
    """Record the NaN / infinity refusals of a numeric step applied to ``columns``.

    The per-column tests run only for a row whose sum is not finite: NaN and infinities
    carry through a sum, so a finite sum means every value is finite (the common case
    costs one addition per column). ``total`` replaces the sum with a value the step
    computes anyway that has the same property, such as ``w . x + b`` with every column
    in it (``0 * inf`` is NaN): then the common case costs nothing.

    The tests look the values up in an array (Spark's ``array_contains`` finds NaN),
    which keeps the generated code small: the JVM does not compile a row loop over 8,000
    bytes of bytecode, and a model that crosses that line runs several times slower. They
    make one condition, written where it is read rather than computed in a projection of
    its own: every projection is one more plan for the driver to analyse on every call.
    With NaN and infinity both refused, the message is NaN's when the row has a NaN, as
    in scikit-learn.
    """
    found = probe_refusals(call, len(columns))
    if not found or not columns:
        return
    if total is None:
        total = columns[0]
        for column in columns[1:]:
            total = total + column
        (total,) = trace.share([total])
    values = sql.array(*columns)
    if len(found) == 2:  # x * 0 is NaN exactly when x is NaN or infinite
        bad = sql.array_contains(sql.array(*[c * sql.lit(0.0) for c in columns]), NAN)
        nan = sql.array_contains(values, NAN)
        message = sql.when(nan, sql.lit(found["nan"])).otherwise(sql.lit(found["inf"]))
    elif "nan" in found:
        bad, message = sql.array_contains(values, NAN), sql.lit(found["nan"])
    else:
        bad = sql.array_contains(values, INF) | sql.array_contains(values, -INF)
        message = sql.lit(found["inf"])
    trace.add(~(sql.abs(total) < sql.lit(INF)) & bad, message, share=False)
