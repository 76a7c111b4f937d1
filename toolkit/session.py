"""Get a SparkSession with defaults a data scientist should not have to know.

Resolution order: explicit ``remote`` / ``master`` arguments, then the
``SPARK_REMOTE`` environment variable (Spark Connect), then ``SPARK_MASTER``,
then the embedded default ``local[*]``.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import subprocess
import sys
import warnings
from collections.abc import Mapping
from typing import Any

from toolkit.exceptions import SessionError

__all__ = ["active_session", "check_java", "is_connect", "session"]

_JAVA_ADVICE = (
    "Install a Java 17+ runtime (Debian/Ubuntu: `apt-get install openjdk-17-jre-headless`; "
    "macOS: `brew install openjdk@17`) and put its `bin` on PATH or set JAVA_HOME."
)
# pandas-on-Spark reads its options from the session's runtime conf.
_RUNTIME_CONF = {"pandas_on_Spark.compute.default_index_type": json.dumps("distributed-sequence")}
_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def session(
    master: str | None = None,
    *,
    app_name: str = "scaleout",
    conf: Mapping[str, Any] | None = None,
    remote: str | None = None,
) -> Any:
    """Return a SparkSession (classic or Spark Connect) with scaleout's defaults.

    Parameters
    ----------
    master : str, optional
        Spark master URL (``local[4]``, ``spark://host:7077``). Wins over ``SPARK_MASTER``.
    app_name : str
        Application name shown in the Spark UI.
    conf : mapping, optional
        Spark settings; they win over scaleout's defaults.
    remote : str, optional
        Spark Connect URL (``sc://host:15002``, or ``local[2]`` to start a local
        Connect server). Wins over ``SPARK_REMOTE``.

    Examples
    --------
    >>> import toolkit as tk
    >>> spark = tk.session()                       # doctest: +SKIP
    >>> spark.conf.get("spark.sql.execution.arrow.pyspark.enabled")  # doctest: +SKIP
    'true'
    """
    if remote is None and master is None:
        remote = os.environ.get("SPARK_REMOTE") or None
    if master is None and remote is None:
        master = os.environ.get("SPARK_MASTER") or "local[*]"

    target = remote if remote is not None else master
    if not str(target).startswith("sc://"):
        check_java()
    if _on_this_machine(target):
        # Python workers inherit the JVM's environment, which inherits ours: they run this
        # interpreter (and its venv) with BLAS/OpenMP capped to one thread per task.
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        for var in _THREAD_VARS:
            os.environ.setdefault(var, "1")
    defaults = _default_conf(target)
    if remote is not None:  # Arrow is always on in Spark Connect; it has no fallback setting
        defaults.pop("spark.sql.execution.arrow.pyspark.fallback.enabled")
    settings = {**defaults, **{k: str(v) for k, v in (conf or {}).items()}}

    from pyspark.sql import SparkSession

    builder = SparkSession.Builder().appName(app_name)  # fresh: the shared one keeps options
    builder = builder.remote(remote) if remote is not None else builder.master(master)
    for key, value in settings.items():
        builder = builder.config(key, value)
    try:
        with warnings.catch_warnings():  # Connect re-applies start-up settings it cannot change
            warnings.filterwarnings("ignore", message=".*CANNOT_MODIFY_CONFIG.*")
            spark = builder.getOrCreate()
    except Exception as exc:  # py4j / grpc errors become one clear message
        raise SessionError(
            f"Spark did not start (target {target!r}): {_first_line(exc)}. "
            "Check the master/remote URL and that Java 17+ is installed; " + _JAVA_ADVICE
        ) from None
    if not is_connect(spark):
        spark.sparkContext.setLogLevel("WARN")
    for key, value in _RUNTIME_CONF.items():
        if key not in settings:
            spark.conf.set(key, value)
    return spark


def is_connect(spark: Any) -> bool:
    """Tell whether ``spark`` is a Spark Connect session (no SparkContext there).

    Examples
    --------
    >>> is_connect(tk.session(remote="local[2]"))  # doctest: +SKIP
    True
    """
    return type(spark).__module__.startswith("pyspark.sql.connect")


def check_java() -> int:
    """Return the major version of the ``java`` Spark will use, or raise :class:`SessionError`.

    Examples
    --------
    >>> check_java() >= 17  # doctest: +SKIP
    True
    """
    java_home = os.environ.get("JAVA_HOME")
    java = os.path.join(java_home, "bin", "java") if java_home else shutil.which("java")
    if not java or not os.path.exists(java):
        where = f"JAVA_HOME={java_home!r} has no bin/java" if java_home else "no `java` on PATH"
        raise SessionError(f"Spark needs Java 17 or newer, but {where}. {_JAVA_ADVICE}")
    version = _java_major(java)
    if version < 17:
        raise SessionError(
            f"Spark 4 needs Java 17 or newer, but {java} is Java {version}. {_JAVA_ADVICE}"
        )
    return version


@functools.lru_cache(maxsize=8)
def _java_major(java: str) -> int:
    try:
        out = subprocess.run(
            [java, "-version"], capture_output=True, text=True, timeout=60, check=False
        )
    except OSError as exc:
        raise SessionError(f"`{java} -version` could not run ({exc}). {_JAVA_ADVICE}") from None
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
    if not match:
        raise SessionError(f"`{java} -version` printed no version. {_JAVA_ADVICE}")
    major = int(match.group(1))
    return int(match.group(2)) if major == 1 and match.group(2) else major  # "1.8" -> 8


def _default_conf(target: str | None) -> dict[str, str]:
    cores = _cores(target)
    conf = {
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.sql.execution.arrow.pyspark.fallback.enabled": "false",
        "spark.sql.shuffle.partitions": str(max(2, cores * 2)),
        "spark.sql.adaptive.enabled": "true",
        # bigger Arrow batches: fewer Python calls per row for pandas UDFs and model scoring
        "spark.sql.execution.arrow.maxRecordsPerBatch": "50000",
        "spark.sql.session.timeZone": "UTC",
        "spark.ui.showConsoleProgress": "false",
    }
    if str(target).startswith("local"):
        conf["spark.driver.memory"] = os.environ.get("SCALEOUT_DRIVER_MEMORY", "4g")
    for var in _THREAD_VARS:
        conf[f"spark.executorEnv.{var}"] = "1"
    return conf


def _on_this_machine(target: str | None) -> bool:
    return bool(re.match(r"(local|spark://(127\.0\.0\.1|localhost)[:/])", str(target)))


def _cores(target: str | None) -> int:
    match = re.fullmatch(r"local\[(\d+|\*)(?:,\d+)?\]", str(target))
    if match and match.group(1) != "*":
        return int(match.group(1))
    return os.cpu_count() or 2


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def active_session() -> Any:
    """Return the active SparkSession, starting :func:`session` when there is none.

    Examples
    --------
    >>> spark = active_session()  # doctest: +SKIP
    """
    from pyspark.sql import SparkSession

    current = SparkSession.getActiveSession()
    return current if current is not None else session()
