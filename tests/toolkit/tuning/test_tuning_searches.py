"""Unchanged scikit-learn searches under ``tk.parallel_backend()`` give the n_jobs=1 result."""

from __future__ import annotations

import joblib
import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.experimental import enable_halving_search_cv  # noqa: F401
from sklearn.inspection import permutation_importance
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import (
    GridSearchCV,
    HalvingGridSearchCV,
    HalvingRandomSearchCV,
    RandomizedSearchCV,
    cross_val_score,
    cross_validate,
)
from sklearn.tree import DecisionTreeClassifier

import toolkit as tk
from toolkit.tuning.backend import SparkBackend


@pytest.fixture(scope="module")
def data():
    return make_classification(n_samples=120, n_features=6, n_informative=4, random_state=0)


def assert_same_results(local, spread) -> None:
    assert local.best_params_ == spread.best_params_
    assert list(local.cv_results_["params"]) == list(spread.cv_results_["params"])
    numeric = [k for k in local.cv_results_ if k.endswith("_score") or k.startswith("rank_")]
    assert numeric, "no score arrays to compare"
    for key in numeric:
        np.testing.assert_allclose(
            spread.cv_results_[key], local.cv_results_[key], rtol=0, atol=1e-12, err_msg=key
        )


def test_grid_search(spark, data):
    X, y = data
    grid = {"C": [0.01, 0.1, 1.0, 10.0]}
    local = GridSearchCV(LogisticRegression(max_iter=200), grid, cv=3, n_jobs=1).fit(X, y)
    with tk.parallel_backend() as backend:
        spread = GridSearchCV(LogisticRegression(max_iter=200), grid, cv=3, n_jobs=-1)
        spread.fit(X, y)
    assert_same_results(local, spread)
    assert backend.stats.calls == 12  # one call per fit: 4 candidates x 3 folds


def test_randomized_search(spark, data):
    X, y = data
    space = {"max_depth": [1, 2, 3, 4, None], "min_samples_leaf": [1, 2, 4, 8]}

    def search(n_jobs):
        model = DecisionTreeClassifier(random_state=0)
        return RandomizedSearchCV(
            model, space, n_iter=4, cv=2, random_state=1, n_jobs=n_jobs, return_train_score=True
        ).fit(X, y)

    local = search(1)
    with tk.parallel_backend() as backend:
        spread = search(-1)
    assert_same_results(local, spread)
    assert backend.stats.calls == 8


HALVING = {
    "grid": lambda model, n_jobs: HalvingGridSearchCV(
        model, {"max_depth": [1, 2, 3, 5]}, factor=2, cv=2, random_state=0, n_jobs=n_jobs
    ),
    "random": lambda model, n_jobs: HalvingRandomSearchCV(
        model,
        {"max_depth": [1, 2, 3, 4, 5, 6], "min_samples_leaf": [1, 2, 4]},
        n_candidates=6,
        factor=2,
        cv=2,
        random_state=0,
        n_jobs=n_jobs,
    ),
}


@pytest.mark.parametrize("kind", HALVING)
def test_halving_search(spark, data, kind):
    X, y = data

    def search(n_jobs):
        return HALVING[kind](DecisionTreeClassifier(random_state=0), n_jobs)

    local = search(1).fit(X, y)
    with tk.parallel_backend() as backend:
        spread = search(-1).fit(X, y)
    assert_same_results(local, spread)
    assert list(local.n_candidates_) == list(spread.n_candidates_)
    assert backend.stats.calls == sum(spread.n_candidates_) * 2


def test_cross_validate_and_cross_val_score(spark, data):
    X, y = data
    model = LogisticRegression(max_iter=200)
    scoring = ["accuracy", "roc_auc"]
    local = cross_validate(model, X, y, cv=4, scoring=scoring, return_train_score=True)
    local_scores = cross_val_score(model, X, y, cv=4, n_jobs=1)
    with tk.parallel_backend(n_jobs=2) as backend:
        spread = cross_validate(model, X, y, cv=4, scoring=scoring, return_train_score=True)
        spread_scores = cross_val_score(model, X, y, cv=4)  # n_jobs=None: the block's n_jobs
    for key in ("test_accuracy", "test_roc_auc", "train_accuracy", "train_roc_auc"):
        np.testing.assert_allclose(spread[key], local[key], rtol=0, atol=1e-12, err_msg=key)
    np.testing.assert_allclose(spread_scores, local_scores, rtol=0, atol=1e-12)
    assert backend.stats.calls == 8


def test_permutation_importance(spark, data):
    X, y = data
    model = LogisticRegression(max_iter=200).fit(X, y)
    local = permutation_importance(model, X, y, n_repeats=3, random_state=0, n_jobs=1)
    with tk.parallel_backend(progress=True) as backend:  # the bar draws, the result is the same
        spread = permutation_importance(model, X, y, n_repeats=3, random_state=0, n_jobs=-1)
    np.testing.assert_allclose(spread.importances, local.importances, rtol=0, atol=1e-12)
    assert backend.stats.calls == X.shape[1]  # one task per permuted column
    assert backend.progress.done == backend.progress.total == X.shape[1]


def test_joblib_parallel_backend_by_name(spark, data):
    X, y = data
    model = LogisticRegression(max_iter=200)
    local = cross_val_score(model, X, y, cv=3, n_jobs=1)
    tk.register_spark()
    with joblib.parallel_backend("scaleout"):
        backend = joblib.parallel.get_active_backend()[0]
        spread = cross_val_score(model, X, y, cv=3, n_jobs=-1)
    assert isinstance(backend, SparkBackend)
    assert backend.stats.calls == 3
    np.testing.assert_allclose(spread, local, rtol=0, atol=1e-12)


def test_quick_calls_share_a_spark_task(spark):
    """A Spark job costs more than a quick call: joblib's automatic batches group them (each
    result still comes back in order); ``batch_size=1`` keeps one call per task."""
    with tk.parallel_backend() as backend:
        grouped = joblib.Parallel(n_jobs=2)(joblib.delayed(abs)(-i) for i in range(60))
    assert grouped == list(range(60))
    assert backend.stats.calls == 60 and backend.stats.tasks < 30
    with tk.parallel_backend() as backend:
        single = joblib.Parallel(n_jobs=2, batch_size=1)(joblib.delayed(abs)(-i) for i in range(6))
    assert single == list(range(6))
    assert backend.stats.calls == backend.stats.tasks == 6
