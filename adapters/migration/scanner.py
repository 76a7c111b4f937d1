"""Walk a module's AST, follow pandas aliases and frames, and report what breaks on Spark.

The walk is flow-insensitive within a block and never evaluates anything: names bound
to pandas (``import pandas as pd``, ``from pandas import read_csv``, the adapters
module) and to frames produced by pandas calls carry a kind
(:mod:`adapters.migration.inference`); each call, attribute, subscript and iteration on
a known kind is looked up in the :class:`~adapters.migration.rules.RuleBook`.
Functions defined in the file are followed when called with frames (or ``pipe``-d).

Examples
--------
>>> findings = scan_source("import pandas as pd\\npd.cut(pd.Series([1]), 2)\\n", path="x.py")
>>> [(f.line, f.col, f.api, f.severity) for f in findings]          # doctest: +SKIP
[(2, 4, 'pandas.cut', 'blocker')]
"""

from __future__ import annotations

import ast
from typing import Any, Literal

from adapters.migration.expressions import Env, Expressions, all_args
from adapters.migration.inference import GROUPBYS, Value
from adapters.migration.report import Finding, printable
from adapters.migration.rules import UNKNOWN, RuleBook, StaticArg, rulebook
from adapters.migration.sources import SourceParseError
from adapters.migration.surface import TOP_LEVEL

__all__ = ["MAX_NESTING", "PANDAS_MODULES", "Scanner", "parse", "scan_source"]

PANDAS_MODULES = frozenset({"pandas", "adapters.pandas"})
# The walk recurses about twice per AST level; 300 levels stays well inside Python's default
# recursion limit of 1000 (a 300-term `a + b + ...` or a 150-call method chain still fits).
MAX_NESTING = 300
_MAX_DEPTH = 3


def parse(
    source: str, *, where: str = "<string>", mode: Literal["exec", "eval"] = "exec"
) -> ast.AST:
    """``ast.parse`` that fails only with :class:`SourceParseError` (one line, naming ``where``).

    Python's parser gives up on deep nesting with SyntaxError, MemoryError or RecursionError
    depending on the version, and on NUL bytes with SyntaxError or ValueError; each becomes
    ``where:line: cannot parse: reason``. A tree nested deeper than :data:`MAX_NESTING`
    levels is refused too, before anything walks it.

    Examples
    --------
    >>> parse("x = 1").body[0].lineno
    1
    >>> parse("-" * 200_000 + "1", where="deep.py")                   # doctest: +ELLIPSIS
    Traceback (most recent call last):
    toolkit.exceptions.SourceParseError: deep.py:1: cannot parse: nested too deeply ...
    """
    try:
        tree = ast.parse(source, mode=mode)
    except SyntaxError as exc:
        line = exc.lineno or 1
        raise SourceParseError(
            f"{where}:{line}: cannot parse: {exc.msg}", filename=where, lineno=line
        ) from None
    except ValueError as exc:  # NUL bytes on Python 3.10
        raise SourceParseError(
            f"{where}:1: cannot parse: {exc}", filename=where, lineno=1
        ) from None
    except (MemoryError, RecursionError):
        raise SourceParseError(
            f"{where}:1: cannot parse: nested too deeply for Python's parser (split the "
            "expression into named steps)",
            filename=where,
            lineno=1,
        ) from None
    _check_nesting(tree, where)
    return tree


def _check_nesting(tree: ast.AST, where: str) -> None:
    stack: list[tuple[ast.AST, int, int]] = [(tree, 0, 1)]
    while stack:
        node, depth, line = stack.pop()
        line = getattr(node, "lineno", line)
        if depth > MAX_NESTING:
            raise SourceParseError(
                f"{where}:{line}: cannot parse: nested more than {MAX_NESTING} levels deep, "
                "more than the checker follows (split the expression into named steps)",
                filename=where,
                lineno=line,
            )
        stack.extend((child, depth + 1, line) for child in ast.iter_child_nodes(node))


class Scanner(Expressions):
    """Scan chunks of one file (a module, or a notebook's cells sharing one namespace)."""

    def __init__(self, path: str, *, book: RuleBook | None = None) -> None:
        self.path = path
        self.book = book or rulebook()
        self.env: Env = {}
        self.findings: set[Finding] = set()
        self._cell: int | None = None
        self._lines: list[str] = []
        self._returns: list[Value | None] | None = None
        self._depth = 0
        self._def_env: dict[int, Env] = {}
        self._followed: dict[tuple[Any, ...], Value | None] = {}

    def scan(self, source: str, *, cell: int | None = None) -> None:
        """Parse ``source`` and scan it in the shared namespace.

        Raises :class:`SourceParseError` (a SyntaxError) when it cannot be parsed or is
        nested too deeply to follow.
        """
        where = printable(self.path if cell is None else f"{self.path}[cell {cell}]")
        tree = parse(source, where=where)
        assert isinstance(tree, ast.Module)
        self._cell, self._lines = cell, source.splitlines()
        try:
            self.run(tree.body, self.env)
        except RecursionError:  # a function followed from a deep call site: depth adds up
            raise SourceParseError(
                f"{where}:1: cannot parse: nested too deeply to follow (split the deepest "
                "expression into named steps)",
                filename=where,
                lineno=1,
            ) from None

    # -- statements ---------------------------------------------------------------------

    def run(self, body: list[ast.stmt], env: Env) -> None:
        for node in body:
            self.stmt(node, env)

    def stmt(self, node: ast.stmt, env: Env) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                name = alias.asname or alias.name.partition(".")[0]
                is_pandas = alias.name in PANDAS_MODULES and (alias.asname or "." not in alias.name)
                self.bind_name(name, Value("pandas") if is_pandas else None, env)
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                self.bind_name(alias.asname or alias.name, self.imported(node, alias.name), env)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            value = self.expr(node.value, env) if node.value is not None else None
            if isinstance(node, ast.AnnAssign) and node.value is None:
                value = self.annotation(node.annotation, env)
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(node, ast.AugAssign) and isinstance(target, ast.Name):
                    continue  # `x += ...` keeps what x was
                self.bind(target, value, env, source=node.value)
        elif isinstance(node, (ast.For, ast.AsyncFor)):
            found = self.expr(node.iter, env)
            self.iterate(node.iter, found)
            self.bind_loop(node.target, found, env)
            self.run(node.body, env)
            self.run(node.orelse, env)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            self.define(node, env)
        elif isinstance(node, ast.ClassDef):
            for expr in [*node.bases, *node.decorator_list]:
                self.expr(expr, env)
            self.run(node.body, dict(env))
        elif isinstance(node, ast.Return):
            found = self.expr(node.value, env) if node.value is not None else None
            if self._returns is not None:
                self._returns.append(found)
        elif isinstance(node, ast.Delete):
            for target in node.targets:
                self.bind(target, None, env)
        else:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.stmt):
                    self.stmt(child, env)
                elif isinstance(child, ast.expr):
                    self.expr(child, env)
                elif isinstance(child, (ast.withitem, ast.excepthandler, ast.match_case)):
                    self.generic(child, env)

    def generic(self, node: ast.AST, env: Env) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.stmt):
                self.stmt(child, env)
            elif isinstance(child, ast.expr):
                self.expr(child, env)
            else:
                self.generic(child, env)

    def imported(self, node: ast.ImportFrom, name: str) -> Value | None:
        module = node.module or ""
        if (module, name) == ("adapters", "pandas"):
            return Value("pandas")
        if module not in PANDAS_MODULES or name == "*":
            return None
        if name in self.book.surface.passthrough:
            return Value("local")
        return Value("function", of=f"{TOP_LEVEL}.{name}")

    def bind_name(self, name: str, value: Value | None, env: Env) -> None:
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value

    def bind(
        self, target: ast.expr, value: Value | None, env: Env, *, source: ast.expr | None = None
    ) -> None:
        if isinstance(target, ast.Name):
            self.bind_name(target.id, value, env)
        elif isinstance(target, (ast.Tuple, ast.List)):
            for item in target.elts:
                self.bind(item.value if isinstance(item, ast.Starred) else item, None, env)
        else:  # an attribute or an item: the rules of assigning there
            self.assigned(target, source, value, env)

    def bind_loop(self, target: ast.expr, found: Value | None, env: Env) -> None:
        if found is not None and found.kind in GROUPBYS and isinstance(target, ast.Tuple):
            group = "DataFrame" if found.kind == "DataFrameGroupBy" else "Series"
            self.bind(target.elts[0], None, env)
            if len(target.elts) == 2:
                self.bind(target.elts[1], Value(group), env)
            return
        items = found.static.items if found is not None and found.kind == "const" else None
        if isinstance(target, ast.Name) and items and all(i.value is not UNKNOWN for i in items):
            # `for method in ['min', 'first']:` the variable takes each literal in turn
            choices = tuple(i.value for i in items)
            self.bind_name(target.id, Value("const", static=StaticArg(choices=choices)), env)
            return
        self.bind(target, None, env)

    def annotation(self, node: ast.expr | None, env: Env) -> Value | None:
        if node is None:
            return None
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            try:
                parsed = parse(node.value, mode="eval")
            except SourceParseError:
                return None
            assert isinstance(parsed, ast.Expression)
            return self.annotation(parsed.body, env)
        if isinstance(node, ast.BinOp):
            return self.annotation(node.left, env) or self.annotation(node.right, env)
        if isinstance(node, ast.Subscript):
            return self.annotation(node.slice, env)
        base = None
        if isinstance(node, ast.Attribute):
            base = env.get(node.value.id) if isinstance(node.value, ast.Name) else None
            name = node.attr if base is not None and base.kind == "pandas" else None
        elif isinstance(node, ast.Name):
            base = env.get(node.id)
            name = (
                base.of.rpartition(".")[2] if base is not None and base.kind == "function" else None
            )
        else:
            name = None
        return Value(name) if name in ("DataFrame", "Series", "Index") else None

    # -- functions defined in the file ------------------------------------------------------

    def define(self, node: ast.FunctionDef | ast.AsyncFunctionDef, env: Env) -> None:
        for expr in [*node.decorator_list, *node.args.defaults, *node.args.kw_defaults]:
            if expr is not None:
                self.expr(expr, env)
        typed = node.returns is not None
        env[node.name] = Value(
            "def", node=node, static=StaticArg(types=frozenset({"callable"}), typed=typed)
        )
        self._def_env[id(node)] = env
        bindings = {a.arg: self.annotation(a.annotation, env) for a in all_args(node.args)}
        self.follow(node, {k: v for k, v in bindings.items() if v is not None})

    def follow(self, node: ast.FunctionDef | ast.AsyncFunctionDef, bindings: Env) -> Value | None:
        """Scan a function body with parameters bound to kinds; return what it returns."""
        key = (id(node), tuple(sorted((k, v.kind) for k, v in bindings.items())))
        if key in self._followed or self._depth >= _MAX_DEPTH:
            return self._followed.get(key)
        def_env = self._def_env.get(id(node), self.env)
        declared = self.annotation(node.returns, def_env)
        self._followed[key] = declared
        env = dict(def_env)
        for arg in all_args(node.args):
            env.pop(arg.arg, None)
        env.update(bindings)
        saved, self._returns = self._returns, []
        self._depth += 1
        try:
            self.run(node.body, env)
            returned = {v.kind for v in self._returns if v is not None and v.is_frame}
        finally:
            self._depth -= 1
            self._returns = saved
        if declared is None and len(returned) == 1:
            self._followed[key] = Value(returned.pop())
        return self._followed[key]

    def call_def(
        self, func: Value, args: list[Value | None], kwargs: dict[str, Value | None]
    ) -> Value | None:
        node = func.node
        assert isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        params = [a.arg for a in [*node.args.posonlyargs, *node.args.args]]
        bindings = {
            p: v for p, v in zip(params, args, strict=False) if v is not None and v.is_frame
        }
        bindings.update({k: v for k, v in kwargs.items() if v is not None and v.is_frame})
        def_env = self._def_env.get(id(node), self.env)
        for arg in all_args(node.args):
            if arg.arg not in bindings and (found := self.annotation(arg.annotation, def_env)):
                bindings[arg.arg] = found
        return self.follow(node, bindings)


def scan_source(source: str, *, path: str = "<string>", cell: int | None = None) -> list[Finding]:
    """Scan one piece of source text and return its findings.

    Raises :class:`SourceParseError` (a SyntaxError) when it cannot be parsed.

    Examples
    --------
    >>> scan_source("x = 1")                                          # doctest: +SKIP
    []
    """
    scanner = Scanner(path)
    scanner.scan(source, cell=cell)
    return sorted(scanner.findings)
