"""``tracking.log_model(..., onnx=True)`` stores the checked ONNX file beside the skops model;
``scaleout serve`` serves that file (after checking its fingerprint) instead of converting."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

import toolkit as tk
from toolkit.serving.api import build_runtime
from toolkit.serving.export import read_metadata
from toolkit.serving.stored import ONNX_FILE, stored_onnx
from toolkit.tracking import log_model


@pytest.fixture
def store(tmp_path, monkeypatch):
    import mlflow

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.chdir(tmp_path)
    yield uri
    if mlflow.active_run():
        mlflow.end_run()


def test_log_model_stores_the_checked_export_beside_the_skops_file(h, store):
    import mlflow

    model = h.pipeline(h.make_frame(800))
    uri = log_model(model, "clf", registered_name="churn", alias="champion", onnx=True)
    assert uri == "models:/churn@champion"
    names = {f.path for f in mlflow.artifacts.list_artifacts(uri)}
    assert {ONNX_FILE, "model.skops", "MLmodel"} <= names
    onnx_bytes = stored_onnx(uri)
    assert onnx_bytes is not None
    loaded = tk.load_model(uri)
    assert read_metadata(onnx_bytes)["scaleout.fingerprint"] == tk.fingerprint(loaded)
    version = mlflow.MlflowClient().get_model_version_by_alias("churn", "champion")
    assert version.tags["scaleout.onnx_precision"] == "double"

    served, why_not = build_runtime(loaded, runtime="onnx", stored=onnx_bytes)
    converted, _ = build_runtime(loaded, runtime="onnx")
    assert why_not is None and served.origin == f"stored {ONNX_FILE}"
    assert converted.origin == "converted"
    rows = h.make_frame(50, seed=9)
    for method in ("predict", "predict_proba"):
        got = served.predict(rows, method=method)
        assert got.runtime == "onnx"
        assert got.records == converted.predict(rows, method=method).records
        want_rows, want = h.expected_answer(model, rows, method=method)
        assert got.rows == want_rows
        h.assert_same_records(got.records, want, tol=1e-6)


def test_a_failed_export_logs_nothing(h, store):
    import mlflow
    from sklearn.ensemble import HistGradientBoostingClassifier

    train = h.make_frame(500)
    model = HistGradientBoostingClassifier(max_iter=5).fit(train[h.NUMERIC], h.labels(train))
    with pytest.raises(tk.ExportError, match="HistGradientBoosting"):
        log_model(model, "clf", registered_name="hgb", alias="champion", onnx=True)
    client = mlflow.MlflowClient()
    assert client.search_registered_models() == []
    experiments = [e.experiment_id for e in client.search_experiments()]
    assert client.search_runs(experiments) == []
    assert mlflow.search_logged_models(experiment_ids=experiments, output_format="list") == []


def test_a_stored_file_of_another_model_is_not_served(h, store):
    first = h.pipeline(h.make_frame(800, seed=1))
    second = h.pipeline(h.make_frame(800, seed=2))
    uri = log_model(first, "clf", onnx=True)
    served, why_not = build_runtime(second, runtime="auto", stored=stored_onnx(uri))
    assert why_not is None and served.name == "onnx"
    assert served.origin.startswith(f"converted (the stored {ONNX_FILE} records fingerprint")
    rows = h.make_frame(20, seed=4)
    _, want = h.expected_answer(second, rows, method="predict_proba")
    h.assert_same_records(served.predict(rows, method="predict_proba").records, want, tol=1e-6)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(port: int, path: str, body: object = None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data)
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read())


@pytest.mark.slow
@pytest.mark.parametrize("runtime", ["auto", "onnx"])
def test_scaleout_serve_uses_the_stored_file(h, store, tmp_path, runtime):
    model = h.pipeline(h.make_frame(800))
    uri = log_model(model, "clf", registered_name="served", alias="live", onnx=True)
    port = _free_port()
    err = tmp_path / "serve.err"
    with err.open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "toolkit.cli", "serve", uri, "--runtime", runtime,
             "--port", str(port)],
            stdout=subprocess.DEVNULL, stderr=stderr, cwd=tmp_path,
            env={**os.environ, "MLFLOW_TRACKING_URI": store},
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 90
        while True:
            assert process.poll() is None, err.read_text()
            assert time.monotonic() < deadline, err.read_text()
            try:
                meta = _get(port, "/metadata")
                break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.2)
        assert meta["runtime"] == "onnx"
        assert meta["onnx"]["origin"] == f"stored {ONNX_FILE}"
        assert meta["fingerprint"] == tk.fingerprint(model)
        rows = h.make_frame(5, seed=3)
        records = [dict(zip(rows.columns, r, strict=True)) for r in rows.itertuples(index=False)]
        answer = _get(port, "/predict", {"rows": records, "method": "predict_proba"})
        assert answer["runtime"] == "onnx"
        _, want = h.expected_answer(model, rows, method="predict_proba")
        h.assert_same_records(answer["predictions"], want, tol=1e-6)
    finally:
        process.terminate()
        process.wait(timeout=15)
