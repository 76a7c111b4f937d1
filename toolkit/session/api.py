"""Get a SparkSession with defaults a data scientist should not have to know.

Resolution order: explicit ``remote`` / ``master`` arguments, then the
``SPARK_REMOTE`` environment variable (Spark Connect), then ``SPARK_MASTER``,
then the embedded default ``local[*]``. Spark allows one SparkContext per
process: while a session runs, :func:`session` without ``master`` / ``remote``
returns it, the same target returns it too, and a different target is a
:class:`~toolkit.exceptions.SessionError` saying what runs and how to stop it.

Bad requests fail before Spark starts, in words (:mod:`toolkit.session.checks`,
:mod:`toolkit.session.conf`): malformed URLs, a host that does not resolve, a port
where nothing listens, conf values of the wrong kind; a conf value Spark refuses
is an :class:`~toolkit.exceptions.InvalidOptionError` naming the key, value and
what Spark expects. Spark is blamed on Java only when Java is the problem.

A local Spark Connect server (``remote="local[N]"``) listens on 127.0.0.1 only
(unless ``spark.connect.grpc.binding.address`` says otherwise), on port 15002
when it is free, else on a free port. pyspark marks such a process by setting
``SPARK_CONNECT_MODE_ENABLED``, ``SPARK_LOCAL_REMOTE`` and
``SPARK_CONNECT_AUTHENTICATE_TOKEN`` in ``os.environ``; child processes inherit
them, and a child that starts its own Spark must clear them (a child that sees
``SPARK_CONNECT_MODE_ENABLED`` takes every pyspark call for Spark Connect).
Stopping the session removes the first two (and ``SPARK_REMOTE``); the token stays
until :func:`session` starts the next session (a client that sends a stale token to
another server asks it for TLS).
"""

from __future__ import annotations

import contextlib
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

from toolkit.exceptions import InvalidOptionError, SessionError, ToolkitAdviceWarning
from toolkit.session.checks import CONNECT_PORT, Target, parse_target, probe
from toolkit.session.conf import check_conf, conf_error
from toolkit.session.jit import jit_settings
from toolkit.session.start import (
    cause,
    check_sql_values,
    connect_target,
    hidden_environment,
    start,
)

__all__ = ["active_session", "check_java", "is_connect", "running_session", "session"]

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
    quiet: bool = False,
) -> Any:
    """Return a SparkSession (classic or Spark Connect) with scaleout's defaults.

    Parameters
    ----------
    master : str, optional
        Spark master URL (``local[4]``, ``spark://host:7077``). Wins over ``SPARK_REMOTE``
        and ``SPARK_MASTER``.
    app_name : str
        Application name shown in the Spark UI.
    conf : mapping, optional
        Spark settings (strings, numbers, booleans); they win over scaleout's defaults.
        On a running session, settings Spark can change at run time are applied.
    remote : str, optional
        Spark Connect URL (``sc://host:15002``, or ``local[2]`` to start a local
        Connect server, bound to 127.0.0.1). Wins over ``SPARK_REMOTE``.
    quiet : bool
        Keep Spark's driver quiet (what the ``scaleout`` command line does unless
        ``--verbose``): errors-only log4j2 logging, and the JVM's own stderr (start-up
        warnings, native libraries, Python workers' output) in a temporary log file
        instead of this process's stderr. Applies when this call starts a local driver
        JVM (classic Spark or a local Connect server); a running session is used as it
        is. Default ``False``: Spark's own logging, at level WARN.

    Returns
    -------
    SparkSession
        The running session when there is one and no other target was asked for.

    Raises
    ------
    SessionError
        Both ``master`` and ``remote``; a malformed URL (the message lists the accepted
        forms); nothing listening at the address; another session running on another
        target (stop it first: ``spark.stop()``); Java missing; Spark not starting.
    InvalidOptionError
        ``conf`` is not a mapping, holds ``None`` or an object, or a value Spark refuses.

    Examples
    --------
    >>> import toolkit as tk
    >>> spark = tk.session()                       # doctest: +SKIP
    >>> spark.conf.get("spark.sql.execution.arrow.pyspark.enabled")  # doctest: +SKIP
    'true'
    >>> spark = tk.session("local[2]", quiet=True)  # doctest: +SKIP
    >>> tk.session(remote="sc://127.0.0.1:9")      # doctest: +SKIP
    Traceback (most recent call last):
    ...
    SessionError: Spark cannot reach remote='sc://127.0.0.1:9': nothing is listening at ...
    """
    user = check_conf(conf)
    if master is not None and remote is not None:
        raise SessionError(
            f"Pass master= or remote=, not both (got master={master!r}, remote={remote!r}): "
            "master starts classic Spark, remote connects to a Spark Connect server."
        )
    explicit = None
    if remote is not None:
        explicit = parse_target(remote, kind="remote", source="remote=")
    elif master is not None:
        explicit = parse_target(master, kind="master", source="master=")

    running = _running()
    if running is not None:
        spark, kind, url = running
        if explicit is not None and not _same_target(explicit, kind, url):
            raise SessionError(
                f"A Spark session is already running in this process ({kind}={url!r}) and Spark "
                f"allows one per process, so {explicit.describe()} cannot start beside it. "
                "Stop it first (`spark.stop()` on the running session), or call "
                "tk.session() without master/remote to use the running one."
            )
        _apply_conf(spark, user)
        return spark

    target = explicit or _from_environment()
    probe(target)  # an unreachable master or Connect server: seconds, not minutes
    if target.kind == "master" or target.local:
        check_java()
    if target.local or _on_this_machine(target.url):
        # Python workers inherit the JVM's environment, which inherits ours: they run this
        # interpreter (and its venv) with BLAS/OpenMP capped to one thread per task.
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        for var in _THREAD_VARS:
            os.environ.setdefault(var, "1")
    defaults = _default_conf(target.url)
    if target.kind == "remote":  # Arrow is always on in Spark Connect; it has no fallback setting
        defaults.pop("spark.sql.execution.arrow.pyspark.fallback.enabled")
    settings = {**defaults, **user}
    if not str(target.url).startswith("sc://"):  # JVMs this call starts (toolkit.session.jit)
        settings = jit_settings(settings)
    spark = start(target, app_name=app_name, settings=settings, user=user, quiet=quiet)
    for key, value in _RUNTIME_CONF.items():
        if key not in settings:
            spark.conf.set(key, value)
    return spark


def _from_environment() -> Target:
    remote = os.environ.get("SPARK_REMOTE") or None
    if remote is not None:
        return parse_target(remote, kind="remote", source="SPARK_REMOTE")
    master = os.environ.get("SPARK_MASTER") or None
    if master is not None:
        return parse_target(master, kind="master", source="SPARK_MASTER")
    return parse_target("local[*]", kind="master", source="the default")


def _running() -> tuple[Any, str, str] | None:
    """The session running in this process, its kind and target, or None."""
    connect = sys.modules.get("pyspark.sql.connect.session")
    if connect is not None:  # never imported: no Connect session
        try:
            current = connect.SparkSession.active()
        except Exception:
            current = None
        if current is not None and not current.is_stopped:
            return current, "remote", connect_target(current)
    if "pyspark" not in sys.modules:
        return None
    from pyspark import SparkContext
    from pyspark.sql import SparkSession

    context = SparkContext._active_spark_context
    if context is None:
        return None
    with hidden_environment(("SPARK_REMOTE", "MASTER", "SPARK_CONNECT_MODE_ENABLED")):
        current = SparkSession.getActiveSession() or SparkSession.Builder().getOrCreate()
    master = context.master
    assert master is not None  # a SparkContext cannot start without one
    return current, "master", master


def _same_target(wanted: Target, kind: str, url: str) -> bool:
    return wanted.kind == kind and _normal(wanted.url) == _normal(url)


def _normal(url: str) -> str:
    url = re.sub(r"\s+", "", url)
    match = re.fullmatch(r"sc://([^/:;]+|\[[^\]]+\])(?::(\d+))?/?(;.*)?", url)
    if match:  # parameters (token, user) do not change where it runs
        return f"sc://{match.group(1).lower()}:{match.group(2) or CONNECT_PORT}"
    return url


def _apply_conf(spark: Any, user: Mapping[str, str]) -> None:
    """Apply ``user`` to a running session: run-time keys are set (Spark checks them)."""
    check_sql_values(user)  # first in this process's JVM: a local Connect server logs refusals
    for key, value in user.items():
        try:
            modifiable = spark.conf.isModifiable(key)
        except Exception:
            modifiable = False
        if not modifiable:
            with contextlib.suppress(Exception):
                current = spark.conf.get(key, None)
                if current is not None and current != value:
                    warnings.warn(
                        f"conf[{key!r}] = {value!r} cannot change on the running session "
                        f"(it stays {current!r}). Stop it first (`spark.stop()`) and call "
                        "tk.session(...) again to start one with it.",
                        ToolkitAdviceWarning,
                        stacklevel=3,
                    )
            continue
        try:
            spark.conf.set(key, value)
        except Exception as exc:
            error = conf_error(exc, user)
            raise (
                error
                if error is not None
                else InvalidOptionError(f"Spark refused conf[{key!r}] = {value!r}: {cause(exc)}")
            ) from None


def is_connect(spark: Any) -> bool:
    """Tell whether ``spark`` is a Spark Connect session (no SparkContext there).

    Parameters
    ----------
    spark : SparkSession
        A classic or a Spark Connect session (:func:`toolkit.session`).

    Returns
    -------
    bool
        True for a Spark Connect session, False for a classic one.

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


def running_session() -> Any | None:
    """Return the SparkSession running in this process (classic or Connect), or None.

    Examples
    --------
    >>> running_session() is None or hasattr(running_session(), "range")
    True
    """
    running = _running()
    return running[0] if running is not None else None


def active_session() -> Any:
    """Return the running SparkSession, starting :func:`session` when there is none.

    Examples
    --------
    >>> spark = active_session()  # doctest: +SKIP
    """
    running = _running()
    return running[0] if running is not None else session()
