"""Bad requests fail on the driver, before any Spark job, with messages that say how to fix them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression

import toolkit as tk

NUMERIC = ["x0", "x1", "x2", "x3", "x4"]


class JobCounter:
    """Counts Spark jobs started on the classic engine (status tracker)."""

    def __init__(self, spark):
        self.tracker = None if tk.is_connect(spark) else spark.sparkContext.statusTracker()

    def jobs(self) -> int:
        return -1 if self.tracker is None else len(self.tracker.getJobIdsForGroup(None))


@pytest.fixture
def sdf(spark, frame):
    return tk.to_spark(frame)


def test_model_without_feature_names_asks_for_features(sdf, frame):
    model = LinearRegression().fit(frame[NUMERIC].to_numpy(), frame["x0"].to_numpy())
    with pytest.raises(
        tk.SchemaMismatchError, match=r"features=\[\.\.\.\].*of the 5 it was trained on"
    ):
        tk.score(model, sdf)
    out = tk.to_pandas(tk.score(model, sdf, features=NUMERIC)).sort_values("id")
    # the same (C-ordered) array layout locally gives bit-identical results
    expected = model.predict(np.ascontiguousarray(frame[NUMERIC]))
    np.testing.assert_array_equal(out["prediction"], expected)


def test_wrong_feature_count(sdf, models):
    with pytest.raises(tk.SchemaMismatchError, match="expects 5 features; features names 2"):
        tk.score(models["logreg"], sdf, features=["x0", "x1"])


def test_features_naming_other_columns(sdf, models):
    with pytest.raises(tk.SchemaMismatchError, match="trained on columns"):
        tk.score(models["logreg"], sdf, features=["x0", "x1", "x2", "x3", "id"])


def test_missing_method_lists_what_the_model_has(sdf, models):
    with pytest.raises(
        tk.UnsupportedMethodError, match="KMeans has no predict_proba.*predict, transform"
    ):
        tk.score(models["kmeans"], sdf, method="predict_proba")
    with pytest.raises(tk.UnsupportedMethodError, match="method must be one of"):
        tk.score(models["kmeans"], sdf, method="fit")


def test_string_column_where_numbers_are_needed(spark, sdf, models):
    from pyspark.sql import functions as F

    as_text = sdf.withColumn("x2", F.col("x2").cast("string"))
    counter = JobCounter(spark)
    before = counter.jobs()
    with pytest.raises(tk.SchemaMismatchError, match=r"Column 'x2' is string .*needs numbers"):
        tk.score(models["logreg"], as_text)
    assert counter.jobs() == before  # found from the schema: no job ran


def test_string_column_routed_to_an_encoder_is_fine(sdf, models):
    out = tk.score(models["pipeline"], sdf)  # color is a string and goes to OneHotEncoder
    assert out.columns[-1] == "prediction"


def test_numbers_going_to_a_scaler_must_be_numbers(spark, sdf, models):
    from pyspark.sql import functions as F

    with pytest.raises(tk.SchemaMismatchError, match="Column 'x0' is string"):
        tk.score(models["pipeline"], sdf.withColumn("x0", F.col("x0").cast("string")))


def test_output_column_clash(sdf, models):
    with pytest.raises(tk.SchemaMismatchError, match=r"already has column\(s\) \['x0'\]"):
        tk.score(models["logreg"], sdf, output_col="x0")


def test_unknown_handle_invalid(sdf, models):
    with pytest.raises(tk.InvalidOptionError, match="handle_invalid must be one of"):
        tk.score(models["logreg"], sdf, handle_invalid="ignore")


def test_pandas_path_validates_too(frame, models):
    with pytest.raises(tk.SchemaMismatchError, match=r"'x3'"):
        tk.score(models["logreg"], frame.drop(columns="x3"))
    with pytest.raises(tk.SchemaMismatchError, match="Column 'x1' is object"):
        tk.score(models["logreg"], frame.assign(x1=frame["x1"].astype(str)))


def test_error_mode_reports_infinity_and_missing(frame, models):
    bad = frame.copy()
    bad.loc[5, "x4"] = np.inf
    with pytest.raises(tk.InvalidInputError, match=r"column 'x4' has an infinite value \(inf\)"):
        tk.score(models["logreg"], bad)
    bad = frame.copy()
    bad.loc[9, "x1"] = np.nan
    with pytest.raises(tk.InvalidInputError, match=r"column 'x1' has a missing value \(nan\)"):
        tk.score(models["logreg"], bad)


def test_error_mode_on_spark_surfaces_as_invalid_input_error(spark, frame, models):
    bad = frame.copy()
    bad.loc[123, "x3"] = np.nan
    with pytest.raises(tk.InvalidInputError, match="column 'x3' has a missing value"):
        tk.to_pandas(tk.score(models["logreg"], tk.to_spark(bad)))


def test_a_model_that_accepts_nan_is_not_refused(spark, frame, models):
    bad = frame.copy()
    bad.loc[[1, 2], "x2"] = np.nan  # HistGradientBoosting handles missing values natively
    out = tk.to_pandas(tk.score(models["hgb_regressor"], tk.to_spark(bad)))
    np.testing.assert_array_equal(
        out.sort_values("id")["prediction"], models["hgb_regressor"].predict(bad[NUMERIC])
    )


def test_one_bad_row_costs_logarithmic_extra_calls(frame, models):
    """A refused batch is halved to find its bad row, not scored row by row."""

    class Counting:
        def __init__(self, model):
            self.model, self.calls = model, 0
            self.feature_names_in_ = model.feature_names_in_
            self.n_features_in_ = model.n_features_in_
            self.classes_ = model.classes_

        def predict(self, X):
            self.calls += 1
            return self.model.predict(X)

    big = pd.concat([frame] * 4, ignore_index=True)  # 2,400 rows, one batch
    big.loc[1234, "x0"] = np.nan
    counting = Counting(models["logreg"])
    from toolkit.scoring.api import make_request

    scorer = make_request(counting, handle_invalid="skip")
    model = scorer.model()
    scored = scorer.score(big[NUMERIC])
    assert scored.ok is not None and (~scored.ok).sum() == 1 and not scored.ok[1234]
    assert model.calls <= 1 + 2 * int(np.ceil(np.log2(len(big))))
