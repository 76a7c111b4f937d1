"""Fallback on failure: what pandas-on-Spark refuses at run time runs in pandas, or is refused.

Each case is a call pandas-on-Spark itself raises on (no rule in the book foresees it);
the result must be pandas' result, pandas' own exception, or a one-line
UnsupportedPandasAPIError naming the API and the caller's line, never a Java trace.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas
import pytest

import adapters.pandas as pd
from adapters.pandas._guard import reason
from adapters.pandas._holdable import holdable_problem
from benchmarks.dropin.compare import compare
from toolkit.exceptions import ToolkitAdviceWarning, UnsupportedPandasAPIError

DATA = {"shield": [1, 8, 8], "a": [1, 2, 3]}


@pytest.fixture
def frame(spark):
    with pd.backend("spark"):
        yield pd.DataFrame(DATA)


def _local(value):
    return value.to_pandas() if hasattr(value, "to_pandas") else value


# -- no Spark needed ------------------------------------------------------------------------


def test_reason_is_one_line_without_py4j_java_or_traceback():
    java = ValueError(
        "An error occurred while calling o45.select.\n"
        ": org.apache.spark.sql.AnalysisException: [BAD] no such column\n\tat org.Foo(Foo.scala:1)"
    )
    assert reason(java) == "[BAD] no such column"
    worker = RuntimeError(
        "An exception was thrown from the Python worker.\nTraceback (most recent call last):\n"
        '  File "x.py", line 1\nZeroDivisionError: division by zero\n'
    )
    assert reason(worker) == "ZeroDivisionError: division by zero"
    assert reason(KeyError()) == "KeyError"


# -- on Spark ------------------------------------------------------------------------------


def test_a_call_pandas_on_spark_refuses_runs_in_pandas_under_warn(frame):
    expected = pandas.DataFrame(DATA).loc[lambda d: d["shield"] == 8]
    with pd.backend("spark"), pd.fallback("warn"), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = frame.loc[lambda d: d["shield"] == 8]
    pandas.testing.assert_frame_equal(_local(got), expected)
    advice = [w for w in caught if issubclass(w.category, ToolkitAdviceWarning)]
    assert advice and advice[0].filename == __file__
    assert "DataFrame.loc ran in pandas" in str(advice[0].message)
    assert "DataFrame.loc" in set(pd.fallback_report(reset=True)["api"])


def test_under_raise_it_is_a_one_line_refusal_naming_the_callers_line(frame):
    with (
        pd.backend("spark"),
        pd.fallback("raise"),
        pytest.raises(UnsupportedPandasAPIError) as raised,
    ):
        frame.loc[lambda d: d["shield"] == 8]
    message = str(raised.value)
    assert message.startswith("DataFrame.loc at ")
    assert f"{__file__}:" in message and "Instead:" in message
    assert "\n" not in message and "org.apache" not in message
    assert raised.value.__cause__ is None and raised.value.__suppress_context__


def test_a_missing_label_stays_a_key_error_as_in_pandas(frame):
    with pd.backend("spark"), pd.fallback("raise"), pytest.raises(KeyError):
        frame["nope"]
    with pd.backend("spark"), pd.fallback("warn"), pytest.raises(KeyError):
        frame["nope"]  # pandas raises it too: pandas' answer, unchanged


def test_assignment_falls_back_whole_and_matches_pandas(frame):
    expected = pandas.DataFrame(DATA)
    expected.loc[expected["a"] > 1, "a"] = [10, 20]
    with pd.backend("spark"), pd.fallback("silent"):
        frame.loc[frame["a"] > 1, "a"] = [10, 20]
    pandas.testing.assert_frame_equal(_local(frame), expected)


def test_a_failing_change_leaves_the_frame_as_it_was(frame):
    with pd.backend("spark"), pd.fallback("silent"), pytest.raises(ValueError):
        frame.loc[:, "a"] = [10, 20]  # pandas' own error: 3 rows, 2 values
    pandas.testing.assert_frame_equal(_local(frame), pandas.DataFrame(DATA))


def test_in_place_on_a_frame_runs_on_a_copy_then_swaps_the_data_in(frame):
    expected = pandas.DataFrame(DATA)
    expected.mask(expected > 2, 0, inplace=True)
    with pd.backend("spark"), pd.fallback("silent"):
        assert frame.mask(frame > 2, 0, inplace=True) is None
    pandas.testing.assert_frame_equal(_local(frame), expected)


def test_a_fill_value_spark_would_cast_gives_pandas_answer_without_a_java_trace(frame, capfd):
    # pandas-on-Spark casts 'missing' to the integer columns lazily, failing at display
    want = pandas.DataFrame(DATA).reindex([0, 5], fill_value="missing")
    with pd.backend("spark"), pd.fallback("warn"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reindexed = frame.reindex([0, 5], fill_value="missing")
        repr(reindexed)
        pandas.testing.assert_frame_equal(_local(reindexed), want)
    with pd.backend("spark"), pd.fallback("raise"), pytest.raises(UnsupportedPandasAPIError):
        frame.reindex([0, 5], fill_value="missing")
    err = capfd.readouterr().err
    assert "org.apache" not in err and "Py4JJavaError" not in err


# -- data Spark cannot hold is refused, never converted into other values -----------------

UNHOLDABLE = {
    "unsigned": pandas.Series([1, 200], dtype="uint8"),
    "complex": pandas.Series([1 + 2j]),
    "half": pandas.Series([1.5], dtype="float16"),
    "sparse": pandas.Series(pandas.arrays.SparseArray([0, 1, 0])),
    "zoned": pandas.Series(pandas.date_range("2020", periods=2, tz="US/Eastern")),
    "period": pandas.Series(pandas.period_range("2020", periods=2, freq="M")),
    "mixed": pandas.Series([1, "x"]),
    "numbers as objects": pandas.Series([1, 2.5], dtype=object),
    "dicts": pandas.Series([{"a": 1}]),
    "lists": pandas.Series([[1, 2], [3]]),
    "overflow": pandas.Series(pandas.timedelta_range("1D", periods=3, freq="100000D", unit="s")),
}
HOLDABLE = {
    "ints": pandas.Series([1, 2]),
    "strings with NaN": pandas.Series(["a", np.nan]),
    "nullable": pandas.Series([1, None], dtype="Int64"),
    "seconds in range": pandas.Series(pandas.to_datetime(["2020-01-01"]).as_unit("s")),
}


@pytest.mark.parametrize("name", sorted(UNHOLDABLE))
def test_data_spark_cannot_hold_is_named_with_its_dtype_and_a_fix(name):
    series = UNHOLDABLE[name].rename("col")
    problem = holdable_problem(series)
    assert problem is not None, name
    assert problem.startswith(f"column 'col' has dtype {series.dtype}") and "Fix:" in problem
    assert holdable_problem(series.to_frame()) == problem


@pytest.mark.parametrize("name", sorted(HOLDABLE))
def test_data_spark_holds_passes(name):
    assert holdable_problem(HOLDABLE[name]) is None


def test_constructors_and_fallback_results_refuse_it_under_raise(spark):
    with pd.backend("spark"), pd.fallback("raise"):
        with pytest.raises(UnsupportedPandasAPIError, match="uint8") as info:
            pd.Series([1, 2], dtype="uint8")
        assert "test_pandas_guard.py" in str(info.value)  # the user's own line
        with pytest.raises(UnsupportedPandasAPIError, match="lists in cells"):
            pd.DataFrame({"a": [[1, 2], [3]]}, index=["x", "y"])
        with pytest.raises(UnsupportedPandasAPIError, match="UTC\\+02:00|time-zone"):
            pd.DatetimeIndex(["2018-09-15 01:30:00+02:00"])


KEPT = [
    ("pd.Series([1, 2], dtype='uint8')", ""),
    ("pd.DataFrame({'a': [[1, 2], [3]]}, index=['x', 'y'])", ""),
    ("pd.timedelta_range('1 Day', periods=3, freq='100000D', unit='s')", ""),
    ("pd.DatetimeIndex(['2018-09-15 01:30:00+02:00'])", ""),
    ("pd.Series([1], index=pd.DatetimeIndex(['2018-09-15 01:30:00+02:00'])).tz_convert(None)", ""),
    ("pd.Series([1, 'a', None]).dropna()", ""),
    ("pd.to_numeric(pd.Series(['1.0', '2', -3]))", ""),
    ("pd.cut(s, 3)", "s = pd.Series([1.0, 7.0, 5.0, 4.0])"),
    ("s.value_counts(bins=2)", "s = pd.Series([3, 1, 2, 3, 4])"),
    ("df.T", "df = pd.DataFrame({'name': ['Alice', 'Bob'], 'age': [9, 8]})"),
    ("s.tz_localize('CET')", "s = pd.Series([1], index=pd.DatetimeIndex(['2018-09-15 01:30']))"),
    ("pd.Series(['a', 'a', 'b', 'c']).describe()", ""),
    ("pd.Series([3, 1]).sort_values() + pd.Series([1 + 1j, 2])", ""),
]


@pytest.mark.parametrize(("code", "setup"), KEPT)
def test_data_spark_cannot_hold_stays_in_pandas_under_warn(spark, code, setup):
    namespace: dict[str, Any] = {"np": np}
    want = _evaluated(pandas, code, setup, namespace)
    with (
        pd.backend("spark"),
        pd.fallback("warn"),
        warnings.catch_warnings(record=True) as caught,
    ):
        warnings.simplefilter("always")
        got = _evaluated(pd, code, setup, namespace)
    assert type(got).__module__.startswith("pandas"), type(got)  # pandas' own object
    verdict = compare(want, got)
    assert verdict.kind == "identical", verdict.detail
    advice = [str(w.message) for w in caught if issubclass(w.category, ToolkitAdviceWarning)]
    assert any("stays in pandas" in text for text in advice), advice


def _evaluated(module: Any, code: str, setup: str, namespace: dict[str, Any]) -> Any:
    scope = {**namespace, "pd": module}
    exec(setup, scope)
    return eval(code, scope)


def test_an_explicit_conversion_to_spark_refuses_under_every_policy(spark):
    import pyspark.pandas as ps

    with (
        pd.backend("spark"),
        pd.fallback("warn"),
        pytest.raises(UnsupportedPandasAPIError, match="uint8"),
    ):
        ps.from_pandas(pandas.Series([1, 2], dtype="uint8"))


def test_a_kept_frame_cannot_replace_the_data_of_a_frame_in_place(spark):
    with pd.backend("spark"), pd.fallback("warn"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        df = pd.DataFrame({"col1": [1, 2], "col2": [3, 4]})
        with pytest.raises(UnsupportedPandasAPIError, match="two columns are named 'col1'"):
            df.insert(0, "col1", [100, 100], allow_duplicates=True)
        assert type(df).__module__.startswith("pyspark.pandas")


# -- calls pandas-on-Spark answered differently now give pandas' answer ----------------------

DIFFERENT_BEFORE = [
    ("pd.isna(pd.DatetimeIndex(['2017-07-05', None]))", ""),
    ("df.loc[df.index < 1, ['a']]", "df = pd.DataFrame({'a': [1, 2, 3]})"),
    ("df.loc[[True, False, True]]", "df = pd.DataFrame({'a': [1, 2, 3]})"),
    ("pd.eval('double = df.a * 2', target=df)", "df = pd.DataFrame({'a': [10, 20]})"),
    ("df.query('a > @limit')", "df = pd.DataFrame({'a': [1, 5]}); limit = 2"),
    ("s", "s = pd.Series([1, 2, 3]); s[0] = 10"),
    ("s", "s = pd.Series([1, 2, 3]); s.index = ['a', 'b', 'c']"),
    ("df", "df = pd.DataFrame({'a': [1, 2]}, index=[10, 20]); df.index = [100, 200]"),
    ("df", "df = pd.DataFrame({'A': [1, 2], 'B': [3, 4]}); df.at[1, 'B'] = 10"),
    ("df - [1, 2]", "df = pd.DataFrame({'a': [0, 3], 'b': [360, 180]})"),
    ("~df.isin([0, 2])", "df = pd.DataFrame({'a': [0, 1, 2]})"),
    ("s.map('I am a {}'.format)", "s = pd.Series(['cat', np.nan, 'rabbit'])"),
    ("pd.Series([str(row) for row in df.itertuples()])", "df = pd.DataFrame({'a': [1, 2]})"),
    ("df.median()", "df = pd.DataFrame({'a': [1, 2, 3, 4]})"),
    ("df.kurt(axis=None)", "df = pd.DataFrame({'a': [1, 2, 2, 3], 'b': [3, 4, 4, 4]})"),
    (
        "df.groupby('k').rank(method='first')",
        "df = pd.DataFrame({'k': list('aaab'), 'v': [2, 1, 2, 3]})",
    ),
    (
        "df.T.groupby(np.array([0, 0, 1])).ffill().T",
        "df = pd.DataFrame({'A': [1, None, 4], 'B': [None, 2, 3]}).T",
    ),
    *(
        (
            code,
            "df = pd.DataFrame({'k': list('babca'), 'j': [1, 2, 1, 2, 1], 'v': [1.0, 2, 3, 4, 5]})",
        )
        for code in (  # row order: keys sorted (aggregations), the frame's order (the rest)
            "df.groupby('k').sum()",
            "df.groupby(['k', 'j']).v.mean()",
            "df.groupby('k').size()",
            "df.groupby('k').agg(['min', 'max'])",
            "df.groupby('k').v.cumsum()",
            "df.groupby('k').shift(1)",
            "df.groupby('k').head(1)",
            "df.k.duplicated()",
            "df.drop_duplicates(['k'])",
            "df.k.repeat(2)",
        )
    ),
]


def _evaluate(code: str, setup: str, backend: str):
    namespace = {"pd": pd, "np": np}
    with pd.backend(backend), pd.fallback("silent"):
        exec(setup, namespace)
        return _local(eval(code, namespace))


@pytest.mark.parametrize(("code", "setup"), DIFFERENT_BEFORE)
def test_calls_that_gave_other_values_give_pandas_values(spark, code, setup):
    expected, got = _evaluate(code, setup, "pandas"), _evaluate(code, setup, "spark")
    if isinstance(expected, pandas.DataFrame):
        pandas.testing.assert_frame_equal(got, expected)
    elif isinstance(expected, pandas.Series):
        pandas.testing.assert_series_equal(got, expected)
    else:
        np.testing.assert_array_equal(got, expected)


def test_properties_and_index_constructors_are_guarded_too(spark):
    mixed = {"name": ["Alice", "Bob"], "score": [9.5, 8.0]}
    with pd.backend("spark"), pd.fallback("warn"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frame = pd.DataFrame(mixed)
        # pandas' answer mixes names and scores in one column: it stays pandas'
        pandas.testing.assert_frame_equal(frame.T, pandas.DataFrame(mixed).T)
        zoned = pd.DatetimeIndex(["2018-09-15 01:30:00+02:00"])
        pandas.testing.assert_index_equal(
            zoned, pandas.DatetimeIndex(["2018-09-15 01:30:00+02:00"])
        )
    with pd.backend("spark"), pd.fallback("raise"):
        frame = pd.DataFrame(mixed)
        with pytest.raises(UnsupportedPandasAPIError, match="DataFrame.T"):
            frame.T  # noqa: B018
        with pytest.raises(
            UnsupportedPandasAPIError, match=r"pandas.DatetimeIndex at .*datetime64"
        ):
            pd.DatetimeIndex(["2018-09-15 01:30:00+02:00"])


def test_a_missing_label_under_raise_is_a_refusal_that_is_still_a_key_error(frame):
    with pd.backend("spark"), pd.fallback("raise"), pytest.raises(KeyError) as raised:
        frame.xs(99)
    assert isinstance(raised.value, UnsupportedPandasAPIError)
    assert str(raised.value).startswith("DataFrame.xs at ")


# -- answers pandas-on-Spark would give with other values: pandas' answer, or a refusal ------


def test_melting_several_columns_stacks_them_as_pandas_does(spark):
    data = {"A": ["a", "b", "c"], "B": [1, 3, 5], "C": [2, 4, 6]}
    expected = pandas.DataFrame(data).melt(id_vars=["A"], value_vars=["B", "C"])
    with pd.backend("spark"), pd.fallback("warn"), warnings.catch_warnings():
        warnings.simplefilter("ignore", ToolkitAdviceWarning)
        got = pd.DataFrame(data).melt(id_vars=["A"], value_vars=["B", "C"])
        by_function = pd.melt(pd.DataFrame(data), ["A"], ["B", "C"])
    pandas.testing.assert_frame_equal(_local(got), expected)
    pandas.testing.assert_frame_equal(_local(by_function), expected)


def test_loc_with_a_named_index_of_labels_keeps_the_name(spark):
    data = {"x": [1, 2, 3]}
    labels = ["u", "v", "w"]
    expected = pandas.DataFrame(data, index=labels).loc[pandas.Index(["u", "w"], name="foo")]
    with pd.backend("spark"), pd.fallback("warn"), warnings.catch_warnings():
        warnings.simplefilter("ignore", ToolkitAdviceWarning)
        got = pd.DataFrame(data, index=labels).loc[pd.Index(["u", "w"], name="foo")]
    pandas.testing.assert_frame_equal(_local(got), expected)


def test_a_series_on_a_spark_index_is_built_as_pandas_builds_it(spark):
    days = ["2023-01-01", "2023-01-15", "2023-02-01", "2023-02-15"]
    expected = pandas.Series([4, 3, 2, 1], index=pandas.DatetimeIndex(days))
    with pd.backend("spark"):
        got = pd.Series([4, 3, 2, 1], index=pd.DatetimeIndex(days))
    assert got.name is None  # pandas-on-Spark alone names it 0
    pandas.testing.assert_series_equal(_local(got), expected)


def test_memory_usage_is_refused_even_under_warn(frame):
    """No fallback gives pandas' bytes (its RangeIndex is not what comes back from Spark)."""
    refused = pytest.raises(UnsupportedPandasAPIError, match=r"memory_usage at .*test_pandas_guard")
    with pd.backend("spark"), pd.fallback("warn"), refused:
        frame["a"].memory_usage()
