"""Shared data, models and the expected answers (from tk.score) for the serving tests;
the tests reach the helpers through the ``h`` fixture."""

from __future__ import annotations

import math
import sys

import numpy as np
import pandas as pd
import pytest

import toolkit as tk

NUMERIC = ["x0", "x1", "x2"]
FEATURES = [*NUMERIC, "color"]


def make_frame(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(rng.normal(size=(n, len(NUMERIC))), columns=NUMERIC)
    frame["x2"] = frame["x2"] * 50  # a wider scale, as real data has
    frame["color"] = rng.choice(["red", "green", "blue"], size=n)
    return frame


def labels(frame: pd.DataFrame) -> np.ndarray:
    score = frame["x0"] + frame["x1"] + (frame["color"] == "red") * 0.8
    return np.where(score > 0.3, "yes", "no")


def pipeline(frame: pd.DataFrame, *, unknown: str = "ignore"):
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    prep = ColumnTransformer(
        [
            ("num", StandardScaler(), NUMERIC),
            ("cat", OneHotEncoder(handle_unknown=unknown), ["color"]),
        ]
    )
    return Pipeline([("prep", prep), ("clf", LogisticRegression())]).fit(frame, labels(frame))


def expected_answer(model, frame: pd.DataFrame, *, method: str, handle_invalid: str = "error"):
    """(rows, records) from tk.score on the same rows: output columns only, struct outputs
    (``probability.yes`` columns) folded into objects keyed by class label."""
    scored = tk.score(model, frame, method=method, handle_invalid=handle_invalid)
    new = [c for c in scored.columns if c not in frame.columns]
    records = []
    for _, row in scored[new].iterrows():
        record: dict = {}
        for name in new:
            value = _plain(row[name])
            if "." in name:
                outer, field = name.split(".", 1)
                record.setdefault(outer, {})[field] = value
            else:
                record[name] = value
        for key, value in record.items():
            if isinstance(value, dict) and all(v is None for v in value.values()):
                record[key] = None
        records.append(record)
    return [int(i) for i in scored.index], records


def assert_same_records(got: list, want: list, *, tol: float = 0.0) -> None:
    assert len(got) == len(want)
    for i, (a, b) in enumerate(zip(got, want, strict=True)):
        assert set(a) == set(b), (i, a, b)
        for key in b:
            _same(a[key], b[key], tol, f"row {i} {key}")


def _same(a, b, tol, where):
    if isinstance(b, dict):
        assert isinstance(a, dict) and set(a) == set(b), (where, a, b)
        for k in b:
            _same(a[k], b[k], tol, f"{where}.{k}")
    elif isinstance(b, float) and not isinstance(a, bool):
        assert isinstance(a, float | int), (where, a, b)
        assert abs(a - b) <= tol, (where, a, b)
    else:
        assert a == b and type(a) is type(b), (where, a, b)


def _plain(value):
    if value is None:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


@pytest.fixture(scope="session")
def h():
    """This module: make_frame, pipeline, expected_answer, assert_same_records, ..."""
    return sys.modules[__name__]
