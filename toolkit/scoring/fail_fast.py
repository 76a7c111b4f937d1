"""Stop a Spark stage at the first task failure that no retry can fix.

On a cluster Spark retries a failed task ``spark.task.maxFailures`` times (4 by
default): right for a lost executor, wasted for a value the model refuses, which
fails the same way on every attempt. Once a scoring plan is built on a classic
session that retries, :func:`watch` starts one daemon thread per SparkContext. While
stages run, it reads the failed tasks' errors from Spark's status store; when one is a
scaleout error listed in :data:`toolkit.exceptions.DETERMINISTIC`, it cancels the
stage with that error as the reason. The action then fails at once with
``... cancelled because toolkit.exceptions.InvalidInputError: <message>``, which
:func:`toolkit.worker_errors` turns back into the error itself.

This covers every DataFrame path (``score``, ``scoring_udf``, ``register_udf``,
``score_stream``, ``score_files(engine="dataframe")``). The files engine stops its own
job from the record its task leaves in the staging area, on Spark Connect too. A
Spark Connect client cannot see the server's task errors: on a Connect server whose
master retries, Spark's retries still run (a local Connect server does not retry).

Examples
--------
>>> retries("local[2]", None), retries("local[2,4]", None), retries("spark://h:7077", None)
(1, 4, 4)
>>> watch(spark)                                       # doctest: +SKIP
"""

from __future__ import annotations

import re
import threading
from typing import Any

from toolkit.exceptions import DETERMINISTIC, from_worker_error

__all__ = ["POLL_SECONDS", "retries", "watch"]

POLL_SECONDS = 0.25
_WATCHED: dict[int, threading.Thread] = {}
_LOCK = threading.Lock()


def retries(master: str, configured: str | None) -> int:
    """Attempts Spark makes per task: ``spark.task.maxFailures``, else what the master
    implies (``local[N]``: 1, ``local[N,F]``: F, a cluster: 4)."""
    if configured:
        return int(configured)
    match = re.fullmatch(r"local(?:\[[^,\]]+(?:,(\d+))?\])?", master.strip())
    if match:
        return int(match.group(1) or 1)
    return 4


def watch(spark: Any) -> None:
    """Make sure ``spark``'s context stops a stage at a deterministic task failure.

    Does nothing on Spark Connect or when the master does not retry tasks.

    Parameters
    ----------
    spark : SparkSession
        The session the scoring plan was built on.
    """
    from toolkit.session.api import is_connect

    if is_connect(spark):
        return
    context = spark.sparkContext
    # one lookup; ``getConf()`` copies every setting across py4j (~30 ms per score call)
    if retries(context.master, spark.conf.get("spark.task.maxFailures", None)) <= 1:
        return
    with _LOCK:
        key = id(context)
        if key in _WATCHED and _WATCHED[key].is_alive():
            return
        thread = threading.Thread(
            target=_watch, args=(context,), name="scaleout-fail-fast", daemon=True
        )
        _WATCHED[key] = thread
        thread.start()


def _watch(context: Any) -> None:
    from pyspark import SparkContext

    tracker, scala_context = context.statusTracker(), context._jsc.sc()
    jvm = context._jvm
    api = jvm.org.apache.spark.status.api.v1
    failed = jvm.java.util.ArrayList()
    failed.add(api.TaskStatus.FAILED)
    seen: dict[tuple[int, int], int] = {}
    stopped = threading.Event()
    while not stopped.wait(POLL_SECONDS):
        if SparkContext._active_spark_context is not context:
            return  # the context was stopped
        try:
            for stage in tracker.getActiveStageIds():
                info = tracker.getStageInfo(stage)
                if info is None or info.numFailedTasks == 0:
                    continue
                key = (stage, info.currentAttemptId)
                if seen.get(key) == info.numFailedTasks:
                    continue
                seen[key] = info.numFailedTasks
                tasks = scala_context.statusStore().taskList(
                    stage, info.currentAttemptId, 0, 20, api.TaskSorting.ID, failed
                )
                reason = _deterministic(tasks)
                if reason is not None:
                    scala_context.cancelStage(stage, reason)
        except Exception:  # watching must never break the user's job; the next poll retries
            continue


def _deterministic(tasks: Any) -> str | None:
    """The cancel reason for the first failed task whose error no retry can fix."""
    iterator = tasks.iterator()
    while iterator.hasNext():
        message = iterator.next().errorMessage()
        if not message.isDefined():
            continue
        error = from_worker_error(RuntimeError(message.get()))
        if isinstance(error, DETERMINISTIC):
            return (
                f"toolkit.exceptions.{type(error).__name__}: {error}\n"
                "(stopped on the first attempt: retrying cannot fix this error)"
            )
    return None
