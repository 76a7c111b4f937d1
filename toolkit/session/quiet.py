"""A quiet Spark driver: errors only in its log, and nothing of the JVM's on our stderr.

``tk.session(quiet=True)`` (what the ``scaleout`` command line uses unless ``--verbose``)
starts the driver JVM itself, before pyspark would, with two changes:

- Spark's log4j2 profile is replaced by scaleout's (``log4j2-quiet.properties`` beside
  this module: errors only), through ``spark.driver.extraJavaOptions``;
- the JVM's stderr goes to a log file instead of the terminal: what the JVM prints
  outside log4j (``WARNING: Using incubator modules``, native libraries such as
  netlib's BLAS) and what Python workers print land there. The file is removed when the
  process exits; when the JVM fails to start, its last lines are in the error instead.

A JVM that already runs in the process (an earlier session) is used as it is.

Examples
--------
>>> quiet_settings({})["spark.driver.extraJavaOptions"]  # doctest: +SKIP
'-Dlog4j2.configurationFile=file:///.../toolkit/session/log4j2-quiet.properties'
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path

from toolkit.exceptions import SessionError

__all__ = ["PROFILE", "launch_quiet_jvm", "quiet_settings"]

PROFILE = Path(__file__).with_name("log4j2-quiet.properties")
_JAVA_OPTIONS = "spark.driver.extraJavaOptions"
# JVM lines that say nothing about why it failed.
_NOISE = ("WARNING: Using incubator modules",)
_ERROR = re.compile(r"\berror\b|exception|invalid|could not|unrecognized", re.IGNORECASE)


def quiet_settings(settings: Mapping[str, str]) -> dict[str, str]:
    """``settings`` with the driver JVM pointed at scaleout's quiet log4j2 profile.

    The option is added after any ``spark.driver.extraJavaOptions`` already given.
    """
    option = f"-Dlog4j2.configurationFile={PROFILE.as_uri()}"
    given = settings.get(_JAVA_OPTIONS, "").strip()
    return {**settings, _JAVA_OPTIONS: f"{given} {option}".strip()}


def launch_quiet_jvm(*, master: str, app_name: str, settings: Mapping[str, str], what: str) -> None:
    """Start the driver JVM with its stderr in a log file, unless one already runs.

    Parameters
    ----------
    master : str
        The master the JVM is started for (``local[2]``, ``spark://host:7077``).
    app_name : str
    settings : mapping
        Spark settings given to ``spark-submit`` (memory, Java options).
    what : str
        The target in words, for the error message.

    Raises
    ------
    SessionError
        The JVM exited before it was ready; the message holds its last lines.
    """
    from pyspark import SparkConf, SparkContext

    if SparkContext._gateway is not None or "PYSPARK_GATEWAY_PORT" in os.environ:
        return
    from pyspark.java_gateway import launch_gateway

    conf = SparkConf(loadDefaults=False).setAll(list(settings.items()))
    conf.setMaster(master).setAppName(app_name)
    log = _log_file()
    with open(log, "ab") as stderr:
        try:
            gateway = launch_gateway(conf, popen_kwargs={"stderr": stderr})
        except Exception as exc:
            said = _last_lines(log) or str(exc).strip().splitlines()[0]
            raise SessionError(
                f"The Spark JVM exited while starting for {what}: {said}. Check the "
                "spark.driver.* settings in conf and PYSPARK_SUBMIT_ARGS (--verbose on the "
                "command line shows all of Spark's output)."
            ) from None
    SparkContext._ensure_initialized(conf=conf, gateway=gateway)


def _log_file() -> Path:
    handle, name = tempfile.mkstemp(prefix="scaleout-spark-", suffix=".log")
    os.close(handle)
    path = Path(name)
    atexit.register(_remove, path)
    return path


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()


def _last_lines(path: Path, count: int = 3) -> str:
    """What the JVM said about why: its error lines first, else its last lines."""
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return ""
    said = [line.strip() for line in lines if line.strip() and not line.startswith(_NOISE)]
    errors = [line for line in said if _ERROR.search(line)]
    return " / ".join(errors[:count] if errors else said[-count:])
