"""What expressions mean to the checker: kinds of values, calls, and the rules they hit.

:class:`Expressions` is the expression half of :class:`~adapters.migration.scanner.Scanner`
(which walks statements and binds names): each ``_<NodeType>`` method scans one kind of
AST expression, reports the rules it hits and returns the :class:`Value` it produces.

Examples
--------
>>> from adapters.migration.scanner import scan_source
>>> [f.api for f in scan_source("import pandas as pd\\npd.read_csv('x').asfreq('D')")]  # doctest: +SKIP
['DataFrame.asfreq']
"""

from __future__ import annotations

import ast
from typing import Any

from adapters.migration.inference import (
    Value,
    kinds_of,
    merge,
    method_result,
    property_result,
    static_arg,
    subscript_result,
    top_level_result,
)
from adapters.migration.literals import dict_types, list_types
from adapters.migration.operators import Usages
from adapters.migration.report import Finding
from adapters.migration.rules import Rule, RuleBook, StaticArg
from adapters.migration.surface import SURFACES, TOP_LEVEL

__all__ = ["ITERATING", "UDF_METHODS", "Env", "Expressions", "all_args"]

# Functions handed to these run in pandas on the workers (pandas-on-Spark passes pandas
# objects): what happens inside them is not a pandas-on-Spark call.
UDF_METHODS = frozenset(
    {
        "apply",
        "applymap",
        "map",
        "transform",
        "agg",
        "aggregate",
        "filter",
        "apply_batch",
        "transform_batch",
    }
)
ITERATING = frozenset(
    {
        "list",
        "tuple",
        "set",
        "frozenset",
        "sorted",
        "sum",
        "min",
        "max",
        "enumerate",
        "zip",
        "any",
        "all",
        "dict",
        "iter",
    }
)
Env = dict[str, Value]


class Expressions(Usages):
    """Expression handlers; the statement walker (the subclass) supplies ``bind``,
    ``generic``, ``call_def`` and the scan state."""

    book: RuleBook
    path: str
    findings: set[Finding]
    _cell: int | None
    _lines: list[str]

    def expr(self, node: ast.expr, env: Env) -> Value | None:
        handler = getattr(self, f"_{type(node).__name__}", None)
        if handler is not None:
            return handler(node, env)
        self.generic(node, env)
        return None

    def _Name(self, node: ast.Name, env: Env) -> Value | None:
        found = env.get(node.id)
        if found is not None and found.kind == "function" and found.of:
            self.report(node, found.of, self.book.rules(found.of), unconditional=True)
        return found

    def _Constant(self, node: ast.Constant, env: Env) -> Value:
        return Value("const", static=static_arg(node, None))

    def _JoinedStr(self, node: ast.JoinedStr, env: Env) -> Value:
        self.generic(node, env)
        return Value("const", static=static_arg(node, None))

    def _List(self, node: ast.List | ast.Tuple, env: Env) -> Value:
        values = [self.expr(elt, env) for elt in node.elts]
        items = tuple(static_arg(elt, v) for elt, v in zip(node.elts, values, strict=True))
        first = values[0].kind if values and values[0] is not None else None
        return Value("const", of=first, static=StaticArg(types=list_types(items), items=items))

    _Tuple = _List

    def _Dict(self, node: ast.Dict, env: Env) -> Value:
        for key in node.keys:
            if key is not None:
                self.expr(key, env)
        items = tuple(static_arg(v, self.expr(v, env)) for v in node.values)
        return Value("const", static=StaticArg(types=dict_types(items), items=items))

    def _Lambda(self, node: ast.Lambda, env: Env, *, run: bool = True) -> Value:
        if run:
            inner = dict(env)
            for arg in all_args(node.args):
                inner.pop(arg.arg, None)
            self.expr(node.body, inner)
        return Value("callable", static=StaticArg(types=frozenset({"callable"}), typed=False))

    def _Attribute(self, node: ast.Attribute, env: Env) -> Value | None:
        base = self.expr(node.value, env)
        if base is None:
            return None
        if base.kind == "pandas":
            if node.attr in self.book.surface.passthrough:
                return Value("local")
            api = f"{TOP_LEVEL}.{node.attr}"
            self.report(node, api, self.book.rules(api), unconditional=True)
            return Value("function", of=api)
        if base.kind == "function" and base.of and base.of.rpartition(".")[2] in SURFACES:
            return Value("function", of=f"{base.of.rpartition('.')[2]}.{node.attr}")
        if not base.is_frame:
            return None
        self.report(node, *self.lookup(base, node.attr, {}), unconditional=True)
        found = [property_result(kind, node.attr) for kind in kinds_of(base)]
        if found[0] is not None and found[0].kind == "Indexer":
            return Value("Indexer", of=base.kind, static=StaticArg(value=node.attr))
        return found[0] if len(set(found)) == 1 else None

    def _Subscript(self, node: ast.Subscript, env: Env) -> Value | None:
        base = self.expr(node.value, env)
        key = self.expr(node.slice, env)
        if base is None or not (base.is_frame or base.kind == "Indexer"):
            return None
        self.report(node, *self.lookup(base, "__getitem__", {}), unconditional=True)
        if base.kind == "Indexer":
            self.indexed(node, base)
        return subscript_result(base, node.slice, key)

    def _BinOp(self, node: ast.BinOp, env: Env) -> Value | None:
        left, right = self.expr(node.left, env), self.expr(node.right, env)
        self.operator(node, node.op, left, node.right, right)
        return merge(left, right)

    def _Compare(self, node: ast.Compare, env: Env) -> Value | None:
        found = left = self.expr(node.left, env)
        for op, item in zip(node.ops, node.comparators, strict=True):
            right = self.expr(item, env)
            self.operator(node, op, left, item, right)
            found, left = merge(found, right), right
        return found

    def _UnaryOp(self, node: ast.UnaryOp, env: Env) -> Value | None:
        found = self.expr(node.operand, env)
        self.unary(node, found)
        if isinstance(node.operand, ast.Constant):
            return Value("const", static=static_arg(node, None))
        return found if found is not None and found.is_frame else None

    def _IfExp(self, node: ast.IfExp, env: Env) -> Value | None:
        self.expr(node.test, env)
        return self.expr(node.body, env) or self.expr(node.orelse, env)

    def _NamedExpr(self, node: ast.NamedExpr, env: Env) -> Value | None:
        found = self.expr(node.value, env)
        self.bind(node.target, found, env)
        return found

    def _comprehension(
        self, node: ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp, env: Env
    ) -> Value | None:
        inner = dict(env)
        for gen in node.generators:
            found = self.expr(gen.iter, inner)
            self.iterate(gen.iter, found)
            self.bind_loop(gen.target, found, inner)
            for cond in gen.ifs:
                self.expr(cond, inner)
        for part in ("elt", "key", "value"):
            if hasattr(node, part):
                found = self.expr(getattr(node, part), inner)
        if isinstance(node, ast.ListComp):  # every item is like the one expression
            items = (static_arg(node.elt, found),)
            return Value("const", static=StaticArg(types=list_types(items), items=items))
        return None

    _ListComp = _SetComp = _GeneratorExp = _DictComp = _comprehension

    def _Call(self, node: ast.Call, env: Env) -> Value | None:
        func = node.func
        if isinstance(func, ast.Attribute):
            base = self.expr(func.value, env)
            if base is not None and base.kind == "pandas":
                return self.call(node, func, f"{TOP_LEVEL}.{func.attr}", None, env)
            if base is not None and base.kind == "function" and base.of:
                owner = base.of.rpartition(".")[2]
                if owner in SURFACES:
                    self.call(node, func, f"{owner}.{func.attr}", None, env)
                    return Value(owner) if func.attr.startswith("from_") else None
                if (made := self.class_method(owner)) is not None:
                    self.arguments(node, env)
                    return made
            if base is not None and base.is_frame:
                return self.call(node, func, func.attr, base, env)
            handled, made = self.local_method(node, func, base, env)
            if handled:
                return made
        elif isinstance(func, ast.Name):
            found = env.get(func.id)
            if found is not None and found.kind == "function" and found.of:
                return self.call(node, func, found.of, None, env)
            if found is not None and found.kind == "def":
                args, kwargs = self.arguments(node, env)
                return self.call_def(
                    found, [v for _, v in args], {k: v for k, (_, v) in kwargs.items()}
                )
            if found is None and func.id == "range":  # local numbers
                self.arguments(node, env)
                return Value("local")
            if found is None and func.id in ITERATING:
                args, _ = self.arguments(node, env)
                for arg, value in args:
                    self.iterate(arg, value)
                return None
        handled, made = self.numpy_call(node, env)
        if handled:
            return made
        self.expr(func, env)
        self.arguments(node, env)
        return None

    def arguments(self, node: ast.Call, env: Env, *, udf: bool = False):
        args: list[tuple[ast.expr, Value | None]] = []
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                self.expr(arg.value, env)
                break
            run = not (udf and isinstance(arg, ast.Lambda))
            if not run:
                self.udf_constructors(arg, env)  # type: ignore[arg-type]
            found = (
                self._Lambda(arg, env, run=run)
                if isinstance(arg, ast.Lambda)
                else self.expr(arg, env)
            )
            args.append((arg, found))
        kwargs: dict[str, tuple[ast.expr, Value | None]] = {}
        for keyword in node.keywords:
            run = not (udf and isinstance(keyword.value, ast.Lambda))
            if not run:
                self.udf_constructors(keyword.value, env)  # type: ignore[arg-type]
            if isinstance(keyword.value, ast.Lambda):
                found = self._Lambda(keyword.value, env, run=run)
            else:
                found = self.expr(keyword.value, env)
            if keyword.arg is not None:
                kwargs[keyword.arg] = (keyword.value, found)
        return args, kwargs

    def call(
        self, node: ast.Call, func: ast.expr, name: str, base: Value | None, env: Env
    ) -> Value | None:
        args, kwargs = self.arguments(node, env, udf=base is not None and name in UDF_METHODS)
        static_args = [static_arg(arg, value) for arg, value in args]
        static_kwargs = {k: static_arg(arg, value) for k, (arg, value) in kwargs.items()}
        first = args[0][1] if args else None
        if (
            base is None
        ):  # a top-level pandas function (or a classmethod such as DataFrame.from_dict)
            bound = self.book.bind(name, static_args, static_kwargs)
            rules = self.book.matching(name, bound, static=True)
            values = [v for _, v in args] + [v for _, v in kwargs.values()]
            if _local_only(node, values):  # adapters.pandas runs it as plain pandas
                rules = [r for r in rules if r.source not in ("pyspark.pandas.missing", "absent")]
            self.report(func, name, rules)
            top = name.partition(".")[2] if name.startswith(TOP_LEVEL + ".") else None
            if top and (made := self.top_level_value(top, node)) is not None:
                return made
            if top == "Grouper":
                return Value("const", static=StaticArg(types=frozenset({"pandas.Grouper"})))
            return top_level_result(top, first) if top else None
        self.report(func, *self.lookup(base, name, {"args": static_args, "kwargs": static_kwargs}))
        if name == "pipe" and first is not None and first.kind == "def":
            return self.call_def(first, [base, *(v for _, v in args[1:])], {})
        listy = bool(args) and isinstance(args[0][0], (ast.List, ast.Dict))
        results = {method_result(kind, base.of, name, listy=listy) for kind in kinds_of(base)}
        return results.pop() if len(results) == 1 else Value("NDFrame")

    # -- rules --------------------------------------------------------------------------

    def lookup(self, base: Value, name: str, call: dict[str, Any]) -> tuple[str, list[Rule]]:
        """Rules for ``<kind>.<name>`` on every kind ``base`` may be; for a DataFrame-or-Series
        only what holds for both."""
        results: list[tuple[str, list[Rule]]] = []
        for kind in kinds_of(base):
            api = f"{kind}.{name}"
            if (
                kind != base.kind
                and self.book.surface.pandas_object(api) is None
                and name != "__getitem__"
            ):
                continue
            if call:
                bound = self.book.bind(api, call["args"], call["kwargs"])
                results.append((api, self.book.matching(api, bound, static=True)))
            else:
                results.append((api, list(self.book.rules(api))))
        if not results:
            return f"{base.kind}.{name}", []
        api, first = results[0]
        common = [
            r
            for r in first
            if all(any(q.severity == r.severity for q in rs) for _, rs in results[1:])
        ]
        return api, common

    def iterate(self, node: ast.expr, found: Value | None) -> None:
        if found is not None and found.is_frame:
            self.report(node, *self.lookup(found, "__iter__", {}), unconditional=True)

    def report(
        self,
        node: ast.AST,
        api: str,
        rules: list[Rule] | tuple[Rule, ...],
        *,
        unconditional: bool = False,
    ) -> None:
        for rule in rules:
            if unconditional and rule.when:
                continue
            line, col = self.position(node)
            self.findings.add(
                Finding(
                    self.path,
                    line,
                    col,
                    self._cell,
                    api,
                    rule.severity,
                    rule.message,
                    rule.suggestion,
                )
            )

    def position(self, node: ast.AST) -> tuple[int, int]:
        """1-based line and character column; for ``a.b`` the column of ``b``."""
        if (
            isinstance(node, ast.Attribute)
            and node.end_lineno is not None
            and node.end_col_offset is not None
        ):
            line, offset = node.end_lineno, node.end_col_offset - len(node.attr.encode())
        else:
            line, offset = node.lineno, node.col_offset  # type: ignore[attr-defined]
        text = self._lines[line - 1] if 0 < line <= len(self._lines) else ""
        return line, len(text.encode()[:offset].decode(errors="ignore")) + 1


def _local_only(node: ast.Call, values: list[Value | None]) -> bool:
    """Every argument is known and none is a frame (no ``*args`` / ``**kwargs`` either)."""
    if any(isinstance(a, ast.Starred) for a in node.args) or any(
        k.arg is None for k in node.keywords
    ):
        return False
    return all(v is not None and v.kind in ("const", "local", "callable", "def") for v in values)


def all_args(args: ast.arguments) -> list[ast.arg]:
    extra = [a for a in (args.vararg, args.kwarg) if a is not None]
    return [*args.posonlyargs, *args.args, *args.kwonlyargs, *extra]
