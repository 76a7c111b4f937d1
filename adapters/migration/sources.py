"""Find and read the code to check: ``.py`` files and the code cells of ``.ipynb`` notebooks.

Nothing is imported or executed. Notebook cells keep their own line numbers; IPython
magics and shell escapes (``%time``, ``!pip``) become ``pass`` so the rest still parses,
and cells run by another interpreter (``%%bash``, ``%%sql``) are skipped. A file that is
not text in its declared encoding, or a notebook that is not notebook JSON, raises
:class:`SourceParseError` naming the file and the reason.

Examples
--------
>>> [c.source for c in notebook_cells({"cells": [{"cell_type": "code", "source": "%time x = 1"}]})]
['pass  # %time x = 1']
"""

from __future__ import annotations

import io
import json
import tokenize
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from adapters.migration.report import printable
from toolkit.exceptions import InputFileError, SourceParseError

__all__ = ["Chunk", "SourceParseError", "iter_files", "notebook_cells", "read_chunks"]

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
            what = "is not a regular file" if path.exists() else "does not exist"
            raise InputFileError(
                f"{printable(raw)}: {what}; pass .py files, .ipynb notebooks or directories "
                "holding them"
            )


def read_chunks(path: Path) -> list[Chunk]:
    """The chunks of one file: the file itself, or each code cell of a notebook.

    Raises :class:`SourceParseError` when the file is not text in its encoding or the
    notebook is not notebook JSON, and ``OSError`` when it cannot be read at all.

    Examples
    --------
    >>> read_chunks(Path("etl.py"))                                # doctest: +SKIP
    [Chunk(path='etl.py', source='...', cell=None)]
    """
    data = Path(path).read_bytes()
    try:
        if path.suffix == ".ipynb":
            cells = _notebook_cells(_load_json(_decode(data, "utf-8-sig", notebook=True)))
            return [Chunk(str(path), chunk.source, chunk.cell) for chunk in cells]
        return [Chunk(str(path), _decode_python(data))]
    except _Unreadable as exc:
        raise SourceParseError(
            f"{printable(path)}: cannot parse: {exc}", filename=str(path)
        ) from None


def notebook_cells(data: Any) -> list[Chunk]:
    """The code cells of a notebook (nbformat 4, or the first worksheet of nbformat 3).

    ``cell`` is the 1-based position among all cells, as shown top to bottom. Raises
    :class:`SourceParseError` when ``data`` does not have the shape of a notebook.
    """
    try:
        return _notebook_cells(data)
    except _Unreadable as exc:
        raise SourceParseError(f"cannot parse: {exc}") from None


class _Unreadable(Exception):
    """Internal: why bytes are not source (becomes a SourceParseError naming the file)."""


def _a(value: Any) -> str:
    """How a JSON value is named in messages: ``an object``, ``a list``, ``a number``, ..."""
    if isinstance(value, bool):
        return "a boolean"
    names = {dict: "an object", list: "a list", str: "a string", int: "a number", float: "a number"}
    return names.get(type(value), "null" if value is None else f"a {type(value).__name__}")


def _cells(data: Any) -> list[Any]:
    if not isinstance(data, dict):
        raise _Unreadable(
            f"not a notebook: the JSON holds {_a(data)}, expected an object with a 'cells' list"
        )
    if "cells" in data:
        cells = data["cells"]
    elif "worksheets" in data:  # nbformat 3
        sheets = data["worksheets"]
        if not isinstance(sheets, list) or not all(isinstance(s, dict) for s in sheets):
            raise _Unreadable("not a notebook: 'worksheets' is not a list of objects")
        cells = sheets[0].get("cells", []) if sheets else []
    else:
        raise _Unreadable("not a notebook: the JSON object has no 'cells' list")
    if not isinstance(cells, list):
        raise _Unreadable(f"not a notebook: 'cells' is {_a(cells)}, expected a list of cells")
    return cells


def _notebook_cells(data: Any) -> list[Chunk]:
    chunks = []
    for number, cell in enumerate(_cells(data), start=1):
        if not isinstance(cell, dict):
            raise _Unreadable(f"not a notebook: cell {number} is {_a(cell)}, expected an object")
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        if isinstance(source, list) and all(isinstance(line, str) for line in source):
            text = "".join(source)
        elif isinstance(source, str):
            text = source
        else:
            raise _Unreadable(
                f"not a notebook: the source of cell {number} is {_a(source)}, "
                "expected text or a list of lines"
            )
        python = _neutralise_magics(text)
        if python is not None:
            chunks.append(Chunk("", python, number))
    return chunks


def _load_json(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise _Unreadable(
            f"not a notebook: invalid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
        ) from None
    except RecursionError:
        raise _Unreadable("not a notebook: JSON nested too deeply to read") from None


def _decode_python(data: bytes) -> str:
    """Decode as Python does: a BOM or ``# -*- coding: ... -*-`` line, else UTF-8."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        message = str(exc.msg or exc)
        if message.startswith("unknown encoding"):
            name = message.partition(":")[2].strip()
            raise _Unreadable(
                f"unknown encoding {name!r} in its coding line; name a codec Python knows "
                "(utf-8, latin-1, ...) or remove the line"
            ) from None
        _decode(data, "utf-8")  # names the offending byte when the text is not UTF-8
        raise _Unreadable(f"bad coding line ({message})") from None
    text = _decode(data, encoding)
    nul = text.find("\0")
    if nul >= 0:
        raise _Unreadable(f"binary file (NUL byte at offset {nul}), not Python source")
    return text.replace("\r\n", "\n").replace("\r", "\n")  # as open() would read it


def _decode(data: bytes, encoding: str, *, notebook: bool = False) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        utf8 = encoding.lower().replace("_", "-") in ("utf-8", "utf-8-sig")
        offset = exc.start + len(data) - len(exc.object)  # a BOM the codec skipped
        fix = (
            "notebooks are UTF-8 JSON: save it again from Jupyter"
            if notebook
            else "save it as UTF-8 or declare its encoding in a '# -*- coding: <name> -*-' line"
        )
        raise _Unreadable(
            f"not {'UTF-8' if utf8 else encoding} text (byte 0x{exc.object[exc.start]:02x} at "
            f"offset {offset}); {fix}"
        ) from None
    except LookupError as exc:  # a codec name tokenize accepted but the codec registry lost
        raise _Unreadable(f"unknown encoding ({exc})") from None


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
