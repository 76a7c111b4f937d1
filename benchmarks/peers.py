"""The peers: other ways to run the same scikit-learn model on Spark.

- ``mlflow.pyfunc.spark_udf`` on the model logged to a local MLflow store
  (SQLite and artifacts inside the bench work directory, never the cwd), in
  cloudpickle format (our own model: trusted, and the fastest to load);
- ``pyspark.ml.functions.predict_batch_udf``, loading the model from its file
  once per worker as its documentation recommends, the features passed as one
  struct so ``predict_fn`` gets a single 2-D array per batch.

Both use the same Arrow batch size as :func:`toolkit.score` (Spark's default,
10,000 rows) and run with the same one-thread-per-task BLAS caps.

Examples
--------
>>> with local_store(workdir):                      # doctest: +SKIP
...     uri = log_model(fitted, sample)
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from benchmarks.models import Fitted
from benchmarks.paths import Case, SparkPath

__all__ = ["MlflowUDF", "PredictBatchUDF", "local_store", "log_model", "spark_type_name"]

BATCH_SIZE = 10_000
EXPERIMENT = "scaleout-bench"


@contextlib.contextmanager
def local_store(workdir: str | Path) -> Iterator[str]:
    """Point MLflow at ``workdir/mlflow`` (SQLite + artifacts) for the block; yield the URI."""
    import mlflow

    root = Path(workdir).resolve() / "mlflow"
    root.mkdir(parents=True, exist_ok=True)
    uri = f"sqlite:///{root / 'mlflow.db'}"
    before = os.environ.get("MLFLOW_TRACKING_URI")
    os.environ["MLFLOW_TRACKING_URI"] = uri
    mlflow.set_tracking_uri(uri)
    try:
        if mlflow.get_experiment_by_name(EXPERIMENT) is None:
            mlflow.create_experiment(EXPERIMENT, artifact_location=(root / "artifacts").as_uri())
        yield uri
    finally:
        if before is None:
            os.environ.pop("MLFLOW_TRACKING_URI", None)
        else:
            os.environ["MLFLOW_TRACKING_URI"] = before
        mlflow.set_tracking_uri(before or "")


def log_model(fitted: Fitted, sample: Any) -> str:
    """Log the scikit-learn model with a signature to the current store; return its URI."""
    from importlib.metadata import version

    import mlflow
    from mlflow.models import infer_signature

    X = sample[fitted.features].head(100)
    signature = infer_signature(X, fitted.sklearn.predict(X))
    experiment = mlflow.get_experiment_by_name(EXPERIMENT)
    with mlflow.start_run(experiment_id=experiment.experiment_id, run_name=fitted.name):
        info = mlflow.sklearn.log_model(
            fitted.sklearn, name="model", signature=signature, serialization_format="cloudpickle",
            pip_requirements=[f"scikit-learn=={version('scikit-learn')}"],
        )  # fmt: skip
    fitted.mlflow_uri = info.model_uri
    return info.model_uri


def spark_type_name(dtype: Any) -> str:
    """The Spark type of a prediction dtype: ``long``, ``integer`` or ``double``.

    Examples
    --------
    >>> import numpy as np
    >>> spark_type_name(np.dtype("int32")), spark_type_name(np.dtype("float64"))
    ('integer', 'double')
    """
    import numpy as np

    if np.issubdtype(dtype, np.integer):
        return "integer" if np.dtype(dtype).itemsize <= 4 else "long"
    if np.issubdtype(dtype, np.bool_):
        return "boolean"
    return "double"


def _prediction_dtype(fitted: Fitted) -> Any:
    import numpy as np
    import pandas as pd

    probe = np.zeros((1, len(fitted.features)))
    return fitted.sklearn.predict(pd.DataFrame(probe, columns=fitted.features)).dtype


class MlflowUDF(SparkPath):
    """``mlflow.pyfunc.spark_udf`` (env_manager="local") on the logged model."""

    name, kind, label = "mlflow_udf", "peer", "mlflow spark_udf"

    def prepare(self, case: Case) -> None:
        import mlflow.pyfunc

        if case.fitted.mlflow_uri is None:
            raise RuntimeError("log the model first: benchmarks.peers.log_model")
        case.extras[self.name] = mlflow.pyfunc.spark_udf(
            case.spark, case.fitted.mlflow_uri,
            result_type=spark_type_name(_prediction_dtype(case.fitted)), env_manager="local",
        )  # fmt: skip

    def frame(self, case: Case, source: Any) -> Any:
        udf = case.extras[self.name]
        return source.select("id", udf(*case.features).alias("prediction"))


class PredictBatchUDF(SparkPath):
    """``predict_batch_udf``: a numpy batch per call, the model loaded once per worker."""

    name, kind, label = "predict_batch_udf", "peer", "predict_batch_udf"

    def prepare(self, case: Case) -> None:
        from pyspark.ml.functions import predict_batch_udf
        from pyspark.sql import types

        path = str(case.fitted.sklearn_path)

        def make_predict_fn():
            import warnings

            import joblib
            import numpy as np

            model = joblib.load(path)

            def predict(X: Any) -> Any:  # the features as one (rows, features) array
                with warnings.catch_warnings():  # fitted on a DataFrame, given an array
                    warnings.simplefilter("ignore", UserWarning)
                    return model.predict(np.ascontiguousarray(X))

            return predict

        kind = {
            "integer": types.IntegerType(), "long": types.LongType(),
            "double": types.DoubleType(), "boolean": types.BooleanType(),
        }[spark_type_name(_prediction_dtype(case.fitted))]  # fmt: skip
        case.extras[self.name] = predict_batch_udf(
            make_predict_fn, return_type=kind, batch_size=BATCH_SIZE
        )

    def frame(self, case: Case, source: Any) -> Any:
        udf = case.extras[self.name]
        from pyspark.sql import functions as F

        # one struct column reaches predict_fn as a single 2-D array (no array<> in the JVM)
        return source.select("id", udf(F.struct(*case.features)).alias("prediction"))
