"""No silent differences: calls pandas-on-Spark answers with other values than pandas.

Each case is one the docstring corpus (``python -m benchmarks.dropin``) found giving
another answer than pandas. The same code runs on plain pandas and through
``adapters.pandas`` on the spark backend; the results must be equal under pandas' strict
checks, or the call refused under ``raise``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas
import pytest

import adapters.pandas as pd
from toolkit.exceptions import UnsupportedPandasAPIError


def _local(value: Any) -> Any:
    return value.to_pandas() if hasattr(value, "to_pandas") else value


def _both(code: Callable[[Any], Any]) -> tuple[Any, Any]:
    """``code(module)`` on plain pandas and through the adapter (spark backend, warn)."""
    want = code(pandas)
    with pd.backend("spark"), pd.fallback("warn"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = _local(code(pd))
    return want, got


def _assert_same(want: Any, got: Any) -> None:
    if isinstance(want, pandas.DataFrame):  # an index's freq is not kept on Spark
        pandas.testing.assert_frame_equal(got, want, check_freq=False)
    elif isinstance(want, pandas.Series):
        pandas.testing.assert_series_equal(got, want)
    else:
        assert type(got) is type(want) and got == want


def _update_with_list(pd: Any) -> Any:
    s = pd.Series([1, 2, 3])
    s.update([4, np.nan, 6])  # changes s; returns None
    return s


def _insert(pd: Any) -> Any:
    df = pd.DataFrame({"col1": [1, 2], "col2": [3, 4]})
    df.insert(1, "newcol", [99, 99])
    df.insert(0, "col0", [100, 100])
    return df


def _frames_on_one_index(pd: Any) -> Any:
    index = ["circle", "triangle", "rectangle"]  # equal indexes, not sorted: pandas' order
    df = pd.DataFrame({"angles": [0, 3, 4], "degrees": [360, 180, 360]}, index=index)
    return df * pd.DataFrame({"angles": [0, 3, 4]}, index=index)


def _series_union(pd: Any) -> Any:
    return pd.Series([1, 2, 3]) + pd.Series([10, 20, 30, 40])


def _combine_first(pd: Any) -> Any:
    return pd.Series([1, np.nan]).combine_first(pd.Series([3, 4, 5]))


def _compare_other_frame(pd: Any) -> Any:
    df = pd.DataFrame({"cost": [250, 150, 100], "revenue": [100, 250, 300]}, index=list("ABC"))
    return df.gt(pd.DataFrame({"revenue": [300, 250, 100]}, index=list("ABC")))


def _agg_listed(pd: Any) -> Any:
    return pd.DataFrame({"A": [1, 2], "B": [3, 4]}).agg({"A": ["sum", "min"], "B": ["min", "max"]})


def _numpy_where(pd: Any) -> Any:
    df = pd.DataFrame(np.arange(10).reshape(-1, 2), columns=["A", "B"])
    m = df % 3 == 0
    return df.where(m, -df) == np.where(m, df, -df)


def _group_rank_assigned(pd: Any) -> Any:
    df = pd.DataFrame({"group": list("aaabbb"), "value": [2, 4, 2, 1, 2, 1]})
    df["rank"] = df.groupby("group")["value"].rank()
    return df


def _rank_after_assignment(pd: Any) -> Any:
    s = pd.Series(range(5), index=list("abcde"))
    s["d"] = s["b"]
    return s.rank()


def _date_string_slice(pd: Any) -> Any:
    df = pd.DataFrame({"v": range(6)}, index=pd.date_range("2016-01-09", periods=6, freq="12h"))
    return df.loc["2016-01-09":"2016-01-10", :]


def _update_keeps_ints(pd: Any) -> Any:
    s = pd.Series([1, 2, 3])
    s.update(pd.Series([4, np.nan, 6]))
    return s


def _index_as_column(pd: Any) -> Any:
    df = pd.DataFrame({"A": [1, 2], "B": [3.0, 4.5]})
    df["C"] = pd.date_range("2000", periods=2)
    return df


def _integer_powers_as_index(pd: Any) -> Any:
    df = pd.DataFrame({"month": [1, 4, 7, 10], "sale": [55, 40, 84, 31]})
    s = pd.Series([1, 2, 3, 4])
    return df.set_index([s, s**2])


CASES = {
    "update changes the series": _update_with_list,
    "update keeps the integer dtype": _update_keeps_ints,
    "an Index assigned as a column": _index_as_column,
    "an integer power stays an integer": _integer_powers_as_index,
    "dummies are booleans": lambda pd: pd.get_dummies(pd.Series(list("abca"))),
    "a grouped rolling sum is float64": lambda pd: (
        pd.DataFrame({"A": [1, 1, 2, 2], "B": [1, 2, 3, 4]})
        .groupby("A")
        .rolling(2, min_periods=1)
        .sum()
    ),
    "nunique across columns counts in int64": lambda pd: pd.DataFrame(
        {"A": [4, 5, 6], "B": [4, 1, 1]}
    ).nunique(axis=1),
    "reindex with a fill_value of another type": lambda pd: pd.DataFrame(
        {"a": [1, 2]}, index=["x", "y"]
    ).reindex(["x", "z"], fill_value="missing"),
    "insert changes the frame": _insert,
    "equal indexes keep their order": _frames_on_one_index,
    "a union of indexes is sorted": _series_union,
    "combine_first sorts the union": _combine_first,
    "a comparison with a missing column is False": _compare_other_frame,
    "agg rows in the order listed": _agg_listed,
    "numpy reads a frame as its values": _numpy_where,
    "a groupby result assigned keeps the frame's order": _group_rank_assigned,
    "rank keeps the series' order": _rank_after_assignment,
    "a date string bound is the whole day": _date_string_slice,
    "rename_axis keeps no name": lambda pd: pd.Series(["dog", "cat"]).rename_axis("animal"),
    "equals is one bool": lambda pd: pd.DataFrame({1: [10], 2: [20]}).equals(
        pd.DataFrame({1: [10], 2: [20]})
    ),
    "a reduction gives a numpy scalar": lambda pd: pd.Series([1, 2, 3]).sum(),
    "all gives a numpy bool": lambda pd: pd.Series([True, True]).all(),
    "agg of a series in the order listed": lambda pd: pd.Series([1, 2, 3, 4]).agg(["min", "max"]),
}


@pytest.mark.parametrize("code", CASES.values(), ids=CASES.keys())
def test_the_adapter_gives_pandas_answer(spark, code):
    _assert_same(*_both(code))


def _unordered_date_string_slice(pd: Any) -> Any:
    index = pd.DatetimeIndex(["2016-01-10 12:00", "2016-01-09", "2016-01-10"])
    return pd.DataFrame({"v": range(3)}, index=index).loc["2016-01-09":"2016-01-10", :]


def test_a_difference_is_refused_under_raise(spark):
    with (
        pd.backend("spark"),
        pd.fallback("raise"),
        pytest.raises(UnsupportedPandasAPIError) as info,
    ):
        _unordered_date_string_slice(pd)
    assert "whole period" in str(info.value)
    assert "test_pandas_differences.py" in str(info.value)  # the user's own line


def test_duplicate_column_names_are_refused_and_the_frame_is_unchanged(spark):
    with pd.backend("spark"), pd.fallback("warn"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        df = pd.DataFrame({"col1": [1, 2], "col2": [3, 4]})
        with pytest.raises(UnsupportedPandasAPIError, match="two columns are named 'col1'"):
            df.insert(0, "col1", [100, 100], allow_duplicates=True)
        assert list(df.columns) == ["col1", "col2"]


def test_info_is_refused_under_every_policy(spark):
    for policy in ("raise", "warn"):
        with pd.backend("spark"), pd.fallback(policy), pytest.raises(UnsupportedPandasAPIError):
            pd.DataFrame({"a": [1]}).info()


def test_attrs_and_flags_are_refused_not_read_from_a_copy(spark):
    with pd.backend("spark"), pd.fallback("warn"):
        df = pd.DataFrame({"a": [1]})
        for name in ("attrs", "flags"):
            with pytest.raises(UnsupportedPandasAPIError, match=f"DataFrame.{name} at "):
                getattr(df, name)


def test_an_index_str_accessor_runs_in_pandas(spark):
    want, got = _both(lambda pd: pd.DataFrame({"a": [1]}, index=["xyz"]).index.str.len().max())
    assert got == want


def _multiindex_columns(pd: Any) -> Any:
    index = pd.MultiIndex.from_tuples([("bird", "falcon"), ("bird", "parrot")], names=["c", "n"])
    columns = pd.MultiIndex.from_tuples([("speed", "max"), ("species", "type")])
    return pd.DataFrame([(389.0, "fly"), (24.0, "fly")], index=index, columns=columns).reset_index()


CONSTRUCTED = {
    "an empty series": lambda pd: pd.Series(dtype="float64"),
    "MultiIndex columns from the same module": _multiindex_columns,
    "nth subscripted": lambda pd: (
        pd.DataFrame({"A": [1, 1, 2, 1, 2], "B": [0, 2, 3, 4, 5]}).groupby("A").nth[0, 1]
    ),
}


@pytest.mark.parametrize("code", CONSTRUCTED.values(), ids=CONSTRUCTED.keys())
def test_pandas_forms_the_adapter_accepts(spark, code):
    _assert_same(*_both(code))


WITH_NULLS = {
    "rank leaves missing values out": lambda pd: pd.Series([4, 2, 4, 8, np.nan]).rank(),
    "rolling counts values that are there": lambda pd: (
        pd.DataFrame({"B": [0, 1, 2, np.nan, 4]}).rolling(2).sum()
    ),
    "sort_index by a level sorts the rest": lambda pd: pd.Series(
        range(4), index=[np.array(["b", "b", "a", "a"]), np.array(["two", "one", "two", "one"])]
    ).sort_index(level=1),
    "first_valid_index of a frame: any column valid": lambda pd: int(  # label type aside
        pd.DataFrame({"A": [None, None, 2], "B": [None, 3, 4]}).first_valid_index()
    ),
    "a series of an index is in order, unnamed": lambda pd: pd.Series(
        pd.date_range("20200101", periods=3)
    ),
}


@pytest.mark.parametrize("code", WITH_NULLS.values(), ids=WITH_NULLS.keys())
def test_answers_pandas_on_spark_gives_differently(spark, code):
    _assert_same(*_both(code))


# -- an index's freq where pandas' is known for certain -------------------------------------


def _frame_of_one_series(pd: Any) -> Any:
    index = pd.date_range("1/1/2000", periods=4, freq="min")
    return pd.DataFrame({"s": pd.Series([0.0, None, 2.0, 3.0], index=index)})


def _two_days(pd: Any) -> Any:
    return pd.DataFrame(
        {"A": [1, 2, 3, 4]}, index=pd.date_range("2018-04-09", periods=4, freq="2D")
    )


EXACT = {
    "unique is an array in order of appearance": lambda pd: pd.Series([2, 1, 3, 3]).unique(),
    "to_numpy of a categorical is an array": lambda pd: pd.Series(
        pd.Categorical(["a", "b", "a"])
    ).to_numpy(),
    "an empty series": lambda pd: pd.Series(),
    "apply's function gets pandas objects from pd": lambda pd: pd.DataFrame({"A": [1, 2]}).apply(
        lambda x: pd.Series([1, 2], index=["foo", "bar"]), axis=1
    ),
    "a frame of one series keeps its freq": _frame_of_one_series,
    "shift keeps the freq": lambda pd: _two_days(pd).shift(1),
    "a column keeps the freq": lambda pd: _two_days(pd)["A"],
    "head keeps the freq": lambda pd: _two_days(pd).head(2),
    "every other row doubles the freq": lambda pd: _two_days(pd)["A"][::2],
    "at_time takes rows at a step": lambda pd: pd.DataFrame(
        {"A": [1, 2, 3, 4]}, index=pd.date_range("2018-04-09", periods=4, freq="12h")
    ).at_time("12:00"),
    "reindex_like takes the other's index": lambda pd: pd.DataFrame(
        {"A": [1.0, 2.0]}, index=pd.DatetimeIndex(["2014-02-12", "2014-02-14"])
    ).reindex_like(_two_days(pd)),
}


@pytest.mark.parametrize("code", EXACT.values(), ids=EXACT.keys())
def test_pandas_exact_value(spark, code):
    from benchmarks.dropin.compare import compare

    want, got = _both(code)
    verdict = compare(want, got)
    assert verdict.kind == "identical", verdict.detail


def test_a_shallow_copy_is_refused_under_every_policy(spark):
    for policy in ("raise", "warn"):
        with pd.backend("spark"), pd.fallback(policy):
            s = pd.Series([1, 2])
            with pytest.raises(UnsupportedPandasAPIError, match="shallow copy"):
                s.copy(deep=False)


FREQ = {
    "a frame built on a date_range": lambda pd: pd.DataFrame(
        {"A": [1, 2, 3, 4]}, index=pd.date_range("2018-04-09", periods=4, freq="12h")
    ),
    "a resampled aggregation": lambda pd: (
        pd.Series(
            [1, 2, 3, 4],
            index=pd.DatetimeIndex(["2023-01-01", "2023-01-15", "2023-02-01", "2023-03-15"]),
        )
        .resample("MS")
        .sum()
    ),
    "a date slice on an increasing index (native, exact bounds)": _date_string_slice,
}


@pytest.mark.parametrize("code", FREQ.values(), ids=FREQ.keys())
def test_the_index_freq_is_pandas_own(spark, code):
    from benchmarks.dropin.compare import compare

    want, got = _both(code)
    verdict = compare(want, got)
    assert verdict.kind == "identical", verdict.detail


def test_a_frame_changed_in_place_keeps_no_stale_freq(spark):
    want = pandas.DataFrame({"A": [1, 2]}, index=pandas.date_range("2018", periods=2))
    with pd.backend("spark"):
        df = pd.DataFrame({"A": [1, 2]}, index=pd.date_range("2018", periods=2))
        assert df.to_pandas().index.freq == want.index.freq
        df.index = pd.DatetimeIndex(["2018-01-01", "2018-01-03"])
        assert df.to_pandas().index.freq is None
