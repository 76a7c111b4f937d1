"""Find pandas data that pandas-on-Spark cannot hold, before it is converted into other values.

Spark has no unsigned, complex, half-precision, sparse, period, interval or time-zone
aware column types; an object column mixing kinds of value becomes one type (or
fails); a dict in a cell comes back as a Row, a list as a read-only numpy array; a
timestamp or duration stored in seconds overflows Spark's nanoseconds.
:func:`holdable_problem` names the first such column, its dtype, and a fix; it is asked
wherever pandas data is about to become pandas-on-Spark (constructors and fallback
results), which then refuse the data or keep it in pandas (:mod:`adapters.pandas._kept`).

Examples
--------
>>> import pandas
>>> check_holdable(pandas.DataFrame({"n": [1, 2]}), api="pandas.DataFrame")
>>> check_holdable(pandas.Series([1, 2], dtype="uint8", name="n"), api="pandas.Series")
Traceback (most recent call last):
...
toolkit.exceptions.UnsupportedPandasAPIError: pandas.Series: column 'n' has dtype uint8, which Spark cannot hold (no unsigned integers). Fix: cast it first, e.g. .astype('int64').
"""

from __future__ import annotations

from typing import Any

from toolkit.exceptions import UnsupportedPandasAPIError

__all__ = ["check_holdable", "holdable_problem", "without_categories"]


def without_categories(value: Any, *, api: str) -> Any:
    """``value`` with categorical columns as their values (pandas-on-Spark loses categories
    across frames); interval categories are refused (Spark cannot store them)."""
    import pandas

    if isinstance(value, pandas.DataFrame):
        if value.columns.has_duplicates:  # holdable_problem refuses it by name
            return value
        columns = {
            c: without_categories(value[c], api=api) for c in value.columns if _cat(value[c])
        }
        return value.assign(**columns) if columns else value
    if not isinstance(value, pandas.Series) or not _cat(value):
        return value
    categories = value.cat.categories
    if isinstance(categories, pandas.IntervalIndex):
        raise UnsupportedPandasAPIError(
            f"{api} ran in pandas, but its result holds pandas Interval values, which "
            "Spark cannot store. Pass labels=[...] (e.g. pd.cut(s, bins, labels=names)) or "
            "convert with .astype(str)."
        )
    if value.isna().any() or categories.dtype == object:
        return value.astype(object).where(value.notna(), None)
    return value.astype(categories.dtype)


def _cat(series: Any) -> bool:
    import pandas

    return isinstance(series.dtype, pandas.CategoricalDtype)


def check_holdable(value: Any, *, api: str) -> None:
    """Raise :class:`~toolkit.exceptions.UnsupportedPandasAPIError` when :func:`holdable_problem`
    finds one."""
    problem = holdable_problem(value)
    if problem is not None:
        raise UnsupportedPandasAPIError(f"{api}: {problem}")


def holdable_problem(value: Any) -> str | None:
    """What Spark cannot hold in ``value`` (a pandas DataFrame, Series or Index): the first
    such column or index, its dtype, why and a fix; None when it can hold all of it.

    Examples
    --------
    >>> import pandas
    >>> holdable_problem(pandas.Series(["a", 1], name="code"))[:40]
    "column 'code' has dtype object, which Sp"
    """
    import pandas

    if isinstance(value, pandas.DataFrame):
        if value.columns.has_duplicates:
            twice = value.columns[value.columns.duplicated()][0]
            return (
                f"two columns are named {twice!r}, which Spark cannot hold (a column is found "
                "by its name). Fix: give the columns distinct names"
            )
        columns = [(f"column {name!r}", value.iloc[:, i]) for i, name in enumerate(value.columns)]
        parts = [*columns, ("the index", value.index)]
    elif isinstance(value, pandas.Series):
        named = "the values" if value.name is None else f"column {value.name!r}"
        parts = [(named, value), ("the index", value.index)]
    elif isinstance(value, pandas.Index):
        parts = [("the index", value)]
    else:
        return None
    for where, data in parts:
        for level in _levels(data):
            problem = _problem(level)
            if problem is not None:
                why, fix = problem
                return (
                    f"{where} has dtype {level.dtype}, which Spark cannot hold ({why}). Fix: {fix}."
                )
    return None


def _levels(data: Any) -> list[Any]:
    import pandas

    if isinstance(data, pandas.MultiIndex):
        return [data.get_level_values(i) for i in range(data.nlevels)]
    return [data]


def _problem(data: Any) -> tuple[str, str] | None:
    import pandas

    dtype = data.dtype
    if isinstance(dtype, pandas.SparseDtype):
        return "no sparse columns", "densify it first: .sparse.to_dense()"
    if isinstance(dtype, pandas.DatetimeTZDtype):
        return (
            "no time-zone aware timestamps; they would come back as naive UTC",
            "convert to naive first, e.g. .dt.tz_convert(None) (or keep the zone in a "
            "separate string column)",
        )
    if isinstance(dtype, (pandas.PeriodDtype, pandas.IntervalDtype)):
        return "no periods or intervals", "convert them to strings or to their start values"
    kind = getattr(dtype, "kind", "O")
    if kind == "u":
        return "no unsigned integers", "cast it first, e.g. .astype('int64')"
    if kind == "c":
        return "no complex numbers", "split it into .real and .imag columns"
    if str(dtype) == "float16":
        return "no half-precision floats", "cast it first: .astype('float32')"
    if kind in "mM" and getattr(dtype, "name", "").endswith(("[s]", "[ms]", "[us]")):
        return _outside_nanoseconds(data)
    if kind == "O":
        return _mixed(data)
    return None


def _outside_nanoseconds(data: Any) -> tuple[str, str] | None:
    """A timestamp or duration in s/ms/us that does not fit Spark's nanosecond range."""
    unit = data.dtype.name.rpartition("[")[0]
    try:
        data.astype(f"{unit}[ns]")
    except (OverflowError, ValueError):
        return (
            "its values overflow the nanosecond range Spark converts through",
            "keep such values in pandas, or store them as integers in their unit",
        )
    return None


def _mixed(data: Any) -> tuple[str, str] | None:
    import pandas

    kind = pandas.api.types.infer_dtype(data, skipna=True)
    if kind == "empty" and len(data) == 0:
        return (
            "an empty object column has no Spark type: it becomes NullType, which cannot "
            "come back to pandas",
            "give it a dtype, e.g. pandas.Series(dtype='float64') or .astype('string')",
        )
    if kind in ("mixed-integer", "mixed-integer-float"):
        return (
            "an object column mixing numbers with other values becomes one type",
            "give it one type, e.g. .astype(str) or pandas.to_numeric(...)",
        )
    if kind != "mixed":
        return None
    values = [v for v in data if v is not None and not (isinstance(v, float) and v != v)]
    if values and all(type(v) is list for v in values):
        return (
            "lists in cells come back as read-only numpy arrays: a cell read is another "
            "type, and changing it never reaches the data",
            "explode them into rows (.explode()) or keep the frame in pandas",
        )
    if any(isinstance(v, dict) for v in values):
        return (
            "a dict in a cell comes back as a Row",
            "expand it into columns, e.g. pandas.json_normalize",
        )
    return (
        "an object column mixing kinds of value becomes one type",
        "give it one type, e.g. .astype(str)",
    )
