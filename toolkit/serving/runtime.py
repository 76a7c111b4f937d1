"""Two runtimes behind one small interface: score a pandas frame the way ``tk.score`` does,
with scikit-learn or with onnxruntime, and give the outputs as JSON-ready records.

Both check a request with the scoring machinery itself (:func:`toolkit.scoring.api.make_request`,
:func:`~toolkit.scoring.checks.check_columns`, :func:`~toolkit.scoring.api.check_output_free`),
so a bad request gets the message ``tk.score`` gives. The onnxruntime runtime answers
only rows it can vouch for (finite numbers, values the model's encoders know);
a request with any other row is answered by scikit-learn, which refuses, skips or keeps
such rows exactly as ``tk.score`` does. Methods the export does not cover go to
scikit-learn too, unless the runtime is ``strict`` (``--runtime onnx``).

Both take a pandas frame or a parsed body (:class:`~toolkit.serving.payload.Payload`).
Given a body whose rows are all clean (every feature present, numbers as JSON numbers,
strings the encoders know, no output name taken), the onnxruntime runtime feeds its
lists straight into the ONNX session without building a pandas frame: the same checks
pass on such rows and the same inputs reach the session, so the answer is the one the
frame path gives. Any other body goes the frame path.

Examples
--------
>>> import pandas as pd
>>> from sklearn.linear_model import LogisticRegression
>>> X = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0]})
>>> runtime = SklearnRuntime(LogisticRegression().fit(X, ["no", "no", "yes", "yes"]))
>>> runtime.predict(X.iloc[:1], method="predict").records
[{'prediction': 'no'}]
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from toolkit.exceptions import ToolkitError, UnsupportedMethodError
from toolkit.scoring.api import check_output_free, make_request, score_with
from toolkit.scoring.checks import check_columns, numeric_columns
from toolkit.scoring.schema import OutputSpec
from toolkit.scoring.worker import ScoreRequest
from toolkit.serving.export import session_for
from toolkit.serving.payload import Payload, as_frame
from toolkit.serving.signature import Signature

__all__ = ["OnnxRuntime", "Prediction", "Runtime", "SklearnRuntime", "json_value"]


@dataclass(frozen=True)
class Prediction:
    """The answer to one request: output column names, the positions of the request rows
    answered (``handle_invalid="skip"`` drops refused ones), one record per answered row
    (struct outputs as objects keyed by field), which runtime answered and, when serving
    follows a registry alias, which version."""

    columns: tuple[str, ...]
    rows: list[int]
    records: list[dict[str, Any]]
    runtime: str
    version: str | None = None  # the registry version that answered (alias following)
    fingerprint: str | None = None


class Runtime(Protocol):
    """What the HTTP app needs from a runtime."""

    name: str

    @property
    def methods(self) -> tuple[str, ...]: ...

    def predict(
        self, frame: Any, *, method: str = "predict", handle_invalid: str = "error"
    ) -> Prediction: ...


class SklearnRuntime:
    """Score with the scikit-learn model through ``tk.score``'s own local path."""

    name = "sklearn"

    def __init__(self, model: Any) -> None:
        from toolkit.models.api import SCORING_METHODS

        self.model = model
        self._requests: dict[tuple[str, str], ScoreRequest] = {}
        self._methods = tuple(m for m in SCORING_METHODS if hasattr(model, m))

    @property
    def methods(self) -> tuple[str, ...]:
        return self._methods

    def request(self, method: str, handle_invalid: str) -> ScoreRequest:
        """The checked scoring request for these options, built once per pair."""
        key = (method, handle_invalid)
        found = self._requests.get(key)
        if found is None:
            found = make_request(self.model, method=method, handle_invalid=handle_invalid)
            if isinstance(method, str) and isinstance(handle_invalid, str):
                self._requests[key] = found
        return found

    def predict(
        self, frame: Any, *, method: str = "predict", handle_invalid: str = "error"
    ) -> Prediction:
        request = self.request(method, handle_invalid)
        frame = as_frame(frame)
        scored = score_with(request, frame)
        spec = request.spec
        positions = [int(i) for i in frame.index.get_indexer(scored.index)]
        if spec.fields:
            matrix = scored[spec.pandas_columns()].to_numpy(dtype=object)
            values = [_struct(spec, row) for row in matrix]
        else:
            values = [json_value(v, spec.leaf) for v in scored[spec.column].to_numpy(dtype=object)]
        records: list[dict[str, Any]] = [{spec.column: v} for v in values]
        columns = [spec.column]
        if handle_invalid == "keep":
            columns.append(request.error_col)
            for record, reason in zip(records, scored[request.error_col], strict=True):
                record[request.error_col] = None if _missing(reason) else str(reason)
        return Prediction(tuple(columns), positions, records, self.name)


class OnnxRuntime:
    """Score with onnxruntime; hand anything it cannot vouch for to ``fallback``."""

    name = "onnx"

    def __init__(
        self,
        onnx_bytes: bytes,
        sig: Signature,
        outputs: dict[str, str],
        *,
        precision: str,
        fallback: SklearnRuntime,
        strict: bool = False,
        origin: str = "converted",
    ) -> None:
        self.origin = origin  # "converted", or "stored model.onnx" (logged with the model)
        self.session = session_for(onnx_bytes)  # as the agreement check ran it
        self.sig, self.outputs, self.precision = sig, dict(outputs), precision
        self.fallback, self.strict = fallback, strict
        self._known = {name: set(values) for name, values in sig.categories.items()}

    @property
    def methods(self) -> tuple[str, ...]:
        return tuple(self.outputs) if self.strict else self.fallback.methods

    def predict(
        self, frame: Any, *, method: str = "predict", handle_invalid: str = "error"
    ) -> Prediction:
        if method not in self.outputs:
            if self.strict:
                raise UnsupportedMethodError(
                    f"The ONNX export answers {', '.join(self.outputs)}; got method={method!r}. "
                    "Choose one of those, or serve with scikit-learn (--runtime sklearn or auto)."
                )
            return self.fallback.predict(frame, method=method, handle_invalid=handle_invalid)
        request = self.fallback.request(method, handle_invalid)  # options checked as score does
        if isinstance(frame, Payload):
            feed = self._direct_feed(frame, request)
            if feed is not None:
                return self._answer(request, method, handle_invalid, feed, len(frame), frame)
            frame = frame.frame()
        check_columns(self.fallback.model, request.features, numeric_columns(frame))
        check_output_free(request, frame.columns)
        if not self.sig.covers(frame):
            return self.fallback.predict(frame, method=method, handle_invalid=handle_invalid)
        feed = self.sig.feed(frame, precision=self.precision)
        return self._answer(request, method, handle_invalid, feed, len(frame), frame)

    def _answer(
        self, request: ScoreRequest, method: str, handle_invalid: str,
        feed: dict[str, np.ndarray], rows: int, data: Any,
    ) -> Prediction:  # fmt: skip
        try:
            (out,) = self.session.run([self.outputs[method]], feed)
        except Exception:  # onnxruntime refused (e.g. an encoder's unknown value): sklearn says why
            return self.fallback.predict(data, method=method, handle_invalid=handle_invalid)
        spec = request.spec
        records: list[dict[str, Any]] = [{spec.column: v} for v in _values(spec, out, rows)]
        columns = [spec.column]
        if handle_invalid == "keep":
            columns.append(request.error_col)
            for record in records:
                record[request.error_col] = None
        return Prediction(tuple(columns), list(range(rows)), records, self.name)

    def _direct_feed(self, payload: Payload, request: ScoreRequest) -> dict[str, np.ndarray] | None:
        """The ONNX inputs straight from the body's lists when every row is clean (the frame
        path would pass its checks and build the same inputs), else None."""
        number = np.float64 if self.precision == "double" else np.float32
        numeric: dict[str, bool | str] = dict.fromkeys(payload.names, "object")
        inputs: dict[str, np.ndarray] = {}
        for name, kind in zip(self.sig.features, self.sig.kinds, strict=True):
            values = payload.column(name)
            if values is None:
                return None
            known = self._known.get(name)
            if kind == "string":
                if not known or not all(type(v) is str and v in known for v in values):
                    return None
                inputs[name] = np.array(values, dtype=object).reshape(-1, 1)
                continue
            # JSON numbers only (no booleans, no nulls), ints exact in a double: the frame
            # path's int64/float64 column converts to the same doubles
            if not all(
                type(v) is float or (type(v) is int and -_EXACT <= v <= _EXACT) for v in values
            ):
                return None
            doubles = np.array(values, dtype=np.float64)
            if not np.isfinite(doubles).all():
                return None
            if known and not all(float(v) in known for v in values):
                return None
            numeric[name] = True
            inputs[name] = doubles.astype(number).reshape(-1, 1)
        try:  # anything these checks refuse goes the frame path, which says it in its words
            check_columns(self.fallback.model, request.features, numeric)
            check_output_free(request, list(numeric))
        except ToolkitError:
            return None
        if not self.sig.per_column:
            return {"X": np.hstack([inputs[name] for name in self.sig.features])}
        return inputs


_EXACT = 2**53  # larger whole numbers take the frame path (int64 -> float32 rounds once)


def json_value(value: Any, leaf: str) -> Any:
    """One output value as JSON: None for missing, else the leaf type's Python value.

    Examples
    --------
    >>> json_value(np.int64(3), "bigint"), json_value(float("nan"), "double")
    (3, None)
    """
    if leaf == "array<double>":
        return None if value is None else [float(v) for v in value]
    if _missing(value):
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if leaf == "double":
        return float(value)
    if leaf == "bigint":
        return int(value)
    if leaf == "boolean":
        return bool(value)
    return str(value)


def _values(spec: OutputSpec, out: Any, rows: int) -> list[Any]:
    """One JSON value per row of an ONNX output (``json_value`` / ``_struct`` per element;
    a NaN-free double output converted as a whole, to the same Python floats)."""
    array = np.asarray(out)
    if spec.leaf == "double" and array.dtype.kind == "f" and not np.isnan(array).any():
        if spec.fields:
            return [
                dict(zip(spec.fields, row, strict=True)) for row in array.reshape(rows, -1).tolist()
            ]
        return list(array.reshape(rows).tolist())
    if spec.fields:
        return [_struct(spec, row) for row in array.reshape(rows, -1)]
    return [json_value(v, spec.leaf) for v in array.reshape(rows)]


def _struct(spec: OutputSpec, row: Any) -> dict[str, Any] | None:
    values = [json_value(v, spec.leaf) for v in row]
    if all(v is None for v in values):
        return None  # a refused row (handle_invalid="keep"): null, as in Spark
    return dict(zip(spec.fields, values, strict=True))


def _missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return isinstance(value, float | np.floating) and math.isnan(value)
    except TypeError:
        return False
