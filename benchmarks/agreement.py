"""No path is fast by doing less: every path's predictions are checked.

Our paths and the peers run the very same scikit-learn model, so they must
reproduce the plain local ``model.predict`` on every row: labels exactly,
floats to ``rtol=1e-9``. MLlib is a different library trained on the same
sample, so equality is not expected there; it gets a sanity check instead
(accuracy or R² within ``SANITY_MARGIN`` of scikit-learn's, or for KMeans an
adjusted Rand index of at least ``MIN_ARI`` against scikit-learn's clusters),
and every row must still be present. A failed check raises
:class:`AgreementError` and the run stops.

Examples
--------
>>> import pandas as pd
>>> ref = pd.DataFrame({"id": [0, 1], "prediction": [1, 0]})
>>> check_agreement(ref, ref, what="score/files on kmeans")["mismatches"]
0
"""

from __future__ import annotations

from typing import Any

import numpy as np

from toolkit.exceptions import ToolkitError

__all__ = [
    "AgreementError",
    "MIN_ARI",
    "RTOL",
    "SANITY_MARGIN",
    "check_agreement",
    "check_sanity",
    "reference",
]

RTOL = 1e-9
ATOL = 1e-9
SANITY_MARGIN = 0.05
MIN_ARI = 0.5


class AgreementError(ToolkitError, AssertionError):
    """A path's predictions differ from the scikit-learn reference: its timings mean nothing."""


def reference(model: Any, frame: Any, *, features: list[str], target: str | None) -> Any:
    """The plain local ``model.predict`` on the whole table: ``id``, ``prediction``, ``truth``.

    Examples
    --------
    >>> ref = reference(model, table_frame, features=["f0"], target="label")  # doctest: +SKIP
    """
    import pandas as pd

    out = pd.DataFrame({"id": frame["id"].to_numpy(), "prediction": model.predict(frame[features])})
    if target is not None:
        out["truth"] = frame[target].to_numpy()
    return out.sort_values("id", ignore_index=True)


def _same_ids(got: Any, ref: Any, what: str) -> None:
    if len(got) != len(ref):
        raise AgreementError(
            f"{what}: produced {len(got):,} rows for {len(ref):,} input rows. "
            "Every row must be scored exactly once; fix the path before timing it."
        )
    if not np.array_equal(got["id"].to_numpy(), ref["id"].to_numpy()):
        raise AgreementError(
            f"{what}: the ids in the output are not the input's ids (rows lost or doubled). "
            "Every row must be scored exactly once; fix the path before timing it."
        )


def check_rows(got: Any, ref: Any, *, what: str) -> dict[str, Any]:
    """Every input row present exactly once (for the hand-over floor, which predicts nothing).

    Examples
    --------
    >>> import pandas as pd
    >>> ref = pd.DataFrame({"id": [0, 1], "prediction": [1, 0]})
    >>> check_rows(ref.assign(prediction=0.0), ref, what="floor")["rows"]
    2
    """
    _same_ids(got, ref, what)
    return {"rows": len(got), "rule": "every row once (no model)", "ok": True}


def check_agreement(got: Any, ref: Any, *, what: str) -> dict[str, Any]:
    """Raise :class:`AgreementError` unless ``got`` reproduces ``ref`` row by row.

    Both are frames with ``id`` and ``prediction``, sorted by id.

    Examples
    --------
    >>> import pandas as pd
    >>> ref = pd.DataFrame({"id": [0, 1], "prediction": [0.5, 1.5]})
    >>> check_agreement(ref.assign(prediction=[0.5, 1.5 + 1e-13]), ref, what="x")["exact"]
    False
    """
    _same_ids(got, ref, what)
    a, b = got["prediction"].to_numpy(), ref["prediction"].to_numpy()
    if np.issubdtype(b.dtype, np.floating):
        a = a.astype(np.float64)
        bad = ~np.isclose(a, b, rtol=RTOL, atol=ATOL, equal_nan=True)
        diff = float(np.nanmax(np.abs(a - b))) if len(a) else 0.0
        rule = f"to rtol={RTOL:g}"
    else:
        bad = a.astype(np.float64) != b.astype(np.float64)
        diff = float(bad.any())
        rule = "exactly"
    mismatches = int(bad.sum())
    if mismatches:
        first = int(np.flatnonzero(bad)[0])
        raise AgreementError(
            f"{what}: {mismatches:,} of {len(b):,} predictions differ from scikit-learn's own "
            f"predict (must agree {rule}); first at id {ref['id'].iloc[first]}: got {a[first]!r}, "
            f"expected {b[first]!r}. A path that disagrees is not measured; fix the path."
        )
    return {"rows": len(b), "mismatches": 0, "rule": rule, "max_abs_diff": diff,
            "exact": bool(diff == 0.0)}  # fmt: skip


def check_sanity(got: Any, ref: Any, *, metric: str, what: str) -> dict[str, Any]:
    """MLlib against scikit-learn: comparable quality, every row present; not equality.

    ``metric``: ``accuracy`` or ``r2`` (both against the truth column) or ``ari``
    (MLlib's clusters against scikit-learn's).

    Examples
    --------
    >>> import pandas as pd
    >>> ref = pd.DataFrame({"id": [0, 1, 2], "prediction": [1, 0, 1], "truth": [1, 0, 0]})
    >>> check_sanity(ref, ref, metric="accuracy", what="mllib")["ok"]
    True
    """
    from sklearn.metrics import accuracy_score, adjusted_rand_score, r2_score

    _same_ids(got, ref, what)
    mine = got["prediction"].to_numpy()
    theirs = ref["prediction"].to_numpy()
    if metric == "ari":
        value, baseline = float(adjusted_rand_score(theirs, mine)), 1.0
        ok, rule = value >= MIN_ARI, f"adjusted Rand index vs scikit-learn >= {MIN_ARI}"
    else:
        score = accuracy_score if metric == "accuracy" else r2_score
        truth = ref["truth"].to_numpy()
        if metric == "accuracy":
            mine = mine.astype(truth.dtype)
        value, baseline = float(score(truth, mine)), float(score(truth, theirs))
        ok = value >= baseline - SANITY_MARGIN
        rule = f"{metric} within {SANITY_MARGIN} of scikit-learn's"
    result = {"metric": metric, "mllib": value, "sklearn": baseline, "rule": rule, "ok": bool(ok)}
    if not ok:
        raise AgreementError(
            f"{what}: MLlib's {metric} is {value:.4f} against scikit-learn's {baseline:.4f} "
            f"(sanity rule: {rule}). The two models are not comparable, so neither is their "
            "speed; check the matched settings in benchmarks/models.py."
        )
    return result
