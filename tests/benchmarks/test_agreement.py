"""The agreement check fails loudly: wrong labels, lost rows, doubled rows, drifting floats."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from benchmarks.agreement import AgreementError, check_agreement, check_sanity
from toolkit.exceptions import ToolkitError


@pytest.fixture
def labels() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame({"id": np.arange(1000), "prediction": rng.integers(2, size=1000),
                         "truth": rng.integers(2, size=1000)})  # fmt: skip


def test_identical_predictions_pass(labels):
    result = check_agreement(labels[["id", "prediction"]], labels, what="score")
    assert result == {"rows": 1000, "mismatches": 0, "rule": "exactly", "max_abs_diff": 0.0,
                      "exact": True}  # fmt: skip


def test_a_wrong_label_fails_and_names_the_row(labels):
    wrong = labels.copy()
    wrong.loc[417, "prediction"] = 1 - wrong.loc[417, "prediction"]
    with pytest.raises(AgreementError, match=r"score/files: 1 of 1,000 .* id 417"):
        check_agreement(wrong, labels, what="score/files")


def test_lost_and_doubled_rows_fail(labels):
    with pytest.raises(AgreementError, match="999 rows for 1,000"):
        check_agreement(labels.iloc[1:], labels, what="p")
    doubled = labels.copy()
    doubled.loc[5, "id"] = 4
    with pytest.raises(AgreementError, match="lost or doubled"):
        check_agreement(doubled, labels, what="p")


def test_floats_agree_within_a_tight_tolerance_only():
    ref = pd.DataFrame({"id": [0, 1, 2], "prediction": [1.0, -2.5, 1e6]})
    close = ref.assign(prediction=ref["prediction"] * (1 + 1e-12))
    assert check_agreement(close, ref, what="p")["mismatches"] == 0
    with pytest.raises(AgreementError, match="rtol"):
        check_agreement(ref.assign(prediction=ref["prediction"] * (1 + 1e-6)), ref, what="p")


def test_agreement_error_is_a_toolkit_error():
    assert issubclass(AgreementError, ToolkitError) and issubclass(AgreementError, AssertionError)


def test_mllib_sanity_accepts_a_comparable_model_and_refuses_a_broken_one(labels):
    ref = labels.assign(prediction=labels["truth"])  # sklearn perfect
    near = ref.assign(prediction=np.where(np.arange(1000) < 30, 1 - ref["truth"], ref["truth"]))
    result = check_sanity(near.astype({"prediction": float}), ref, metric="accuracy", what="mllib")
    assert result["ok"] and result["mllib"] == pytest.approx(0.97)
    with pytest.raises(AgreementError, match="not comparable"):
        check_sanity(ref.assign(prediction=0.0), ref, metric="accuracy", what="mllib")


def test_kmeans_sanity_uses_cluster_agreement_not_label_equality():
    ref = pd.DataFrame({"id": np.arange(8), "prediction": [0, 0, 1, 1, 2, 2, 3, 3]})
    renamed = ref.assign(prediction=[3, 3, 2, 2, 1, 1, 0, 0])  # same clusters, other ids
    assert check_sanity(renamed, ref, metric="ari", what="kmeans")["mllib"] == pytest.approx(1.0)
    with pytest.raises(AgreementError):
        check_sanity(ref.assign(prediction=[0, 1, 2, 3, 0, 1, 2, 3]), ref, metric="ari", what="k")
