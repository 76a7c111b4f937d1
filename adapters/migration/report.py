"""Findings and how they are shown: one line per finding, or JSON.

Examples
--------
>>> f = Finding("etl.py", 3, 5, None, "pandas.cut", "blocker", "not implemented", "use ...")
>>> render_text([f]).splitlines()[0]
'etl.py:3:5: blocker pandas.cut: not implemented (use ...)'
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

__all__ = [
    "Finding",
    "exit_status",
    "printable",
    "render_json",
    "render_text",
    "sort_findings",
    "summary",
]

_ORDER = {"blocker": 0, "partial": 1, "advice": 2}


@dataclass(frozen=True, order=True)
class Finding:
    """One use of a pandas API that will fail or misbehave on pandas-on-Spark.

    ``line`` and ``col`` are 1-based; ``cell`` is the 1-based position of the cell in a
    notebook (``line`` then counts within the cell) and None for ``.py`` files.
    """

    path: str
    line: int
    col: int
    cell: int | None
    api: str
    severity: str
    message: str
    suggestion: str

    def location(self) -> str:
        """``path:line:col``, or ``path[cell N]:line:col`` in a notebook."""
        where = self.path if self.cell is None else f"{self.path}[cell {self.cell}]"
        return f"{printable(where)}:{self.line}:{self.col}"


def printable(text: object) -> str:
    """``text`` with control characters escaped, so a file name cannot break a report line.

    Examples
    --------
    >>> printable("a\\nb.py")
    'a\\\\nb.py'
    """
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(text))


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Order by file, cell, line, column, then severity.

    Examples
    --------
    >>> sort_findings([])
    []
    """
    return sorted(
        set(findings),
        key=lambda f: (f.path, f.cell or 0, f.line, f.col, _ORDER.get(f.severity, 9), f.api),
    )


def render_text(findings: Sequence[Finding]) -> str:
    """One ``location: severity api: message (suggestion)`` line per finding."""
    return "\n".join(
        f"{f.location()}: {f.severity} {f.api}: {f.message} ({f.suggestion})" for f in findings
    )


def render_json(findings: Sequence[Finding]) -> str:
    """A JSON list of findings with keys path, line, col, cell, api, severity, message, suggestion.

    Examples
    --------
    >>> render_json([])
    '[]'
    """
    return json.dumps([asdict(f) for f in findings], indent=2)


def summary(findings: Sequence[Finding], files: int, *, errors: int = 0) -> str:
    """``2 blocker, 1 partial, 0 advice in 3 files``, plus ``; 1 error`` when some could not
    be checked.

    Examples
    --------
    >>> summary([], 1)
    '0 blocker, 0 partial, 0 advice in 1 file'
    >>> summary([], 2, errors=1)
    '0 blocker, 0 partial, 0 advice in 2 files; 1 error'
    """
    counts = Counter(f.severity for f in findings)
    noun = "file" if files == 1 else "files"
    line = ", ".join(f"{counts[s]} {s}" for s in _ORDER) + f" in {files} {noun}"
    return line + (f"; {errors} error{'' if errors == 1 else 's'}" if errors else "")


def exit_status(findings: Sequence[Finding]) -> int:
    """1 when any finding is a blocker, else 0.

    Examples
    --------
    >>> exit_status([])
    0
    """
    return 1 if any(f.severity == "blocker" for f in findings) else 0
