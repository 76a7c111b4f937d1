"""What kind of pandas object an expression holds, read from the source text alone.

Kinds are the API prefixes of :mod:`adapters.migration.surface` (``DataFrame``,
``SeriesGroupBy``, ``Series.str``, ...) plus ``NDFrame`` (a DataFrame or a Series),
``Indexer`` (``.loc`` and friends), ``pandas`` (the module), ``function`` (a pandas
top-level function or class), ``def`` (a function in the scanned file), ``callable``,
``const`` (a literal) and ``local`` (a plain value, e.g. ``df.columns`` which
pandas-on-Spark also returns as a pandas Index). Method results follow the pandas
return annotations, with a small table where pandas has none.

Examples
--------
>>> method_result("DataFrame", None, "groupby").kind
'DataFrameGroupBy'
"""

from __future__ import annotations

import ast
import builtins
import inspect
import re
from dataclasses import dataclass, field

from adapters.migration.conditions import StaticArg
from adapters.migration.literals import list_types
from adapters.migration.surface import SURFACES, surface

__all__ = [
    "FRAMES",
    "Value",
    "merge",
    "method_result",
    "property_result",
    "static_arg",
    "subscript_result",
    "top_level_result",
]

FRAMES = frozenset({*SURFACES, "NDFrame"})
GROUPBYS = frozenset({"DataFrameGroupBy", "SeriesGroupBy"})
WINDOWS = frozenset(
    {"Rolling", "RollingGroupby", "Expanding", "ExpandingGroupby", "ExponentialMovingWindow"}
)
_INTERMEDIATE = (  # annotation token -> kind, most specific first
    ("DataFrameGroupBy", "DataFrameGroupBy"),
    ("SeriesGroupBy", "SeriesGroupBy"),
    ("RollingGroupby", "RollingGroupby"),
    ("ExpandingGroupby", "ExpandingGroupby"),
    ("Rolling", "Rolling"),
    ("Window", "Rolling"),
    ("Expanding", "Expanding"),
    ("ExponentialMovingWindow", "ExponentialMovingWindow"),
    ("Resampler", "Resampler"),
)
_REDUCTIONS = frozenset(
    {
        *("count", "kurt", "kurtosis", "max", "mean", "median", "min", "prod", "product"),
        *("sem", "skew", "std", "sum", "var", "nunique", "any", "all", "idxmax", "idxmin"),
        "quantile",
    }
)
_CUMULATIVE = frozenset({"cummax", "cummin", "cumprod", "cumsum"})
_PROPERTIES = {
    "index": "Index",
    "str": "Series.str",
    "dt": "Series.dt",
    "cat": "Series.cat",
    "loc": "Indexer",
    "iloc": "Indexer",
    "at": "local",
    "iat": "local",
}
_TOP_RETURNS = {
    "DataFrame": "DataFrame",
    "Series": "Series",
    "Index": "Index",
    "DatetimeIndex": "Index",
    "MultiIndex": "Index",
    "date_range": "Index",
    "timedelta_range": "Index",
    "value_counts": "Series",
}
_LIKE_FIRST_ARG = frozenset(
    {
        "to_datetime",
        "to_numeric",
        "to_timedelta",
        "isna",
        "isnull",
        "notna",
        "notnull",
        "cut",
        "qcut",
    }
)
_BUFFERS = frozenset({"io.StringIO", "io.BytesIO", "StringIO", "BytesIO", "open"})
_PATHS = frozenset({"Path", "pathlib.Path", "os.path.join", "PurePath", "str"})
_NUMPY = frozenset({"np", "numpy"})


@dataclass(frozen=True)
class Value:
    """The inferred kind of an expression; ``of`` is the parent kind or the pandas API."""

    kind: str
    of: str | None = None
    static: StaticArg = field(default_factory=StaticArg)
    node: ast.AST | None = None

    @property
    def is_frame(self) -> bool:
        """True for DataFrame, Series, Index, groupby, window, resampler and accessor kinds."""
        return self.kind in FRAMES


def kinds_of(value: Value) -> tuple[str, ...]:
    """The concrete kinds ``value`` may be (``NDFrame`` is a DataFrame or a Series).

    Examples
    --------
    >>> kinds_of(Value("NDFrame"))
    ('DataFrame', 'Series')
    """
    return ("DataFrame", "Series") if value.kind == "NDFrame" else (value.kind,)


def _from_annotation(text: str, kind: str, of: str | None) -> Value | None:
    tokens = set(re.findall(r"[A-Za-z_]+", text))
    if tokens & {"Iterable", "Iterator", "Generator"}:
        return Value("local")  # iterrows(), items(): what comes out is plain pandas
    for token, found in _INTERMEDIATE:
        if token in tokens:
            parent = {"DataFrameGroupBy": "DataFrame", "SeriesGroupBy": "Series"}.get(kind, kind)
            return Value(found, of=parent)
    if tokens & {"Self", "NDFrameT", "T"}:
        if kind in GROUPBYS:
            return Value("DataFrame" if kind == "DataFrameGroupBy" else "Series")
        return Value(of if kind in WINDOWS or kind == "Resampler" else kind)
    has_df, has_s = "DataFrame" in tokens, "Series" in tokens
    if has_df and has_s:
        return Value("NDFrame")
    if has_df or has_s:
        return Value("DataFrame" if has_df else "Series")
    if "Index" in tokens:
        return Value("Index")
    return Value("local")


def method_result(kind: str, of: str | None, name: str, *, listy: bool = False) -> Value | None:
    """The kind returned by ``<kind>.<name>(...)``; ``listy``: the first argument is a list/dict.

    Examples
    --------
    >>> found = method_result("Series", None, "rolling")
    >>> found.kind, found.of
    ('Rolling', 'Series')
    """
    if kind == "NDFrame":
        found = {method_result(k, of, name, listy=listy) for k in ("DataFrame", "Series")}
        return found.pop() if len(found) == 1 else Value("NDFrame")
    if kind in ("Series.str", "Series.dt", "Series.cat"):
        return (
            Value("NDFrame")
            if name in ("split", "rsplit", "extract", "partition")
            else Value("Series")
        )
    if kind in GROUPBYS:
        parent = "DataFrame" if kind == "DataFrameGroupBy" else "Series"
        if name in ("size", "ngroup", "cumcount"):
            return Value("Series")
        if name in ("agg", "aggregate") and kind == "SeriesGroupBy":
            return Value("DataFrame") if listy else Value("NDFrame")
        if name == "apply":
            return Value("NDFrame")
    elif kind in WINDOWS or kind == "Resampler":
        return Value(of or "NDFrame")
    elif name in _REDUCTIONS and kind in ("DataFrame", "Series"):
        return Value("Series") if kind == "DataFrame" else Value("local")
    elif name in _CUMULATIVE:
        return Value(kind)
    spec = SURFACES.get(kind)
    if spec is None:
        return None
    obj = surface().pandas_object(f"{kind}.{name}")
    obj = obj.__func__ if isinstance(obj, (staticmethod, classmethod)) else obj
    if not inspect.isfunction(obj):
        return None
    annotation = inspect.signature(obj).return_annotation
    if annotation is inspect.Signature.empty:
        if kind in GROUPBYS:
            return Value(parent)
        return Value("NDFrame") if kind == "DataFrame" else None
    return _from_annotation(str(annotation), kind, of)


def property_result(kind: str, name: str) -> Value | None:
    """The kind of ``<kind>.<name>`` read without a call (a column on a DataFrame).

    Examples
    --------
    >>> property_result("DataFrame", "amount").kind
    'Series'
    """
    if kind == "NDFrame":
        found = {property_result(k, name) for k in ("DataFrame", "Series")}
        return found.pop() if len(found) == 1 else None
    known = surface().pandas_object(f"{kind}.{name}") if kind in SURFACES else None
    if name in _PROPERTIES and (kind in ("DataFrame", "Series") or known is not None):
        found = _PROPERTIES[name]
        if found == "Indexer":
            return Value("Indexer", of=kind)
        return Value(found)
    if name == "T" and kind == "DataFrame":
        return Value("DataFrame")
    if kind == "Series.dt" and known is not None:
        return Value("Series")
    if known is not None:
        return Value("local")
    if kind == "DataFrame":
        return Value("Series")  # a column
    if kind == "DataFrameGroupBy":
        return Value("SeriesGroupBy")
    return None


def top_level_result(name: str, first: Value | None) -> Value | None:
    """The kind returned by ``pandas.<name>(first, ...)``.

    Examples
    --------
    >>> top_level_result("read_csv", None).kind
    'DataFrame'
    """
    if name in _TOP_RETURNS:
        return Value(_TOP_RETURNS[name])
    if name.startswith("read_") or name in (
        "concat",
        "merge",
        "merge_asof",
        "merge_ordered",
        "pivot",
        "pivot_table",
        "crosstab",
        "get_dummies",
        "melt",
        "json_normalize",
        "wide_to_long",
    ):
        if name == "concat" and first is not None and first.kind == "Series":
            return Value("Series")
        return Value("DataFrame")
    if name in _LIKE_FIRST_ARG:
        return first if first is not None and first.kind in FRAMES else Value("local")
    return None


def dotted(node: ast.AST) -> str:
    """``a.b.c`` for a Name/Attribute chain, else ``""``.

    Examples
    --------
    >>> dotted(ast.parse("io.StringIO", mode="eval").body)
    'io.StringIO'
    """
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return ""


def static_arg(node: ast.AST, value: Value | None) -> StaticArg:
    """What the source says about an argument expression (literal, type, typed function).

    Examples
    --------
    >>> static_arg(ast.parse("'7D'", mode="eval").body, None).types == {"str", "path"}
    True
    """
    if value is not None and value.kind in ("const", "def", "callable"):
        return value.static
    if value is not None and value.is_frame:
        return StaticArg(types=frozenset({"spark", f"spark.{value.kind}"}))
    if isinstance(node, ast.Constant):
        types = {"str", "path"} if isinstance(node.value, str) else set()
        if isinstance(node.value, complex):
            types.add("complex")
        return StaticArg(node.value, frozenset(types))
    if isinstance(node, ast.BinOp):  # 1.2 + 1j
        parts = (static_arg(node.left, None), static_arg(node.right, None))
        return StaticArg(types=frozenset({"complex"} & (parts[0].types | parts[1].types)))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = static_arg(node.operand, None)
        if isinstance(inner.value, (int, float)) and not isinstance(inner.value, bool):
            return StaticArg(-inner.value)
    if isinstance(node, ast.JoinedStr):
        return StaticArg(types=frozenset({"str", "path"}))
    if isinstance(node, (ast.List, ast.Tuple)):
        items = tuple(static_arg(item, None) for item in node.elts)
        return StaticArg(types=list_types(items), items=items)
    if isinstance(node, ast.Lambda):
        return StaticArg(types=frozenset({"callable"}), typed=False)
    if isinstance(node, ast.Name) and value is None and callable(getattr(builtins, node.id, None)):
        return StaticArg(types=frozenset({"callable"}))
    if isinstance(node, ast.Attribute) and dotted(node).split(".")[0] in _NUMPY:
        return StaticArg(types=frozenset({"callable", f"numpy.{node.attr}"}))
    if isinstance(node, ast.Call):
        name = dotted(node.func)
        if name in _BUFFERS:
            return StaticArg(types=frozenset({"buffer"}))
        if name in _PATHS:
            return StaticArg(types=frozenset({"path"}))
    return StaticArg()


def merge(left: Value | None, right: Value | None) -> Value | None:
    """The kind of ``left <op> right``: the widest frame kind of the two, if any."""
    kinds = {
        v.kind
        for v in (left, right)
        if v is not None and v.kind in ("DataFrame", "Series", "NDFrame", "Index")
    }
    for kind in ("DataFrame", "NDFrame", "Series", "Index"):
        if kind in kinds:
            return Value(kind)
    return None


def subscript_result(base: Value, key_node: ast.expr, key: Value | None) -> Value | None:
    """The kind of ``base[key]`` (``base`` a frame kind or an ``Indexer``)."""
    known = key is not None and key.kind == "const"
    label = isinstance(key_node, ast.Constant) or (known and "str" in key.static.types)
    listy = isinstance(key_node, (ast.List, ast.Slice)) or (known and "list" in key.static.types)
    mask = key is not None and key.kind in ("Series", "NDFrame", "DataFrame")
    if base.kind == "Indexer":
        parent = base.of or "NDFrame"
        if isinstance(key_node, ast.Tuple) and len(key_node.elts) == 2:
            rows, cols = key_node.elts
            if isinstance(cols, ast.Constant):
                return Value("local") if isinstance(rows, ast.Constant) else Value("Series")
            return Value("DataFrame") if parent == "DataFrame" else Value("NDFrame")
        return Value("Series") if label and parent == "DataFrame" else Value(parent)
    if base.kind == "DataFrame":
        if label and not listy:
            return Value("Series")
        return Value("DataFrame") if listy or mask else Value("NDFrame")
    if base.kind == "DataFrameGroupBy":
        return Value("DataFrameGroupBy") if listy else Value("SeriesGroupBy")
    if base.kind == "Resampler":
        return Value("Resampler", of="Series")
    if base.kind in ("Series", "Series.str"):
        return Value("local") if label and base.kind == "Series" else Value("Series")
    return Value("NDFrame") if base.kind in FRAMES else None
