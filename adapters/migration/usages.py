"""Argument values and usages pandas-on-Spark refuses, or answers with other values than pandas.

Pure data, in the format of :mod:`adapters.migration.gotchas` (the condition tests and
value types are in :mod:`adapters.migration.conditions`). Each record was checked on
pyspark.pandas 4: the call raises (``NotImplementedError``, ``TypeError``, ...), or gives
another answer than pandas. Besides method names, APIs name what the source does:
``DataFrame.__sub__`` (``df - x``), ``DataFrame.__setattr__`` (``df.index = ...``),
``Series.__setitem__`` (``s[k] = v``), ``DataFrame.at.__setitem__``,
``DataFrame.loc.__getitem__`` (the key as ``key``) and ``Series.__array__`` (a numpy
function reading the object as an array). ``*udf`` marks a pandas constructor called
inside a function handed to ``apply`` and friends.

Examples
--------
>>> any(r["api"] == "DataFrame.__sub__" for r in USAGES)
True
"""

from __future__ import annotations

from typing import Any

__all__ = ["USAGES"]

_OPS = (
    "add",
    "sub",
    "mul",
    "truediv",
    "floordiv",
    "mod",
    "pow",
    "eq",
    "ne",
    "lt",
    "le",
    "gt",
    "ge",
)
_METHODS = (*_OPS, *(f"r{op}" for op in _OPS[:7]), "div", "rdiv")
_GROUPED_WINDOW = {
    "rolling": ("on", "center", "win_type", "closed", "step", "method", "axis"),
    "expanding": ("method", "axis"),
}


def _record(api: str, when: list[list[Any]], message: str, suggestion: str) -> dict[str, Any]:
    return {
        "api": api,
        "severity": "blocker",
        "when": when,
        "message": message,
        "suggestion": suggestion,
    }


USAGES: tuple[dict[str, Any], ...] = (
    *(
        _record(
            f"DataFrame.{name}",
            [["axis", "in", [1, "columns"]]],
            f"pandas-on-Spark's {name}() works down the columns only (axis=0)",
            "compute across the columns explicitly (e.g. df['b'] - df['a']), or transpose "
            "small data first",
        )
        for name in ("corrwith", "diff", "mode", "pct_change")
    ),
    *(
        _record(
            api,
            [["method", "is", "callable"]],
            "pandas-on-Spark correlates only by name: 'pearson', 'spearman' or 'kendall'",
            "use one of those, or apply your function to collected columns",
        )
        for api in ("DataFrame.corr", "Series.corr")
    ),
    _record(
        "DataFrame.insert",
        [["allow_duplicates", "in", [True]]],
        "pandas-on-Spark never allows two columns with the same label",
        "insert the column under another name",
    ),
    *(
        _record(
            f"{kind}.nth",
            [["n", "is", "list"]],
            "pandas-on-Spark's nth takes one position, not a list or slice",
            "call nth once per position and concatenate, or rank rows with cumcount() and filter",
        )
        for kind in ("DataFrameGroupBy", "SeriesGroupBy")
    ),
    *(
        _record(
            f"{kind}.{window}",
            [[param, "keyword", None]],
            f"pandas-on-Spark's grouped {window}() takes only the window size and "
            f"min_periods, not {param}=",
            "drop the keyword (sort by the time column first instead of on=), or compute "
            "the window per group in pandas with groupby(...).apply(...)",
        )
        for kind in ("DataFrameGroupBy", "SeriesGroupBy")
        for window, params in _GROUPED_WINDOW.items()
        for param in params
    ),
    *(
        _record(
            f"Series.{name}",
            [["other", "is", "spark"], ["fill_value", "given", None]],
            "pandas-on-Spark fills missing values only when the other operand is a scalar",
            "fill both sides first: a.fillna(0).add(b.fillna(0)) (where a label is missing "
            "on one side only, reindex both to the union of labels first)",
        )
        for name in ("add", "radd")
    ),
    _record(
        "Series.rename",
        [["index", "is", "dict"]],
        "pandas-on-Spark's Series.rename takes a name or a function, not a dict of labels",
        "pass a function: s.rename(lambda label: mapping.get(label, label))",
    ),
    _record(
        "Series.repeat",
        [["repeats", "is", "list"]],
        "pandas-on-Spark repeats by one number or a Series, not a list",
        "pass the counts as a Series aligned on the index",
    ),
    _record(
        "Series.searchsorted",
        [["value", "is", "list"]],
        "pandas-on-Spark searches one value at a time",
        "call searchsorted once per value",
    ),
    *(
        _record(
            "Series.update",
            [["other", "is", kind]],
            "pandas-on-Spark updates from a Series only",
            "wrap the values: s.update(pd.Series(values, index=...))",
        )
        for kind in ("list", "dict")
    ),
    _record(
        "Series.value_counts",
        [["bins", "given", None]],
        "pandas-on-Spark's value_counts does not bin",
        "bin first (e.g. with pd.cut on explicit edges), then count",
    ),
    _record(
        "pandas.get_dummies",
        [["data", "is", "list"]],
        "pandas-on-Spark's get_dummies takes a Series or DataFrame, not a list",
        "wrap the values: pd.get_dummies(pd.Series(values))",
    ),
    *(
        _record(
            "pandas.date_range",
            [[param, test, operand]],
            "pandas-on-Spark holds no time-zone aware timestamps (its date_range refuses them)",
            "build naive timestamps (in UTC) and keep the zone in spark.sql.session.timeZone",
        )
        for param, test, operand in (
            ("tz", "given", None),
            ("start", "is", "tzaware"),
            ("end", "is", "tzaware"),
        )
    ),
    *(
        _record(
            "DataFrame.set_index",
            [["keys", "has", kind]],
            "pandas-on-Spark sets the index from column labels only, not from arrays, "
            "Series or Index objects",
            "add the values as a column first (df['k'] = values), then set_index('k')",
        )
        for kind in ("spark", "array")
    ),
    *(
        _record(
            f"{kind}.xs",
            [["level", "is", "list"]],
            "pandas-on-Spark's xs takes one level, not a list of levels",
            "select one level at a time: df.xs(a, level=0).xs(b, level=...)",
        )
        for kind in ("DataFrame", "Series")
    ),
    _record(
        "Series.groupby",
        [["by", "is", "scalars"]],
        "pandas-on-Spark reads a list of values as labels to group by, not as one key per row",
        "group by a Series of keys aligned on the index: s.groupby(pd.Series(keys, index=s.index))",
    ),
    _record(
        "DataFrame.groupby",
        [["by", "is", "repeats"]],
        "a list holding a value twice is one key per row, which pandas-on-Spark reads as "
        "column labels",
        "add the keys as a column and group by its name",
    ),
    *(
        _record(
            api,
            [["func", "missing", None]],
            "pandas-on-Spark's DataFrame.agg has no named aggregation (agg(x=('A', 'max')))",
            "aggregate by a dict, df.agg({'A': ['max']}), and rename the result",
        )
        for api in ("DataFrame.agg", "DataFrame.aggregate")
    ),
    *(
        _record(
            "DataFrame.dot",
            [["other", "is", kind]],
            "pandas-on-Spark's DataFrame.dot multiplies by a Series only",
            "multiply by one column at a time: df.dot(other[c]) for each column c",
        )
        for kind in ("spark.DataFrame", "array")
    ),
    _record(
        "Series.dot",
        [["other", "is", "array"]],
        "pandas-on-Spark's Series.dot does not take a numpy array",
        "wrap it: s.dot(pd.DataFrame(arr))",
    ),
    *(
        _record(
            f"{kind}.take",
            [["indices", "is", "unordered"], ["axis", "in", [0, "index"]]],
            "pandas returns the rows in the order asked for; pandas-on-Spark in its own",
            "take increasing positions, then reorder explicitly (e.g. sort by a key)",
        )
        for kind in ("DataFrame", "Series")
    ),
    *(
        _record(
            api,
            [["value_vars", "is", "many"]],
            "pandas stacks the melted columns one after the other; pandas-on-Spark "
            "interleaves them row by row",
            "sort the result by the variable column: melt(...).sort_values('variable', "
            "kind='stable')",
        )
        for api in ("DataFrame.melt", "pandas.melt")
    ),
    # -- operators and assignments ----------------------------------------------------------
    *(
        _record(
            f"DataFrame.{name}",
            [["other", "is", kind]],
            "pandas-on-Spark does not broadcast a list, array, Series or Index across a "
            "frame's columns",
            "operate column by column (df['a'] - 1), or build the other operand as a frame "
            "with the same columns",
        )
        for name in (*_METHODS, *(f"__{op}__" for op in _OPS))
        for kind in ("list", "array", "spark.Series", "spark.Index")
    ),
    *(
        _record(
            f"{kind}.__setattr__",
            [["name", "in", ["index"]]],
            "pandas-on-Spark cannot set the index by assignment (a DataFrame silently keeps "
            "its index, a Series raises)",
            "add the labels as a column and set_index(...) it, or pass index= when building",
        )
        for kind in ("DataFrame", "Series")
    ),
    _record(
        "DataFrame.__setattr__",
        [["name", "in", ["columns"]], ["value", "is", "spark.Index"]],
        "pandas-on-Spark sets columns from local labels, not from a pandas-on-Spark Index",
        "pass a list of labels (for a MultiIndex, a plain pandas MultiIndex)",
    ),
    {
        "api": "Series.__setitem__",
        "severity": "blocker",
        "message": "pandas-on-Spark Series do not support item assignment (s[key] = value)",
        "suggestion": "build the new values: s = s.mask(s.index == key, value)",
    },
    *(
        {
            "api": f"{kind}.{indexer}.__setitem__",
            "severity": "blocker",
            "message": f"pandas-on-Spark does not support assignment through .{indexer}",
            "suggestion": "assign through .loc / .iloc, or build the column with where/mask",
        }
        for kind in ("DataFrame", "Series")
        for indexer in ("at", "iat")
    ),
    {
        "api": "DataFrame.__invert__",
        "severity": "blocker",
        "message": "pandas-on-Spark frames do not support ~ (a Series does)",
        "suggestion": "negate column by column (~df[c]), or compare with False: df.isin(v) == False",
    },
    *(
        {
            "api": f"Index.__{op}__",
            "severity": "blocker",
            "message": "pandas compares an Index element-wise into a numpy array of booleans; "
            "pandas-on-Spark answers with an Index that loc then reads as labels",
            "suggestion": "compare a column instead: df.index.to_series() < 1, or reset_index()",
        }
        for op in ("lt", "le", "gt", "ge", "eq", "ne")
    ),
    {
        "api": "Index.__getitem__",
        "severity": "blocker",
        "message": "a pandas-on-Spark Index cannot be indexed or sliced (idx[:5])",
        "suggestion": "collect the labels you need: idx.to_series().head(5), or df.head(5).index",
    },
    *(
        {
            "api": f"{kind}.__array__",
            "severity": "blocker",
            "message": "numpy reads a pandas-on-Spark object as a plain sequence here (np.where, "
            "np.asarray, ...): a wrong answer or an error",
            "suggestion": "use the pandas-on-Spark method (df.where(m, other), s.to_numpy() on "
            "small data) instead of the numpy function",
        }
        for kind in ("DataFrame", "Series", "Index")
    ),
    *(
        _record(
            f"{kind}.{indexer}.__getitem__",
            [["key", "is", "mask"]],
            "pandas-on-Spark reads a list of booleans as labels, not as a row mask",
            "select with a boolean Series: df.loc[df['a'] > 0], or positions: df.iloc[[0, 2]]",
        )
        for kind in ("DataFrame", "Series")
        for indexer in ("loc", "iloc")
    ),
    *(
        _record(
            f"{kind}.loc.__getitem__",
            [["key", "is", "dateslice"]],
            "pandas reads a date string bound as the whole period it names (all of "
            "'2016-01-10'); pandas-on-Spark as its first instant",
            "give the exact end: df.loc['2016-01-05':'2016-01-10 23:59:59.999999']",
        )
        for kind in ("DataFrame", "Series")
    ),
    *(
        _record(
            f"pandas.{name}",
            [["*udf", "in", [True]]],
            f"inside a function run by apply/transform, pd.{name} builds a pandas-on-Spark "
            "object where the function must return pandas data",
            "return plain values (a list or tuple; result_type='expand' spreads them), or "
            "build the result with the real pandas module",
        )
        for name in ("Series", "DataFrame")
    ),
)
