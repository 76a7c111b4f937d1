"""`scaleout serve` as a real subprocess on a free loopback port, spoken to over real HTTP.

Every answer is compared with tk.score on the same rows: output names, labels exactly,
probabilities within 1e-6 (onnxruntime) or exactly (scikit-learn); bad requests get
4xx with tk.score's own message.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import numpy as np
import pytest

import toolkit as tk


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _call(port: int, path: str, body: object = None, *, raw: bytes | None = None):
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


class Server:
    def __init__(self, model_path, tmp_path, *args: str) -> None:
        self.port = _free_port()
        self.stderr_path = tmp_path / f"serve-{self.port}.err"
        self._stderr = open(self.stderr_path, "w")  # noqa: SIM115 - closed in stop()
        command = [sys.executable, "-m", "toolkit.cli", "serve", str(model_path)]
        self.process = subprocess.Popen(
            [*command, "--port", str(self.port), *args],
            stdout=subprocess.DEVNULL, stderr=self._stderr, cwd=tmp_path,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )  # fmt: skip
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"server exited: {self.stderr_path.read_text()}")
            try:
                status, self.health = _call(self.port, "/health")
                if status == 200:
                    return
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.2)
        self.stop()
        raise AssertionError(f"server did not answer /health: {self.stderr_path.read_text()}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._stderr.close()


@pytest.fixture(scope="module")
def trained(h, tmp_path_factory):
    folder = tmp_path_factory.mktemp("serve")
    model = h.pipeline(h.make_frame(1000))
    path = tk.save_model(model, folder / "pipe.skops")
    return model, path, folder


@pytest.fixture(scope="module")
def server(trained):
    model, path, folder = trained
    running = Server(path, folder)
    yield running
    running.stop()


def _plain(value):
    """A JSON value: Python floats at full precision, null for NaN."""
    if isinstance(value, np.generic):
        value = value.item()
    return None if isinstance(value, float) and np.isnan(value) else value


def _records(frame) -> list[dict]:
    return [{k: _plain(v) for k, v in row.items()} for row in frame.to_dict("records")]


def _rows(h, n=6, seed=7):
    return h.make_frame(n, seed=seed).reset_index(drop=True)


def test_startup_line_health_and_metadata(server, trained):
    model, path, _ = trained
    line = server.stderr_path.read_text().strip().splitlines()[-1]
    assert line.startswith(f"scaleout serve: listening on http://127.0.0.1:{server.port} ")
    assert "(runtime onnx," in line
    assert server.health["runtime"] == "onnx"
    status, meta = _call(server.port, "/metadata")
    assert status == 200 and meta["fingerprint"] == tk.fingerprint(model)
    assert meta["features"] == ["x0", "x1", "x2", "color"] and meta["model"] == str(path)
    assert meta["outputs"]["predict_proba"]["fields"] == ["no", "yes"]
    assert meta["onnx"]["methods"] == ["predict", "predict_proba"]


@pytest.mark.parametrize("method", ["predict", "predict_proba", "decision_function"])
def test_rows_answer_like_score(server, trained, h, method):
    model = trained[0]
    rows = _rows(h)
    body = {"rows": _records(rows), "method": method}
    status, answer = _call(server.port, "/predict", body)
    assert status == 200, answer
    want_rows, want = h.expected_answer(model, rows, method=method)
    assert answer["rows"] == want_rows
    runtime = "sklearn" if method == "decision_function" else "onnx"
    assert answer["runtime"] == runtime and answer["method"] == method
    h.assert_same_records(answer["predictions"], want, tol=1e-6 if runtime == "onnx" else 0.0)


def test_columns_body_and_one_row(server, trained, h):
    model = trained[0]
    rows = _rows(h, n=1, seed=3)
    columns = {name: [_plain(v) for v in rows[name]] for name in rows.columns}
    status, answer = _call(server.port, "/predict", {"columns": columns})
    assert status == 200 and answer["columns"] == ["prediction"]
    assert answer["predictions"] == h.expected_answer(model, rows, method="predict")[1]


@pytest.mark.parametrize("mode", ["keep", "skip"])
def test_refused_rows_keep_and_skip_like_score(server, trained, h, mode):
    model = trained[0]
    rows = _rows(h)
    rows.loc[2, "x1"] = np.nan
    body = {
        "rows": _records(rows),
        "method": "predict_proba",
        "handle_invalid": mode,
    }
    status, answer = _call(server.port, "/predict", body)
    assert status == 200, answer
    want_rows, want = h.expected_answer(model, rows, method="predict_proba", handle_invalid=mode)
    assert answer["rows"] == want_rows and answer["runtime"] == "sklearn"
    h.assert_same_records(answer["predictions"], want)
    if mode == "keep":  # (tk.score's pandas path gives 0.0 probabilities there, not null)
        assert "column 'x1' has a missing value" in answer["predictions"][2]["probability_error"]
        assert answer["predictions"][1]["probability_error"] is None
    else:
        assert 2 not in answer["rows"] and len(answer["rows"]) == len(rows) - 1


def _score_error(model, rows, **options) -> str:
    with pytest.raises(tk.ToolkitError) as err:
        tk.score(model, rows, **options)
    return str(err.value)


def test_bad_requests_get_the_score_message(server, trained, h):
    model = trained[0]
    rows = _rows(h, n=3)
    cases = []
    missing = rows.drop(columns=["x2"])
    cases.append((422, {"rows": _records(missing)}, missing, {}))
    typed = rows.astype({"x0": str})
    cases.append((422, {"rows": _records(typed)}, typed, {}))
    refused = rows.copy()
    refused.loc[1, "x0"] = np.nan
    cases.append((422, {"rows": _records(refused)}, refused, {}))
    body = {"rows": _records(rows), "method": "predict_probability"}
    cases.append((400, body, rows, {"method": "predict_probability"}))
    body = {"rows": _records(rows), "handle_invalid": "ignore"}
    cases.append((400, body, rows, {"handle_invalid": "ignore"}))
    for want_status, body, frame, options in cases:
        status, answer = _call(server.port, "/predict", body)
        assert status == want_status, answer
        assert answer["message"] == _score_error(model, frame, **options)
    assert "closest: 'x1'" in cases[0][2].pipe(lambda f: _score_error(model, f))


def test_malformed_and_oversized_bodies(server):
    status, answer = _call(server.port, "/predict", raw=b"{not json")
    assert status == 400 and "not valid JSON" in answer["message"]
    status, answer = _call(server.port, "/predict", {"rows": [{"x0": 1}], "code": "import os"})
    assert status == 400 and "Unknown key(s) ['code']" in answer["message"]
    status, answer = _call(server.port, "/predict", {"rows": [{"x0": {"__class__": "x"}}]})
    assert status == 400 and "JSON strings, numbers" in answer["message"]
    # a declared 20 MiB body is refused before it is read (the client may still be sending)
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as conn:
        head = (
            "POST /predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {20 * 2**20}\r\n\r\n"
        )
        conn.sendall(head.encode() + b'{"rows": [' + b'{"x0": 1.0},' * 1000)
        reply = b""
        while not reply.endswith(b"}"):
            piece = conn.recv(65536)
            if not piece:
                break
            reply += piece
        reply = reply.decode()
    assert reply.startswith("HTTP/1.1 413")
    assert "at most 10,485,760" in reply
    status, answer = _call(server.port, "/health")
    assert status == 200  # still serving


def test_auto_serves_an_unconvertible_model_with_sklearn(h, tmp_path):
    from sklearn.ensemble import HistGradientBoostingClassifier

    train = h.make_frame(500)
    model = HistGradientBoostingClassifier(max_iter=5).fit(train[h.NUMERIC], h.labels(train))
    path = tk.save_model(model, tmp_path / "hist.skops")
    server = Server(path, tmp_path, "--runtime", "auto")
    try:
        assert server.health["runtime"] == "sklearn"
        err = server.stderr_path.read_text()
        assert "scaleout serve: warning: serving with scikit-learn: skl2onnx cannot convert" in err
        rows = _rows(h)[h.NUMERIC]
        body = {"rows": _records(rows), "method": "predict_proba"}
        status, answer = _call(server.port, "/predict", body)
        assert status == 200 and answer["runtime"] == "sklearn"
        h.assert_same_records(
            answer["predictions"], h.expected_answer(model, rows, method="predict_proba")[1]
        )
    finally:
        server.stop()


def test_cli_errors_are_one_line_naming_flags(trained, tmp_path):
    _, path, _ = trained
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "toolkit.cli", "serve", str(path), "--port", str(port),
             "--runtime", "sklearn"],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("scaleout serve: error: cannot listen on")
    assert "--port" in lines[0]


def test_reload_interval_needs_an_alias_uri(trained):
    _, path, _ = trained
    done = subprocess.run(
        [sys.executable, "-m", "toolkit.cli", "serve", str(path), "--reload-interval", "5"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 1 and len(lines) == 1
    assert lines[0].startswith("scaleout serve: error: --reload-interval follows a registry alias")
