"""Hostile and careless scoring calls: named errors on the driver, never a raw Spark failure.

Each test starts from an input that once failed with an ``AnalysisException``, a
``PythonException`` at the action, or was silently accepted.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

import toolkit as tk


@pytest.fixture(scope="module")
def backticked():
    """A model whose feature name and class label both hold a backtick (legal everywhere)."""
    frame = pd.DataFrame({"a`b": [0.0, 1.0, 2.0, 3.0, 4.0, 5.0], "c": [1.0, 0.0] * 3})
    labels = np.array(["x`1", "y", "x`1", "y", "y", "x`1"])
    return frame, LogisticRegression().fit(frame, labels)


def test_backticks_in_feature_names_and_class_labels(spark, backticked):
    frame, model = backticked
    sdf = tk.to_spark(frame.reset_index(names="id"))
    expected = model.predict_proba(frame)
    for handle_invalid in ("error", "keep", "skip"):
        scored = tk.score(model, sdf, method="predict_proba", handle_invalid=handle_invalid)
        rows = scored.orderBy("id").collect()
        got = [row.probability["x`1"] for row in rows]
        np.testing.assert_allclose(got, expected[:, 0], rtol=1e-12)
    labels = tk.to_pandas(tk.score(model, sdf)).sort_values("id")["prediction"]
    assert labels.tolist() == model.predict(frame).tolist()
    udf = tk.scoring_udf(model, features=["a`b", "c"], method="predict_proba")
    got = sdf.select("id", udf().alias("p")).orderBy("id").collect()
    np.testing.assert_allclose([row.p["x`1"] for row in got], expected[:, 0], rtol=1e-12)


def test_backtick_labels_on_pandas_on_spark_are_refused_by_name(spark, backticked):
    frame, model = backticked
    psdf = tk.to_pandas_on_spark(frame.rename(columns={"a`b": "a"}))
    renamed = LogisticRegression().fit(frame.rename(columns={"a`b": "a"}), model.predict(frame))
    with pytest.raises(tk.SchemaMismatchError, match=r"backtick.*probability\.x`1"):
        tk.score(renamed, psdf, method="predict_proba")


@pytest.mark.parametrize("batch_size", [-5, 0, 1.5, "100", True])
def test_bad_batch_size_is_refused_before_any_job(spark, models, frame, batch_size):
    with pytest.raises(tk.InvalidOptionError, match=r"batch_size must be a positive whole"):
        tk.score(models["logreg"], tk.to_spark(frame), batch_size=batch_size)


@pytest.mark.parametrize("output_col", ["", "  ", 3])
def test_empty_output_col_is_refused(models, frame, output_col):
    with pytest.raises(tk.InvalidOptionError, match="output_col must be a non-empty"):
        tk.score(models["logreg"], frame, output_col=output_col)


@pytest.mark.parametrize("features", [5, {"x0", "x1"}, [], ["x0", None], b"x0"])
def test_features_must_be_a_list_of_names(models, frame, features):
    with pytest.raises(tk.InvalidOptionError, match="features must be a"):
        tk.score(models["logreg"], frame, features=features)


def test_handle_invalid_typo(models, frame):
    with pytest.raises(tk.InvalidOptionError, match="handle_invalid must be one of"):
        tk.score(models["logreg"], frame, handle_invalid="drop")


def test_scoring_udf_called_with_wrong_number_of_columns(spark, models, frame):
    udf = tk.scoring_udf(models["logreg"], features=["x0", "x1", "x2", "x3", "x4"])
    with pytest.raises(tk.SchemaMismatchError, match="takes 5 columns.*called with 2"):
        tk.to_spark(frame).select(udf("x0", "x1"))


@pytest.mark.parametrize("name", ["", "1abc", "drop table", None, "a-b"])
def test_register_udf_refuses_names_sql_cannot_call(spark, models, name):
    with pytest.raises(tk.InvalidOptionError, match="SQL function name"):
        tk.register_udf(name, models["logreg"])


def test_worker_errors_reraises_the_toolkit_error_on_collect(spark, models, frame):
    bad = frame.copy()
    bad.loc[7, "x2"] = np.nan
    scored = tk.score(models["logreg"], tk.to_spark(bad))
    with pytest.raises(Exception) as raw:  # what a plain action raises: Spark's wrapper
        scored.collect()
    assert not isinstance(raw.value, tk.ToolkitError)
    with (
        pytest.raises(tk.InvalidInputError, match=r"column 'x2' has a missing value"),
        tk.worker_errors(),
    ):
        scored.collect()


def test_worker_errors_reraises_the_toolkit_error_from_a_stream(spark, models, frame, tmp_path):
    bad = frame.copy()
    bad.loc[3, "x0"] = np.nan
    source = tmp_path / "in"
    source.mkdir()
    bad.to_parquet(source / "part-0.parquet", index=False)
    schema = tk.to_spark(bad.head(1)).schema
    stream = spark.readStream.schema(schema).parquet(str(source))
    query = (
        tk.score(models["logreg"], stream)
        .writeStream.format("parquet")
        .option("checkpointLocation", str(tmp_path / "chk"))
        .start(str(tmp_path / "out"))
    )
    try:
        with (
            pytest.raises(tk.InvalidInputError, match=r"column 'x0' has a missing value"),
            tk.worker_errors(),
        ):
            query.awaitTermination(120)
    finally:
        query.stop()
