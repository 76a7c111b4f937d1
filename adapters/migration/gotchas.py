"""The curated half of the rules: pandas-on-Spark gotchas that introspection cannot see.

Pure data. Each record names an API the way findings do (``pandas.cut``,
``DataFrame.asfreq``, ``Series.str.split``), a severity, what goes wrong and what to do.
``when`` holds conditions on the call's arguments, named as in the pandas signature;
all must hold. A condition is ``[param, test, operand]`` with ``test`` one of:

- ``is`` / ``has`` / ``holds``: the value is of a type (``has``: or is a list holding
  one; ``holds``: is a list, tuple or dict holding one); types are ``str``, ``path``,
  ``buffer``, ``callable``, ``list``, ``pandas.Grouper``, ``spark`` (any
  pandas-on-Spark object) and ``spark.Index``;
- ``given``: passed with a value other than the pandas default;
- ``keyword``: the same, passed by keyword (not by position);
- ``missing``: not passed (or ``None``);
- ``in`` / ``not_in``: the value (the pandas default when not passed) is / is not listed;
- ``freq_not_in``: an offset alias (``'MS'``, ``'3min'``) whose rule code is not listed;
- ``untyped``: a function without a return type hint (pandas-on-Spark must run it on
  a sample to learn the output type);
- ``unholdable``: a dtype Spark cannot hold (more value types: :mod:`~adapters.migration.conditions`).

The arguments :mod:`adapters.pandas` adjusts so pandas-on-Spark takes what pandas
takes are in :mod:`adapters.migration.normalised`. What to use instead of an API pandas-on-Spark lacks is in
:mod:`adapters.migration.alternatives`.

Examples
--------
>>> sorted({g["api"] for g in GOTCHAS if g["api"].endswith("rolling")})
['DataFrame.rolling', 'Series.rolling']
"""

from __future__ import annotations

from typing import Any

__all__ = ["GOTCHAS", "ORDER_SENSITIVE", "PERCENTILES"]

_COLLECTS = "collects every row to the driver"
_ONE_PARTITION = (
    "works, but without a groupby this is a window over the whole frame: Spark moves every "
    "row into one partition to order them"
)
_ONE_PARTITION_FIX = (
    "fine for small data; for big data compute it per group (df.groupby(key)[col].{name}()) "
    "or check that a global order is really needed"
)
_PATH_ONLY = (
    "pandas-on-Spark reads files through Spark, which takes paths (local, HDFS, S3, ...), "
    "not open file objects or buffers"
)
_PATH_FIX = "write the data to a file and pass its path, or build a pandas frame and convert it with tk.to_pandas_on_spark(...)"
_UNTYPED = (
    "works, but without a return type hint pandas-on-Spark runs the function on a sample "
    "first to guess the output schema (an extra job, and a wrong guess when the sample is "
    "not representative)"
)
_UNTYPED_FIX = "define the function with a return type hint, e.g. `def f(row) -> float: ...`"
_PART_FILES = (
    "pandas-on-Spark writes a directory of part files at the path (Spark's writer), not one file"
)
_PART_FILES_FIX = (
    "read it back with read_csv/read_parquet/read_json on the directory, or for one small "
    "file use tk.to_pandas(df).to_csv(path)"
)

# Statistics that pandas-on-Spark computes with Spark's approximate percentile: no
# interpolation, so results differ from pandas (the median of 1, 2, 3, 4 is 2, not 2.5).
PERCENTILES = (
    "DataFrame.median",
    "Series.median",
    "DataFrame.quantile",
    "Series.quantile",
    "DataFrame.describe",
    "Series.describe",
    "DataFrameGroupBy.median",
    "SeriesGroupBy.median",
    "DataFrameGroupBy.quantile",
    "SeriesGroupBy.quantile",
    "DataFrameGroupBy.describe",
    "SeriesGroupBy.describe",
)
# Frame-wide operations that need one global row order (advice).
ORDER_SENSITIVE = (
    "shift",
    "diff",
    "cumsum",
    "cumprod",
    "cummax",
    "cummin",
    "rank",
    "pct_change",
    "rolling",
    "expanding",
    "ewm",
    "ffill",
    "bfill",
)

GOTCHAS: tuple[dict[str, Any], ...] = (
    # -- blockers the signatures cannot show --------------------------------------------
    *(
        {
            "api": api,
            "severity": "blocker",
            "when": [["window", "is", "str"]],
            "message": "time-based (offset) windows such as rolling('7D') are not supported; "
            "pandas-on-Spark windows count rows",
            "suggestion": "use an integer number of rows on data sorted by time, or resample "
            "to a fixed frequency first and roll over rows",
        }
        for api in ("Series.rolling", "DataFrame.rolling")
    ),
    *(
        {
            "api": api,
            "severity": "blocker",
            "when": [["by", "has", "pandas.Grouper"]],
            "message": "pd.Grouper keys are not supported by pandas-on-Spark groupby",
            "suggestion": "group by a derived column, e.g. df.groupby(df['date'].dt.strftime('%Y-%m')) "
            "or df['date'].dt.floor('D')",
        }
        for api in ("DataFrame.groupby", "Series.groupby")
    ),
    *(
        {
            "api": api,
            "severity": "blocker",
            "when": [["expand", "in", [True]], ["n", "in", [-1, 0, None]]],
            "message": "expand=True is only supported with a positive n (the number of "
            "columns must be known before the data is read)",
            "suggestion": "pass n=<max splits>, e.g. s.str.split(' ', n=1, expand=True)",
        }
        for api in ("Series.str.split", "Series.str.rsplit")
    ),
    *(
        {
            "api": f"pandas.{reader}",
            "severity": "blocker",
            "when": [[param, "is", "buffer"]],
            "message": _PATH_ONLY,
            "suggestion": _PATH_FIX,
        }
        for reader, param in (
            ("read_csv", "filepath_or_buffer"),
            ("read_table", "filepath_or_buffer"),
            ("read_json", "path_or_buf"),
            ("read_parquet", "path"),
            ("read_orc", "path"),
        )
    ),
    *(
        {
            "api": api,
            "severity": "blocker",
            "when": [["data", "holds", "spark"]],
            "message": "pandas-on-Spark builds new frames from local data: a Series or Index "
            "made by pandas-on-Spark (pd.date_range, pd.Series, df['x']) inside the dict or "
            "list cannot be read back",
            "suggestion": "build local columns with lists, numpy or plain pandas "
            "(pandas.date_range(...)), or add distributed columns afterwards (df['t'] = other['t'])",
        }
        for api in ("pandas.DataFrame", "pandas.Series")
    ),
    {
        "api": "pandas.Series",
        "severity": "blocker",
        "when": [["data", "is", "spark.Index"], ["index", "given", None]],
        "message": "a pandas-on-Spark Index cannot be the data of a new Series with an index",
        "suggestion": "pass local values (a list or plain pandas index), or use "
        "idx.to_series() on the pandas-on-Spark index",
    },
    *(
        {
            "api": "pandas.Series",
            "severity": "partial",
            "when": [[param, "is", "spark.Index"]],
            "message": f"plain pyspark.pandas cannot take a pandas-on-Spark Index as the {param} "
            "of a new Series; adapters.pandas brings the index to pandas first",
            "suggestion": "to run on plain pyspark.pandas too, pass local values (a list or "
            "plain pandas index), or use idx.to_series()",
        }
        for param in ("data", "index")
    ),
    {
        "api": "DataFrame.pivot_table",
        "severity": "blocker",
        "when": [["values", "missing", None]],
        "message": "pivot_table needs values=: pandas-on-Spark does not aggregate 'all other columns'",
        "suggestion": "name the value column(s): df.pivot_table(values='amount', index=[...], columns=...)",
    },
    {
        "api": "DataFrame.pivot_table",
        "severity": "blocker",
        "when": [["columns", "missing", None]],
        "message": "pivot_table needs columns=: pandas-on-Spark always pivots a column",
        "suggestion": "for a table without pivoted columns use "
        "df.groupby([...])[values].agg(aggfunc)",
    },
    {
        "api": "DataFrame.pivot_table",
        "severity": "blocker",
        "when": [["columns", "is", "list"]],
        "message": "pivot_table takes a single column name for columns=",
        "suggestion": "pivot on one column, or build a combined key column first "
        "(df['key'] = df['a'] + '_' + df['b'])",
    },
    {
        "api": "DataFrame.pivot_table",
        "severity": "blocker",
        "when": [["aggfunc", "is", "callable"]],
        "message": "aggfunc must be a name ('sum', 'mean', ...) or a dict of names, not a function",
        "suggestion": "pass the name: aggfunc='sum' instead of aggfunc=np.sum / sum",
    },
    *(
        {
            "api": api,
            "severity": "blocker",
            "when": [["func", "is", "str"]],
            "message": "transform takes a function here, not a method name",
            "suggestion": "pass the function, e.g. df.transform(lambda s: s.abs())",
        }
        for api in ("DataFrame.transform", "Series.transform")
    ),
    {
        "api": "Resampler.__getitem__",
        "severity": "blocker",
        "message": "selecting a column after resample (df.resample('D')['x']) is not supported",
        "suggestion": "select first, then resample: df['x'].resample('D').sum() "
        "(with a DatetimeIndex)",
    },
    *(
        {
            "api": f"{kind}.__iter__",
            "severity": "blocker",
            "message": "iterating over groups (for key, group in df.groupby(...)) is not supported",
            "suggestion": "express the loop body as a function and use "
            "df.groupby(key).apply(func) (each group arrives as a pandas frame), or "
            "aggregate with agg(...)",
        }
        for kind in ("DataFrameGroupBy", "SeriesGroupBy")
    ),
    {
        "api": "Series.__iter__",
        "severity": "blocker",
        "message": "iterating over a Series (for x in s, list(s), sum(s)) is not supported",
        "suggestion": "use vectorised methods (s.sum(), s.map(...)), or collect explicitly "
        "with s.to_numpy() / s.tolist() when the data is small",
    },
    {
        "api": "Index.__iter__",
        "severity": "blocker",
        "message": "iterating over an index is not supported",
        "suggestion": "use idx.to_list() when the index is small",
    },
    # -- runs on pandas-on-Spark, but gives other values (blockers: the adapter falls back)
    *(
        {
            "api": api,
            "severity": "blocker",
            "message": "pandas-on-Spark computes it with Spark's approximate percentile, "
            "without interpolation: results differ from pandas (the median of 1, 2, 3, 4 is "
            "2, not 2.5)",
            "suggestion": "adapters.pandas computes it in pandas under the 'warn' policy; on "
            "big data accept the approximation explicitly with pyspark.pandas (accuracy=...)",
        }
        for api in PERCENTILES
    ),
    *(
        {
            "api": api,
            "severity": "blocker",
            "when": [["upper", "given", None]],
            "message": "Spark orders NaN above every number, so clip(upper=...) turns NaN into "
            "the upper bound (pandas keeps NaN)",
            "suggestion": "clip after fillna/dropna, or keep the gaps: s.clip(upper=u).where(s.notna())",
        }
        for api in ("Series.clip", "DataFrame.clip")
    ),
    *(
        {
            "api": api,
            "severity": "blocker",
            "when": [["value_vars", "missing", None]],
            "message": "without value_vars=, pandas-on-Spark (under Spark's default ANSI mode) "
            "casts the melted values to strings when an id column holds text",
            "suggestion": "name the value columns: melt(id_vars=[...], value_vars=[...])",
        }
        for api in ("pandas.melt", "DataFrame.melt")
    ),
    *(
        {
            "api": api,
            "severity": "partial",
            "message": "the resampled result's index loses its name, and its rows come back in "
            "no particular order",
            "suggestion": "name and sort it again: .rename_axis('ts').sort_index()",
        }
        for api in ("DataFrame.resample", "Series.resample")
    ),
    *(
        {
            "api": api,
            "severity": "partial",
            "when": [["path_or_buf", "given", None]],
            "message": _PART_FILES,
            "suggestion": _PART_FILES_FIX,
        }
        for api in ("DataFrame.to_csv", "Series.to_csv", "DataFrame.to_json", "Series.to_json")
    ),
    *(
        {
            "api": api,
            "severity": "partial",
            "message": _PART_FILES,
            "suggestion": _PART_FILES_FIX,
        }
        for api in ("DataFrame.to_parquet", "DataFrame.to_orc")
    ),
    # -- advice: works, but slow or collects ---------------------------------------------
    *(
        {
            "api": api,
            "severity": "advice",
            "message": f"{_COLLECTS}, one row at a time",
            "suggestion": "use vectorised column operations, or apply(func, axis=1) with a "
            "typed function",
        }
        for api in ("DataFrame.iterrows", "DataFrame.itertuples", "Series.items")
    ),
    *(
        {
            "api": api,
            "severity": "advice",
            "message": _COLLECTS,
            "suggestion": "keep the work in pandas-on-Spark, or collect a bounded frame with "
            "tk.to_pandas(df, max_rows=...)",
        }
        for api in (
            "DataFrame.to_numpy",
            "Series.to_numpy",
            "DataFrame.values",
            "Series.values",
            "Series.tolist",
            "Series.to_list",
            "DataFrame.to_dict",
            "Series.to_dict",
            "DataFrame.to_records",
        )
    ),
    *(
        {
            "api": api,
            "severity": "advice",
            "when": [["path_or_buf", "missing", None]],
            "message": f"without a path this {_COLLECTS} to build one string",
            "suggestion": "write to a path instead",
        }
        for api in ("DataFrame.to_csv", "DataFrame.to_json")
    ),
    {
        "api": "DataFrame.apply",
        "severity": "advice",
        "when": [["axis", "in", [1, "columns"]], ["func", "untyped", None]],
        "message": _UNTYPED,
        "suggestion": _UNTYPED_FIX,
    },
    *(
        {
            "api": api,
            "severity": "advice",
            "when": [[param, "untyped", None]],
            "message": _UNTYPED,
            "suggestion": _UNTYPED_FIX,
        }
        for api, param in (
            ("Series.apply", "func"),
            ("DataFrameGroupBy.apply", "func"),
            ("SeriesGroupBy.apply", "func"),
        )
    ),
    *(
        {
            "api": f"{kind}.{name}",
            "severity": "advice",
            "message": _ONE_PARTITION,
            "suggestion": _ONE_PARTITION_FIX.format(name=name),
        }
        for kind in ("DataFrame", "Series")
        for name in ORDER_SENSITIVE
    ),
)
