"""Tracked searches: a parent MLflow run with the space, best score and params, the results
CSV and the refit model; a child run per candidate or trial; a failed search leaves only a
FAILED parent run."""

from __future__ import annotations

import numpy as np
import optuna
import pandas as pd
import pytest
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV

import toolkit as tk
from toolkit.tuning.tracked import fit_tracked

optuna.logging.set_verbosity(optuna.logging.WARNING)


@pytest.fixture
def mlflow(tmp_path, monkeypatch):
    import mlflow

    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path}/mlflow.db")
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path}/mlflow.db")
    yield mlflow
    if mlflow.active_run():
        mlflow.end_run()


def runs(mlflow):
    found = mlflow.search_runs(search_all_experiments=True, output_format="list")
    parents = [r for r in found if "mlflow.parentRunId" not in r.data.tags]
    children = [r for r in found if "mlflow.parentRunId" in r.data.tags]
    return parents, children


def artifacts(mlflow, run):
    return {a.path for a in mlflow.MlflowClient().list_artifacts(run.info.run_id)}


def test_a_tracked_grid_search_on_spark(spark, mlflow):
    X, y = make_classification(n_samples=120, n_features=5, random_state=0)
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(5)])
    grid = {"C": [0.01, 1.0, 100.0]}
    with tk.parallel_backend(spark=spark):
        search = fit_tracked(
            GridSearchCV(LogisticRegression(), grid, cv=3, n_jobs=-1),
            frame,
            y,
            input_example=frame.head(3),
        )
    (parent,), children = runs(mlflow)
    assert parent.info.status == "FINISHED"
    assert parent.data.params["space"] == str(grid)
    assert parent.data.params["best.C"] == str(search.best_params_["C"])
    assert parent.data.metrics["best_score"] == pytest.approx(search.best_score_, abs=1e-12)
    assert "cv_results.csv" in artifacts(mlflow, parent)
    assert len(children) == 3
    assert {c.data.tags["mlflow.parentRunId"] for c in children} == {parent.info.run_id}
    by_c = {float(c.data.params["C"]): c.data.metrics["mean_test_score"] for c in children}
    expected = dict(zip(grid["C"], search.cv_results_["mean_test_score"], strict=True))
    assert by_c == pytest.approx(expected, abs=1e-12)
    path = mlflow.artifacts.download_artifacts(
        run_id=parent.info.run_id, artifact_path="cv_results.csv"
    )
    table = pd.read_csv(path)
    np.testing.assert_allclose(table["mean_test_score"], search.cv_results_["mean_test_score"])
    loaded = tk.load_model(parent.data.tags["scaleout.best_model_uri"])
    np.testing.assert_array_equal(loaded.predict(frame), search.predict(frame))


def test_a_failed_search_leaves_only_a_failed_parent(spark, mlflow):
    X, y = make_classification(n_samples=60, n_features=4, random_state=1)
    search = GridSearchCV(LogisticRegression(), {"C": [-1.0, 1.0]}, cv=2, error_score="raise")
    with tk.parallel_backend(spark=spark), pytest.raises(ValueError):
        fit_tracked(search, X, y)
    (parent,), children = runs(mlflow)
    assert parent.info.status == "FAILED"
    assert children == [] and parent.data.params == {} and parent.data.metrics == {}
    assert artifacts(mlflow, parent) == set()


def test_not_a_search_is_refused_before_anything_is_logged(mlflow):
    with pytest.raises(tk.UnsupportedModelError, match="needs a scikit-learn search"):
        fit_tracked(LogisticRegression(), [[0.0]], [0])
    assert runs(mlflow) == ([], [])


def test_a_tracked_study(spark, mlflow):
    def objective(trial, data):
        x = trial.suggest_float("x", -2.0, 2.0)
        if x > 1.5:
            raise optuna.TrialPruned()
        return x**2

    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=1))
    tk.optimize(objective, n_trials=5, parallelism=2, study=study, track=True, spark=spark)
    (parent,), children = runs(mlflow)
    assert parent.info.status == "FINISHED"
    assert parent.data.metrics["best_score"] == study.best_value
    assert float(parent.data.params["best.x"]) == study.best_params["x"]
    assert "FloatDistribution" in parent.data.params["space.x"]
    assert "trials.csv" in artifacts(mlflow, parent)
    assert len(children) == 5
    by_name = {c.info.run_name: c for c in children}
    for trial in study.trials:
        child = by_name[f"trial-{trial.number}"]
        assert float(child.data.params["x"]) == trial.params["x"]
        assert child.data.tags["scaleout.status"] == trial.state.name
        if trial.value is not None:
            assert child.data.metrics["value"] == trial.value


def test_a_failed_tracked_study_leaves_only_a_failed_parent(spark, mlflow):
    def broken(trial, data):
        trial.suggest_int("n", 0, 3)
        raise RuntimeError("the objective broke")

    with pytest.raises(RuntimeError, match="the objective broke"):
        tk.optimize(broken, n_trials=3, parallelism=1, track=True, spark=spark)
    (parent,), children = runs(mlflow)
    assert parent.info.status == "FAILED"
    assert children == [] and parent.data.params == {} and parent.data.metrics == {}
    assert artifacts(mlflow, parent) == set()
