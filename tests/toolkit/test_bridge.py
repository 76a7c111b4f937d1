from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import toolkit as tk
from toolkit.bridge import frame_kind

SETTINGS = settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@st.composite
def frames(draw):
    n = draw(st.integers(0, 8))
    col = lambda elements: draw(st.lists(elements, min_size=n, max_size=n))  # noqa: E731
    micros = st.datetimes(dt.datetime(1900, 1, 1), dt.datetime(2200, 1, 1))
    text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=6)
    return pd.DataFrame(
        {
            "i": pd.array(col(st.integers(-(2**62), 2**62)), dtype="int64"),
            "f": pd.array(
                col(st.floats(allow_infinity=True, allow_nan=False, width=64)), dtype="float64"
            ),
            "b": pd.array(col(st.booleans()), dtype="bool"),
            "s": np.array(col(st.none() | text), dtype=object),
            "t": np.array(col(micros), dtype="datetime64[ns]"),
            "c": pd.Categorical(col(st.none() | st.sampled_from(["red", "green", "blue"]))),
            "n": pd.array(col(st.none() | st.integers(-1000, 1000)), dtype="Int64"),
        },
        index=pd.Index(
            draw(st.lists(st.integers(0, 10**6), min_size=n, max_size=n, unique=True)),
            name=draw(st.sampled_from([None, "key"])),
        ),
    )


def _categories_as_strings(pdf: pd.DataFrame) -> pd.DataFrame:
    out = pdf.copy()
    out["c"] = out["c"].astype(object).where(out["c"].notna(), None)
    return out


@SETTINGS
@given(pdf=frames())
def test_pandas_spark_pandas_round_trip_keeps_values_index_and_dtypes(spark, pdf):
    sdf = tk.to_spark(pdf, index_col="row")
    assert sdf.columns == ["row", *pdf.columns]
    back = tk.to_pandas(sdf, index_col="row")
    pd.testing.assert_frame_equal(back, _categories_as_strings(pdf))


@SETTINGS
@given(pdf=frames())
def test_pandas_on_spark_round_trip(spark, pdf):
    psdf = tk.to_pandas_on_spark(pdf)
    assert frame_kind(psdf) == "pandas_on_spark"
    back = tk.to_pandas(psdf)
    expected = _categories_as_strings(pdf)
    assert back.index.tolist() == expected.index.tolist()
    pd.testing.assert_frame_equal(back, expected, check_dtype=False, check_index_type=False)


def test_spark_to_pandas_on_spark_and_back_to_spark_with_index(spark):
    sdf = spark.createDataFrame(pd.DataFrame({"id": [3, 1, 2], "x": [0.3, 0.1, 0.2]}))
    psdf = tk.to_pandas_on_spark(sdf, index_col="id")
    assert sorted(psdf.index.to_numpy().tolist()) == [1, 2, 3]
    again = tk.to_spark(psdf, index_col="id")
    assert sorted(again.collect()) == sorted(sdf.collect())


def test_to_spark_returns_a_spark_frame_unchanged(spark):
    sdf = spark.range(3)
    assert tk.to_spark(sdf) is sdf


def test_to_pandas_refuses_past_max_rows_before_collecting(spark):
    sdf = spark.range(0, 1000, numPartitions=4)
    with pytest.raises(tk.DriverMemoryError, match=r"1,000 rows.*max_rows=999.*max_rows=None"):
        tk.to_pandas(sdf, max_rows=999)
    assert len(tk.to_pandas(sdf, max_rows=1000)) == 1000
    assert len(tk.to_pandas(sdf, max_rows=None)) == 1000


def test_to_pandas_guard_does_not_run_the_collect(spark):
    """A frame that fails when its rows are computed shows the guard fires first."""
    from pyspark.sql import functions as F

    exploding = spark.range(50).withColumn("boom", F.raise_error(F.lit("collected!")))
    with pytest.raises(tk.DriverMemoryError):
        tk.to_pandas(exploding, max_rows=10)


def test_to_pandas_guard_on_pandas_on_spark(spark):
    psdf = tk.to_pandas_on_spark(pd.DataFrame({"x": np.arange(20)}))
    with pytest.raises(tk.DriverMemoryError, match="20 rows"):
        tk.to_pandas(psdf, max_rows=5)


def test_to_pandas_refuses_a_streaming_frame(spark, tmp_path):
    stream = spark.readStream.schema("x long").parquet(str(tmp_path))
    with pytest.raises(tk.UnsupportedInputError, match="streaming"):
        tk.to_pandas(stream)


def test_bad_input_kind_is_a_clear_error():
    with pytest.raises(tk.UnsupportedInputError, match=r"got numpy.ndarray.*pandas.DataFrame"):
        tk.to_spark(np.zeros((2, 2)))


def test_index_col_must_name_every_level(spark):
    pdf = pd.DataFrame({"x": [1, 2]}, index=pd.MultiIndex.from_tuples([(1, "a"), (2, "b")]))
    with pytest.raises(tk.UnsupportedInputError, match="2 level"):
        tk.to_spark(pdf, index_col="only_one")
    back = tk.to_pandas(tk.to_spark(pdf, index_col=["k1", "k2"]), index_col=["k1", "k2"])
    pd.testing.assert_frame_equal(back, pdf)
