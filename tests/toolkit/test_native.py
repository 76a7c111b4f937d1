"""The native engine against scikit-learn itself, on every estimator and step it compiles.

Each case fits a real model, scores a Spark frame with ``engine="native"`` and compares
with the model's own method on the same rows (labels exactly, floats to 1e-12 relative
with 1e-12 absolute near zero), then with ``engine="python"`` for ``handle_invalid``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import (
    ElasticNet,
    HuberRegressor,
    Lasso,
    LinearRegression,
    LogisticRegression,
    Perceptron,
    Ridge,
    RidgeClassifier,
    SGDClassifier,
    SGDRegressor,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import (
    FunctionTransformer,
    MaxAbsScaler,
    MinMaxScaler,
    OneHotEncoder,
    OrdinalEncoder,
    StandardScaler,
)
from sklearn.svm import LinearSVC, LinearSVR

import toolkit as tk

N = 400
RTOL = ATOL = 1e-12


def _frame(seed: int = 0) -> pd.DataFrame:
    """Numbers of every scale (zeros, negatives, large values), an int and a string column."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "a": rng.normal(size=N) * 3,
            "b": np.where(rng.random(N) < 0.1, 0.0, rng.normal(size=N) * 1e6),
            "n": rng.integers(-5, 50, size=N),
            "c": rng.choice(["red", "green", "blue"], size=N),
        }
    )
    frame.loc[:4, "a"] = [0.0, -0.0, 1e-300, -7.5, 12.25]
    return frame


NUMERIC = ["a", "b", "n"]
X = _frame()
Y_REG = X["a"] * 2 - X["b"] * 1e-6 + X["n"] * 0.5
Y_BIN = np.where(X["a"] + (X["c"] == "red") > 0.5, "yes", "no")
Y_MULTI = np.select([X["a"] < -1, X["a"] < 1], [0, 1], 2)


def _categorical(encoder):
    return ColumnTransformer(
        [("num", StandardScaler(), NUMERIC), ("cat", encoder, ["c"])], remainder="drop"
    )


CASES = {
    "linear": (LinearRegression(), NUMERIC, Y_REG, ["predict"]),
    "ridge+maxabs": (make_pipeline(MaxAbsScaler(), Ridge(alpha=0.3)), NUMERIC, Y_REG, ["predict"]),
    "lasso+minmax_clip": (
        make_pipeline(MinMaxScaler(clip=True), Lasso(alpha=0.01)), NUMERIC, Y_REG, ["predict"],
    ),
    "elasticnet": (
        make_pipeline(StandardScaler(), ElasticNet(alpha=0.01)), NUMERIC, Y_REG, ["predict"],
    ),
    "sgd_regressor": (
        make_pipeline(StandardScaler(), SGDRegressor(random_state=0)), NUMERIC, Y_REG, ["predict"],
    ),
    "linear_svr": (
        make_pipeline(StandardScaler(), LinearSVR(random_state=0)), NUMERIC, Y_REG, ["predict"],
    ),
    "huber": (make_pipeline(StandardScaler(), HuberRegressor()), NUMERIC, Y_REG, ["predict"]),
    "multi_output": (
        LinearRegression(), NUMERIC, np.c_[Y_REG, -Y_REG * 3], ["predict"],
    ),
    "logistic_binary": (
        make_pipeline(_categorical(OneHotEncoder(handle_unknown="ignore")), LogisticRegression()),
        [*NUMERIC, "c"], Y_BIN,
        ["predict", "predict_proba", "predict_log_proba", "decision_function"],
    ),
    "logistic_multinomial": (
        make_pipeline(StandardScaler(), LogisticRegression(C=0.5)), NUMERIC, Y_MULTI,
        ["predict", "predict_proba", "predict_log_proba", "decision_function"],
    ),
    "linear_svc_onehot_drop": (
        make_pipeline(_categorical(OneHotEncoder(drop="first")), LinearSVC(random_state=0)),
        [*NUMERIC, "c"], Y_MULTI, ["predict", "decision_function"],
    ),
    "ridge_classifier_ordinal": (
        make_pipeline(_categorical(OrdinalEncoder()), RidgeClassifier()),
        [*NUMERIC, "c"], Y_BIN, ["predict", "decision_function"],
    ),
    "sgd_classifier": (
        make_pipeline(StandardScaler(), SGDClassifier(random_state=0)), NUMERIC, Y_MULTI,
        ["predict", "decision_function"],
    ),
    "perceptron_passthrough": (
        make_pipeline(
            ColumnTransformer([("s", StandardScaler(), ["a"])], remainder="passthrough"),
            FunctionTransformer(),
            Perceptron(random_state=0),
        ),
        NUMERIC, Y_BIN, ["predict"],
    ),
    "kmeans": (KMeans(4, n_init=2, random_state=0), NUMERIC, None, ["predict", "transform"]),
    "minibatch_kmeans": (
        make_pipeline(StandardScaler(), MiniBatchKMeans(3, n_init=2, random_state=0)),
        NUMERIC, None, ["predict", "transform"],
    ),
    "column_transform": (
        _categorical(OneHotEncoder(handle_unknown="ignore")), [*NUMERIC, "c"], None,
        ["transform"],
    ),
}  # fmt: skip


def _fit(name):
    model, features, y, methods = CASES[name]
    from sklearn.base import clone

    fitted = clone(model).fit(X[features], y) if y is not None else clone(model).fit(X[features])
    return fitted, features, methods


def _values(frame: pd.DataFrame, column: str) -> np.ndarray:
    """The output column as a 2-D array (struct fields / array items as columns)."""
    cells = frame[column].tolist()
    if cells and hasattr(cells[0], "asDict"):
        return np.array([list(cell.asDict().values()) for cell in cells], dtype=float)
    if cells and isinstance(cells[0], dict):
        return np.array([list(cell.values()) for cell in cells], dtype=float)
    if cells and isinstance(cells[0], (list, np.ndarray)):
        return np.array([list(cell) for cell in cells], dtype=float)
    return np.asarray(cells).reshape(len(cells), 1)


def _expected(model, method, frame):
    out = getattr(model, method)(frame)
    out = out.toarray() if hasattr(out, "toarray") else np.asarray(out)
    return out.reshape(len(frame), -1)


@pytest.mark.parametrize("name", sorted(CASES))
def test_native_equals_scikit_learn(spark, name):
    model, features, methods = _fit(name)
    rows = _frame(seed=1)  # unseen rows; "ignore" encoders meet no unknown here
    data = spark.createDataFrame(rows[features])
    for method in methods:
        got = tk.score(model, data, method=method, engine="native").toPandas()
        column = [c for c in got.columns if c not in features][0]
        values, expected = _values(got, column), _expected(model, method, rows[features])
        if expected.dtype.kind in "OUSbi" or values.dtype.kind in "OUSbi":
            assert values.ravel().tolist() == expected.ravel().tolist(), (name, method)
        elif "kmeans" in name and method == "transform":
            _assert_distances_close(model, rows[features], values, expected)
        else:
            np.testing.assert_allclose(values, expected, rtol=RTOL, atol=ATOL, err_msg=method)


def _assert_distances_close(model, rows, values, expected):
    """k-means distances, as scikit-learn computes them, sqrt(||x||^2 - 2 x.c + ||c||^2),
    cancel when a point lies near a centre: scikit-learn's own rounding error is then
    about eps * (||x||^2 + ||c||^2) / d. Beyond 1e-12 relative, allow that much (and no
    more): the two sides sum the same terms in a different order."""
    if hasattr(model, "steps"):
        rows = model[:-1].transform(rows)
        model = model[-1]
    points = np.asarray(rows, dtype=float)
    centres = model.cluster_centers_
    norms = (points**2).sum(axis=1)[:, None] + (centres**2).sum(axis=1)[None, :]
    rounding = 8 * np.finfo(float).eps * norms / np.maximum(expected, 1e-300)
    excess = np.abs(values - expected) - (RTOL * np.abs(expected) + ATOL)
    assert (excess <= rounding).all(), np.max(excess - rounding)


def test_native_runs_no_python_worker(spark, capsys, tmp_path):
    model, features, _ = _fit("logistic_binary")
    X[features].to_parquet(tmp_path / "x.parquet")
    data = spark.read.parquet(str(tmp_path / "x.parquet"))
    scored = tk.score(model, data, method="predict_proba", engine="native", handle_invalid="keep")
    scored.explain()
    plan = capsys.readouterr().out
    assert "Project" in plan, plan
    for python_node in ("ArrowEvalPython", "BatchEvalPython", "PythonUDF", "MapInArrow"):
        assert python_node not in plan, plan
    python = tk.score(model, data, engine="python")
    python.explain()
    assert "ArrowEvalPython" in capsys.readouterr().out  # the check can fail


def test_native_scores_a_stream(spark, tmp_path):
    """A streaming frame gets the same values as the model, with no Python worker."""
    model, features, _ = _fit("logistic_binary")
    source = tmp_path / "in"
    source.mkdir()
    X[features].assign(id=range(N)).to_parquet(source / "part-0.parquet")
    stream = spark.readStream.schema(spark.read.parquet(str(source)).schema).parquet(str(source))
    scored = tk.score(model, stream, method="predict_proba", engine="native")
    query = (
        scored.writeStream.format("memory").queryName("native_stream")
        .trigger(availableNow=True).start()
    )  # fmt: skip
    query.awaitTermination()
    out = spark.table("native_stream").toPandas().sort_values("id")
    assert out["id"].tolist() == list(range(N))
    expected = model.predict_proba(X[features])
    np.testing.assert_allclose(_values(out, "probability"), expected, rtol=RTOL, atol=ATOL)


def test_auto_compiles_only_what_fits_the_jit(spark, capsys):
    """In a session whose JVMs compile huge methods (``toolkit.session`` starts them so)
    ``auto`` compiles a large model; elsewhere it keeps to ``NODE_BUDGET`` (past it the
    native plan ran 2-3x slower than Python) and ``native`` still compiles it. All give
    k-means' own labels."""
    from toolkit.native.plan import NODE_BUDGET, native_plan, node_budget
    from toolkit.scoring.api import make_request
    from toolkit.session.jit import compiles_huge_methods

    rng = np.random.default_rng(3)
    wide = pd.DataFrame(rng.normal(size=(300, 20)), columns=[f"x{i}" for i in range(20)])
    big = KMeans(n_clusters=8, n_init=1, random_state=0).fit(wide)
    small = KMeans(n_clusters=2, n_init=1, random_state=0).fit(wide[["x0", "x1"]])
    data = spark.createDataFrame(wide)
    assert compiles_huge_methods(spark) and node_budget(spark) is None
    for model, engine in [(big, "auto"), (big, "native")]:
        scored = tk.score(model, data, engine=engine)
        scored.explain()
        assert "ArrowEvalPython" not in capsys.readouterr().out, engine
        assert scored.toPandas()["prediction"].tolist() == model.predict(wide).tolist()
    for model, compiled in [(big, False), (small, True)]:
        request = make_request(model, engine="auto")
        assert (native_plan(request, data.schema, budget=NODE_BUDGET) is not None) == compiled
    native = make_request(big, engine="native")
    assert native_plan(native, data.schema, budget=NODE_BUDGET) is not None


EDGES = pd.DataFrame(
    {
        "a": [1.0, np.nan, np.inf, 2.0, -np.inf, 0.5],
        "b": [0.0, 1.0, np.nan, 3.0, 1.0, np.nan],
        "n": [1, 2, 3, None, 5, 6],
        "c": ["red", "blue", "green", "red", None, "blue"],
    }
)


@pytest.mark.parametrize("handle_invalid", ["skip", "keep"])
def test_refused_rows_match_the_python_path(spark, handle_invalid):
    """NaN, infinities and nulls: the same rows dropped or kept, with the same reasons."""
    model, features, _ = _fit("logistic_binary")
    imputing = make_pipeline(
        ColumnTransformer(
            [("imp", SimpleImputer(strategy="median"), ["b", "n"]), ("s", StandardScaler(), ["a"])]
        ),
        LogisticRegression(),
    ).fit(X[NUMERIC], Y_BIN)
    for fitted, cols in ((model, features), (imputing, NUMERIC)):
        if handle_invalid == "keep" and fitted is model:
            cols = NUMERIC + ["c"]
            fitted = make_pipeline(
                _categorical(OneHotEncoder(handle_unknown="ignore")), LogisticRegression()
            ).fit(X[cols], Y_BIN)
        data = spark.createDataFrame(EDGES[cols].astype(object).where(EDGES[cols].notna(), None))
        native = tk.score(fitted, data, handle_invalid=handle_invalid, engine="native").toPandas()
        python = tk.score(fitted, data, handle_invalid=handle_invalid, engine="python").toPandas()
        pd.testing.assert_frame_equal(native, python)
        if handle_invalid == "skip":  # some rows kept, some refused
            assert 0 < len(native) < len(EDGES), native
        else:
            assert native[f"{native.columns[-2]}_error"].notna().sum() > 0, native


def _errors_by_engine(model, data) -> list[str]:
    """The InvalidInputError text scoring ``data`` raises with the native, then the Python engine."""
    messages = []
    for engine in ("native", "python"):
        with pytest.raises(tk.InvalidInputError) as caught, tk.worker_errors():
            tk.score(model, data, engine=engine).collect()
        messages.append(str(caught.value))
    return messages


def test_reasons_name_columns_as_the_python_path_does(spark):
    """Names Python quotes with double quotes, a missing string, -inf: the same reasons."""
    names = ["it's", 'say "hi"', "n"]
    frame = X.rename(columns=dict(zip(NUMERIC, names, strict=True)))
    model = make_pipeline(
        ColumnTransformer(
            [
                ("num", StandardScaler(), names),
                ("cat", OneHotEncoder(handle_unknown="ignore"), ["c"]),
            ]
        ),  # fmt: skip
        LogisticRegression(),
    ).fit(frame[[*names, "c"]], Y_BIN)
    edges = pd.DataFrame({"it's": [1.0, np.nan, 2.0, 1.0], 'say "hi"': [0.0, 1.0, -np.inf, 1.0],
                          "n": [1, 2, 3, 4], "c": ["red", "blue", "red", None]})  # fmt: skip
    data = spark.createDataFrame(edges.astype(object).where(edges.notna(), None))
    native = tk.score(model, data, handle_invalid="keep", engine="native").toPandas()
    python = tk.score(model, data, handle_invalid="keep", engine="python").toPandas()
    pd.testing.assert_frame_equal(native, python)
    reasons = native["prediction_error"].tolist()
    assert reasons[0] is None and reasons[1].startswith('column "it\'s" has a missing value (nan)')
    assert reasons[2].startswith("column 'say \"hi\"' has an infinite value (-inf)")
    assert reasons[3] is None  # the encoder ignores an unknown (or missing) category
    strict = make_pipeline(_categorical(OneHotEncoder()), LogisticRegression())
    strict.fit(X[[*NUMERIC, "c"]], Y_BIN)
    data = spark.createDataFrame(EDGES[[*NUMERIC, "c"]].iloc[[0, 4]].assign(a=1.0))
    messages = _errors_by_engine(strict, data)
    assert messages[0] == messages[1], messages
    assert "column 'c' has a missing value (None)" in messages[0]


def test_a_refused_value_is_the_same_error(spark):
    model, features, _ = _fit("logistic_multinomial")
    data = spark.createDataFrame(EDGES[features].iloc[[0, 2]])  # a = inf in the second row
    messages = _errors_by_engine(model, data)
    assert messages[0] == messages[1], messages
    assert "column 'a' has an infinite value (inf)" in messages[0]


def test_native_refuses_what_it_cannot_compile_and_auto_falls_back(spark):
    forest = RandomForestClassifier(n_estimators=3, random_state=0).fit(X[NUMERIC], Y_BIN)
    data = spark.createDataFrame(X[NUMERIC])
    with pytest.raises(tk.UnsupportedModelError, match="cannot compile RandomForestClassifier"):
        tk.score(forest, data, engine="native")
    auto = tk.score(forest, data, engine="auto").toPandas()["prediction"].tolist()
    assert auto == forest.predict(X[NUMERIC]).tolist()
    with pytest.raises(
        tk.InvalidOptionError, match="engine must be one of python, auto, native, onnx"
    ):
        tk.score(forest, data, engine="jvm")


def test_keep_with_a_category_check_stays_in_python(spark):
    """The Python path's reason for an unknown category depends on its batch: ``native``
    refuses, ``auto`` scores in Python and gives the Python path's answer."""
    model = make_pipeline(_categorical(OneHotEncoder()), LogisticRegression()).fit(
        X[[*NUMERIC, "c"]], Y_BIN
    )
    rows = X[[*NUMERIC, "c"]].head(4).assign(c=["red", "purple", "blue", "red"])
    data = spark.createDataFrame(rows)
    with pytest.raises(tk.UnsupportedModelError, match="category check"):
        tk.score(model, data, handle_invalid="keep", engine="native")
    auto = tk.score(model, data, handle_invalid="keep", engine="auto").toPandas()
    python = tk.score(model, data, handle_invalid="keep", engine="python").toPandas()
    pd.testing.assert_frame_equal(auto, python)
    skipped = tk.score(model, data, handle_invalid="skip", engine="native").toPandas()
    assert skipped["c"].tolist() == ["red", "blue", "red"]
