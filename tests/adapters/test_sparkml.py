"""SklearnTransformer / SklearnEstimator: real Spark ML stages over real scikit-learn models."""

from __future__ import annotations

import glob
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pyspark.ml import Pipeline
from pyspark.ml.feature import SQLTransformer, StringIndexer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.feature_selection import SelectKBest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import toolkit as tk
from adapters.sparkml import SklearnEstimator, SklearnTransformer, trusted_types

REPO = Path(__file__).resolve().parents[2]
FEATURES = ["age", "income", "plan_idx"]


def churn_frame(n: int = 240, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "id": np.arange(n, dtype=np.int64),
            "age": rng.integers(18, 80, n).astype(float),
            "income": rng.normal(50.0, 12.0, n),
            "plan": rng.choice(["basic", "pro", "max"], n),
        }
    )
    signal = (frame["age"] < 40) ^ (rng.random(n) < 0.15)
    frame["churned"] = np.where(signal | (frame["plan"] == "max"), "yes", "no")
    return frame


@pytest.fixture(scope="module")
def churn() -> pd.DataFrame:
    return churn_frame()


@pytest.fixture(scope="module")
def indexed_pdf(spark, churn) -> pd.DataFrame:
    """The churn frame with plan_idx and a 0/1 label from StringIndexer, collected once."""
    indexer = StringIndexer(inputCols=["plan", "churned"], outputCols=["plan_idx", "label"])
    sdf = spark.createDataFrame(churn)
    return tk.to_pandas(indexer.fit(sdf).transform(sdf)).sort_values("id").reset_index(drop=True)


@pytest.fixture(scope="module")
def indexed(spark, indexed_pdf):
    return spark.createDataFrame(indexed_pdf)


@pytest.fixture(scope="module")
def local_model(indexed_pdf):
    """A LogisticRegression pipeline fit with plain scikit-learn on the indexed data."""
    pdf = indexed_pdf
    return make_pipeline(StandardScaler(), LogisticRegression()).fit(pdf[FEATURES], pdf["label"])


def assert_same(got, expected) -> None:
    """Equal up to BLAS rounding (worker batches vs one local call); labels are compared exactly."""
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=0)


def by_id(sdf) -> pd.DataFrame:
    return sdf.toPandas().sort_values("id").reset_index(drop=True)


# -- SklearnTransformer ----------------------------------------------------------------


def test_transformer_scores_like_local_sklearn(indexed, indexed_pdf, local_model):
    stage = SklearnTransformer(model=local_model, method="predict_proba")
    out = by_id(stage.transform(indexed))
    pdf = indexed_pdf
    expected = local_model.predict_proba(pdf[FEATURES])
    got = np.array([[row["0.0"], row["1.0"]] for row in out["probability"]])
    assert_same(got, expected)

    stage.setMethod("predict").setOutputCol("churn_hat")
    out = by_id(stage.transform(indexed))
    np.testing.assert_array_equal(out["churn_hat"], local_model.predict(pdf[FEATURES]))


def test_params_are_typed_keyword_only_and_the_model_stays_outside_them(churn):
    local_model = LogisticRegression().fit(churn[["age", "income"]], churn["churned"])
    with pytest.raises(TypeError, match="keyword"):
        SklearnTransformer(local_model)  # type: ignore[misc]
    stage = SklearnTransformer(
        model=local_model, inputCols=["age", "income"], method="predict_proba"
    )
    assert stage.getInputCols() == ["age", "income"]
    assert stage.getOutputCol() == "probability"  # the method's default name
    assert stage.getHandleInvalid() == "error" and stage.getVectorOutput() is False
    assert {p.name for p in stage.params} == {
        "inputCols",
        "outputCol",
        "method",
        "handleInvalid",
        "vectorOutput",
    }
    assert all(value is not local_model for value in stage.extractParamMap().values())
    copied = stage.copy({stage.method: "predict"})
    assert copied.getModel() is local_model and copied.getMethod() == "predict"
    assert stage.getMethod() == "predict_proba" and copied.uid == stage.uid
    with pytest.raises(TypeError, match="vectorOutput"):
        stage.setVectorOutput("maybe")
    with pytest.raises(TypeError, match="error, skip, keep"):
        stage.setHandleInvalid("ignore")
    with pytest.raises(TypeError, match="predict_proba"):
        SklearnEstimator(method="predict_probability")
    with pytest.raises(tk.ModelLoadError, match="not fitted"):
        SklearnTransformer(model=LogisticRegression())


def test_vector_output_gives_mllib_vectors(indexed, indexed_pdf, local_model):
    from pyspark.ml.linalg import VectorUDT

    stage = SklearnTransformer(model=local_model, method="predict_proba", vectorOutput=True)
    out = stage.transform(indexed)
    assert isinstance(out.schema["probability"].dataType, VectorUDT)
    rows = sorted(out.select("id", "probability").collect())
    expected = local_model.predict_proba(indexed_pdf[FEATURES])
    assert_same(np.array([r["probability"].toArray() for r in rows]), expected)


def test_handle_invalid_keep_and_skip(spark, local_model):
    pdf = pd.DataFrame({"id": [0, 1, 2], "age": [30.0, np.nan, 50.0], "income": [40.0] * 3})
    pdf["plan_idx"] = 1.0
    sdf = spark.createDataFrame(pdf)
    with pytest.raises(tk.InvalidInputError, match="age"), tk.exceptions.worker_errors():
        SklearnTransformer(model=local_model).transform(sdf).collect()
    kept = by_id(SklearnTransformer(model=local_model, handleInvalid="keep").transform(sdf))
    assert kept["prediction"].isna().tolist() == [False, True, False]
    assert "age" in kept["prediction_error"][1]
    skipped = SklearnTransformer(model=local_model, handleInvalid="skip").transform(sdf)
    assert sorted(r.id for r in skipped.collect()) == [0, 2]


# -- persistence -----------------------------------------------------------------------


def read_metadata(path: Path) -> dict:
    (part,) = glob.glob(str(path / "metadata" / "part-*"))
    return json.loads(Path(part).read_text())


def test_save_load_roundtrip_records_versions(tmp_path, indexed, local_model):
    import sklearn
    import skops.io as sio

    stage = SklearnTransformer(model=local_model, method="predict_proba", outputCol="p")
    stage.write().save(str(tmp_path / "stage"))
    loaded = SklearnTransformer.load(str(tmp_path / "stage"))
    assert loaded.uid == stage.uid
    assert loaded.extractParamMap() == stage.extractParamMap()
    assert by_id(loaded.transform(indexed)).equals(by_id(stage.transform(indexed)))

    saved = read_metadata(tmp_path / "stage")["scaleout"]
    assert saved["sklearnVersion"] == sklearn.__version__
    assert saved["pythonVersion"] == ".".join(map(str, sys.version_info[:3]))
    assert saved["scaleoutVersion"] == tk.__version__
    assert saved["objectClass"] == "sklearn.pipeline.Pipeline"
    # path/data is the model as skops bytes, loadable by skops itself
    blob = pd.read_parquet(tmp_path / "stage" / "data")["skops"].iloc[0]
    assert type(sio.loads(blob, trusted=sio.get_untrusted_types(data=blob))).__name__ == "Pipeline"


def test_save_over_existing_path_fails_and_keeps_the_old_model(
    tmp_path, indexed, indexed_pdf, local_model
):
    path = str(tmp_path / "stage")
    old = SklearnTransformer(model=local_model, method="predict_proba")
    old.save(path)
    before = sorted(p.name for p in (tmp_path / "stage").rglob("*"))
    other = make_pipeline(StandardScaler(), LogisticRegression(C=0.001))
    pdf = indexed_pdf
    new = SklearnTransformer(model=other.fit(pdf[FEATURES], pdf["label"]), method="predict_proba")

    with pytest.raises(tk.DestinationExistsError, match="overwrite") as caught:
        new.write().save(path)
    assert isinstance(caught.value, FileExistsError)
    assert sorted(p.name for p in (tmp_path / "stage").rglob("*")) == before
    kept = SklearnTransformer.load(path)
    assert kept.uid == old.uid
    assert by_id(kept.transform(indexed)).equals(by_id(old.transform(indexed)))

    new.write().overwrite().save(path)
    replaced = SklearnTransformer.load(path)
    assert replaced.uid == new.uid and replaced.getModel().steps[-1][1].C == 0.001


def test_loading_under_another_sklearn_version_warns(tmp_path, local_model):
    path = tmp_path / "stage"
    SklearnTransformer(model=local_model).save(str(path))
    (part,) = glob.glob(str(path / "metadata" / "part-*"))
    metadata = json.loads(Path(part).read_text())
    metadata["scaleout"]["sklearnVersion"] = "1.2.0"
    Path(part).write_text(json.dumps(metadata) + "\n")
    for crc in glob.glob(str(path / "metadata" / ".*.crc")):
        os.remove(crc)  # the local file system checks its checksums

    import sklearn

    with pytest.warns(tk.ToolkitAdviceWarning) as record:
        SklearnTransformer.load(str(path))
    message = str(record[0].message)
    assert "1.2.0" in message and sklearn.__version__ in message


def test_untrusted_types_need_naming(tmp_path, indexed, indexed_pdf):
    pdf = indexed_pdf
    model = make_pipeline(SelectKBest(k=2), LogisticRegression()).fit(pdf[FEATURES], pdf["label"])
    path = str(tmp_path / "stage")
    SklearnTransformer(model=model).save(path)
    name = "sklearn.feature_selection._univariate_selection.f_classif"  # a function: code
    with pytest.raises(tk.UntrustedModelError, match="f_classif"):
        SklearnTransformer.load(path)
    with trusted_types([name]):
        loaded = SklearnTransformer.load(path)
    assert by_id(loaded.transform(indexed))["prediction"].tolist() == list(
        model.predict(indexed_pdf[FEATURES])
    )


def test_unfitted_pipeline_with_estimator_saves_and_loads(tmp_path, indexed):
    est = SklearnEstimator(
        estimator=LogisticRegression(),
        inputCols=FEATURES,
        estimatorParams={"C": 0.05, "max_iter": 500},
        method="predict_proba",
    )
    path = str(tmp_path / "pipeline")
    Pipeline(stages=[SQLTransformer(statement="SELECT * FROM __THIS__"), est]).save(path)
    loaded = Pipeline.load(path)
    stage = loaded.getStages()[-1]
    assert isinstance(stage, SklearnEstimator) and stage.uid == est.uid
    assert stage.getEstimatorParams() == {"C": 0.05, "max_iter": 500}
    assert type(stage.getEstimator()) is LogisticRegression
    fitted = loaded.fit(indexed).stages[-1].getModel()
    assert fitted.C == 0.05 and fitted.max_iter == 500


def test_estimator_params_must_be_json_to_save(tmp_path):
    est = SklearnEstimator(estimator=LogisticRegression(), inputCols=FEATURES)
    est.setEstimatorParams({"solver": object()})
    with pytest.raises(tk.UnsupportedInputError, match="JSON"):
        est.save(str(tmp_path / "e"))
    assert not (tmp_path / "e").exists()


# -- SklearnEstimator ------------------------------------------------------------------


def test_estimator_after_native_stages_fits_like_local_sklearn(spark, churn):
    sdf = spark.createDataFrame(churn)
    pipeline = Pipeline(
        stages=[
            StringIndexer(inputCols=["plan", "churned"], outputCols=["plan_idx", "label"]),
            SQLTransformer(statement="SELECT *, income / age AS ratio FROM __THIS__"),
            SklearnEstimator(
                estimator=make_pipeline(StandardScaler(), LogisticRegression()),
                inputCols=[*FEATURES, "ratio"],
                estimatorParams={"logisticregression__C": 0.5},
            ),
        ]
    )
    model = pipeline.fit(sdf)
    stage = model.stages[-1]
    assert isinstance(stage, SklearnTransformer)
    assert stage.getInputCols() == [*FEATURES, "ratio"] and stage.getOutputCol() == "prediction"

    prepared = tk.to_pandas(model.stages[1].transform(model.stages[0].transform(sdf)))
    local = make_pipeline(StandardScaler(), LogisticRegression(C=0.5))
    local.fit(prepared[[*FEATURES, "ratio"]], prepared["label"])
    np.testing.assert_allclose(stage.getModel()[-1].coef_, local[-1].coef_, rtol=1e-6)
    out = by_id(model.transform(sdf))
    assert (out["prediction"] == local.predict(out[[*FEATURES, "ratio"]])).mean() == 1.0


def test_estimator_collects_through_the_guard_or_samples(spark):
    sdf = spark.range(400).selectExpr("id", "cast(id AS double) AS x")
    est = SklearnEstimator(estimator=StandardScaler(), inputCols=["x"], method="transform")
    with pytest.raises(tk.DriverMemoryError, match="setSampleFraction"):
        est.setMaxRows(100).fit(sdf)  # no label column: an unsupervised fit
    est.setSampleFraction(0.2).setSeed(7)
    scaler = est.fit(sdf).getModel()
    assert scaler.n_samples_seen_ == sdf.sample(False, 0.2, seed=7).count() < 100
    with pytest.raises(tk.SchemaMismatchError, match="labelCol"):
        SklearnEstimator(estimator=LogisticRegression(), inputCols=["x"]).fit(sdf)
    with pytest.raises(tk.SchemaMismatchError, match="inputCols"):
        SklearnEstimator(estimator=LogisticRegression()).fit(sdf)


# -- acceptance: Pipeline [StringIndexer, SklearnEstimator(HGB)] in a fresh process ------

FRESH_PROCESS = textwrap.dedent(
    """
    import sys
    import toolkit as tk
    from pyspark.ml import PipelineModel

    model_path, data_path, out_path = sys.argv[1:]
    spark = tk.session()
    model = PipelineModel.load(model_path)
    data = spark.read.parquet(data_path)
    model.transform(data).select("id", "probability").write.parquet(out_path + "/proba")
    stage = model.stages[-1].setMethod("predict")
    model.transform(data).select("id", "prediction").write.parquet(out_path + "/pred")
    spark.stop()
    """
)


def connect_url(spark) -> str | None:
    if not tk.is_connect(spark):
        return None
    return f"sc://{spark.client._builder.endpoint}"


@pytest.mark.slow
def test_pipeline_saved_loads_in_a_fresh_process_with_equal_predictions(spark, churn, tmp_path):
    sdf = spark.createDataFrame(churn)
    pipeline = Pipeline(
        stages=[
            StringIndexer(inputCols=["plan", "churned"], outputCols=["plan_idx", "label"]),
            SklearnEstimator(
                estimator=HistGradientBoostingClassifier(max_iter=30, random_state=0),
                inputCols=FEATURES,
                method="predict_proba",
            ),
        ]
    )
    model = pipeline.fit(sdf)
    model.write().overwrite().save(str(tmp_path / "model"))
    sdf.write.parquet(str(tmp_path / "data"))
    expected_proba = by_id(model.transform(sdf).select("id", "probability"))
    model.stages[-1].setMethod("predict")
    expected_pred = by_id(model.transform(sdf).select("id", "prediction"))

    env = {**os.environ, "PYTHONPATH": str(REPO), "SPARK_MASTER": "local[1]"}
    if connect_url(spark):  # reuse the running Connect server; the Python process is new
        env["SPARK_REMOTE"] = connect_url(spark)
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            FRESH_PROCESS,
            *(str(tmp_path / p) for p in ("model", "data", "out")),
        ],
        env=env,
        cwd=str(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]

    got_proba = pd.read_parquet(tmp_path / "out" / "proba").sort_values("id").reset_index(drop=True)
    got_pred = pd.read_parquet(tmp_path / "out" / "pred").sort_values("id").reset_index(drop=True)
    pd.testing.assert_frame_equal(got_pred, expected_pred, check_exact=True)
    proba = lambda frame: np.array([[r["0.0"], r["1.0"]] for r in frame["probability"]])  # noqa: E731
    np.testing.assert_array_equal(proba(got_proba), proba(expected_proba))
    assert got_pred["prediction"].nunique() == 2  # a real model, not a constant
