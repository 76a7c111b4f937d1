"""Fail fast on the driver: find missing columns and wrong types before a Spark job starts.

Examples
--------
>>> features = resolve_features(model, None)                       # doctest: +SKIP
>>> check_columns(model, features, {"age": True, "city": False})   # doctest: +SKIP
"""

from __future__ import annotations

import difflib
import numbers
from collections.abc import Mapping
from typing import Any

import numpy as np

from toolkit._typing import ColumnNames
from toolkit.exceptions import SchemaMismatchError

__all__ = ["check_columns", "numeric_columns", "resolve_features"]

# scikit-learn transformers that take non-numeric input (strings, categories, dicts, text).
_TAKES_STRINGS = {
    "OneHotEncoder", "OrdinalEncoder", "TargetEncoder", "CountVectorizer", "TfidfVectorizer",
    "HashingVectorizer", "DictVectorizer", "FeatureHasher", "MissingIndicator",
}  # fmt: skip


def resolve_features(model: Any, features: ColumnNames | None) -> list[str]:
    """Return the feature columns in the order the model was trained on.

    Examples
    --------
    >>> resolve_features(model_fitted_on_frame_with_a_b, None)  # doctest: +SKIP
    ['a', 'b']
    """
    trained = getattr(model, "feature_names_in_", None)
    count = getattr(model, "n_features_in_", None)
    if features is None:
        if trained is None:
            hint = f" of the {count} it was trained on" if count is not None else ""
            raise SchemaMismatchError(
                f"{type(model).__name__} was trained without column names (no feature_names_in_), "
                f"so scaleout cannot tell which columns to use. Pass features=[...] naming the "
                f"columns{hint}, in training order."
            )
        return [str(name) for name in trained]
    features = [str(name) for name in ([features] if isinstance(features, str) else features)]
    if len(set(features)) != len(features):
        raise SchemaMismatchError(f"features has duplicates: {features}. Name each column once.")
    if count is not None and len(features) != count:
        raise SchemaMismatchError(
            f"{type(model).__name__} expects {count} features; features names {len(features)}: "
            f"{features}."
        )
    if trained is not None:
        trained = [str(name) for name in trained]
        if set(features) != set(trained):
            raise SchemaMismatchError(
                f"{type(model).__name__} was trained on columns {trained}; features={features} "
                "names others. Rename your columns to the training names, or leave features=None."
            )
        return trained
    return features


def check_columns(model: Any, features: ColumnNames, numeric: Mapping[str, bool | str]) -> None:
    """Check every feature exists and is numeric where the model needs numbers.

    Parameters
    ----------
    numeric : mapping
        Each data column to ``True`` when it holds numbers (or booleans), else its type name.

    Examples
    --------
    >>> check_columns(model, ["age"], {"agee": True})  # doctest: +SKIP
    Traceback (most recent call last):
    SchemaMismatchError: missing column 'age' (closest: 'agee') ...
    """
    missing = [name for name in features if name not in numeric]
    if missing:
        closest = {
            name: difflib.get_close_matches(name, list(numeric), n=3, cutoff=0.5)
            for name in missing
        }
        hints = "; ".join(
            f"{name!r} (closest: {', '.join(map(repr, near))})" if near else repr(name)
            for name, near in closest.items()
        )
        raise SchemaMismatchError(
            f"The data lacks column(s) the model needs: {hints}. The data has "
            f"{list(numeric)}. Rename the columns or pass features=[...]."
        )
    for name in sorted(_needs_numbers(model, features)):
        kind = numeric[name]
        if kind is not True:
            raise SchemaMismatchError(
                f"Column {name!r} is {kind} in the data, but {type(model).__name__} needs numbers "
                f"there. Cast it (df.withColumn({name!r}, F.col({name!r}).cast('double'))) or "
                "encode it in the model's pipeline (OneHotEncoder)."
            )


def numeric_columns(data: Any) -> dict[str, bool | str]:
    """Map each column of a pandas or Spark frame to True (numeric/bool) or its type name.

    Examples
    --------
    >>> numeric_columns(pd.DataFrame({"a": [1], "b": ["x"]}))  # doctest: +SKIP
    {'a': True, 'b': 'object'}
    """
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        api = pd.api.types
        return {
            str(col): True
            if api.is_numeric_dtype(dtype) or api.is_bool_dtype(dtype)
            else str(dtype)
            for col, dtype in data.dtypes.items()
        }
    from pyspark.sql.types import BooleanType, NumericType

    return {
        field.name: True
        if isinstance(field.dataType, NumericType | BooleanType)
        else field.dataType.simpleString()
        for field in data.schema.fields
    }


def _needs_numbers(model: Any, features: ColumnNames) -> set[str]:
    """Features the model certainly needs as numbers; unknown custom steps claim none."""
    first = model.steps[0][1] if hasattr(model, "steps") else model
    if type(first).__name__ == "ColumnTransformer" and hasattr(first, "transformers_"):
        needed: set[str] = set()
        names = list(features)
        for _, step, columns in first.transformers_:
            if _takes_numbers(step) is True:
                needed.update(_column_names(columns, names))
        return needed
    return set(features) if _takes_numbers(first) is True else set()


def _takes_numbers(step: Any) -> bool | None:
    """True: numeric only; False: takes strings; None: cannot tell (custom code)."""
    if isinstance(step, str):
        return step == "passthrough"  # "drop" takes anything
    if hasattr(step, "steps"):
        return _takes_numbers(step.steps[0][1])
    name = type(step).__name__
    if name in _TAKES_STRINGS:
        return False
    if name == "SimpleImputer":
        return step.strategy not in {"most_frequent", "constant"}
    if name == "FunctionTransformer" or not type(step).__module__.startswith("sklearn."):
        return None
    return True


def _column_names(columns: Any, names: list[str]) -> list[str]:
    if isinstance(columns, str):
        return [columns]
    if isinstance(columns, slice):
        return names[columns]
    out = []
    for item in list(columns):
        if isinstance(item, bool | np.bool_):
            continue  # boolean masks are resolved below
        out.append(names[item] if isinstance(item, numbers.Integral) else str(item))
    if len(columns) and all(isinstance(item, bool | np.bool_) for item in columns):
        out = [name for name, keep in zip(names, columns, strict=False) if keep]
    return out
