"""Spark inside scikit-learn: DistributedModel, a meta-estimator that scores distributed.

Like dask-ml's ``ParallelPostFit``: ``fit`` trains the wrapped estimator locally
(a Spark or pandas-on-Spark frame is first collected to the driver through
:func:`toolkit.to_pandas`'s row guard); ``predict`` / ``predict_proba`` /
``predict_log_proba`` / ``decision_function`` / ``transform`` / ``score`` run the
wrapped estimator as usual on pandas or arrays, and through :func:`toolkit.score`
on a Spark or pandas-on-Spark frame, returning the same kind of frame with the
output column appended.

Examples
--------
>>> from sklearn.ensemble import HistGradientBoostingClassifier
>>> model = DistributedModel(HistGradientBoostingClassifier()).fit(X_train, y_train)
... # doctest: +SKIP
>>> model.predict(X_test)                              # numpy, as usual   # doctest: +SKIP
>>> model.predict_proba(spark.read.parquet("big/"))    # Spark DataFrame   # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Sequence
from typing import Any

from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone
from sklearn.utils import get_tags
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from toolkit.bridge import DEFAULT_MAX_ROWS, frame_kind, to_pandas
from toolkit.exceptions import (
    SchemaMismatchError,
    UnsupportedInputError,
    UnsupportedMethodError,
    worker_errors,
)
from toolkit.scoring.api import score as tk_score

__all__ = ["DistributedModel"]

_FITTED_ATTRIBUTES = ("classes_", "n_features_in_", "feature_names_in_")


def _estimator_has(method: str):
    """Offer ``method`` only when the wrapped estimator (fitted or not) has it."""

    def check(self: DistributedModel) -> bool:
        inner = getattr(self, "estimator_", None)
        inner = self.estimator if inner is None else inner
        if not hasattr(inner, method):
            raise AttributeError(f"{type(inner).__name__} has no {method}")
        return True

    return check


class DistributedModel(MetaEstimatorMixin, BaseEstimator):
    """Fit locally, score distributed: a scikit-learn meta-estimator over Spark.

    Parameters
    ----------
    estimator : scikit-learn estimator
        Cloned and fitted by :meth:`fit`; the fitted copy is ``estimator_``.
    features : list of str, optional
        Feature columns; default all columns (but the target) when fitting on a
        Spark frame, and ``feature_names_in_`` when scoring one.
    handle_invalid : {"error", "skip", "keep"}
        Rows the model refuses on Spark (see :func:`toolkit.score`).
    batch_size : int, optional
        Rows per model call on Spark.
    max_rows : int or None
        The most rows :meth:`fit` collects from a Spark frame (``None``: no limit).

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> model = DistributedModel(LogisticRegression()).fit(train_sdf, "label")  # doctest: +SKIP
    >>> model.predict(sdf).select("prediction").show()                          # doctest: +SKIP
    >>> model.score(test_sdf, "label")                                          # doctest: +SKIP
    0.93
    """

    _required_parameters = ["estimator"]

    def __init__(
        self,
        estimator: Any = None,
        *,
        features: Sequence[str] | None = None,
        handle_invalid: str = "error",
        batch_size: int | None = None,
        max_rows: int | None = DEFAULT_MAX_ROWS,
    ) -> None:
        self.estimator = estimator
        self.features = features
        self.handle_invalid = handle_invalid
        self.batch_size = batch_size
        self.max_rows = max_rows

    def __sklearn_tags__(self) -> Any:
        if self.estimator is None:
            return super().__sklearn_tags__()
        return dataclasses.replace(get_tags(self.estimator))

    def fit(self, X: Any, y: Any = None, **fit_params: Any) -> DistributedModel:
        """Fit a clone of ``estimator`` on the driver and return ``self``.

        On a Spark or pandas-on-Spark frame, ``y`` is the name of the target column
        (a pandas-on-Spark Series also works); the frame is collected through the
        ``max_rows`` guard.
        """
        if self.estimator is None:
            raise UnsupportedInputError(
                "DistributedModel needs an estimator: DistributedModel(LogisticRegression())."
            )
        X, y = self._local(X, y)
        self.estimator_ = clone(self.estimator).fit(X, y, **fit_params)
        for name in _FITTED_ATTRIBUTES:
            if hasattr(self.estimator_, name):
                setattr(self, name, getattr(self.estimator_, name))
            elif name in vars(self):
                delattr(self, name)  # refitted on data without, e.g., column names
        return self

    @available_if(_estimator_has("predict"))
    def predict(self, X: Any) -> Any:
        """Predict: an array for local data, the same kind of frame for Spark data."""
        return self._apply("predict", X)

    @available_if(_estimator_has("predict_proba"))
    def predict_proba(self, X: Any) -> Any:
        """Class probabilities; on Spark a struct column ``probability.<label>``."""
        return self._apply("predict_proba", X)

    @available_if(_estimator_has("predict_log_proba"))
    def predict_log_proba(self, X: Any) -> Any:
        """Log class probabilities; on Spark a struct column ``log_probability.<label>``."""
        return self._apply("predict_log_proba", X)

    @available_if(_estimator_has("decision_function"))
    def decision_function(self, X: Any) -> Any:
        """Decision values; on Spark a ``decision`` column (a struct per class if multiclass)."""
        return self._apply("decision_function", X)

    @available_if(_estimator_has("transform"))
    def transform(self, X: Any) -> Any:
        """Transform; on Spark a ``transform`` struct named by ``get_feature_names_out``."""
        return self._apply("transform", X)

    @available_if(_estimator_has("transform"))
    def fit_transform(self, X: Any, y: Any = None, **fit_params: Any) -> Any:
        """Fit, then :meth:`transform` the same data."""
        return self.fit(X, y, **fit_params).transform(X)

    @available_if(_estimator_has("get_feature_names_out"))
    def get_feature_names_out(self, input_features: Any = None) -> Any:
        check_is_fitted(self)
        return self.estimator_.get_feature_names_out(input_features)

    @available_if(_estimator_has("score"))
    def score(self, X: Any, y: Any = None, sample_weight: Any = None) -> float:
        """The wrapped estimator's score; on Spark, accuracy or R² computed in Spark.

        On a Spark or pandas-on-Spark frame, ``y`` names the target column.
        """
        check_is_fitted(self)
        if not _is_distributed(X):
            extra = {} if sample_weight is None else {"sample_weight": sample_weight}
            return self.estimator_.score(X, y, **extra)
        return self._distributed_score(X, y, sample_weight)

    # -- internals ---------------------------------------------------------------------

    def _apply(self, method: str, X: Any) -> Any:
        check_is_fitted(self)
        if not _is_distributed(X):
            return getattr(self.estimator_, method)(X)
        return tk_score(
            self.estimator_,
            X,
            features=self.features,
            method=method,
            handle_invalid=self.handle_invalid,
            batch_size=self.batch_size,
        )

    def _local(self, X: Any, y: Any) -> tuple[Any, Any]:
        """Training data as pandas: collect Spark frames through the row guard."""
        if not _is_distributed(X):
            return X, y
        label = y if isinstance(y, str) else None
        if y is not None and label is None and not _is_distributed(y):
            raise UnsupportedInputError(
                "A Spark or pandas-on-Spark X has no row order to match an in-memory y "
                f"({type(y).__name__}) against. Pass the target as a column of X: "
                "fit(X, 'label')."
            )
        columns = list(X.columns)
        if label is not None and label not in columns:
            raise SchemaMismatchError(
                f"y={label!r} names no column of X; X has {columns}. Pass the target column's name."
            )
        features = list(self.features or [c for c in columns if c != label])
        frame = to_pandas(X[features + ([label] if label else [])], max_rows=self.max_rows)
        if label is not None:
            return frame[features], frame[label]
        if y is None:
            return frame, None
        target = to_pandas(y.to_frame(), max_rows=self.max_rows).iloc[:, 0]
        if not target.index.sort_values().equals(frame.index.sort_values()):
            raise SchemaMismatchError(
                "y's index does not match X's index; pass the target as a column of X instead: "
                "fit(X, 'label')."
            )
        return frame, target.loc[frame.index]

    def _distributed_score(self, X: Any, y: Any, sample_weight: Any) -> float:
        from pyspark.sql import functions as F

        if not isinstance(y, str) or sample_weight is not None:
            raise UnsupportedInputError(
                "On a Spark or pandas-on-Spark frame, score takes y as the target column's name "
                "and no sample_weight: score(X, 'label'). For weighted scores, collect with "
                "tk.to_pandas and score locally."
            )
        kind = get_tags(self.estimator_).estimator_type
        if kind not in {"classifier", "regressor"}:
            raise UnsupportedMethodError(
                f"score on Spark computes accuracy (classifiers) or R² (regressors); "
                f"{type(self.estimator_).__name__} is neither. Score a collected sample locally."
            )
        data = X
        if frame_kind(X) == "pandas_on_spark":
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # losing the index is fine: we aggregate
                data = X.to_spark()
        if y not in data.columns:
            raise SchemaMismatchError(f"y={y!r} names no column of X; X has {data.columns}.")
        scored = tk_score(
            self.estimator_,
            data,
            features=self.features,
            method="predict",
            output_col="__scaleout_prediction__",
            batch_size=self.batch_size,
        )
        truth, pred = F.col(f"`{y}`"), F.col("`__scaleout_prediction__`")
        with worker_errors():
            if kind == "classifier":
                row = scored.agg(F.avg((truth == pred).cast("double")).alias("s")).first()
                return float(row["s"])
            row = scored.agg(
                F.sum((truth - pred) ** 2).alias("res"),
                (F.var_pop(truth) * F.count(truth)).alias("tot"),
            ).first()
        res, tot = float(row["res"]), float(row["tot"])
        if tot == 0.0:  # scikit-learn's r2_score(force_finite=True)
            return 1.0 if res == 0.0 else 0.0
        return 1.0 - res / tot


def _is_distributed(data: Any) -> bool:
    if not type(data).__module__.startswith("pyspark."):
        return False
    try:
        frame_kind(data)
    except UnsupportedInputError:
        return type(data).__module__.startswith("pyspark.pandas")  # a pandas-on-Spark Series
    return True
