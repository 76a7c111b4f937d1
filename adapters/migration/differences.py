"""Argument values pandas-on-Spark refuses, or answers with other values than pandas.

Pure data, in the format of :mod:`adapters.migration.gotchas`. Each is a blocker: the
checker flags it, and :mod:`adapters.pandas` runs the call in pandas under the ``warn``
fallback policy (refuses it under ``raise``) instead of failing or giving a different
answer.

Examples
--------
>>> sorted({record["api"] for record in DIFFERENCES})[-2:]
['pandas.notnull', 'pandas.wide_to_long']
"""

from __future__ import annotations

from typing import Any

__all__ = ["DIFFERENCES", "RESAMPLE_RULES"]

# The offsets pandas-on-Spark resamples by (pyspark.pandas.resample), as rule codes.
RESAMPLE_RULES = ("A-DEC", "M", "ME", "D", "H", "h", "T", "min", "S", "s")

DIFFERENCES: tuple[dict[str, Any], ...] = (
    *(
        {
            "api": f"pandas.{name}",
            "severity": "blocker",
            "when": [["obj", "is", "spark.Index"]],
            "message": f"pandas-on-Spark's {name}() sees an Index as one value (False), where "
            "pandas answers per element",
            "suggestion": f"call the method: idx.{name}() (or idx.to_series().{name}())",
        }
        for name in ("isna", "isnull", "notna", "notnull")
    ),
    *(
        {
            "api": api,
            "severity": "blocker",
            "when": [["rule", "freq_not_in", RESAMPLE_RULES]],
            "message": "pandas-on-Spark resamples only by year-end, month-end, day, hour, "
            "minute or second (offsets such as 'MS', 'W' or 'QE' raise)",
            "suggestion": "resample by one of those, or floor the timestamps yourself and "
            "group: df.groupby(df['t'].dt.to_period('M').dt.start_time)",
        }
        for api in ("DataFrame.resample", "Series.resample")
    ),
    *(
        {
            "api": api,
            "severity": "blocker",
            "when": [["method", "not_in", ["linear"]]],
            "message": "pandas-on-Spark interpolates only with method='linear'",
            "suggestion": "use method='linear', or interpolate small data in pandas",
        }
        for api in ("DataFrame.interpolate", "Series.interpolate")
    ),
    *(
        {
            "api": api,
            "severity": "blocker",
            "when": [["keep", "in", ["all"]]],
            "message": "pandas-on-Spark does not implement keep='all'",
            "suggestion": "use keep='first' or 'last', or filter on the n-th value: "
            "df[df[col] >= df[col].nlargest(n).min()]",
        }
        for api in ("DataFrame.nlargest", "DataFrame.nsmallest")
    ),
    *(
        {
            "api": api,
            "severity": "blocker",
            "when": [["value", "given", None], ["limit", "given", None]],
            "message": "pandas-on-Spark ignores limit= when filling with a value",
            "suggestion": "fill without limit=, or mark the rows to fill yourself "
            "(e.g. with groupby(...).cumcount())",
        }
        for api in ("DataFrame.fillna", "Series.fillna")
    ),
    *(
        {
            "api": f"DataFrame.{name}",
            "severity": "blocker",
            "when": [["axis", "in", [None]]],
            "message": f"pandas-on-Spark's {name}(axis=None) reduces each column, where pandas "
            "reduces over the whole frame to one value",
            "suggestion": f"reduce twice: df.{name}() on a stacked frame, or compute it in pandas",
        }
        for name in ("kurt", "skew", "sem", "var", "std", "mean", "median", "sum", "min", "max")
    ),
    *(
        {
            "api": api,
            "severity": "blocker",
            "when": [["by", "is", "array"]],
            "message": "pandas-on-Spark cannot group by a numpy array of keys",
            "suggestion": "add the keys as a column and group by its name",
        }
        for api in ("DataFrame.groupby", "Series.groupby")
    ),
    *(
        {
            "api": api,
            "severity": "blocker",
            "when": [["method", "in", ["first"]]],
            "message": "pandas-on-Spark breaks ties by its own row order, not the frame's",
            "suggestion": "rank with method='min' or 'dense' plus a tie-breaking column",
        }
        for api in ("DataFrameGroupBy.rank", "SeriesGroupBy.rank")
    ),
    *(
        {
            "api": api,
            "severity": "blocker",
            "message": "pandas' answer describes a pandas object in memory; pandas-on-Spark's "
            "describes a distributed one",
            "suggestion": "use df.dtypes and len(df), or describe a collected sample",
        }
        for api in (
            "DataFrame.info",
            "Series.info",
            "DataFrame.memory_usage",
            "Series.memory_usage",
        )
    ),
    *(
        {
            "api": api,
            "severity": "blocker",
            "message": "pandas-on-Spark's equals compares element by element, where pandas "
            "answers one bool",
            "suggestion": "compare in Spark: (a == b).all().all() plus the shapes and dtypes, "
            "or pandas.testing on collected data",
        }
        for api in ("DataFrame.equals", "Series.equals")
    ),
    *(
        {
            "api": api,
            "severity": "blocker",
            "when": [["level", "given", None]],
            "message": "pandas-on-Spark sorts by the level alone and leaves rows with equal "
            "values in any order; pandas sorts by the other levels next",
            "suggestion": "sort by all levels in the order you want: sort_index(level=[1, 0])",
        }
        for api in ("DataFrame.sort_index", "Series.sort_index")
    ),
    *(
        {
            "api": f"DataFrame.{name}",
            "severity": "blocker",
            "message": "pandas-on-Spark looks for a row where every column is valid; pandas "
            "for one where any column is",
            "suggestion": f"ask the rows with a value: df.dropna(how='all').{name}()",
        }
        for name in ("first_valid_index", "last_valid_index")
    ),
    {
        "api": "DataFrame.cov",
        "severity": "blocker",
        "when": [["min_periods", "given", None]],
        "message": "pandas-on-Spark counts min_periods over other rows than pandas",
        "suggestion": "leave min_periods out, or compute the covariance of small data in pandas",
    },
    {
        "api": "SeriesGroupBy.unique",
        "severity": "blocker",
        "message": "pandas lists each group's values in the order they appear; pandas-on-Spark "
        "in any order",
        "suggestion": "sort them: g.agg(lambda s: sorted(s.unique())), if order does not matter",
    },
    {
        "api": "pandas.wide_to_long",
        "severity": "blocker",
        "message": "pandas-on-Spark gives the rows in another order than pandas",
        "suggestion": "sort the result by its index: pd.wide_to_long(...).sort_index()",
    },
    *(
        {
            "api": api,
            "severity": "blocker",
            "when": [["random_state", "given", None]],
            "message": "pandas-on-Spark samples with Spark's random generator: the same seed "
            "picks other rows than pandas",
            "suggestion": "sample with pyspark.pandas directly when any random rows will do; "
            "adapters.pandas runs it in pandas under the 'warn' policy",
        }
        for api in (
            "DataFrame.sample",
            "Series.sample",
            "DataFrameGroupBy.sample",
            "SeriesGroupBy.sample",
        )
    ),
    {
        "api": "Series.unique",
        "severity": "blocker",
        "message": "returns the distinct values as a Series in no particular order (pandas: "
        "an array in order of appearance)",
        "suggestion": "s.drop_duplicates() keeps them on Spark (a Series; sort it if the "
        "order matters)",
    },
    *(
        {
            "api": api,
            "severity": "blocker",
            "when": [["deep", "in", [False]]],
            "message": "a shallow copy shares pandas' arrays with the original; data on "
            "Spark is never shared that way",
            "suggestion": "copy() and assign the changes to each frame you need them in",
        }
        for api in ("DataFrame.copy", "Series.copy")
    ),
)
