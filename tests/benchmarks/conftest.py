"""A tiny benchmark table and models fitted in both libraries, shared by the Spark tests."""

from __future__ import annotations

import pytest

from benchmarks.data import ensure_table, read_table
from benchmarks.models import fit_models


@pytest.fixture(scope="session")
def bench_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("bench")


@pytest.fixture(scope="session")
def table(bench_dir):
    return ensure_table(bench_dir, rows=3000, features=4, files=2, seed=3)


@pytest.fixture(scope="session")
def frame(table):
    return read_table(table)


@pytest.fixture(scope="session")
def fitted(spark, table, frame, bench_dir):
    return fit_models(["logistic_regression", "linear_regression"], frame.iloc[:1000],
                      features=table.feature_names, spark=spark,
                      directory=bench_dir / "models", seed=3)  # fmt: skip
