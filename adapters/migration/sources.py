"""Find and read the code to check: ``.py`` files and the code cells of ``.ipynb`` notebooks.

Nothing is imported or executed. Notebook cells keep their own line numbers; IPython
magics and shell escapes (``%time``, ``!pip``) become ``pass`` so the rest still parses,
and cells run by another interpreter (``%%bash``, ``%%sql``) are skipped.

Examples
--------
>>> [c.source for c in notebook_cells({"cells": [{"cell_type": "code", "source": "%time x = 1"}]})]
['pass  # %time x = 1']
"""

from __future__ import annotations

import json
import tokenize
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolkit.exceptions import InputFileError

__all__ = ["Chunk", "iter_files", "notebook_cells", "read_chunks"]

SUFFIXES = (".py", ".ipynb")
_SKIP_DIRS = frozenset(
    {".git", ".hg", ".venv", "venv", "__pycache__", ".ipynb_checkpoints", "node_modules", ".tox"}
)
_PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "memit", "debug"})


@dataclass(frozen=True)
class Chunk:
    """Source text to scan: a whole ``.py`` file (``cell`` None) or one notebook cell."""

    path: str
    source: str
    cell: int | None = None


def iter_files(paths: Iterable[str | Path]) -> Iterator[Path]:
    """Yield the ``.py`` and ``.ipynb`` files named or found under ``paths`` (sorted per directory).

    Raises :class:`~toolkit.exceptions.InputFileError` for a path that does not exist.

    Examples
    --------
    >>> list(iter_files([]))
    []
    """
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for found in sorted(path.rglob("*")):
                hidden = set(found.relative_to(path).parts[:-1]) & _SKIP_DIRS
                if found.suffix in SUFFIXES and found.is_file() and not hidden:
                    yield found
        elif path.is_file():
            yield path
        else:
            raise InputFileError(
                f"scaleout check: {raw} does not exist. Pass .py files, .ipynb notebooks "
                "or directories holding them."
            )


def read_chunks(path: Path) -> list[Chunk]:
    """The chunks of one file: the file itself, or each code cell of a notebook.

    Examples
    --------
    >>> read_chunks(Path("etl.py"))                                # doctest: +SKIP
    [Chunk(path='etl.py', source='...', cell=None)]
    """
    if path.suffix == ".ipynb":
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
        return [Chunk(str(path), chunk.source, chunk.cell) for chunk in notebook_cells(data)]
    with tokenize.open(path) as handle:  # honours a `# -*- coding: ... -*-` line
        return [Chunk(str(path), handle.read())]


def notebook_cells(data: dict[str, Any]) -> list[Chunk]:
    """The code cells of a notebook (nbformat 4, or the first worksheet of nbformat 3).

    ``cell`` is the 1-based position among all cells, as shown top to bottom.
    """
    cells = data.get("cells")
    if cells is None:
        worksheets = data.get("worksheets") or [{}]
        cells = worksheets[0].get("cells", [])
    chunks = []
    for number, cell in enumerate(cells, start=1):
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        text = "".join(source) if isinstance(source, list) else str(source)
        python = _neutralise_magics(text)
        if python is not None:
            chunks.append(Chunk("", python, number))
    return chunks


def _neutralise_magics(text: str) -> str | None:
    lines = text.split("\n")
    first = lines[0].strip() if lines else ""
    if first.startswith("%%"):
        name = first[2:].split(maxsplit=1)[0] if len(first) > 2 else ""
        if name not in _PYTHON_CELL_MAGICS:
            return None
    out = []
    for line in lines:
        stripped = line.lstrip()
        if stripped.startswith(("%", "!")) or (
            stripped.endswith("?") and not stripped.startswith("#")
        ):
            indent = line[: len(line) - len(stripped)]
            out.append(f"{indent}pass  # {stripped}")
        else:
            out.append(line)
    return "\n".join(out)
