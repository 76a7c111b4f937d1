"""SklearnEstimator inside CrossValidator / TrainValidationSplit with MLlib evaluators."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pyspark.ml import Pipeline
from pyspark.ml.evaluation import BinaryClassificationEvaluator, MulticlassClassificationEvaluator
from pyspark.ml.feature import SQLTransformer
from pyspark.ml.tuning import (
    CrossValidator,
    CrossValidatorModel,
    ParamGridBuilder,
    TrainValidationSplit,
)
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, PredefinedSplit

from adapters.sparkml import SklearnEstimator, SklearnTransformer

FEATURES = [f"x{i}" for i in range(12)]
GRID = [{"C": 0.003}, {"C": 0.1}, {"C": 100.0}]


@pytest.fixture(scope="module")
def noisy() -> pd.DataFrame:
    """Three informative features and nine noise ones: too little and too much C both lose."""
    rng = np.random.default_rng(0)
    n = 150
    frame = pd.DataFrame(rng.normal(size=(n, len(FEATURES))), columns=FEATURES)
    logit = 1.2 * frame["x0"] - 0.8 * frame["x1"] + 0.5 * frame["x2"]
    frame["label"] = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(float)
    frame["fold"] = np.arange(n, dtype=np.int32) % 3
    frame.insert(0, "id", np.arange(n, dtype=np.int64))
    return frame


@pytest.mark.slow
def test_cross_validator_picks_what_grid_search_picks_on_the_same_folds(spark, noisy, tmp_path):
    est = SklearnEstimator(
        estimator=LogisticRegression(),
        inputCols=FEATURES,
        method="predict_proba",
        vectorOutput=True,  # BinaryClassificationEvaluator reads a probability vector
    )
    grid = ParamGridBuilder().addGrid(est.estimatorParams, GRID).build()
    cv = CrossValidator(
        estimator=est,
        estimatorParamMaps=grid,
        evaluator=BinaryClassificationEvaluator(rawPredictionCol="probability"),
        numFolds=3,
        foldCol="fold",  # the same folds scikit-learn gets below
        parallelism=2,
    )
    cv_model = cv.fit(spark.createDataFrame(noisy))

    search = GridSearchCV(
        LogisticRegression(),
        {"C": [point["C"] for point in GRID]},
        scoring="roc_auc",
        cv=PredefinedSplit(noisy["fold"]),
    ).fit(noisy[FEATURES], noisy["label"])

    # every grid point scores the same, not only the winner
    np.testing.assert_allclose(
        cv_model.avgMetrics, search.cv_results_["mean_test_score"], rtol=1e-9
    )
    assert np.ptp(cv_model.avgMetrics) > 1e-3  # the choice is not a near tie
    best = grid[int(np.argmax(cv_model.avgMetrics))][est.estimatorParams]
    assert best == search.best_params_ == {"C": 0.1}  # neither end of the grid wins
    best_model = cv_model.bestModel
    assert isinstance(best_model, SklearnTransformer) and best_model.getModel().C == 0.1
    np.testing.assert_allclose(
        best_model.getModel().coef_, search.best_estimator_.coef_, rtol=1e-6, atol=1e-9
    )

    cv_model.write().save(str(tmp_path / "cv"))  # the tuning result persists like a native one
    loaded = CrossValidatorModel.load(str(tmp_path / "cv"))
    assert loaded.avgMetrics == cv_model.avgMetrics
    assert loaded.getEstimatorParamMaps()[1][loaded.getEstimator().estimatorParams] == {"C": 0.1}
    assert loaded.bestModel.getModel().C == 0.1


@pytest.mark.slow
def test_train_validation_split_over_a_pipeline_refits_the_best_point(spark, noisy):
    est = SklearnEstimator(estimator=LogisticRegression(), inputCols=FEATURES[:4])
    grid = ParamGridBuilder().addGrid(est.estimatorParams, GRID).build()
    tvs = TrainValidationSplit(
        estimator=Pipeline(stages=[SQLTransformer(statement="SELECT * FROM __THIS__"), est]),
        estimatorParamMaps=grid,
        evaluator=MulticlassClassificationEvaluator(metricName="accuracy"),
        trainRatio=0.7,
        parallelism=2,
        seed=3,
    )
    sdf = spark.createDataFrame(noisy)
    model = tvs.fit(sdf)
    assert len(model.validationMetrics) == len(GRID)
    chosen = grid[int(np.argmax(model.validationMetrics))][est.estimatorParams]
    local = LogisticRegression(**chosen).fit(noisy[FEATURES[:4]], noisy["label"])
    fitted = model.bestModel.stages[-1].getModel()
    assert chosen == {"C": fitted.C}
    np.testing.assert_allclose(fitted.coef_, local.coef_, rtol=1e-6, atol=1e-9)
    out = model.transform(sdf).toPandas().sort_values("id")
    np.testing.assert_array_equal(out["prediction"], local.predict(out[FEATURES[:4]]))
