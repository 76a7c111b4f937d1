"""``engine="onnx"``: the Python workers score with onnxruntime instead of scikit-learn.

The model is exported once on the driver (:func:`toolkit.serving.checked.prepare_export`:
skl2onnx, then a row-by-row check against scikit-learn on synthesised rows) and
travels with the model itself as one :class:`OnnxBacked`. A worker runs a batch in
onnxruntime (one thread, as the check ran) only when it vouches for every row of it
(finite numbers, values the encoders know, :meth:`~toolkit.serving.signature.Signature.covers`);
any other batch, and any method the export lacks, goes to scikit-learn, which scores,
refuses or explains its rows exactly as ``engine="python"`` does.

``engine="auto"`` uses onnxruntime only where it was measured both exact and faster
than scikit-learn per core (:data:`ONNX_FASTER`; ``scaleout bench`` shows the
measurement) and where the export agrees with scikit-learn to 1e-12 relative on the
checked rows; ``engine="onnx"`` accepts the export's own check (labels identical,
values within 1e-6).

Examples
--------
>>> scored = tk.score(forest, df, engine="onnx")  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from typing import Any

import numpy as np

from toolkit.exceptions import ToolkitError

__all__ = ["EXACT", "ONNX_FASTER", "OnnxBacked", "onnx_backed"]

#: The final estimators onnxruntime scored faster than scikit-learn's own ``predict``
#: on one core (200,000 rows x 20 features, 50 trees of depth 8 / 100 boosting stages):
#: RandomForestRegressor 1.38x. Slower, so never chosen by ``auto``: RandomForestClassifier
#: 0.76x, GradientBoostingRegressor 0.70x; HistGradientBoosting does not export.
ONNX_FASTER = ("RandomForestRegressor",)
#: The relative agreement ``auto`` asks of an export (the native engine's bar).
EXACT = 1e-12
_EXPORTS: OrderedDict[str, OnnxBacked | None] = OrderedDict()


class OnnxBacked:
    """A fitted model and its checked ONNX export, scored together (see the module)."""

    def __init__(self, model: Any, export: Any) -> None:
        self.model = model
        self.onnx_bytes = export.onnx_bytes
        self.signature = export.signature
        self.outputs = dict(export.outputs)  # method -> ONNX output name
        self.precision = export.precision
        self._session: Any = None

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_session": None}  # a session does not travel

    def run(self, method: str, X: Any) -> np.ndarray | None:
        """``method``'s output for ``X`` from onnxruntime, or None when scikit-learn must
        answer (a method the export lacks, or a row the export was not checked on)."""
        import pandas as pd

        if method not in self.outputs:
            return None
        if not isinstance(X, pd.DataFrame):
            X = pd.DataFrame(np.asarray(X), columns=list(self.signature.features))
        if not len(X) or not self.signature.covers(X):
            return None
        if self._session is None:
            from toolkit.serving.export import session_for

            self._session = session_for(self.onnx_bytes)
        feed = self.signature.feed(X, precision=self.precision)
        (out,) = self._session.run([self.outputs[method]], feed)
        out = np.asarray(out)
        return (
            out.reshape(len(X))
            if method == "predict" and out.ndim > 1 and out.shape[1] == 1
            else out
        )


def _final(model: Any) -> Any:
    steps = getattr(model, "steps", None)
    return steps[-1][1] if steps else model


def onnx_backed(model: Any, blob: bytes, *, engine: str) -> OnnxBacked | None:
    """The model with its export for ``engine="onnx"`` (an export that fails its check is
    an :class:`~toolkit.exceptions.ExportError`), or for ``auto`` when :data:`ONNX_FASTER`
    holds the model and its export agrees to :data:`EXACT` (else None).

    ``blob`` is the model's bytes, the key of a small cache: one export per model.
    """
    if engine == "auto" and type(_final(model)).__name__ not in ONNX_FASTER:
        return None
    key = f"{engine}:{hashlib.sha256(blob).hexdigest()}"
    if key in _EXPORTS:
        _EXPORTS.move_to_end(key)
        return _EXPORTS[key]
    backed = _export(model, engine)
    _EXPORTS[key] = backed
    while len(_EXPORTS) > 4:
        _EXPORTS.popitem(last=False)
    return backed


def _export(model: Any, engine: str) -> OnnxBacked | None:
    from toolkit.serving.checked import prepare_export
    from toolkit.serving.signature import synthesise

    if engine == "onnx":
        return OnnxBacked(model, prepare_export(model))
    try:
        export = prepare_export(model)
        backed = OnnxBacked(model, export)
        rows = synthesise(export.signature)
        for method in backed.outputs:
            want = np.asarray(getattr(model, method)(rows), dtype=np.float64)
            have = np.asarray(backed.run(method, rows), dtype=np.float64).reshape(want.shape)
            if np.any(np.abs(have - want) > EXACT * np.maximum(np.abs(want), 1.0)):
                return None
    except (ToolkitError, ValueError, TypeError):  # not exportable, or not exact: Python
        return None
    return backed
