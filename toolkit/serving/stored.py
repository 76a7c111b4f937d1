"""The ONNX file stored beside an MLflow model (``tracking.log_model(..., onnx=True)``).

``log_model`` runs the checked export (:func:`toolkit.serving.checked.prepare_export`) and
stores its bytes as ``model.onnx`` in the MLflow model's artifacts, next to the skops
file. ``scaleout serve`` given that model with ``--runtime auto`` or ``onnx`` serves the
stored file instead of converting again, once it has checked that the file records the
fingerprint of the model it loaded (:func:`stored_export`); a file that records another
model, or none, is ignored and the model is converted as usual.

Examples
--------
>>> onnx_bytes = stored_onnx("models:/churn@champion")           # doctest: +SKIP
>>> export, why_not = stored_export(onnx_bytes, model)            # doctest: +SKIP
>>> export.precision                                              # doctest: +SKIP
'double'
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from toolkit.serving.signature import Signature

__all__ = ["ONNX_FILE", "StoredExport", "stored_export", "stored_onnx"]

ONNX_FILE = "model.onnx"


@dataclass(frozen=True)
class StoredExport:
    """What serving needs from a stored, checked export: bytes, signature, outputs
    (method -> ONNX output name) and precision, all read from the file's metadata."""

    onnx_bytes: bytes
    signature: Signature
    outputs: dict[str, str]
    precision: str


def stored_onnx(source: Any) -> bytes | None:
    """The ``model.onnx`` bytes stored in the MLflow model at ``source``, or None (not an
    MLflow model, or one logged without ``onnx=True``).

    Examples
    --------
    >>> stored_onnx("model.skops") is None
    True
    """
    from toolkit.models.mlflow_source import is_mlflow_source, open_mlflow_model

    if not isinstance(source, str) or not is_mlflow_source(source):
        return None
    with open_mlflow_model(source) as found:
        path = found.directory / ONNX_FILE
        return path.read_bytes() if path.is_file() else None


def stored_export(onnx_bytes: bytes, model: Any) -> tuple[StoredExport | None, str | None]:
    """The stored export when it records ``model``'s fingerprint, else (None, why not).

    Examples
    --------
    >>> export, why_not = stored_export(open("model.onnx", "rb").read(), model)  # doctest: +SKIP
    """
    from toolkit.models.api import fingerprint
    from toolkit.serving.export import read_metadata

    try:
        meta = read_metadata(onnx_bytes)
    except Exception as exc:  # onnx raises DecodeError and others on a damaged file
        return None, f"the stored {ONNX_FILE} cannot be read ({exc})"
    recorded, actual = meta.get("scaleout.fingerprint"), fingerprint(model)
    if recorded != actual:
        return None, (
            f"the stored {ONNX_FILE} records fingerprint {str(recorded)[:12]}, the model "
            f"{actual[:12]}"
        )
    try:
        outputs = {
            method: str(spec["onnx_output"])
            for method, spec in json.loads(meta["scaleout.outputs"]).items()
        }
        sig = Signature.from_json(meta["scaleout.signature"])
        precision = meta["scaleout.precision"]
    except (KeyError, TypeError, ValueError) as exc:
        return None, f"the stored {ONNX_FILE} lacks scaleout metadata ({exc!r})"
    return StoredExport(onnx_bytes, sig, outputs, precision), None
