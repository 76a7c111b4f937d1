"""Score any fitted scikit-learn model on Spark, pandas-on-Spark or pandas DataFrames.

The Spark path is an Arrow UDF over the feature columns only (numeric features
packed into one array column, the cheapest hand-over Spark has), so other columns
never leave the JVM; the model receives a pandas DataFrame of its features (so
ColumnTransformer pipelines work) and the output is appended as a column. The model is serialised once on the
driver and deserialised at most once per Python worker.
"""

from __future__ import annotations

import hashlib
from typing import Any

from toolkit._typing import ColumnNames
from toolkit.bridge import frame_kind
from toolkit.exceptions import SchemaMismatchError
from toolkit.models.api import load_model, model_bytes
from toolkit.native.plan import native_plan, node_budget
from toolkit.scoring.checks import check_columns, numeric_columns, resolve_features
from toolkit.scoring.fail_fast import watch
from toolkit.scoring.onnx_backed import onnx_backed
from toolkit.scoring.options import HANDLE_INVALID, check_options
from toolkit.scoring.schema import column, output_spec
from toolkit.scoring.worker import ScoreRequest, remember

__all__ = [
    "HANDLE_INVALID",
    "arrow_scoring_udf",
    "check_output_free",
    "make_request",
    "score",
    "score_with",
]


def make_request(
    model: Any,
    *,
    features: ColumnNames | None = None,
    method: str = "predict",
    output_col: str | None = None,
    handle_invalid: str = "error",
    batch_size: int | None = None,
    engine: str = "python",
) -> ScoreRequest:
    """Check the request on the driver and package the model for the workers.

    Examples
    --------
    >>> scorer = make_request(model, method="predict_proba")  # doctest: +SKIP
    >>> scorer.spec.ddl                                       # doctest: +SKIP
    'struct<`no`: double, `yes`: double>'
    """
    features = check_options(
        features=features,
        output_col=output_col,
        handle_invalid=handle_invalid,
        batch_size=batch_size,
        engine=engine,
    )
    model = load_model(model)
    spec = output_spec(model, method, output_col)
    names = resolve_features(model, features)
    blob, stored = model_bytes(model), model
    if engine in ("onnx", "auto"):
        backed = onnx_backed(model, blob, engine=engine)
        if backed is not None:
            blob, stored, engine = model_bytes(backed), backed, "onnx"
    named = getattr(model, "feature_names_in_", None) is not None
    # The worker cache key: the bytes that travel (one process's cloudpickle), not the
    # model's content fingerprint, which is what users see (toolkit.models.fingerprint).
    key = hashlib.sha256(blob).hexdigest()
    remember(key, stored)
    return ScoreRequest(
        blob, key, tuple(names), spec, handle_invalid, named, method, batch_size, engine
    )


def score(
    model: Any,
    data: Any,
    *,
    features: ColumnNames | None = None,
    method: str = "predict",
    output_col: str | None = None,
    handle_invalid: str = "error",
    batch_size: int | None = None,
    engine: str = "python",
) -> Any:
    """Score ``data`` with ``model``; return the same kind of frame with the output appended.

    Parameters
    ----------
    model : fitted estimator, or anything :func:`toolkit.load_model` takes
    data : Spark DataFrame (batch or streaming), pandas-on-Spark or pandas DataFrame
    features : list of str, optional
        Defaults to ``model.feature_names_in_``.
    method : {"predict", "predict_proba", "predict_log_proba", "decision_function", "transform"}
    output_col : str, optional
        Defaults to ``prediction`` / ``probability`` / ``log_probability`` / ``decision`` /
        ``transform``. Struct outputs become ``<output_col>.<field>`` columns in pandas.
    handle_invalid : {"error", "skip", "keep"}
        What to do with rows the model refuses; ``keep`` adds ``<output_col>_error``.
    batch_size : int, optional
        Rows per model call on Spark: at most Spark's Arrow batch
        (``spark.sql.execution.arrow.maxRecordsPerBatch``, 50,000 in :func:`toolkit.session.api`).
    engine : {"python", "auto", "native", "onnx"}
        ``python`` (default): Python workers call the model, giving scikit-learn's values
        to the last bit. ``native`` (Spark and pandas-on-Spark frames): the model compiled
        into Spark expressions (linear models, k-means and their preprocessing; no Python
        worker), equal to scikit-learn's values within 1e-12 relative (labels exactly);
        ``UnsupportedModelError`` for a step it cannot compile. ``onnx``: the workers run
        the model's checked ONNX export in onnxruntime (:mod:`toolkit.scoring.onnx_backed`;
        ``ExportError`` when it does not export). ``auto``: native when every step
        compiles, onnx where that is exact and faster, else python. pandas frames are
        scored by the model (or its export).

    Examples
    --------
    >>> scored = tk.score(pipeline, spark.read.parquet("customers/"), method="predict_proba")
    ... # doctest: +SKIP
    >>> scored.select("id", "probability.yes").show()  # doctest: +SKIP
    """
    scorer = make_request(
        model,
        features=features,
        method=method,
        output_col=output_col,
        handle_invalid=handle_invalid,
        batch_size=batch_size,
        engine=engine,
    )
    return score_with(scorer, data)


def score_with(request: ScoreRequest, data: Any) -> Any:
    """Score ``data`` (pandas, pandas-on-Spark or Spark) with a checked request; return the
    same kind of frame with the output appended (:func:`score` without the checks).

    Parameters
    ----------
    request : ScoreRequest
        From :func:`make_request`.
    data : pandas, pandas-on-Spark or Spark DataFrame

    Examples
    --------
    >>> scored = score_with(make_request(model), spark.read.parquet("in/"))  # doctest: +SKIP
    """
    kind = frame_kind(data)
    if kind == "pandas":
        return _score_pandas(request, data)
    if kind == "pandas_on_spark":
        return _score_pandas_on_spark(request, data)
    return _score_spark(request, data)


# -- the three paths --------------------------------------------------------------------


def _score_pandas(scorer: ScoreRequest, data: Any) -> Any:
    import numpy as np

    check_columns(scorer.model(), scorer.features, numeric_columns(data))
    check_output_free(scorer, data.columns)
    scored = scorer.score(data[list(scorer.features)])
    out = _arrow_to_pandas(scorer, scored.values, data.index)
    frame = data.copy()
    for col in out.columns:
        frame[col] = out[col]
    if scored.ok is None:
        if scorer.handle_invalid == "keep":
            frame[scorer.error_col] = None
        return frame
    if scorer.handle_invalid == "skip":
        return frame.loc[np.asarray(scored.ok)]
    frame[scorer.error_col] = scored.reasons
    return frame


def _score_spark(scorer: ScoreRequest, data: Any) -> Any:
    from pyspark.sql import functions as F
    from pyspark.sql.types import DoubleType

    check_columns(scorer.model(), scorer.features, numeric_columns(data))
    check_output_free(scorer, data.columns)
    plan = native_plan(scorer, data.schema, budget=node_budget(data.sparkSession))
    if plan is not None:
        watch(data.sparkSession)  # a refused row stops the job on its first attempt
        return plan.apply(scorer, data)
    scorer = scorer.shipped(data.sparkSession)
    spec, features = scorer.spec, list(scorer.features)
    types = {field.name: field.dataType for field in data.schema.fields}
    packed = all(isinstance(types.get(name), DoubleType) for name in features)
    columns = [column(name) for name in features]
    inputs = [F.array(*columns)] if packed else columns
    with_errors = scorer.handle_invalid != "error"
    udf = arrow_scoring_udf(scorer, features, packed, with_errors)
    if not with_errors:
        return data.withColumn(spec.column, udf(*inputs))
    scored = "__scaleout_scored__"
    out = data.withColumn(scored, udf(*inputs))
    if scorer.handle_invalid == "skip":
        out = out.where(F.col(f"{scored}.error").isNull())
    out = out.withColumn(spec.column, F.col(f"{scored}.value"))
    if scorer.handle_invalid == "keep":
        out = out.withColumn(scorer.error_col, F.col(f"{scored}.error"))
    return out.drop(scored)


def arrow_scoring_udf(
    scorer: ScoreRequest,
    names: ColumnNames,
    packed: bool,
    with_errors: bool = False,
) -> Any:
    """The Arrow UDF that scores: only the feature columns cross to Python and back.

    ``packed``: the features arrive as one array column; ``with_errors``: the UDF gives
    a struct of the value and the reason a row was refused.
    """
    from pyspark.sql.functions import arrow_udf
    from pyspark.sql.types import StringType, StructField, StructType

    names = list(names)

    # unannotated on purpose: arrow_udf infers the UDF type from annotations when it has them
    def body(*arrays):  # type: ignore[no-untyped-def]
        return scorer.score_columns(arrays, names=names, packed=packed, with_errors=with_errors)

    # without functionType, arrow_udf makes a scalar UDF of an unannotated function; the stubs
    # have no overload for that call (they require functionType), hence the ignores below
    kind = scorer.spec.spark_type()
    if not with_errors:
        return arrow_udf(body, returnType=kind)  # type: ignore[call-overload]
    kind = StructType([StructField("value", kind), StructField("error", StringType())])
    # non-deterministic: Spark must not evaluate it once for the filter and again for the value
    return arrow_udf(body, returnType=kind).asNondeterministic()  # type: ignore[call-overload]


def _score_pandas_on_spark(scorer: ScoreRequest, data: Any) -> Any:

    index_names = list(data.index.names)
    index_cols = [f"__index_level_{i}__" for i in range(len(index_names))]
    scored = _score_spark(scorer, data.to_spark(index_col=index_cols))
    spec = scorer.spec
    if spec.fields:  # pandas has no struct columns: flatten to probability.yes, ...
        flat = [
            column(spec.column, name).alias(col)
            for name, col in zip(spec.fields, spec.pandas_columns(), strict=True)
        ]
        others = [column(c) for c in scored.columns if c != spec.column]
        scored = scored.select(*others, *flat)
    backticked = [name for name in scored.columns if "`" in name]
    if backticked:  # pandas-on-Spark quotes names with backticks itself and cannot hold these
        raise SchemaMismatchError(
            f"pandas-on-Spark cannot hold column names containing a backtick: {backticked}. "
            "Rename them (or the class labels), or score a Spark DataFrame (tk.to_spark(...))."
        )
    out = scored.pandas_api(index_col=index_cols)
    out.index.names = index_names
    return out


def check_output_free(scorer: ScoreRequest, columns: ColumnNames) -> None:
    """Refuse data that already has a column the output would overwrite."""
    taken = {scorer.spec.column, *scorer.spec.pandas_columns()}
    if scorer.handle_invalid == "keep":
        taken.add(scorer.error_col)
    clash = sorted(taken & {str(c) for c in columns})
    if clash:
        raise SchemaMismatchError(
            f"The data already has column(s) {clash}, which the output would overwrite. "
            "Pass output_col='...' with a new name."
        )


def _arrow_to_pandas(scorer: ScoreRequest, values: Any, index: Any) -> Any:
    import pandas as pd

    spec = scorer.spec
    if spec.fields:
        fields = values.flatten()  # unlike .field(i), keeps the struct's nulls (refused rows)
        columns = {col: fields[i].to_pandas() for i, col in enumerate(spec.pandas_columns())}
    else:
        columns = {spec.column: values.to_pandas()}
    frame = pd.DataFrame(columns)
    frame.index = index
    return frame
