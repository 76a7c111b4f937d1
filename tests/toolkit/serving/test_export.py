"""export_onnx: exact against scikit-learn on 10,000 rows, metadata recorded, failures named."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

import toolkit as tk
from toolkit.serving.api import build_runtime
from toolkit.serving.runtime import OnnxRuntime, SklearnRuntime

ROWS = 10_000
TOL = 1e-6


@pytest.fixture(scope="module")
def data(h):
    return h.make_frame(ROWS, seed=1)


@pytest.fixture(scope="module")
def exact_models(h, data):
    from sklearn.cluster import KMeans
    from sklearn.ensemble import GradientBoostingRegressor, RandomForestClassifier
    from sklearn.linear_model import LogisticRegression

    train = h.make_frame(3000, seed=2)
    num, y = train[h.NUMERIC], h.labels(train)
    target = train["x0"] * 2 + train["x1"]
    return {
        "logistic": (LogisticRegression().fit(num, y), h.NUMERIC),
        # fully grown trees, an odd number: probabilities are k/11, never a near-tie that
        # float32 sums could flip (test_near_ties_in_a_forest_are_caught covers those)
        "forest": (RandomForestClassifier(11, random_state=0).fit(num, y), h.NUMERIC),
        "boosting": (
            GradientBoostingRegressor(n_estimators=30, random_state=0).fit(num, target),
            h.NUMERIC,
        ),
        "kmeans": (KMeans(4, n_init=1, random_state=0).fit(num), h.NUMERIC),
        "pipeline": (h.pipeline(train), h.FEATURES),
    }


def _onnx_outputs(path, model, frame, columns):
    """Run the written file with onnxruntime directly (not through scaleout's runtime)."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1  # as scaleout checks and serves (see export.session_for)
    session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    inputs = session.get_inputs()
    kind = inputs[0].type
    number = np.float64 if "double" in kind else np.float32
    if len(inputs) == 1:
        feed = {inputs[0].name: frame[columns].to_numpy(dtype=number)}
    else:
        feed = {
            i.name: (
                frame[i.name].to_numpy().astype(object)
                if "string" in i.type
                else frame[i.name].to_numpy(dtype=np.float64 if "double" in i.type else np.float32)
            ).reshape(-1, 1)
            for i in inputs
        }
    return session.run(None, feed)


@pytest.mark.parametrize("name", ["logistic", "forest", "boosting", "kmeans", "pipeline"])
def test_export_matches_sklearn_on_10000_rows(name, exact_models, data, tmp_path):
    model, columns = exact_models[name]
    path = tmp_path / f"{name}.onnx"
    report = tk.export_onnx(model, path, sample=data[columns])
    assert path.is_file() and report.agreement.rows == ROWS
    outputs = _onnx_outputs(path, model, data, columns)
    X = data[columns]
    if name == "boosting":  # a regressor: values within the tolerance
        assert np.abs(np.ravel(outputs[0]).astype(np.float64) - model.predict(X)).max() <= TOL
        return
    assert np.ravel(outputs[0]).tolist() == model.predict(X).tolist()  # labels: identical
    if hasattr(model, "predict_proba"):
        diff = np.abs(outputs[1].astype(np.float64) - model.predict_proba(X)).max()
        assert diff <= TOL


@pytest.mark.parametrize("name", ["logistic", "forest", "boosting", "kmeans", "pipeline"])
def test_onnx_runtime_answers_like_score(name, exact_models, data, h):
    model, columns = exact_models[name]
    runtime, why_not = build_runtime(model, runtime="onnx")
    assert isinstance(runtime, OnnxRuntime) and why_not is None
    rows = data[columns].iloc[:500].reset_index(drop=True)
    for method in runtime.outputs:
        answer = runtime.predict(rows, method=method)
        assert answer.runtime == "onnx"
        want_rows, want = h.expected_answer(model, rows, method=method)
        assert answer.rows == want_rows
        h.assert_same_records(answer.records, want, tol=TOL)


def test_metadata_records_fingerprint_features_and_outputs(exact_models, data, tmp_path):
    import onnx

    model, columns = exact_models["pipeline"]
    tk.export_onnx(model, tmp_path / "p.onnx")  # no sample: synthesised rows
    meta = {p.key: p.value for p in onnx.load(str(tmp_path / "p.onnx")).metadata_props}
    assert meta["scaleout.fingerprint"] == tk.fingerprint(model)
    assert json.loads(meta["scaleout.features"]) == columns
    assert json.loads(meta["scaleout.feature_types"]) == {
        "x0": "double", "x1": "double", "x2": "double", "color": "string",
    }  # fmt: skip
    outputs = json.loads(meta["scaleout.outputs"])
    assert outputs["predict_proba"]["column"] == "probability"
    assert outputs["predict_proba"]["fields"] == ["no", "yes"]
    assert outputs["predict_proba"]["type"] == "struct<`no`: double, `yes`: double>"
    assert outputs["predict"]["type"] == "string"
    assert json.loads(meta["scaleout.agreement"])["data"] == "synthesised"
    assert meta["scaleout.precision"] == "double"


def test_export_from_a_skops_file(exact_models, tmp_path):
    model, _ = exact_models["forest"]
    saved = tk.save_model(model, tmp_path / "forest.skops")
    report = tk.export_onnx(str(saved), tmp_path / "forest.onnx")
    assert report.metadata["scaleout.fingerprint"] == tk.fingerprint(model)


def test_unconvertible_estimator_is_an_export_error(h, tmp_path):
    from sklearn.ensemble import HistGradientBoostingClassifier

    train = h.make_frame(500)
    model = HistGradientBoostingClassifier(max_iter=5).fit(train[h.NUMERIC], h.labels(train))
    with pytest.raises(tk.ExportError, match=r"HistGradientBoostingClassifier.*scikit-learn"):
        tk.export_onnx(model, tmp_path / "m.onnx")
    assert not (tmp_path / "m.onnx").exists()
    runtime, why_not = build_runtime(model, runtime="auto")
    assert isinstance(runtime, SklearnRuntime) and "HistGradientBoostingClassifier" in why_not
    with pytest.raises(tk.ExportError):
        build_runtime(model, runtime="onnx")


def test_custom_estimator_is_named(h, tmp_path):
    from sklearn.base import BaseEstimator, ClassifierMixin

    class Majority(ClassifierMixin, BaseEstimator):
        def fit(self, X, y):
            self.classes_, counts = np.unique(y, return_counts=True)
            self.majority_ = self.classes_[np.argmax(counts)]
            self.feature_names_in_ = np.asarray(X.columns, dtype=object)
            self.n_features_in_ = X.shape[1]
            return self

        def predict(self, X):
            return np.full(len(X), self.majority_)

    train = h.make_frame(100)
    model = Majority().fit(train[h.NUMERIC], h.labels(train))
    with pytest.raises(tk.ExportError, match="Majority"):
        tk.export_onnx(model, tmp_path / "m.onnx")


@pytest.mark.parametrize("shift, fails", [(1e-4, True), (1e-9, False)])
def test_disagreement_names_the_largest_difference(h, shift, fails):
    """A real ONNX graph checked against a model whose intercept differs by ``shift``:
    past 1e-6 the check refuses, naming method, difference and row; below it, it passes."""
    import copy

    from sklearn.linear_model import LinearRegression

    from toolkit.serving.agreement import check_agreement
    from toolkit.serving.export import convert
    from toolkit.serving.signature import signature

    train = h.make_frame(500)
    model = LinearRegression().fit(train[h.NUMERIC], train["x0"] * 3 + train["x1"])
    sig = signature(model)
    converted = convert(model, sig)
    other = copy.deepcopy(model)
    other.intercept_ = model.intercept_ + shift
    if not fails:
        assert check_agreement(other, converted, sig, train).max_diff["predict"] < 1e-6
        return
    with pytest.raises(tk.ExportError) as err:
        check_agreement(other, converted, sig, train)
    message = str(err.value)
    assert "LinearRegression disagrees with scikit-learn on predict" in message
    assert "largest absolute difference 0.0001 (row " in message
    assert "--runtime sklearn" in message


def test_tree_regressors_export_in_double(h, tmp_path):
    """Large targets: a float32 export would drift by ~1e-2; the double converters do not."""
    from sklearn.ensemble import GradientBoostingRegressor, RandomForestRegressor

    train = h.make_frame(2000)
    target = (train["x0"] * 2 + train["x1"]) * 10_000
    for model in (
        GradientBoostingRegressor(n_estimators=50, random_state=0),
        RandomForestRegressor(5, max_depth=10, random_state=0),
    ):
        model.fit(train[h.NUMERIC], target)
        report = tk.export_onnx(
            model, tmp_path / "m.onnx", sample=h.make_frame(5000, seed=3)[h.NUMERIC]
        )
        assert report.precision == "double"
        assert report.agreement.max_diff["predict"] < 1e-6


def test_onnx_runtime_leaves_refused_rows_to_sklearn(h):
    """An unseen category (encoder handle_unknown='error') and NaN: ONNX would answer
    silently; the runtime hands such requests to scikit-learn, which refuses as score does."""
    train = h.make_frame(1000)
    model = h.pipeline(train, unknown="error")
    runtime, _ = build_runtime(model, runtime="onnx")
    assert isinstance(runtime, OnnxRuntime)
    rows = train.iloc[:4].reset_index(drop=True).copy()
    rows.loc[1, "color"] = "purple"
    rows.loc[2, "x0"] = np.nan
    with pytest.raises(tk.InvalidInputError) as got:
        runtime.predict(rows, method="predict_proba")
    with pytest.raises(tk.InvalidInputError) as want:
        tk.score(model, rows, method="predict_proba")
    assert str(got.value) == str(want.value)
    for mode in ("keep", "skip"):
        answer = runtime.predict(rows, method="predict_proba", handle_invalid=mode)
        want_rows, want_records = h.expected_answer(
            model, rows, method="predict_proba", handle_invalid=mode
        )
        assert answer.runtime == "sklearn" and answer.rows == want_rows
        h.assert_same_records(answer.records, want_records)


def test_import_toolkit_stays_light():
    code = (
        "import sys, toolkit; heavy = {'onnx', 'onnxruntime', 'skl2onnx', 'fastapi', 'uvicorn'}; "
        "print(sorted(heavy & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_near_ties_in_a_forest_are_caught(h, tmp_path):
    """onnxruntime sums tree probabilities in float32: with 10 shallow trees some rows sit
    within 1e-7 of a tie and get the other label. The check must refuse, naming the row."""
    from sklearn.ensemble import RandomForestClassifier

    train = h.make_frame(3000, seed=2)
    model = RandomForestClassifier(10, max_depth=8, random_state=0)
    model.fit(train[h.NUMERIC], h.labels(train))
    sample = h.make_frame(ROWS, seed=1)[h.NUMERIC]
    with pytest.raises(tk.ExportError, match=r"rows get another label \(first: row \d+"):
        tk.export_onnx(model, tmp_path / "m.onnx", sample=sample)


def test_unseen_encoded_number_goes_to_sklearn(h):
    """OneHotEncoder(handle_unknown='error') on a number column: ONNX would answer a level it
    never saw with zeros; the runtime must leave it to scikit-learn, which refuses."""
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    train = h.make_frame(600)
    train["level"] = np.arange(len(train)) % 3 + 1
    prep = ColumnTransformer(
        [("num", StandardScaler(), h.NUMERIC), ("lvl", OneHotEncoder(), ["level"])]
    )
    model = Pipeline([("prep", prep), ("clf", LogisticRegression())])
    model.fit(train[[*h.NUMERIC, "level"]], h.labels(train))
    runtime, why_not = build_runtime(model, runtime="onnx")
    assert isinstance(runtime, OnnxRuntime), why_not
    rows = train[[*h.NUMERIC, "level"]].iloc[:3].reset_index(drop=True)
    assert runtime.predict(rows).runtime == "onnx"
    rows.loc[1, "level"] = 7
    with pytest.raises(tk.InvalidInputError) as got:
        runtime.predict(rows)
    with pytest.raises(tk.InvalidInputError) as want:
        tk.score(model, rows)
    assert str(got.value) == str(want.value)
