"""A model's input signature: its feature columns, their kinds, and rows synthesised from them.

The kind of a column is ``double`` (numbers) or ``string`` (categories). It comes
from the ``sample`` frame when there is one, else from the model: a column routed to
a ``OneHotEncoder`` / ``OrdinalEncoder`` fitted on strings is ``string`` (its known
values are the encoder's ``categories_``), every other column is ``double``.

Synthesised rows (when :func:`toolkit.export_onnx` gets no sample): numeric columns
mix three draws, a third each, shuffled: standard normal, normal with standard
deviation 100, and whole numbers from -5 to 50; string columns draw uniformly from
the encoder's known categories. The seed is fixed, so the check is repeatable.

Examples
--------
>>> import pandas as pd
>>> from sklearn.linear_model import LinearRegression
>>> model = LinearRegression().fit(pd.DataFrame({"a": [0.0, 1.0], "b": [1.0, 0.0]}), [0, 1])
>>> sig = signature(model)
>>> sig.features, sig.kinds, sig.per_column
(('a', 'b'), ('double', 'double'), False)
>>> synthesise(sig, rows=6).shape
(6, 2)
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from toolkit.exceptions import ExportError
from toolkit.scoring.checks import resolve_features

__all__ = ["ENCODERS", "Signature", "signature", "synthesise"]

ENCODERS = ("OneHotEncoder", "OrdinalEncoder")


@dataclass(frozen=True)
class Signature:
    """The columns a model reads, in order, their kinds, and the ONNX input layout.

    ``per_column``: one ONNX input per column (a ColumnTransformer first step), else one
    matrix input named ``X``. ``categories``: the values each encoded column's encoder
    knows (strings, or floats for numbers); other values are not vouched for.
    """

    features: tuple[str, ...]
    kinds: tuple[str, ...]
    per_column: bool
    categories: dict[str, tuple[Any, ...]] = field(default_factory=dict)

    @property
    def types(self) -> dict[str, str]:
        """Column name -> ``double`` or ``string``."""
        return dict(zip(self.features, self.kinds, strict=True))

    def to_json(self) -> str:
        return json.dumps(
            {
                "features": list(self.features),
                "kinds": list(self.kinds),
                "per_column": self.per_column,
                "categories": {k: list(v) for k, v in self.categories.items()},
            }
        )

    @classmethod
    def from_json(cls, text: str) -> Signature:
        data = json.loads(text)
        return cls(
            tuple(data["features"]),
            tuple(data["kinds"]),
            bool(data["per_column"]),
            {k: tuple(v) for k, v in data["categories"].items()},
        )

    def feed(self, frame: Any, *, precision: str = "double") -> dict[str, np.ndarray]:
        """The ONNX inputs for ``frame`` (a pandas frame holding the feature columns)."""
        number = np.float64 if precision == "double" else np.float32
        if not self.per_column:
            return {"X": frame[list(self.features)].to_numpy(dtype=number)}
        inputs = {}
        for name, kind in zip(self.features, self.kinds, strict=True):
            values = frame[name].to_numpy()
            if kind == "double":
                inputs[name] = values.astype(number).reshape(-1, 1)
            else:
                inputs[name] = values.astype(str).astype(object).reshape(-1, 1)
        return inputs

    def covers(self, frame: Any) -> bool:
        """True when every row of ``frame`` is one an export is checked on: finite numbers,
        and values the encoders know."""
        for name, kind in zip(self.features, self.kinds, strict=True):
            column, known = frame[name], set(self.categories.get(name, ()))
            if kind == "double":
                try:
                    numbers = column.to_numpy(dtype=np.float64)
                except (TypeError, ValueError):
                    return False
                if not np.isfinite(numbers).all():
                    return False
                if known and not all(float(v) in known for v in numbers):
                    return False  # an encoded number the encoder has not seen
                continue
            if not known or not all(isinstance(v, str) and v in known for v in column):
                return False
        return True


def signature(model: Any, sample: Any = None) -> Signature:
    """Read the model's input signature, from ``sample``'s dtypes when given.

    Raises
    ------
    ExportError
        A string column that is not in a ColumnTransformer, or one with no known values
        and no sample to draw them from.
    """
    features = tuple(resolve_features(model, None))
    first = model.steps[0][1] if hasattr(model, "steps") else model
    per_column = type(first).__name__ == "ColumnTransformer"
    categories = _encoder_categories(first, list(features)) if per_column else {}
    if sample is not None:
        import pandas as pd

        api = pd.api.types
        missing = [name for name in features if name not in sample.columns]
        if missing:
            raise ExportError(
                f"sample lacks the model's feature column(s) {missing}; it has "
                f"{list(map(str, sample.columns))}. Pass a sample with every feature column."
            )
        kinds = tuple(
            "double"
            if api.is_numeric_dtype(sample[name].dtype) or api.is_bool_dtype(sample[name].dtype)
            else "string"
            for name in features
        )
    else:
        kinds = tuple(
            "string" if any(isinstance(v, str) for v in categories.get(name, ())) else "double"
            for name in features
        )
    strings = [name for name, kind in zip(features, kinds, strict=True) if kind == "string"]
    if strings and not per_column:
        raise ExportError(
            f"{type(model).__name__} reads string column(s) {strings} without a "
            "ColumnTransformer, which ONNX export does not handle. Encode them in a "
            "ColumnTransformer step, or serve the model with scikit-learn instead "
            "(scaleout serve MODEL --runtime sklearn)."
        )
    return Signature(features, kinds, per_column, categories)


def synthesise(sig: Signature, *, rows: int = 2000, seed: int = 0) -> Any:
    """Rows for the agreement check, drawn as the module docstring says.

    Raises
    ------
    ExportError
        A string column has no known values (pass ``sample=``).
    """
    import pandas as pd

    rng = np.random.default_rng(seed)
    columns: dict[str, Any] = {}
    third = rows // 3
    for name, kind in zip(sig.features, sig.kinds, strict=True):
        if kind == "string":
            known = sig.categories.get(name)
            if not known:
                raise ExportError(
                    f"Column {name!r} holds strings but the model records no known values "
                    "for it, so scaleout cannot synthesise rows to check the export. Pass "
                    "sample=<a pandas frame of real rows>."
                )
            columns[name] = rng.choice(np.asarray(known, dtype=object), size=rows)
            continue
        if sig.categories.get(name):  # an encoded number column: its known values
            columns[name] = rng.choice(np.asarray(sig.categories[name], dtype=float), size=rows)
            continue
        values = np.concatenate(
            [
                rng.normal(size=third),
                rng.normal(scale=100.0, size=third),
                rng.integers(-5, 51, size=rows - 2 * third).astype(np.float64),
            ]
        )
        rng.shuffle(values)
        columns[name] = values
    return pd.DataFrame(columns)


def _encoder_categories(transformer: Any, names: list[str]) -> dict[str, tuple[Any, ...]]:
    """Encoded column -> the values its encoder knows (strings, or floats for numbers)."""
    found: dict[str, tuple[Any, ...]] = {}
    for _, step, columns in getattr(transformer, "transformers_", []):
        encoder = step.steps[-1][1] if hasattr(step, "steps") else step
        if type(encoder).__name__ not in ENCODERS or not hasattr(encoder, "categories_"):
            continue
        selected = _selected(columns, names)
        for name, known in zip(selected, encoder.categories_, strict=False):
            if np.asarray(known).dtype.kind in "OUS":
                found[name] = tuple(str(v) for v in known if isinstance(v, str))
            elif np.asarray(known).dtype.kind in "iufb":
                found[name] = tuple(float(v) for v in known if not np.isnan(v))
    return found


def _selected(columns: Any, names: list[str]) -> list[str]:
    if isinstance(columns, str):
        return [columns]
    if isinstance(columns, slice):
        return names[columns]
    items = list(columns)
    if items and all(isinstance(item, bool | np.bool_) for item in items):
        return [name for name, keep in zip(names, items, strict=False) if keep]
    return [names[item] if isinstance(item, int | np.integer) else str(item) for item in items]
