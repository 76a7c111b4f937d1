"""Hive-style ``key=value`` partition directories: parse them, type them like Spark, check them.

Spark's inference per key: ``bigint`` when every value is an integer, else
``double`` when every value is a number, else ``string``;
``__HIVE_DEFAULT_PARTITION__`` is null. Every file of one input must have the same
keys.

Examples
--------
>>> hive_pairs("region=eu/day=2/part-0.parquet")
(('region', 'eu'), ('day', '2'))
>>> partition_types({"a": (("day", "2"),), "b": (("day", "2.5"),)})
{'day': 'double'}
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import unquote

from toolkit.exceptions import InputFileError

__all__ = [
    "check_partition_keys",
    "hive_pairs",
    "partition_fields",
    "partition_types",
    "typed_value",
]

_NULL_PARTITION = "__HIVE_DEFAULT_PARTITION__"


def partition_fields(files: Sequence[Any]) -> list[Any]:
    """The partition columns as pyarrow fields (the same keys in every file)."""
    import pyarrow as pa

    if not files:
        return []
    arrow = {"bigint": pa.int64(), "double": pa.float64(), "string": pa.string()}
    kinds: dict[str, str] = {}
    for info in files:
        for key, value in info.partition:
            kinds[key] = _merge_kind(kinds.get(key), value)
    return [pa.field(key, arrow[kinds[key]]) for key, _ in files[0].partition]


def hive_pairs(relative: str) -> tuple[tuple[str, str | None], ...]:
    """The ``(key, raw value)`` pairs of a file's directories; ``None`` for Hive's null."""
    pairs = []
    for part in relative.split("/")[:-1]:
        key, sep, value = part.partition("=")
        if sep and key:
            value = unquote(value)
            pairs.append((unquote(key), None if value == _NULL_PARTITION else value))
    return tuple(pairs)


def check_partition_keys(partitions: dict[str, tuple[tuple[str, str | None], ...]]) -> None:
    """Refuse an input whose files do not all have the same partition keys."""
    layouts: dict[tuple[str, ...], str] = {}
    for path, pairs in partitions.items():
        layouts.setdefault(tuple(key for key, _ in pairs), path)
    if len(layouts) > 1:
        (a, first), (b, second) = list(layouts.items())[:2]
        raise InputFileError(
            f"The input mixes partition layouts: {first} has partition keys {list(a)} but "
            f"{second} has {list(b)}. Point the source at one table (or a glob that selects one)."
        )


_INT = re.compile(r"[+-]?\d{1,18}")
_FLOAT = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_KINDS = ("bigint", "double", "string")  # each wider than the one before


def _kind_of(value: Any) -> str:
    if value is None or isinstance(value, int):
        return "bigint"
    return "double" if isinstance(value, float) else "string"


def _merge_kind(kind: str | None, value: Any) -> str:
    return max(kind or "bigint", _kind_of(value), key=_KINDS.index)


def partition_types(partitions: dict[str, tuple[tuple[str, str | None], ...]]) -> dict[str, str]:
    """Spark-like inference per partition key: bigint, else double, else string."""
    kinds: dict[str, str] = {}
    for pairs in partitions.values():
        for key, value in pairs:
            kind = (
                "bigint"
                if value is None or _INT.fullmatch(value)
                else "double"
                if _FLOAT.fullmatch(value)
                else "string"
            )
            kinds[key] = max(kinds.get(key, "bigint"), kind, key=_KINDS.index)
    return kinds


def typed_value(value: str | None, kind: str) -> Any:
    """A raw partition value as the Python value of its inferred ``kind``."""
    if value is None:
        return None
    return int(value) if kind == "bigint" else float(value) if kind == "double" else value
