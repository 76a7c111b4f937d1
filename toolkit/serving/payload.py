"""Turn a ``POST /predict`` JSON body into a pandas frame and the scoring options.

A body is a JSON object with exactly one of ``rows`` (a list of objects, one per row)
or ``columns`` (an object of equally long lists), and optionally ``method`` and
``handle_invalid``. Values must be JSON scalars (string, number, boolean, null); the
body is parsed as data only, nothing in it is ever run.

Examples
--------
>>> frame, options = parse_body(b'{"rows": [{"a": 1.5, "b": "x"}], "method": "predict"}')
>>> frame.to_dict("records"), options
([{'a': 1.5, 'b': 'x'}], {'method': 'predict', 'handle_invalid': 'error'})
"""

from __future__ import annotations

import json
from typing import Any

from toolkit.exceptions import UnsupportedInputError

__all__ = ["KEYS", "RequestError", "parse_body"]

KEYS = ("rows", "columns", "method", "handle_invalid")
_SCALARS = (str, int, float, bool, type(None))


class RequestError(UnsupportedInputError):
    """The body is not JSON of the shape ``/predict`` takes (HTTP 400)."""


def parse_body(body: bytes) -> tuple[Any, dict[str, str]]:
    """Parse ``body`` into (pandas frame, {"method": ..., "handle_invalid": ...}).

    Raises
    ------
    RequestError
        Not JSON, not an object, unknown keys, neither or both of rows/columns,
        rows or columns of the wrong shape, or nested values.
    """
    import pandas as pd

    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise RequestError(f"The body is not valid JSON ({exc}). Send {_SHAPE}.") from None
    if not isinstance(data, dict):
        raise RequestError(f"Expected a JSON object; got {type(data).__name__}. Send {_SHAPE}.")
    unknown = sorted(set(data) - set(KEYS))
    if unknown:
        raise RequestError(f"Unknown key(s) {unknown}; the body takes {list(KEYS)}.")
    if ("rows" in data) == ("columns" in data):
        raise RequestError(f"Send exactly one of 'rows' or 'columns'; got {sorted(data)}.")
    options = {
        "method": data.get("method", "predict"),
        "handle_invalid": data.get("handle_invalid", "error"),
    }
    for key, value in options.items():
        if not isinstance(value, str):
            raise RequestError(f"{key!r} must be a string; got {json.dumps(value)}.")
    if "rows" in data:
        rows = data["rows"]
        if not isinstance(rows, list) or not rows or not all(isinstance(r, dict) for r in rows):
            raise RequestError(f"'rows' must be a non-empty list of objects. Send {_SHAPE}.")
        for row in rows:
            _check_scalars(row.items())
        return pd.DataFrame.from_records(rows), options
    columns = data["columns"]
    if not isinstance(columns, dict) or not columns:
        raise RequestError(f"'columns' must be a non-empty object of lists. Send {_SHAPE}.")
    lengths = {name: len(v) if isinstance(v, list) else -1 for name, v in columns.items()}
    if min(lengths.values()) < 1 or len(set(lengths.values())) != 1:
        raise RequestError(
            f"'columns' must map each name to a non-empty list, all of one length; got "
            f"lengths {lengths} (-1: not a list)."
        )
    for name, values in columns.items():
        _check_scalars((name, v) for v in values)
    return pd.DataFrame(columns), options


_SHAPE = '{"rows": [{"a": 1.0, "b": "x"}]} or {"columns": {"a": [1.0], "b": ["x"]}}'


def _check_scalars(items: Any) -> None:
    for name, value in items:
        if not isinstance(value, _SCALARS):
            raise RequestError(
                f"Column {name!r} has a {type(value).__name__} value; values must be JSON "
                "strings, numbers, booleans or null."
            )
