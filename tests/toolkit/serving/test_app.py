"""The ASGI app in process (FastAPI's TestClient): the streamed body limit, and bodies that
would be code elsewhere are data here."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from toolkit.serving.app import create_app
from toolkit.serving.payload import RequestError, parse_body
from toolkit.serving.runtime import SklearnRuntime


@pytest.fixture(scope="module")
def client(h):
    runtime = SklearnRuntime(h.pipeline(h.make_frame(300)))
    return TestClient(create_app(runtime, metadata={"fingerprint": "f"}, max_body_bytes=2048))


def test_streamed_body_over_the_limit_is_413(client):
    def chunks():
        for _ in range(100):
            yield b" " * 100  # no Content-Length: the server counts as it reads

    answer = client.post("/predict", content=chunks())
    assert answer.status_code == 413
    assert (
        answer.json()["error"] == "RequestTooLarge" and "at most 2,048" in answer.json()["message"]
    )


def test_small_body_is_answered(client):
    row = {"x0": 0.1, "x1": -0.2, "x2": 3.0, "color": "blue"}
    answer = client.post("/predict", json={"rows": [row]})
    assert answer.status_code == 200 and answer.json()["predictions"][0]["prediction"] in {
        "yes",
        "no",
    }


@pytest.mark.parametrize(
    "body, words",
    [
        (b"[1, 2]", "Expected a JSON object; got list"),
        (b'{"rows": [], "method": "predict"}', "non-empty list of objects"),
        (b'{"rows": [{"a": 1}], "columns": {"a": [1]}}', "exactly one of 'rows' or 'columns'"),
        (b'{"columns": {"a": [1, 2], "b": [1]}}', "all of one length"),
        (b'{"rows": [{"a": [1, 2]}]}', "Column 'a' has a list value"),
        (b'{"rows": [{"a": 1}], "method": ["predict"]}', "'method' must be a string"),
        (b'{"rows": [{"a": 1}], "__reduce__": "os.system"}', "Unknown key(s) ['__reduce__']"),
    ],
)
def test_malformed_bodies_are_refused(body, words):
    with pytest.raises(RequestError) as err:
        parse_body(body)
    assert words in str(err.value)
