"""Read the installed pandas and pyspark.pandas to learn what pandas-on-Spark lacks.

Nothing here is hand-written knowledge: the pandas API is ``dir()`` of the pandas
classes, the pandas-on-Spark API is what its classes define, ``pyspark.pandas.missing``
gives pyspark's own wording, and keyword support comes from comparing signatures.
The curated half of the rules lives in :mod:`adapters.migration.gotchas`.

Examples
--------
>>> from adapters.migration.surface import surface
>>> "asfreq" in surface().missing["DataFrame"]                   # doctest: +SKIP
True
"""

from __future__ import annotations

import functools
import importlib
import inspect
import os
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["SURFACES", "Missing", "Surface", "import_path", "surface"]

# API prefix (how findings name an API) -> (pandas class, pyspark.pandas classes, missing class).
SURFACES: dict[str, tuple[str, tuple[str, ...], str | None]] = {
    "DataFrame": (
        "pandas:DataFrame",
        ("pyspark.pandas.frame:DataFrame",),
        "pyspark.pandas.missing.frame:MissingPandasLikeDataFrame",
    ),
    "Series": (
        "pandas:Series",
        ("pyspark.pandas.series:Series",),
        "pyspark.pandas.missing.series:MissingPandasLikeSeries",
    ),
    "Index": (
        "pandas:Index",
        ("pyspark.pandas.indexes.base:Index",),
        "pyspark.pandas.missing.indexes:MissingPandasLikeIndex",
    ),
    "DataFrameGroupBy": (
        "pandas.core.groupby:DataFrameGroupBy",
        ("pyspark.pandas.groupby:DataFrameGroupBy",),
        "pyspark.pandas.missing.groupby:MissingPandasLikeDataFrameGroupBy",
    ),
    "SeriesGroupBy": (
        "pandas.core.groupby:SeriesGroupBy",
        ("pyspark.pandas.groupby:SeriesGroupBy",),
        "pyspark.pandas.missing.groupby:MissingPandasLikeSeriesGroupBy",
    ),
    "Rolling": (
        "pandas.core.window.rolling:Rolling",
        ("pyspark.pandas.window:Rolling",),
        "pyspark.pandas.missing.window:MissingPandasLikeRolling",
    ),
    "RollingGroupby": (
        "pandas.core.window.rolling:RollingGroupby",
        ("pyspark.pandas.window:RollingGroupby",),
        "pyspark.pandas.missing.window:MissingPandasLikeRollingGroupby",
    ),
    "Expanding": (
        "pandas.core.window.expanding:Expanding",
        ("pyspark.pandas.window:Expanding",),
        "pyspark.pandas.missing.window:MissingPandasLikeExpanding",
    ),
    "ExpandingGroupby": (
        "pandas.core.window.expanding:ExpandingGroupby",
        ("pyspark.pandas.window:ExpandingGroupby",),
        "pyspark.pandas.missing.window:MissingPandasLikeExpandingGroupby",
    ),
    "ExponentialMovingWindow": (
        "pandas.core.window.ewm:ExponentialMovingWindow",
        ("pyspark.pandas.window:ExponentialMoving",),
        "pyspark.pandas.missing.window:MissingPandasLikeExponentialMoving",
    ),
    "Resampler": (
        "pandas.core.resample:DatetimeIndexResampler",
        ("pyspark.pandas.resample:DataFrameResampler", "pyspark.pandas.resample:SeriesResampler"),
        "pyspark.pandas.missing.resample:MissingPandasLikeDataFrameResampler",
    ),
    "Series.str": (
        "pandas.core.strings.accessor:StringMethods",
        ("pyspark.pandas.strings:StringMethods",),
        None,
    ),
    "Series.dt": (
        "pandas.core.indexes.accessors:DatetimeProperties",
        ("pyspark.pandas.datetimes:DatetimeMethods",),
        None,
    ),
    "Series.cat": (
        "pandas.core.arrays.categorical:CategoricalAccessor",
        ("pyspark.pandas.categorical:CategoricalAccessor",),
        None,
    ),
}
TOP_LEVEL = "pandas"
_PS_TOP = "pyspark.pandas"
_PS_TOP_MISSING = "pyspark.pandas.missing.general_functions:MissingPandasLikeGeneralFunctions"
_PS_SCALARS = "pyspark.pandas.missing.scalars:MissingPandasLikeScalars"
# Top-level names that touch only local state (options display, version info): always pandas.
LOCAL_TOP_LEVEL = frozenset({"annotations", "describe_option", "set_eng_float_format", "test"})


@dataclass(frozen=True)
class Missing:
    """One pandas API that pandas-on-Spark does not have.

    ``kind`` is ``"method"`` or ``"property"`` (as in pandas); ``source`` is
    ``"pyspark.pandas.missing"`` when pyspark lists it, else ``"absent"``. A top-level
    ``"class"`` (``pd.Grouper``) only builds local objects and gets no rule of its own.
    """

    api: str
    name: str
    kind: str
    source: str
    reason: str = ""


@dataclass(frozen=True)
class Surface:
    """What the installed pandas has and pandas-on-Spark lacks, per API prefix."""

    pyspark_version: str
    missing: dict[str, dict[str, Missing]] = field(default_factory=dict)
    # api -> {keyword: pandas default} for keywords pandas-on-Spark does not accept
    keywords: dict[str, dict[str, Any]] = field(default_factory=dict)
    # api -> keywords pandas-on-Spark swallows into **options (Spark reader options)
    swallowed: dict[str, dict[str, Any]] = field(default_factory=dict)
    passthrough: frozenset[str] = frozenset()
    spark_options: frozenset[str] = frozenset()

    def pandas_object(self, api: str) -> Any:
        """Return the pandas function, method or descriptor named by ``api``, or None."""
        return _pandas_object(api)

    def pandas_parameters(self, api: str) -> list[inspect.Parameter]:
        """Parameters of the pandas callable ``api`` (``self`` dropped), or ``[]``."""
        return _pandas_parameters(api)


def import_path(path: str) -> Any:
    """Import ``"package.module:Attr"`` and return the attribute.

    Examples
    --------
    >>> import_path("pandas:DataFrame").__name__
    'DataFrame'
    """
    module, _, attr = path.partition(":")
    obj: Any = importlib.import_module(module)
    for part in filter(None, attr.split(".")):
        obj = getattr(obj, part)
    return obj


def import_pyspark_pandas() -> types.ModuleType:
    """Import pyspark.pandas quietly (no JVM is started).

    Examples
    --------
    >>> import_pyspark_pandas().__name__                          # doctest: +SKIP
    'pyspark.pandas'
    """
    os.environ.setdefault("PYARROW_IGNORE_TIMEZONE", "1")
    return importlib.import_module(_PS_TOP)


@functools.lru_cache(maxsize=1)
def surface() -> Surface:
    """Compare the installed pandas with the installed pyspark.pandas (cached).

    Examples
    --------
    >>> surface().missing["pandas"]["cut"].source               # doctest: +SKIP
    'pyspark.pandas.missing'
    """
    ps = import_pyspark_pandas()
    import pandas as pd
    import pyspark

    missing: dict[str, dict[str, Missing]] = {}
    keywords: dict[str, dict[str, Any]] = {}
    swallowed: dict[str, dict[str, Any]] = {}
    for prefix, (pandas_path, spark_paths, missing_path) in SURFACES.items():
        pandas_cls = import_path(pandas_path)
        spark_classes = [import_path(p) for p in spark_paths]
        listed = import_path(missing_path) if missing_path else None
        missing[prefix] = {}
        for name in _public(pandas_cls):
            stubbed = any(name in _stubs(cls) for cls in spark_classes)
            if stubbed or not all(_defines(cls, name) for cls in spark_classes):
                kind = _kind(inspect.getattr_static(pandas_cls, name, None))
                missing[prefix][name] = _missing(f"{prefix}.{name}", name, kind, listed, stubbed)
                continue
            pandas_attr = inspect.getattr_static(pandas_cls, name)
            spark_attr = inspect.getattr_static(spark_classes[0], name)
            _compare(f"{prefix}.{name}", pandas_attr, spark_attr, keywords, swallowed, True)

    listed_top = import_path(_PS_TOP_MISSING)
    scalars = set(_public(import_path(_PS_SCALARS)))
    passthrough = set(LOCAL_TOP_LEVEL)
    missing[TOP_LEVEL] = {}
    for name in _public(pd):
        obj = getattr(pd, name)
        if name in scalars or _is_value(obj):
            passthrough.add(name)
        elif name in vars(ps):
            _compare(f"pandas.{name}", obj, vars(ps)[name], keywords, swallowed, False)
        else:
            kind = "class" if isinstance(obj, type) else "method"
            missing[TOP_LEVEL][name] = _missing(f"pandas.{name}", name, kind, listed_top)
    for name in passthrough:
        missing[TOP_LEVEL].pop(name, None)

    from pyspark.pandas.config import _options_dict

    return Surface(
        pyspark_version=pyspark.__version__,
        missing=missing,
        keywords=keywords,
        swallowed=swallowed,
        passthrough=frozenset(passthrough),
        spark_options=frozenset(_options_dict),
    )


def _public(obj: Any) -> list[str]:
    return sorted(n for n in dir(obj) if not n.startswith("_"))


def _defines(cls: type, name: str) -> bool:
    return any(name in vars(klass) for klass in cls.__mro__ if klass is not object)


@functools.lru_cache(maxsize=64)
def _stubs(cls: type) -> frozenset[str]:
    """Names whose pandas-on-Spark definition does nothing but raise NotImplementedError
    (or hand the call to pyspark's own ``MissingPandasLike...`` stub)."""
    found: set[str] = set()
    seen: set[str] = set()
    for klass in cls.__mro__:
        if not klass.__module__.startswith("pyspark.pandas"):
            continue
        for name, attr in vars(klass).items():
            if name not in seen and _only_raises_function(attr):
                found.add(name)
        seen.update(vars(klass))
    return frozenset(found)


_RAISES = frozenset({"NotImplementedError", "PandasNotImplementedError"})


def _only_raises_function(attr: Any) -> bool:
    import ast
    import textwrap

    func = attr.fget if isinstance(attr, property) else attr
    code = getattr(func, "__code__", None)
    delegates = code is not None and any(n.startswith("MissingPandasLike") for n in code.co_names)
    if code is None or len(code.co_code) > 64 or not (delegates or _RAISES & set(code.co_names)):
        return False  # cheap filter: a bare `raise NotImplementedError()` is tiny bytecode
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(func)))
    except (OSError, TypeError, SyntaxError):
        return False
    node = tree.body[0] if tree.body else None
    return isinstance(node, ast.FunctionDef) and _only_raises(node)


def _only_raises(func: Any) -> bool:
    import ast

    body = func.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # the docstring
    if len(body) == 1 and isinstance(body[0], ast.Return) and isinstance(body[0].value, ast.Call):
        owner = body[0].value.func  # `return MissingPandasLikeX.agg(self, ...)`: pyspark's stub
        return isinstance(owner, ast.Attribute) and (
            isinstance(owner.value, ast.Name) and owner.value.id.startswith("MissingPandasLike")
        )
    if len(body) != 1 or not isinstance(body[0], ast.Raise) or body[0].exc is None:
        return False
    exc = body[0].exc.func if isinstance(body[0].exc, ast.Call) else body[0].exc
    return isinstance(exc, ast.Name) and exc.id in _RAISES


def _kind(attr: Any) -> str:
    if isinstance(attr, (staticmethod, classmethod)):
        return "method"
    return "method" if inspect.isfunction(attr) or inspect.isbuiltin(attr) else "property"


def _is_value(obj: Any) -> bool:
    """Scalars, dtypes, offsets, constants and modules: pandas objects used as values."""
    from pandas.api.extensions import ExtensionDtype
    from pandas.tseries.offsets import BaseOffset

    if isinstance(obj, types.ModuleType) or not callable(obj):
        return True
    return isinstance(obj, type) and issubclass(obj, (ExtensionDtype, BaseOffset))


def _missing(api: str, name: str, kind: str, listed: Any, stubbed: bool = False) -> Missing:
    stub = inspect.getattr_static(listed, name, None) if listed is not None else None
    if stub is None and stubbed:
        return Missing(
            api, name, kind, "pyspark.pandas", "The method always raises NotImplementedError."
        )
    if stub is None:
        return Missing(api, name, kind, "absent")
    return Missing(api, name, kind, "pyspark.pandas.missing", _stub_reason(stub))


def _stub_reason(stub: Any) -> str:
    """pyspark's own words: call the stub, which raises PandasNotImplementedError at once."""
    call: Callable[..., Any] | None = stub.fget if isinstance(stub, property) else stub
    if isinstance(stub, type) and issubclass(stub, BaseException):  # the scalar stubs
        return str(stub)
    try:
        call(None) if call is not None else None
    except Exception as exc:  # noqa: BLE001 - the stub's message is what we want
        return str(exc).strip()
    return ""


def _parameters(func: Any, method: bool) -> list[inspect.Parameter] | None:
    drop_self = method and not isinstance(func, staticmethod)
    func = func.__func__ if isinstance(func, (staticmethod, classmethod)) else func
    if isinstance(func, property) or not callable(func):
        return None
    try:
        params = list(inspect.signature(func).parameters.values())
    except (TypeError, ValueError):
        return None
    return params[1:] if drop_self and params else params


def _compare(
    api: str,
    pandas_attr: Any,
    spark_attr: Any,
    keywords: dict[str, dict[str, Any]],
    swallowed: dict[str, dict[str, Any]],
    method: bool,
) -> None:
    pandas_params = _parameters(pandas_attr, method)
    spark_params = _parameters(spark_attr, method)
    if pandas_params is None or spark_params is None:
        return
    named = {p.name for p in spark_params if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}
    var_kw = any(p.kind == p.VAR_KEYWORD for p in spark_params)
    absent = {
        p.name: p.default
        for p in pandas_params
        if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD) and p.name not in named
    }
    if absent:
        (swallowed if var_kw else keywords)[api] = absent


def _pandas_object(api: str) -> Any:
    import pandas as pd

    prefix, _, name = api.rpartition(".")
    if prefix == TOP_LEVEL:
        return getattr(pd, name, None)
    spec = SURFACES.get(prefix)
    if spec is None:
        return None
    return inspect.getattr_static(import_path(spec[0]), name, None)


@functools.lru_cache(maxsize=4096)
def _pandas_parameters(api: str) -> list[inspect.Parameter]:
    obj = _pandas_object(api)
    return _parameters(obj, not api.startswith(TOP_LEVEL + ".")) or []
