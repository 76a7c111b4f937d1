"""What the numbers were measured on: machine, versions, Spark conf, thread settings.

Thread settings are read twice: in this (driver) process and inside a Spark
Python worker, because that is where BLAS/OpenMP caps matter.
``OPENBLAS_CORETYPE`` / ``OPENBLAS_L2_SIZE`` are recorded too: on some
machines they are set so old OpenBLAS builds work, and they make a current
numpy pick a slower kernel (``threadpoolctl`` shows which one it runs).

Examples
--------
>>> env = machine()
>>> env["cores"] >= 1
True
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

__all__ = ["THREAD_VARS", "capture", "machine", "thread_settings", "worker_settings"]

THREAD_VARS = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OPENBLAS_CORETYPE",
    "OPENBLAS_L2_SIZE",
)
PACKAGES = ("scaleout", "pyspark", "pandas", "pyarrow", "numpy", "scikit-learn", "mlflow", "skops")
_SECRET = ("secret", "password", "token", "key")


def machine() -> dict[str, Any]:
    """Cores, CPU model, memory, OS and Python of this machine."""
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = None
    try:
        import psutil

        memory = round(psutil.virtual_memory().total / 2**30, 1)
    except ImportError:  # pragma: no cover
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "cores": usable or 1,
        "cpu": cpu,
        "memory_gib": memory,
        "os": platform.platform(),
        "python": platform.python_version(),
    }


def versions() -> dict[str, str]:
    out = {}
    for package in PACKAGES:
        try:
            out[package] = version(package)
        except PackageNotFoundError:
            out[package] = "not installed"
    try:
        from toolkit.session.api import check_java

        out["java"] = str(check_java())
    except Exception as exc:  # noqa: BLE001 - recorded, not fatal
        out["java"] = f"unknown ({exc})"
    return out


def thread_settings() -> dict[str, Any]:
    """Thread variables and the BLAS/OpenMP pools loaded in this process.

    Examples
    --------
    >>> "env" in thread_settings()
    True
    """
    import numpy  # noqa: F401 - load BLAS so threadpoolctl sees it
    import sklearn.utils  # noqa: F401 - and OpenMP
    from threadpoolctl import threadpool_info

    pools = [
        {key: pool.get(key) for key in ("user_api", "internal_api", "num_threads", "architecture")}
        for pool in threadpool_info()
    ]
    return {"env": {var: os.environ.get(var) for var in THREAD_VARS}, "threadpools": pools,
            "pid": os.getpid()}  # fmt: skip


def _probe(batches: Any) -> Any:
    import pyarrow as pa

    for _ in batches:
        pass
    yield pa.RecordBatch.from_pydict({"info": [json.dumps(thread_settings())]})


def worker_settings(spark: Any) -> dict[str, Any] | None:
    """:func:`thread_settings` as seen inside a Spark Python worker (``None`` if it fails)."""
    try:
        rows = spark.range(1, numPartitions=1).mapInArrow(_probe, "info string").collect()
        return json.loads(rows[0]["info"])
    except Exception as exc:  # noqa: BLE001 - the environment is informative, never fatal
        return {"error": str(exc).splitlines()[0][:300]}


def spark_conf(spark: Any) -> dict[str, str]:
    """The session's Spark settings, secrets redacted."""
    try:
        pairs = spark.sparkContext.getConf().getAll()
    except Exception:  # noqa: BLE001 - Spark Connect has no SparkContext
        try:
            pairs = list(spark.conf.getAll.items())
        except Exception:  # noqa: BLE001
            pairs = []
    return {
        k: ("<redacted>" if any(word in k.lower() for word in _SECRET) else v)
        for k, v in sorted(pairs)
    }


def git_commit() -> str | None:
    here = Path(__file__).resolve().parent
    try:
        done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=here,
                              capture_output=True, text=True, timeout=10, check=False)  # fmt: skip
    except OSError:
        return None
    return done.stdout.strip() or None


def capture(spark: Any) -> dict[str, Any]:
    """Everything above in one JSON-ready dict.

    Examples
    --------
    >>> capture(spark)["machine"]["cores"]  # doctest: +SKIP
    2
    """
    return {
        "machine": machine(),
        "versions": versions(),
        "spark_conf": spark_conf(spark),
        "spark_master": spark_conf(spark).get("spark.master"),
        "threads_driver": thread_settings(),
        "threads_worker": worker_settings(spark),
        "commit": git_commit(),
        "argv": sys.argv,
    }
