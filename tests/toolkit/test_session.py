from __future__ import annotations

import os
import stat
import subprocess
import sys
import textwrap

import pytest

import toolkit as tk
from toolkit.session.api import _java_major, check_java


def test_fixture_session_has_arrow_on_and_user_conf_wins(spark):
    assert spark.conf.get("spark.sql.execution.arrow.pyspark.enabled") == "true"
    if not tk.is_connect(spark):  # Connect always uses Arrow and has no fallback setting
        assert spark.conf.get("spark.sql.execution.arrow.pyspark.fallback.enabled") == "false"
    assert spark.conf.get("spark.sql.shuffle.partitions") == "2"  # the test conf beat the default


def test_python_workers_have_blas_threads_capped(spark):
    def env(batches):
        import pandas as pd

        for _ in batches:
            yield pd.DataFrame({"omp": [os.environ.get("OMP_NUM_THREADS", "")]})

    seen = {row.omp for row in spark.range(4).mapInPandas(env, "omp string").collect()}
    assert seen == {"1"}


def _hide_java(monkeypatch, tmp_path):
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    _java_major.cache_clear()


def test_missing_java_is_a_session_error_with_install_advice(monkeypatch, tmp_path):
    _hide_java(monkeypatch, tmp_path)
    with pytest.raises(tk.SessionError, match="no `java` on PATH.*openjdk-17-jre-headless"):
        check_java()


def test_old_java_is_a_session_error_naming_the_version(monkeypatch, tmp_path):
    _hide_java(monkeypatch, tmp_path)
    fake = tmp_path / "java"
    fake.write_text("#!/bin/sh\necho 'openjdk version \"11.0.22\" 2024-01-16' >&2\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    with pytest.raises(tk.SessionError, match="is Java 11"):
        check_java()


def test_session_without_java_fails_cleanly_in_a_fresh_process(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"JAVA_HOME", "SPARK_REMOTE"}}
    env["PATH"] = os.path.dirname(sys.executable)  # python only, no java
    code = textwrap.dedent(
        """
        import toolkit as tk
        try:
            tk.session("local[1]")
        except tk.SessionError as exc:
            print("SessionError:", exc)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert "SessionError: Spark needs Java 17 or newer" in out.stdout
    assert "py4j" not in out.stdout + out.stderr


@pytest.mark.slow
def test_spark_remote_gives_a_spark_connect_session(spark):
    if os.environ.get("SPARK_REMOTE"):  # the suite itself runs on Connect: its session is one
        assert type(spark).__module__ == "pyspark.sql.connect.session"
        return
    code = textwrap.dedent(
        """
        import toolkit as tk
        spark = tk.session()
        print(type(spark).__module__, tk.is_connect(spark), spark.range(5).count())
        spark.stop()
        """
    )
    env = {**os.environ, "SPARK_REMOTE": "local[2]"}
    env.pop("SPARK_MASTER", None)
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split()[-3:] == ["pyspark.sql.connect.session", "True", "5"]
