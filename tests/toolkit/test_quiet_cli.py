"""Quiet by default: `scaleout score` and `scaleout demo` print scaleout's own lines, a
progress bar and the summary; Spark's and MLflow's output only with --verbose."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

import toolkit as tk
from toolkit.session.quiet import PROFILE, quiet_settings

NOISE = re.compile(
    r"WARN |INFO |log4j|incubator|NativeCodeLoader|SparkUI|Setting default log level|netlib|mlflow"
)
# What the JVM and Spark print to stdout if anything leaks there (the demo's own stdout
# names the MLflow store, so "mlflow" is not noise on stdout).
JVM_NOISE = re.compile(
    r"WARN |INFO |log4j|incubator|NativeCodeLoader|SparkUI|Setting default log level|netlib"
)


def _scaleout() -> list[str]:
    found = Path(sys.executable).with_name("scaleout")
    return [str(found)] if found.exists() else [shutil.which("scaleout") or "scaleout"]


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*_scaleout(), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )


def _assert_quiet(done: subprocess.CompletedProcess) -> None:
    assert done.returncode == 0, done.stderr[-3000:]
    for line in filter(str.strip, done.stderr.splitlines()):
        assert line.startswith("scaleout "), f"not scaleout's own line on stderr: {line!r}"
        assert not NOISE.search(line), f"library noise on stderr: {line!r}"
    for line in done.stdout.splitlines():
        assert not JVM_NOISE.search(line), f"library noise on stdout: {line!r}"


@pytest.fixture
def env(child_env) -> dict[str, str]:
    """An explicit clean environment: embedded local[2], no MLflow settings."""
    return {k: v for k, v in child_env.items() if not k.startswith("MLFLOW_")}


@pytest.fixture
def files(tmp_path) -> Path:
    rng = np.random.default_rng(5)
    X = pd.DataFrame(rng.normal(size=(400, 3)), columns=["a", "b", "c"])
    tk.save_model(LogisticRegression().fit(X, X["a"] > 0), tmp_path / "model.skops")
    (tmp_path / "in").mkdir()
    X.iloc[:200].to_parquet(tmp_path / "in" / "part-0.parquet", index=False)
    X.iloc[200:].to_parquet(tmp_path / "in" / "part-1.parquet", index=False)
    return tmp_path


@pytest.mark.own_spark
@pytest.mark.slow
def test_score_is_quiet_and_verbose_shows_spark(files, env):
    quiet = _run(["score", "model.skops", "in", "out"], files, env)
    _assert_quiet(quiet)
    assert "rows out" in quiet.stdout  # the summary
    assert "scaleout score: 2/2 files" in quiet.stderr  # the progress, as log lines off a TTY
    assert len(pd.read_parquet(files / "out")) == 400

    verbose = _run(["score", "model.skops", "in", "out-verbose", "--verbose"], files, env)
    assert verbose.returncode == 0, verbose.stderr[-3000:]
    assert re.search(r"log4j|WARN |incubator", verbose.stderr), verbose.stderr[-3000:]


@pytest.mark.own_spark
@pytest.mark.slow
def test_demo_is_quiet(demo_run):
    """conftest.py's ``demo_run`` (no --verbose, no MLflow settings; shared with test_demo.py)."""
    _assert_quiet(demo_run.done)
    assert "speed-up vs MLlib" in demo_run.done.stdout


def test_the_quiet_profile_ships_with_the_package():
    text = PROFILE.read_text()
    assert "rootLogger.level = error" in text
    given = {"spark.driver.extraJavaOptions": "-Dfoo=1"}
    options = quiet_settings(given)["spark.driver.extraJavaOptions"]
    assert options == f"-Dfoo=1 -Dlog4j2.configurationFile={PROFILE.as_uri()}"
    assert given == {"spark.driver.extraJavaOptions": "-Dfoo=1"}  # not changed in place


@pytest.mark.own_spark
@pytest.mark.slow
def test_a_jvm_that_does_not_start_is_one_line_with_its_reason(tmp_path, child_env):
    probe = (
        "import toolkit as tk\n"
        "try:\n"
        "    tk.session('local[1]', quiet=True)\n"
        "except tk.SessionError as exc:\n"
        "    print(exc)\n"
    )
    env = {**child_env, "PYSPARK_SUBMIT_ARGS": "--no-such-flag pyspark-shell"}
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert "Unrecognized option: --no-such-flag" in done.stdout, done.stdout + done.stderr
    assert "Spark JVM exited" in done.stdout
    assert not done.stderr.strip()  # spark-submit's usage text went to the log, not here


def test_the_demo_scores_with_mllib_without_its_label_stage(spark, tmp_path):
    from toolkit.cli.demo import make_customers, mllib_pipeline

    make_customers(300, labelled=True).to_parquet(tmp_path / "train.parquet", index=False)
    scoring = mllib_pipeline(spark, tmp_path / "train.parquet")
    inputs = {
        stage.getOrDefault(param)
        for stage in scoring.stages
        for param in ("inputCol",)
        if stage.hasParam(param) and stage.isDefined(param)
    }
    assert "churn" not in inputs
    scored = scoring.transform(tk.to_spark(make_customers(50)))
    assert scored.select("probability").count() == 50
