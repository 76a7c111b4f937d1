"""Arguments :mod:`adapters.pandas` adjusts so pandas-on-Spark takes what pandas takes.

Pure data, read by the checker (:mod:`adapters.migration.rules`) and the adapter
(:mod:`adapters.pandas._arguments`) alike, so both tell the same story.

Examples
--------
>>> sorted({record["action"] for record in NORMALISED})
['callable', 'drop', 'listify', 'missing_as_nan', 'pandas_default', 'pandas_value']
"""

from __future__ import annotations

from typing import Any

__all__ = ["NORMALISED"]

# Arguments adapters.pandas adjusts before calling pandas-on-Spark. ``action`` is
# ``listify`` (a single label becomes a one-element list), ``callable`` (a method name
# such as "sum" becomes a function calling it) or ``drop`` (the keyword is removed:
# pandas-on-Spark has no such option and the default behaviour is the same or documented
# in ``message``) or ``pandas_default`` (when not passed, pandas' default is passed:
# pandas-on-Spark's own differs) or ``missing_as_nan`` (a function given gets NaN where
# pandas-on-Spark would hand it None: Spark keeps one null, pandas' text columns hold NaN)
# or ``pandas_value`` (when not passed or None, ``value`` is passed: what pandas does then).
# ``severity`` is what the checker reports (None: nothing).
NORMALISED: tuple[dict[str, Any], ...] = (
    {
        "api": "DataFrame.pivot_table",
        "params": ["index"],
        "action": "listify",
        "severity": "partial",
        "message": "pandas-on-Spark wants a list here (plain pyspark.pandas raises); "
        "adapters.pandas wraps the label in a list",
        "suggestion": "pass a list, e.g. index=['region'], to run on plain pyspark.pandas too",
    },
    *(
        {
            "api": api,
            "params": ["func"],
            "action": "callable",
            "severity": "partial",
            "message": "pandas-on-Spark's groupby transform takes a function, not a name "
            "(plain pyspark.pandas raises); adapters.pandas passes a function calling it, "
            "which runs per group in pandas",
            "suggestion": "pass a typed function, e.g. def total(s) -> float: return s.sum(), "
            "or aggregate with groupby().agg(...) and merge the result back",
        }
        for api in ("DataFrameGroupBy.transform", "SeriesGroupBy.transform")
    ),
    *(
        {
            "api": api,
            "params": ["sort"],
            "action": "drop",
            "severity": "partial",
            "message": "pandas-on-Spark has no sort= and never sorts groups: the row order "
            "of the result is not guaranteed (adapters.pandas drops the keyword)",
            "suggestion": "sort the result explicitly (.sort_index()) when order matters",
        }
        for api in ("DataFrame.groupby", "Series.groupby")
    ),
    *(
        {
            "api": api,
            "params": ["observed"],
            "action": "drop",
            "severity": "partial",
            "message": "pandas-on-Spark has no observed= and only returns observed "
            "categories (like observed=True; adapters.pandas drops the keyword)",
            "suggestion": "drop observed=; reindex with the categories if you need the "
            "unobserved ones",
        }
        for api in ("DataFrame.groupby", "Series.groupby")
    ),
    *(
        {"api": api, "params": ["copy"], "action": "drop", "severity": None}
        for api in (
            "DataFrame.astype",
            "Series.astype",
            "DataFrame.rename",
            "DataFrame.rename_axis",
            "Series.rename_axis",
            "DataFrame.merge",
            "pandas.merge",
            "pandas.concat",
            "DataFrame.transpose",
            "Series.reindex",
            "Series.reindex_like",
        )
    ),
    {
        "api": "DataFrame.itertuples",
        "params": ["name"],
        "action": "pandas_default",
        "severity": "partial",
        "message": "pandas-on-Spark names the tuples PandasOnSpark where pandas names them "
        "Pandas (adapters.pandas passes name='Pandas')",
        "suggestion": "pass name= explicitly to run on plain pyspark.pandas too",
    },
    {
        "api": "pandas.get_dummies",
        "params": ["dtype"],
        "action": "pandas_value",
        "value": bool,
        "severity": None,  # pandas' dummies are bool; pandas-on-Spark's default is int8
    },
    *(
        {"api": api, "params": [param], "action": "missing_as_nan", "severity": None}
        for api, param in (("Series.map", "arg"), ("Series.apply", "func"))
    ),
)
