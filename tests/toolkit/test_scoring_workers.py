"""The model travels once, streaming works, and scoring is available as SQL/Column functions."""

from __future__ import annotations

import os
import sys
from collections import Counter

import numpy as np
import pandas as pd
import pytest
from pyspark import cloudpickle
from sklearn.linear_model import LogisticRegression

import toolkit as tk

NUMERIC = ["x0", "x1", "x2", "x3", "x4"]


class CountedLogisticRegression(LogisticRegression):
    """Appends this process's pid to a log file each time an instance is unpickled."""

    def __setstate__(self, state):
        super().__setstate__(state)
        with open(state["unpickle_log"], "a") as log:
            log.write(f"{os.getpid()}\n")


class RowLoggingLogisticRegression(LogisticRegression):
    """Appends the number of rows of every predict call to a log file."""

    def predict(self, X):
        with open(self.row_log, "a") as log:
            log.write(f"{len(X)}\n")
        return super().predict(X)


# workers cannot import test modules: ship these classes by value
cloudpickle.register_pickle_by_value(sys.modules[__name__])


def test_model_is_unpickled_at_most_once_per_worker(spark, frame, tmp_path):
    log = tmp_path / "unpickles.log"
    model = CountedLogisticRegression(max_iter=300).fit(frame[NUMERIC], frame["x0"] > 0)
    model.unpickle_log = str(log)
    sdf = tk.to_spark(pd.concat([frame] * 10, ignore_index=True)).repartition(12)  # 12 tasks

    def task_pids(batches):
        for batch in batches:
            yield pd.DataFrame({"pid": [os.getpid()] * len(batch)})

    out = tk.score(model, sdf, batch_size=100)  # 60 batches -> 60 model calls
    assert out.where("prediction IS NOT NULL").count() == 6000  # count() alone prunes scoring
    pids = Counter(int(line) for line in log.read_text().split())
    assert pids, "the model was never unpickled in a worker"
    assert set(pids.values()) == {1}, f"unpickled more than once in a worker: {pids}"
    assert os.getpid() not in pids  # the driver serialises, it never unpickles
    tasks_ran_in = {row.pid for row in sdf.mapInPandas(task_pids, "pid long").distinct().collect()}
    assert len(pids) <= max(len(tasks_ran_in), 2) < 12  # far fewer loads than tasks


def test_streaming_frame_scores_every_row_once(spark, frame, models, tmp_path):
    source, sink, checkpoint = tmp_path / "in", tmp_path / "out", tmp_path / "chk"
    source.mkdir()
    for i, part in enumerate(np.array_split(frame, 3)):
        part.to_parquet(source / f"part-{i}.parquet", index=False)
    schema = tk.to_spark(frame.head(1)).schema
    stream = spark.readStream.schema(schema).option("maxFilesPerTrigger", 1).parquet(str(source))
    scored = tk.score(models["pipeline"], stream, method="predict_proba")
    assert scored.isStreaming
    query = (
        scored.writeStream.format("parquet")
        .option("checkpointLocation", str(checkpoint))
        .trigger(availableNow=True)
        .start(str(sink))
    )
    query.awaitTermination(timeout=240)
    written = pd.read_parquet(sink).sort_values("id").reset_index(drop=True)
    assert written["id"].tolist() == frame["id"].tolist()  # every row, exactly once
    model = models["pipeline"]
    proba = np.array([[p["no"], p["yes"]] for p in written["probability"]])
    np.testing.assert_array_equal(proba, model.predict_proba(frame[model.feature_names_in_]))


def test_scoring_udf_in_select(spark, frame, models):
    model = models["forest"]
    proba = tk.scoring_udf(model, features=NUMERIC, method="predict_proba")
    predict = tk.scoring_udf(model, features=NUMERIC)
    sdf = tk.to_spark(frame)
    out = tk.to_pandas(
        sdf.select("id", predict().alias("label"), proba(*NUMERIC)["1"].alias("p1"))
    ).sort_values("id")
    np.testing.assert_array_equal(out["label"], model.predict(frame[NUMERIC]))
    np.testing.assert_array_equal(out["p1"], model.predict_proba(frame[NUMERIC])[:, 1])


def test_scoring_udf_maps_columns_by_position(spark, frame, models):
    """Columns passed to the UDF take the names given in features, whatever they are called."""
    model = models["logreg"]
    renamed = tk.to_spark(frame).select("id", *[tk_col(c, f"c{i}") for i, c in enumerate(NUMERIC)])
    udf = tk.scoring_udf(model, features=list(reversed(NUMERIC)))
    out = tk.to_pandas(renamed.select("id", udf("c4", "c3", "c2", "c1", "c0").alias("p")))
    np.testing.assert_array_equal(out.sort_values("id")["p"], model.predict(frame[NUMERIC]))


def tk_col(name, alias):
    from pyspark.sql import functions as F

    return F.col(name).alias(alias)


def test_scoring_udf_refuses_skip(models):
    with pytest.raises(tk.InvalidOptionError, match="cannot drop rows"):
        tk.scoring_udf(models["logreg"], features=NUMERIC, handle_invalid="skip")


def test_register_udf_for_sql(spark, frame, models):
    model = models["pipeline"]
    tk.register_udf("churn_score", model, method="predict_proba", spark=spark)
    tk.to_spark(frame).createOrReplaceTempView("customers")
    cols = ", ".join(model.feature_names_in_)
    out = tk.to_pandas(
        spark.sql(f"SELECT id, churn_score({cols}).yes AS yes FROM customers ORDER BY id")
    )
    np.testing.assert_array_equal(
        out["yes"], model.predict_proba(frame[model.feature_names_in_])[:, 1]
    )


def test_large_model_travels_as_a_broadcast(spark, frame, tmp_path):
    from sklearn.ensemble import RandomForestClassifier

    from toolkit.scoring.api import make_request
    from toolkit.scoring.worker import BROADCAST_BYTES

    big = RandomForestClassifier(n_estimators=60, random_state=0)
    big.fit(frame[NUMERIC], frame["x0"] + frame["x1"] > 0)
    scorer = make_request(big)
    assert len(scorer.blob) > BROADCAST_BYTES
    shipped = scorer.shipped(spark)
    if tk.is_connect(spark):  # Connect has no broadcasts: the bytes travel in the plan
        assert shipped.blob is scorer.blob
    else:
        assert type(shipped.blob).__name__ == "Broadcast"
    scored = tk.score(big, tk.to_spark(frame), method="predict_proba")
    out = scored.select("id", "probability.*").toPandas().sort_values("id")
    expected = big.predict_proba(frame[NUMERIC])
    np.testing.assert_array_equal(out[["False", "True"]], expected)
    report = tk.score_files(big, _parquet(frame, tmp_path / "in"), str(tmp_path / "out"))
    written = pd.read_parquet(tmp_path / "out").sort_values("id")
    assert report.rows_out == len(frame)
    np.testing.assert_array_equal(written["prediction"], big.predict(frame[NUMERIC]))


def _parquet(frame: pd.DataFrame, directory) -> str:
    directory.mkdir()
    half = len(frame) // 2
    frame.iloc[:half].to_parquet(directory / "part-0.parquet", index=False)
    frame.iloc[half:].to_parquet(directory / "part-1.parquet", index=False)
    return str(directory)


@pytest.mark.parametrize("handle_invalid", ["error", "skip", "keep"])
def test_each_row_is_scored_once(spark, frame, tmp_path, handle_invalid):
    log = tmp_path / "rows.log"
    model = RowLoggingLogisticRegression(max_iter=300).fit(frame[NUMERIC], frame["x0"] > 0)
    model.row_log = str(log)
    scored = tk.score(model, tk.to_spark(frame), handle_invalid=handle_invalid)
    out = tk.to_pandas(scored, max_rows=None)  # one job (the row-count guard is a second)
    assert len(out) == len(frame)
    assert sum(int(n) for n in log.read_text().split()) == len(frame)
