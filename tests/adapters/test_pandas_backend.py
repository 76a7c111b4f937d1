"""adapters.pandas: backend selection, name resolution, argument normalisation, fallback policy."""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pandas
import pytest

import adapters.pandas as pd
from toolkit.exceptions import (
    InvalidOptionError,
    ToolkitAdviceWarning,
    ToolkitError,
    UnsupportedPandasAPIError,
)

# -- no Spark needed ------------------------------------------------------------------------


def test_import_starts_no_jvm_and_imports_neither_pyspark_nor_mlflow():
    code = (
        "import sys, adapters, adapters.pandas as pd; pd.DataFrame({'a': [1]}); "
        "print('mlflow' in sys.modules, 'pyspark' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "False"]


def test_public_names_are_sorted_and_resolve():
    import adapters.migration as migration

    for module in (pd, migration):
        assert module.__all__ == sorted(set(module.__all__))
        assert all(hasattr(module, name) for name in module.__all__)


def test_pandas_backend_is_plain_pandas_with_zero_overhead():
    with pd.backend("pandas"):
        assert pd.DataFrame is pandas.DataFrame
        assert pd.read_csv is pandas.read_csv
        assert pd.cut is pandas.cut and pd.NA is pandas.NA
        from adapters.pandas import merge

        assert merge is pandas.merge
    assert {"read_parquet", "set_backend", "fallback_report"} <= set(dir(pd))
    with pytest.raises(AttributeError, match="no attribute 'read_nothing'"):
        pd.read_nothing  # noqa: B018


def test_backend_comes_from_block_then_set_backend_then_environment(monkeypatch):
    monkeypatch.delenv("SCALEOUT_BACKEND", raising=False)
    assert pd.get_backend() == "pandas"
    monkeypatch.setenv("SCALEOUT_BACKEND", "spark")
    assert pd.get_backend() == "spark"  # resolving nothing starts nothing
    with pd.backend("pandas"):
        assert pd.get_backend() == "pandas"
        with pd.backend("pandas"):
            assert pd.get_backend() == "pandas"
    assert pd.get_backend() == "spark"
    previous = pd.set_backend("pandas")
    try:
        assert previous == "spark" and pd.get_backend() == "pandas"
    finally:
        pd.set_backend(None)  # back to the environment's choice
    assert pd.get_backend() == "spark"


def test_a_spark_task_always_sees_pandas(monkeypatch):
    import pyspark

    monkeypatch.setattr(pyspark.TaskContext, "get", classmethod(lambda cls: object()))
    monkeypatch.setenv("SCALEOUT_BACKEND", "spark")
    assert pd.get_backend() == "pandas"


def test_bad_options_are_clear_errors(monkeypatch):
    with pytest.raises(InvalidOptionError, match="backend must be one of pandas, spark"):
        pd.set_backend("dask")
    monkeypatch.setenv("SCALEOUT_BACKEND", "polars")
    with pytest.raises(InvalidOptionError, match="SCALEOUT_BACKEND"):
        pd.get_backend()
    with pytest.raises(InvalidOptionError, match="fallback mode must be one of"):
        pd.set_fallback("ignore")
    with pytest.raises(InvalidOptionError, match="max_rows"):
        pd.set_fallback(max_rows=-1)
    assert issubclass(InvalidOptionError, ToolkitError) and issubclass(
        InvalidOptionError, ValueError
    )


def test_fallback_policy_defaults_and_scoping():
    assert pd.get_fallback() == pd.FallbackPolicy("warn", 1_000_000)
    previous = pd.set_fallback("silent", max_rows=10)
    try:
        assert pd.get_fallback() == pd.FallbackPolicy("silent", 10)
        with pd.fallback("raise"):
            assert pd.get_fallback() == pd.FallbackPolicy("raise", 10)
        assert pd.get_fallback().mode == "silent"
    finally:
        pd.set_fallback(previous.mode, max_rows=previous.max_rows)
    assert pd.get_fallback() == previous


# -- the spark backend ------------------------------------------------------------------------


@pytest.fixture
def sales(spark):
    with pd.backend("spark"):
        frame = pd.DataFrame(
            {
                "region": ["n", "s", "n", "e"],
                "amount": [1.0, 2.0, 3.0, 4.0],
                "day": pandas.to_datetime(["2024-01-01", "2024-01-02", "2024-01-04", "2024-01-05"]),
            }
        )
    pd.fallback_report(reset=True)
    return frame


def _local(frame):
    return frame.to_pandas()


def test_spark_names_resolve_to_pandas_on_spark(spark, tmp_path):
    import pyspark.pandas as ps
    from pyspark.pandas.utils import default_session

    pandas.DataFrame({"x": [1, 2]}).to_parquet(tmp_path / "x.parquet")
    with pd.backend("spark"):
        assert pd.DataFrame is ps.DataFrame and pd.Series is ps.Series
        assert isinstance(pd.read_parquet(str(tmp_path / "x.parquet")), ps.DataFrame)
        assert pd.NA is pandas.NA and pd.Timestamp is pandas.Timestamp  # values stay pandas'
        assert pd.Grouper is pandas.Grouper  # builds a local object
        assert pd.concat([pd.DataFrame({"x": [1]}), pd.DataFrame({"x": [2]})]).shape == (2, 1)
    assert default_session() is spark  # toolkit.session.api()'s session, not a new one


def test_arguments_pandas_accepts_are_accepted(sales):
    with pd.backend("spark"), pd.fallback("raise"):
        table = sales.pivot_table(values="amount", index="region", columns="day", aggfunc="sum")
        assert _local(table).sum(axis=1).to_dict() == {"e": 4.0, "n": 4.0, "s": 2.0}
        totals = sales.groupby("region", sort=False)["amount"].sum()
        assert _local(totals).sort_index().tolist() == [4.0, 4.0, 2.0]
        share = sales.groupby("region")["amount"].transform("sum")
        assert _local(share).sort_index().tolist() == [4.0, 2.0, 4.0, 4.0]
        merged = sales.merge(sales, on="region", indicator=False)  # the default: dropped
        assert len(merged) == 6
    assert pd.fallback_report().empty


def test_raise_names_the_api_and_the_alternative(sales):
    with pd.backend("spark"), pd.fallback("raise"):
        with pytest.raises(
            UnsupportedPandasAPIError, match=r"^DataFrame\.asfreq .*Instead: resample"
        ):
            sales.set_index("day").asfreq("D")
        with pytest.raises(
            UnsupportedPandasAPIError, match=r"^pandas\.cut .*Instead: .*transform_batch"
        ):
            pd.cut(sales["amount"], bins=[0, 2, 5], labels=["low", "high"])
        with pytest.raises(UnsupportedPandasAPIError, match=r"DataFrame\.merge: .*no indicator="):
            sales.merge(sales, on="region", indicator=True)
        with pytest.raises(NotImplementedError, match="time-based"):  # a NotImplementedError too
            sales.set_index("day")["amount"].rolling("2D").sum()
    assert pd.fallback_report().empty


def test_warn_runs_it_in_pandas_and_returns_pandas_on_spark(sales):
    import pyspark.pandas as ps

    local = _local(sales)
    with pd.backend("spark"), pd.fallback("warn"):
        with pytest.warns(
            ToolkitAdviceWarning, match=r"pandas\.cut ran in pandas on the driver"
        ) as seen:
            bands = pd.cut(sales["amount"], bins=[0, 2, 5], labels=["low", "high"])
        assert seen[0].filename == __file__  # points at the caller's line
        assert isinstance(bands, ps.Series)
        expected = pandas.cut(local["amount"], bins=[0, 2, 5], labels=["low", "high"])
        assert _local(bands).tolist() == expected.astype(object).tolist()

        with pytest.warns(ToolkitAdviceWarning, match="DataFrame.asfreq"):
            daily = sales.set_index("day").asfreq("D")
        want = local.set_index("day").asfreq("D")
        pandas.testing.assert_frame_equal(_local(daily).fillna(0), want.fillna(0), check_freq=False)

        with pytest.warns(ToolkitAdviceWarning, match="SeriesGroupBy.pct_change"):
            change = sales.groupby("region")["amount"].pct_change()
        want = local.groupby("region")["amount"].pct_change()
        pandas.testing.assert_series_equal(_local(change).sort_index(), want)

        with pytest.warns(ToolkitAdviceWarning, match="Series.rolling"):
            rolled = sales.set_index("day")["amount"].rolling("2D").sum()
        want = local.set_index("day")["amount"].rolling("2D").sum()
        pandas.testing.assert_series_equal(_local(rolled).sort_index(), want, check_freq=False)


def test_silent_falls_back_without_a_warning(sales):
    with pd.backend("spark"), pd.fallback("silent"), warnings.catch_warnings():
        warnings.simplefilter("error")
        groups = {key: len(part) for key, part in sales.groupby("region")}
    assert groups == {"e": 1, "n": 2, "s": 1}
    assert pd.fallback_report()["api"].tolist() == ["DataFrameGroupBy.__iter__"]


def test_max_rows_is_honoured_across_all_collected_frames(sales):
    with pd.backend("spark"):
        keys = pd.DataFrame({"region": ["n", "s", "w"]})
        with (
            pd.fallback("warn", max_rows=4),
            pytest.raises(
                UnsupportedPandasAPIError,
                match=r"more than max_rows=4 rows .*set_fallback\(max_rows=",
            ),
        ):
            sales.merge(keys, on="region", indicator=True)  # 4 + 3 rows would move
        with (
            pd.fallback("warn", max_rows=3),
            pytest.raises(UnsupportedPandasAPIError, match="max_rows=3"),
        ):
            pd.cut(sales["amount"], bins=[0, 2, 5], labels=["low", "high"])
        with pd.fallback("silent", max_rows=7):
            both = sales.merge(keys, on="region", how="left", indicator=True)
        assert sorted(_local(both)["_merge"].astype(str)) == ["both", "both", "both", "left_only"]
    assert pd.fallback_report().to_dict("records") == [
        {"api": "DataFrame.merge", "calls": 1, "rows_to_driver": 7, "rows_to_spark": 4}
    ]


def test_fallback_report_counts_are_exact(sales):
    with pd.backend("spark"), pd.fallback("silent"):
        pd.cut(sales["amount"], bins=[0, 2, 5], labels=["low", "high"])
        pd.cut(sales["amount"], bins=[0, 2, 5], labels=["low", "high"])
        sales.set_index("day").asfreq("D")  # 4 rows in, 5 calendar days out
        values = [v for v in sales["amount"]]
        rolled = sales.set_index("day")["amount"].rolling("2D")  # a pandas stand-in ...
        rolled.sum()  # ... whose results go back to Spark
    assert values == [1.0, 2.0, 3.0, 4.0]
    report = pd.fallback_report(reset=True)
    assert report.to_dict("records") == [
        {"api": "DataFrame.asfreq", "calls": 1, "rows_to_driver": 4, "rows_to_spark": 5},
        {"api": "Series.__iter__", "calls": 1, "rows_to_driver": 4, "rows_to_spark": 0},
        {"api": "Series.rolling", "calls": 1, "rows_to_driver": 4, "rows_to_spark": 4},
        {"api": "pandas.cut", "calls": 2, "rows_to_driver": 8, "rows_to_spark": 8},
    ]
    assert pd.fallback_report().empty


def test_local_data_stays_local_and_moves_nothing(spark):
    with pd.backend("spark"), pd.fallback("raise"):
        bands = pd.cut(np.array([1, 5, 9]), 3, labels=False)
    assert list(bands) == [0, 1, 2]
    assert pd.fallback_report().empty


def test_results_spark_cannot_hold_stay_in_pandas_or_are_refused(sales):
    with pd.backend("spark"), pd.fallback("silent"):
        kept = pd.cut(sales["amount"], bins=2)  # no labels: pandas Interval categories
        want = pandas.cut(sales["amount"].to_pandas(), bins=2)
    pandas.testing.assert_series_equal(kept, want)  # pandas' own object, never converted
    with (
        pd.backend("spark"),
        pd.fallback("raise"),
        pytest.raises(UnsupportedPandasAPIError, match="pandas.cut"),
    ):
        pd.cut(sales["amount"], bins=2)


def test_hooks_leave_working_calls_and_hasattr_alone(sales):
    with pd.backend("spark"):
        assert not hasattr(sales, "attrs")  # refused as an AttributeError too
        assert not hasattr(sales, "sparse")  # absent pandas properties are not faked
        assert hasattr(sales, "asfreq")  # methods are, and only calling them falls back
        assert _local(sales.groupby("region")["amount"].sum()).sort_index().tolist() == [
            4.0,
            4.0,
            2.0,
        ]


def test_options_go_where_the_key_lives(spark):
    with pd.backend("spark"):
        import pyspark.pandas as ps

        with pd.option_context("display.max_columns", 7, "compute.max_rows", 50):
            assert pandas.get_option("display.max_columns") == 7
            assert ps.get_option("compute.max_rows") == 50
            assert pd.get_option("compute.max_rows") == 50
        assert ps.get_option("compute.max_rows") == 1000
