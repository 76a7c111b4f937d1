"""A joblib backend whose workers are Spark tasks: scikit-learn's ``n_jobs`` on a cluster.

:class:`SparkBackend` runs each joblib batch as one Spark job of one task, from a driver
thread pool as wide as ``n_jobs`` (at most the session's task slots). Classic Spark runs
it as ``parallelize([0], 1).mapPartitions(...)``; Spark Connect, which has no
SparkContext, as ``range(0, 1, 1, 1).mapInArrow(...)``. Large arrays and frames travel
once per search (:mod:`toolkit.tuning.shipping`); the task sends back the batch's result
or its exception, pickled, so a failing fit raises the worker's own exception here.

Every job runs under the backend's tag (a job group on classic Spark, an operation tag
on Spark Connect): when joblib aborts a call (an error, or Ctrl-C on the driver),
:meth:`SparkBackend.abort_everything` cancels what still runs.

Examples
--------
>>> import joblib
>>> with joblib.parallel_config(backend=SparkBackend(spark)):   # doctest: +SKIP
...     GridSearchCV(model, grid, n_jobs=-1).fit(X, y)
"""

from __future__ import annotations

import functools
import pickle
import threading
import uuid
import weakref
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from joblib._parallel_backends import AutoBatchingMixin
from joblib.parallel import ParallelBackendBase, SequentialBackend

from toolkit.exceptions import InvalidOptionError, ScoringJobError
from toolkit.files.jobs import cores, job_failure
from toolkit.session.api import active_session, is_connect
from toolkit.tuning.progress import TaskProgress
from toolkit.tuning.shipping import SHIP_MIN_BYTES, Shipper
from toolkit.tuning.worker import task_arrow, task_partition

__all__ = ["BackendStats", "SparkBackend", "check_n_jobs"]


def check_n_jobs(n_jobs: Any) -> None:
    """Refuse an ``n_jobs`` that is not None or a non-zero integer, before any Spark job.

    Parameters
    ----------
    n_jobs : object
        The value to check.

    Raises
    ------
    InvalidOptionError
        ``0``, a bool, a float, a string...

    Examples
    --------
    >>> check_n_jobs(-1)
    >>> check_n_jobs(0)
    Traceback (most recent call last):
    ...
    toolkit.exceptions.InvalidOptionError: n_jobs must be a non-zero integer ...
    """
    if n_jobs is None or (isinstance(n_jobs, int) and not isinstance(n_jobs, bool) and n_jobs):
        return
    raise InvalidOptionError(
        "n_jobs must be a non-zero integer (-1: every Spark task slot; k > 0: k tasks at "
        f"once; -2: all slots but one) or None; got n_jobs={n_jobs!r}. Pass n_jobs=-1."
    )


@dataclass
class BackendStats:
    """What a :class:`SparkBackend` sent and what its workers loaded (bounded in size: one
    entry per Python worker and shipped object, never one per task)."""

    tasks: int = 0
    """Batches run as Spark tasks."""
    calls: int = 0
    """Function calls (fits, scores...) those batches held."""
    payload_bytes_max: int = 0
    """Largest pickled batch sent with a task (large objects excluded: they are shipped)."""
    payload_bytes_total: int = 0
    shipped: dict[str, int] = field(default_factory=dict)
    """Reference key -> bytes shipped once (broadcast or artifact)."""
    loads: dict[tuple[str, int], dict[str, int]] = field(default_factory=dict)
    """(host, pid) of a Python worker -> reference key -> times that process deserialised it."""


class SparkBackend(AutoBatchingMixin, ParallelBackendBase):  # type: ignore[misc]
    """joblib backend running each batch as a Spark task; register it with
    :func:`toolkit.register_spark` or use :func:`toolkit.parallel_backend`.

    A Spark job costs ~0.1-0.2 s on top of its work, so with joblib's ``batch_size="auto"``
    (scikit-learn's default) quick calls are grouped until a batch takes at least
    :attr:`MIN_IDEAL_BATCH_DURATION` seconds (joblib's own backends aim at 0.2 s).

    Parameters
    ----------
    spark : SparkSession, optional
        Classic or Spark Connect; default: the running session, else :func:`toolkit.session`.
    min_bytes : int
        Arrays and frames at least this large travel once per search, by reference.
    progress : bool, optional
        Draw a progress bar (tasks done / dispatched) on stderr; default: on a terminal.
    nesting_level, inner_max_num_threads, **backend_kwargs
        What joblib passes to every backend.

    Examples
    --------
    >>> import joblib
    >>> with joblib.parallel_config(backend=SparkBackend()):   # doctest: +SKIP
    ...     joblib.Parallel(n_jobs=-1)(joblib.delayed(abs)(-i) for i in range(4))
    [0, 1, 2, 3]
    """

    default_n_jobs = -1
    MIN_IDEAL_BATCH_DURATION = 2.0
    MAX_IDEAL_BATCH_DURATION = 8.0
    supports_retrieve_callback = True
    supports_timeout = True
    supports_return_generator = True
    supports_sharedmem = False
    uses_threads = False

    def __init__(
        self,
        spark: Any = None,
        *,
        min_bytes: int = SHIP_MIN_BYTES,
        progress: bool | None = None,
        nesting_level: int | None = None,
        inner_max_num_threads: int | None = None,
        **backend_kwargs: Any,
    ) -> None:
        super().__init__(
            nesting_level=nesting_level,
            inner_max_num_threads=inner_max_num_threads,
            **backend_kwargs,
        )
        self._spark = spark
        self._min_bytes = min_bytes
        self._shipper: Shipper | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._n_jobs = 1
        self._tag = self._new_tag()
        self._cancelled: set[str] = set()
        self._lock = threading.Lock()
        self._stats = BackendStats()
        self.progress = TaskProgress(enabled=progress)
        """Tasks done / dispatched in the current (or last) joblib call."""

    @staticmethod
    def _new_tag() -> str:
        return f"scaleout-joblib-{uuid.uuid4().hex}"

    @property
    def spark(self) -> Any:
        """The session the tasks run on (resolved at first use)."""
        if self._spark is None:
            self._spark = active_session()
        return self._spark

    @property
    def shipper(self) -> Shipper:
        """The :class:`~toolkit.tuning.shipping.Shipper` of this backend (made at first use)."""
        with self._lock:
            if self._shipper is None:
                self._shipper = Shipper(self.spark, min_bytes=self._min_bytes)
                weakref.finalize(self, self._shipper.release)
            return self._shipper

    @property
    def stats(self) -> BackendStats:
        """A copy of what this backend sent and what its workers loaded so far."""
        with self._lock:
            shipped = dict(self._stats.shipped)
            if self._shipper is not None:
                shipped.update(self._shipper.shipped)
            return BackendStats(
                tasks=self._stats.tasks,
                calls=self._stats.calls,
                payload_bytes_max=self._stats.payload_bytes_max,
                payload_bytes_total=self._stats.payload_bytes_total,
                shipped=shipped,
                loads={where: dict(keys) for where, keys in self._stats.loads.items()},
            )

    # joblib's interface -------------------------------------------------------------------

    def effective_n_jobs(self, n_jobs: Any) -> int:
        """Concurrent Spark tasks for ``n_jobs``: -1 = every task slot, k > 0 capped at them."""
        check_n_jobs(n_jobs)
        slots = cores(self.spark)
        if n_jobs is None or n_jobs < 0:
            return max(slots + 1 + (n_jobs if n_jobs is not None else -1), 1)
        return int(min(n_jobs, slots))

    def configure(self, n_jobs: Any = 1, parallel: Any = None, **kwargs: Any) -> int:
        """Size the driver thread pool for one joblib call; return the number of workers."""
        self._n_jobs = self.effective_n_jobs(n_jobs)
        self.parallel = parallel
        self.reset_batch_stats()  # each call sizes its own batches
        return self._n_jobs

    def submit(self, func: Any, callback: Any = None) -> Future[Any]:
        """Run one batch as a Spark job from the thread pool; return its future."""
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(self._n_jobs, thread_name_prefix="scaleout")
            executor, tag = self._executor, self._tag
        future = executor.submit(self._run, func, tag)
        self.progress.dispatched()
        future.add_done_callback(lambda _: self.progress.finished())
        if callback is not None:
            future.add_done_callback(callback)
        return future

    def retrieve_result_callback(self, out: Future[Any]) -> Any:
        """The batch's results, or its exception raised again."""
        return out.result()

    def retrieve_result(self, out: Future[Any], timeout: float | None = None) -> Any:
        """The batch's results, waiting at most ``timeout`` seconds."""
        return out.result(timeout=timeout)

    def start_call(self) -> None:
        """Start of a joblib call: start counting (and drawing) its tasks."""
        self.progress.start()

    def stop_call(self) -> None:
        """End of a joblib call: arrays may change before the next one, forget their ids."""
        self.progress.stop()
        if self._shipper is not None:
            self._shipper.forget()

    def terminate(self) -> None:
        """Let the thread pool go (its threads end with their jobs)."""
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)

    def abort_everything(self, ensure_ready: bool = True) -> None:
        """Cancel every Spark job this backend started and drop the batches not started."""
        with self._lock:
            tag, self._tag = self._tag, self._new_tag()
            self._cancelled.add(tag)
        self.terminate()
        try:
            if is_connect(self.spark):
                self.spark.interruptTag(tag)
            else:
                self.spark.sparkContext.cancelJobGroup(tag)
        except Exception:  # the session may be gone: nothing runs then
            pass

    def get_nested_backend(self) -> tuple[Any, None]:
        """Inside a Spark task, nested joblib calls run sequentially (one task, one core)."""
        level = (self.nesting_level or 0) + 1
        return SequentialBackend(nesting_level=level), None

    def release(self) -> None:
        """Free the shipped data (broadcasts); the backend ships again if used afterwards."""
        with self._lock:
            shipper, self._shipper = self._shipper, None
            if shipper is not None:
                self._stats.shipped.update(shipper.shipped)
        if shipper is not None:
            shipper.release()

    # one batch ----------------------------------------------------------------------------

    def _run(self, func: Any, tag: str) -> Any:
        payload, sources = self.shipper.dumps(func)
        with self._lock:
            self._stats.tasks += 1
            self._stats.calls += len(func) if hasattr(func, "__len__") else 1
            self._stats.payload_bytes_total += len(payload)
            self._stats.payload_bytes_max = max(self._stats.payload_bytes_max, len(payload))
        outcome, (host, pid, loads) = pickle.loads(self._job(payload, sources, tag))
        with self._lock:
            seen = self._stats.loads.setdefault((host, pid), {})
            for key, count in loads.items():
                seen[key] = max(seen.get(key, 0), count)
        if outcome[0] == "ok":
            return outcome[1]
        error: BaseException = outcome[1]
        if outcome[2] and hasattr(error, "add_note"):
            error.add_note(f"Raised in a Spark task:\n{outcome[2]}")
        raise error

    def _job(self, payload: bytes, sources: dict[str, Any], tag: str) -> bytes:
        spark = self.spark
        if tag in self._cancelled:
            raise ScoringJobError("The joblib call was aborted; this batch did not start.")
        try:
            if is_connect(spark):
                spark.addTag(tag)
                try:
                    frame = spark.range(0, 1, 1, numPartitions=1).mapInArrow(
                        functools.partial(task_arrow, payload, sources), "result binary"
                    )
                    return bytes(frame.collect()[0][0])
                finally:
                    spark.removeTag(tag)
            context = spark.sparkContext
            context.setJobGroup(tag, "scaleout joblib batch", interruptOnCancel=True)
            rdd = context.parallelize([0], 1).mapPartitions(
                functools.partial(task_partition, payload, sources)
            )
            return bytes(rdd.collect()[0])
        except Exception as exc:
            raise ScoringJobError(
                f"A Spark task of the joblib backend failed: {job_failure(exc)}"
            ) from None
