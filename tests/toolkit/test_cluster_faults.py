"""On a real standalone cluster: an executor killed in the middle of ``score_files`` loses
nothing and doubles nothing. Runs in CI's cluster lane (``SPARK_MASTER=spark://...``)."""

from __future__ import annotations

import os
import sys
import threading
import time

import numpy as np
import pandas as pd
import psutil
import pytest
from pyspark import cloudpickle
from sklearn.linear_model import LinearRegression

import toolkit as tk

pytestmark = [
    pytest.mark.cluster,
    pytest.mark.slow,
    pytest.mark.skipif(
        not os.environ.get("SPARK_MASTER", "").startswith("spark://")
        or bool(os.environ.get("SPARK_REMOTE")),
        reason="needs a standalone cluster: SPARK_MASTER=spark://host:port (CI's cluster lane)",
    ),
]


class Slow(LinearRegression):
    """A linear model that takes its time, so the job is still running when we kill."""

    def predict(self, X):
        time.sleep(0.4)
        return super().predict(X)


cloudpickle.register_pickle_by_value(sys.modules[__name__])  # executors cannot import tests


def _executors() -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        cmdline = " ".join(proc.info["cmdline"] or [])
        if "CoarseGrainedExecutorBackend" in cmdline:
            found.append(proc)
    return found


def test_killing_an_executor_mid_job_loses_and_doubles_nothing(spark, tmp_path):
    rng = np.random.default_rng(5)
    source = tmp_path / "in"
    source.mkdir()
    rows, files = 40_000, 8
    for i in range(files):
        part = pd.DataFrame(rng.normal(size=(rows, 3)), columns=["a", "b", "c"])
        part.insert(0, "id", np.arange(i * rows, (i + 1) * rows, dtype=np.int64))
        part.to_parquet(source / f"part-{i}.parquet", index=False, row_group_size=5_000)
    train = pd.read_parquet(source / "part-0.parquet")
    model = Slow().fit(train[["a", "b", "c"]], train["a"] * 2 - train["c"])
    assert _executors(), "the cluster lane should have executors running on this machine"

    killed: list[int] = []

    def kill_one_executor_when_staging_starts():
        staging = tmp_path / "out" / "_temporary"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if staging.exists() and any(staging.rglob("*.parquet")):
                victim = _executors()[0]
                killed.append(victim.pid)
                victim.kill()
                return
            time.sleep(0.05)

    killer = threading.Thread(target=kill_one_executor_when_staging_starts, daemon=True)
    killer.start()
    report = tk.score_files(model, str(source), str(tmp_path / "out"),
                            batch_size=5_000, spark=spark)  # fmt: skip
    killer.join(timeout=5)

    assert killed, "the job ended before an executor could be killed"
    out = pd.read_parquet(tmp_path / "out")
    assert report.rows_out == rows * files == len(out)
    assert out["id"].is_unique
    assert (tmp_path / "out" / "_SUCCESS").exists()
    assert not (tmp_path / "out" / "_temporary").exists()
    expected = LinearRegression.predict(model, out[["a", "b", "c"]])
    np.testing.assert_allclose(out["prediction"], expected, rtol=1e-12)
