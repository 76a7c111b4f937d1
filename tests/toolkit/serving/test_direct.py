"""The onnxruntime runtime's direct path (a parsed body's lists straight into the session)
answers exactly what the pandas-frame path answers, or leaves the body to that path."""

from __future__ import annotations

import json

import pytest

from toolkit.exceptions import ToolkitError
from toolkit.serving.api import build_runtime
from toolkit.serving.payload import parse_payload
from toolkit.serving.runtime import OnnxRuntime

GOOD = {"x0": 0.5, "x1": -1.25, "x2": 30.0, "color": "red"}


def _rows(*changes: dict) -> bytes:
    rows = [{**GOOD, "x0": 0.1 * i, **change} for i, change in enumerate(changes)]
    return json.dumps({"rows": rows}).encode()


BODIES = {
    "clean": _rows({}, {"color": "blue"}, {"x2": -4}),
    "whole numbers": _rows({"x0": 1, "x1": 2, "x2": 3}),
    "a large whole number": _rows({"x2": 2**50}),  # exact in a double: direct
    "a huge whole number": _rows({"x2": 2**60}),  # not exact: the frame path
    "beyond int64": _rows({}, {"x2": 2**70}),
    "a boolean": _rows({"x1": True}),
    "a null number": _rows({}, {"x0": None}),
    "a null category": _rows({"color": None}),
    "NaN": b'{"rows": [{"x0": NaN, "x1": 1.0, "x2": 2.0, "color": "red"}]}',
    "Infinity": b'{"rows": [{"x0": Infinity, "x1": 1.0, "x2": 2.0, "color": "red"}]}',
    "an unseen category": _rows({}, {"color": "purple"}),
    "a string number": _rows({"x1": "1.5"}),
    "a number category": _rows({"color": 3}),
    "a row lacks a column": json.dumps(
        {"rows": [GOOD, {"x0": 1.0, "x1": 1.0, "x2": 1.0}]}
    ).encode(),
    "a column is missing": json.dumps({"rows": [{"x0": 1.0, "x1": 1.0, "color": "red"}]}).encode(),
    "extra columns": _rows({"id": 7, "note": "vip"}, {"id": 8, "note": None}),
    "the output's name": _rows({"probability": 1.0}),
    "columns form": json.dumps(
        {"columns": {"x0": [1, 2.5], "x1": [0.0, -1.0], "x2": [3.0, 4], "color": ["red", "green"]}}
    ).encode(),
}


@pytest.fixture(scope="module")
def runtimes(h):
    train = h.make_frame(1000)
    found = {}
    for unknown in ("ignore", "error"):
        runtime, why_not = build_runtime(h.pipeline(train, unknown=unknown), runtime="onnx")
        assert isinstance(runtime, OnnxRuntime), why_not
        found[unknown] = runtime
    from sklearn.linear_model import LogisticRegression

    plain = LogisticRegression().fit(train[h.NUMERIC], h.labels(train))  # one matrix input "X"
    found["matrix"], why_not = build_runtime(plain, runtime="onnx")
    assert isinstance(found["matrix"], OnnxRuntime) and not found["matrix"].sig.per_column
    return found


def _outcome(runtime, data, **options):
    try:
        answer = runtime.predict(data, **options)
    except ToolkitError as exc:
        return ("error", type(exc).__name__, str(exc))
    return (answer.columns, answer.rows, answer.records, answer.runtime)


@pytest.mark.parametrize("unknown", ["ignore", "error", "matrix"])
@pytest.mark.parametrize("method", ["predict", "predict_proba"])
@pytest.mark.parametrize("handle_invalid", ["error", "keep", "skip"])
@pytest.mark.parametrize("name", sorted(BODIES))
def test_direct_path_answers_as_the_frame_path(runtimes, name, unknown, method, handle_invalid):
    runtime = runtimes[unknown]
    options = {"method": method, "handle_invalid": handle_invalid}
    payload, _ = parse_payload(BODIES[name])
    direct = _outcome(runtime, payload, **options)
    payload, _ = parse_payload(BODIES[name])
    assert direct == _outcome(runtime, payload.frame(), **options)


def test_clean_rows_take_the_direct_path(runtimes):
    runtime = runtimes["error"]
    request = runtime.fallback.request("predict_proba", "error")
    for name in ("clean", "whole numbers", "columns form", "extra columns", "a large whole number"):
        payload, _ = parse_payload(BODIES[name])
        assert runtime._direct_feed(payload, request) is not None, name
        assert payload._frame is None, name  # no pandas frame was built
    for name in (
        "a boolean",
        "a null number",
        "an unseen category",
        "the output's name",
        "a huge whole number",
    ):
        payload, _ = parse_payload(BODIES[name])
        assert runtime._direct_feed(payload, request) is None, name
    matrix = runtimes["matrix"]
    payload, _ = parse_payload(BODIES["clean"])
    feed = matrix._direct_feed(payload, matrix.fallback.request("predict", "error"))
    assert feed is not None and feed["X"].shape == (3, 3)
