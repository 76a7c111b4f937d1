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

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from toolkit.exceptions import UnsupportedModelError
from toolkit.native import sql
from toolkit.native.block import HIDDEN, NAN, Block, Trace, unsupported
from toolkit.native.estimators import outputs
from toolkit.native.steps import transform
from toolkit.scoring.schema import quote
from toolkit.session.jit import compiles_huge_methods

__all__ = [
    "INLINED_LIMIT", "JIT_METHOD_LIMIT", "NODE_BUDGET", "NativePlan", "compile_request",
    "native_plan", "node_budget",
]  # fmt: skip

#: The most expressions per row ``engine="auto"`` compiles when Spark would run them as one
#: method. Spark generates one Java method for the whole row loop, about 13 bytes of
#: bytecode per expression on top of ~700; HotSpot does not JIT-compile a method over
#: 8,000 bytes, and a model past that line ran 2-3x slower than the Python path (k-means,
#: 8 centres x 20 features: 955 expressions, 13 kB). 500 keeps under the line with a
#: margin: a 20-feature logistic regression with ``handle_invalid="error"`` is 440.
NODE_BUDGET = 500
#: HotSpot's largest JIT-compiled method. With ``spark.sql.codegen.hugeMethodLimit`` at or
#: below it (Spark's advice for HotSpot), Spark runs a plan whose row loop would be larger
#: without whole-stage code generation, as many small compiled methods; with the JVMs
#: started with ``-XX:-DontCompileHugeMethods`` (:func:`toolkit.session` does,
#: :mod:`toolkit.session.jit`) the large method is compiled. Either way ``auto`` needs no
#: budget (k-means 8 x 20: 0.92-1.12x MLlib with the first, 1.41-1.43x with the second).
JIT_METHOD_LIMIT = 8000
_HUGE_METHOD_LIMIT = "spark.sql.codegen.hugeMethodLimit"
#: The longest SQL text :meth:`NativePlan.inlined` writes: a shared value is written out
#: wherever it is used, and a deep model could grow past what is worth parsing.
INLINED_LIMIT = 1_000_000
_SHARED = re.compile(f"`({HIDDEN}\\d+)`")
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
        """``data`` with the output (and, for ``keep``, the reason) column appended.

        A ``selectExpr`` per projection: Spark parses each text once and analyses only
        the new projection (Column objects cost a round trip per operator on classic
        Spark, and a query over ``data`` as a temporary view ~20 ms to create and drop).
        """
        frame = data
        for level in filter(None, self.trace.levels):
            frame = frame.selectExpr("*", *_aliased(level))
        kept, added = self._outputs(request)
        frame = frame.selectExpr(*map(quote, data.columns), *_aliased(added))
        return frame if kept is None else frame.where(kept.sql)

    def inlined(self, request: Any, model: Any) -> Any:
        """The output as one SQL expression (an :class:`~toolkit.native.sql.Expr`, its
        ``nodes`` counting every copy), shared values written out where they are used: a
        column or SQL function cannot add projections. Refused rows fail
        (``handle_invalid="error"``) or give null (``"keep"``); there is no reason column.
        """
        if request.handle_invalid not in ("error", "keep"):
            raise unsupported(model, "a function cannot drop rows (handle_invalid='skip')")
        _, added = self._outputs(request)
        written: dict[str, Any] = {}

        def expand(expr: Any) -> Any:
            names = [match.group(1) for match in _SHARED.finditer(expr.sql)]
            text = _SHARED.sub(lambda match: f"({written[match.group(1)].sql})", expr.sql)
            nodes = expr.nodes + sum(written[name].nodes - 1 for name in names)
            return sql.Expr(text, nodes)

        for level in self.trace.levels:
            for name, expr in level.items():
                written[name] = expand(expr)
        inlined = expand(added[request.spec.column])
        if len(inlined.sql) > INLINED_LIMIT:
            why = f"written as one expression it is {len(inlined.sql):,} characters"
            raise unsupported(model, why)
        return inlined

    def nodes(self, request: Any) -> int:
        """The expressions Spark evaluates per row: what the size of its code grows with."""
        kept, added = self._outputs(request)
        exprs = [e for level in self.trace.levels for e in level.values()]
        exprs += [*added.values(), *([kept] if kept is not None else [])]
        return sum(e.nodes for e in exprs)

    def _outputs(self, request: Any) -> tuple[Any, dict[str, Any]]:
        """The condition on the rows kept (None: all) and the output columns, by name."""
        spec, value, refused = request.spec, self.value, self.refused
        added = {spec.column: value}
        if refused is None:
            if request.handle_invalid == "keep":
                added[request.error_col] = sql.lit(None).cast("string")
            return None, added
        if request.handle_invalid == "error":
            error = sql.concat(sql.lit(_ERROR_START), self.reason, sql.lit(_ERROR_END))
            added[spec.column] = sql.when(refused, sql.raise_error(error)).otherwise(value)
        elif request.handle_invalid == "skip":
            return ~refused, added
        else:  # keep: a null of the value's type (CASE coerces NULL to it) and the reason
            added[spec.column] = sql.when(refused, sql.lit(None)).otherwise(value)
            added[request.error_col] = sql.when(refused, self.reason)
        return None, added


def _aliased(columns: dict[str, Any]) -> list[str]:
    """``expr AS name`` per column, for a select list."""
    return [f"{e.sql} AS {quote(n)}" for n, e in columns.items()]


def node_budget(session: Any) -> int | None:
    """The most expressions ``auto`` compiles in ``session``: :data:`NODE_BUDGET` where
    Spark would put a larger plan into one method the JVM does not compile, else None
    (no limit: the JVMs compile huge methods, or ``spark.sql.codegen.hugeMethodLimit`` is
    at most :data:`JIT_METHOD_LIMIT`)."""
    if compiles_huge_methods(session):
        return None
    try:
        limit = int(session.conf.get(_HUGE_METHOD_LIMIT, "65535"))
    except (TypeError, ValueError):
        return NODE_BUDGET
    return None if limit <= JIT_METHOD_LIMIT else NODE_BUDGET


def native_plan(
    request: Any, schema: Any, *, budget: int | None, columns: Sequence[str] | None = None
) -> NativePlan | None:
    """The plan for ``request.engine``: compiled for ``native`` (or raise); for ``auto``,
    compiled when it compiles and, with a ``budget``, its code has at most that many
    expressions; None (score in Python) otherwise.

    Parameters
    ----------
    request : ScoreRequest
        A checked request (:func:`toolkit.scoring.api.make_request`).
    schema : pyspark.sql.types.StructType
        The schema of the frame to score.
    budget : int or None
        :func:`node_budget` of the session that will run it.
    columns : sequence of str, optional
        As in :func:`compile_request`.
    """
    if request.engine not in ("auto", "native"):
        return None
    try:
        plan = compile_request(request, schema, columns=columns)
    except UnsupportedModelError:
        if request.engine == "native":
            raise
        return None
    if request.engine == "auto" and budget is not None and plan.nodes(request) > budget:
        return None
    return plan


def compile_request(
    request: Any, schema: Any, *, columns: Sequence[str] | None = None
) -> NativePlan:
    """The request's model as Spark expressions over ``schema``'s feature columns.

    Raises :class:`~toolkit.exceptions.UnsupportedModelError` naming the first step or
    input it cannot compile.

    Parameters
    ----------
    request : ScoreRequest
        A checked request (:func:`toolkit.scoring.api.make_request`).
    schema : pyspark.sql.types.StructType
        The schema of the frame to score.
    columns : sequence of str, optional
        The columns of ``schema`` holding the features, in order (default: the features'
        own names; a SQL function reads its parameters).
    """
    model = request.model()
    trace = Trace()
    block, diagnosis = _inputs(model, request.features, columns, schema, trace)
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
    if request.handle_invalid == "keep":  # read twice: by the value and by the reason
        (refused,) = trace.share([refused])
    unexplained = sql.lit("a value the model does not know: ")
    reason = sql.concat(sql.coalesce(diagnosis, unexplained), trace.message())
    return NativePlan(value, refused, reason, trace)


def _inputs(
    model: Any, features: tuple[str, ...], columns: Sequence[str] | None, schema: Any, trace: Trace
) -> tuple[Block, Any]:
    """The feature columns as the Python path hands them to the model (numbers as
    doubles with NaN for missing, strings as strings), and, per feature, the prefix
    of the reason the Python path gives when that feature is missing or infinite."""
    types = {field.name: type(field.dataType).__name__ for field in schema.fields}
    raw, strings = [], []
    for name, source in zip(features, columns or features, strict=True):
        kind = types.get(source)
        if kind in _NUMERIC:
            raw.append(sql.coalesce(sql.col(source).cast("double"), sql.lit(NAN)))
        elif kind == "StringType":
            raw.append(sql.col(source))
        else:
            why = f"feature {name!r} is a {kind} column (numbers and strings compile)"
            raise unsupported(model, why)
        strings.append(kind == "StringType")
    shared = trace.share(raw)
    return Block(shared, list(features), strings), _diagnosis(features, shared, strings)


def _diagnosis(features: Any, columns: list[Any], strings: list[bool]) -> Any:
    """The start of the Python path's reason: "column 'a' has a missing value (nan): "
    for the first feature that is missing or infinite (null when none is).

    ``x * 0.0`` is NaN exactly when ``x`` is NaN or infinite, so the first NaN in that
    array is the first such feature; its value tells which text it gets. Arrays keep the
    generated code small (see :func:`~toolkit.native.block.add_finite_checks`): a CASE per
    feature in the row loop keeps the JVM from compiling it. The texts are put together
    from one name and one kind, not written out per feature, and the position and values
    are written once (:func:`~toolkit.native.sql.bind`): a shorter query is parsed,
    analysed and optimised sooner, and the driver does that on every ``score`` call.
    """
    flags, values = [], []
    for col, string in zip(columns, strings, strict=True):
        if string:  # its value 0.0 stands for None: a numeric feature found here is not finite
            flags.append(sql.when(col.isNull(), NAN).otherwise(0.0))
            values.append(sql.lit(0.0))
        else:
            flags.append(col * sql.lit(0.0))
            values.append(col)
    texts = ["a missing value (nan): ", "an infinite value (inf): ",
             "an infinite value (-inf): ", "a missing value (None): "]  # fmt: skip
    names = [str(name) for name in features]
    quoted = all(repr(name) == f"'{name}'" for name in names)  # plain names: 'a'
    start, middle = ("column '", "' has ") if quoted else ("column ", " has ")
    shown = sql.array(*[sql.lit(name if quoted else repr(name)) for name in names])

    def text(row: dict[str, Any]) -> Any:
        position = row["position"]
        value = sql.element_at(row["values"], position)
        kind = sql.when(sql.isnan(value), 1).when(value > sql.lit(0.0), 2)
        kind = (
            kind.when(value < sql.lit(0.0), 3).otherwise(4) if any(strings) else kind.otherwise(3)
        )
        found = sql.concat(sql.lit(start), sql.element_at(shown, position), sql.lit(middle),
                           sql.element_at(sql.array(*map(sql.lit, texts)), kind))  # fmt: skip
        return sql.when(position > sql.lit(0), found)

    position = sql.array_position(sql.array(*flags), NAN).cast("int")  # 0: none
    return sql.bind({"position": position, "values": sql.array(*values)}, text)


def _typed(spec: Any, values: list[Any], model: Any) -> Any:
    """The output expressions as the one column ``spec`` describes."""
    if spec.fields:
        if len(values) != len(spec.fields):
            raise unsupported(
                model, f"{spec.method} gives {len(values)} values for {len(spec.fields)} fields"
            )
        pairs = zip(spec.fields, values, strict=True)
        return sql.named_struct({name: v.cast("double") for name, v in pairs})
    if spec.leaf == "array<double>":
        return sql.array(*[v.cast("double") for v in values])
    if len(values) != 1:
        raise unsupported(model, f"{spec.method} gives {len(values)} values for one column")
    return values[0].cast(spec.leaf)
