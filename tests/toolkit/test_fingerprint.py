"""A fingerprint is a property of the model's content: the same for the same skops bytes in
every load and every process, different for a different model, and the same in the MLflow
run that logged a version, on the version itself and in the runs that scored with it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

import toolkit as tk
from toolkit.tracking import log_model

PRINT_FINGERPRINTS = """
import sys, toolkit as tk
for path in sys.argv[1:]:
    print(tk.fingerprint(tk.load_model(path)))
"""


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(7)
    X = pd.DataFrame(
        {
            "age": rng.integers(18, 80, 300),
            "income": rng.normal(5e4, 1e4, 300),
            "plan": rng.choice(["basic", "plus", "pro"], 300),
        }
    )
    return X, np.where(X["age"] + rng.normal(0, 10, 300) > 50, "yes", "no")


def _pipeline(estimator):
    prep = ColumnTransformer(
        [("num", StandardScaler(), ["age", "income"]), ("cat", OneHotEncoder(), ["plan"])]
    )
    return make_pipeline(prep, estimator)


# A forest's tree nodes are a structured array with padding bytes that hold whatever was in
# memory, so its skops bytes differ on every save; boosting and linear models for the rest.
MODELS = {
    "forest": lambda: RandomForestClassifier(n_estimators=4, max_depth=4, random_state=0),
    "boosting": lambda: HistGradientBoostingClassifier(max_iter=10, random_state=0),
    "logistic": lambda: LogisticRegression(),
}


@pytest.fixture(scope="module")
def all_saved(data, tmp_path_factory) -> dict[str, tuple[object, Path]]:
    """Model name -> the fitted pipeline and its skops file (fitted and saved once)."""
    X, y = data
    saved = {}
    for name in sorted(MODELS):
        model = _pipeline(MODELS[name]()).fit(X, y)
        saved[name] = model, tk.save_model(model, tmp_path_factory.mktemp(name) / "model.skops")
    return saved


@pytest.fixture(params=sorted(MODELS))
def saved(request, all_saved):
    return all_saved[request.param]


@pytest.fixture(scope="module")
def fingerprints_in_two_processes(all_saved) -> dict[Path, list[str]]:
    """Each skops file -> the fingerprints two fresh processes found (each loads every file)."""
    paths = [path for _, path in all_saved.values()]
    found: dict[Path, list[str]] = {path: [] for path in paths}
    for _ in range(2):
        done = subprocess.run(
            [sys.executable, "-c", PRINT_FINGERPRINTS, *map(str, paths)],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-2000:]
        printed = done.stdout.split()
        assert len(printed) == len(paths), done.stdout
        for path, fingerprint in zip(paths, printed, strict=True):
            found[path].append(fingerprint)
    return found


def test_two_loads_in_one_process_agree(saved):
    model, path = saved
    first, second = tk.load_model(path), tk.load_model(path)
    assert tk.fingerprint(first) == tk.fingerprint(second) == tk.fingerprint(model)
    assert len(tk.fingerprint(first)) == 64
    assert tk.fingerprint(path.read_bytes()) == tk.fingerprint(first)  # the file's own bytes


def test_two_processes_agree(saved, fingerprints_in_two_processes):
    _, path = saved
    found = fingerprints_in_two_processes[path]
    assert found[0] == found[1] == tk.fingerprint(tk.load_model(path))


def test_different_models_differ(data):
    X, y = data
    models = [
        _pipeline(LogisticRegression(C=1.0)).fit(X, y),
        _pipeline(LogisticRegression(C=0.01)).fit(X, y),
        _pipeline(LogisticRegression(C=1.0)).fit(X.iloc[:200], y[:200]),
        _pipeline(RandomForestClassifier(n_estimators=4, random_state=0)).fit(X, y),
        _pipeline(RandomForestClassifier(n_estimators=4, random_state=1)).fit(X, y),
    ]
    assert len({tk.fingerprint(model) for model in models}) == len(models)


def test_sparse_matrices_by_content():
    rows = np.array([[0, 1.5, 0], [2.0, 0, 0]])
    same = [{"m": scipy.sparse.csr_matrix(rows)} for _ in range(2)]
    other = {"m": scipy.sparse.csr_matrix(rows * 2)}
    assert tk.fingerprint(same[0]) == tk.fingerprint(same[1]) != tk.fingerprint(other)


def test_objects_skops_cannot_serialise_fall_back_to_pickle(data):
    X, y = data
    model = LogisticRegression().fit(X[["age", "income"]], y)
    model.note_ = 1j  # skops cannot store a complex number, cloudpickle can
    assert tk.fingerprint(model) == tk.fingerprint(model)
    assert len(tk.fingerprint(model)) == 64
    model.note_ = (i for i in range(3))  # neither can store a generator
    with pytest.raises(tk.UnsupportedInputError, match="neither skops .* nor cloudpickle"):
        tk.fingerprint(model)


def test_scoring_run_and_logged_version_carry_the_same_fingerprint(
    spark, data, tmp_path, monkeypatch
):
    import mlflow

    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    X, y = data
    model = _pipeline(RandomForestClassifier(n_estimators=4, random_state=0)).fit(X, y)
    uri = log_model(model, "model", registered_name="churn", alias="champion")
    (tmp_path / "in").mkdir()
    X.to_parquet(tmp_path / "in" / "part-0.parquet", index=False)
    tk.score_files(uri, tmp_path / "in", tmp_path / "out", track=True, spark=spark)

    client = mlflow.MlflowClient()
    version = client.get_model_version_by_alias("churn", "champion")
    logged = client.get_run(version.run_id).data.tags["scaleout.model_fingerprint"]
    (scored,) = client.search_runs(
        [e.experiment_id for e in client.search_experiments()],
        filter_string="attributes.run_name = 'score_files'",
    )
    assert scored.data.params["model"] == uri
    assert scored.data.params["model_fingerprint"] == logged == tk.fingerprint(model)
    assert version.tags["scaleout.model_fingerprint"] == logged
    assert version.tags["scaleout.scikit_learn_version"]
