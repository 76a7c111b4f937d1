"""Move frames between pandas, pandas-on-Spark and Spark, losing nothing on the way.

``to_spark`` records each pandas column's dtype (and the index's name) in the
Spark field metadata, so ``to_pandas`` gives back an equal frame. ``to_pandas``
refuses to collect more than ``max_rows`` rows to the driver.

What Spark cannot hold is refused up front from the dtypes, naming the column and the fix:
mixed-type object, complex, period, interval, sparse and uint64 columns (UnsupportedInputError,
as is anything Arrow still refuses), repeated names and a missing or clashing ``index_col``
(SchemaMismatchError), options of the wrong kind (InvalidOptionError).
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Callable
from typing import Any, Literal

import pandas as pd

from toolkit._typing import IndexCol
from toolkit.exceptions import (
    DriverMemoryError,
    ToolkitAdviceWarning,
    UnsupportedInputError,
    worker_errors,
)
from toolkit.frame_checks import (
    arrow_schema,
    check_index_names,
    check_max_rows,
    check_spark_types,
    check_unique,
    index_names,
    require_columns,
    unconvertible,
)

__all__ = ["DEFAULT_MAX_ROWS", "frame_kind", "to_pandas", "to_pandas_on_spark", "to_spark"]


def _env_max_rows() -> int:
    raw = os.environ.get("SCALEOUT_MAX_ROWS", "1000000").strip()
    whole = raw.isascii() and raw.isdigit()
    if not whole:
        message = (f"SCALEOUT_MAX_ROWS={raw!r} is not a whole number of rows (0 or more); using "
                   "max_rows=1,000,000. Set digits only, e.g. SCALEOUT_MAX_ROWS=5000000.")  # fmt: skip
        warnings.warn(message, ToolkitAdviceWarning, stacklevel=2)
    return int(raw) if whole else 1_000_000


DEFAULT_MAX_ROWS = _env_max_rows()
_META = "scaleout"
_RESTORABLE = frozenset({"Int8", "Int16", "Int32", "Int64", "UInt8", "UInt16", "UInt32", "boolean",
                         "string", "Float32", "Float64", "float32", "int8", "int16", "int32"})  # fmt: skip

FrameKind = Literal["pandas", "pandas_on_spark", "spark"]


def frame_kind(data: Any) -> FrameKind:
    """Name the kind of DataFrame ``data`` is, or raise :class:`UnsupportedInputError`.

    Examples
    --------
    >>> frame_kind(pd.DataFrame({"a": [1]}))
    'pandas'
    """
    if isinstance(data, pd.DataFrame):
        return "pandas"
    module = type(data).__module__
    if module.startswith("pyspark.pandas"):
        return "pandas_on_spark"
    if module.startswith("pyspark.sql"):
        from pyspark.sql import DataFrame

        if isinstance(data, DataFrame):
            return "spark"
    raise UnsupportedInputError(
        "Expected a pandas, pandas-on-Spark or Spark DataFrame, got "
        f"{type(data).__module__}.{type(data).__qualname__}. "
        "Wrap arrays in pandas.DataFrame(...) with column names first."
    )


def to_spark(data: Any, *, index_col: IndexCol = None) -> Any:
    """Return ``data`` as a Spark DataFrame.

    Parameters
    ----------
    data : pandas, pandas-on-Spark or Spark DataFrame
    index_col : str or list of str, optional
        Keep the (pandas or pandas-on-Spark) index as column(s) of this name.

    Examples
    --------
    >>> sdf = to_spark(pd.DataFrame({"x": [1, 2]}, index=[10, 20]), index_col="id")  # doctest: +SKIP
    >>> sdf.columns                                                                    # doctest: +SKIP
    ['id', 'x']
    """
    kind = frame_kind(data)
    names = index_names(index_col)
    if kind == "spark":
        return data
    if kind == "pandas_on_spark":
        if names is not None:
            check_index_names(names, data.index.nlevels, [str(c) for c in data.columns])
        return data.to_spark(index_col=names)
    return _pandas_to_spark(data, names)


def to_pandas(
    data: Any, *, index_col: IndexCol = None, max_rows: int | None = DEFAULT_MAX_ROWS
) -> pd.DataFrame:
    """Collect ``data`` to a pandas DataFrame on the driver, refusing more than ``max_rows``.

    Parameters
    ----------
    data : pandas, pandas-on-Spark or Spark DataFrame (batch)
    index_col : str or list of str, optional
        Spark column(s) to make the pandas index (as written by ``to_spark(..., index_col=)``).
    max_rows : int or None
        Raise :class:`DriverMemoryError` rather than collect more rows; ``None`` disables.

    Examples
    --------
    >>> to_pandas(spark.range(3), max_rows=10)["id"].tolist()  # doctest: +SKIP
    [0, 1, 2]
    """
    kind = frame_kind(data)
    names = index_names(index_col)
    max_rows = check_max_rows(max_rows)
    if names is not None:
        require_columns(names, list(data.columns))
    if kind == "pandas":
        return data.set_index(names) if names is not None else data
    if kind == "pandas_on_spark":
        with worker_errors(), warnings.catch_warnings():
            if max_rows is not None:
                _guard(len(data.head(max_rows + 1)), max_rows, lambda: len(data))
            warnings.simplefilter("ignore")  # the guard is the advice pandas-on-Spark would give
            local = _collect(data.to_pandas)
        return local.set_index(names) if names is not None else local
    if data.isStreaming:
        raise UnsupportedInputError(
            "to_pandas got a streaming DataFrame, which has no end to collect. "
            "Write it with writeStream (or score it with tk.score) instead."
        )
    with worker_errors(), warnings.catch_warnings():
        # a failed job is re-raised below as its ToolkitError; pyspark's note that Arrow
        # could not finish adds nothing to it
        warnings.filterwarnings("ignore", message="toPandas attempted Arrow optimization")
        if max_rows is not None:
            _guard(data.limit(max_rows + 1).count(), max_rows, data.count)
        return _restore_pandas(_collect(data.toPandas), data.schema, names)


def to_pandas_on_spark(data: Any, *, index_col: IndexCol = None) -> Any:
    """Return ``data`` as a pandas-on-Spark DataFrame.

    Parameters
    ----------
    data : pandas, pandas-on-Spark or Spark DataFrame
        The frame to convert; a pandas-on-Spark one is returned as it is.
    index_col : str or list of str, optional
        Column(s) to make the index; otherwise pandas keeps its index and a Spark frame
        gets pandas-on-Spark's default one.

    Examples
    --------
    >>> psdf = to_pandas_on_spark(pd.DataFrame({"x": [1, 2]}))  # doctest: +SKIP
    >>> type(psdf).__module__                                   # doctest: +SKIP
    'pyspark.pandas.frame'
    """
    kind = frame_kind(data)
    names = index_names(index_col)
    if kind == "pandas_on_spark":
        return data
    if names is not None:
        require_columns(names, list(data.columns))
    if kind == "spark":
        return data.pandas_api(index_col=names)
    frame = data.set_index(names) if names is not None else data
    levels = [f"__index_level_{i}__" for i in range(frame.index.nlevels)]
    psdf = _pandas_to_spark(frame, levels).pandas_api(index_col=levels)
    psdf.index.names = list(frame.index.names)
    return psdf


def _collect(to_pandas: Callable[[], pd.DataFrame]) -> pd.DataFrame:
    try:
        return to_pandas()
    except (TypeError, ValueError, NotImplementedError) as exc:  # Arrow's and pyspark's
        named = type(exc).__module__ == "toolkit.exceptions"  # a worker's refusal, via the guard
        raise (
            exc if named else unconvertible("a column of the Spark frame", exc, to="pandas")
        ) from None


def _guard(rows: int, max_rows: int, count_all: Callable[[], int]) -> None:
    if rows <= max_rows:
        return
    raise DriverMemoryError(
        f"to_pandas would collect {count_all():,} rows to the driver; the limit is max_rows={max_rows:,}. "
        "Filter or sample first (df.where(...), df.sample(fraction=...)), pass max_rows=None "
        "if the driver has the memory, or keep the work distributed and write files "
        "(df.write.parquet(path), tk.score_files(...))."
    )


def _strings_for_categories(pdf: pd.DataFrame) -> pd.DataFrame:
    categorical = [c for c in pdf.columns if isinstance(pdf[c].dtype, pd.CategoricalDtype)]
    if not categorical:
        return pdf
    out = pdf.copy()
    for col in categorical:
        values = out[col]
        out[col] = values.astype(str).astype(object).where(values.notna(), None)
    return out


def _pandas_to_spark(pdf: pd.DataFrame, index_col: list[str] | None) -> Any:
    from pyspark.sql.pandas.types import from_arrow_type
    from pyspark.sql.types import StructField, StructType

    from toolkit.session.api import active_session

    index_meta: dict[str, dict[str, Any]] = {}
    frame = pdf
    if index_col is not None:
        check_index_names(index_col, pdf.index.nlevels, [str(c) for c in pdf.columns])
        for pos, (new, old) in enumerate(zip(index_col, pdf.index.names, strict=True)):
            index_meta[new] = {"index": pos, "index_name": old}
        frame = pdf.copy(deep=False)
        frame.index = frame.index.set_names(index_col)
        frame = frame.reset_index()
    else:
        frame = frame.reset_index(drop=True)
    check_unique([str(c) for c in frame.columns])
    check_spark_types(frame)
    dtypes = {str(c): str(frame[c].dtype) for c in frame.columns}
    frame = _strings_for_categories(frame)
    arrow = arrow_schema(frame)
    fields = []
    for f in arrow:
        try:
            spark_type = from_arrow_type(f.type, prefer_timestamp_ntz=True)
        except (TypeError, ValueError, NotImplementedError) as exc:
            raise unconvertible(f"column {f.name!r} ({dtypes[f.name]})", exc) from None
        meta = json.dumps({"pandas_dtype": dtypes[f.name], **index_meta.get(f.name, {})})
        fields.append(StructField(f.name, spark_type, nullable=True, metadata={_META: meta}))
    try:
        return active_session().createDataFrame(frame, schema=StructType(fields))
    except (TypeError, ValueError, NotImplementedError) as exc:  # Arrow's and pyspark's
        raise unconvertible("the frame", exc) from None


def _restore_pandas(pdf: pd.DataFrame, schema: Any, index_col: list[str] | None) -> pd.DataFrame:
    index_names: dict[str, Any] = {}
    for pos, field in enumerate(schema.fields):  # by position: Spark allows repeated names
        try:  # a foreign "scaleout" key that is not our JSON object: nothing to restore
            meta = dict(json.loads(field.metadata.get(_META, "{}")) if field.metadata else {})
        except (TypeError, ValueError):
            meta = {}
        dtype = meta.get("pandas_dtype")
        if dtype in _RESTORABLE and str(pdf.dtypes.iloc[pos]) != dtype:
            pdf.isetitem(pos, pdf.iloc[:, pos].astype(dtype))
        if "index" in meta:
            index_names[field.name] = meta.get("index_name")
    if index_col is None:
        return pdf
    out = pdf.set_index(index_col)
    out.index = out.index.set_names([index_names.get(c, c) for c in index_col])
    return out
