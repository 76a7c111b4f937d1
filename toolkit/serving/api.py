"""``export_onnx``: a scored model out of Spark as an exactness-checked ONNX file; and the
pieces ``scaleout serve`` puts together (runtime choice, metadata, the server).

Examples
--------
>>> report = tk.export_onnx("models:/churn@champion", "churn.onnx")  # doctest: +SKIP
>>> report.precision, report.agreement.max_diff                      # doctest: +SKIP
('double', {'predict': 0.0, 'predict_proba': 2.2e-16})
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from toolkit._typing import PathLike, Trusted
from toolkit.exceptions import ExportError, InvalidOptionError
from toolkit.serving.checked import OnnxExport, prepare_export

__all__ = ["RUNTIMES", "OnnxExport", "build_runtime", "export_onnx", "prepare_export"]

RUNTIMES = ("auto", "onnx", "sklearn")


def export_onnx(
    model: Any, path: PathLike, *, sample: Any = None, trusted: Trusted = False
) -> OnnxExport:
    """Convert ``model`` to ONNX, check it against scikit-learn row by row, write ``path``.

    Labels must be identical and probabilities / regression values within 1e-6; the
    file's ``metadata_props`` record the model fingerprint, features and their types,
    and the output schema ``tk.score`` uses (``scaleout.*`` keys).

    Parameters
    ----------
    model : fitted estimator, or anything :func:`toolkit.load_model` takes
        An estimator, a ``.skops`` file or an MLflow URI such as ``models:/churn@champion``.
    path : str or path
        Where to write the ``.onnx`` file (written only after the check passed).
    sample : pandas.DataFrame, optional
        Rows to check on. Default: rows synthesised from the model's input signature
        (see :mod:`toolkit.serving.signature`).
    trusted : bool or list of str
        Passed to :func:`toolkit.load_model` for pickle files and unknown skops types.

    Returns
    -------
    OnnxExport
        The bytes, precision (``double`` or ``float32``), outputs and agreement found.

    Raises
    ------
    ExportError
        skl2onnx cannot convert a step, or the export disagrees with scikit-learn.
    MissingDependencyError
        skl2onnx, onnx or onnxruntime is not installed (``pip install "scaleout[serve]"``).

    Examples
    --------
    >>> tk.export_onnx(pipeline, "churn.onnx", sample=customers.head(5000))  # doctest: +SKIP
    """
    export = prepare_export(model, sample=sample, trusted=trusted)
    target = Path(os.fspath(path))
    partial = target.with_name(f".{target.name}.partial")
    partial.write_bytes(export.onnx_bytes)
    os.replace(partial, target)
    return OnnxExport(
        export.onnx_bytes, target, export.precision, export.outputs, export.signature,
        export.agreement, export.metadata,
    )  # fmt: skip


def build_runtime(
    model: Any, *, runtime: str = "auto", sample: Any = None, stored: bytes | None = None
) -> tuple[Any, str | None]:
    """The runtime to serve ``model`` with, and why ONNX was not used (None when it was,
    or was not asked for).

    ``auto``: onnxruntime when the export passed its agreement check, else scikit-learn;
    ``onnx``: onnxruntime or an :class:`ExportError`; ``sklearn``: scikit-learn.
    ``stored``: the ONNX file logged with the model (``log_model(..., onnx=True)``),
    served as it is when it records ``model``'s fingerprint, else ignored (the model is
    converted and checked again); the runtime's ``origin`` says which.

    Examples
    --------
    >>> served, why_not = build_runtime(model, runtime="auto")  # doctest: +SKIP
    >>> served.origin                                          # doctest: +SKIP
    'converted'
    """
    from toolkit.serving.runtime import OnnxRuntime, SklearnRuntime
    from toolkit.serving.stored import ONNX_FILE, stored_export

    if runtime not in RUNTIMES:
        raise InvalidOptionError(f"runtime must be one of {', '.join(RUNTIMES)}; got {runtime!r}.")
    fallback = SklearnRuntime(model)
    if runtime == "sklearn":
        return fallback, None
    origin = "converted"
    if stored is not None:
        found, ignored = stored_export(stored, model)
        if found is not None:
            served = OnnxRuntime(
                found.onnx_bytes, found.signature, found.outputs, precision=found.precision,
                fallback=fallback, strict=runtime == "onnx", origin=f"stored {ONNX_FILE}",
            )  # fmt: skip
            return served, None
        origin = f"converted ({ignored})"
    try:
        export = prepare_export(model, sample=sample)
    except ExportError as exc:
        if runtime == "onnx":
            raise
        return fallback, str(exc)
    served = OnnxRuntime(
        export.onnx_bytes, export.signature, export.outputs, precision=export.precision,
        fallback=fallback, strict=runtime == "onnx", origin=origin,
    )  # fmt: skip
    return served, None
