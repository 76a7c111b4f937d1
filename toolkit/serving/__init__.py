"""Real-time serving: export a scored model to ONNX (checked against scikit-learn) and
answer single rows over HTTP (``scaleout serve``).

Nothing here imports onnx, onnxruntime, skl2onnx, FastAPI or uvicorn until it is used
(``pip install "scaleout[serve]"``).

Modules: :mod:`~toolkit.serving.deps` (the optional libraries),
:mod:`~toolkit.serving.signature` (the model's input columns and synthetic rows),
:mod:`~toolkit.serving.export` (skl2onnx conversion and ONNX metadata),
:mod:`~toolkit.serving.agreement` (ONNX vs scikit-learn, row by row),
:mod:`~toolkit.serving.runtime` (the scikit-learn and onnxruntime runtimes),
:mod:`~toolkit.serving.payload` (JSON request bodies to pandas frames),
:mod:`~toolkit.serving.app` (the FastAPI app), :mod:`~toolkit.serving.api`
(:func:`export_onnx` and the runtime choice), :mod:`~toolkit.serving.stored` (the ONNX
file ``tracking.log_model(..., onnx=True)`` stores beside the model),
:mod:`~toolkit.serving.reload` (following a registry alias).
"""

from __future__ import annotations
