"""Give groupby results pandas' row order (pandas-on-Spark returns groups in any order).

pandas sorts an aggregation by its group keys (``sort=True``, the default) and keeps the
rows of a transformation (``cumsum``, ``shift``, ``head``, ...) in the frame's order.
pandas-on-Spark does neither. After a guarded groupby call (:mod:`adapters.pandas._guard`):

- a result indexed by the group keys is sorted by them (unless ``sort=False``: pandas'
  first-seen order is not known here, and the checker says so);
- a result indexed like the frame is sorted by that index when the frame's index is
  increasing (a default index is), which is then the frame's own order; the same holds
  for ``duplicated``, ``drop_duplicates`` and ``repeat`` on a frame or series.

Examples
--------
>>> in_pandas_order(object(), 42)
42
"""

from __future__ import annotations

from typing import Any

from adapters.pandas._fallback import ORIGIN

__all__ = ["KEEP_ORDER", "in_frame_order", "in_pandas_order"]

# DataFrame / Series methods whose result pandas gives in the frame's own row order.
KEEP_ORDER = frozenset({"duplicated", "drop_duplicates", "repeat"})


def in_pandas_order(groupby: Any, result: Any) -> Any:
    """``result`` of a call on ``groupby`` in the row order pandas gives it."""
    if type(result).__name__ not in ("DataFrame", "Series") or not hasattr(groupby, "_psdf"):
        return result
    names = list(result.index.names)
    keys = [key.name for key in groupby._groupkeys]
    if groupby._as_index and names == keys:
        origin = getattr(groupby, ORIGIN, None)
        return result if origin and origin[3].get("sort") is False else result.sort_index()
    parent = groupby._psdf
    if names == list(parent.index.names) and parent.index.is_monotonic_increasing:
        return result.sort_index()
    return result


def in_frame_order(frame: Any, result: Any) -> Any:
    """``result`` of a row-keeping call on ``frame`` (``duplicated``, ``drop_duplicates``,
    ``repeat``) in the frame's row order, when its index is increasing."""
    if type(result).__name__ not in ("DataFrame", "Series") or not hasattr(frame, "index"):
        return result
    same_index = list(result.index.names) == list(frame.index.names)
    if same_index and frame.index.is_monotonic_increasing:
        return result.sort_index()
    return result
