"""The Spark side of :func:`toolkit.score_files`: run a job, stop it for good, say why it failed.

Every Spark job of one ``score_files`` call runs under its own tag: a job group on
classic Spark, an operation tag on Spark Connect. When the call fails (or is
interrupted), :class:`JobGuard` cancels what still runs under that tag and, on
classic Spark, waits until Spark's status tracker shows no task of those jobs still
running, so that the commit protocol's abort (:func:`toolkit.files.commit.abort`) runs
after the last straggler, never before it. Given ``cancel_when``, it also cancels
the jobs as soon as that returns True: the files engine passes "a task recorded an
error no retry can fix", so such an error stops the job on its first attempt
instead of after ``spark.task.maxFailures`` attempts. Spark Connect exposes no task status:
there the staging area's refusal (:func:`toolkit.files.commit.publish`) stops a
straggler instead.

Examples
--------
>>> with JobGuard(spark):                       # doctest: +SKIP
...     stats = run_job(spark, job)
"""

from __future__ import annotations

import functools
import os
import re
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from toolkit.exceptions import ScoringJobError, ToolkitError, worker_errors
from toolkit.files.task import STATS_DDL, FileJob, run_tasks, run_tasks_arrow
from toolkit.session.api import is_connect

__all__ = ["JobGuard", "cores", "job_failure", "run_job"]

_GROUP_KEYS = ("spark.jobGroup.id", "spark.job.description", "spark.job.interruptOnCancel")


class JobGuard:
    """Tag the Spark jobs started inside the block; on an exception, stop them all first.

    ``timeout`` bounds the wait for running tasks (seconds); a task that outlives it
    is left to Spark (the staging area refuses it, see :mod:`toolkit.files.commit`).
    """

    def __init__(
        self,
        spark: Any,
        *,
        timeout: float = 60.0,
        cancel_when: Callable[[], bool] | None = None,
        interval: float = 0.25,
    ) -> None:
        self.spark = spark
        self.tag = f"scaleout-score-files-{uuid.uuid4().hex}"
        self.timeout = timeout
        self.cancel_when, self.interval = cancel_when, interval
        self._saved: dict[str, str | None] = {}
        self._done = threading.Event()
        self._watcher: threading.Thread | None = None

    def __enter__(self) -> JobGuard:
        if is_connect(self.spark):
            self.spark.addTag(self.tag)
        else:
            context = self.spark.sparkContext
            self._saved = {key: context.getLocalProperty(key) for key in _GROUP_KEYS}
            context.setJobGroup(self.tag, "scaleout score_files", interruptOnCancel=False)
        if self.cancel_when is not None:
            self._watcher = threading.Thread(target=self._watch, name="scaleout-guard", daemon=True)
            self._watcher.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, *rest: object) -> None:
        self._done.set()
        if self._watcher is not None:
            self._watcher.join()
        try:
            if kind is not None:
                self.stop()
        finally:
            if is_connect(self.spark):
                self.spark.removeTag(self.tag)
            else:
                context = self.spark.sparkContext
                for key, value in self._saved.items():
                    context.setLocalProperty(key, value)

    def _watch(self) -> None:
        """Cancel the jobs as soon as ``cancel_when`` says so (a task recorded a failure
        no retry can fix), instead of letting Spark retry the task."""
        assert self.cancel_when is not None
        while not self._done.wait(self.interval):
            try:
                if self.cancel_when():
                    self._cancel()
                    return
            except Exception:  # watching must never break the job
                continue

    def _cancel(self) -> None:
        if is_connect(self.spark):
            self.spark.interruptTag(self.tag)
        else:
            self.spark.sparkContext.cancelJobGroup(self.tag)

    def stop(self) -> bool:
        """Cancel this block's jobs; True once no task of them runs (classic Spark only)."""
        try:
            self._cancel()
            return False if is_connect(self.spark) else self._wait_idle()
        except Exception:  # the session may be gone; the staging area still refuses
            return False

    def _wait_idle(self) -> bool:
        """Wait until every job of the group has ended and no task of its stages runs.

        Spark's status tracker follows the scheduler through an asynchronous listener:
        a job counts as ended only once its end event arrived, and its task-start events
        arrive before that, so "ended and no active task" means no task still runs.
        """
        tracker = self.spark.sparkContext.statusTracker()
        deadline = time.monotonic() + self.timeout
        grace = time.monotonic() + 1.0  # a job submitted just before the failure shows up
        while time.monotonic() < deadline:
            jobs = tracker.getJobIdsForGroup(self.tag)
            busy = not jobs and time.monotonic() < grace
            for job in jobs:
                info = tracker.getJobInfo(job)
                if info is None:
                    continue
                if info.status == "RUNNING":
                    busy = True
                    break
                for stage in info.stageIds:
                    stage_info = tracker.getStageInfo(stage)
                    if stage_info is not None and stage_info.numActiveTasks > 0:
                        busy = True
            if not busy:
                return True
            time.sleep(0.05)
        return False


def run_job(spark: Any, job: FileJob) -> list[dict[str, int]]:
    """One Spark job: ``len(job.tasks)`` partitions of one task id each.

    Classic Spark runs it as an RDD job (no SQL planning or Arrow framing for a
    handful of stats rows: ~0.07 s less per call); Spark Connect, which has no
    RDDs, as ``mapInArrow`` over ``spark.range``.
    """
    count = len(job.tasks)
    try:
        with worker_errors():
            if is_connect(spark):
                frame = spark.range(0, count, 1, numPartitions=count).mapInArrow(
                    functools.partial(run_tasks_arrow, job), STATS_DDL
                )
                return [row.asDict() for row in frame.collect()]
            tasks = spark.sparkContext.parallelize(range(count), count)
            return tasks.mapPartitions(functools.partial(run_tasks, job)).collect()
    except ToolkitError:
        raise
    except Exception as exc:
        raise ScoringJobError(f"The scoring job failed: {job_failure(exc)}") from None


def job_failure(exc: BaseException) -> str:
    """The one line of a Spark failure worth showing (not the JVM stack trace)."""
    text = str(exc)
    for pattern in (
        r"Python worker exited unexpectedly[^\n]*",
        r"Job aborted due to stage failure: [^\n]*?(?=\n|$)",
        r"(?:\w+\.)*\w+(?:Exception|Error): [^\n]+",
    ):
        match = re.search(pattern, text)
        if match:
            return match.group(0)[:400]
    lines = text.strip().splitlines()
    return (lines[0] if lines else type(exc).__name__)[:400]


def cores(spark: Any) -> int:
    """Task slots of the session: defaultParallelism, or what Spark Connect's conf says."""
    if not is_connect(spark):
        return max(1, int(spark.sparkContext.defaultParallelism))
    for key in ("spark.default.parallelism", "spark.master"):
        try:
            value = spark.conf.get(key, None)
        except Exception:
            continue
        if value and value.isdigit():
            return int(value)
        match = re.fullmatch(r"local\[(\d+|\*)(?:,\d+)?\]", str(value))
        if match:
            return int(match.group(1)) if match.group(1) != "*" else os.cpu_count() or 2
    return os.cpu_count() or 2
