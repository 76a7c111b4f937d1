"""A compiled model as a Spark SQL function, so a SQL query or a Column scores it in the JVM.

``CREATE TEMPORARY FUNCTION name(x0 DOUBLE, x1 STRING) RETURNS type RETURN <expr>``:
Spark writes a SQL function's body into the query that calls it, so scoring through
it starts no Python worker, from SQL (:func:`toolkit.register_udf`) and as a Column
function (:func:`toolkit.scoring_udf`), on classic Spark and Spark Connect. Its
parameters are doubles (numbers, cast as the Python path casts them; null is a
missing value) or strings (the columns the model's encoders fitted on text).

Examples
--------
>>> request = make_request(model, features=["a", "b"], engine="native")  # doctest: +SKIP
>>> create_function(spark, "churn", request)                             # doctest: +SKIP
True
>>> spark.sql("SELECT churn(a, b) FROM customers")                       # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

import numpy as np

from toolkit.native.block import Block
from toolkit.native.plan import native_plan
from toolkit.scoring.schema import quote

__all__ = ["FUNCTION_BUDGET", "create_function", "function_sql", "string_features"]

#: The most expressions ``auto`` writes into a SQL function. A function's body is one
#: expression (no shared projections): what a shared value feeds is written out again
#: (Spark's subexpression elimination merges copies, but not inside CASE branches), and
#: past Java's 64 kB method limit Spark cannot compile it at all. Measured on 1M rows x
#: 20 features: binary logistic regression (1,394 written out) 0.52 s, as fast as
#: ``score``; three-class ``predict_proba`` (6,031 then) 10.9 s, five times slower than
#: Python. On 600k rows, three-class ``predict`` (1,629) took 1.19 s against Python's 1.84.
FUNCTION_BUDGET = 2000


def string_features(model: Any, features: tuple[str, ...]) -> list[bool]:
    """Which features ``model`` reads as strings: those its first steps fitted on text
    (an encoder's categories, an imputer's fill values), through pipelines and
    ``ColumnTransformer`` selections.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn.preprocessing import OneHotEncoder
    >>> encoder = OneHotEncoder().fit(pd.DataFrame({"colour": ["red", "blue"], "size": [1, 2]}))
    >>> string_features(encoder, ("colour", "size"))
    [True, False]
    """
    names = list(features)
    strings = dict.fromkeys(names, False)
    _mark(model, names, strings)
    return [strings[name] for name in names]


def _mark(step: Any, names: list[str], strings: dict[str, bool]) -> None:
    """Set ``strings[name]`` for the columns ``step`` receives as ``names`` and fitted on text."""
    if type(step).__name__ == "Pipeline" and step.steps:
        _mark(step.steps[0][1], names, strings)
    elif type(step).__name__ == "ColumnTransformer":
        block = Block(list(names), list(names))
        for _, part, keys in getattr(step, "transformers_", []):
            if part not in ("drop", "passthrough"):
                _mark(part, block.select(keys, step).names, strings)
    elif hasattr(step, "categories_"):
        for name, cats in zip(names, step.categories_, strict=False):
            strings[name] = strings[name] or cats.dtype.kind in "OUS"
    elif getattr(getattr(step, "statistics_", None), "dtype", np.dtype(float)).kind in "OUS":
        strings.update(dict.fromkeys(names, True))


def function_sql(name: str, request: Any) -> str | None:
    """The ``CREATE OR REPLACE TEMPORARY FUNCTION`` statement for ``request``'s model, or
    None when ``request.engine`` is ``auto`` and the model does not compile, or written
    as one expression it is past :data:`FUNCTION_BUDGET`; ``native`` raises
    :class:`~toolkit.exceptions.UnsupportedModelError` then.

    Parameters
    ----------
    name : str
        The function's name (a SQL identifier).
    request : ScoreRequest
        A checked request (:func:`toolkit.scoring.api.make_request`), ``handle_invalid``
        ``error`` or ``keep`` (null for a refused row).
    """
    from pyspark.sql.types import DoubleType, StringType, StructField, StructType

    from toolkit.exceptions import UnsupportedModelError

    model = request.model()
    params = [f"x{i}" for i in range(len(request.features))]
    kinds = [StringType() if s else DoubleType() for s in string_features(model, request.features)]
    schema = StructType([StructField(p, k) for p, k in zip(params, kinds, strict=True)])
    plan = native_plan(request, schema, budget=None, columns=params)
    if plan is None:
        return None
    try:
        body = plan.inlined(request, model)
    except UnsupportedModelError:
        if request.engine == "native":
            raise
        return None
    if request.engine == "auto" and body.nodes > FUNCTION_BUDGET:
        return None
    signature = ", ".join(
        f"{p} {k.simpleString().upper()}" for p, k in zip(params, kinds, strict=True)
    )
    return (
        f"CREATE OR REPLACE TEMPORARY FUNCTION {quote(name)}({signature}) "
        f"RETURNS {request.spec.ddl} RETURN {body.sql}"
    )


def create_function(spark: Any, name: str, request: Any) -> bool:
    """Create the SQL function :func:`function_sql` writes in ``spark``; False (nothing
    created) when ``auto`` leaves the model to Python."""
    text = function_sql(name, request)
    if text is None:
        return False
    spark.sql(text)
    return True
