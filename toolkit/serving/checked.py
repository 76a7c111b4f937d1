"""The checked export: a model converted to ONNX, compared with scikit-learn row by row,
with the scaleout metadata the file carries (:func:`toolkit.export_onnx` writes it;
``engine="onnx"`` scores with it, :mod:`toolkit.scoring.onnx_backed`).

Examples
--------
>>> export = prepare_export(model)            # doctest: +SKIP
>>> export.precision, export.agreement.rows   # doctest: +SKIP
('double', 2000)
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolkit._typing import Trusted
from toolkit.serving.agreement import Agreement, check_agreement
from toolkit.serving.export import convert, describe, with_metadata
from toolkit.serving.signature import Signature, signature, synthesise

__all__ = ["OnnxExport", "prepare_export"]


@dataclass(frozen=True)
class OnnxExport:
    """A checked export: the ONNX bytes (scaleout metadata included), where they were
    written (None when kept in memory), and what the check found."""

    onnx_bytes: bytes
    path: Path | None
    precision: str
    outputs: dict[str, str]
    signature: Signature
    agreement: Agreement
    metadata: dict[str, str]


def prepare_export(model: Any, *, sample: Any = None, trusted: Trusted = False) -> OnnxExport:
    """:func:`export_onnx` without writing: the checked export, in memory."""
    from toolkit import __version__
    from toolkit.models.api import fingerprint, load_model
    from toolkit.scoring.schema import output_spec

    model = load_model(model, trusted=trusted)
    sig = signature(model, sample)
    converted = convert(model, sig)
    rows = sample if sample is not None else synthesise(sig)
    agreement = check_agreement(
        model, converted, sig, rows, data="sample" if sample is not None else "synthesised"
    )
    outputs = {}
    for method, onnx_name in converted.outputs.items():
        spec = output_spec(model, method)
        outputs[method] = {
            "onnx_output": onnx_name, "column": spec.column, "type": spec.ddl,
            "leaf": spec.leaf, "fields": list(spec.fields),
        }  # fmt: skip
    metadata = {
        "scaleout.version": __version__,
        "scaleout.fingerprint": fingerprint(model),
        "scaleout.model": describe(model),
        "scaleout.features": json.dumps(list(sig.features)),
        "scaleout.feature_types": json.dumps(sig.types),
        "scaleout.signature": sig.to_json(),
        "scaleout.precision": converted.precision,
        "scaleout.outputs": json.dumps(outputs),
        "scaleout.agreement": json.dumps(
            {"rows": agreement.rows, "data": agreement.data, "max_abs_diff": agreement.max_diff}
        ),
    }
    onnx_bytes = with_metadata(converted.onnx_bytes, metadata)
    return OnnxExport(
        onnx_bytes, None, converted.precision, converted.outputs, sig, agreement, metadata
    )
