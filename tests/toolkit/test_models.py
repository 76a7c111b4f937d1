from __future__ import annotations

import sys
import textwrap

import joblib
import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.linear_model import LogisticRegression

import toolkit as tk


@pytest.fixture
def logreg():
    rng = np.random.default_rng(1)
    X = pd.DataFrame(rng.normal(size=(80, 3)), columns=["a", "b", "c"])
    return LogisticRegression().fit(X, X["a"] > 0), X


def test_skops_round_trip_predicts_the_same(tmp_path, logreg):
    model, X = logreg
    path = tk.save_model(model, tmp_path / "sub" / "model.skops")
    loaded = tk.load_model(path)
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    assert tk.fingerprint(loaded) == tk.fingerprint(model)


def test_fingerprint_changes_with_the_model(logreg):
    model, X = logreg
    other = LogisticRegression(C=0.01).fit(X, X["a"] > 0)
    assert tk.fingerprint(model) != tk.fingerprint(other)
    assert len(tk.fingerprint(model)) == 64


def test_pickle_needs_trusted_true(tmp_path, logreg):
    model, X = logreg
    path = tmp_path / "model.joblib"
    joblib.dump(model, path)
    with pytest.raises(tk.UntrustedModelError, match=r"pickle.*trusted=True.*save_model"):
        tk.load_model(path)
    with pytest.raises(tk.UntrustedModelError):
        tk.load_model(str(path), trusted=["anything"])  # a list of types is for skops only
    np.testing.assert_array_equal(tk.load_model(path, trusted=True).predict(X), model.predict(X))


def test_skops_refuses_unknown_types_unless_named(tmp_path, monkeypatch):
    (tmp_path / "user_steps.py").write_text(
        textwrap.dedent(
            """
            from sklearn.base import BaseEstimator, TransformerMixin

            class Doubler(TransformerMixin, BaseEstimator):
                def fit(self, X, y=None):
                    self.n_features_in_ = X.shape[1]
                    return self

                def transform(self, X):
                    return X * 2
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    import user_steps
    from sklearn.pipeline import make_pipeline

    X = np.arange(20.0).reshape(10, 2)
    model = make_pipeline(user_steps.Doubler(), LogisticRegression()).fit(X, X[:, 0] > 8)
    path = tk.save_model(model, tmp_path / "custom.skops")
    with pytest.raises(tk.UntrustedModelError, match=r"user_steps\.Doubler.*trusted="):
        tk.load_model(path)
    loaded = tk.load_model(path, trusted=["user_steps.Doubler"])
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    sys.modules.pop("user_steps", None)


def test_unfitted_and_non_models_are_refused(tmp_path):
    with pytest.raises(tk.ModelLoadError, match="not fitted"):
        tk.load_model(LogisticRegression())
    with pytest.raises(tk.ModelLoadError, match="not a model"):
        tk.load_model({"coef": [1, 2]})
    with pytest.raises(tk.ModelLoadError, match="No model at"):
        tk.load_model(tmp_path / "missing.skops")
    (tmp_path / "model.onnx").write_bytes(b"\0")
    with pytest.raises(tk.ModelLoadError, match="Unknown model file type '.onnx'"):
        tk.load_model(tmp_path / "model.onnx")
    (tmp_path / "broken.skops").write_bytes(b"not a zip")
    with pytest.raises(tk.ModelLoadError, match="not readable skops data"):
        tk.load_model(tmp_path / "broken.skops")


def test_save_model_wants_a_skops_path(tmp_path, logreg):
    with pytest.raises(tk.ModelLoadError, match=r"\.skops"):
        tk.save_model(logreg[0], tmp_path / "model.pkl")


def test_mlflow_model_directory_loads_as_the_sklearn_model(tmp_path, logreg, monkeypatch):
    import mlflow.sklearn

    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")

    model, X = logreg
    mlflow.sklearn.save_model(  # requirements given: MLflow would infer them in a new process
        model, str(tmp_path / "mlmodel"), serialization_format="skops",
        pip_requirements=[f"scikit-learn=={sklearn.__version__}"],
    )  # fmt: skip
    loaded = tk.load_model(tmp_path / "mlmodel")
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    with pytest.raises(tk.ModelLoadError, match="MLflow could not load"):
        tk.load_model("runs:/0123456789abcdef/model")


def test_skops_trusts_scikit_learns_own_classes(tmp_path):
    """Fitted trees hold scikit-learn's internal Tree objects: those load without trusted=."""
    from sklearn.ensemble import RandomForestClassifier

    X = np.random.default_rng(0).normal(size=(60, 3))
    model = RandomForestClassifier(n_estimators=3, random_state=0).fit(X, X[:, 0] > 0)
    loaded = tk.load_model(tk.save_model(model, tmp_path / "forest.skops"))
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
