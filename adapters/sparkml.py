"""scikit-learn inside Spark ML Pipelines: SklearnTransformer and SklearnEstimator.

:class:`SklearnTransformer` is a ``pyspark.ml.Model`` holding a fitted
scikit-learn estimator or pipeline; its ``transform`` is :func:`toolkit.score`.
:class:`SklearnEstimator` is a ``pyspark.ml.Estimator`` that collects its
training columns to the driver (through :func:`toolkit.to_pandas`'s row guard,
optionally sampled), fits a clone of a scikit-learn estimator there and returns a
:class:`SklearnTransformer`. Both save and load like Spark's own stages, alone
or inside a ``Pipeline`` / ``PipelineModel`` (layout in
``adapters._sparkml_persistence``), and work in ``CrossValidator`` /
``TrainValidationSplit``: grid over ``estimatorParams`` and set
``vectorOutput=True`` to give MLlib evaluators the vector column they read.
Everything works on classic Spark and on Spark Connect: native stages run on the
server, these stages in the client and the Python workers.

Examples
--------
>>> from pyspark.ml import Pipeline
>>> from pyspark.ml.feature import StringIndexer
>>> from sklearn.ensemble import HistGradientBoostingClassifier
>>> pipeline = Pipeline(stages=[  # needs a running session  # doctest: +SKIP
...     StringIndexer(inputCol="plan", outputCol="plan_idx"),
...     SklearnEstimator(estimator=HistGradientBoostingClassifier(),
...                      inputCols=["age", "plan_idx"], labelCol="churned"),
... ])
>>> model = pipeline.fit(train)                 # doctest: +SKIP
>>> model.write().overwrite().save("models/churn")  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

from pyspark import keyword_only
from pyspark.ml import Estimator, Model

from adapters._sparkml_params import SklearnEstimatorParams, SklearnStageParams
from adapters._sparkml_persistence import PersistedStage, trusted_types
from toolkit.bridge import DEFAULT_MAX_ROWS, frame_kind, to_pandas
from toolkit.exceptions import DriverMemoryError, SchemaMismatchError, UnsupportedInputError
from toolkit.models.api import load_model
from toolkit.scoring.api import score
from toolkit.scoring.schema import check_method, output_spec

__all__ = ["SklearnEstimator", "SklearnTransformer", "trusted_types"]


class SklearnTransformer(Model, SklearnStageParams, PersistedStage):
    """A Spark ML Model that scores with a fitted scikit-learn estimator or pipeline.

    Parameters
    ----------
    model : fitted estimator, or anything :func:`toolkit.load_model` takes
        Kept outside the param map (it is not JSON); see :meth:`getModel`.
    inputCols : list of str, optional
        Feature columns; default the model's ``feature_names_in_``.
    outputCol : str, optional
        Default by method: ``prediction``, ``probability``, ...
    method : str
        ``predict`` (default), ``predict_proba``, ``predict_log_proba``,
        ``decision_function`` or ``transform``.
    handleInvalid : {"error", "skip", "keep"}
        Rows the model refuses: fail naming the column and value, drop them, or keep
        them with a null output and a reason in ``<outputCol>_error``.
    vectorOutput : bool
        Give multi-value outputs as a Spark ML vector (for MLlib evaluators).

    Examples
    --------
    >>> stage = SklearnTransformer(model=fitted, method="predict_proba")  # doctest: +SKIP
    >>> stage.transform(df).select("probability.yes").show()               # doctest: +SKIP
    >>> stage.write().overwrite().save("models/churn")                     # doctest: +SKIP
    >>> SklearnTransformer.load("models/churn")                            # doctest: +SKIP
    """

    @keyword_only
    def __init__(
        self,
        *,
        model: Any = None,
        inputCols: list[str] | None = None,
        outputCol: str | None = None,
        method: str = "predict",
        handleInvalid: str = "error",
        vectorOutput: bool = False,
    ) -> None:
        super().__init__()
        kwargs = dict(self._input_kwargs)
        model = kwargs.pop("model", None)
        self._model = None if model is None else load_model(model)
        self._set_given(kwargs)

    @keyword_only
    def setParams(
        self,
        *,
        inputCols: list[str] | None = None,
        outputCol: str | None = None,
        method: str | None = None,
        handleInvalid: str | None = None,
        vectorOutput: bool | None = None,
    ) -> SklearnTransformer:
        """Set params by keyword."""
        return self._set_given(self._input_kwargs)

    def getModel(self) -> Any:
        """The fitted scikit-learn object this stage scores with."""
        return self._model

    def setModel(self, model: Any) -> SklearnTransformer:
        """Score with another fitted scikit-learn object (or a path / URI to one)."""
        self._model = load_model(model)
        return self

    def _transform(self, dataset: Any) -> Any:
        if self._model is None:
            raise UnsupportedInputError(
                f"{self.uid} holds no scikit-learn model: pass model=<fitted estimator> or "
                "call setModel(...) before transform."
            )
        if frame_kind(dataset) != "spark":
            raise UnsupportedInputError(
                "A Spark ML stage transforms Spark DataFrames; for pandas or pandas-on-Spark "
                "frames use tk.score(model, data) or adapters.sklearn.DistributedModel."
            )
        features = self.getInputCols() if self.isDefined(self.inputCols) else None
        method, column = self.getMethod(), self.getOutputCol()
        scored = score(
            self._model,
            dataset,
            features=features,
            method=method,
            output_col=column,
            handle_invalid=self.getHandleInvalid(),
        )
        if self.getVectorOutput():
            scored = _as_vector(scored, output_spec(self._model, method, column))
        return scored

    def _sklearn_object(self) -> Any:
        if self._model is None:
            raise UnsupportedInputError(f"{self.uid} holds no scikit-learn model to save.")
        return self._model

    def _set_sklearn_object(self, obj: Any) -> None:
        self._model = load_model(obj)


class SklearnEstimator(Estimator, SklearnEstimatorParams, PersistedStage):
    """A Spark ML Estimator that fits a scikit-learn estimator on the driver.

    ``fit`` selects ``inputCols`` (and ``labelCol`` when the data has it), samples
    ``sampleFraction`` of the rows if below 1, collects at most ``maxRows`` rows
    (``DriverMemoryError`` beyond), fits ``clone(estimator).set_params(**estimatorParams)``
    and returns a :class:`SklearnTransformer` with the same output params.

    Parameters
    ----------
    estimator : unfitted scikit-learn estimator or pipeline
        Kept outside the param map; see :meth:`getEstimator`.
    inputCols, outputCol, method, handleInvalid, vectorOutput
        As for :class:`SklearnTransformer`; ``inputCols`` is required.
    labelCol : str
        Target column (default ``label``); unsupervised estimators need none.
    estimatorParams : dict
        Applied with ``set_params`` before fitting; a whole dict per grid point:
        ``ParamGridBuilder().addGrid(est.estimatorParams, [{"C": 0.1}, {"C": 1.0}])``.
    sampleFraction : float
        Fraction of rows to train on (default 1.0: all), drawn with ``seed``.
    maxRows : int
        The most rows collected to the driver for training.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> est = SklearnEstimator(estimator=LogisticRegression(), inputCols=["x1", "x2"],
    ...                        method="predict_proba", vectorOutput=True)
    >>> model = est.fit(train_df)                              # doctest: +SKIP
    >>> model.getModel().coef_                                 # doctest: +SKIP
    """

    @keyword_only
    def __init__(
        self,
        *,
        estimator: Any = None,
        inputCols: list[str] | None = None,
        labelCol: str = "label",
        outputCol: str | None = None,
        method: str = "predict",
        handleInvalid: str = "error",
        vectorOutput: bool = False,
        estimatorParams: dict[str, Any] | None = None,
        sampleFraction: float = 1.0,
        maxRows: int = DEFAULT_MAX_ROWS,
        seed: int | None = None,
    ) -> None:
        super().__init__()
        kwargs = dict(self._input_kwargs)
        self._estimator = kwargs.pop("estimator", None)
        self._set_given(kwargs)

    @keyword_only
    def setParams(
        self,
        *,
        inputCols: list[str] | None = None,
        labelCol: str | None = None,
        outputCol: str | None = None,
        method: str | None = None,
        handleInvalid: str | None = None,
        vectorOutput: bool | None = None,
        estimatorParams: dict[str, Any] | None = None,
        sampleFraction: float | None = None,
        maxRows: int | None = None,
        seed: int | None = None,
    ) -> SklearnEstimator:
        """Set params by keyword."""
        return self._set_given(self._input_kwargs)

    def getEstimator(self) -> Any:
        """The unfitted scikit-learn estimator ``fit`` clones."""
        return self._estimator

    def setEstimator(self, estimator: Any) -> SklearnEstimator:
        self._estimator = estimator
        return self

    def _fit(self, dataset: Any) -> SklearnTransformer:
        from sklearn.base import clone

        estimator = self._check_estimator()
        if frame_kind(dataset) != "spark":
            raise UnsupportedInputError(
                "A Spark ML stage fits on Spark DataFrames; to fit on pandas, fit the "
                "scikit-learn estimator itself (or adapters.sklearn.DistributedModel)."
            )
        features, label = self._training_columns(dataset, estimator)
        fitted = clone(estimator).set_params(**self.getEstimatorParams())
        frame = self._collect(dataset.select(*features, *([label] if label else [])))
        if label:
            fitted.fit(frame[features], frame[label])
        else:
            fitted.fit(frame[features])
        check_method(fitted, self.getMethod())  # fail here, not in the first transform
        model = SklearnTransformer(model=fitted)
        return self._copyValues(model)

    def _check_estimator(self) -> Any:
        estimator = self._estimator
        if estimator is None or not hasattr(estimator, "fit"):
            raise UnsupportedInputError(
                f"{self.uid} needs estimator=<an unfitted scikit-learn estimator>; got "
                f"{estimator!r}."
            )
        if not self.isDefined(self.inputCols):
            raise SchemaMismatchError(
                f"{self.uid}: set inputCols to the feature columns to train on, e.g. "
                "SklearnEstimator(..., inputCols=['age', 'income'])."
            )
        return estimator

    def _training_columns(self, dataset: Any, estimator: Any) -> tuple[list[str], str | None]:
        from sklearn.utils import get_tags

        features = list(self.getInputCols())
        label = self.getLabelCol()
        missing = [name for name in features if name not in dataset.columns]
        if missing:
            raise SchemaMismatchError(
                f"inputCols names column(s) the data lacks: {missing}. The data has "
                f"{dataset.columns}."
            )
        if label in dataset.columns and label not in features:
            return features, label
        if get_tags(estimator).target_tags.required:
            raise SchemaMismatchError(
                f"{type(estimator).__name__} needs a target, but the data has no labelCol "
                f"{label!r}. Set labelCol to the target column; the data has {dataset.columns}."
            )
        return features, None

    def _collect(self, frame: Any) -> Any:
        fraction = self.getSampleFraction()
        if not 0.0 < fraction <= 1.0:
            raise SchemaMismatchError(f"sampleFraction must be in (0, 1]; got {fraction}.")
        if fraction < 1.0:
            frame = frame.sample(withReplacement=False, fraction=fraction, seed=self.getSeed())
        try:
            return to_pandas(frame, max_rows=self.getMaxRows())
        except DriverMemoryError as exc:
            raise DriverMemoryError(
                f"{self.uid} trains on the driver. {exc} For this stage: setSampleFraction(f) "
                "to train on a sample, or setMaxRows(n) if the driver has the memory."
            ) from None

    def _sklearn_object(self) -> Any:
        if self._estimator is None:
            raise UnsupportedInputError(f"{self.uid} holds no scikit-learn estimator to save.")
        return self._estimator

    def _set_sklearn_object(self, obj: Any) -> None:
        self._estimator = obj


def _as_vector(scored: Any, spec: Any) -> Any:
    """Replace a struct / array output column by a Spark ML vector column."""
    from pyspark.ml.functions import array_to_vector
    from pyspark.sql import functions as F

    column = F.col(f"`{spec.column}`")
    if spec.fields:
        values = F.array(*(column.getField(name) for name in spec.fields))
    elif spec.leaf == "array<double>":
        values = column
    else:  # a single value (predict, binary decision_function) stays a double
        return scored
    vector = F.when(column.isNotNull(), array_to_vector(values))
    return scored.withColumn(spec.column, vector)
