"""Constructors of data Spark cannot hold, where the source shows it: the checker's half.

Pure data, in the format of :mod:`adapters.migration.gotchas`. Spark has no unsigned,
complex, half-precision, sparse, period, interval or time-zone aware column types, an
object column mixing text, numbers and lists fails on the way to Arrow (pyspark.pandas 4:
``Type uint8 was not understood``, ``Expected bytes, got a 'int' object``), and lists in
cells come back as read-only numpy arrays. At run time
:mod:`adapters.pandas` builds the object in pandas and refuses it by column
(``adapters.pandas._holdable``); these rules let the checker say so from the source.

Examples
--------
>>> sorted({r["api"] for r in HOLDABLE})
['DataFrame.from_dict', 'pandas.DataFrame', 'pandas.Series']
"""

from __future__ import annotations

from typing import Any

__all__ = ["HOLDABLE"]

_DTYPE = (
    "Spark cannot hold a column of this dtype (no unsigned, complex, half-precision, "
    "sparse, period, interval or time-zone aware types)"
)
_DTYPE_FIX = (
    "use a dtype Spark has: int64 for unsigned, float64 for float16, .sparse.to_dense(), "
    "strings for periods and intervals, naive UTC timestamps"
)
_MIXED = (
    "an object column mixing text, numbers and lists cannot become one Spark column "
    "(pyspark.pandas raises on the way to Arrow)"
)
_MIXED_FIX = "give each column one kind of value, e.g. all strings (str(x)) or all numbers"
_LISTS = (
    "lists in cells come back from Spark as read-only numpy arrays: a list read from a "
    "cell is another type, and changing it never reaches the data"
)
_LISTS_FIX = "explode the lists into rows (.explode()) or keep the frame in pandas"
_HELD = {
    "complex": (
        "complex numbers: Spark has no complex type",
        "split them into real and imaginary columns",
    ),
    "tzaware": (
        "time-zone aware timestamps: Spark has none (pyspark.pandas refuses them)",
        "convert to naive UTC first (tz_convert(None)) and keep the zone apart",
    ),
    "period": (
        "periods or intervals: Spark has no such type",
        "use their start timestamps (to_timestamp()) or strings",
    ),
}


def _record(api: str, when: list[list[Any]], message: str, fix: str) -> dict[str, Any]:
    return {"api": api, "severity": "blocker", "when": when, "message": message, "suggestion": fix}


HOLDABLE: tuple[dict[str, Any], ...] = (
    *(
        _record(api, [["dtype", "unholdable", None]], _DTYPE, _DTYPE_FIX)
        for api in ("pandas.Series", "pandas.DataFrame")
    ),
    *(
        _record(api, [[param, test, kind]], f"the data holds {_HELD[kind][0]}", _HELD[kind][1])
        for api in ("pandas.Series", "pandas.DataFrame")
        for kind in ("complex", "tzaware")
        for param, test in (("data", "is"), ("data", "holds"))
    ),
    *(
        _record(
            api,
            [["index", "is", "period"]],
            f"the index holds {_HELD['period'][0]}",
            _HELD["period"][1],
        )
        for api in ("pandas.Series", "pandas.DataFrame")
    ),
    _record(
        "pandas.Series", [["data", "is", "mixed"], ["dtype", "missing", None]], _MIXED, _MIXED_FIX
    ),
    *(
        _record(
            "pandas.DataFrame",
            [["data", test, kind], ["dtype", "missing", None]],
            _MIXED,
            _MIXED_FIX,
        )
        for test, kind in (("is", "mixed_columns"), ("is", "mixed_rows"))
    ),
    _record(
        "pandas.Series", [["data", "is", "lists"], ["dtype", "missing", None]], _LISTS, _LISTS_FIX
    ),
    _record(
        "pandas.DataFrame",
        [["data", "is", "list_columns"], ["dtype", "missing", None]],
        _LISTS,
        _LISTS_FIX,
    ),
    _record(
        "DataFrame.from_dict",
        [
            ["data", "is", "mixed_columns"],
            ["orient", "in", ["columns"]],
            ["dtype", "missing", None],
        ],
        _MIXED,
        _MIXED_FIX,
    ),
    _record(
        "DataFrame.from_dict",
        [["data", "is", "mixed_records"], ["orient", "in", ["index"]], ["dtype", "missing", None]],
        _MIXED + "; with orient='index' each dict value is a row",
        _MIXED_FIX,
    ),
)
