"""The Spark-task side of the joblib backend: run one pickled joblib batch, send back its outcome.

A batch arrives as a small pickle in which every large array or frame is a reference
(a content hash, see :mod:`toolkit.tuning.shipping`). :func:`run_batch` resolves each
reference through a cache kept by this Python process, so one array is deserialised at
most once per Python worker however many tasks use it, caps BLAS/OpenMP threads at one
(Spark already runs one task per core), runs the batch and returns
``pickle((outcome, stats))``: ``outcome`` is ``("ok", results)`` or ``("error", exception,
traceback text)``, so the driver re-raises the worker's own exception instead of a Spark
trace, and ``stats`` (host, pid, loads per reference) lets the driver check the promise.

Examples
--------
>>> import pickle
>>> outcome, stats = pickle.loads(run_batch(pickle.dumps(len), {}))
>>> outcome[0]
'error'
"""

from __future__ import annotations

import io
import os
import pickle
import socket
import sys
import threading
import traceback
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

__all__ = ["CACHE_BYTES", "cache_stats", "resolve", "run_batch", "task_arrow", "task_partition"]

CACHE_BYTES = 4 << 30
"""Budget of the per-process cache of shipped objects; the least recently used go first."""

_CACHE: OrderedDict[str, tuple[Any, int]] = OrderedDict()
_LOADS: dict[str, int] = {}
_LOCK = threading.RLock()


def _size(obj: Any) -> int:
    nbytes = getattr(obj, "nbytes", None)
    if isinstance(nbytes, int):
        return nbytes
    try:
        return int(obj.memory_usage(deep=False).sum())
    except Exception:
        return 0


def _read(source: Any) -> bytes:
    """The bytes of a shipped object: a Spark broadcast (classic) or an artifact file name."""
    if isinstance(source, str):
        from pyspark import SparkFiles

        with open(SparkFiles.get(source), "rb") as handle:
            return handle.read()
    value = source.value
    return value if isinstance(value, bytes) else bytes(value)


def resolve(key: str, source: Any) -> Any:
    """The object shipped under ``key``, deserialised once per process, then served from cache.

    Parameters
    ----------
    key : str
        The content hash the driver gave the object.
    source : Broadcast or str
        Where its bytes are: a broadcast variable (classic Spark) or the name of a file
        added with ``spark.addArtifacts(..., file=True)`` (Spark Connect).

    Returns
    -------
    object
        The array or frame; NumPy arrays are read-only, as joblib's own memory-mapped
        inputs are, so that no task changes what the next task reads.

    Examples
    --------
    >>> resolve("k", "scaleout-k.pkl")   # doctest: +SKIP
    """
    with _LOCK:
        hit = _CACHE.get(key)
        if hit is not None:
            _CACHE.move_to_end(key)
            return hit[0]
        obj = pickle.loads(_read(source))
        numpy = sys.modules.get("numpy")
        if numpy is not None and isinstance(obj, numpy.ndarray):
            obj.flags.writeable = False
        _LOADS[key] = _LOADS.get(key, 0) + 1
        _CACHE[key] = (obj, _size(obj))
        total = sum(size for _, size in _CACHE.values())
        while total > CACHE_BYTES and len(_CACHE) > 1:
            oldest = next(iter(_CACHE))
            if oldest == key:
                break
            total -= _CACHE.pop(oldest)[1]
        return obj


def cache_stats() -> dict[str, int]:
    """How many times this process deserialised each shipped object (a key per object).

    Examples
    --------
    >>> isinstance(cache_stats(), dict)
    True
    """
    with _LOCK:
        return dict(_LOADS)


class _Unpickler(pickle.Unpickler):
    def __init__(self, file: io.BytesIO, sources: Mapping[str, Any]) -> None:
        super().__init__(file)
        self._sources = sources

    def persistent_load(self, pid: Any) -> Any:
        key = str(pid)
        return resolve(key, self._sources[key])


def _dumps(obj: Any) -> bytes:
    from pyspark import cloudpickle

    dumps: Any = cloudpickle.dumps  # untyped in pyspark
    return bytes(dumps(obj, protocol=pickle.HIGHEST_PROTOCOL))


def _picklable(exc: BaseException, text: str) -> BaseException:
    """The exception itself when it survives a pickle round trip, else a RuntimeError naming it."""
    try:
        pickle.loads(_dumps(exc))
        return exc
    except Exception:
        return RuntimeError(f"{type(exc).__module__}.{type(exc).__qualname__}: {exc}\n{text}")


def run_batch(payload: bytes, sources: Mapping[str, Any]) -> bytes:
    """Run one pickled joblib batch; return the pickled ``(outcome, stats)`` pair.

    Parameters
    ----------
    payload : bytes
        The batch as the driver pickled it, large objects replaced by references.
    sources : mapping
        Reference key -> where its bytes are (see :func:`resolve`).

    Returns
    -------
    bytes
        ``pickle(((status, value[, traceback]), (host, pid, {key: loads})))``.

    Examples
    --------
    >>> import pickle
    >>> pickle.loads(run_batch(pickle.dumps(list), {}))[0]
    ('ok', [])
    """
    from threadpoolctl import threadpool_limits

    outcome: tuple[Any, ...]
    try:
        with threadpool_limits(limits=1):  # one task per core: BLAS must not oversubscribe
            batch = _Unpickler(io.BytesIO(payload), sources).load()
            outcome = ("ok", batch())
    except Exception as exc:
        text = traceback.format_exc()
        outcome = ("error", _picklable(exc, text), text)
    loads = cache_stats()
    stats = (socket.gethostname(), os.getpid(), {key: loads.get(key, 0) for key in sources})
    try:
        return _dumps((outcome, stats))
    except Exception as exc:  # a result that cannot travel back
        error = RuntimeError(f"the task's result cannot be pickled: {type(exc).__name__}: {exc}")
        return _dumps((("error", error, ""), stats))


def task_partition(
    payload: bytes, sources: Mapping[str, Any], rows: Iterable[Any]
) -> Iterator[bytes]:
    """Classic Spark: the ``mapPartitions`` function of a one-task job (one batch).

    Parameters
    ----------
    payload : bytes
        The pickled batch.
    sources : mapping
        Reference key -> broadcast variable.
    rows : iterable
        The partition's single placeholder row.

    Returns
    -------
    iterator of bytes
        One pickled ``(outcome, stats)`` pair.

    Examples
    --------
    >>> import pickle
    >>> pickle.loads(next(task_partition(pickle.dumps(list), {}, [0])))[0]
    ('ok', [])
    """
    for _ in rows:
        pass
    yield run_batch(payload, sources)


def task_arrow(payload: bytes, sources: Mapping[str, Any], batches: Iterable[Any]) -> Iterator[Any]:
    """Spark Connect: the ``mapInArrow`` function of a one-task job, schema ``result binary``.

    Parameters
    ----------
    payload : bytes
        The pickled batch.
    sources : mapping
        Reference key -> artifact file name.
    batches : iterable of pyarrow.RecordBatch
        The partition's single placeholder row.

    Returns
    -------
    iterator of pyarrow.RecordBatch
        One batch of one row: the pickled ``(outcome, stats)`` pair.

    Examples
    --------
    >>> import pickle
    >>> out = next(task_arrow(pickle.dumps(list), {}, []))
    >>> pickle.loads(out.column(0)[0].as_py())[0]
    ('ok', [])
    """
    import pyarrow as pa

    for _ in batches:
        pass
    yield pa.RecordBatch.from_arrays(
        [pa.array([run_batch(payload, sources)], type=pa.binary())], names=["result"]
    )
