"""One session-scoped Spark for the whole suite.

``SPARK_REMOTE`` (e.g. ``local[2]`` for a local Spark Connect server) or
``SPARK_MASTER`` (e.g. ``spark://127.0.0.1:7077``) run the same suite on
Spark Connect or a standalone cluster.
"""

from __future__ import annotations

import os

import pytest

import toolkit as tk

TEST_CONF = {
    "spark.sql.shuffle.partitions": "2",
    "spark.ui.enabled": "false",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.default.parallelism": "2",
}


@pytest.fixture(scope="session")
def spark():
    remote = os.environ.get("SPARK_REMOTE") or None
    master = None if remote else os.environ.get("SPARK_MASTER") or "local[2]"
    session = tk.session(master, remote=remote, app_name="scaleout-tests", conf=TEST_CONF)
    yield session
    session.stop()


@pytest.fixture(scope="session")
def on_connect(spark) -> bool:
    return tk.is_connect(spark)
