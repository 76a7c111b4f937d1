"""Scoring functions of compiled models: ``scoring_udf`` and ``register_udf`` with
``engine="native"`` are SQL functions Spark evaluates in the JVM, with scikit-learn's
values (labels exactly, floats to 1e-12 relative) and the Python path's refusals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.cluster import KMeans
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

import toolkit as tk

PYTHON_NODES = ("ArrowEvalPython", "BatchEvalPython", "PythonUDF")


def _frame(seed: int, n: int = 300) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "a": rng.normal(size=n) * 3,
            "b": np.where(rng.random(n) < 0.1, 0.0, rng.normal(size=n) * 1e6),
            "n": rng.integers(-5, 50, size=n),
            "c": rng.choice(["red", "green", "blue"], size=n),
        }
    )
    frame.loc[:2, "a"] = [0.0, -0.0, 1e-300]
    return frame


TRAIN, ROWS = _frame(0), _frame(1)
ALL = ["a", "b", "n", "c"]


def _encoded(encoder):
    return ColumnTransformer([("num", StandardScaler(), ["a", "b", "n"]), ("cat", encoder, ["c"])])


CASES = {
    "logistic_onehot": (
        make_pipeline(_encoded(OneHotEncoder(handle_unknown="ignore")), LogisticRegression()),
        ALL, np.where(TRAIN["a"] + (TRAIN["c"] == "red") > 0.5, "yes", "no"),
        ["predict", "predict_proba"],
    ),
    "multinomial_ordinal": (
        make_pipeline(_encoded(OrdinalEncoder()), LogisticRegression()),
        ALL, np.select([TRAIN["a"] < -1, TRAIN["a"] < 1], [0, 1], 2),
        ["predict", "predict_log_proba"],
    ),
    "linear": (LinearRegression(), ["a", "b", "n"], TRAIN["a"] * 2 - TRAIN["n"], ["predict"]),
    "kmeans": (KMeans(4, n_init=2, random_state=0), ["a", "n"], None, ["predict"]),
}  # fmt: skip


def _cells(series: pd.Series) -> np.ndarray:
    cells = series.tolist()
    if cells and hasattr(cells[0], "asDict"):
        cells = [list(cell.asDict().values()) for cell in cells]
    elif cells and isinstance(cells[0], dict):
        cells = [list(cell.values()) for cell in cells]
    return np.asarray(cells)


@pytest.mark.parametrize("name", sorted(CASES))
def test_native_functions_equal_scikit_learn(spark, name):
    model, features, y, methods = CASES[name]
    model = model.fit(TRAIN[features], y) if y is not None else model.fit(TRAIN[features])
    data = spark.createDataFrame(ROWS[features])
    for method in methods:
        function = tk.scoring_udf(model, features=features, method=method, engine="native")
        assert function.native
        got = _cells(data.select(function().alias("out")).toPandas()["out"])
        expected = getattr(model, method)(ROWS[features])
        if expected.dtype.kind in "OUSi":
            assert got.tolist() == expected.tolist(), (name, method)
        else:
            np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12, err_msg=method)


def test_a_registered_native_function_runs_no_python_worker(spark, tmp_path, capsys):
    model, features, y, _ = CASES["logistic_onehot"]
    model = model.fit(TRAIN[features], y)
    ROWS.to_parquet(tmp_path / "rows.parquet")
    spark.read.parquet(str(tmp_path / "rows.parquet")).createOrReplaceTempView("native_rows")
    tk.register_udf("churn_native", model, method="predict_proba", features=features,
                    engine="native")  # fmt: skip
    query = spark.sql("SELECT churn_native(a, b, n, c).yes AS p FROM native_rows")
    query.explain()
    plan = capsys.readouterr().out
    assert "FileScan" in plan, plan
    assert not any(node in plan for node in PYTHON_NODES), plan
    got = query.toPandas()["p"].to_numpy()
    np.testing.assert_allclose(got, model.predict_proba(ROWS[features])[:, 1], rtol=1e-12)
    tk.register_udf("churn_python", model, method="predict_proba", features=features)
    spark.sql("SELECT churn_python(a, b, n, c).yes FROM native_rows").explain()
    assert "ArrowEvalPython" in capsys.readouterr().out  # the check can fail


def test_refused_rows_fail_as_in_python_or_give_null(spark):
    model = make_pipeline(StandardScaler(), LinearRegression()).fit(TRAIN[["a", "b"]], TRAIN["n"])
    bad = spark.createDataFrame(pd.DataFrame({"a": [1.0, np.nan, 2.0], "b": [0.5, 1.0, np.inf]}))
    messages = []
    for engine in ("native", "python"):
        strict = tk.scoring_udf(model, features=["a", "b"], engine=engine)
        with pytest.raises(tk.InvalidInputError) as error, tk.worker_errors():
            bad.select(strict("a", "b")).collect()
        messages.append(str(error.value))
        keep = tk.scoring_udf(model, features=["a", "b"], handle_invalid="keep", engine=engine)
        values = bad.select(keep("a", "b").alias("p")).toPandas()["p"]
        assert values.isna().tolist() == [False, True, True], engine
        assert values[0] == pytest.approx(model.predict(pd.DataFrame({"a": [1.0], "b": [0.5]}))[0])
    assert messages[0] == messages[1]
    assert "column 'a' has a missing value (nan)" in messages[0]


def test_auto_functions_fall_back_and_native_refuses(spark):
    forest = RandomForestClassifier(n_estimators=3, random_state=0)
    forest.fit(TRAIN[["a", "b"]], TRAIN["n"] > 20)
    auto = tk.scoring_udf(forest, features=["a", "b"], engine="auto")
    assert not auto.native
    data = spark.createDataFrame(ROWS[["a", "b"]])
    got = data.select(auto().alias("p")).toPandas()["p"].tolist()
    assert got == forest.predict(ROWS[["a", "b"]]).tolist()
    wide = pd.DataFrame(np.random.default_rng(0).normal(size=(300, 20))).add_prefix("w")
    three = LogisticRegression().fit(wide, np.arange(300) % 3)
    proba = {"features": list(wide.columns), "method": "predict_proba"}  # 5,270 written out
    assert not tk.scoring_udf(three, **proba, engine="auto").native
    assert tk.scoring_udf(three, **proba, engine="native").native
    with pytest.raises(tk.UnsupportedModelError, match="RandomForestClassifier"):
        tk.register_udf("forest_native", forest, features=["a", "b"], engine="native")
    with pytest.raises(tk.InvalidOptionError, match="engine must be one of"):
        tk.scoring_udf(forest, features=["a", "b"], engine="jvm")
