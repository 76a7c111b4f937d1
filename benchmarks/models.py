"""The same five model families in scikit-learn and MLlib, trained to matched settings.

Both libraries fit the same sample of the table, outside every timer. Settings
are matched where both libraries have them (iterations, depth, trees, feature
subsampling, no regularisation); what cannot match (MLlib bins continuous
features into 32 bins, KMeans initialisation differs) is written in ``note``
and lands in the report. MLlib models keep only the ``prediction`` column
(``probabilityCol``/``rawPredictionCol`` empty): MLlib gets its fastest setting.

Examples
--------
>>> SPECS["random_forest"].target
'label'
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "Fitted",
    "ModelSpec",
    "SPECS",
    "fit_models",
    "load_fitted",
]

_FORMAT = 1  # bump when a model's settings change, so saved models are not reused


@dataclass(frozen=True)
class ModelSpec:
    """One model family: how to build it in each library, and what to compare.

    ``target`` is the column it learns (``None`` for clustering); ``metric`` is the
    sanity check applied to MLlib (``accuracy``, ``r2`` or ``ari`` against scikit-learn).
    """

    name: str
    target: str | None
    metric: str
    sklearn: Callable[[int], Any]
    mllib: Callable[[int], Any]
    mllib_class: str
    family: str  # "linear", "trees" or "clustering": the targets differ by family
    note: str = ""


def _sk_logistic(seed: int) -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=np.inf, max_iter=100, tol=1e-6)


def _ml_logistic(seed: int) -> Any:
    from pyspark.ml.classification import LogisticRegression

    return LogisticRegression(regParam=0.0, maxIter=100, tol=1e-6)


def _sk_linear(seed: int) -> Any:
    from sklearn.linear_model import LinearRegression

    return LinearRegression()


def _ml_linear(seed: int) -> Any:
    from pyspark.ml.regression import LinearRegression

    return LinearRegression(regParam=0.0, solver="normal")


def _sk_forest(seed: int) -> Any:
    from sklearn.ensemble import RandomForestClassifier

    return RandomForestClassifier(
        n_estimators=50, max_depth=8, max_features="sqrt", bootstrap=True, random_state=seed
    )


def _ml_forest(seed: int) -> Any:
    from pyspark.ml.classification import RandomForestClassifier

    return RandomForestClassifier(
        numTrees=50, maxDepth=8, featureSubsetStrategy="sqrt", bootstrap=True, seed=seed
    )


def _sk_gbt(seed: int) -> Any:
    from sklearn.ensemble import GradientBoostingClassifier

    return GradientBoostingClassifier(
        n_estimators=50, max_depth=5, learning_rate=0.1, subsample=1.0, random_state=seed
    )


def _ml_gbt(seed: int) -> Any:
    from pyspark.ml.classification import GBTClassifier

    return GBTClassifier(maxIter=50, maxDepth=5, stepSize=0.1, subsamplingRate=1.0, seed=seed)


def _sk_kmeans(seed: int) -> Any:
    from sklearn.cluster import KMeans

    return KMeans(n_clusters=8, n_init=1, max_iter=20, random_state=seed)


def _ml_kmeans(seed: int) -> Any:
    from pyspark.ml.clustering import KMeans

    return KMeans(k=8, maxIter=20, seed=seed)


SPECS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec("logistic_regression", "label", "accuracy", _sk_logistic, _ml_logistic,
                  "pyspark.ml.classification.LogisticRegressionModel", "linear",
                  "no regularisation, 100 iterations"),
        ModelSpec("linear_regression", "target", "r2", _sk_linear, _ml_linear,
                  "pyspark.ml.regression.LinearRegressionModel", "linear",
                  "ordinary least squares (MLlib solver=normal)"),
        ModelSpec("random_forest", "label", "accuracy", _sk_forest, _ml_forest,
                  "pyspark.ml.classification.RandomForestClassificationModel", "trees",
                  "50 trees, depth 8, sqrt features, bootstrap; MLlib bins features (32 bins)"),
        ModelSpec("gbt", "label", "accuracy", _sk_gbt, _ml_gbt,
                  "pyspark.ml.classification.GBTClassificationModel", "trees",
                  "50 iterations, depth 5, step 0.1; MLlib bins features (32 bins)"),
        ModelSpec("kmeans", None, "ari", _sk_kmeans, _ml_kmeans,
                  "pyspark.ml.clustering.KMeansModel", "clustering",
                  "k=8, 20 iterations; init differs (k-means++ vs k-means||)"),
    )
}  # fmt: skip


@dataclass
class Fitted:
    """A model family fitted in both libraries, with where each copy lives on disk.

    Examples
    --------
    >>> fitted.sklearn.predict(frame[fitted.features])  # doctest: +SKIP
    """

    spec: ModelSpec
    features: list[str]
    sklearn: Any
    mllib: Any
    sklearn_path: Path
    mllib_path: Path
    train_seconds: dict[str, float] = field(default_factory=dict)
    mlflow_uri: str | None = None

    @property
    def name(self) -> str:
        return self.spec.name

    def assembler(self) -> Any:
        """The VectorAssembler MLlib needs in front of every model (the assembly tax)."""
        from pyspark.ml.feature import VectorAssembler

        return VectorAssembler(inputCols=self.features, outputCol="features")


def fit_models(
    names: list[str] | tuple[str, ...],
    sample: Any,
    *,
    features: list[str],
    spark: Any,
    directory: str | Path,
    seed: int = 7,
    key: str = "",
    on_fit: Callable[[str], None] | None = None,
) -> dict[str, Fitted]:
    """Fit each named family in both libraries on ``sample`` (a pandas frame); save both.

    With a ``key`` (naming the training data), models saved under that key by an
    earlier run with the same library versions are loaded instead of fitted again.

    Examples
    --------
    >>> fitted = fit_models(["kmeans"], sample, features=["f0", "f1"], spark=spark,
    ...                     directory="/tmp/models")  # doctest: +SKIP
    """
    import joblib

    directory = Path(directory) / _stamp(key) if key else Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    spark_sample = None
    out = {}
    for name in names:
        spec = SPECS[name]
        done = directory / f"{name}.done"
        if key and done.exists():
            out[name] = load_fitted(name, features=features, directory=directory)
            out[name].train_seconds = json.loads(done.read_text()) | {"reused": True}
            continue
        if on_fit:
            on_fit(name)
        X = sample[features]
        started = time.perf_counter()
        sk = spec.sklearn(seed)
        sk.fit(X) if spec.target is None else sk.fit(X, sample[spec.target])
        sk_seconds = time.perf_counter() - started
        if spark_sample is None:
            assembler = Fitted(spec, features, None, None, directory, directory).assembler()
            spark_sample = assembler.transform(spark.createDataFrame(sample)).cache()
            spark_sample.count()
        started = time.perf_counter()
        estimator = spec.mllib(seed).setFeaturesCol("features")
        if spec.target is not None:
            estimator = estimator.setLabelCol(spec.target)
        ml = _prediction_only(estimator.fit(spark_sample))
        ml_seconds = time.perf_counter() - started
        sk_path, ml_path = directory / f"{name}.joblib", directory / f"{name}.mllib"
        joblib.dump(sk, sk_path)
        ml.write().overwrite().save(str(ml_path))
        out[name] = Fitted(
            spec, list(features), sk, ml, sk_path, ml_path,
            {"sklearn": sk_seconds, "mllib": ml_seconds},
        )  # fmt: skip
        done.write_text(json.dumps(out[name].train_seconds))
    if spark_sample is not None:
        spark_sample.unpersist()
    return out


def load_fitted(name: str, *, features: list[str], directory: str | Path) -> Fitted:
    """Load a family saved by :func:`fit_models` (for a cold-start process).

    Examples
    --------
    >>> load_fitted("gbt", features=names, directory=workdir / "models")  # doctest: +SKIP
    """
    import importlib

    import joblib

    spec = SPECS[name]
    directory = Path(directory)
    module, _, cls = spec.mllib_class.rpartition(".")
    mllib = getattr(importlib.import_module(module), cls).load(str(directory / f"{name}.mllib"))
    sk_path = directory / f"{name}.joblib"
    return Fitted(spec, list(features), joblib.load(sk_path), _prediction_only(mllib), sk_path,
                  directory / f"{name}.mllib")  # fmt: skip


def _stamp(key: str) -> str:
    """A directory name for ``key`` and the library versions (new versions: fit again)."""
    import hashlib
    from importlib.metadata import version

    text = "|".join([key, version("scikit-learn"), version("pyspark"), str(_FORMAT)])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _prediction_only(model: Any) -> Any:
    """MLlib's fastest setting: skip the probability and raw prediction columns."""
    for param in ("probabilityCol", "rawPredictionCol"):
        if model.hasParam(param):
            model.set(model.getParam(param), "")
    return model
