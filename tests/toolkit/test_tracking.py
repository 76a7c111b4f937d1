from __future__ import annotations

import socket
import subprocess
import sys
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

import toolkit as tk
from toolkit.tracking import log_model, set_alias, tracked_run


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    path = tmp_path_factory.mktemp("mlflow")
    return f"sqlite:///{path / 'mlflow.db'}"


@pytest.fixture
def tracking(store, monkeypatch):
    import mlflow

    monkeypatch.setenv("MLFLOW_TRACKING_URI", store)
    yield mlflow
    if mlflow.active_run():
        mlflow.end_run()


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(3)
    X = pd.DataFrame(rng.normal(size=(200, 3)), columns=["a", "b", "c"])
    return X, (X["a"] + X["b"] > 0).astype(int)


def test_log_register_alias_and_load_back(tracking, data):
    X, y = data
    model = LogisticRegression().fit(X, y)
    uri = log_model(
        model, "clf", input_example=X.head(5), registered_name="churn", alias="champion"
    )
    assert uri == "models:/churn@champion"
    loaded = tk.load_model(uri)
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))

    client = tracking.MlflowClient()
    version = client.get_model_version_by_alias("churn", "champion")
    run = client.get_run(version.run_id)
    assert run.data.tags["scaleout.model_fingerprint"] == tk.fingerprint(model)
    assert run.data.tags["scaleout.scikit_learn_version"]
    assert run.data.tags["scaleout.pyspark_version"]


def test_moving_the_alias_changes_what_the_next_job_loads(tracking, data):
    X, y = data
    first = LogisticRegression(C=0.001).fit(X, y)
    second = LogisticRegression(C=100.0).fit(X, y)
    log_model(first, "clf", registered_name="promote", alias="champion")
    log_model(second, "clf", registered_name="promote")  # version 2, not yet champion
    before = tk.load_model("models:/promote@champion")
    np.testing.assert_array_equal(before.predict_proba(X), first.predict_proba(X))
    set_alias("promote", "champion", 2)
    after = tk.load_model("models:/promote@champion")
    np.testing.assert_array_equal(after.predict_proba(X), second.predict_proba(X))
    assert tk.load_model("models:/promote/1").C == 0.001


@dataclass
class Report:
    rows_in: int
    rows_out: int
    seconds: float


def test_tracked_run_logs_params_metrics_and_report(tracking):
    report = Report(rows_in=10, rows_out=9, seconds=0.5)
    with tracked_run({"method": "predict", "features": ["a", "b"]}, run_name="job") as record:
        record(report)
        run_id = tracking.active_run().info.run_id
    run = tracking.MlflowClient().get_run(run_id)
    params = dict(run.data.params)
    params.pop("spark_master", None)  # present when a Spark session is active in this process
    assert params == {"method": "predict", "features": "a,b"}
    assert run.data.metrics == {"rows_in": 10.0, "rows_out": 9.0, "seconds": 0.5}
    path = tracking.artifacts.download_artifacts(run_id=run_id, artifact_path="score_report.json")
    assert pd.read_json(path, typ="series").to_dict() == {
        "rows_in": 10,
        "rows_out": 9,
        "seconds": 0.5,
    }


def test_unreachable_store_fails_before_the_job_runs(monkeypatch):
    address = f"http://127.0.0.1:{_free_port()}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", address)
    ran = []
    started = time.monotonic()
    with pytest.raises(tk.TrackingError, match="tracking store") as caught, tracked_run({"m": 1}):
        ran.append(True)
    assert ran == []
    assert address in str(caught.value) and "connection refused" in str(caught.value)
    assert time.monotonic() - started < 30  # the promise: within 30 s, not minutes of retries


@pytest.mark.parametrize("call", ["load_model", "log_model", "set_alias"])
def test_unreachable_server_is_a_named_error_within_seconds(monkeypatch, data, call):
    address = f"http://127.0.0.1:{_free_port()}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", address)
    model = LogisticRegression().fit(*data)
    calls = {
        "load_model": (tk.ModelLoadError, lambda: tk.load_model("models:/churn@champion")),
        "log_model": (tk.TrackingError, lambda: log_model(model, "clf", registered_name="x")),
        "set_alias": (tk.TrackingError, lambda: set_alias("churn", "champion", 1)),
    }
    error, run = calls[call]
    started = time.monotonic()
    with pytest.raises(error) as caught:
        run()
    message = str(caught.value)
    assert address in message and "connection refused" in message, message
    assert len(message.splitlines()) == 1
    assert time.monotonic() - started < 30


def test_a_server_that_is_not_mlflow_is_named(monkeypatch):
    import http.server
    import threading

    class NotFound(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the http.server API
            self.send_error(404)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), NotFound)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        address = f"http://127.0.0.1:{server.server_address[1]}"
        monkeypatch.setenv("MLFLOW_TRACKING_URI", address)
        with pytest.raises(tk.ModelLoadError, match="not as an MLflow server") as caught:
            tk.load_model("runs:/0123456789abcdef/model")
        assert address in str(caught.value)
    finally:
        server.shutdown()
        server.server_close()


def test_alias_needs_a_registered_name(tracking, data):
    with pytest.raises(tk.TrackingError, match="registered_name"):
        log_model(LogisticRegression().fit(*data), "clf", alias="champion")


def test_log_model_refuses_a_model_that_could_never_load(tracking):
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    X = np.arange(20.0).reshape(10, 2)
    model = make_pipeline(FunctionTransformer(lambda x: x + 1), LogisticRegression())
    with pytest.raises(tk.UnsupportedInputError, match=r"functiontransformer__func.*module level"):
        log_model(model.fit(X, X[:, 0] > 8), "clf", registered_name="never_loads")
    assert tracking.MlflowClient().search_registered_models("name = 'never_loads'") == []


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_real_tracking_server_over_http(tmp_path, monkeypatch, data):
    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable, "-m", "mlflow", "server", "--host", "127.0.0.1", "--port", str(port),
            "--backend-store-uri", f"sqlite:///{tmp_path / 'server.db'}",
            "--artifacts-destination", str(tmp_path / "artifacts"), "--workers", "1",
        ],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        _wait_for(port, server)
        monkeypatch.setenv("MLFLOW_TRACKING_URI", f"http://127.0.0.1:{port}")
        X, y = data
        model = LogisticRegression().fit(X, y)
        uri = log_model(model, "clf", registered_name="served", alias="prod")
        loaded = tk.load_model(uri)
        np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
        assert (tmp_path / "artifacts").exists()  # artifacts went through the server
    finally:
        server.terminate()
        server.wait(timeout=30)


def _wait_for(port: int, server: subprocess.Popen, timeout: float = 120) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert server.poll() is None, "mlflow server exited"
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError("mlflow server did not start")


def test_tracked_score_files_metrics_equal_the_report(spark, tracking, data, tmp_path):
    X, y = data
    model = LogisticRegression().fit(X, y)
    (tmp_path / "in").mkdir()
    X.to_parquet(tmp_path / "in" / "part-0.parquet", index=False)
    report = tk.score_files(model, tmp_path / "in", tmp_path / "out", track=True, spark=spark)
    client = tracking.MlflowClient()
    runs = client.search_runs(
        [e.experiment_id for e in client.search_experiments()],
        filter_string="attributes.run_name = 'score_files'",
        max_results=1,
    )
    run = runs[0]
    assert run.data.metrics == report.metrics()
    assert run.data.params["model_fingerprint"] == tk.fingerprint(model)
    assert run.data.params["source"] == str(tmp_path / "in")
    assert run.data.params["engine"] == "files"
    assert run.data.params["spark_master"] == spark.conf.get("spark.master")


def test_tracking_failure_scores_nothing(spark, data, tmp_path, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"http://127.0.0.1:{_free_port()}")
    X, y = data
    (tmp_path / "in").mkdir()
    X.to_parquet(tmp_path / "in" / "part-0.parquet", index=False)
    with pytest.raises(tk.TrackingError):
        tk.score_files(
            LogisticRegression().fit(X, y), tmp_path / "in", tmp_path / "out", track=True
        )
    assert not (tmp_path / "out").exists()
