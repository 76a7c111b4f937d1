"""The data goes to the executors once: pickle joblib batches with large objects as references.

A :class:`Shipper` pickles each batch with a pickler whose ``persistent_id`` replaces
every NumPy array, pandas DataFrame or Series of at least :data:`SHIP_MIN_BYTES` by a
content hash. The first time a hash appears, its bytes travel once: as a broadcast
variable on classic Spark, as a file artifact (``spark.addArtifacts(path, file=True)``)
on Spark Connect. A task then carries only its own small part (a candidate, a fold's
indices) and the worker resolves the hashes through its per-process cache
(:func:`toolkit.tuning.worker.resolve`).

Hashes are memoised by ``id()`` for one joblib call (:meth:`Shipper.forget`), holding a
reference so that no id is reused meanwhile; shipped bytes are kept (by hash) until
:meth:`Shipper.release`, so the rounds of a successive-halving search ship the data once.

Examples
--------
>>> shipper = Shipper(spark)                        # doctest: +SKIP
>>> payload, sources = shipper.dumps(batch)         # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import pickle
import sys
import tempfile
import threading
import uuid
from typing import Any

from toolkit.exceptions import DriverMemoryError
from toolkit.session.api import is_connect

__all__ = ["SHIP_MAX_BYTES", "SHIP_MIN_BYTES", "Shipper", "size_of"]

SHIP_MIN_BYTES = 1 << 20
"""Arrays and frames this large (bytes) or larger travel once per search, by reference."""
SHIP_MAX_BYTES = (1 << 31) - (1 << 24)
"""The largest array or frame shipped (just under 2 GiB): Spark moves one object as one
Java byte array, and every Python worker holds a copy."""


def size_of(obj: Any) -> int:
    """Bytes of a NumPy array, pandas DataFrame or Series (0 for anything else).

    Parameters
    ----------
    obj : object
        Any object the pickler meets.

    Returns
    -------
    int
        ``nbytes`` of an array, the shallow memory usage of a frame or series, else 0.

    Examples
    --------
    >>> import numpy as np
    >>> size_of(np.zeros(10)), size_of([0.0] * 10)
    (80, 0)
    """
    numpy = sys.modules.get("numpy")
    if numpy is not None and type(obj) is numpy.ndarray:
        return int(obj.nbytes)
    pandas = sys.modules.get("pandas")
    if pandas is not None and isinstance(obj, pandas.DataFrame | pandas.Series):
        usage = obj.memory_usage(index=True, deep=False)
        return int(usage.sum() if isinstance(obj, pandas.DataFrame) else usage)
    return 0


def _content_key(obj: Any) -> tuple[str, bytes | None]:
    """A hash of the object's content, and its pickled bytes when they had to be made."""
    digest = hashlib.blake2b(digest_size=16)
    numpy = sys.modules.get("numpy")
    if (
        numpy is not None
        and isinstance(obj, numpy.ndarray)
        and obj.dtype != object
        and obj.flags.c_contiguous
    ):
        try:
            raw = obj.reshape(-1).view(numpy.uint8)
        except (TypeError, ValueError):
            raw = None
        if raw is not None:
            digest.update(f"ndarray|{obj.dtype.descr}|{obj.shape}|".encode())
            digest.update(memoryview(raw))
            return digest.hexdigest(), None
    blob = _dumps(obj)
    digest.update(blob)
    return digest.hexdigest(), blob


def _dumps(obj: Any) -> bytes:
    from pyspark import cloudpickle

    dumps: Any = cloudpickle.dumps  # untyped in pyspark
    return bytes(dumps(obj, protocol=pickle.HIGHEST_PROTOCOL))


class Shipper:
    """Pickle joblib batches for Spark tasks, shipping each large object once.

    Parameters
    ----------
    spark : SparkSession
        Classic (broadcast variables) or Spark Connect (file artifacts).
    min_bytes : int
        Objects at least this large travel by reference.

    Examples
    --------
    >>> shipper = Shipper(spark)                      # doctest: +SKIP
    >>> payload, sources = shipper.dumps(batch)       # doctest: +SKIP
    """

    def __init__(self, spark: Any, *, min_bytes: int = SHIP_MIN_BYTES) -> None:
        self.spark = spark
        self.min_bytes = min_bytes
        self.connect = is_connect(spark)
        self._token = uuid.uuid4().hex[:12]
        self._by_id: dict[int, tuple[Any, str]] = {}
        self._sources: dict[str, Any] = {}
        self.shipped: dict[str, int] = {}
        """Reference key -> bytes shipped for it (once each)."""
        self._lock = threading.RLock()

    def dumps(self, obj: Any) -> tuple[bytes, dict[str, Any]]:
        """Pickle ``obj`` with large objects as references; ship those not shipped yet.

        Parameters
        ----------
        obj : object
            A joblib batch (any picklable callable).

        Returns
        -------
        tuple of bytes and dict
            The payload and, for each reference in it, where a task finds its bytes.

        Examples
        --------
        >>> payload, sources = Shipper(spark).dumps(batch)   # doctest: +SKIP
        """
        from pyspark import cloudpickle

        shipper = self
        keys: set[str] = set()
        base: Any = cloudpickle.Pickler  # untyped in pyspark

        class _Pickler(base):  # type: ignore[misc]
            def persistent_id(self, item: Any) -> str | None:
                key = shipper.reference(item)
                if key is not None:
                    keys.add(key)
                return key

        buffer = io.BytesIO()
        _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(obj)
        with self._lock:
            return buffer.getvalue(), {key: self._sources[key] for key in keys}

    def reference(self, obj: Any) -> str | None:
        """The reference key of a large object (shipping it the first time), else None.

        Parameters
        ----------
        obj : object
            Any object the pickler meets.

        Returns
        -------
        str or None
            The content hash when ``obj`` travels by reference.

        Examples
        --------
        >>> Shipper(spark).reference([1, 2])   # doctest: +SKIP
        """
        size = size_of(obj)
        if size < self.min_bytes:
            return None
        if size > SHIP_MAX_BYTES:
            raise DriverMemoryError(
                f"The training data holds a {type(obj).__name__} of {size / 2**30:.1f} GiB; "
                f"the Spark joblib backend ships objects up to {SHIP_MAX_BYTES / 2**30:.2f} GiB "
                "(Spark moves one object as one Java byte array, and every Python worker "
                "keeps a copy). Fix: search on a sample, use float32, or train on Spark with "
                "a Spark ML Pipeline in CrossValidator."
            )
        with self._lock:
            known = self._by_id.get(id(obj))
            if known is not None and known[0] is obj:
                return known[1]
            key, blob = _content_key(obj)
            self._by_id[id(obj)] = (obj, key)
            if key not in self._sources:
                self._ship(key, blob if blob is not None else _dumps(obj))
            return key

    def _ship(self, key: str, blob: bytes) -> None:
        if not self.connect:
            self._sources[key] = self.spark.sparkContext.broadcast(blob)
        else:
            name = f"scaleout-{self._token}-{key}.pkl"
            folder = tempfile.mkdtemp(prefix="scaleout-ship-")
            path = os.path.join(folder, name)
            try:
                with open(path, "wb") as handle:
                    handle.write(blob)
                self.spark.addArtifacts(path, file=True)
            finally:
                os.remove(path)
                os.rmdir(folder)
            self._sources[key] = name
        self.shipped[key] = len(blob)

    def forget(self) -> None:
        """Drop the id memo (end of a joblib call): objects may change between calls.

        Examples
        --------
        >>> Shipper(spark).forget()   # doctest: +SKIP
        """
        with self._lock:
            self._by_id.clear()

    def release(self) -> None:
        """Free what was shipped: destroy broadcasts (classic Spark). Artifacts stay with the
        Connect session (Spark has no call to remove them).

        Examples
        --------
        >>> Shipper(spark).release()   # doctest: +SKIP
        """
        with self._lock:
            self._by_id.clear()
            sources, self._sources = self._sources, {}
        for source in sources.values():
            if not isinstance(source, str):
                with contextlib.suppress(Exception):  # the session may be gone already
                    source.destroy()
