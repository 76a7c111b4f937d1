"""Check the options of a scoring call once, on the driver, before anything else runs.

Every scoring entry point (``score``, ``scoring_udf``, ``register_udf``,
``score_files``) validates its options here, so a bad value is one
:class:`~toolkit.exceptions.InvalidOptionError` naming the option, what was
expected and what arrived, never a failure inside a Spark task.

Examples
--------
>>> check_options(features=["a", "b"], output_col=None, handle_invalid="keep", batch_size=None)
['a', 'b']
>>> check_options(features=None, output_col="", handle_invalid="error",
...               batch_size=None)  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
toolkit.exceptions.InvalidOptionError: output_col must be a non-empty column name; got ''. ...
"""

from __future__ import annotations

import numbers
import re
from collections.abc import Collection, Sequence
from typing import Any

from toolkit.exceptions import InvalidOptionError

__all__ = [
    "HANDLE_INVALID",
    "SCORING_ENGINES",
    "WRITE_MODES",
    "check_batch_size",
    "check_file_options",
    "check_options",
    "check_udf_name",
]

HANDLE_INVALID = ("error", "skip", "keep")
# How a Spark frame is scored: in Python workers by the model ("python", the default),
# compiled into Spark expressions ("native", else UnsupportedModelError) or native when
# every step compiles ("auto").
SCORING_ENGINES = ("python", "auto", "native", "onnx")
WRITE_MODES = ("error", "overwrite")  # what score_files does with an existing destination
_SQL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def check_options(
    *,
    features: Any,
    output_col: Any,
    handle_invalid: Any,
    batch_size: Any,
    engine: Any = "python",
) -> list[str] | None:
    """Validate the shared scoring options; return ``features`` as a list (or None).

    Examples
    --------
    >>> check_options(features="age", output_col="p", handle_invalid="skip", batch_size=1000)
    ['age']
    """
    if handle_invalid not in HANDLE_INVALID:
        raise InvalidOptionError(
            f"handle_invalid must be one of {', '.join(HANDLE_INVALID)}; got {handle_invalid!r}."
        )
    if output_col is not None and not (isinstance(output_col, str) and output_col.strip()):
        raise InvalidOptionError(
            f"output_col must be a non-empty column name; got {output_col!r}. "
            "Leave it out for the default (prediction, probability, ...)."
        )
    check_batch_size(batch_size)
    if engine not in SCORING_ENGINES:
        raise InvalidOptionError(
            f"engine must be one of {', '.join(SCORING_ENGINES)}; got {engine!r}."
        )
    return _feature_list(features)


def check_batch_size(batch_size: Any) -> None:
    """Refuse a batch size that is not a positive whole number of rows.

    Examples
    --------
    >>> check_batch_size(0)
    Traceback (most recent call last):
    ...
    toolkit.exceptions.InvalidOptionError: batch_size must be a positive whole number of rows (or None for the default); got 0.
    """
    if batch_size is None:
        return
    if (
        isinstance(batch_size, bool)
        or not isinstance(batch_size, numbers.Integral)
        or batch_size < 1
    ):
        raise InvalidOptionError(
            "batch_size must be a positive whole number of rows (or None for the default); "
            f"got {batch_size!r}."
        )


def check_udf_name(name: Any) -> str:
    """Refuse a SQL function name Spark SQL could not call.

    Examples
    --------
    >>> check_udf_name("churn_score")
    'churn_score'
    """
    if not (isinstance(name, str) and _SQL_NAME.fullmatch(name)):
        raise InvalidOptionError(
            "A SQL function name must be letters, digits and underscores, not starting with a "
            f"digit (like churn_score); got {name!r}."
        )
    return name


def _feature_list(features: Any) -> list[str] | None:
    if features is None:
        return None
    if isinstance(features, str):
        features = [features]
    ordered = isinstance(features, Sequence) or hasattr(features, "__array__")
    if not ordered or isinstance(features, bytes):
        raise InvalidOptionError(
            "features must be a list of column names in training order (e.g. ['age', 'plan']); "
            f"got {type(features).__name__} {features!r}."
        )
    names = list(features)
    bad = [name for name in names if not (isinstance(name, str) and name)]
    if bad or not names:
        raise InvalidOptionError(
            "features must be a non-empty list of column names (strings); got "
            f"{names!r}" + (f", where {bad!r} are not names." if bad else ".")
        )
    return names


def check_file_options(
    *,
    engine: str,
    format: str,
    mode: str,
    engines: Collection[str],
    formats: Sequence[str],
    model_engine: str = "python",
) -> None:
    """``score_files``' own options: the engine (one of ``engines``), the input ``format``
    (the files engine reads ``formats``; the dataframe engine any format Spark reads), the
    write mode and the model's engine (``native`` needs the dataframe engine).

    Examples
    --------
    >>> engines = ["files", "dataframe"]
    >>> check_file_options(engine="files", format="parquet", mode="error", engines=engines,
    ...                    formats=["parquet"])
    >>> check_file_options(engine="files", format="orc", mode="error", engines=engines,
    ...                    formats=["parquet"])
    Traceback (most recent call last):
    ...
    toolkit.exceptions.InvalidOptionError: format='orc' cannot be read by pyarrow here; it reads parquet. Use engine='dataframe' (the CLI: --engine dataframe) for other Spark formats.
    """
    if engine not in engines:
        raise InvalidOptionError(f"engine must be one of {', '.join(engines)}; got {engine!r}.")
    if engine == "files" and format not in formats:
        raise InvalidOptionError(
            f"format={format!r} cannot be read by pyarrow here; it reads {', '.join(formats)}. "
            "Use engine='dataframe' (the CLI: --engine dataframe) for other Spark formats."
        )
    if mode not in WRITE_MODES:
        raise InvalidOptionError(f"mode must be one of {', '.join(WRITE_MODES)}; got {mode!r}.")
    if model_engine not in SCORING_ENGINES:
        raise InvalidOptionError(
            f"model_engine must be one of {', '.join(SCORING_ENGINES)}; got {model_engine!r}."
        )
    if model_engine == "native" and engine == "files":
        raise InvalidOptionError(
            "model_engine='native' runs the model as Spark expressions, which needs "
            "engine='dataframe' (the CLI: --engine dataframe --model-engine native); the "
            "files engine scores in Python tasks."
        )
