"""Untrusted bytes are not code: every model source obeys the same rule.

A pickle-format MLflow model whose ``model.pkl`` would create a marker file when
unpickled is loaded from each source without ``trusted=True``: the load is refused
and the marker never appears. Real MLflow stores and files throughout (no mocks).
"""

from __future__ import annotations

import os
import pathlib
import pickle
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

import toolkit as tk


class Payload:
    """Unpickling this object touches ``marker``: stands for any code in a pickle."""

    def __init__(self, marker: pathlib.Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (pathlib.Path.touch, (self.marker,))


@pytest.fixture(scope="module")
def fitted():
    rng = np.random.default_rng(7)
    X = pd.DataFrame(rng.normal(size=(60, 3)), columns=["a", "b", "c"])
    return LogisticRegression().fit(X, X["a"] > 0), X


@pytest.fixture
def marker(tmp_path):
    path = tmp_path / "pwned"
    yield path
    assert not path.exists(), "the pickle payload ran"


@pytest.fixture
def store(tmp_path, monkeypatch):
    """A real local MLflow store (sqlite + artifacts under tmp_path)."""
    import mlflow

    monkeypatch.chdir(tmp_path)  # MLflow puts artifacts under ./mlruns
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    yield mlflow
    if mlflow.active_run():
        mlflow.end_run()


def _hostile_directory(path: pathlib.Path, model, marker: pathlib.Path) -> pathlib.Path:
    """A genuine pickle-format MLflow model directory whose model.pkl is then replaced."""
    import mlflow.sklearn

    mlflow.sklearn.save_model(model, str(path), serialization_format="pickle")
    (path / "model.pkl").write_bytes(pickle.dumps(Payload(marker)))
    return path


def _log_hostile(mlflow, model, marker: pathlib.Path, *, registered: str | None = None) -> str:
    with mlflow.start_run() as run:
        info = mlflow.sklearn.log_model(
            model, name="model", serialization_format="pickle", registered_model_name=registered
        )
    stored = list((pathlib.Path.cwd() / "mlruns").rglob("model.pkl"))  # the local artifact root
    assert stored, f"no model.pkl stored for {info.model_uri}"
    for path in stored:
        path.write_bytes(pickle.dumps(Payload(marker)))
    return run.info.run_id


def test_mlflow_directory_with_pickle_is_refused(tmp_path, fitted, marker):
    directory = _hostile_directory(tmp_path / "mlmodel", fitted[0], marker)
    with pytest.raises(tk.UntrustedModelError, match=r"serialization_format='pickle'.*trusted="):
        tk.load_model(directory)
    with pytest.raises(tk.UntrustedModelError, match=r"save_model"):
        tk.load_model(str(directory), trusted=["anything"])  # a list is for skops types


def test_file_uri_with_pickle_is_refused(tmp_path, fitted, marker):
    directory = _hostile_directory(tmp_path / "mlmodel", fitted[0], marker)
    for uri in (directory.as_uri(), f"file://{directory}"):
        with pytest.raises(tk.UntrustedModelError, match="pickle"):
            tk.load_model(uri)


def test_runs_uri_with_pickle_is_refused(store, fitted, marker):
    run_id = _log_hostile(store, fitted[0], marker)
    with pytest.raises(tk.UntrustedModelError, match=rf"runs:/{run_id}/model.*pickle"):
        tk.load_model(f"runs:/{run_id}/model")


def test_models_alias_with_pickle_is_refused(store, fitted, marker):
    _log_hostile(store, fitted[0], marker, registered="hostile")
    store.MlflowClient().set_registered_model_alias("hostile", "champion", "1")
    with pytest.raises(tk.UntrustedModelError, match=r"models:/hostile@champion.*pickle"):
        tk.load_model("models:/hostile@champion")
    with pytest.raises(tk.UntrustedModelError):
        tk.load_model("models:/hostile/1")


def test_cli_score_refuses_a_pickle_mlflow_model(tmp_path, fitted, marker):
    directory = _hostile_directory(tmp_path / "mlmodel", fitted[0], marker)
    (tmp_path / "in").mkdir()
    fitted[1].to_parquet(tmp_path / "in" / "part-0.parquet", index=False)
    done = subprocess.run(
        [sys.executable, "-m", "toolkit.cli", "score", str(directory), str(tmp_path / "in"),
         str(tmp_path / "out")],
        capture_output=True, text=True, timeout=300, env={**os.environ, "SPARK_REMOTE": ""},
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "error:" in lines[0] and "pickle" in lines[0] and "trusted" in lines[0]
    assert not (tmp_path / "out").exists()


def test_trusted_pickle_mlflow_model_loads(tmp_path, fitted):
    import mlflow.sklearn

    model, X = fitted
    for fmt in ("pickle", "cloudpickle"):
        mlflow.sklearn.save_model(model, str(tmp_path / fmt), serialization_format=fmt)
        loaded = tk.load_model(tmp_path / fmt, trusted=True)
        np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


def test_skops_mlflow_model_loads_without_trust(tmp_path, fitted):
    import mlflow.sklearn

    model, X = fitted
    mlflow.sklearn.save_model(model, str(tmp_path / "m"), serialization_format="skops")
    for source in (tmp_path / "m", (tmp_path / "m").as_uri()):
        loaded = tk.load_model(source)
        np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


def test_skops_mlflow_model_with_unknown_type_needs_naming(tmp_path, monkeypatch):
    import mlflow.sklearn
    from sklearn.pipeline import make_pipeline

    (tmp_path / "trust_steps.py").write_text(
        textwrap.dedent(
            """
            from sklearn.base import BaseEstimator, TransformerMixin

            class Halver(TransformerMixin, BaseEstimator):
                def fit(self, X, y=None):
                    self.n_features_in_ = X.shape[1]
                    return self

                def transform(self, X):
                    return X / 2
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    import trust_steps

    X = np.arange(20.0).reshape(10, 2)
    model = make_pipeline(trust_steps.Halver(), LogisticRegression()).fit(X, X[:, 0] > 8)
    mlflow.sklearn.save_model(
        model, str(tmp_path / "m"), serialization_format="skops",
        skops_trusted_types=["trust_steps.Halver"],  # the file cannot vouch for itself
    )  # fmt: skip
    with pytest.raises(tk.UntrustedModelError, match=r"trust_steps\.Halver.*trusted="):
        tk.load_model(tmp_path / "m")
    loaded = tk.load_model(tmp_path / "m", trusted=["trust_steps.Halver"])
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    sys.modules.pop("trust_steps", None)


def test_mlflow_model_without_sklearn_flavor(tmp_path, fitted):
    import mlflow.sklearn

    mlflow.sklearn.save_model(fitted[0], str(tmp_path / "m"), serialization_format="skops")
    text = (tmp_path / "m" / "MLmodel").read_text()
    (tmp_path / "m" / "MLmodel").write_text(text.replace("  sklearn:", "  other_flavor:"))
    with pytest.raises(tk.ModelLoadError, match="without a scikit-learn flavor"):
        tk.load_model(tmp_path / "m")
