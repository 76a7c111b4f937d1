"""DistributedModel: a scikit-learn meta-estimator that scores Spark frames distributed.

scikit-learn's own estimator checks run first (no Spark needed). What they skip, and why:

- ``check_array_api_*``: skipped by scikit-learn itself because the array-API
  namespaces it would test with (array_api_strict, torch, cupy, dpnp) are not
  installed, and ``SCIPY_ARRAY_API`` is not set. DistributedModel passes arrays
  straight to the wrapped estimator, so array-API support is the wrapped
  estimator's. Nothing else is skipped or expected to fail.

KMeans gets ``random_state=0`` on the inner estimator: the checks seed only a
top-level ``random_state`` param, which a meta-estimator does not have (scikit-learn's
own meta-estimators are checked the same way).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.cluster import KMeans
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

import toolkit as tk
from adapters.sklearn import DistributedModel

FEATURES = ["a", "b", "c"]


@parametrize_with_checks(
    [
        DistributedModel(LogisticRegression()),
        DistributedModel(Ridge()),
        DistributedModel(StandardScaler()),
        DistributedModel(KMeans(n_clusters=2, n_init=1, random_state=0)),
        DistributedModel(make_pipeline(StandardScaler(), LogisticRegression())),
    ]
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    n = 200
    frame = pd.DataFrame(rng.normal(size=(n, 3)), columns=FEATURES)
    frame.insert(0, "id", np.arange(n, dtype=np.int64))
    frame["label"] = np.where(frame["a"] - frame["b"] + rng.normal(0, 0.5, n) > 0, "yes", "no")
    frame["target"] = 2 * frame["a"] + frame["c"] + rng.normal(0, 0.1, n)
    return frame


def assert_same(got, expected) -> None:
    """Equal up to BLAS rounding: a 100-row worker batch may round the last bit differently
    from one 200-row local call (a linear model's dot products); class labels are exact."""
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=0)


def by_id(out) -> pd.DataFrame:
    return out.toPandas().sort_values("id").reset_index(drop=True)


def test_follows_sklearn_conventions():
    model = DistributedModel(LogisticRegression(C=2.0), features=["a"], max_rows=10)
    params = model.get_params()
    assert params["estimator__C"] == 2.0 and params["features"] == ["a"]
    twin = clone(model.set_params(estimator__C=0.5, handle_invalid="keep"))
    assert twin.estimator.C == 0.5 and twin.handle_invalid == "keep"
    assert not hasattr(DistributedModel(Ridge()), "predict_proba")
    assert hasattr(DistributedModel(LogisticRegression()), "predict_proba")


def test_predictions_on_spark_equal_predictions_on_pandas(spark, data):
    clf = DistributedModel(LogisticRegression()).fit(data[FEATURES], data["label"])
    sdf = spark.createDataFrame(data)
    assert clf.predict(sdf).columns == [*data.columns, "prediction"]
    assert by_id(clf.predict(sdf))["prediction"].tolist() == list(clf.predict(data[FEATURES]))
    proba = by_id(clf.predict_proba(sdf))["probability"]
    got = np.array([[row["no"], row["yes"]] for row in proba])
    assert_same(got, clf.predict_proba(data[FEATURES]))
    decision = by_id(clf.decision_function(sdf))["decision"]
    assert_same(decision, clf.decision_function(data[FEATURES]))

    reg = DistributedModel(Ridge()).fit(data[FEATURES], data["target"])
    assert_same(by_id(reg.predict(sdf))["prediction"], reg.predict(data[FEATURES]))
    scaler = DistributedModel(StandardScaler()).fit(data[FEATURES])
    scaled = by_id(scaler.transform(sdf))["transform"]
    assert_same(
        np.array([[row[f] for f in FEATURES] for row in scaled]), scaler.transform(data[FEATURES])
    )


def test_pandas_on_spark_in_pandas_on_spark_out(spark, data):
    clf = DistributedModel(LogisticRegression()).fit(data[FEATURES], data["label"])
    psdf = tk.to_pandas_on_spark(data)
    out = clf.predict_proba(psdf)
    assert type(out).__module__.startswith("pyspark.pandas")
    local = tk.to_pandas(out).sort_values("id")
    expected = clf.predict_proba(data[FEATURES])
    assert_same(local[["probability.no", "probability.yes"]], expected)


def test_fit_on_spark_equals_fit_on_pandas(spark, data):
    sdf = spark.createDataFrame(data)
    local = DistributedModel(LogisticRegression()).fit(data[FEATURES], data["label"])
    remote = DistributedModel(LogisticRegression(), features=FEATURES).fit(sdf, "label")
    assert list(remote.feature_names_in_) == FEATURES and list(remote.classes_) == ["no", "yes"]
    np.testing.assert_allclose(remote.estimator_.coef_, local.estimator_.coef_, rtol=1e-9)

    psdf = tk.to_pandas_on_spark(data[[*FEATURES, "target"]])
    reg = DistributedModel(Ridge()).fit(psdf[FEATURES], psdf["target"])  # a Series for y
    local_reg = Ridge().fit(data[FEATURES], data["target"])
    np.testing.assert_allclose(reg.estimator_.coef_, local_reg.coef_, rtol=1e-9)


def test_score_on_spark_equals_score_on_pandas(spark, data):
    sdf = spark.createDataFrame(data)
    clf = DistributedModel(LogisticRegression()).fit(data[FEATURES], data["label"])
    assert clf.score(sdf, "label") == pytest.approx(clf.score(data[FEATURES], data["label"]))
    reg = DistributedModel(Ridge()).fit(data[FEATURES], data["target"])
    assert reg.score(sdf, "target") == pytest.approx(reg.score(data[FEATURES], data["target"]))
    assert reg.score(tk.to_pandas_on_spark(sdf), "target") == pytest.approx(
        reg.score(data[FEATURES], data["target"])
    )


def test_spark_training_data_goes_through_the_guard(spark, data):
    sdf = spark.createDataFrame(data)
    with pytest.raises(tk.DriverMemoryError, match="max_rows=50"):
        DistributedModel(LogisticRegression(), features=FEATURES, max_rows=50).fit(sdf, "label")
    with pytest.raises(tk.UnsupportedInputError, match="fit\\(X, 'label'\\)"):
        DistributedModel(LogisticRegression()).fit(sdf.select(*FEATURES), data["label"])
    with pytest.raises(tk.SchemaMismatchError, match="nope"):
        DistributedModel(LogisticRegression()).fit(sdf, "nope")
