"""What Spark cannot hold, and options of the wrong kind: the checks behind :mod:`toolkit.bridge`.

Each check names the column or option, what arrived and the fix, as a
:class:`~toolkit.exceptions.ToolkitError`.

Examples
--------
>>> index_names("id")
['id']
>>> check_unique(["a", "a"])
Traceback (most recent call last):
...
toolkit.exceptions.SchemaMismatchError: column 'a' appears 2 times (as text); Spark needs unique column names. Rename the copies (df.columns = [...]) or drop them (df.loc[:, ~df.columns.duplicated()]).
"""

from __future__ import annotations

import difflib
import numbers
from collections import Counter
from typing import Any

import numpy as np
import pandas as pd

from toolkit.exceptions import InvalidOptionError, SchemaMismatchError, UnsupportedInputError

__all__ = [
    "arrow_schema",
    "check_index_names",
    "check_max_rows",
    "check_spark_types",
    "check_unique",
    "index_names",
    "require_columns",
    "spark_type_refusal",
    "unconvertible",
]


def index_names(index_col: Any) -> list[str] | None:
    """``index_col`` as a list of names (None stays None); anything else is refused."""
    names = [index_col] if isinstance(index_col, str) else index_col
    if index_col is None or (
        isinstance(names, (list, tuple)) and names and all(isinstance(c, str) for c in names)
    ):
        return None if index_col is None else list(names)
    raise InvalidOptionError(
        f"index_col must be a column name or a non-empty list of names; got {index_col!r} "
        f"({type(index_col).__name__}). Pass e.g. index_col='id' or index_col=['k1', 'k2'], "
        "or leave it out."
    )


def check_max_rows(max_rows: Any) -> int | None:
    """``max_rows`` as an int (None: no limit); anything but a whole number >= 0 is refused."""
    if max_rows is None:
        return None
    whole = isinstance(max_rows, numbers.Integral) and not isinstance(max_rows, (bool, np.bool_))
    if not whole or max_rows < 0:
        raise InvalidOptionError(
            f"max_rows must be a whole number of rows (0 or more) or None for no limit; got "
            f"{max_rows!r} ({type(max_rows).__name__}). Pass e.g. max_rows=1_000_000, or "
            "max_rows=None if the driver has the memory."
        )
    return int(max_rows)


def require_columns(names: list[str], columns: list[Any]) -> None:
    """Each of ``names`` is exactly one of ``columns`` (else the closest names are offered)."""
    for name in names:
        found = columns.count(name)
        if found == 1:
            continue
        if found > 1:
            raise SchemaMismatchError(
                f"index_col={name!r} matches {found} columns of that name; the index needs "
                "exactly one. Rename or drop the copies first."
            )
        close = difflib.get_close_matches(name, [str(c) for c in columns], n=3)
        hint = f"Did you mean {', '.join(map(repr, close))}? " if close else ""
        raise SchemaMismatchError(
            f"index_col={name!r} is not a column of the frame; its columns are {columns[:20]}"
            f"{' (first 20)' if len(columns) > 20 else ''}. "
            f"{hint}Pass one of them, or leave index_col out."
        )


def check_index_names(names: list[str], levels: int, columns: list[str]) -> None:
    """One name per index level, none already a column."""
    if len(names) != levels:
        raise UnsupportedInputError(
            f"index_col names {len(names)} column(s) but the index has {levels} "
            "level(s); give one name per level."
        )
    clash = [n for n in names if n in columns]
    if clash:
        raise SchemaMismatchError(
            f"index_col={clash[0]!r} would add the index as column {clash[0]!r}, but the frame "
            "already has a column of that name, and Spark needs unique column names. Pick "
            f"another name (index_col={clash[0] + '_index'!r}), or rename the column first."
        )


def check_unique(columns: list[str]) -> None:
    """No column name repeats (Spark needs unique names)."""
    repeated = [name for name, n in Counter(columns).items() if n > 1]
    if repeated:
        name = repeated[0]
        raise SchemaMismatchError(
            f"column {name!r} appears {columns.count(name)} times (as text); Spark needs unique "
            "column names. Rename the copies (df.columns = [...]) or drop them "
            "(df.loc[:, ~df.columns.duplicated()])."
        )


_KINDS = {"bool": (bool, np.bool_), "number": (numbers.Number,), "text": (str, bytes),
          "list": (list, tuple, np.ndarray), "dict": (dict,)}  # fmt: skip


def check_spark_types(frame: pd.DataFrame) -> None:
    """Refuse, from the dtypes (object columns: one C scan), what Spark cannot hold."""
    for pos, name in enumerate(frame.columns):
        found = spark_type_refusal(frame.iloc[:, pos], f"df[{name!r}]")
        if found:
            raise UnsupportedInputError(f"column {name!r} {found}.")


def spark_type_refusal(column: pd.Series, col: str) -> str | None:
    dtype = column.dtype
    kind = pd.api.types.infer_dtype(column, skipna=True) if dtype.kind == "O" else ""
    if pd.api.types.is_complex_dtype(dtype) or kind == "complex":
        return (f"holds complex numbers ({dtype}); Spark has no complex type: keep the parts as "
                f"two float columns ({col}.to_numpy().real and .imag) or use {col}.astype(str)")  # fmt: skip
    if isinstance(dtype, pd.PeriodDtype) or kind == "period":
        return (f"holds periods ({dtype}); Spark has no period type: convert with "
                f"pd.PeriodIndex({col}).to_timestamp() or {col}.astype(str)")  # fmt: skip
    if isinstance(dtype, pd.IntervalDtype) or kind == "interval":
        return (f"holds intervals ({dtype}); Spark has no interval type: convert with "
                f"{col}.astype(str), or keep pd.IntervalIndex({col}).left and .right as columns")  # fmt: skip
    if isinstance(dtype, pd.SparseDtype):
        return f"is {dtype}; Spark has no sparse type: convert with {col}.sparse.to_dense()"
    if str(dtype) in ("uint64", "UInt64"):
        return (f"is {dtype}; Spark's widest integer is a signed 64-bit long: convert with "
                f"{col}.astype('int64') if every value is below 2**63, else .astype('float64')")  # fmt: skip
    if kind not in ("mixed", "mixed-integer"):
        return None
    types = list(dict.fromkeys(type(v) for v in column.dropna()))
    kinds = {next((k for k, t in _KINDS.items() if issubclass(c, t)), c) for c in types}
    if len(kinds) < 2:
        return None  # only lists, only dicts or only numbers: Arrow decides (errors translated)
    names = [t.__name__ for t in types[:5]]
    return (f"holds {', '.join(names[:-1])} and {names[-1]} values in one object column; Spark "
            f"needs one type per column: convert with {col}.astype(str) or "
            f"pd.to_numeric({col}, errors='coerce')")  # fmt: skip


def arrow_schema(frame: pd.DataFrame) -> Any:
    """The Arrow schema of ``frame``; a column Arrow refuses is an UnsupportedInputError naming it."""
    import pyarrow as pa

    try:
        return pa.Schema.from_pandas(frame, preserve_index=False)
    except (TypeError, ValueError, NotImplementedError, pa.ArrowException) as exc:
        for pos, name in enumerate(frame.columns):
            try:
                pa.Schema.from_pandas(frame.iloc[:, [pos]], preserve_index=False)
            except (TypeError, ValueError, NotImplementedError) as column_exc:
                what = f"column {name!r} ({frame.iloc[:, pos].dtype})"
                raise unconvertible(what, column_exc) from None
        raise unconvertible("the frame", exc) from None


def unconvertible(what: str, exc: BaseException, to: str = "a Spark type") -> Exception:
    reason = str(exc).strip().splitlines()[0].rstrip(".") if str(exc).strip() else repr(exc)
    fix = (
        "Convert it to one plain type first (.astype(str), pd.to_numeric(...), pd.to_datetime(...))"
        if to != "pandas"
        else "Cast or filter it in Spark first (F.col(name).cast('string')); pandas timestamps "
        "span the years 1677 to 2262 only"
    )
    return UnsupportedInputError(f"{what} cannot be converted to {to}: {reason}. {fix}.")
