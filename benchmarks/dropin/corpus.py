"""The corpus: pandas' own docstring examples, read from the installed pandas at run time.

One docstring is one :class:`Block`: the ordered doctest examples of its ``Examples``
section, each a :class:`Statement`. The docstrings read are those of the public methods
and properties of ``pandas.DataFrame``, ``pandas.Series``, ``DataFrameGroupBy`` and
``SeriesGroupBy`` and of the top-level pandas functions, without I/O (``read_*``, the
``to_*`` writers, anything from ``pandas.io``), plotting (``plot``, ``hist``,
``boxplot``, ``style``) and utilities (``show_versions``, ``test``). Examples marked
``# doctest: +SKIP`` are left out, a docstring whose doctest expects an exception is
left out whole, and a docstring shared word for word by several names (aliases, the
flexible arithmetic family) is kept once, under its first name in sorted order.
Whether a block runs on pandas is decided later (:func:`benchmarks.dropin.run.reference`).

Examples
--------
>>> blocks = candidates()
>>> block = next(b for b in blocks if b.name == "pandas.cut")
>>> block.script().splitlines()[:2]
['import pandas as pd', 'import numpy as np']
>>> block.statements[0].line
3
>>> [b.name for b in select(blocks, sample=3)] == [b.name for b in select(blocks, sample=3)]
True
"""

from __future__ import annotations

import ast
import doctest
import inspect
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["HEADER", "Block", "Statement", "candidates", "select"]

HEADER = "import pandas as pd\nimport numpy as np\n"
IO_WRITERS = {
    "to_clipboard",
    "to_csv",
    "to_excel",
    "to_feather",
    "to_gbq",
    "to_hdf",
    "to_html",
    "to_json",
    "to_latex",
    "to_markdown",
    "to_orc",
    "to_parquet",
    "to_pickle",
    "to_sql",
    "to_stata",
    "to_xml",
}
PLOTTING = {"boxplot", "hist", "plot", "style"}
UTILITIES = {"show_versions", "test"}  # the environment, pandas' own test suite
_SKIP = doctest.OPTIONFLAGS_BY_NAME["SKIP"]
_SECTION = re.compile(r"^\s*Examples\s*\n\s*-{3,}\s*$", re.MULTILINE)
_NEXT_SECTION = re.compile(
    r"^\s*(Attributes|Methods|Notes|Parameters|Raises|References|Returns|See Also|Warns|Yields)"
    r"\s*\n\s*-{3,}\s*$",
    re.MULTILINE,
)


@dataclass(frozen=True)
class Statement:
    """One doctest example: its code, the output the docstring shows, where it sits.

    ``line`` is the first line of the statement in :meth:`Block.script` (1-based).
    """

    source: str
    want: str
    line: int

    @property
    def lines(self) -> range:
        """The lines of :meth:`Block.script` this statement occupies."""
        return range(self.line, self.line + self.source.count("\n"))

    @property
    def expression(self) -> bool:
        """Whether the statement is one expression (its value is what doctest displays)."""
        try:
            body = ast.parse(self.source).body
        except SyntaxError:
            return False
        return len(body) == 1 and isinstance(body[0], ast.Expr)

    @property
    def displays(self) -> bool:
        """Whether the statement shows a value: expected output, or an expression."""
        return bool(self.want.strip()) or self.expression


@dataclass(frozen=True)
class Block:
    """The examples of one docstring, named like ``DataFrame.groupby`` or ``pandas.cut``."""

    name: str
    statements: tuple[Statement, ...]

    def script(self) -> str:
        """The block as a script: the two imports, then the statements one after another."""
        return HEADER + "".join(s.source for s in self.statements)


def _examples_section(doc: str) -> str:
    found = _SECTION.search(doc)
    if found is None:
        return ""
    rest = doc[found.end() :]
    after = _NEXT_SECTION.search(rest)
    return rest if after is None else rest[: after.start()]


def _block(name: str, doc: str) -> Block | None:
    """The block of one docstring, or None (no examples, or an expected exception)."""
    try:
        examples = doctest.DocTestParser().get_examples(_examples_section(doc), name)
    except ValueError:  # malformed doctest text
        return None
    if any(e.exc_msg is not None for e in examples):
        return None
    statements, line = [], HEADER.count("\n") + 1
    for example in examples:
        if example.options.get(_SKIP):
            continue
        source = example.source if example.source.endswith("\n") else example.source + "\n"
        statements.append(Statement(source, example.want, line))
        line += source.count("\n")
    if not any(s.displays for s in statements):
        return None
    return Block(name, tuple(statements))


def _public(owner: type) -> Iterator[tuple[str, Any]]:
    for attr in sorted(dir(owner)):
        if attr.startswith("_") or attr in PLOTTING or attr in IO_WRITERS:
            continue
        try:
            yield attr, getattr(owner, attr)
        except Exception:  # noqa: BLE001 - an accessor that cannot be read unbound
            continue


def _io(obj: Any) -> bool:
    return (getattr(obj, "__module__", None) or "").startswith(("pandas.io", "pandas.plotting"))


def _docstrings() -> Iterator[tuple[str, str]]:
    import pandas
    from pandas.core.groupby import DataFrameGroupBy, SeriesGroupBy

    owners = {
        "DataFrame": pandas.DataFrame,
        "Series": pandas.Series,
        "DataFrameGroupBy": DataFrameGroupBy,
        "SeriesGroupBy": SeriesGroupBy,
    }
    for prefix, owner in owners.items():
        for attr, obj in _public(owner):
            yield f"{prefix}.{attr}", getattr(obj, "__doc__", None) or ""
    for attr, obj in _public(pandas):
        if attr in UTILITIES or attr.startswith("read_") or _io(obj):
            continue
        if inspect.isroutine(obj):
            yield f"pandas.{attr}", obj.__doc__ or ""


def candidates() -> list[Block]:
    """Every block the installed pandas' docstrings give, sorted by name, duplicates once.

    Examples
    --------
    >>> names = [b.name for b in candidates()]
    >>> names == sorted(names) and "DataFrame.groupby" in names and "pandas.read_csv" not in names
    True
    """
    seen: set[str] = set()
    blocks = []
    for name, doc in sorted(_docstrings()):
        block = _block(name, doc)
        if block is None or block.script() in seen:
            continue
        seen.add(block.script())
        blocks.append(block)
    return blocks


def select(
    blocks: Sequence[Block],
    *,
    only: Iterable[str] = (),
    sample: int | None = None,
    limit: int | None = None,
) -> list[Block]:
    """Pick blocks by name: ``only`` (exact names or a ``Class.`` prefix), then every k-th of
    the sorted names so that ``sample`` remain (k = len / sample, starting with the first),
    then the first ``limit``.

    Examples
    --------
    >>> blocks = [Block(f"pandas.f{i:02}", ()) for i in range(10)]
    >>> [b.name for b in select(blocks, sample=3)]
    ['pandas.f00', 'pandas.f03', 'pandas.f06']
    >>> [b.name for b in select(blocks, only=["pandas.f01", "pandas.f09"], limit=1)]
    ['pandas.f01']
    """
    chosen = sorted(blocks, key=lambda b: b.name)
    wanted = [n for n in only if n]
    if wanted:
        chosen = [
            b
            for b in chosen
            if any(b.name == n or (n.endswith(".") and b.name.startswith(n)) for n in wanted)
        ]
    if sample is not None and 0 < sample < len(chosen):
        step = len(chosen) / sample
        chosen = [chosen[int(i * step)] for i in range(sample)]
    if limit is not None:
        chosen = chosen[: max(limit, 0)]
    return chosen
