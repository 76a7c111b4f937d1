"""Static pandas -> pandas-on-Spark checker: say what will break before anything runs.

Reads ``.py`` files and notebook code cells as text (AST only; nothing is imported or
executed), follows pandas aliases and frames, and reports each use that fails or
misbehaves on pandas-on-Spark with a severity and a suggestion. The rules come from the
installed pyspark (:mod:`~adapters.migration.surface`) plus a curated table
(:mod:`~adapters.migration.gotchas`).

Examples
--------
>>> from adapters.migration import check_paths
>>> result = check_paths(["etl.py", "notebooks/"])              # doctest: +SKIP
>>> print(render_text(result.findings))                         # doctest: +SKIP
etl.py:12:8: blocker pandas.cut: pandas.cut is not implemented in pandas-on-Spark ...
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from adapters.migration.report import (
    Finding,
    exit_status,
    render_json,
    render_text,
    sort_findings,
    summary,
)
from adapters.migration.rules import Rule, RuleBook, rulebook
from adapters.migration.scanner import Scanner, scan_source
from adapters.migration.sources import iter_files, read_chunks

__all__ = [
    "CheckResult",
    "Finding",
    "Rule",
    "RuleBook",
    "check_paths",
    "exit_status",
    "render_json",
    "render_text",
    "rulebook",
    "scan_source",
    "summary",
]


@dataclass
class CheckResult:
    """Findings of one check run, how many files were read, and what could not be parsed."""

    findings: list[Finding] = field(default_factory=list)
    files: int = 0
    errors: list[str] = field(default_factory=list)


def check_paths(paths: Iterable[str | Path]) -> CheckResult:
    """Check ``.py`` files and notebooks (directories are searched) without running them.

    Examples
    --------
    >>> check_paths(["etl.py"]).findings[0].api                     # doctest: +SKIP
    'pandas.cut'
    """
    result = CheckResult()
    book = rulebook()
    for path in iter_files(paths):
        result.files += 1
        try:
            chunks = read_chunks(path)
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            result.errors.append(f"{path}: cannot read: {exc}")
            continue
        scanner = Scanner(str(path), book=book)
        for chunk in chunks:
            try:
                scanner.scan(chunk.source, cell=chunk.cell)
            except SyntaxError as exc:
                where = f"{path}[cell {chunk.cell}]" if chunk.cell else str(path)
                result.errors.append(f"{where}:{exc.lineno}: cannot parse: {exc.msg}")
        result.findings.extend(scanner.findings)
    result.findings = sort_findings(result.findings)
    return result
