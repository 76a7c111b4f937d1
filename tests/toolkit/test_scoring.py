"""Distributed scoring equals local scikit-learn, on every backend (one shared suite)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import toolkit as tk
from toolkit.scoring.schema import output_spec

CASES = [
    ("logreg", "predict"),
    ("logreg", "predict_proba"),
    ("logreg", "predict_log_proba"),
    ("logreg", "decision_function"),
    ("forest", "predict"),
    ("forest", "predict_proba"),
    ("forest", "predict_log_proba"),
    ("hgb_regressor", "predict"),
    ("kmeans", "predict"),
    ("kmeans", "transform"),
    ("pipeline", "predict"),
    ("pipeline", "predict_proba"),
    ("pipeline", "predict_log_proba"),
    ("pipeline", "decision_function"),
]


def local_output(model, method, frame) -> np.ndarray:
    return np.asarray(getattr(model, method)(frame[list(model.feature_names_in_)]))


def as_matrix(frame: pd.DataFrame, spec) -> np.ndarray:
    """The output as numpy: struct fields (Spark rows or flat pandas columns) become columns."""
    if not spec.fields:
        return frame[spec.column].to_numpy()
    if spec.column in frame.columns:  # a Spark struct collected to pandas
        return np.array([[row[f] for f in spec.fields] for row in frame[spec.column]])
    return frame[spec.pandas_columns()].to_numpy()


class ScoringSuite:
    """Every backend must pass these; subclasses say how to make and collect a frame."""

    class Tests:
        __test__ = False

        def make(self, pdf: pd.DataFrame):
            raise NotImplementedError

        def collect(self, out) -> pd.DataFrame:
            raise NotImplementedError

        @pytest.mark.parametrize(("name", "method"), CASES)
        def test_matches_local_sklearn_exactly(self, models, frame, name, method):
            model = models[name]
            out = self.collect(tk.score(model, self.make(frame), method=method))
            out = out.sort_values("id").reset_index(drop=True)
            spec = output_spec(model, method)
            expected = local_output(model, method, frame)
            assert list(out.columns[: len(frame.columns)]) == list(frame.columns)
            np.testing.assert_array_equal(as_matrix(out, spec), expected)
            pd.testing.assert_frame_equal(
                out[frame.columns].reset_index(drop=True), frame, check_dtype=False
            )

        def test_output_col_and_features_by_name(self, models, frame):
            model = models["forest"]
            shuffled = frame[["x4", "x3", "x2", "x1", "x0", "id"]]
            out = self.collect(
                tk.score(
                    model,
                    self.make(shuffled),
                    features=["x4", "x3", "x2", "x1", "x0"],
                    output_col="risk",
                )
            ).sort_values("id")
            np.testing.assert_array_equal(
                out["risk"].to_numpy(), local_output(model, "predict", frame)
            )

        def test_keep_and_skip_count_rows_exactly(self, models, frame):
            model = models["logreg"]
            bad = frame.copy()
            bad.loc[[3, 70, 71, 599], "x2"] = np.nan
            bad.loc[[10], "x0"] = np.inf
            refused = {3, 10, 70, 71, 599}
            kept = self.collect(tk.score(model, self.make(bad), handle_invalid="keep")).sort_values(
                "id"
            )
            assert len(kept) == len(frame)
            errors = kept.set_index("id")["prediction_error"]
            assert set(errors.dropna().index) == refused
            assert "'x2'" in errors[3] and "nan" in errors[3]
            assert "'x0'" in errors[10] and "inf" in errors[10]
            assert kept.set_index("id")["prediction"].loc[sorted(refused)].isna().all()
            skipped = self.collect(tk.score(model, self.make(bad), handle_invalid="skip"))
            assert sorted(skipped["id"]) == sorted(set(range(len(frame))) - refused)
            good = frame[~frame["id"].isin(refused)]
            np.testing.assert_array_equal(
                skipped.sort_values("id")["prediction"].to_numpy(),
                local_output(model, "predict", good),
            )

        def test_error_names_the_column_and_value(self, models, frame):
            bad = frame.copy()
            bad.loc[42, "color"] = "purple"
            with pytest.raises(tk.InvalidInputError, match=r"column 'color' has value 'purple'"):
                self.collect(tk.score(models["pipeline"], self.make(bad)))

        def test_missing_column_fails_before_any_job(self, models, frame):
            data = self.make(frame.rename(columns={"x1": "x_1"}))
            with pytest.raises(tk.SchemaMismatchError, match=r"'x1' \(closest: 'x_1'"):
                tk.score(models["logreg"], data)


class TestPandas(ScoringSuite.Tests):
    __test__ = True

    def make(self, pdf):
        return pdf.copy()

    def collect(self, out):
        assert isinstance(out, pd.DataFrame)
        return out


class TestPandasOnSpark(ScoringSuite.Tests):
    __test__ = True

    @pytest.fixture(autouse=True)
    def _spark(self, spark):
        self.spark = spark

    def make(self, pdf):
        return tk.to_pandas_on_spark(pdf)

    def collect(self, out):
        assert type(out).__module__.startswith("pyspark.pandas")
        return tk.to_pandas(out)


class TestSpark(ScoringSuite.Tests):
    __test__ = True

    @pytest.fixture(autouse=True)
    def _spark(self, spark):
        self.spark = spark

    def make(self, pdf):
        return tk.to_spark(pdf).repartition(3)

    def collect(self, out):
        from pyspark.sql import DataFrame

        assert isinstance(out, DataFrame)
        return tk.to_pandas(out)


def test_pandas_on_spark_keeps_the_index(spark, models, frame):
    indexed = frame.set_index("id")
    indexed.index = indexed.index * 10
    out = tk.score(models["forest"], tk.to_pandas_on_spark(indexed), method="predict_proba")
    got = tk.to_pandas(out).sort_index()
    assert got.index.tolist() == sorted(indexed.index.tolist())
    assert got.index.name == "id"
    np.testing.assert_array_equal(
        got[["probability.0", "probability.1"]].to_numpy(),
        models["forest"].predict_proba(indexed[models["forest"].feature_names_in_]),
    )


def test_spark_output_schema_comes_from_model_metadata(spark, models, frame):
    sdf = tk.to_spark(frame)
    types = {
        (name, method): tk.score(models[name], sdf, method=method)
        .schema[-1]
        .dataType.simpleString()
        for name, method in CASES
    }
    assert types[("logreg", "predict")] == "string"
    assert types[("logreg", "predict_proba")] == "struct<high:double,low:double,mid:double>"
    assert types[("logreg", "decision_function")] == "struct<high:double,low:double,mid:double>"
    assert types[("forest", "predict")] == "bigint"
    assert types[("forest", "predict_proba")] == "struct<0:double,1:double>"
    assert types[("hgb_regressor", "predict")] == "double"
    assert types[("kmeans", "predict")] == "bigint"
    assert (
        types[("kmeans", "transform")]
        == "struct<kmeans0:double,kmeans1:double,kmeans2:double,kmeans3:double>"
    )
    assert types[("pipeline", "decision_function")] == "double"


def test_batch_size_changes_nothing_but_batching(spark, models, frame):
    sdf = tk.to_spark(frame)
    out = tk.to_pandas(tk.score(models["forest"], sdf, method="predict_proba", batch_size=7))
    spec = output_spec(models["forest"], "predict_proba")
    np.testing.assert_array_equal(
        as_matrix(out.sort_values("id"), spec),
        local_output(models["forest"], "predict_proba", frame),
    )


def test_pandas_keep_gives_null_probabilities_for_refused_rows():
    """A refused row's struct output is null in every field, not 0.0 (the struct's nulls
    must survive the split into ``probability.<class>`` columns)."""
    from sklearn.linear_model import LogisticRegression

    X = pd.DataFrame({"a": [0.0, 1, 2, 3], "b": [1.0, 0, 1, 0]})
    model = LogisticRegression().fit(X, [0, 1, 0, 1])
    bad = X.assign(a=[0.0, np.nan, 2, 3])
    out = tk.score(model, bad, method="predict_proba", handle_invalid="keep")
    assert out[["probability.0", "probability.1"]].iloc[1].isna().all()
    expected = model.predict_proba(X.iloc[[0, 2, 3]])
    np.testing.assert_array_equal(out[["probability.0", "probability.1"]].iloc[[0, 2, 3]], expected)
