"""What a model's output looks like, from its own metadata, never from a sample run.

Rules: classifier ``predict`` -> the type of ``classes_``; regressor -> double
(multi-output -> array<double>); clusterer / outlier detector -> long;
``predict_proba`` / ``predict_log_proba`` -> a struct with one double field per
class named ``str(label)``; ``decision_function`` -> double (binary) or a struct
per class; ``transform`` -> a struct with one double field per
``get_feature_names_out()`` entry (array<double> when the model has none).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from toolkit.exceptions import UnsupportedMethodError
from toolkit.models.api import SCORING_METHODS

__all__ = ["DEFAULT_OUTPUT_COLS", "OutputSpec", "column", "output_spec", "quote"]

DEFAULT_OUTPUT_COLS = {
    "predict": "prediction",
    "predict_proba": "probability",
    "predict_log_proba": "log_probability",
    "decision_function": "decision",
    "transform": "transform",
}

# Leaf types are named in Spark's DDL vocabulary; both Spark and Arrow types derive from them.
LeafType = Literal["double", "bigint", "string", "boolean", "array<double>"]


@dataclass(frozen=True)
class OutputSpec:
    """The output column a scoring method produces.

    ``fields`` is empty for a single value, or the struct's field names
    (class labels, feature names out), each of type ``leaf``.

    Examples
    --------
    >>> OutputSpec("predict_proba", "probability", "double", ("no", "yes")).ddl
    'struct<`no`: double, `yes`: double>'
    """

    method: str
    column: str
    leaf: LeafType
    fields: tuple[str, ...] = ()

    @property
    def ddl(self) -> str:
        if not self.fields:
            return self.leaf
        inner = ", ".join(f"{quote(name)}: {self.leaf}" for name in self.fields)
        return f"struct<{inner}>"

    def spark_type(self) -> Any:
        from pyspark.sql.types import (
            ArrayType,
            BooleanType,
            DoubleType,
            LongType,
            StringType,
            StructField,
            StructType,
        )

        leaf = {
            "double": DoubleType(),
            "bigint": LongType(),
            "string": StringType(),
            "boolean": BooleanType(),
            "array<double>": ArrayType(DoubleType()),
        }[self.leaf]
        if not self.fields:
            return leaf
        return StructType([StructField(name, leaf, True) for name in self.fields])

    def arrow_type(self) -> Any:
        """The Arrow type of this output (what workers hand back to Spark)."""
        import pyarrow as pa

        leaf = {
            "double": pa.float64(),
            "bigint": pa.int64(),
            "string": pa.string(),
            "boolean": pa.bool_(),
            "array<double>": pa.list_(pa.float64()),
        }[self.leaf]
        if self.fields:
            return pa.struct([pa.field(name, leaf) for name in self.fields])
        return leaf

    def pandas_columns(self) -> list[str]:
        """Flat pandas column names: ``probability.yes`` for struct fields."""
        if not self.fields:
            return [self.column]
        return [f"{self.column}.{name}" for name in self.fields]


def quote(name: str) -> str:
    """Quote a column or field name for Spark SQL, whatever characters it holds.

    Examples
    --------
    >>> quote("a`b.c")
    '`a``b.c`'
    """
    return "`" + str(name).replace("`", "``") + "`"


def column(name: str, *fields: str) -> Any:
    """A Spark Column for the column ``name`` (and nested struct ``fields``), quoted safely.

    Examples
    --------
    >>> column("probability", "yes")  # doctest: +SKIP
    Column<'probability.yes'>
    """
    from pyspark.sql import functions as F

    return F.col(".".join(quote(part) for part in (name, *fields)))


def output_spec(model: Any, method: str, output_col: str | None = None) -> OutputSpec:
    """Describe what ``getattr(model, method)`` returns, from the model's metadata.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> clf = LogisticRegression().fit([[0.0], [1.0]], ["no", "yes"])
    >>> output_spec(clf, "predict_proba").fields
    ('no', 'yes')
    """
    check_method(model, method)
    column = output_col or DEFAULT_OUTPUT_COLS[method]
    classes = getattr(model, "classes_", None)
    kind = _estimator_type(model)
    if method == "predict":
        if classes is not None and kind in {"classifier", None}:
            if isinstance(classes, list):  # multi-output classifier: one classes_ per output
                return OutputSpec(method, column, "array<double>")
            return OutputSpec(method, column, _leaf_of(np.asarray(classes)))
        if kind in {"clusterer", "outlier_detector"}:
            return OutputSpec(method, column, "bigint")
        outputs = _outputs(_final_step(model))
        return OutputSpec(method, column, "array<double>" if outputs > 1 else "double")
    if method in {"predict_proba", "predict_log_proba"}:
        return OutputSpec(method, column, "double", _class_names(model, method))
    if method == "decision_function":
        if classes is None or len(classes) <= 2:
            return OutputSpec(method, column, "double")
        return OutputSpec(method, column, "double", _class_names(model, method))
    try:
        names = tuple(str(n) for n in model.get_feature_names_out())
    except Exception:  # no feature names out: an array of doubles
        return OutputSpec(method, column, "array<double>")
    return OutputSpec(method, column, "double", names)


def _outputs(estimator: Any) -> int:
    """How many targets a fitted regressor predicts: ``n_outputs_``, or the rows of a
    linear model's 2-D ``coef_`` (``LinearRegression`` fit on several targets)."""
    outputs = getattr(estimator, "n_outputs_", None)
    if outputs is not None:
        return int(outputs)
    coef = np.asarray(getattr(estimator, "coef_", 0.0))
    return int(coef.shape[0]) if coef.ndim == 2 else 1


def check_method(model: Any, method: str) -> None:
    """Raise :class:`UnsupportedMethodError` unless ``model`` has ``method``.

    Examples
    --------
    >>> check_method(KMeans(2).fit(X), "predict_proba")  # doctest: +SKIP
    Traceback (most recent call last):
    UnsupportedMethodError: KMeans has no predict_proba ...
    """
    if method not in SCORING_METHODS:
        raise UnsupportedMethodError(
            f"method must be one of {', '.join(SCORING_METHODS)}; got {method!r}."
        )
    if not hasattr(model, method):
        has = [m for m in SCORING_METHODS if hasattr(model, m)]
        raise UnsupportedMethodError(
            f"{type(model).__name__} has no {method}; it offers {', '.join(has) or 'none'}. "
            "Choose one of those with method=..."
        )


def _final_step(model: Any) -> Any:
    steps = getattr(model, "steps", None)
    return _final_step(steps[-1][1]) if steps else model


def _estimator_type(model: Any) -> str | None:
    from sklearn.utils import get_tags

    try:
        return get_tags(model).estimator_type
    except Exception:  # not a scikit-learn estimator: fall back on the attribute
        return getattr(model, "_estimator_type", None)


def _class_names(model: Any, method: str) -> tuple[str, ...]:
    classes = getattr(model, "classes_", None)
    if classes is None or isinstance(classes, list):
        raise UnsupportedMethodError(
            f"{method} needs a single-output classifier with classes_; "
            f"{type(model).__name__} has none. Use method='predict'."
        )
    return tuple(str(label) for label in classes)


def _leaf_of(values: np.ndarray) -> LeafType:
    kind = values.dtype.kind
    if kind == "b":
        return "boolean"
    if kind in "iu":
        return "bigint"
    if kind == "f":
        return "double"
    return "string"
