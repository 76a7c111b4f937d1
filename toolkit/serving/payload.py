"""Turn a ``POST /predict`` JSON body into the request's data and the scoring options.

A body is a JSON object with exactly one of ``rows`` (a list of objects, one per row)
or ``columns`` (an object of equally long lists), and optionally ``method`` and
``handle_invalid``. Values must be JSON scalars (string, number, boolean, null); the
body is parsed as data only, nothing in it is ever run.

:func:`parse_payload` keeps the data as parsed (a :class:`Payload`): the onnxruntime
runtime feeds clean rows from its lists straight into the ONNX session, and the pandas
frame (:meth:`Payload.frame`, what :func:`parse_body` returns) is built only when a
request needs ``tk.score``'s own path.

Examples
--------
>>> frame, options = parse_body(b'{"rows": [{"a": 1.5, "b": "x"}], "method": "predict"}')
>>> frame.to_dict("records"), options
([{'a': 1.5, 'b': 'x'}], {'method': 'predict', 'handle_invalid': 'error'})
>>> payload, _ = parse_payload(b'{"columns": {"a": [1, 2.5]}}')
>>> len(payload), payload.names, payload.column("a"), payload.column("b")
(2, ['a'], [1, 2.5], None)
"""

from __future__ import annotations

import json
from typing import Any

from toolkit.exceptions import UnsupportedInputError

__all__ = ["KEYS", "Payload", "RequestError", "as_frame", "parse_body", "parse_payload"]

KEYS = ("rows", "columns", "method", "handle_invalid")
_SCALARS = (str, int, float, bool, type(None))
_PLAIN = frozenset(_SCALARS)  # the exact types json.loads gives scalars (a quick first check)


class RequestError(UnsupportedInputError):
    """The body is not JSON of the shape ``/predict`` takes (HTTP 400)."""


class Payload:
    """The data of one checked body, as parsed: ``rows`` (a list of objects) or ``columns``
    (an object of equally long lists). :meth:`frame` gives the pandas frame ``parse_body``
    always gave (built once, on first use)."""

    __slots__ = ("_frame", "columns", "rows")

    def __init__(
        self,
        *,
        rows: list[dict[str, Any]] | None = None,
        columns: dict[str, list[Any]] | None = None,
    ) -> None:
        self.rows, self.columns = rows, columns
        self._frame: Any = None

    def __len__(self) -> int:
        if self.rows is not None:
            return len(self.rows)
        assert self.columns is not None
        return len(next(iter(self.columns.values())))

    @property
    def names(self) -> list[str]:
        """Every column name the request sent (the frame's columns)."""
        if self.columns is not None:
            return list(self.columns)
        assert self.rows is not None
        return list(dict.fromkeys(name for row in self.rows for name in row))

    def column(self, name: str) -> list[Any] | None:
        """The values of column ``name``, or None when a row (or the request) lacks it."""
        if self.columns is not None:
            return self.columns.get(name)
        assert self.rows is not None
        values = [row.get(name, _ABSENT) for row in self.rows]
        return None if any(v is _ABSENT for v in values) else values

    def frame(self) -> Any:
        """The pandas frame of the request (``from_records`` for rows)."""
        if self._frame is None:
            import pandas as pd

            if self.rows is not None:
                self._frame = pd.DataFrame.from_records(self.rows)
            else:
                self._frame = pd.DataFrame(self.columns)
        return self._frame


def as_frame(data: Any) -> Any:
    """A :class:`Payload`'s pandas frame; any other data (a pandas frame) as it is."""
    return data.frame() if isinstance(data, Payload) else data


def parse_body(body: bytes) -> tuple[Any, dict[str, str]]:
    """Parse ``body`` into (pandas frame, {"method": ..., "handle_invalid": ...}).

    Raises
    ------
    RequestError
        Not JSON, not an object, unknown keys, neither or both of rows/columns,
        rows or columns of the wrong shape, or nested values.
    """
    payload, options = parse_payload(body)
    return payload.frame(), options


def parse_payload(body: bytes) -> tuple[Payload, dict[str, str]]:
    """Parse and check ``body`` like :func:`parse_body`, keeping the data as parsed.

    Raises
    ------
    RequestError
        As :func:`parse_body`.
    """
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
        if not all(type(v) in _PLAIN for row in rows for v in row.values()):
            for row in rows:
                _check_scalars(row.items())
        return Payload(rows=rows), options
    columns = data["columns"]
    if not isinstance(columns, dict) or not columns:
        raise RequestError(f"'columns' must be a non-empty object of lists. Send {_SHAPE}.")
    lengths = {name: len(v) if isinstance(v, list) else -1 for name, v in columns.items()}
    if min(lengths.values()) < 1 or len(set(lengths.values())) != 1:
        raise RequestError(
            f"'columns' must map each name to a non-empty list, all of one length; got "
            f"lengths {lengths} (-1: not a list)."
        )
    if not all(type(v) in _PLAIN for values in columns.values() for v in values):
        for name, values in columns.items():
            _check_scalars((name, v) for v in values)
    return Payload(columns=columns), options


_ABSENT = object()
_SHAPE = '{"rows": [{"a": 1.0, "b": "x"}]} or {"columns": {"a": [1.0], "b": ["x"]}}'


def _check_scalars(items: Any) -> None:
    for name, value in items:
        if not isinstance(value, _SCALARS):
            raise RequestError(
                f"Column {name!r} has a {type(value).__name__} value; values must be JSON "
                "strings, numbers, booleans or null."
            )
