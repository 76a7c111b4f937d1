"""Scoring as a function of columns: a Column function (:func:`scoring_udf`) and a SQL
function (:func:`register_udf`).

With ``engine="python"`` the function is an Arrow UDF (a Python worker calls the
model); with ``native`` (or ``auto``, when the model compiles) it is a Spark SQL
function written from the compiled model (:mod:`toolkit.native.function`), which Spark
evaluates in the JVM.

Examples
--------
>>> churn = tk.scoring_udf(model, features=["age", "plan"], engine="auto")  # doctest: +SKIP
>>> df.select("id", churn("age", "plan").alias("churn"))                    # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
from typing import Any

from toolkit._typing import ColumnNames
from toolkit.exceptions import InvalidOptionError, SchemaMismatchError
from toolkit.models.api import load_model
from toolkit.native.function import create_function
from toolkit.scoring.api import arrow_scoring_udf, make_request
from toolkit.scoring.checks import resolve_features
from toolkit.scoring.options import check_options, check_udf_name
from toolkit.scoring.schema import column
from toolkit.scoring.worker import ScoreRequest

__all__ = ["ScoringUDF", "register_udf", "scoring_udf"]


class ScoringUDF:
    """A Column function that scores with a fitted model: ``df.select(udf(*features))``.

    Called with no columns it uses the model's features by name. ``function`` is the
    SQL function that scores it in the JVM (None: an Arrow UDF in Python workers).

    Examples
    --------
    >>> churn = tk.scoring_udf(model, features=["age", "plan"], method="predict_proba")
    ... # doctest: +SKIP
    >>> df.withColumn("p", churn("age", "plan")["yes"])  # doctest: +SKIP
    """

    def __init__(
        self, scorer: ScoreRequest, columns: ColumnNames, *, function: str | None = None
    ) -> None:
        from pyspark.sql import SparkSession

        self.columns = list(columns)
        self.function = function
        self.udf = None
        self.scorer = scorer
        if function is None:
            spark = SparkSession.getActiveSession()
            self.scorer = scorer if spark is None else scorer.shipped(spark)
            self.udf = arrow_scoring_udf(self.scorer, self.columns, packed=False)

    @property
    def native(self) -> bool:
        """Whether Spark scores it in the JVM (no Python worker)."""
        return self.function is not None

    def __call__(self, *cols: Any) -> Any:
        from pyspark.sql import functions as F

        if cols and len(cols) != len(self.columns):
            raise SchemaMismatchError(
                f"This scoring function takes {len(self.columns)} columns, the model's features "
                f"{self.columns} in that order; it was called with {len(cols)}. Pass all of them, "
                "or none to use the columns of those names."
            )
        columns = cols or [column(name) for name in self.columns]
        if self.function is not None:
            return F.call_function(self.function, *columns)
        return self.udf(*columns)  # type: ignore[misc]


def scoring_udf(
    model: Any,
    *,
    features: ColumnNames,
    method: str = "predict",
    handle_invalid: str = "error",
    engine: str = "python",
) -> ScoringUDF:
    """Return a Column function scoring ``model`` on the given feature columns.

    ``handle_invalid="keep"`` gives null for refused rows; a column function
    cannot drop rows, so ``"skip"`` is refused (use :func:`toolkit.score`).

    Parameters
    ----------
    model : fitted estimator, or anything :func:`toolkit.load_model` takes
        The model to score with, serialised once here and shipped to the workers.
    features : list of str
        The feature columns, in the order the returned function is called with them.
    method : {"predict", "predict_proba", "predict_log_proba", "decision_function", "transform"}
        The model method to call; its output is the function's result column.
    handle_invalid : {"error", "keep"}
        Rows the model refuses: ``error`` fails the job, ``keep`` gives null.
    engine : {"python", "auto", "native"}
        As in :func:`toolkit.score`: ``native`` makes the function a SQL function of the
        compiled model in the active session (no Python worker).

    Examples
    --------
    >>> predict = tk.scoring_udf(model, features=["a", "b"])  # doctest: +SKIP
    >>> df.select("id", predict("a", "b").alias("prediction"))  # doctest: +SKIP
    """
    if handle_invalid == "skip":
        raise InvalidOptionError(
            "A column function cannot drop rows, so handle_invalid='skip' is not possible here; "
            "use tk.score(..., handle_invalid='skip') or 'keep' (null for refused rows)."
        )
    columns = check_options(
        features=features, output_col=None, handle_invalid=handle_invalid, batch_size=None,
        engine=engine,
    )  # fmt: skip
    if columns is None:
        raise InvalidOptionError(
            "scoring_udf needs features=[...]: the column names, in the order the UDF is called."
        )
    scorer = make_request(
        model, features=columns, method=method, handle_invalid=handle_invalid, engine=engine
    )
    if engine != "python":
        from toolkit.session.api import active_session

        identity = repr((scorer.key, method, handle_invalid, list(columns)))
        name = f"scaleout_model_{hashlib.sha256(identity.encode()).hexdigest()[:16]}"
        if create_function(active_session(), name, scorer):
            return ScoringUDF(scorer, columns, function=name)
    return ScoringUDF(scorer, columns)


def register_udf(
    name: str,
    model: Any,
    *,
    method: str = "predict",
    features: ColumnNames | None = None,
    spark: Any = None,
    engine: str = "python",
) -> ScoringUDF:
    """Register a scoring function for SQL: ``spark.sql("SELECT name(a, b) FROM t")``.

    Returns the :class:`ScoringUDF` it registered (usable as a Column function too).

    Parameters
    ----------
    name : str
        The SQL function name: letters, digits and underscores, not starting with a digit.
    model : fitted estimator, or anything :func:`toolkit.load_model` takes
        The model to score with.
    method : {"predict", "predict_proba", "predict_log_proba", "decision_function", "transform"}
        The model method to call.
    features : list of str, optional
        The argument columns, in call order; defaults to ``model.feature_names_in_``.
    spark : SparkSession, optional
        The session to register in; defaults to the active one (started if there is none).
    engine : {"python", "auto", "native"}
        As in :func:`toolkit.score`: ``native`` registers a SQL function of the compiled
        model, which Spark evaluates in the JVM (numeric arguments are cast to double).

    Examples
    --------
    >>> tk.register_udf("churn_score", model, method="predict_proba")  # doctest: +SKIP
    >>> spark.sql("SELECT churn_score(age, plan).yes FROM customers")  # doctest: +SKIP
    """
    from toolkit.session.api import active_session

    check_udf_name(name)
    if features is None:
        features = resolve_features(load_model(model), None)
    session = spark or active_session()
    columns = check_options(
        features=features, output_col=None, handle_invalid="error", batch_size=None,
        engine=engine,
    )  # fmt: skip
    scorer = make_request(model, features=columns, method=method, engine=engine)
    if engine != "python" and create_function(session, name, scorer):
        return ScoringUDF(scorer, scorer.features, function=name)
    column_function = ScoringUDF(scorer, scorer.features)  # engine="onnx" (or auto's) kept
    session.udf.register(name, column_function.udf)
    return column_function
