"""Untrusted bytes are not code: every model source obeys the same rule.

A pickle-format MLflow model whose ``model.pkl`` would create a marker file when
unpickled is loaded from each source without ``trusted=True``: the load is refused
and the marker never appears. Real MLflow stores and files throughout (no mocks).
"""

from __future__ import annotations

import os
import pathlib
import pickle
import struct
import subprocess
import sys
import textwrap
import zipfile
import zlib

import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.linear_model import LogisticRegression

import toolkit as tk
from toolkit.models.skops_io import check_skops_archive

# Given, not inferred: MLflow infers requirements by loading the model in a new process
# (seconds per model); what a model needs to install is not what these tests are about.
REQUIREMENTS = [f"scikit-learn=={sklearn.__version__}"]


class Payload:
    """Unpickling this object touches ``marker``: stands for any code in a pickle."""

    def __init__(self, marker: pathlib.Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (pathlib.Path.touch, (self.marker,))


@pytest.fixture(scope="module")
def fitted():
    rng = np.random.default_rng(7)
    X = pd.DataFrame(rng.normal(size=(60, 3)), columns=["a", "b", "c"])
    return LogisticRegression().fit(X, X["a"] > 0), X


@pytest.fixture
def marker(tmp_path):
    path = tmp_path / "pwned"
    yield path
    assert not path.exists(), "the pickle payload ran"


@pytest.fixture
def store(tmp_path, monkeypatch):
    """A real local MLflow store (sqlite + artifacts under tmp_path)."""
    import mlflow

    monkeypatch.chdir(tmp_path)  # MLflow puts artifacts under ./mlruns
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    yield mlflow
    if mlflow.active_run():
        mlflow.end_run()


def _hostile_directory(path: pathlib.Path, model, marker: pathlib.Path) -> pathlib.Path:
    """A genuine pickle-format MLflow model directory whose model.pkl is then replaced."""
    import mlflow.sklearn

    mlflow.sklearn.save_model(model, str(path), serialization_format="pickle",
                              pip_requirements=REQUIREMENTS)  # fmt: skip
    (path / "model.pkl").write_bytes(pickle.dumps(Payload(marker)))
    return path


def _log_hostile(mlflow, model, marker: pathlib.Path, *, registered: str | None = None) -> str:
    with mlflow.start_run() as run:
        info = mlflow.sklearn.log_model(
            model, name="model", serialization_format="pickle", registered_model_name=registered,
            pip_requirements=REQUIREMENTS,
        )  # fmt: skip
    stored = list((pathlib.Path.cwd() / "mlruns").rglob("model.pkl"))  # the local artifact root
    assert stored, f"no model.pkl stored for {info.model_uri}"
    for path in stored:
        path.write_bytes(pickle.dumps(Payload(marker)))
    return run.info.run_id


def test_mlflow_directory_with_pickle_is_refused(tmp_path, fitted, marker):
    directory = _hostile_directory(tmp_path / "mlmodel", fitted[0], marker)
    with pytest.raises(tk.UntrustedModelError, match=r"serialization_format='pickle'.*trusted="):
        tk.load_model(directory)
    with pytest.raises(tk.UntrustedModelError, match=r"save_model"):
        tk.load_model(str(directory), trusted=["anything"])  # a list is for skops types


def test_file_uri_with_pickle_is_refused(tmp_path, fitted, marker):
    directory = _hostile_directory(tmp_path / "mlmodel", fitted[0], marker)
    for uri in (directory.as_uri(), f"file://{directory}"):
        with pytest.raises(tk.UntrustedModelError, match="pickle"):
            tk.load_model(uri)


def test_runs_uri_with_pickle_is_refused(store, fitted, marker):
    run_id = _log_hostile(store, fitted[0], marker)
    with pytest.raises(tk.UntrustedModelError, match=rf"runs:/{run_id}/model.*pickle"):
        tk.load_model(f"runs:/{run_id}/model")


def test_models_alias_with_pickle_is_refused(store, fitted, marker):
    _log_hostile(store, fitted[0], marker, registered="hostile")
    store.MlflowClient().set_registered_model_alias("hostile", "champion", "1")
    with pytest.raises(tk.UntrustedModelError, match=r"models:/hostile@champion.*pickle"):
        tk.load_model("models:/hostile@champion")
    with pytest.raises(tk.UntrustedModelError):
        tk.load_model("models:/hostile/1")


def test_cli_score_refuses_a_pickle_mlflow_model(tmp_path, fitted, marker):
    directory = _hostile_directory(tmp_path / "mlmodel", fitted[0], marker)
    (tmp_path / "in").mkdir()
    fitted[1].to_parquet(tmp_path / "in" / "part-0.parquet", index=False)
    done = subprocess.run(
        [sys.executable, "-m", "toolkit.cli", "score", str(directory), str(tmp_path / "in"),
         str(tmp_path / "out")],
        capture_output=True, text=True, timeout=300, env={**os.environ, "SPARK_REMOTE": ""},
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "error:" in lines[0] and "pickle" in lines[0] and "trusted" in lines[0]
    assert not (tmp_path / "out").exists()


def test_trusted_pickle_mlflow_model_loads(tmp_path, fitted):
    import mlflow.sklearn

    model, X = fitted
    for fmt in ("pickle", "cloudpickle"):
        mlflow.sklearn.save_model(model, str(tmp_path / fmt), serialization_format=fmt,
                                  pip_requirements=REQUIREMENTS)  # fmt: skip
        loaded = tk.load_model(tmp_path / fmt, trusted=True)
        np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


def test_skops_mlflow_model_loads_without_trust(tmp_path, fitted):
    import mlflow.sklearn

    model, X = fitted
    mlflow.sklearn.save_model(model, str(tmp_path / "m"), serialization_format="skops",
                              pip_requirements=REQUIREMENTS)  # fmt: skip
    for source in (tmp_path / "m", (tmp_path / "m").as_uri()):
        loaded = tk.load_model(source)
        np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


def test_skops_mlflow_model_with_unknown_type_needs_naming(tmp_path, monkeypatch):
    import mlflow.sklearn
    from sklearn.pipeline import make_pipeline

    (tmp_path / "trust_steps.py").write_text(
        textwrap.dedent(
            """
            from sklearn.base import BaseEstimator, TransformerMixin

            class Halver(TransformerMixin, BaseEstimator):
                def fit(self, X, y=None):
                    self.n_features_in_ = X.shape[1]
                    return self

                def transform(self, X):
                    return X / 2
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    import trust_steps

    X = np.arange(20.0).reshape(10, 2)
    model = make_pipeline(trust_steps.Halver(), LogisticRegression()).fit(X, X[:, 0] > 8)
    mlflow.sklearn.save_model(
        model, str(tmp_path / "m"), serialization_format="skops",
        skops_trusted_types=["trust_steps.Halver"],  # the file cannot vouch for itself
        pip_requirements=REQUIREMENTS,
    )  # fmt: skip
    with pytest.raises(tk.UntrustedModelError, match=r"trust_steps\.Halver.*trusted="):
        tk.load_model(tmp_path / "m")
    loaded = tk.load_model(tmp_path / "m", trusted=["trust_steps.Halver"])
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    sys.modules.pop("trust_steps", None)


def test_mlflow_model_without_sklearn_flavor(tmp_path, fitted):
    import mlflow.sklearn

    mlflow.sklearn.save_model(fitted[0], str(tmp_path / "m"), serialization_format="skops",
                              pip_requirements=REQUIREMENTS)  # fmt: skip
    text = (tmp_path / "m" / "MLmodel").read_text()
    (tmp_path / "m" / "MLmodel").write_text(text.replace("  sklearn:", "  other_flavor:"))
    with pytest.raises(tk.ModelLoadError, match="without a scikit-learn flavor"):
        tk.load_model(tmp_path / "m")


def test_save_model_refuses_a_lambda_and_writes_nothing(tmp_path):
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    X = np.arange(20.0).reshape(10, 2)
    model = make_pipeline(FunctionTransformer(lambda x: x * 2), LogisticRegression())
    model.fit(X, X[:, 0] > 8)
    with pytest.raises(
        tk.UnsupportedInputError, match=r"functiontransformer__func=.*<lambda>.*module level"
    ):
        tk.save_model(model, tmp_path / "sub" / "model.skops")
    assert list(tmp_path.iterdir()) == []


def test_save_model_keeps_module_level_functions(tmp_path):
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    X = np.arange(1.0, 21.0).reshape(10, 2)
    model = make_pipeline(FunctionTransformer(np.log1p), LogisticRegression())
    model.fit(X, X[:, 0] > 8)
    loaded = tk.load_model(tk.save_model(model, tmp_path / "model.skops"))
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    assert [p.name for p in tmp_path.iterdir()] == ["model.skops"]  # no temporary file left


def _zip_bomb(path: pathlib.Path) -> pathlib.Path:
    """A ~300 KB skops-like zip whose schema.json expands to 256 MiB of dense JSON."""
    chunk = b"[]," * (1 << 20)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        out = zf.open("schema.json", "w", force_zip64=True)
        out.write(b"[")
        for _ in range(85):
            out.write(chunk)
        out.write(b"[]]")
        out.close()
    return path


def _many_entries(path: pathlib.Path) -> pathlib.Path:
    """schema.json and 200,001 empty files, stored: the zip's records written directly
    (``zipfile.writestr`` takes seconds for 200,002 entries), with the zip64 end records
    that a count over 65,535 needs. ``zipfile`` reads it back like its own."""
    schema = b'{"__class__": "LogisticRegression"}'
    entries = [(b"schema.json", schema), *((f"{i:x}".encode(), b"") for i in range(200_001))]
    local, central = bytearray(), bytearray()
    for name, data in entries:
        crc, size, offset = zlib.crc32(data), len(data), len(local)
        # version 2.0, no flags, stored, 1980-01-01 00:00
        local += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 0, 0, 0x21, crc, size, size,
                             len(name), 0) + name + data  # fmt: skip
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 20, 0, 0, 0, 0x21, crc,
                               size, size, len(name), 0, 0, 0, 0, 0, offset) + name  # fmt: skip
    count, start, length = len(entries), len(local), len(central)
    end64 = struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, count, count, length, start)
    locator = struct.pack("<IIQI", 0x07064B50, 0, start + length, 1)
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, length, start, 0)
    path.write_bytes(local + central + end64 + locator + end)
    return path


def _dense_schema(path: pathlib.Path) -> pathlib.Path:
    with zipfile.ZipFile(path, "w") as zf:  # stored: no compression ratio to catch
        zf.writestr("schema.json", b"[" + b"0," * (2 << 20) + b"0]")
    return path


_MEASURE = """
import json, resource, sys, time
import skops.io, toolkit as tk
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.monotonic()
try:
    tk.load_model(sys.argv[1])
    outcome = "loaded"
except tk.ModelLoadError as exc:
    outcome = f"{type(exc).__name__}: {exc}"
grew = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
print(json.dumps({"outcome": outcome, "grew_mib": grew, "seconds": time.monotonic() - started}))
"""


@pytest.mark.parametrize(
    ("build", "limit"),
    [
        (_zip_bomb, "expand"),
        (_many_entries, "200,000"),
        (_dense_schema, "bytes per value"),
    ],
)
def test_hostile_skops_file_is_refused_quickly_in_bounded_memory(tmp_path, build, limit):
    import json

    path = build(tmp_path / "hostile.skops")
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(path)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["outcome"].startswith("UntrustedModelError"), result
    assert limit in result["outcome"] and "trusted=True" in result["outcome"], result
    assert result["grew_mib"] < 100, result  # unbounded, the bomb takes gigabytes
    assert result["seconds"] < 30, result


def test_real_models_pass_the_archive_limits(tmp_path):
    from sklearn.ensemble import RandomForestClassifier

    X = np.random.default_rng(1).normal(size=(300, 4))
    model = RandomForestClassifier(n_estimators=30, random_state=0).fit(X, X[:, 0] > 0)
    path = tk.save_model(model, tmp_path / "forest.skops")
    check_skops_archive(path, origin=str(path))
    compressed = tmp_path / "compressed.skops"
    import skops.io as sio

    sio.dump(model, compressed, compression=zipfile.ZIP_DEFLATED, compresslevel=9)
    loaded = tk.load_model(compressed)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
