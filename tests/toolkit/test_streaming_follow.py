"""A stream that follows a registry alias: new versions between micro-batches, replays pinned.

Real parts only: a SQLite MLflow store, the registry's aliases, Spark's file stream
source and checkpoint, Parquet output read back with Spark.
"""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.linear_model import LogisticRegression

import toolkit as tk
from toolkit.tracking import log_model, set_alias

FEATURES = ["a", "b"]
# Given, not inferred: MLflow infers requirements by loading the model in a new process
# (seconds per model); what a model needs to install is not what these tests are about.
REQUIREMENTS = [f"scikit-learn=={sklearn.__version__}"]


def _batch(seed: int, n: int = 40) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(rng.normal(size=(n, 2)), columns=FEATURES)
    frame.insert(0, "id", np.arange(seed * 1000, seed * 1000 + n, dtype=np.int64))
    return frame


@pytest.fixture(scope="module")
def logged(tmp_path_factory):
    """Two registered versions of one model that disagree on every row, logged once per module:
    the store's URI and version -> model."""
    store = f"sqlite:///{tmp_path_factory.mktemp('follow') / 'mlflow.db'}"
    train = _batch(99, 200)
    labels = np.where(train["a"] > 0, "up", "down")
    first = LogisticRegression().fit(train[FEATURES], labels)
    second = LogisticRegression().fit(train[FEATURES], np.where(labels == "up", "down", "up"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_TRACKING_URI", store)
        log_model(first, "model", registered_name="follow", alias="champion")
        log_model(second, "model", registered_name="follow")
    return store, {"1": first, "2": second}


@pytest.fixture
def registry(logged, monkeypatch):
    """The two versions, the alias on v1 (a test before may have moved it)."""
    store, versions = logged
    monkeypatch.setenv("MLFLOW_TRACKING_URI", store)
    set_alias("follow", "champion", 1)
    return versions


def _start(spark, source, tmp_path):
    schema = "id long, a double, b double"
    stream = spark.readStream.schema(schema).option("maxFilesPerTrigger", 1).parquet(str(source))
    return tk.score_stream(
        "models:/follow@champion", stream, str(tmp_path / "out"),
        checkpoint=str(tmp_path / "chk"), follow_alias=True,
    )  # fmt: skip


def _drop(source, seed):
    _batch(seed).to_parquet(source / f"part-{seed}.parquet", index=False)


def _check(spark, tmp_path, registry, expected_versions):
    out = spark.read.parquet(str(tmp_path / "out")).toPandas()
    assert out["id"].is_unique
    for batch_id, version in expected_versions.items():
        rows = out[out["batch_id"] == batch_id].sort_values("id")
        assert len(rows) == 40, batch_id
        assert set(rows["model_version"]) == {version}, batch_id
        expected = registry[version].predict(rows[FEATURES])
        assert rows["prediction"].tolist() == expected.tolist(), batch_id


@pytest.mark.slow
def test_moving_the_alias_switches_later_batches_only(spark, registry, tmp_path):
    source = tmp_path / "in"
    source.mkdir()
    _drop(source, 0)
    query = _start(spark, source, tmp_path)
    try:
        query.processAllAvailable()
        set_alias("follow", "champion", 2)
        _drop(source, 1)
        query.processAllAvailable()
    finally:
        query.stop()
    _check(spark, tmp_path, registry, {0: "1", 1: "2"})


@pytest.mark.slow
def test_a_replayed_batch_keeps_the_version_it_had(spark, registry, tmp_path):
    source = tmp_path / "in"
    source.mkdir()
    _drop(source, 0)
    _drop(source, 1)
    query = _start(spark, source, tmp_path)
    try:
        query.processAllAvailable()
    finally:
        query.stop()
    # as if the driver died after batch 1 was planned and scored, before Spark committed it
    for name in ("1", ".1.crc"):
        (tmp_path / "chk" / "commits" / name).unlink(missing_ok=True)
    shutil.rmtree(tmp_path / "out" / "batch_id=1")
    set_alias("follow", "champion", 2)
    _drop(source, 2)
    query = _start(spark, source, tmp_path)
    try:
        query.processAllAvailable()
    finally:
        query.stop()
    _check(spark, tmp_path, registry, {0: "1", 1: "1", 2: "2"})


def test_a_version_that_fails_to_load_keeps_the_old_one(spark, registry, tmp_path):
    from toolkit.scoring.streaming import _Follower

    follower = _Follower.start(
        "models:/follow@champion", follow_alias=True, trusted=False,
        options={"features": None, "method": "predict", "output_col": None,
                 "handle_invalid": "error"},
        records=tmp_path / "records",
    )  # fmt: skip
    import mlflow.sklearn

    with mlflow.start_run():  # a new version: pickle, which does not load without trusted=True
        info = mlflow.sklearn.log_model(
            registry["2"], name="model", registered_model_name="follow",
            serialization_format="pickle", pip_requirements=REQUIREMENTS,
        )  # fmt: skip
    set_alias("follow", "champion", info.registered_model_version)
    assert follower._version_for(0).label == "1"
    assert (tmp_path / "records" / "0.json").read_text() == '{"version": "1"}'


def test_follow_alias_needs_an_alias_uri(spark, models, tmp_path):
    stream = spark.readStream.schema("x0 double").parquet(str(tmp_path))
    with pytest.raises(tk.InvalidOptionError, match=r"models:/<name>@<alias>"):
        tk.score_stream(models["logreg"], stream, str(tmp_path / "o"),
                        checkpoint=str(tmp_path / "c"), follow_alias=True)  # fmt: skip


def test_a_batch_frame_is_refused(spark, models, frame, tmp_path):
    with pytest.raises(tk.InvalidOptionError, match="needs a streaming DataFrame"):
        tk.score_stream(models["logreg"], tk.to_spark(frame), str(tmp_path / "o"),
                        checkpoint=str(tmp_path / "c"))  # fmt: skip
