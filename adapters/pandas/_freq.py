"""pandas' ``freq`` of a DatetimeIndex, on results pandas-on-Spark gives without one.

pandas-on-Spark keeps no ``freq``. Where pandas' own is known for certain, it is
remembered on the pandas-on-Spark object and set again when that object is brought to
pandas (``to_pandas()``, or a fallback collecting it):

- data built from a pandas object (a constructor, a fallback's result, ``date_range``):
  that object's freq, as long as the pandas-on-Spark object is unchanged (the same
  internal frame: any change in place makes a new one);
- a resampled aggregation: the resampling rule, with which pandas builds its index
  (:func:`adapters.pandas._order.resampled`).

pandas checks that a freq fits the values; where it does not, none is set.

Examples
--------
>>> import pandas
>>> restore(object(), pandas.Series([1]))
0    1
dtype: int64
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "FREQ",
    "KEEPS_INDEX",
    "carry",
    "carry_columns",
    "kept_index",
    "remember",
    "remember_index",
    "restore",
    "reindexed",
    "selected_columns",
    "sliced",
    "taken",
]

# (freq, the internal frame it holds for, taken) on a pandas-on-Spark object; ``taken``: the
# rows were taken from an index with that freq (pandas' freq is then the freq of the step).
FREQ = "_scaleout_freq"
# DataFrame / Series methods whose pandas result has the receiver's own index object.
# (A slice of rows keeps it too: head, tail, first, last, truncate.)
KEEPS_INDEX = frozenset(
    {"shift", "fillna", "ffill", "bfill", "astype", "abs", "round", "clip", "copy"}
    | {"head", "tail", "first", "last", "truncate"}
    | {"isna", "isnull", "notna", "notnull", "cumsum", "cumprod", "cummax", "cummin"}
    | {"diff", "pct_change", "replace", "where", "mask"}
)


def _internal(data: Any) -> Any:
    """The internal frame of a pandas-on-Spark DataFrame, Series or Index (None otherwise)."""
    if not type(data).__module__.startswith("pyspark.pandas"):
        return None
    try:
        return data._internal if type(data).__name__ == "DataFrame" else data._psdf._internal
    except AttributeError:
        return None


def remember(data: Any, freq: Any, *, taken: bool = False) -> None:
    """Remember ``freq`` as pandas' freq of ``data``'s index, while ``data`` is unchanged
    (``taken``: the freq of the index ``data``'s rows were taken from)."""
    internal = _internal(data)
    if freq is not None and internal is not None:
        object.__setattr__(data, FREQ, (freq, internal, taken))


def remember_index(data: Any, local: Any) -> None:
    """Remember the freq of ``local``'s index (``local``: the pandas object ``data`` is from)."""
    index = local if _is_index(local) else getattr(local, "index", None)
    remember(data, getattr(index, "freq", None))


def carry(source: Any, target: Any, *, step: int = 1, taken: bool = False) -> None:
    """``target`` holds ``source``'s index (every ``step``-th row of it; or rows ``taken``
    from it): pandas' freq follows."""
    found = _found(source)
    if found is not None and not found[1] and step:
        remember(target, found[0] * step, taken=taken)


def carry_columns(target: Any, args: tuple, kwargs: dict) -> None:
    """``DataFrame({name: series, ...})`` of Series sharing one frame and one freq: pandas'
    index is theirs, and so is its freq."""
    data = args[0] if args else kwargs.get("data")
    if len(args) > 1 or "index" in kwargs or type(data) is not dict or not data:
        return
    values = list(data.values())
    if not all(type(v).__name__ == "Series" for v in values):
        return
    freqs = [_found(v) for v in values]
    freqs = [None if f is None or f[1] else f[0] for f in freqs]
    one_frame = len({id(_internal(v)) for v in values}) == 1
    if one_frame and None not in freqs and all(f == freqs[0] for f in freqs):
        remember(target, freqs[0])


def kept_index(receiver: Any, result: Any, *_: Any) -> Any:
    """After a method of :data:`KEEPS_INDEX`: the result has the receiver's freq."""
    carry(receiver, result)
    return result


def selected_columns(receiver: Any, result: Any, args: tuple, kwargs: dict) -> Any:
    """After ``df[...]`` / ``df.get(...)``: columns chosen by label keep the frame's index
    (``df[a:b]`` is a slice of rows)."""
    key = args[0] if args else kwargs.get("key")
    if type(key) is slice:
        return sliced(receiver, result, args, kwargs)
    labels = key if type(key) is list else [key]
    if type(receiver).__name__ == "DataFrame" and all(type(k) in (str, int) for k in labels):
        carry(receiver, result)
    return result


def sliced(receiver: Any, result: Any, args: tuple, kwargs: dict) -> Any:
    """After ``s[a:b:k]``, ``df.loc[a:b]``, ``df.iloc[a:b:k]``: pandas' freq times the step."""
    key = args[0] if args else None
    rows = key[0] if type(key) is tuple and key else key
    source = getattr(receiver, "_psdf_or_psser", receiver)
    if type(rows) is slice and (rows.step is None or type(rows.step) is int):
        carry(source, result, step=rows.step or 1)
    return result


def taken(receiver: Any, result: Any, *_: Any) -> Any:
    """After ``at_time`` / ``between_time``: rows taken from the receiver's index."""
    carry(receiver, result, taken=True)
    return result


def reindexed(receiver: Any, result: Any, args: tuple, kwargs: dict) -> Any:
    """After ``reindex(index)`` / ``reindex_like(other)``: pandas' index is the one given."""
    other = args[0] if args else kwargs.get("other", kwargs.get("labels", kwargs.get("index")))
    if kwargs.get("axis") in (1, "columns") or (len(args) > 1 and "columns" not in kwargs):
        return result
    spark = type(other).__module__.startswith("pyspark.pandas")
    source = other.index if type(other).__name__ in ("DataFrame", "Series") and not spark else other
    if _is_index(source):
        remember(result, source.freq)
    else:
        carry(source, result)
    return result


def _found(data: Any) -> tuple[Any, bool] | None:
    """(freq, taken) remembered for ``data`` while it is unchanged, else None."""
    try:
        found = vars(data).get(FREQ)
    except TypeError:
        return None
    if found is None or found[1] is not _internal(data):
        return None
    return found[0], found[2]


def restore(data: Any, local: Any, *_: Any) -> Any:
    """``local`` (``data`` brought to pandas) with the freq remembered for ``data``, if any."""
    found = _found(data)
    if found is None:
        return local
    import pandas

    index = local if _is_index(local) else getattr(local, "index", None)
    kinds = (pandas.DatetimeIndex, pandas.TimedeltaIndex)
    if not isinstance(index, kinds) or index.freq is not None:
        return local
    freq = _of_step(index, found[0]) if found[1] else found[0]
    if freq is None:
        return local
    try:
        fitted = type(index)(index, freq=freq)  # pandas refuses a freq the values miss
    except (TypeError, ValueError):
        return local
    if _is_index(local):
        return fitted
    local.index = fitted
    return local


def _of_step(index: Any, freq: Any) -> Any:
    """pandas' freq of rows taken from an index with a fixed ``freq``: that freq times the
    step when they are evenly spaced (pandas reads the positions as a slice), else None."""
    import numpy
    from pandas.tseries.offsets import Tick

    if not isinstance(freq, Tick):
        return None
    if len(index) < 2:
        return freq
    steps = numpy.unique(numpy.diff(index.as_unit("ns").asi8))
    if len(steps) != 1 or steps[0] <= 0 or steps[0] % freq.nanos:
        return None
    return freq * int(steps[0] // freq.nanos)


def _is_index(value: Any) -> bool:
    import pandas

    return isinstance(value, pandas.Index)
