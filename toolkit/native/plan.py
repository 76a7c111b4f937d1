"""Compile a scoring request into Spark expressions, and apply it with ``handle_invalid``.

:func:`compile_request` turns the model of a :class:`~toolkit.scoring.worker.ScoreRequest`
into one output expression (the same column type ``score`` gives on the Python path)
plus the trace of its steps. :meth:`NativePlan.apply` appends it to a DataFrame:
no Python worker runs, the JVM evaluates the arithmetic with whole-stage code generation.

``handle_invalid`` keeps the Python path's semantics: ``error`` fails the job with the
same :class:`~toolkit.exceptions.InvalidInputError` text (Spark's ``raise_error``, which
:func:`toolkit.worker_errors` turns back into the error); ``skip`` drops refused rows;
``keep`` gives them a null value and the reason the Python path gives, "column 'a' has a
missing value (nan): Input X contains NaN." A reason the Python path derives from the
other rows of its batch (an unknown category) cannot be reproduced row by row, so
``keep`` with a category check does not compile.

Examples
--------
>>> plan = compile_request(request, frame.schema)          # doctest: +SKIP
>>> plan.apply(request, frame).select("prediction").show()  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from toolkit.exceptions import UnsupportedModelError
from toolkit.native.block import INF, Block, Trace, unsupported
from toolkit.native.estimators import outputs
from toolkit.native.steps import transform

__all__ = ["NativePlan", "compile_request", "native_plan"]

_NUMERIC = {"ByteType", "ShortType", "IntegerType", "LongType", "DoubleType"}
_ERROR_START = "toolkit.exceptions.InvalidInputError: The model refused a row: "
_ERROR_END = (
    ". Fix the data, or pass handle_invalid='skip' to drop such rows or "
    "handle_invalid='keep' to keep them with a null prediction."
)


@dataclass(frozen=True)
class NativePlan:
    """A model compiled into Spark expressions over the request's feature columns."""

    value: Any  # the output column, typed as OutputSpec says
    refused: Any  # True for a row the model refuses; None when nothing can be refused
    reason: Any  # why (the Python path's words), for a refused row
    trace: Trace  # the shared intermediate columns, computed before the output

    def apply(self, request: Any, data: Any) -> Any:
        """``data`` with the output (and, for ``keep``, the reason) column appended."""
        from pyspark.sql import functions as F

        spec, value, refused = request.spec, self.value, self.refused
        out = data
        for level in self.trace.levels:
            out = out.withColumns(level)
        if refused is None:
            out = out.withColumn(spec.column, value)
            if request.handle_invalid == "keep":
                out = out.withColumn(request.error_col, F.lit(None).cast("string"))
        elif request.handle_invalid == "error":
            error = F.concat(F.lit(_ERROR_START), self.reason, F.lit(_ERROR_END))
            out = out.withColumn(
                spec.column, F.when(refused, F.raise_error(error)).otherwise(value)
            )
        elif request.handle_invalid == "skip":
            out = out.where(~refused).withColumn(spec.column, value)
        else:
            typed_null = F.lit(None).cast(spec.spark_type())
            out = out.withColumn(spec.column, F.when(refused, typed_null).otherwise(value))
            out = out.withColumn(request.error_col, F.when(refused, self.reason))
        return out.drop(*self.trace.hidden())


def native_plan(request: Any, schema: Any) -> NativePlan | None:
    """The plan for ``request.engine``: compiled for ``native`` (or raise), compiled when it
    compiles for ``auto``, None (score in Python) for ``python``.

    Parameters
    ----------
    request : ScoreRequest
        A checked request (:func:`toolkit.scoring.api.make_request`).
    schema : pyspark.sql.types.StructType
        The schema of the frame to score.
    """
    if request.engine == "python":
        return None
    try:
        return compile_request(request, schema)
    except UnsupportedModelError:
        if request.engine == "native":
            raise
        return None


def compile_request(request: Any, schema: Any) -> NativePlan:
    """The request's model as Spark expressions over ``schema``'s feature columns.

    Raises :class:`~toolkit.exceptions.UnsupportedModelError` naming the first step or
    input it cannot compile.

    Parameters
    ----------
    request : ScoreRequest
        A checked request (:func:`toolkit.scoring.api.make_request`).
    schema : pyspark.sql.types.StructType
        The schema of the frame to score.
    """
    from pyspark.sql import functions as F

    model = request.model()
    trace = Trace()
    block, diagnosis = _inputs(model, request.features, schema, trace)
    steps = list(getattr(model, "steps", [])) if type(model).__name__ == "Pipeline" else []
    if request.method == "transform" or not steps:
        last = model
        head: list[Any] = []
    else:
        last = steps[-1][1]
        head = [step for _, step in steps[:-1]]
    for step in head:
        if step is not None and step != "passthrough":
            block = transform(step, block, trace)
            block.columns = trace.share(block.columns)
    if request.method == "transform":  # a transformer, or a pipeline ending in k-means
        values = transform(last, block, trace).columns
    else:
        values = outputs(last, request.method, block, trace)
    value = _typed(request.spec, values, model)
    refused = trace.refused()
    if refused is None:
        return NativePlan(value, None, None, trace)
    if request.handle_invalid == "keep" and not trace.explained:
        raise unsupported(
            model,
            "handle_invalid='keep' with a category check (the Python path's reason for an "
            "unknown category depends on the other rows of its batch)",
        )
    (refused,) = trace.share([refused])
    # Each value appears once: Spark computes a repeated subexpression for every row,
    # even inside a branch that only refused rows take.
    unexplained = F.lit("a value the model does not know: ")
    reason = F.concat(F.coalesce(diagnosis, unexplained), trace.message())
    return NativePlan(value, refused, reason, trace)


def _inputs(model: Any, features: tuple[str, ...], schema: Any, trace: Trace) -> tuple[Block, Any]:
    """The feature columns as the Python path hands them to the model (numbers as
    doubles with NaN for missing, strings as strings), and, per feature, the prefix
    of the reason the Python path gives when that feature is missing or infinite."""
    from pyspark.sql import functions as F

    from toolkit.scoring.schema import column

    types = {field.name: type(field.dataType).__name__ for field in schema.fields}
    raw, strings = [], []
    for name in features:
        kind = types.get(name)
        if kind in _NUMERIC:
            raw.append(F.coalesce(column(name).cast("double"), F.lit(float("nan"))))
        elif kind == "StringType":
            raw.append(column(name))
        else:
            why = f"feature {name!r} is a {kind} column (numbers and strings compile)"
            raise unsupported(model, why)
        strings.append(kind == "StringType")
    columns = trace.share(raw)
    return Block(columns, list(features), strings), _diagnosis(features, columns, strings)


def _diagnosis(features: Any, columns: list[Any], strings: list[bool]) -> Any:
    """The start of the Python path's reason: "column 'a' has a missing value (nan): "
    for the first feature that is missing or infinite (null when none is).

    One array of tests (missing, +inf, -inf per feature) gives the position of the first
    that holds, which picks the text from an array of constants: a large expression in
    the row loop (a CASE per feature) keeps the JVM from compiling the loop.
    """
    from pyspark.sql import functions as F

    tests, texts = [], []
    for name, col, string in zip(features, columns, strings, strict=True):
        start = f"column {str(name)!r} has "
        if string:
            tests.append(col.isNull())
            texts.append(start + "a missing value (None): ")
            continue
        tests += [F.isnan(col), col == F.lit(INF), col == F.lit(-INF)]
        texts += [start + "a missing value (nan): ", start + "an infinite value (inf): ",
                  start + "an infinite value (-inf): "]  # fmt: skip
    position = F.array_position(F.array(*tests), True).cast("int")  # 0: none holds
    choices = F.array(F.lit(None).cast("string"), *[F.lit(t) for t in texts])
    return F.element_at(choices, position + 1)  # position once (see compile_request)


def _typed(spec: Any, values: list[Any], model: Any) -> Any:
    """The output expressions as the one column ``spec`` describes."""
    from pyspark.sql import functions as F

    if spec.fields:
        if len(values) != len(spec.fields):
            raise unsupported(
                model, f"{spec.method} gives {len(values)} values for {len(spec.fields)} fields"
            )
        return F.struct(
            *[v.cast("double").alias(name) for v, name in zip(values, spec.fields, strict=True)]
        )
    if spec.leaf == "array<double>":
        return F.array(*[v.cast("double") for v in values])
    if len(values) != 1:
        raise unsupported(model, f"{spec.method} gives {len(values)} values for one column")
    return values[0].cast(spec.leaf)
