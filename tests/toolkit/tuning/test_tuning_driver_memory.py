"""The driver's memory does not grow with the number of candidates: the data travels once.

Each search runs in a fresh child process with its own embedded ``local[2]`` Spark, so
that one search's allocations cannot hide the other's. The child builds a ~200 MB array,
warms Spark up, then measures the peak resident set size of the driver process during
the search alone (the kernel's high-water mark, reset just before it through
``/proc/self/clear_refs``; where that is refused, a thread sampling ``/proc/self/statm``).
A search that pickled the data into every task (joblibspark's way) would grow with the
candidates; this one must not: 10 and 200 candidates stay within 10% of each other. One
small split per candidate (a task each) keeps the test short: a task costs Spark's job
overhead, not a fit.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

CHILD = r"""
import json, os, sys, threading, time
import numpy as np
from sklearn.dummy import DummyRegressor
from sklearn.model_selection import GridSearchCV, ShuffleSplit
import toolkit as tk

candidates, rows, cols = (int(a) for a in sys.argv[1:4])
PAGE = os.sysconf("SC_PAGE_SIZE")

def rss():
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * PAGE

def high_water():
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM")

def reset_high_water():
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
        return True
    except OSError:
        return False

spark = tk.session(os.environ["SPARK_MASTER"], app_name="scaleout-driver-memory",
                   conf={"spark.ui.enabled": "false", "spark.default.parallelism": "2"})
rng = np.random.default_rng(0)
X = rng.normal(size=(rows, cols))
y = X[:, 0] + rng.normal(size=rows)
grid = {"constant": [float(c) for c in range(candidates)]}
small = X[:2000].copy()
with tk.parallel_backend():  # warm-up: the JVM, py4j and the Python workers are started
    GridSearchCV(DummyRegressor(strategy="constant"), {"constant": [0.0, 1.0]}, cv=2,
                 n_jobs=-1).fit(small, y[:2000])
time.sleep(0.5)

exact = reset_high_water()
peak, stop = [0], threading.Event()
def sample():
    while not stop.is_set():
        peak[0] = max(peak[0], rss())
        time.sleep(0.001)
sampler = threading.Thread(target=sample, daemon=True)
before = rss()
if not exact:
    sampler.start()
with tk.parallel_backend() as backend:
    folds = ShuffleSplit(n_splits=1, train_size=0.05, test_size=0.05, random_state=0)
    search = GridSearchCV(DummyRegressor(strategy="constant"), grid, cv=folds,
                          n_jobs=-1).fit(X, y)
stop.set()
if not exact:
    sampler.join()
top = high_water() if exact else max(peak[0], rss())
stats = backend.stats
print("RESULT " + json.dumps({
    "candidates": candidates, "tasks": stats.tasks, "calls": stats.calls, "data_bytes": int(X.nbytes),
    "before": before, "peak": top, "growth": top - before, "exact": exact,
    "shipped": list(stats.shipped.values()), "payload_max": stats.payload_bytes_max,
    "results": len(search.cv_results_["params"]), "best": search.best_params_["constant"],
}))
spark.stop()
"""

ROWS, COLS = 25_000, 1_000  # 200 MB of float64


def run_search(tmp_path: Path, env: dict[str, str], candidates: int) -> dict:
    script = tmp_path / "driver_memory.py"
    script.write_text(CHILD)
    done = subprocess.run(
        [sys.executable, str(script), str(candidates), str(ROWS), str(COLS)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=tmp_path,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert done.returncode == 0 and lines, done.stderr[-3000:]
    return dict(json.loads(lines[-1][len("RESULT ") :]))


@pytest.mark.own_spark
@pytest.mark.slow
def test_driver_memory_does_not_grow_with_the_number_of_candidates(tmp_path, child_env):
    few = run_search(tmp_path, child_env, 10)
    many = run_search(tmp_path, child_env, 200)
    mib = 1 << 20
    print(
        f"driver peak RSS growth: {few['growth'] / mib:.0f} MiB for {few['tasks']} tasks, "
        f"{many['growth'] / mib:.0f} MiB for {many['tasks']} tasks "
        f"(data {few['data_bytes'] / mib:.0f} MiB; high-water mark: {few['exact']})"
    )
    assert few["data_bytes"] >= 190 * mib
    assert (few["calls"], many["calls"]) == (10, 200)  # one split: a fit per candidate
    assert few["tasks"] <= 10 and many["tasks"] <= 200  # quick fits share a task
    assert (few["results"], many["results"]) == (10, 200)
    for run in (few, many):  # the data went once, each task carried a candidate and a fold
        assert len(run["shipped"]) == 1 and run["shipped"][0] >= run["data_bytes"]
        assert run["payload_max"] < run["data_bytes"] / 100
    # Pickling the data into each task would cost ~200 MB per task in flight; shipping it
    # once costs the same for 10 and for 200 candidates.
    assert many["growth"] <= 1.10 * few["growth"], (few, many)
    assert few["growth"] <= 1.10 * many["growth"], (few, many)
