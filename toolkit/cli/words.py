"""Say errors and warnings in the command line's words: flags, not Python arguments.

The toolkit's messages are written for Python callers (``pass trusted=True``,
``features=[...]``, ``mode='overwrite'``). The ``scaleout`` command line prints
every error and warning through :func:`to_flags`, a small table of patterns that
turns those option words into the flags a shell user types (``--trusted``,
``--features a,b``, ``--mode overwrite``), and :func:`one_line_warnings` prints each
warning raised while a command runs as one ``scaleout CMD: warning: ...`` line
instead of Python's ``file.py:LINE: Category: ...`` pair of lines.

Examples
--------
>>> to_flags("Choose a new path, or pass mode='overwrite' (the CLI: --mode overwrite).")
'Choose a new path, or pass --mode overwrite.'
>>> to_flags("If you trust this file, pass trusted=['my.Step'] (or trusted=True) to load it.")
'If you trust this file, pass --trust my.Step (or --trusted) to load it.'
"""

from __future__ import annotations

import ast
import contextlib
import re
import sys
import warnings
from collections.abc import Callable, Iterator
from typing import TextIO

__all__ = ["FLAGS", "format_hint", "one_line", "one_line_warnings", "to_flags"]

# Python keyword -> the flag that sets it on the command line.
FLAGS = {
    "features": "--features",
    "trusted": "--trusted",
    "mode": "--mode",
    "format": "--format",
    "handle_invalid": "--handle-invalid",
    "batch_size": "--batch-size",
    "output_col": "--output-col",
    "keep_columns": "--keep-columns",
    "method": "--method",
    "engine": "--engine",
    "track": "--track",
}
_NAMES = "|".join(sorted(FLAGS, key=len, reverse=True))
_VALUE = r"""(?:'[^']*'|"[^"]*"|\.\.\.|\[[^\]]*\]|\{[^}]*\}|[\w.\[\]*-]+)"""


_METAVARS = {"format": "csv|json", "method": "METHOD", "features": "a,b", "keep_columns": "a,b"}
_EXTENSIONS = {
    ".parquet": "parquet",
    ".csv": "csv",
    ".json": "json",
    ".jsonl": "json",
    ".ndjson": "json",
    ".orc": "orc",
}


def format_hint(message: str) -> str | None:
    """The format a message's file names suggest (``a.csv is not ...`` -> ``csv``), or None.

    Examples
    --------
    >>> format_hint("/in/a.csv is not a readable parquet file")
    'csv'
    """
    for path in re.findall(r"\S+\.\w+", message):
        for ending, name in _EXTENSIONS.items():
            if path.lower().rstrip(".,;:'\")").endswith(ending):
                return name
    return None


def _literal(text: str) -> object:
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def _flag_value(match: re.Match[str]) -> str:
    """``name=value`` -> ``--name value`` in the form the flag takes."""
    name, raw = match.group("name"), match.group("value")
    flag, value = FLAGS[name], _literal(raw)
    if name == "trusted":
        if value is True:
            return "--trusted"
        if isinstance(value, list | tuple) and value and all(isinstance(v, str) for v in value):
            return " ".join(f"--trust {v}" for v in value)
        return "--trust NAME"
    if value is None:
        return f"no {flag}"
    if value is True:
        return flag
    if raw in ("[...]", "['...']"):
        return f"{flag} a,b" if name in ("features", "keep_columns") else f"{flag} ..."
    if raw == "...":
        return f"{flag} {_METAVARS.get(name, 'VALUE')}"
    if isinstance(value, list | tuple):
        return f"{flag} {','.join(str(v) for v in value)}"
    if raw in ("'...'", '"..."'):
        return f"{flag} NAME"
    return f"{flag} {value}"


def _convert_hint(match: re.Match[str]) -> str:
    source, target = _literal(match.group("src")), _literal(match.group("dst"))
    return f"scaleout model convert {source} {target} --trusted"


# (pattern, replacement) applied in order; the first ones drop hints meant for Python users
# that already name the flag; option names said on their own are translated before
# ``name=value`` forms, so a value is never mistaken for an option name.
_RULES: list[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]]] = [
    (re.compile(r" \((?:the CLI: )?--[^()]*\)"), ""),
    (re.compile(r" \(--[\w-]+ on the command line\)"), ""),
    (
        re.compile(
            r"tk\.save_model\(tk\.load_model\((?P<src>'[^']*'|\"[^\"]*\"), trusted=True\), "
            r"(?P<dst>'[^']*'|\"[^\"]*\")\)"
        ),
        _convert_hint,
    ),
    # Spark targets: --master takes classic URLs and sc:// (Connect); the rest is environment
    (re.compile(r"\b(?:master|remote)='([^']*)' \(from (SPARK_\w+)\)"), r"\2=\1"),
    (re.compile(r"\bmaster='([^']*)'"), r"--master \1"),
    (re.compile(r"\bremote='(sc://[^']*)'"), r"--master \1"),
    (re.compile(r"\bremote='([^']*)'"), r"SPARK_REMOTE=\1"),
    (re.compile(r"\bleave (?:features=None|features unset)"), "leave out --features"),
    (re.compile(r"(?<![\w./-])features (names|has|lists)\b"), r"--features \1"),
    (
        re.compile(r"\bconf\[(?P<key>'[^']*')\] = (?P<value>'[^']*')"),
        lambda m: f"--conf {_literal(m.group('key'))}={_literal(m.group('value'))}",
    ),  # fmt: skip
    (
        re.compile(r"\bconf=\{'(?P<key>[^']*)': (?:'(?P<value>[^']*)'|\.\.\.)\}"),
        lambda m: f"--conf {m.group('key')}={m.group('value') or 'VALUE'}",
    ),
    (
        re.compile(rf"(?<![\w.'\"=/\\-])(?P<name>{_NAMES})(?![\w'\"=/\\-])"),
        lambda m: FLAGS[m.group("name")] if "_" in m.group("name") else m.group("name"),
    ),  # fmt: skip
    (re.compile(rf"(?<![\w.=/\\-])(?P<name>{_NAMES})=(?P<value>{_VALUE})(?![/\\])"), _flag_value),
]


def one_line(text: str) -> str:
    """Collapse a message onto one line (runs of whitespace become one space).

    Examples
    --------
    >>> one_line("a\\n  b")
    'a b'
    """
    return " ".join(str(text).split())


def to_flags(message: str) -> str:
    """Translate the Python option words of a toolkit message into command-line flags.

    Bare option names are translated only when they cannot be ordinary words
    (``batch_size``, ``output_col``, ``keep_columns``, ``handle_invalid``); ``name=value``
    forms always are.

    Examples
    --------
    >>> to_flags("batch_size must be a positive number of rows; got 0.")
    '--batch-size must be a positive number of rows; got 0.'
    >>> to_flags("Rename the columns or pass features=[...].")
    'Rename the columns or pass --features a,b.'
    """
    text = one_line(message)
    hint = format_hint(text)
    if hint:
        text = text.replace("format=...", f"format={hint!r}")
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    return text


@contextlib.contextmanager
def one_line_warnings(prog: str, *, stream: TextIO | None = None) -> Iterator[None]:
    """Print every warning raised inside as one ``PROG: warning: ...`` line in flag words.

    Python's own form names the toolkit's source line, which means nothing to a
    shell user. The previous ``warnings.showwarning`` and filters come back on exit.

    Examples
    --------
    >>> with one_line_warnings("scaleout score", stream=sys.stdout):
    ...     warnings.warn("batch_size is large")
    scaleout score: warning: --batch-size is large
    """
    from toolkit.exceptions import ToolkitAdviceWarning

    def show(
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        file: TextIO | None = None,
        line: str | None = None,
    ) -> None:
        out = stream or sys.stderr
        print(f"{prog}: warning: {to_flags(str(message))}", file=out, flush=True)

    with warnings.catch_warnings():
        warnings.simplefilter("always", ToolkitAdviceWarning)
        warnings.showwarning = show
        yield
