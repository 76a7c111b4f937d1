"""What to use instead of a pandas API pandas-on-Spark lacks (curated data).

The introspected rules (:mod:`adapters.migration.surface`) know *that* an API is
missing; this table says what to do about it. Keys are APIs, or ``*.name`` for the
method of that name on every class; APIs not listed get a generic suggestion.

Examples
--------
>>> ALTERNATIVES["pandas.pivot_table"].startswith("use the method")
True
"""

from __future__ import annotations

__all__ = ["ALTERNATIVES"]

# What to use instead of an API pandas-on-Spark lacks. Keys are APIs (or ``*.name`` for
# every class); missing keys get a generic suggestion.
ALTERNATIVES: dict[str, str] = {
    "pandas.pivot_table": "use the method: df.pivot_table(values=..., index=[...], columns=..., aggfunc=...)",
    "pandas.pivot": "use the method: df.pivot(index=..., columns=..., values=...)",
    "pandas.crosstab": "count with df.groupby([row, col]).size().unstack(fill_value=0)",
    "pandas.cut": "with explicit bins the binning is row-local: "
    "s.pandas_on_spark.transform_batch(lambda x: pandas.cut(x, bins, labels=labels)), "
    "or build the labels with s.apply / where chains",
    "pandas.qcut": "compute the edges with s.quantile([...]) and bin against them "
    "(edges are approximate on Spark)",
    "pandas.unique": "use the method: s.unique()",
    "pandas.value_counts": "use the method: s.value_counts()",
    "pandas.factorize": "use the method: s.factorize()",
    "pandas.wide_to_long": "reshape with df.melt(...) and string methods on the variable column",
    "pandas.merge_ordered": "merge with pd.merge(...) then sort_values(...) and ffill()",
    "pandas.Grouper": "group by a derived column, e.g. df.groupby(df['date'].dt.strftime('%Y-%m'))",
    "pandas.read_pickle": "store data as Parquet: pd.read_parquet(path)",
    "pandas.to_pickle": "store data as Parquet: df.to_parquet(path)",
    "pandas.read_xml": "read with pandas on the driver and convert: tk.to_pandas_on_spark(pandas.read_xml(path))",
    "pandas.read_feather": "convert the files to Parquet and use pd.read_parquet(path)",
    "pandas.eval": "write the expression with column operators, or use df.eval(expr) / df.query(expr)",
    "pandas.bdate_range": "build the dates with pd.date_range(...) and filter weekdays with .dt.dayofweek < 5",
    "pandas.RangeIndex": "pandas-on-Spark frames get a default index; use pd.Index(range(n)) for an explicit one",
    "*.asfreq": "resample with an aggregation (s.resample('D').sum()) or reindex to the full range",
    "*.tz_localize": "keep timestamps in UTC on Spark (spark.sql.session.timeZone) and convert on display",
    "*.tz_convert": "keep timestamps in UTC on Spark (spark.sql.session.timeZone) and convert on display",
    "*.convert_dtypes": "cast explicitly: df.astype({'col': 'Int64', ...})",
    "*.infer_objects": "cast explicitly: df.astype({'col': 'float64', ...})",
    "*.to_period": "format the period instead, e.g. s.dt.strftime('%Y-%m')",
    "*.set_axis": "assign labels directly (df.columns = [...]) or use rename(...)",
    "*.combine": "combine with elementwise operators and where(...)/mask(...)",
    "DataFrame.compare": "compare with (df1 != df2) and boolean indexing",
    "DataFrame.value_counts": "count with df.groupby(columns).size()",
    "*.memory_usage": "Spark data is distributed; inspect the plan or storage in the Spark UI",
    "*.to_sql": "write through Spark: tk.to_spark(df).write.jdbc(url, table, properties=...)",
    "*.to_xml": "collect a small frame first: tk.to_pandas(df, max_rows=...).to_xml(path)",
    "*.ngroup": "number the groups with a join on df[keys].drop_duplicates() given a running id",
    "*.pct_change": "compute it from shift: g[col] / g[col].shift(1) - 1",
    "*.ohlc": "aggregate with agg(open=('x', 'first'), high=('x', 'max'), low=('x', 'min'), close=('x', 'last'))",
    "*.groups": "collect the keys with df[keys].drop_duplicates()",
    "*.ngroups": "count the keys with len(df[keys].drop_duplicates())",
    "*.apply": "use a built-in window aggregation (sum, mean, min, max, std, count)",
    "*.agg": "call the aggregations one by one, e.g. r.mean() and r.max(), and join them",
    "*.aggregate": "call the aggregations one by one, e.g. r.mean() and r.max(), and join them",
    "Series.str.removeprefix": "s.str.replace(r'^prefix', '', regex=True)",
    "Series.str.removesuffix": "s.str.replace(r'suffix$', '', regex=True)",
    "Series.str.fullmatch": "s.str.match(r'^pattern$')",
    "Series.str.casefold": "s.str.lower()",
    "Series.dt.day_of_week": "s.dt.dayofweek",
    "Series.dt.day_of_year": "s.dt.dayofyear",
    "Series.view": "s.astype(dtype)",
    "Series.array": "s.to_numpy() (collects to the driver)",
    "Series.case_when": "chain s.where(cond, value) / s.mask(cond, value)",
}
