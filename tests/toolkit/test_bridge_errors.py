"""Frames and options the bridges cannot take are named errors that say how to fix them.

The pandas-side checks run before any Spark session is needed, so most tests here take no
``spark`` fixture; the Spark-side ones (to_pandas of a Spark frame) run one or two small
jobs each.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import toolkit as tk


@pytest.mark.parametrize(
    ("column", "match"),
    [
        (
            [1, "x", 2.5],
            r"^column 'a' holds int, str and float values in one object column; Spark needs "
            r"one type per column: convert with df\['a'\]\.astype\(str\) or pd\.to_numeric",
        ),
        ([True, 1, None], r"column 'a' holds bool and int values in one object column"),
        ([b"x", 3], r"column 'a' holds bytes and int values"),
        (np.array([1 + 2j, 3j]), r"column 'a' holds complex numbers \(complex128\).*\.real"),
        (pd.array([1 + 2j], dtype=object), r"column 'a' holds complex numbers \(object\)"),
        (
            pd.period_range("2020-01", periods=2, freq="M"),
            r"column 'a' holds periods \(period\[M\]\); Spark has no period type: convert with "
            r"pd\.PeriodIndex\(df\['a'\]\)\.to_timestamp\(\) or df\['a'\]\.astype\(str\)",
        ),
        (
            pd.Series(pd.period_range("2020", periods=2, freq="Y")).astype(object),
            r"column 'a' holds periods \(object\)",
        ),
        (pd.interval_range(0, 2), r"column 'a' holds intervals .*astype\(str\)"),
        (pd.arrays.SparseArray([0, 1]), r"column 'a' is Sparse\[int64, 0\].*sparse\.to_dense"),
        (np.array([2**63], dtype=np.uint64), r"column 'a' is uint64; .*signed 64-bit long"),
        (pd.array([1], dtype="UInt64"), r"column 'a' is UInt64"),
        # past the dtype checks: Arrow's own refusal, translated and naming the column
        ([[1, 2], ["x"]], r"column 'a' \(object\) cannot be converted to a Spark type: Could not"),
        ([object(), object()], r"column 'a' \(object\) cannot be converted .*astype\(str\)"),
    ],
    ids=lambda v: "" if isinstance(v, str) else None,
)
def test_columns_spark_cannot_hold_are_refused_by_name(column, match):
    frame = pd.DataFrame({"ok": range(len(column)), "a": column})
    with pytest.raises(tk.UnsupportedInputError, match=match):
        tk.to_spark(frame)
    with pytest.raises(tk.UnsupportedInputError, match=match):
        tk.to_pandas_on_spark(frame)


def test_the_index_kept_by_index_col_is_checked_too():
    frame = pd.DataFrame({"x": [1, 2]}, index=pd.period_range("2020-01", periods=2, freq="M"))
    with pytest.raises(tk.UnsupportedInputError, match=r"column 'month' holds periods"):
        tk.to_spark(frame, index_col="month")


def test_repeated_column_names_are_a_schema_error():
    with pytest.raises(tk.SchemaMismatchError, match=r"column 'a' appears 2 times.*duplicated"):
        tk.to_spark(pd.DataFrame([[1, 2, 3]], columns=["a", "b", "a"]))
    with pytest.raises(tk.SchemaMismatchError, match=r"column '1' appears 2 times \(as text\)"):
        tk.to_spark(pd.DataFrame([[1, 2]], columns=[1, "1"]))


def test_index_col_that_clashes_or_is_missing_names_the_option():
    frame = pd.DataFrame({"x": [1, 2], "y": [3, 4]})
    with pytest.raises(tk.SchemaMismatchError, match=r"index_col='x' would add the index as "
                       r"column 'x', but the frame already has .*index_col='x_index'"):  # fmt: skip
        tk.to_spark(frame, index_col="x")
    with pytest.raises(
        tk.SchemaMismatchError,
        match=r"^index_col='xx' is not a column of the frame; its columns are \['x', 'y'\]\. "
        r"Did you mean 'x'\?",
    ):
        tk.to_pandas(frame, index_col="xx")
    with pytest.raises(tk.SchemaMismatchError, match="index_col='z' is not a column"):
        tk.to_pandas_on_spark(frame, index_col=["x", "z"])


@pytest.mark.parametrize("index_col", [5, ["a", 1], [], {"a": 1}, b"a"])
def test_index_col_of_the_wrong_kind_is_an_option_error(index_col):
    with pytest.raises(tk.InvalidOptionError, match=r"^index_col must be a column name or a "):
        tk.to_spark(pd.DataFrame({"x": [1]}), index_col=index_col)


@pytest.mark.parametrize("max_rows", ["10", 1.5, 10.0, -1, True, np.bool_(False), [10]])
def test_max_rows_must_be_a_whole_number_or_none(max_rows):
    with pytest.raises(tk.InvalidOptionError, match=rf"^max_rows must be a whole number .*got "
                       rf"{max_rows!r}".replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")):  # fmt: skip
        tk.to_pandas(pd.DataFrame({"x": [1]}), max_rows=max_rows)


def test_max_rows_takes_numpy_integers_and_zero():
    frame = pd.DataFrame({"x": [1]})
    assert tk.to_pandas(frame, max_rows=np.int64(5)) is frame
    assert tk.to_pandas(frame.iloc[:0], max_rows=0).empty


def test_a_bad_scaleout_max_rows_variable_warns_and_keeps_the_default():
    code = (
        "import warnings; warnings.simplefilter('error'); import toolkit.bridge\nprint('imported')"
    )
    env = {"SCALEOUT_MAX_ROWS": "1e6", "PATH": ""}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert done.returncode == 1 and "ToolkitAdviceWarning: SCALEOUT_MAX_ROWS='1e6' is not a " \
        "whole number of rows" in done.stderr  # fmt: skip
    code = "import toolkit.bridge as b; print(b.DEFAULT_MAX_ROWS)"
    done = subprocess.run([sys.executable, "-W", "ignore", "-c", code], env=env,
                          capture_output=True, text=True)  # fmt: skip
    assert done.stdout.strip() == "1000000", done.stderr[-2000:]


# -- with Spark ----------------------------------------------------------------------------


def test_spark_side_index_col_and_max_rows_fail_before_any_job(spark):
    sdf = spark.range(3).withColumnRenamed("id", "key")
    with pytest.raises(tk.SchemaMismatchError, match=r"index_col='id' is not a column .*\['key'\]"):
        tk.to_pandas(sdf, index_col="id")
    with pytest.raises(tk.SchemaMismatchError, match="index_col='id' is not a column"):
        tk.to_pandas_on_spark(sdf, index_col="id")
    with pytest.raises(tk.InvalidOptionError, match=r"got '10' \(str\)"):
        tk.to_pandas(sdf, max_rows="10")
    psdf = tk.to_pandas_on_spark(pd.DataFrame({"x": [1, 2]}))
    with pytest.raises(tk.SchemaMismatchError, match="index_col='x' would add the index"):
        tk.to_spark(psdf, index_col="x")
    with pytest.raises(tk.InvalidOptionError, match=r"got 1\.5 \(float\)"):
        tk.to_pandas(psdf, max_rows=1.5)


def test_repeated_spark_column_names_come_back_as_pandas_would_hold_them(spark):
    sdf = tk.to_spark(pd.DataFrame({"a": pd.array([1, None], dtype="Int32")}))
    back = tk.to_pandas(sdf.selectExpr("a", "a", "a + 1 AS b"))
    assert list(back.columns) == ["a", "a", "b"]
    assert [str(t) for t in back.dtypes] == ["Int32", "Int32", "float64"]
    with pytest.raises(tk.SchemaMismatchError, match="index_col='a' matches 2 columns"):
        tk.to_pandas(sdf.selectExpr("a", "a"), index_col="a")


def test_values_pandas_cannot_hold_are_a_named_error_not_an_arrow_trace(spark):
    old = spark.sql("SELECT 1 AS id, timestamp_ntz'0001-01-01 00:00:00' AS t")
    match = r"cannot be converted to pandas: .*out of bounds timestamp.*years 1677 to 2262"
    with pytest.raises(tk.UnsupportedInputError, match=match):
        tk.to_pandas(old)
    with pytest.raises(tk.UnsupportedInputError, match=match):
        tk.to_pandas(tk.to_pandas_on_spark(old))
