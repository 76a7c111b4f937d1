"""``engine="onnx"``: the workers score with onnxruntime on the model's checked export,
scikit-learn's values within 1e-12 for a forest regressor, and scikit-learn itself for
every batch the export does not vouch for (so refusals are the Python path's)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import (
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.linear_model import LinearRegression

import toolkit as tk
from toolkit.scoring.api import make_request
from toolkit.scoring.worker import cached_model

pytest.importorskip("onnxruntime")
pytest.importorskip("skl2onnx")

COLUMNS = [f"f{i}" for i in range(6)]


def _data(seed: int, n: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        rng.normal(size=(n, len(COLUMNS))) * [1, 10, 100, 1, 1, 1], columns=COLUMNS
    )
    frame.loc[:1, "f0"] = [0.0, -0.0]
    return frame


TRAIN, ROWS = _data(0, 2000), _data(1, 500)
TARGET = TRAIN["f0"] * 2 + np.sin(TRAIN["f1"])


@pytest.fixture(scope="module")
def forest():
    return RandomForestRegressor(n_estimators=20, max_depth=6, random_state=0).fit(TRAIN, TARGET)


def test_onnx_runs_in_onnxruntime_and_falls_back_for_rows_it_cannot_vouch_for(forest):
    request = make_request(forest, engine="onnx")
    assert request.engine == "onnx"
    values = request.score(ROWS).values.to_numpy()
    assert cached_model(request.key, request.blob)._session is not None  # onnxruntime ran
    np.testing.assert_allclose(values, forest.predict(ROWS), rtol=1e-12, atol=1e-12)
    missing = ROWS.copy()
    missing.loc[3, "f2"] = np.nan  # not vouched for: scikit-learn scores the batch
    assert request.score(missing).values.to_numpy().tolist() == forest.predict(missing).tolist()


def test_onnx_on_spark_equals_scikit_learn_and_refuses_as_python_does(spark, forest):
    data = spark.createDataFrame(ROWS)
    got = tk.score(forest, data, engine="onnx").toPandas()["prediction"].to_numpy()
    np.testing.assert_allclose(got, forest.predict(ROWS), rtol=1e-12, atol=1e-12)
    linear = LinearRegression().fit(TRAIN, TARGET)
    bad = ROWS.copy()
    bad.loc[7, "f1"] = np.inf
    messages = []
    for engine in ("onnx", "python"):
        with pytest.raises(tk.InvalidInputError) as caught, tk.worker_errors():
            tk.score(linear, spark.createDataFrame(bad), engine=engine).collect()
        messages.append(str(caught.value))
    assert messages[0] == messages[1]
    assert "column 'f1' has an infinite value (inf)" in messages[0]


def test_auto_uses_onnx_only_where_it_is_exact_and_faster(forest):
    assert make_request(forest, engine="auto").engine == "onnx"
    classifier = RandomForestClassifier(n_estimators=5, random_state=0).fit(TRAIN, TARGET > 0)
    assert make_request(classifier, engine="auto").engine == "auto"  # measured slower in onnx
    boosted = HistGradientBoostingRegressor(max_iter=5).fit(TRAIN, TARGET)
    with pytest.raises(tk.ExportError, match="HistGradientBoostingRegressor"):
        make_request(boosted, engine="onnx")


def test_score_files_runs_onnx_on_the_files_engine(spark, forest, tmp_path):
    ROWS.to_parquet(tmp_path / "rows.parquet")
    report = tk.score_files(forest, tmp_path / "rows.parquet", tmp_path / "out",
                            model_engine="onnx", spark=spark)  # fmt: skip
    assert report.rows_out == len(ROWS)
    got = pd.read_parquet(tmp_path / "out")["prediction"].to_numpy()
    np.testing.assert_allclose(got, forest.predict(ROWS), rtol=1e-12, atol=1e-12)
