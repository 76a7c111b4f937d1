"""Convert a fitted scikit-learn model to ONNX with skl2onnx, in double precision where the
converter allows, and read and write the scaleout metadata the ONNX file carries.

Double first: every numeric input is a ``DoubleTensorType``, the opsets are the newest
skl2onnx has tested (``ai.onnx.ml`` 5), and tree regressors use scaleout's double
converters (:mod:`toolkit.serving.trees`). When that graph cannot be built or loaded by
onnxruntime, the conversion is retried with float32 inputs; the agreement check then
decides whether float32 is exact enough. (Tree *classifiers* keep skl2onnx's
``TreeEnsembleClassifier``, whose probabilities are float32 sums in onnxruntime: a row
within ~1e-7 of a tie can get the other label, which the check refuses.) Classifiers export ``label`` and a plain
``probabilities`` tensor (``zipmap`` off).

Examples
--------
>>> converted = convert(model, signature(model))     # doctest: +SKIP
>>> converted.precision, converted.outputs            # doctest: +SKIP
('double', {'predict': 'label', 'predict_proba': 'probabilities'})
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

from toolkit.exceptions import ExportError, first_line
from toolkit.serving import trees
from toolkit.serving.deps import require
from toolkit.serving.signature import Signature

__all__ = [
    "ML_OPSET",
    "Converted",
    "convert",
    "describe",
    "exported_methods",
    "read_metadata",
    "session_for",
    "with_metadata",
]

ML_OPSET = 3  # ai.onnx.ml: TreeEnsemble* with double thresholds
ADVICE = (
    "Serve it with scikit-learn instead: scaleout serve MODEL --runtime sklearn "
    "(--runtime auto falls back by itself), or tk.score."
)


@dataclass(frozen=True)
class Converted:
    """An ONNX graph (serialised), its numeric precision and, per scoring method, the
    ONNX output that answers it."""

    onnx_bytes: bytes
    precision: str  # "double" or "float32"
    outputs: dict[str, str]


def exported_methods(model: Any) -> dict[str, int]:
    """Scoring method -> index of the ONNX output that answers it."""
    from sklearn.base import is_classifier

    if is_classifier(model):
        return {"predict": 0, "predict_proba": 1}
    return {"predict": 0}


def convert(model: Any, sig: Signature) -> Converted:
    """Convert ``model``; double precision first, then float32 (see the module docstring).

    Raises
    ------
    ExportError
        skl2onnx cannot convert a step, or onnxruntime cannot load the result.
    """
    require("skl2onnx")
    require("onnxruntime")
    errors = []
    for precision in ("double", "float32"):
        try:
            onnx_bytes = _convert(model, sig, precision)
            names = _load_outputs(onnx_bytes)
        except Exception as exc:  # skl2onnx and onnxruntime raise many kinds
            errors.append(exc)
            continue
        methods = exported_methods(model)
        if max(methods.values()) >= len(names):
            raise ExportError(
                f"The ONNX export of {describe(model)} has outputs {names}, fewer than "
                f"scaleout needs for {list(methods)}. {ADVICE}"
            )
        return Converted(onnx_bytes, precision, {m: names[i] for m, i in methods.items()})
    last = errors[-1]
    reason = first_line(last, limit=200).split(" and attributes=")[0].rstrip(".")
    raise ExportError(
        f"skl2onnx cannot convert {_culprit(model, last)} to ONNX: {reason}. {ADVICE}"
    ) from last


def describe(model: Any) -> str:
    """``Pipeline(prep=ColumnTransformer, clf=LogisticRegression)`` or the class name."""
    steps = getattr(model, "steps", None)
    if not steps:
        return type(model).__name__
    inner = ", ".join(f"{name}={type(step).__name__}" for name, step in steps)
    return f"{type(model).__name__}({inner})"


def with_metadata(onnx_bytes: bytes, metadata: dict[str, str]) -> bytes:
    """The ONNX model with ``metadata`` in its ``metadata_props`` (replacing equal keys)."""
    onnx = require("onnx")
    proto = onnx.load_from_string(onnx_bytes)
    kept = [p for p in proto.metadata_props if p.key not in metadata]
    del proto.metadata_props[:]
    proto.metadata_props.extend(kept)
    for key, value in metadata.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    data: bytes = proto.SerializeToString()
    return data


def read_metadata(onnx_bytes: bytes) -> dict[str, str]:
    """The ``metadata_props`` of an ONNX model as a dict.

    Examples
    --------
    >>> read_metadata(open("model.onnx", "rb").read())["scaleout.precision"]  # doctest: +SKIP
    'double'
    """
    onnx = require("onnx")
    proto = onnx.load_from_string(onnx_bytes)
    return {p.key: p.value for p in proto.metadata_props}


def _convert(model: Any, sig: Signature, precision: str) -> bytes:
    from skl2onnx import convert_sklearn, get_latest_tested_opset_version
    from skl2onnx.common.data_types import DoubleTensorType, FloatTensorType, StringTensorType

    number = DoubleTensorType if precision == "double" else FloatTensorType
    if sig.per_column:
        inputs = [
            (name, number([None, 1]) if kind == "double" else StringTensorType([None, 1]))
            for name, kind in zip(sig.features, sig.kinds, strict=True)
        ]
    else:
        inputs = [("X", number([None, len(sig.features)]))]
    final = model.steps[-1][1] if hasattr(model, "steps") else model
    options = {id(final): {"zipmap": False}} if hasattr(final, "predict_proba") else None
    custom: dict[str, Any] = {}
    if precision == "double":  # tree regressors in double (toolkit.serving.trees)
        custom = {
            "custom_conversion_functions": trees.converters(),
            "custom_shape_calculators": trees.shape_calculators(),
        }
    opset = {"": get_latest_tested_opset_version(), "ai.onnx.ml": ML_OPSET}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        proto = convert_sklearn(
            model, initial_types=inputs, target_opset=opset, options=options, **custom
        )
    trees.declare_opset(proto)
    data: bytes = proto.SerializeToString()
    return data


def session_for(onnx_bytes: bytes) -> Any:
    """The onnxruntime session scaleout checks and serves with: CPU, one intra-op thread.

    One thread on purpose: onnxruntime splits tree ensembles across threads and sums the
    float32 partial results in another order, so a check made with one thread count
    does not vouch for another; single rows gain nothing from threads anyway.
    """
    onnxruntime = require("onnxruntime")
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.log_severity_level = 4  # refusals are handled (scikit-learn explains them): no log
    return onnxruntime.InferenceSession(onnx_bytes, options, providers=["CPUExecutionProvider"])


def _load_outputs(onnx_bytes: bytes) -> list[str]:
    return [out.name for out in session_for(onnx_bytes).get_outputs()]


def _culprit(model: Any, exc: Exception) -> str:
    """The step the converter's message names (``step 'clf' (HistGradientBoostingClassifier)``),
    else the whole model."""
    text = str(exc)
    for name, step in getattr(model, "steps", []):
        kind = type(step).__name__
        if kind in text or kind.replace("Classifier", "").replace("Regressor", "") in text:
            return f"step {name!r} ({kind}) of {describe(model)}"
    return describe(model)
