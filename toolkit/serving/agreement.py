"""Check an ONNX export against scikit-learn, row by row, on the same rows.

Labels (classifier and clusterer ``predict``) must be identical; probabilities and
regression values must agree within :data:`TOLERANCE` (absolute). Anything else is an
:class:`~toolkit.exceptions.ExportError` naming the model, the method, the row and the
largest difference.

Examples
--------
>>> agreement = check_agreement(model, converted, sig, rows)  # doctest: +SKIP
>>> agreement.max_diff                                         # doctest: +SKIP
{'predict': 0.0, 'predict_proba': 4.2e-08}
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from toolkit.exceptions import ExportError, first_line
from toolkit.serving.export import ADVICE, Converted, describe, session_for
from toolkit.serving.signature import Signature

__all__ = ["TOLERANCE", "Agreement", "check_agreement"]

TOLERANCE = 1e-6


@dataclass(frozen=True)
class Agreement:
    """How many rows were compared, on what data, and the largest difference per method."""

    rows: int
    data: str  # "sample" or "synthesised"
    max_diff: dict[str, float]


def check_agreement(
    model: Any, converted: Converted, sig: Signature, frame: Any, *, data: str = "sample"
) -> Agreement:
    """Run ``frame`` through scikit-learn and onnxruntime and compare every row.

    Raises
    ------
    ExportError
        A label differs, or a value differs by more than :data:`TOLERANCE`.
    """
    from sklearn.base import is_classifier

    session = session_for(converted.onnx_bytes)
    X = frame[list(sig.features)]
    try:
        expected = {method: getattr(model, method)(X) for method in converted.outputs}
    except Exception as exc:  # the sample has rows scikit-learn itself refuses
        raise ExportError(
            f"scikit-learn refused the {data} rows used to check the export of "
            f"{describe(model)}: {first_line(exc)}. Pass sample=<rows the model scores>."
        ) from exc
    names = list(converted.outputs.values())
    got = dict(
        zip(
            converted.outputs,
            session.run(names, sig.feed(X, precision=converted.precision)),
            strict=True,
        )
    )
    labels = is_classifier(model) or not np.issubdtype(
        np.asarray(expected["predict"]).dtype, np.floating
    )
    max_diff = {}
    for method, want in expected.items():
        want, have = np.asarray(want), np.asarray(got[method])
        if method == "predict" and labels:
            max_diff[method] = _compare_labels(model, want, have, data)
            continue
        want, have = want.reshape(len(X), -1).astype(np.float64), have.reshape(len(X), -1)
        if want.shape != have.shape:
            raise ExportError(
                f"The ONNX export of {describe(model)} gives {method} of shape {have.shape}; "
                f"scikit-learn gives {want.shape}. {ADVICE}"
            )
        diff = np.abs(want - have.astype(np.float64))
        worst = float(np.nanmax(diff)) if diff.size else 0.0
        if np.isnan(diff).any() and not np.array_equal(
            np.isnan(want), np.isnan(have.astype(np.float64))
        ):
            worst = float("inf")
        if worst > TOLERANCE:
            row = int(np.unravel_index(np.nanargmax(diff), diff.shape)[0])
            raise ExportError(
                f"The {converted.precision} ONNX export of {describe(model)} disagrees with "
                f"scikit-learn on {method}: largest absolute difference {worst:.3g} (row {row} "
                f"of {len(X)} {data} rows), more than the {TOLERANCE:g} allowed. {ADVICE}"
            )
        max_diff[method] = worst
    return Agreement(len(X), data, max_diff)


def _compare_labels(model: Any, want: np.ndarray, have: np.ndarray, data: str) -> float:
    want_list = [_plain(v) for v in want.ravel()]
    have_list = [_plain(v) for v in have.ravel()]
    if len(want_list) != len(have_list):
        raise ExportError(
            f"The ONNX export of {describe(model)} gives {len(have_list)} labels for "
            f"{len(want_list)} rows. {ADVICE}"
        )
    wrong = [i for i, (a, b) in enumerate(zip(want_list, have_list, strict=True)) if a != b]
    if wrong:
        first = wrong[0]
        raise ExportError(
            f"The ONNX export of {describe(model)} disagrees with scikit-learn on predict: "
            f"{len(wrong)} of {len(want_list)} {data} rows get another label (first: row "
            f"{first}, scikit-learn {want_list[first]!r}, ONNX {have_list[first]!r}). {ADVICE}"
        )
    return 0.0


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value
