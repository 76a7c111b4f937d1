"""Cold start: the first run of a path in a fresh process, reported apart from warm runs.

A cold run is what a nightly batch job pays: a new Python process starts Spark
(JVM included), loads the saved model, and scores the table once. The parent
runs ``python -m benchmarks.cold SPEC_JSON`` per path and reads one JSON line
back: ``session_seconds`` (Spark start), ``prepare_seconds`` (loading models,
building UDFs), ``first_seconds`` (the first run) and ``second_seconds`` (the
same run again in the same process, for contrast).

Examples
--------
>>> result = run_cold(spec, timeout=600)  # doctest: +SKIP
>>> result["first_seconds"] > result["second_seconds"]  # doctest: +SKIP
True
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

__all__ = ["child_environment", "child_target", "holds_cluster", "main", "run_cold"]

_MARK = "BENCH-COLD "
_TARGET_VARS = (
    "SPARK_MASTER",
    "SPARK_REMOTE",
    "SPARK_CONNECT_MODE_ENABLED",
    "SPARK_LOCAL_REMOTE",
    "SPARK_CONNECT_AUTHENTICATE_TOKEN",
)


def run_cold(spec: dict[str, Any], *, timeout: float = 900) -> dict[str, Any]:
    """Run one cold measurement in a child process and return its result.

    ``spec`` keys: ``path``, ``model``, ``table`` (dir), ``rows``, ``features``, ``files``,
    ``seed``, ``models_dir``, ``outdir``, ``master`` (or ``remote``), ``mlflow_uri`` and
    ``tracking_uri``.
    """
    from toolkit.exceptions import ScoringJobError

    env = child_environment()
    token = os.environ.get("SPARK_CONNECT_AUTHENTICATE_TOKEN")
    if token and str(spec.get("remote", "")).startswith("sc://localhost"):
        env["SPARK_CONNECT_AUTHENTICATE_TOKEN"] = token  # the parent's own local server
    if spec.get("tracking_uri"):
        env["MLFLOW_TRACKING_URI"] = spec["tracking_uri"]
    root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.cold", json.dumps(spec)],
        capture_output=True, text=True, timeout=timeout, env=env, check=False,
    )  # fmt: skip
    for line in reversed(done.stdout.splitlines()):
        if line.startswith(_MARK):
            return json.loads(line[len(_MARK) :])
    tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-15:])
    raise ScoringJobError(
        f"The cold-start run of {spec['path']} on {spec['model']} failed (exit {done.returncode}):"
        f"\n{tail}"
    )


def child_environment() -> dict[str, str]:
    """This process's environment without the variables that pick a Spark target.

    The child gets its target explicitly (``spec["master"]`` / ``spec["remote"]``): an
    inherited ``SPARK_MASTER`` would send it to the cluster whose cores this process
    holds, and a local Spark Connect server marks its parent with ``SPARK_REMOTE``,
    ``SPARK_CONNECT_MODE_ENABLED`` and ``SPARK_LOCAL_REMOTE``.

    Examples
    --------
    >>> "SPARK_MASTER" in child_environment()
    False
    """
    return {k: v for k, v in os.environ.items() if k not in _TARGET_VARS}


def child_target(spark: Any, master: str | None) -> dict[str, str]:
    """The Spark target a cold child uses: the configured master, else the parent's own.

    A parent on a local Spark Connect server lends it to the child (a new client, as a
    real job on a Connect cluster would be); a second local server would compete for
    its port.
    """
    from toolkit.session.api import is_connect

    if master:
        return {"master": master}
    if not is_connect(spark):
        return {"master": spark.sparkContext.master}
    remote = os.environ.get("SPARK_REMOTE", "")
    if remote.startswith("sc://"):
        return {"remote": remote}
    port = spark.conf.get("spark.connect.grpc.binding.port", "15002")
    return {"remote": f"sc://localhost:{port}"}


def holds_cluster(spark: Any) -> bool:
    """True when ``spark`` is a classic session on a cluster, whose cores a child would wait for.

    Examples
    --------
    >>> holds_cluster(tk.session("local[2]"))  # doctest: +SKIP
    False
    """
    from toolkit.session.api import is_connect

    return not is_connect(spark) and not spark.sparkContext.master.startswith("local")


def main(argv: list[str] | None = None) -> int:
    """Child side: start Spark, prepare, run twice, print one JSON line."""
    argv = sys.argv[1:] if argv is None else argv
    spec = json.loads(argv[0])
    began = time.perf_counter()

    import toolkit as tk
    from benchmarks.catalog import make_path
    from benchmarks.data import Table
    from benchmarks.models import load_fitted
    from benchmarks.paths import Case
    from toolkit.files.jobs import cores

    spark = tk.session(
        spec.get("master"), remote=spec.get("remote"), app_name="scaleout-bench-cold"
    )
    session_seconds = time.perf_counter() - began
    try:
        started = time.perf_counter()
        table = Table(Path(spec["table"]), spec["rows"], spec["features"], spec["files"],
                      spec["seed"])  # fmt: skip
        fitted = load_fitted(spec["model"], features=table.feature_names,
                             directory=spec["models_dir"])  # fmt: skip
        fitted.mlflow_uri = spec.get("mlflow_uri")
        case = Case(spark, table, fitted, Path(spec["outdir"]), cores(spark))
        path = make_path(spec["path"])
        path.prepare(case)
        prepare_seconds = time.perf_counter() - started
        timings = []
        for _ in range(2):
            started = time.perf_counter()
            path.run(case, "files")
            timings.append(time.perf_counter() - started)
    finally:
        spark.stop()
    result = {
        "path": spec["path"], "model": spec["model"], "rows": spec["rows"],
        "session_seconds": session_seconds, "prepare_seconds": prepare_seconds,
        "first_seconds": timings[0], "second_seconds": timings[1],
    }  # fmt: skip
    print(_MARK + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
