"""The last step of a model as Spark expressions: linear models and k-means.

The formulas are scikit-learn's own: ``X @ coef_.T + intercept_`` for every linear
model; the logistic function (binary) or softmax with the maximum subtracted
(multinomial) for ``LogisticRegression.predict_proba``; ``argmax`` with the first
maximum winning for ``predict``; ``||c||^2 - 2 x.c`` (its ``argmin``) for
``KMeans.predict`` and ``sqrt(max(-2 x.c + ||x||^2 + ||c||^2, 0))`` for
``KMeans.transform``.

Examples
--------
>>> sorted(REGRESSORS)[:3]
['ElasticNet', 'ElasticNetCV', 'HuberRegressor']
"""

from __future__ import annotations

from typing import Any

import numpy as np

from toolkit.native import sql
from toolkit.native.block import Block, Trace, add_finite_checks, unsupported

__all__ = ["CLASSIFIERS", "CLUSTERERS", "REGRESSORS", "outputs"]

REGRESSORS = {
    "LinearRegression", "Ridge", "RidgeCV", "Lasso", "LassoCV", "ElasticNet", "ElasticNetCV",
    "SGDRegressor", "LinearSVR", "HuberRegressor",
}  # fmt: skip
CLASSIFIERS = {"LogisticRegression", "LogisticRegressionCV", "LinearSVC", "SGDClassifier",
               "RidgeClassifier", "Perceptron"}  # fmt: skip
CLUSTERERS = {"KMeans", "MiniBatchKMeans"}


def outputs(model: Any, method: str, block: Block, trace: Trace) -> list[Any]:
    """The values of ``model.<method>`` on ``block``: one expression per output column."""
    name = type(model).__name__
    if type(model).__module__.split(".")[0] != "sklearn":
        raise unsupported(model, "it has no native translation")
    call = getattr(model, method, None)
    columns = block.numeric(model)
    if call is None:
        raise unsupported(model, f"it has no {method}")
    if (name in REGRESSORS and method == "predict") or name in CLASSIFIERS:
        values = trace.share(_linear(columns, model.coef_, model.intercept_))
    elif name in CLUSTERERS and method in ("predict", "transform"):
        values = trace.share([_dot(columns, c, 0.0) for c in model.cluster_centers_])
    else:
        raise unsupported(model, f"{method} has no native translation")
    # each value is a sum over every column: not finite whenever a column is not
    add_finite_checks(trace, call, columns, total=values[0])
    if name in REGRESSORS:
        return values
    if name in CLASSIFIERS:
        return _classifier(model, method, values, trace)
    return _kmeans(model, method, columns, values, trace)


def _dot(columns: list[Any], weights: Any, intercept: float) -> Any:
    total = None
    for column, weight in zip(columns, weights, strict=True):
        term = column * sql.lit(float(weight))
        total = term if total is None else total + term
    if total is None:
        total = sql.lit(0.0)
    return total + sql.lit(float(intercept))


def _linear(columns: list[Any], coef: Any, intercept: Any) -> list[Any]:
    """``X @ coef.T + intercept``: one expression per output (target or class)."""
    coef = np.atleast_2d(np.asarray(coef, dtype=float))
    intercept = np.broadcast_to(np.asarray(intercept, dtype=float), (coef.shape[0],))
    return [_dot(columns, row, b) for row, b in zip(coef, intercept, strict=True)]


def _first_max(values: list[Any], labels: list[Any]) -> Any:
    """The label of the first largest value (numpy's argmax)."""
    top = sql.greatest(*values)
    expr = sql.when(values[0] == top, labels[0])
    for value, label in zip(values[1:], labels[1:], strict=True):
        expr = expr.when(value == top, label)
    return expr


def _classifier(model: Any, method: str, scores: list[Any], trace: Trace) -> list[Any]:
    """``method`` from the decision values ``scores`` (``X @ coef_.T + intercept_``)."""
    labels = [sql.lit(v.item() if isinstance(v, np.generic) else v) for v in model.classes_]
    if method == "decision_function":
        return scores
    if method == "predict":
        if len(scores) == 1:
            return [sql.when(scores[0] > sql.lit(0.0), labels[1]).otherwise(labels[0])]
        return [_first_max(scores, labels)]
    if type(model).__name__ not in ("LogisticRegression", "LogisticRegressionCV"):
        raise unsupported(model, f"{method} has no native translation")
    if len(scores) == 1:  # binary: the logistic function, [1 - p, p]
        (p,) = trace.share([sql.lit(1.0) / (sql.lit(1.0) + sql.exp(-scores[0]))])
        probabilities = [sql.lit(1.0) - p, p]
    else:  # multinomial: softmax with the row's maximum subtracted first
        (top,) = trace.share([sql.greatest(*scores)])
        exps = trace.share([sql.exp(s - top) for s in scores])
        total = exps[0]
        for e in exps[1:]:
            total = total + e
        (total,) = trace.share([total])
        probabilities = [e / total for e in exps]
    if method == "predict_proba":
        return probabilities
    if method == "predict_log_proba":
        return [sql.log(p) for p in probabilities]
    raise unsupported(model, f"{method} has no native translation")


def _kmeans(
    model: Any, method: str, columns: list[Any], dots: list[Any], trace: Trace
) -> list[Any]:
    """``method`` from the dot products ``dots`` of the rows with the centres."""
    centers = np.asarray(model.cluster_centers_, dtype=float)
    norms = np.einsum("ij,ij->i", centers, centers)
    if method == "predict":
        distances = trace.share(
            [sql.lit(float(n)) - sql.lit(2.0) * d for n, d in zip(norms, dots, strict=True)]
        )
        (least,) = trace.share([sql.least(*distances)])
        expr = sql.when(distances[0] == least, sql.lit(0))
        for i, distance in enumerate(distances[1:], start=1):
            expr = expr.when(distance == least, sql.lit(i))
        return [expr.cast("bigint")]
    square = None
    for column in columns:
        term = column * column
        square = term if square is None else square + term
    (square,) = trace.share([square])
    out = []
    for norm, dot in zip(norms, dots, strict=True):
        distance = (sql.lit(-2.0) * dot + square) + sql.lit(float(norm))
        out.append(sql.sqrt(sql.greatest(distance, sql.lit(0.0))))
    return out
