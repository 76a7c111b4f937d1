"""The data goes to the executors once per search: tasks carry references, each Python
worker deserialises a shipped array at most once."""

from __future__ import annotations

import functools
import pickle

import joblib
import numpy as np
import pandas as pd
from sklearn.linear_model import Ridge
from sklearn.model_selection import GridSearchCV

import toolkit as tk
from toolkit.tuning import worker
from toolkit.tuning.shipping import SHIP_MIN_BYTES, size_of

GRID = {"alpha": [0.1, 1.0, 10.0, 100.0]}


def big_data(seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(200, 1000))  # 1.6 MB: travels by reference
    return X, X[:, 0] + 0.1 * rng.normal(size=200)


def test_a_large_array_is_shipped_once_and_loaded_once_per_worker(spark):
    X, y = big_data(seed=11)
    assert X.nbytes >= 1.5e6
    local = GridSearchCV(Ridge(), GRID, cv=3, n_jobs=1).fit(X, y)
    with tk.parallel_backend() as backend:
        backend.MIN_IDEAL_BATCH_DURATION = 0  # no batching: a task per fit, to count the loads
        spread = GridSearchCV(Ridge(), GRID, cv=3, n_jobs=-1).fit(X, y)
    stats = backend.stats
    np.testing.assert_allclose(
        spread.cv_results_["mean_test_score"], local.cv_results_["mean_test_score"], atol=1e-12
    )
    assert spread.best_params_ == local.best_params_
    assert stats.tasks == stats.calls == 12
    assert len(stats.shipped) == 1 and list(stats.shipped.values())[0] >= X.nbytes
    (key,) = stats.shipped
    loads = [per_key.get(key, 0) for per_key in stats.loads.values()]
    print(f"payload bytes per task: max {stats.payload_bytes_max}; loads per worker {loads}")
    assert sum(loads) >= 1  # some worker did load it...
    assert max(loads) <= 1  # ...and none more than once, for 12 tasks
    assert sum(loads) < stats.tasks  # Python workers were reused: the cache served the rest
    assert stats.payload_bytes_max < 16_000  # a task carries its fold, not the data


def test_data_changed_in_place_between_searches_is_shipped_again(spark):
    X, y = big_data(seed=12)
    with tk.parallel_backend() as backend:
        first = GridSearchCV(Ridge(), GRID, cv=2, n_jobs=-1).fit(X, y)
        X[:, 0] = np.random.default_rng(99).normal(size=len(X))  # same object, new content
        second = GridSearchCV(Ridge(), GRID, cv=2, n_jobs=-1).fit(X, y)
    local = GridSearchCV(Ridge(), GRID, cv=2, n_jobs=1).fit(X, y)
    np.testing.assert_allclose(
        second.cv_results_["mean_test_score"], local.cv_results_["mean_test_score"], atol=1e-12
    )
    assert not np.allclose(
        first.cv_results_["mean_test_score"], second.cv_results_["mean_test_score"]
    )
    assert len(backend.stats.shipped) == 2


def test_a_large_frame_travels_by_reference(spark):
    X, y = big_data(seed=13)
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    local = GridSearchCV(Ridge(), GRID, cv=2, n_jobs=1).fit(frame, y)
    with tk.parallel_backend() as backend:
        spread = GridSearchCV(Ridge(), GRID, cv=2, n_jobs=-1).fit(frame, y)
    np.testing.assert_allclose(
        spread.cv_results_["mean_test_score"], local.cv_results_["mean_test_score"], atol=1e-12
    )
    assert len(backend.stats.shipped) == 1
    assert backend.stats.payload_bytes_max < 16_000


def test_a_large_series_travels_by_reference_and_small_min_bytes_is_honoured(spark):
    series = pd.Series(np.random.default_rng(14).normal(size=200_000))  # 1.6 MB
    with tk.parallel_backend() as backend:
        sums = joblib.Parallel(n_jobs=2)(joblib.delayed(np.sum)(series) for _ in range(4))
    assert sums == [series.sum()] * 4
    assert len(backend.stats.shipped) == 1 and backend.stats.payload_bytes_max < 16_000
    with tk.parallel_backend(min_bytes=10**9) as inline:  # nothing is large enough: inline
        joblib.Parallel(n_jobs=2)(joblib.delayed(np.sum)(series) for _ in range(2))
    assert inline.stats.shipped == {}
    assert inline.stats.payload_bytes_max > series.nbytes


def test_size_of_counts_arrays_and_frames_only():
    assert size_of(np.zeros(1000)) == 8000
    assert size_of(pd.DataFrame({"a": np.zeros(1000)})) >= 8000
    assert size_of(list(range(1000))) == 0
    assert SHIP_MIN_BYTES == 1 << 20


class FakeBroadcast:
    def __init__(self, value: bytes) -> None:
        self.value = value
        self.reads = 0

    def __getattribute__(self, name):
        if name == "value":
            object.__setattr__(self, "reads", object.__getattribute__(self, "reads") + 1)
        return object.__getattribute__(self, name)


def test_worker_cache_deserialises_once_and_serves_read_only_arrays():
    array = np.arange(10.0)
    source = FakeBroadcast(pickle.dumps(array))
    key = "test-worker-cache-key"
    first = worker.resolve(key, source)
    second = worker.resolve(key, source)
    assert first is second
    np.testing.assert_array_equal(first, array)
    assert not first.flags.writeable
    assert source.reads == 1
    assert worker.cache_stats()[key] == 1


def test_a_failing_batch_comes_back_as_its_exception():
    batch = functools.partial(divmod, 1, 0)
    outcome, (_, _, loads) = pickle.loads(worker.run_batch(pickle.dumps(batch), {}))
    assert outcome[0] == "error"
    assert isinstance(outcome[1], ZeroDivisionError)
    assert "ZeroDivisionError" in outcome[2]
    assert loads == {}


def test_tasks_run_with_one_blas_thread(spark):
    """Inside a task, every BLAS/OpenMP pool is capped at one thread."""
    import joblib
    from threadpoolctl import threadpool_info

    with tk.parallel_backend():
        infos = joblib.Parallel(n_jobs=2)(joblib.delayed(threadpool_info)() for _ in range(2))
    pools = [pool for info in infos for pool in info]
    assert pools, "numpy's BLAS should be loaded in the worker"
    assert {pool["num_threads"] for pool in pools} == {1}
