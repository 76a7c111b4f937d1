"""Move frames between pandas, pandas-on-Spark and Spark, losing nothing on the way.

``to_spark`` records each pandas column's dtype (and the index's name) in the
Spark field metadata, so ``to_pandas`` gives back an equal frame. ``to_pandas``
refuses to collect more than ``max_rows`` rows to the driver.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Callable, Sequence
from typing import Any, Literal

import pandas as pd

from toolkit.exceptions import DriverMemoryError, UnsupportedInputError, worker_errors

__all__ = ["DEFAULT_MAX_ROWS", "frame_kind", "to_pandas", "to_pandas_on_spark", "to_spark"]

DEFAULT_MAX_ROWS = int(os.environ.get("SCALEOUT_MAX_ROWS", "1000000"))
_META = "scaleout"
_RESTORABLE = {
    "Int8",
    "Int16",
    "Int32",
    "Int64",
    "UInt8",
    "UInt16",
    "UInt32",
    "boolean",
    "string",
    "Float32",
    "Float64",
    "float32",
    "int8",
    "int16",
    "int32",
}

FrameKind = Literal["pandas", "pandas_on_spark", "spark"]
IndexCol = str | Sequence[str] | None


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
    if kind == "spark":
        return data
    if kind == "pandas_on_spark":
        return data.to_spark(index_col=index_col)
    return _pandas_to_spark(data, index_col)


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
    if kind == "pandas":
        return data.set_index(_as_list(index_col)) if index_col is not None else data
    if kind == "pandas_on_spark":
        with worker_errors(), warnings.catch_warnings():
            if max_rows is not None:
                _guard(len(data.head(max_rows + 1)), max_rows, lambda: len(data))
            warnings.simplefilter("ignore")  # the guard is the advice pandas-on-Spark would give
            return data.to_pandas()
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
        return _restore_pandas(data.toPandas(), data.schema, index_col)


def to_pandas_on_spark(data: Any, *, index_col: IndexCol = None) -> Any:
    """Return ``data`` as a pandas-on-Spark DataFrame.

    Examples
    --------
    >>> psdf = to_pandas_on_spark(pd.DataFrame({"x": [1, 2]}))  # doctest: +SKIP
    >>> type(psdf).__module__                                   # doctest: +SKIP
    'pyspark.pandas.frame'
    """
    kind = frame_kind(data)
    if kind == "pandas_on_spark":
        return data
    if kind == "spark":
        return data.pandas_api(index_col=index_col)
    frame = data.set_index(_as_list(index_col)) if index_col is not None else data
    levels = [f"__index_level_{i}__" for i in range(frame.index.nlevels)]
    psdf = _pandas_to_spark(frame, levels).pandas_api(index_col=levels)
    psdf.index.names = list(frame.index.names)
    return psdf


def _guard(rows: int, max_rows: int, count_all: Callable[[], int]) -> None:
    if rows <= max_rows:
        return
    raise DriverMemoryError(
        f"to_pandas would collect {count_all():,} rows to the driver; the limit is max_rows={max_rows:,}. "
        "Filter or sample first (df.where(...), df.sample(fraction=...)), pass max_rows=None "
        "if the driver has the memory, or keep the work distributed and write files "
        "(df.write.parquet(path), tk.score_files(...))."
    )


def _as_list(cols: IndexCol) -> list[str]:
    return [cols] if isinstance(cols, str) else list(cols or [])


def _strings_for_categories(pdf: pd.DataFrame) -> pd.DataFrame:
    categorical = [c for c in pdf.columns if isinstance(pdf[c].dtype, pd.CategoricalDtype)]
    if not categorical:
        return pdf
    out = pdf.copy()
    for col in categorical:
        values = out[col]
        out[col] = values.astype(str).astype(object).where(values.notna(), None)
    return out


def _pandas_to_spark(pdf: pd.DataFrame, index_col: IndexCol) -> Any:
    import pyarrow as pa
    from pyspark.sql.pandas.types import from_arrow_type
    from pyspark.sql.types import StructField, StructType

    from toolkit.session import active_session

    index_meta: dict[str, dict[str, Any]] = {}
    frame = pdf
    if index_col is not None:
        names = _as_list(index_col)
        if len(names) != pdf.index.nlevels:
            raise UnsupportedInputError(
                f"index_col names {len(names)} column(s) but the index has {pdf.index.nlevels} "
                "level(s); give one name per level."
            )
        for pos, (new, old) in enumerate(zip(names, pdf.index.names, strict=True)):
            index_meta[new] = {"index": pos, "index_name": old}
        frame = pdf.copy(deep=False)
        frame.index = frame.index.set_names(names)
        frame = frame.reset_index()
    else:
        frame = frame.reset_index(drop=True)
    dtypes = {str(c): str(frame[c].dtype) for c in frame.columns}
    frame = _strings_for_categories(frame)
    arrow = pa.Schema.from_pandas(frame, preserve_index=False)
    fields = [
        StructField(
            f.name,
            from_arrow_type(f.type, prefer_timestamp_ntz=True),
            nullable=True,
            metadata={
                _META: json.dumps({"pandas_dtype": dtypes[f.name], **index_meta.get(f.name, {})})
            },
        )
        for f in arrow
    ]
    return active_session().createDataFrame(frame, schema=StructType(fields))


def _restore_pandas(pdf: pd.DataFrame, schema: Any, index_col: IndexCol) -> pd.DataFrame:
    index_names: dict[str, Any] = {}
    for field in schema.fields:
        meta = json.loads(field.metadata.get(_META, "{}")) if field.metadata else {}
        dtype = meta.get("pandas_dtype")
        if dtype in _RESTORABLE and str(pdf[field.name].dtype) != dtype:
            pdf[field.name] = pdf[field.name].astype(dtype)
        if "index" in meta:
            index_names[field.name] = meta.get("index_name")
    if index_col is None:
        return pdf
    cols = _as_list(index_col)
    out = pdf.set_index(cols)
    out.index = out.index.set_names([index_names.get(c, c) for c in cols])
    return out
