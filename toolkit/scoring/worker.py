"""What runs inside a Spark Python worker: the model cache and the scoring of one batch.

The model arrives as bytes with their SHA-256 and is deserialised at most
once per worker process (a small LRU cache keyed by that hash), with BLAS /
OpenMP capped to one thread so tasks do not fight over cores. A batch is scored
in one vectorised call; only when the model refuses it are its bad rows isolated
by halving, so one bad row costs O(log n) extra calls, not the batch's speed.
"""

from __future__ import annotations

import math
import pickle
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from toolkit.exceptions import InvalidInputError, SchemaMismatchError, first_line
from toolkit.scoring.schema import OutputSpec

_CACHE: OrderedDict[str, Any] = OrderedDict()
_CACHE_SIZE = 4
# Models larger than this travel as a Spark broadcast (fetched once per executor) on
# classic Spark instead of inside every task; Spark warns about tasks past 1 MiB.
BROADCAST_BYTES = 256 * 1024
# Errors a model raises for data it refuses (NaN, infinities, unknown categories, bad types).
_REFUSALS = (ValueError, TypeError, KeyError, IndexError)


def cached_model(key: str, blob: Any) -> Any:
    """Return the model for ``key``, unpickling ``blob`` only on this process's first call.

    ``blob`` is the model's bytes, or a Spark broadcast of them.
    """
    model = _CACHE.get(key)
    if model is not None:
        _CACHE.move_to_end(key)
        return model
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1)  # one task per core; BLAS must not oversubscribe
    model = pickle.loads(blob if isinstance(blob, bytes) else blob.value)
    _one_job(getattr(model, "model", model) if type(model).__name__ == "OnnxBacked" else model)
    remember(key, model)
    return model


def _one_job(model: Any) -> None:
    """Set every ``n_jobs`` in the model to 1: Spark already runs one task per core."""
    try:
        params = model.get_params(deep=True)
    except Exception:  # not a scikit-learn estimator
        return
    jobs = {name: 1 for name, value in params.items() if name.endswith("n_jobs") and value != 1}
    if jobs:
        model.set_params(**jobs)


def remember(key: str, model: Any) -> None:
    """Seed the cache with a model already in memory (the driver never unpickles its own)."""
    _CACHE[key] = model
    _CACHE.move_to_end(key)
    while len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)


@dataclass(frozen=True)
class Scored:
    """One batch's output as an Arrow array, which rows the model refused, and why."""

    values: Any  # pyarrow.Array, null where refused
    ok: np.ndarray | None  # None when every row scored
    reasons: list[str | None] | None


@dataclass(frozen=True)
class ScoreRequest:
    """One scoring request, checked on the driver by :func:`toolkit.scoring.api.make_request`
    (the one place options are validated), and everything a worker needs to score
    batches; pickled once into the Spark plan. Every entry point builds one: ``score``,
    the UDFs, ``score_stream``, ``score_files`` (both engines) and, through them, the
    Spark ML stages, ``DistributedModel`` and the CLI.
    """

    blob: Any  # the pickled model, or a Spark broadcast of it (see :meth:`shipped`)
    key: str
    features: tuple[str, ...]
    spec: OutputSpec
    handle_invalid: str = "error"
    named: bool = True  # the model was fit on a DataFrame (it has feature_names_in_)
    method: str = "predict"
    batch_size: int | None = None  # rows per model call; None: the entry point's default
    # Spark frames: Python workers (scikit-learn, or onnxruntime: the blob is then a
    # toolkit.scoring.onnx_backed.OnnxBacked), or Spark expressions (toolkit.native)
    engine: str = "python"

    @property
    def error_col(self) -> str:
        """The column that says why a row was refused (``handle_invalid="keep"``)."""
        return f"{self.spec.column}_error"

    def model(self) -> Any:
        """The fitted model (without its ONNX export, for ``engine="onnx"``)."""
        loaded = cached_model(self.key, self.blob)
        return loaded.model if self.engine == "onnx" else loaded

    def shipped(self, spark: Any) -> ScoreRequest:
        """This scorer as it should travel in ``spark``'s plans: on classic Spark a large
        model becomes a broadcast, fetched once per executor rather than sent with every
        task. Spark Connect has no broadcasts; the bytes travel in the plan there. On a
        session that retries tasks, an error no retry can fix stops the job at once
        (:mod:`toolkit.scoring.fail_fast`)."""
        from toolkit.scoring.fail_fast import watch
        from toolkit.session.api import is_connect

        watch(spark)
        small = not isinstance(self.blob, bytes) or len(self.blob) < BROADCAST_BYTES
        if small or is_connect(spark):
            return self
        return replace(self, blob=spark.sparkContext.broadcast(self.blob))

    def score(self, X: Any) -> Scored:
        """Score a pandas frame of the features; isolate refused rows when there are any."""
        model = cached_model(self.key, self.blob)  # with its ONNX export, for engine="onnx"
        try:
            return Scored(self._to_arrow(self._apply(model, X), None), None, None)
        except _REFUSALS as exc:
            first = exc
        if self.handle_invalid == "error":
            raise self._invalid(model, X, first)
        values, ok, errors = self._isolate(model, X, first)
        reasons = None
        if self.handle_invalid == "keep":
            good = X.iloc[np.flatnonzero(ok)[:1]]
            reasons = [
                None if fine else self._diagnose(model, X.iloc[[i]], good, errors[i])
                for i, fine in enumerate(ok)
            ]
        return Scored(self._to_arrow(values, ok), ok, reasons)

    def score_batches(self, batches: Iterable[Any]) -> Iterator[Any]:
        """Record batches in, the same batches with the outputs appended out (file tasks)."""
        import pyarrow as pa

        for batch in batches:
            if batch.num_rows == 0:
                continue
            scored = self.score(batch.select(list(self.features)).to_pandas())
            columns, names = list(batch.columns), list(batch.schema.names)
            values = scored.values
            if scored.ok is not None and self.handle_invalid == "skip":
                keep = pa.array(scored.ok)
                columns = [col.filter(keep) for col in columns]
                values = values.filter(keep)
            columns.append(values)
            names.append(self.spec.column)
            if self.handle_invalid == "keep":
                columns.append(pa.array(scored.reasons or [None] * batch.num_rows, pa.string()))
                names.append(self.error_col)
            yield pa.RecordBatch.from_arrays(columns, names=names)

    def score_columns(
        self,
        arrays: Sequence[Any],
        *,
        names: Sequence[str],
        packed: bool = False,
        with_errors: bool = False,
    ) -> Any:
        """Arrow UDF body: feature arrays in, the output array out (same length), scored
        ``batch_size`` rows at a time (default: the whole Arrow batch).

        ``packed``: one ``list<double>`` array holding every feature of a row (the
        cheapest way for Spark to hand over many numeric columns). ``with_errors``:
        return ``struct<value, error>`` so refused rows can be dropped or kept with a
        reason; otherwise refused rows are null (``keep``) or raise (``error``).
        """
        import pandas as pd
        import pyarrow as pa

        if packed:
            (lists,) = arrays
            flat = lists.flatten().to_numpy(zero_copy_only=False)
            frame = pd.DataFrame(flat.reshape(len(lists), len(names)), columns=list(names))
        else:
            frame = pa.Table.from_arrays(list(arrays), names=list(names)).to_pandas()
        if list(names) != list(self.features):
            frame = frame[list(self.features)]
        rows = len(frame)
        step = min(self.batch_size or rows, rows) or 1
        values, errors = [], []
        for start in range(0, rows, step):
            scored = self.score(frame.iloc[start : start + step])
            values.append(scored.values)
            if scored.ok is None:
                errors.append(pa.nulls(len(scored.values), pa.string()))
            else:
                reasons = scored.reasons or [None if ok else "refused" for ok in scored.ok]
                errors.append(pa.array(reasons, pa.string()))
        kind = self.spec.arrow_type()
        value = pa.concat_arrays(values) if values else pa.array([], kind)
        if not with_errors:
            return value
        error = pa.concat_arrays(errors) if errors else pa.array([], pa.string())
        return pa.StructArray.from_arrays([value, error], names=["value", "error"])

    # -- internals ---------------------------------------------------------------------

    def _apply(self, model: Any, X: Any) -> np.ndarray:
        if self.engine == "onnx":
            out = model.run(self.spec.method, X)
            if out is not None:
                return np.asarray(out)
            model = model.model
        out = getattr(model, self.spec.method)(X if self.named else np.ascontiguousarray(X))
        if hasattr(out, "toarray"):  # sparse output (OneHotEncoder.transform)
            out = out.toarray()
        return np.asarray(out)

    def _isolate(
        self, model: Any, X: Any, first: Exception
    ) -> tuple[np.ndarray | None, np.ndarray, dict[int, Exception]]:
        """Halve the refused batch until each refused row stands alone."""
        n = len(X)
        ok = np.ones(n, dtype=bool)
        errors: dict[int, Exception] = {}
        pieces: list[tuple[int, np.ndarray]] = []
        stack = [(0, n, first)]
        while stack:
            lo, hi, exc = stack.pop()
            if hi - lo == 1:
                ok[lo] = False
                errors[lo] = exc
                continue
            mid = (lo + hi) // 2
            for a, b in ((lo, mid), (mid, hi)):
                try:
                    pieces.append((a, self._apply(model, X.iloc[a:b])))
                except _REFUSALS as err:
                    stack.append((a, b, err))
        if not pieces:
            return None, ok, errors
        sample = pieces[0][1]
        values = np.zeros((n, *sample.shape[1:]), dtype=sample.dtype)
        if sample.dtype == object:
            values[:] = None
        for start, piece in pieces:
            values[start : start + len(piece)] = piece
        return values, ok, errors

    def _invalid(self, model: Any, X: Any, first: Exception) -> InvalidInputError:
        """Find the first refused row by bisection and say which column and value."""
        lo, hi, exc, good = 0, len(X), first, X.iloc[:0]
        while hi - lo > 1:
            mid = (lo + hi) // 2
            try:
                self._apply(model, X.iloc[lo:mid])
                good, lo = X.iloc[lo:mid], mid
            except _REFUSALS as err:
                exc, hi = err, mid
        reason = self._diagnose(model, X.iloc[[lo]], good.iloc[:1], exc)
        return InvalidInputError(
            f"The model refused a row: {reason}. Fix the data, or pass handle_invalid='skip' "
            "to drop such rows or handle_invalid='keep' to keep them with a null prediction."
        )

    def _diagnose(self, model: Any, row: Any, good: Any, exc: Exception) -> str:
        """Name the column and value that make the model refuse ``row``."""
        message = first_line(exc)
        for col in self.features:
            value = _plain(row.iloc[0][col])
            if value is None or (isinstance(value, float) and math.isnan(value)):
                return f"column {col!r} has a missing value ({value!r}): {message}"
            if isinstance(value, float) and math.isinf(value):
                return f"column {col!r} has an infinite value ({value!r}): {message}"
        if len(good):
            for col in self.features:
                patched = row.copy()
                patched[col] = good[col].to_numpy()
                try:
                    self._apply(model, patched)
                except _REFUSALS:
                    continue
                return f"column {col!r} has value {_plain(row.iloc[0][col])!r}: {message}"
        values = {col: _plain(row.iloc[0][col]) for col in self.features}
        return f"row {values}: {message}"

    def _to_arrow(self, values: np.ndarray | None, ok: np.ndarray | None) -> Any:
        import pyarrow as pa

        spec = self.spec
        if values is None:  # every row refused
            assert ok is not None  # _isolate gives no values only with the mask of refusals
            return pa.nulls(len(ok), spec.arrow_type())
        n = len(values)
        mask = None if ok is None else ~ok
        if spec.fields:
            matrix = values.reshape(n, -1)
            if matrix.shape[1] != len(spec.fields):
                raise SchemaMismatchError(
                    f"{spec.method} returned {matrix.shape[1]} columns but the model's metadata "
                    f"names {len(spec.fields)}: {list(spec.fields)}."
                )
            children = [pa.array(matrix[:, j].astype(np.float64)) for j in range(matrix.shape[1])]
            return pa.StructArray.from_arrays(
                children,
                fields=[pa.field(name, pa.float64()) for name in spec.fields],
                mask=None if mask is None else pa.array(mask),
            )
        if spec.leaf == "array<double>":
            matrix = values.reshape(n, -1).astype(np.float64)
            offsets = pa.array(np.arange(0, matrix.size + 1, matrix.shape[1], dtype=np.int32))
            lists = pa.ListArray.from_arrays(offsets, pa.array(matrix.ravel()))
            return (
                lists
                if mask is None
                else pa.array(
                    [
                        None if bad else item
                        for item, bad in zip(lists.to_pylist(), mask, strict=True)
                    ],
                    pa.list_(pa.float64()),
                )
            )
        if spec.leaf == "string":
            values = np.array([None if v is None else str(v) for v in values], dtype=object)
        else:
            values = values.astype(
                {"double": np.float64, "bigint": np.int64, "boolean": bool}[spec.leaf]
            )
        return pa.array(values, type=spec.arrow_type(), mask=mask)


def _plain(value: Any) -> Any:
    """numpy scalars as plain Python values, so messages read ``nan``, not ``np.float64(nan)``."""
    return value.item() if isinstance(value, np.generic) else value
