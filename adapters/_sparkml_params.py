"""The Params of the scikit-learn Spark ML stages: typed, camelCase, with getters and setters.

Examples
--------
>>> from adapters.sparkml import SklearnEstimator
>>> est = SklearnEstimator(inputCols=["x"])
>>> est.getOutputCol(), est.getMethod(), est.getEstimatorParams()
('prediction', 'predict', {})
"""

from __future__ import annotations

import zlib
from typing import Any

from pyspark.ml.param import Param, Params, TypeConverters
from pyspark.ml.param.shared import HasInputCols, HasLabelCol, HasSeed

from toolkit.bridge import DEFAULT_MAX_ROWS
from toolkit.models.api import SCORING_METHODS
from toolkit.scoring.api import HANDLE_INVALID
from toolkit.scoring.schema import DEFAULT_OUTPUT_COLS

__all__ = ["SklearnEstimatorParams", "SklearnStageParams"]


def _to_param_dict(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict) or not all(isinstance(key, str) for key in value):
        raise TypeError(
            f"estimatorParams must be a dict of scikit-learn parameter names to values, such "
            f"as {{'C': 0.1}}; got {value!r}."
        )
    return dict(value)


def _one_of(name: str, choices: tuple[str, ...]):
    def convert(value: Any) -> str:
        value = TypeConverters.toString(value)
        if value not in choices:
            raise TypeError(f"{name} must be one of {', '.join(choices)}; got {value!r}.")
        return value

    return convert


class SklearnStageParams(HasInputCols):
    """Params shared by SklearnTransformer and SklearnEstimator."""

    handleInvalid: Param[str] = Param(
        Params._dummy(),
        "handleInvalid",
        "rows the model refuses: error (fail, naming the column and value), skip (drop "
        "them) or keep (null output and the reason in <outputCol>_error).",
        typeConverter=_one_of("handleInvalid", HANDLE_INVALID),
    )

    outputCol: Param[str] = Param(
        Params._dummy(),
        "outputCol",
        "output column name; default by method: prediction, probability, log_probability, "
        "decision, transform.",
        typeConverter=TypeConverters.toString,
    )
    method: Param[str] = Param(
        Params._dummy(),
        "method",
        "scikit-learn method to score with: predict, predict_proba, predict_log_proba, "
        "decision_function or transform.",
        typeConverter=_one_of("method", SCORING_METHODS),
    )
    vectorOutput: Param[bool] = Param(
        Params._dummy(),
        "vectorOutput",
        "if true, a multi-value output (class probabilities, per-class decisions, "
        "transform) is a Spark ML vector column, as MLlib evaluators and stages read; "
        "else a struct with one field per class or feature name.",
        typeConverter=TypeConverters.toBoolean,
    )

    def __init__(self) -> None:
        super().__init__()
        self._setDefault(method="predict", handleInvalid="error", vectorOutput=False)

    def getOutputCol(self) -> str:
        """The output column: as set, or the method's default name."""
        if self.isDefined(self.outputCol):
            return self.getOrDefault(self.outputCol)
        return DEFAULT_OUTPUT_COLS.get(self.getMethod(), "prediction")

    def getMethod(self) -> str:
        return self.getOrDefault(self.method)

    def getHandleInvalid(self) -> str:
        return self.getOrDefault(self.handleInvalid)

    def getVectorOutput(self) -> bool:
        return self.getOrDefault(self.vectorOutput)

    def setInputCols(self, value: list[str]) -> Any:
        return self._set(inputCols=value)

    def setOutputCol(self, value: str) -> Any:
        return self._set(outputCol=value)

    def setMethod(self, value: str) -> Any:
        return self._set(method=value)

    def setHandleInvalid(self, value: str) -> Any:
        return self._set(handleInvalid=value)

    def setVectorOutput(self, value: bool) -> Any:
        return self._set(vectorOutput=value)

    def _set_given(self, kwargs: dict[str, Any]) -> Any:
        return self._set(**{name: value for name, value in kwargs.items() if value is not None})


class SklearnEstimatorParams(SklearnStageParams, HasLabelCol, HasSeed):
    """Params SklearnEstimator adds: what to fit with and how much data to collect."""

    estimatorParams: Param[dict[str, Any]] = Param(
        Params._dummy(),
        "estimatorParams",
        "scikit-learn parameters applied with set_params before fitting, e.g. {'C': 0.1}.",
        typeConverter=_to_param_dict,
    )
    sampleFraction: Param[float] = Param(
        Params._dummy(),
        "sampleFraction",
        "fraction of rows (0, 1] collected to the driver for training.",
        typeConverter=TypeConverters.toFloat,
    )
    maxRows: Param[int] = Param(
        Params._dummy(),
        "maxRows",
        "the most rows collected to the driver for training (DriverMemoryError beyond).",
        typeConverter=TypeConverters.toInt,
    )

    def __init__(self) -> None:
        super().__init__()
        self._setDefault(
            estimatorParams={},
            sampleFraction=1.0,
            maxRows=DEFAULT_MAX_ROWS,
            seed=zlib.crc32(b"SklearnEstimator"),  # HasSeed's hash(name) differs per process
        )

    def getEstimatorParams(self) -> dict[str, Any]:
        return dict(self.getOrDefault(self.estimatorParams))

    def setEstimatorParams(self, value: dict[str, Any]) -> Any:
        return self._set(estimatorParams=value)

    def getSampleFraction(self) -> float:
        return self.getOrDefault(self.sampleFraction)

    def setSampleFraction(self, value: float) -> Any:
        return self._set(sampleFraction=value)

    def getMaxRows(self) -> int:
        return self.getOrDefault(self.maxRows)

    def setMaxRows(self, value: int) -> Any:
        return self._set(maxRows=value)

    def setLabelCol(self, value: str) -> Any:
        return self._set(labelCol=value)

    def setSeed(self, value: int) -> Any:
        return self._set(seed=value)
