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
    printable,
    render_json,
    render_text,
    sort_findings,
    summary,
)
from adapters.migration.rules import Rule, RuleBook, rulebook
from adapters.migration.scanner import Scanner, scan_source
from adapters.migration.sources import iter_files, read_chunks
from toolkit.exceptions import InputFileError, SourceParseError

__all__ = [
    "CheckResult",
    "Finding",
    "Rule",
    "RuleBook",
    "SourceParseError",
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
    """Findings of one check run, how many files were read, and what could not be checked.

    ``errors`` holds one line per path that does not exist, file that cannot be read or
    parsed, or notebook cell that cannot be parsed: ``where: cannot parse: reason``.
    """

    findings: list[Finding] = field(default_factory=list)
    files: int = 0
    errors: list[str] = field(default_factory=list)


def check_paths(paths: Iterable[str | Path]) -> CheckResult:
    """Check ``.py`` files and notebooks (directories are searched) without running them.

    A file that cannot be checked (a missing path, binary bytes, an unknown encoding,
    notebook JSON that is not a notebook, code nested too deeply) is recorded in
    ``errors`` and the other files are still checked; :func:`scan_source` and
    :func:`~adapters.migration.sources.read_chunks` raise :class:`SourceParseError` instead.

    Examples
    --------
    >>> check_paths(["etl.py"]).findings[0].api                     # doctest: +SKIP
    'pandas.cut'
    """
    result = CheckResult()
    book = rulebook()
    for raw in paths:
        try:
            files = list(iter_files([raw]))
        except InputFileError as exc:
            result.errors.append(printable(exc))
            continue
        for path in files:
            result.files += 1
            result.errors.extend(map(printable, _check_file(path, book, result.findings)))
    result.findings = sort_findings(result.findings)
    return result


def _check_file(path: Path, book: RuleBook, findings: list[Finding]) -> list[str]:
    """Scan one file into ``findings``; return the lines saying what could not be checked."""
    try:
        chunks = read_chunks(path)
    except SourceParseError as exc:
        return [str(exc)]
    except OSError as exc:
        return [f"{printable(path)}: cannot read: {exc.strerror or exc}"]
    except MemoryError:
        return [f"{printable(path)}: cannot read: too large to hold in memory"]
    errors = []
    scanner = Scanner(str(path), book=book)
    for chunk in chunks:
        try:
            scanner.scan(chunk.source, cell=chunk.cell)
        except SourceParseError as exc:
            errors.append(str(exc))
        except Exception as exc:  # a checker bug must not hide the other files' findings
            where = printable(f"{path}[cell {chunk.cell}]" if chunk.cell else path)
            errors.append(
                f"{where}: cannot check: the checker failed ({type(exc).__name__}: "
                f"{printable(exc)}); please report it with this file"
            )
    findings.extend(scanner.findings)
    return errors
