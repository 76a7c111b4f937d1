"""Classifying a value the adapter shows against the value pandas shows.

:func:`compare` gives a :class:`Verdict`:

- ``identical``: equal under pandas' strict checks (``assert_frame_equal`` /
  ``assert_series_equal`` / ``assert_index_equal`` defaults, floats to ``rtol=1e-9``,
  ``atol=1e-12``); numpy arrays of the same dtype, equal (NaN equal to NaN); scalars equal
  and of the same type; anything else by ``repr``.
- ``same values``: equal only when dtypes, the index or column type, an index ``freq``,
  scalar types (``numpy.int64`` vs ``int``) are ignored, or when rows come in another
  order *among ties*: the values read top to bottom are pandas' own and only the labels
  of equal rows were swapped (pandas' order among equal values depends on its sort or
  hash, so it is not part of the result).
- ``different``: anything else, including rows or columns in another order, another
  name, or another kind of object. The detail says what differs.

Values from the adapter are first made local with :func:`to_local` (pandas-on-Spark
objects through ``.to_pandas()``).

Examples
--------
>>> import pandas
>>> compare(pandas.Series([1, 2]), pandas.Series([1, 2])).kind
'identical'
>>> compare(pandas.Series([1, 2]), pandas.Series([1.0, 2.0])).kind
'same values'
>>> compare(pandas.Series([1, 2]), pandas.Series([1, 3])).kind
'different'
>>> compare(float("nan"), float("nan")).kind
'identical'
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy
import pandas
from pandas import testing

__all__ = ["DIFFERENT", "IDENTICAL", "KINDS", "SAME", "Verdict", "compare", "to_local", "worst"]

IDENTICAL, SAME, DIFFERENT = "identical", "same values", "different"
KINDS = (IDENTICAL, SAME, DIFFERENT)
RTOL, ATOL = 1e-9, 1e-12
_STRICT: dict[str, Any] = {"rtol": RTOL, "atol": ATOL}
_LOOSE: dict[str, Any] = {
    "rtol": RTOL,
    "atol": ATOL,
    "check_dtype": False,
    "check_index_type": False,
    "check_freq": False,
    "check_flags": False,
    "check_categorical": False,
}


@dataclass(frozen=True)
class Verdict:
    """One of :data:`KINDS` and, unless identical, one line saying why."""

    kind: str
    detail: str = ""


def worst(verdicts: list[Verdict]) -> Verdict:
    """The worst of several verdicts (identical when there are none).

    Examples
    --------
    >>> worst([Verdict(IDENTICAL), Verdict(SAME, "dtype")]).kind
    'same values'
    """
    return max(verdicts, key=lambda v: KINDS.index(v.kind), default=Verdict(IDENTICAL))


def to_local(value: Any) -> Any:
    """``value`` with pandas-on-Spark objects (also inside tuples, lists, dicts) as pandas.

    Examples
    --------
    >>> to_local((1, [2]))
    (1, [2])
    """
    if type(value).__module__.startswith("pyspark.pandas") and hasattr(value, "to_pandas"):
        return value.to_pandas()
    if isinstance(value, type) and value.__module__.startswith("pyspark.pandas"):
        # type(df): the drop-in's DataFrame class is pandas-on-Spark's (isinstance holds)
        return getattr(pandas, value.__name__, value)
    if isinstance(value, (tuple, list)) and type(value) in (tuple, list):
        return type(value)(to_local(v) for v in value)
    if type(value) is dict:
        return {k: to_local(v) for k, v in value.items()}
    return value


def _line(error: BaseException) -> str:
    """An assertion message on one line, pandas' ``[left]``/``[right]`` named."""
    text = str(error).replace("[left]", "[pandas]").replace("[right]", "[adapter]")
    text = "; ".join(part.strip() for part in text.splitlines() if part.strip())
    text = re.sub(r"\s+", " ", text)
    return text if len(text) <= 240 else text[:237] + "..."


def _passes(check: Callable[..., None], *args: Any, **kwargs: Any) -> str | None:
    """None when ``check`` passes, else its message on one line."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            check(*args, **kwargs)
    except (AssertionError, TypeError, ValueError) as error:
        if len(error.args) == 1 and isinstance(error.args[0], tuple) and len(error.args[0]) == 2:
            return "index freq {!r} expected, got {!r}".format(*error.args[0])  # pandas' freq check
        return _line(error) or type(error).__name__
    return None


def _sorted_rows(frame: pandas.DataFrame) -> pandas.DataFrame:
    flat = frame.reset_index()
    flat.columns = [str(c) for c in flat.columns]
    return flat.sort_values(
        list(flat.columns), key=lambda s: s.astype(str), kind="mergesort"
    ).reset_index(drop=True)


def _reordered(want: Any, got: Any, check: Callable[..., None], **loose: Any) -> Verdict | None:
    """For rows in another order: ``same values`` among ties, else ``different``; or None."""
    frame_of = (lambda x: x) if isinstance(want, pandas.DataFrame) else (lambda x: x.to_frame())
    try:
        rows_match = (
            _passes(
                testing.assert_frame_equal,
                _sorted_rows(frame_of(want)),
                _sorted_rows(frame_of(got)),
                **(_LOOSE | {"check_column_type": False, "check_names": False}),
            )
            is None
        )
    except Exception:  # noqa: BLE001 - labels that cannot be sorted or reset: no verdict
        return None
    if not rows_match:
        return None
    in_place = _passes(check, want.reset_index(drop=True), got.reset_index(drop=True), **loose)
    if in_place is None:
        return Verdict(SAME, "rows of equal values in another order")
    return Verdict(DIFFERENT, "the same rows in another order")


def _type_name(value: Any) -> str:
    """``int``, ``numpy.int64``, ``pandas.Series``: where the type is public."""
    kind = type(value)
    module = kind.__module__.split(".")[0]
    return kind.__qualname__ if module == "builtins" else f"{module}.{kind.__qualname__}"


def _pandas_object(want: Any, got: Any) -> Verdict:
    family = next(k for k in (pandas.DataFrame, pandas.Series, pandas.Index) if isinstance(want, k))
    if not isinstance(got, family):  # RangeIndex vs Index is for assert_index_equal to judge
        return Verdict(DIFFERENT, f"{_type_name(want)} expected, got {_type_name(got)}")
    if isinstance(want, pandas.Index):
        strict = _passes(testing.assert_index_equal, want, got, **_STRICT)
        if strict is None:
            return Verdict(IDENTICAL)
        loose = _passes(
            testing.assert_frame_equal,
            want.to_frame(index=False),
            got.to_frame(index=False),
            **(_LOOSE | {"check_column_type": False}),
        )
        if loose is None:
            return Verdict(SAME, strict)
        return Verdict(DIFFERENT, strict if "values are different" in strict else loose)
    frame = isinstance(want, pandas.DataFrame)
    check = testing.assert_frame_equal if frame else testing.assert_series_equal
    strict = _passes(check, want, got, **_STRICT)
    if strict is None:
        return Verdict(IDENTICAL)
    loose_options = _LOOSE | ({"check_column_type": False} if frame else {})
    loose = _passes(check, want, got, **loose_options)
    if loose is None:
        return Verdict(SAME, strict)
    if want.shape == got.shape:
        reordered = _reordered(want, got, check, **loose_options)
        if reordered is not None:
            return reordered
    return Verdict(DIFFERENT, loose)


def _array(want: Any, got: Any) -> Verdict:
    if not isinstance(got, (numpy.ndarray, pandas.api.extensions.ExtensionArray)):
        return Verdict(DIFFERENT, f"array expected, got {_type_name(got)}")
    if type(want) is type(got):
        if isinstance(want, numpy.ndarray):
            strict = _passes(_assert_arrays, want, got, dtype=True)
        else:
            strict = _passes(testing.assert_extension_array_equal, want, got, **_STRICT)
        if strict is None:
            return Verdict(IDENTICAL)
    else:
        strict = f"{_type_name(want)} expected, got {_type_name(got)}"
    loose = _passes(_assert_arrays, _objects(want), _objects(got), dtype=False)
    return Verdict(SAME, strict) if loose is None else Verdict(DIFFERENT, loose)


def _objects(values: Any) -> numpy.ndarray:
    return numpy.asarray(pandas.array(values).to_numpy(dtype=object, na_value=numpy.nan))


def _assert_arrays(want: numpy.ndarray, got: numpy.ndarray, *, dtype: bool) -> None:
    if dtype and want.dtype != got.dtype:
        raise AssertionError(f"dtype {want.dtype} expected, got {got.dtype}")
    if want.shape != got.shape:
        raise AssertionError(f"shape {want.shape} expected, got {got.shape}")
    for a, b in zip(want.ravel(), got.ravel(), strict=True):
        if not _scalars_equal(a, b):
            raise AssertionError(f"values differ: {a!r} (pandas) vs {b!r} (adapter)")


def _missing(value: Any) -> bool:
    try:
        return bool(pandas.api.types.is_scalar(value) and pandas.isna(value))
    except (TypeError, ValueError):
        return False


def _scalars_equal(a: Any, b: Any) -> bool:
    if _missing(a) or _missing(b):
        return _missing(a) and _missing(b)
    numbers = (int, float, numpy.integer, numpy.floating)
    if isinstance(a, numbers) and isinstance(b, numbers) and not isinstance(a, bool):
        return math.isclose(float(a), float(b), rel_tol=RTOL, abs_tol=ATOL)
    try:
        return bool(a == b)
    except Exception:  # noqa: BLE001 - ambiguous or failing equality
        return repr(a) == repr(b)


def _container(want: Any, got: Any) -> Verdict:
    if isinstance(want, dict):
        if not isinstance(got, dict) or list(want) != list(got):
            return Verdict(DIFFERENT, f"dict with keys {list(want)[:5]} expected, got {got!r:.80}")
        pairs = [(want[k], got[k]) for k in want]
    else:
        if not isinstance(got, (tuple, list)) or len(got) != len(want):
            return Verdict(
                DIFFERENT, f"{type(want).__name__} of {len(want)} expected, got {got!r:.80}"
            )
        pairs = list(zip(want, got, strict=True))
    verdict = worst([compare(a, b) for a, b in pairs])
    if type(want) is not type(got) and verdict.kind == IDENTICAL:
        return Verdict(SAME, f"{_type_name(want)} expected, got {_type_name(got)}")
    return verdict


def compare(want: Any, got: Any) -> Verdict:
    """How ``got`` (from the adapter, made local) compares with ``want`` (from pandas).

    Examples
    --------
    >>> import pandas
    >>> compare(pandas.Series([2, 1, 1], index=list("abc")),
    ...         pandas.Series([2, 1, 1], index=list("acb"))).kind
    'same values'
    >>> compare(pandas.Series([1, 2], index=list("ab")),
    ...         pandas.Series([2, 1], index=list("ba"))).detail
    'the same rows in another order'
    """
    got = to_local(got)
    if isinstance(want, (pandas.DataFrame, pandas.Series, pandas.Index)):
        return _pandas_object(want, got)
    if isinstance(want, (numpy.ndarray, pandas.api.extensions.ExtensionArray)):
        return _array(want, got)
    if isinstance(want, (tuple, list, dict)):
        return _container(want, got)
    if isinstance(want, str) or want is None:
        if want == got:
            return Verdict(IDENTICAL)
        return Verdict(DIFFERENT, f"{want!r:.100} expected, got {got!r:.100}")
    if pandas.api.types.is_scalar(want) and pandas.api.types.is_scalar(got):
        if not _scalars_equal(want, got):
            return Verdict(DIFFERENT, f"{want!r:.100} expected, got {got!r:.100}")
        if type(want) is not type(got):
            return Verdict(SAME, f"{_type_name(want)} expected, got {_type_name(got)}")
        return Verdict(IDENTICAL)
    if repr(want) == repr(got):
        return Verdict(IDENTICAL)
    return Verdict(DIFFERENT, f"{want!r:.100} expected, got {got!r:.100}")
