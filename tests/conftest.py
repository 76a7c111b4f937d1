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


def pytest_collection_modifyitems(config, items):
    """Every test that takes the Spark fixture starts a JVM: it is ``slow``, outside the fast
    lane. An ``own_spark`` test (a child process with its own embedded ``local[2]``, whatever
    the lane) runs once, in the embedded lane: in the cluster and Connect lanes it would
    repeat the same run."""
    other_lane = bool(os.environ.get("SPARK_REMOTE")) or os.environ.get(
        "SPARK_MASTER", ""
    ).startswith("spark://")
    for item in items:
        if "spark" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)
        if other_lane and item.get_closest_marker("own_spark"):
            item.add_marker(
                pytest.mark.skip(reason="own_spark: the same run as in the embedded lane")
            )


@pytest.fixture(scope="session")
def spark():
    remote = os.environ.get("SPARK_REMOTE") or None
    master = None if remote else os.environ.get("SPARK_MASTER") or "local[2]"
    session = tk.session(master, remote=remote, app_name="scaleout-tests", conf=TEST_CONF)
    yield session
    session.stop()


# Variables that pick a Spark target; a local Connect server also sets the last two in
# its parent. A child process of a test gets its target explicitly instead.
TARGET_VARS = (
    "SPARK_MASTER",
    "SPARK_REMOTE",
    "SPARK_CONNECT_MODE_ENABLED",
    "SPARK_LOCAL_REMOTE",
    "SPARK_CONNECT_AUTHENTICATE_TOKEN",
)


def clean_child_env() -> dict[str, str]:
    """A clean, explicit environment for a child process: its own embedded ``local[2]``.

    Inherited, ``SPARK_MASTER`` would send the child to a cluster whose cores the suite's
    application holds, and ``SPARK_REMOTE`` would start a second Connect server.
    """
    env = {k: v for k, v in os.environ.items() if k not in TARGET_VARS}
    return {**env, "SPARK_MASTER": "local[2]"}


@pytest.fixture
def child_env() -> dict[str, str]:
    """:func:`clean_child_env`, taken when the test starts."""
    return clean_child_env()


@pytest.fixture(scope="session")
def session_child_env() -> dict[str, str]:
    """:func:`clean_child_env` for a child process that session-scoped fixtures share."""
    return clean_child_env()


@pytest.fixture(scope="session")
def on_connect(spark) -> bool:
    return tk.is_connect(spark)
