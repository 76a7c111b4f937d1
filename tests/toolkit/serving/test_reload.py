"""`scaleout serve models:/name@alias --reload-interval`: moving the alias switches the
running server to the new version without a failed request; a version that does not fit
is refused and the old one keeps serving."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import urllib.request

import pytest

import toolkit as tk

pytestmark = pytest.mark.slow  # a fresh sqlite registry and a server: ~30 s


def _post(port: int, body: dict) -> tuple[int, dict]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/predict", data=json.dumps(body).encode()
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_moving_the_alias_switches_versions_without_a_failed_request(h, tmp_path):
    from toolkit.tracking import log_model, set_alias

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_TRACKING_URI", uri)
        patch.chdir(tmp_path)
        first = h.pipeline(h.make_frame(800, seed=1))
        second = h.pipeline(h.make_frame(800, seed=2))
        log_model(first, "model", registered_name="churn", alias="champion")
        port = _free_port()
        err = open(tmp_path / "serve.err", "w")  # noqa: SIM115 - closed below
        server = subprocess.Popen(
            [sys.executable, "-m", "toolkit.cli", "serve", "models:/churn@champion",
             "--port", str(port), "--reload-interval", "0.5"],
            stdout=subprocess.DEVNULL, stderr=err, cwd=tmp_path,
            env={**os.environ, "MLFLOW_TRACKING_URI": uri},
        )  # fmt: skip
        rows = h.make_frame(3, seed=9)
        body = {"rows": rows.to_dict("records"), "method": "predict_proba"}
        answers: list[tuple[int, dict]] = []
        stop = threading.Event()
        try:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                assert server.poll() is None, (tmp_path / "serve.err").read_text()
                try:
                    status, answer = _post(port, body)
                    break
                except OSError:
                    time.sleep(0.3)
            assert status == 200 and answer["version"] == "1", answer

            def client() -> None:
                while not stop.is_set():  # ~100 requests/s: leaves a core to the registry
                    answers.append(_post(port, body))
                    stop.wait(0.01)

            thread = threading.Thread(target=client, daemon=True)
            thread.start()
            log_model(second, "model", registered_name="churn")
            set_alias("churn", "champion", 2)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not any(
                a.get("version") == "2" for _, a in answers[-5:]
            ):
                time.sleep(0.2)
            # a version with other features: refused, version 2 keeps serving
            from sklearn.linear_model import LogisticRegression

            train = h.make_frame(800, seed=3)
            third = LogisticRegression().fit(train[h.NUMERIC], h.labels(train))
            log_model(third, "model", registered_name="churn")
            set_alias("churn", "champion", 3)
            time.sleep(3)
            stop.set()
            thread.join(timeout=30)
        finally:
            stop.set()
            server.terminate()
            server.wait(timeout=15)
            err.close()
    log = (tmp_path / "serve.err").read_text()
    assert answers and all(status == 200 for status, _ in answers), answers[:3]
    versions = [a["version"] for _, a in answers]
    assert versions[0] == "1" and versions[-1] == "2" and "3" not in versions
    assert versions == sorted(versions)  # one switch, never back
    assert "now serving version 2" in log
    assert "keeping version 2" in log and "features" in log
    for _, answer in answers:
        model = first if answer["version"] == "1" else second
        assert answer["fingerprint"] == tk.fingerprint(model)
        h.assert_same_records(
            answer["predictions"],
            h.expected_answer(model, rows, method="predict_proba")[1],
            tol=1e-6,
        )
