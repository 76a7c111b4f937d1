"""Failures under ``tk.parallel_backend()``: scikit-learn's error_score, the worker's own
exception on the driver, bad n_jobs refused before any job, Ctrl-C cancels the Spark jobs."""

from __future__ import annotations

import _thread
import functools
import threading
import time
import warnings

import joblib
import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV

import toolkit as tk

GRID = {"C": [-1.0, 0.5, 1.0]}  # C=-1 makes every fit of that candidate fail


@pytest.fixture(scope="module")
def data():
    return make_classification(n_samples=90, n_features=5, random_state=0)


def search(n_jobs, error_score):
    return GridSearchCV(LogisticRegression(), GRID, cv=3, n_jobs=n_jobs, error_score=error_score)


def test_error_score_nan_gives_the_local_nan_scores(spark, data):
    X, y = data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        local = search(1, np.nan).fit(X, y)
        with tk.parallel_backend():
            spread = search(-1, np.nan).fit(X, y)
    scores, expected = spread.cv_results_["mean_test_score"], local.cv_results_["mean_test_score"]
    assert np.isnan(expected[0]) and np.isnan(scores[0])
    np.testing.assert_allclose(scores, expected, rtol=0, atol=1e-12)  # nan where nan
    assert spread.best_params_ == local.best_params_


def test_error_score_raise_brings_the_original_exception(spark, data):
    X, y = data
    with pytest.raises(ValueError) as local:
        search(1, "raise").fit(X, y)
    with tk.parallel_backend(), pytest.raises(ValueError) as spread:
        search(-1, "raise").fit(X, y)
    assert type(spread.value) is type(local.value)  # InvalidParameterError, not a Spark error
    assert str(spread.value) == str(local.value)
    assert "Py4J" not in str(spread.value) and "PythonException" not in str(spread.value)


def test_a_task_exception_is_raised_as_itself(spark):
    with tk.parallel_backend(), pytest.raises(ZeroDivisionError, match="by zero") as caught:
        joblib.Parallel(n_jobs=2)(joblib.delayed(divmod)(1, d) for d in (1, 0, 2))
    assert type(caught.value) is ZeroDivisionError
    assert any("Spark task" in note for note in getattr(caught.value, "__notes__", []))


@pytest.mark.parametrize("n_jobs", [0, 1.5, "2", True])
def test_invalid_n_jobs_is_refused_before_any_job(n_jobs):
    with (
        pytest.raises(tk.InvalidOptionError, match=r"n_jobs=-1") as caught,
        tk.parallel_backend(n_jobs=n_jobs),
    ):
        pass
    assert repr(n_jobs) in str(caught.value)


def test_invalid_n_jobs_of_a_search_is_refused_before_any_task(spark, data):
    X, y = data
    with tk.parallel_backend() as backend, pytest.raises(tk.InvalidOptionError, match="n_jobs"):
        joblib.Parallel(n_jobs=0)(joblib.delayed(abs)(i) for i in range(3))
    assert backend.stats.tasks == 0


def test_invalid_min_bytes_is_refused():
    with pytest.raises(tk.InvalidOptionError, match="min_bytes"), tk.parallel_backend(min_bytes=0):
        pass


def _no_active_jobs(spark, timeout: float = 20.0) -> bool:
    tracker = spark.sparkContext.statusTracker()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not tracker.getActiveJobsIds():
            return True
        time.sleep(0.2)
    return False


def test_ctrl_c_on_the_driver_cancels_the_spark_jobs(spark, on_connect):
    sleeps = [joblib.delayed(time.sleep)(60) for _ in range(4)]
    timer = threading.Timer(2.5, _thread.interrupt_main)
    start = time.monotonic()
    with tk.parallel_backend() as backend:
        timer.start()
        with pytest.raises(KeyboardInterrupt):
            joblib.Parallel(n_jobs=2)(sleeps)
        interrupted = time.monotonic() - start
        # the two task slots are free again: a quick call does not wait for the sleepers
        quick = joblib.Parallel(n_jobs=2)(joblib.delayed(abs)(-i) for i in range(2))
    assert quick == [0, 1]
    assert interrupted < 30
    assert time.monotonic() - start < 45, "the sleeping tasks kept their slots"
    assert backend.stats.tasks >= 4
    if not on_connect:
        assert _no_active_jobs(spark)


def test_an_error_cancels_the_other_running_tasks(spark):
    calls = [joblib.delayed(time.sleep)(60), joblib.delayed(functools.partial(divmod, 1, 0))()]
    start = time.monotonic()
    with tk.parallel_backend(), pytest.raises(ZeroDivisionError):
        joblib.Parallel(n_jobs=2)(calls)
    assert time.monotonic() - start < 30


def test_data_over_the_shipping_limit_is_refused_before_any_task(spark, monkeypatch):
    from toolkit.exceptions import DriverMemoryError
    from toolkit.tuning import shipping

    monkeypatch.setattr(shipping, "SHIP_MAX_BYTES", 2 << 20)  # the limit, scaled down
    X = np.random.default_rng(0).normal(size=(40_000, 10))  # 3.2 MB
    y = (X[:, 0] > 0).astype(int)
    with tk.parallel_backend() as backend, pytest.raises(DriverMemoryError, match="GiB") as info:
        GridSearchCV(LogisticRegression(), {"C": [0.1, 1.0]}, cv=2, n_jobs=-1).fit(X, y)
    assert "Fix:" in str(info.value)
    assert backend.stats.tasks == 0


@pytest.mark.parametrize(
    "estimator, grid, error",
    [
        ("not an estimator", {"C": [1.0]}, TypeError),  # scikit-learn's own error
        (LogisticRegression(), {"C": []}, ValueError),  # an empty grid: scikit-learn's own
    ],
)
def test_bad_searches_get_scikit_learns_own_errors_before_any_task(
    spark, data, estimator, grid, error
):
    X, y = data
    with tk.parallel_backend() as backend, pytest.raises(error):
        GridSearchCV(estimator, grid, cv=2, n_jobs=-1).fit(X, y)
    assert backend.stats.tasks == 0
