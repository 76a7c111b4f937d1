"""scikit-learn transformers as Spark expressions: the preprocessing steps of a pipeline.

Each translation follows the step's own ``transform`` operation by operation (the
same subtractions, divisions and multiplications in the same order), so its values
equal scikit-learn's to the last bit or within a rounding. Steps: ``Pipeline``,
``ColumnTransformer`` (``remainder``, ``passthrough``, ``drop``), ``StandardScaler``,
``MinMaxScaler``, ``MaxAbsScaler``, ``SimpleImputer`` (numeric, NaN as missing, any
strategy as fitted), ``OneHotEncoder`` and ``OrdinalEncoder`` (without infrequent
categories), and ``FunctionTransformer`` when it is the identity. Anything else is
:func:`toolkit.native.block.unsupported`.

Examples
--------
>>> from sklearn.preprocessing import Normalizer
>>> transform(Normalizer(), Block([], []), Trace())  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
toolkit.exceptions.UnsupportedModelError: engine="native" cannot compile Normalizer: it has no native translation. ...
"""

from __future__ import annotations

from typing import Any

import numpy as np

from toolkit.native import sql
from toolkit.native.block import Block, Trace, add_finite_checks, any_of, unsupported
from toolkit.native.estimators import outputs

__all__ = ["transform"]


def transform(step: Any, block: Block, trace: Trace) -> Block:
    """``step.transform`` of ``block`` as Spark expressions; trace are appended."""
    name = type(step).__name__
    translate = _TRANSLATIONS.get(name)
    if translate is None or type(step).__module__.split(".")[0] != "sklearn":
        raise unsupported(step, "it has no native translation")
    return translate(step, block, trace)


def _names(step: Any, block: Block) -> list[str]:
    try:
        return [str(n) for n in step.get_feature_names_out(block.names)]
    except Exception:
        return [str(n) for n in step.get_feature_names_out()]


def _numeric(step: Any, block: Block, trace: Trace) -> list[Any]:
    columns = block.numeric(step)
    add_finite_checks(trace, step.transform, columns)
    return columns


def _standard(step: Any, block: Block, trace: Trace) -> Block:
    out = _numeric(step, block, trace)
    if step.mean_ is not None and step.with_mean:
        out = [c - sql.lit(float(m)) for c, m in zip(out, step.mean_, strict=True)]
    if step.scale_ is not None and step.with_std:
        out = [c / sql.lit(float(s)) for c, s in zip(out, step.scale_, strict=True)]
    return Block(out, _names(step, block))


def _min_max(step: Any, block: Block, trace: Trace) -> Block:
    out = _numeric(step, block, trace)
    pairs = zip(out, step.scale_, step.min_, strict=True)
    out = [(c * sql.lit(float(s))) + sql.lit(float(m)) for c, s, m in pairs]
    if step.clip:
        low, high = (sql.lit(float(v)) for v in step.feature_range)
        out = [
            sql.when(sql.isnan(c), c).when(c < low, low).when(c > high, high).otherwise(c)
            for c in out
        ]
    return Block(out, _names(step, block))


def _max_abs(step: Any, block: Block, trace: Trace) -> Block:
    out = _numeric(step, block, trace)
    out = [c / sql.lit(float(s)) for c, s in zip(out, step.scale_, strict=True)]
    return Block(out, _names(step, block))


def _imputer(step: Any, block: Block, trace: Trace) -> Block:
    missing = step.missing_values
    if not (isinstance(missing, float) and np.isnan(missing)) or step.add_indicator:
        raise unsupported(step, "only missing_values=np.nan without add_indicator compiles")
    out = _numeric(step, block, trace)
    stats = np.asarray(step.statistics_, dtype=float)
    kept = [
        sql.when(sql.isnan(c), sql.lit(float(v))).otherwise(c)
        for c, v in zip(out, stats, strict=True)
        if step.keep_empty_features or not np.isnan(v)
    ]
    return Block(kept, _names(step, block))


def _categories(step: Any) -> list[np.ndarray]:
    if getattr(step, "infrequent_categories_", None) is not None and any(
        c is not None for c in step.infrequent_categories_
    ):
        raise unsupported(step, "it groups infrequent categories")
    for cats in step.categories_:
        if cats.dtype == object and any(v is None or v != v for v in cats):
            raise unsupported(step, "a category is missing (None or NaN) in a string column")
    return list(step.categories_)


def _equals(column: Any, value: Any, string: bool) -> Any:
    if string:
        return column == sql.lit(str(value))
    if isinstance(value, float) and np.isnan(value):
        return sql.isnan(column)
    return column == sql.lit(float(value))


def _known(column: Any, cats: np.ndarray, string: bool) -> Any:
    return any_of([_equals(column, v, string) for v in cats])


def _unknown_message(column: Any, index: int, string: bool) -> Any:
    """scikit-learn's "Found unknown categories [...] in column i during transform"."""
    shown = (
        sql.concat(sql.lit("'"), column, sql.lit("'"))
        if string
        else sql.regexp_replace(column.cast("string"), "E", "e+")
    )
    value = sql.coalesce(shown, sql.lit("None"))
    return sql.concat(
        sql.lit("Found unknown categories ["),
        value,
        sql.lit(f"] in column {index} during transform"),
    )


def _check_inputs(step: Any, block: Block) -> None:
    kinds = {bool(s) for s in block.strings}
    cats = step.categories_
    for string, values in zip(block.strings, cats, strict=True):
        if string != (values.dtype == object):
            raise unsupported(step, "its fitted categories and the column types differ")
    if len(kinds) > 1:
        raise unsupported(step, "it mixes string and numeric columns")


def _one_hot(step: Any, block: Block, trace: Trace) -> Block:
    _check_inputs(step, block)
    cats = _categories(step)
    if step.handle_unknown not in ("error", "ignore", "infrequent_if_exist"):
        raise unsupported(step, f"handle_unknown={step.handle_unknown!r}")
    drops = step.drop_idx_ if step.drop_idx_ is not None else [None] * len(cats)
    out: list[Any] = []
    for index, (col, values, string, drop) in enumerate(
        zip(block.columns, cats, block.strings, drops, strict=True)
    ):
        if step.handle_unknown == "error":
            known = sql.coalesce(_known(col, values, string), sql.lit(False))
            trace.add(~known, _unknown_message(col, index, string), explained=False)
        for position, value in enumerate(values):
            if drop is not None and position == drop:
                continue
            hit = sql.coalesce(_equals(col, value, string), sql.lit(False))
            out.append(sql.when(hit, sql.lit(1.0)).otherwise(sql.lit(0.0)))
    if np.dtype(step.dtype) != np.float64:
        raise unsupported(step, f"dtype={np.dtype(step.dtype).name} (float64 compiles)")
    return Block(out, _names(step, block))


def _ordinal(step: Any, block: Block, trace: Trace) -> Block:
    _check_inputs(step, block)
    cats = _categories(step)
    if step.handle_unknown not in ("error", "use_encoded_value"):
        raise unsupported(step, f"handle_unknown={step.handle_unknown!r}")
    if np.dtype(step.dtype) != np.float64:
        raise unsupported(step, f"dtype={np.dtype(step.dtype).name} (float64 compiles)")
    out: list[Any] = []
    for index, (col, values, string) in enumerate(
        zip(block.columns, cats, block.strings, strict=True)
    ):
        known = sql.coalesce(_known(col, values, string), sql.lit(False))
        if step.handle_unknown == "error":
            trace.add(~known, _unknown_message(col, index, string), explained=False)
        unknown = sql.lit(float(step.unknown_value)) if step.unknown_value is not None else None
        expr: Any = None
        for position, value in enumerate(values):
            code = sql.lit(float(position))
            if isinstance(value, float) and np.isnan(value):
                code = sql.lit(float(step.encoded_missing_value))
            hit = sql.coalesce(_equals(col, value, string), sql.lit(False))
            expr = sql.when(hit, code) if expr is None else expr.when(hit, code)
        out.append(expr.otherwise(unknown) if unknown is not None else expr)
    return Block(out, _names(step, block))


def _function(step: Any, block: Block, trace: Trace) -> Block:
    if step.func is not None or step.validate:
        raise unsupported(step, "only the identity FunctionTransformer compiles")
    return block


def _pipeline(step: Any, block: Block, trace: Trace) -> Block:
    for _, inner in step.steps:
        if inner is None or inner == "passthrough":
            continue
        block = transform(inner, block, trace)
    return block


def _column_transformer(step: Any, block: Block, trace: Trace) -> Block:
    parts: list[Block] = []
    for _, inner, keys in step.transformers_:
        if inner == "drop":
            continue
        selected = block.select(keys, step)
        if len(selected) == 0:
            continue
        parts.append(selected if inner == "passthrough" else transform(inner, selected, trace))
    names = [str(n) for n in step.get_feature_names_out()]
    columns = [c for part in parts for c in part.columns]
    strings = [s for part in parts for s in part.strings]
    if len(names) != len(columns):
        raise unsupported(step, "its output columns could not be matched to their names")
    return Block(columns, names, strings)


def _distances(step: Any, block: Block, trace: Trace) -> Block:
    """``KMeans.transform`` inside a pipeline: the distances to the centres."""
    return Block(outputs(step, "transform", block, trace), _names(step, block))


_TRANSLATIONS = {
    "KMeans": _distances,
    "MiniBatchKMeans": _distances,
    "StandardScaler": _standard,
    "MinMaxScaler": _min_max,
    "MaxAbsScaler": _max_abs,
    "SimpleImputer": _imputer,
    "OneHotEncoder": _one_hot,
    "OrdinalEncoder": _ordinal,
    "FunctionTransformer": _function,
    "Pipeline": _pipeline,
    "ColumnTransformer": _column_transformer,
}
