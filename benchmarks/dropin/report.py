"""The harness's numbers: a summary dict (what ``--json`` writes) and a plain-text table.

Examples
--------
>>> from benchmarks.dropin.run import Outcome
>>> counts = tally([Outcome("a", "raise", "identical"), Outcome("b", "raise", "raised", clean=False)])
>>> counts["identical"], counts["raised"], counts["raw_leaks"]
(1, 1, 1)
"""

from __future__ import annotations

import json
import platform
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.dropin.checker import score
from benchmarks.dropin.compare import DIFFERENT, IDENTICAL, SAME
from benchmarks.dropin.run import RAISED, Outcome, Results

__all__ = ["render_text", "summarize", "tally", "write_json"]

KINDS = (IDENTICAL, SAME, DIFFERENT, RAISED)


def tally(outcomes: Sequence[Outcome]) -> dict[str, Any]:
    """Counts of each kind, raised split into clean refusals and raw leaks, fallbacks."""
    counts: dict[str, Any] = {kind: 0 for kind in KINDS}
    for outcome in outcomes:
        counts[outcome.kind] += 1
    counts["blocks"] = len(outcomes)
    counts["clean_refusals"] = sum(o.kind == RAISED and bool(o.clean) for o in outcomes)
    counts["raw_leaks"] = sum(
        o.kind == RAISED and not o.clean and not o.timed_out for o in outcomes
    )
    counts["timed_out"] = sum(o.timed_out for o in outcomes)
    counts["fell_back"] = sum(o.fallbacks > 0 for o in outcomes)
    counts["seconds"] = round(sum(o.seconds for o in outcomes), 1)
    return counts


def _git(*args: str) -> str:
    root = Path(__file__).resolve().parents[2]
    try:
        done = subprocess.run(
            ["git", "-C", str(root), *args], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def _versions() -> dict[str, Any]:
    import numpy
    import pandas
    import pyspark

    return {
        "python": platform.python_version(),
        "pandas": pandas.__version__,
        "numpy": numpy.__version__,
        "pyspark": pyspark.__version__,
        "commit": _git("rev-parse", "--short", "HEAD"),
        # the adapter and checker measured may hold changes not yet committed
        "uncommitted": bool(_git("status", "--porcelain", "--", "adapters")),
    }


def summarize(results: Results) -> dict[str, Any]:
    """Everything about one run, JSON-ready: versions, corpus, counts, checker, blocks."""
    blocks = {b.name: b for b in results.blocks}
    raised = {
        o.name: blocks[o.name].statements[o.statement or 0].lines if o.kind == RAISED else None
        for o in results.outcomes.get("raise", [])
    }
    per_block = []
    for index, block in enumerate(results.blocks):
        row: dict[str, Any] = {"name": block.name, "script": block.script()}
        for policy, outcomes in results.outcomes.items():
            row[policy] = outcomes[index].as_dict()
        row["checker"] = results.predictions[index].as_dict()
        per_block.append(row)
    return {
        "versions": _versions(),
        "seconds": round(results.seconds, 1),
        "corpus": {
            "candidates": results.candidates,
            "blocks": len(blocks),
            "statements": sum(len(b.statements) for b in results.blocks),
            "dropped": results.dropped,
        },
        "policies": {p: tally(outcomes) for p, outcomes in results.outcomes.items()},
        "checker": score(results.predictions, raised) if "raise" in results.outcomes else None,
        "different": {
            p: {o.name: o.reason for o in outcomes if o.kind == DIFFERENT}
            for p, outcomes in results.outcomes.items()
        },
        "raw_leaks": {
            p: {
                o.name: o.reason
                for o in outcomes
                if o.kind == RAISED and not o.clean and not o.timed_out
            }
            for p, outcomes in results.outcomes.items()
        },
        "timed_out": {
            p: {o.name: o.reason for o in outcomes if o.timed_out}
            for p, outcomes in results.outcomes.items()
        },
        "blocks": per_block,
    }


def _percent(part: int, whole: int) -> str:
    return f"{part:4d} ({part / whole:4.0%})" if whole else f"{part:4d}"


def _rate(value: float | None, hit: int, total: int) -> str:
    return "n/a" if value is None else f"{value:.0%} ({hit}/{total})"


def render_text(summary: dict[str, Any]) -> str:
    """The summary as a plain-text report: the table, the checker, the lists.

    Examples
    --------
    >>> print(render_text({"seconds": 1.0, "versions": {}, "corpus": {"candidates": 0,
    ...     "blocks": 0, "statements": 0, "dropped": {}}, "policies": {}, "checker": None,
    ...     "different": {}, "raw_leaks": {}}).splitlines()[0])
    Drop-in harness: pandas docstring examples on adapters.pandas (spark backend)
    """
    corpus, versions = summary["corpus"], summary["versions"]
    lines = [
        "Drop-in harness: pandas docstring examples on adapters.pandas (spark backend)",
        f"pandas {versions.get('pandas', '?')}, pyspark {versions.get('pyspark', '?')}, "
        f"commit {versions.get('commit') or '?'}"
        f"{' + uncommitted changes in adapters/' if versions.get('uncommitted') else ''}; "
        f"{corpus['blocks']} blocks "
        f"({corpus['statements']} statements) of {corpus['candidates']} candidates, "
        f"{len(corpus['dropped'])} left out on pandas; wall time {summary['seconds']:.0f} s",
        "",
        f"{'policy':<8}{'identical':>12}{'same values':>14}{'different':>12}{'raised':>12}"
        f"{'raw leaks':>11}{'timed out':>11}{'fell back':>11}",
    ]
    for policy, counts in summary["policies"].items():
        whole = counts["blocks"]
        lines.append(
            f"{policy:<8}{_percent(counts[IDENTICAL], whole):>12}{_percent(counts[SAME], whole):>14}"
            f"{_percent(counts[DIFFERENT], whole):>12}{_percent(counts[RAISED], whole):>12}"
            f"{counts['raw_leaks']:>11}{counts.get('timed_out', 0):>11}{counts['fell_back']:>11}"
        )
    checker = summary.get("checker")
    if checker:
        lines += [
            "",
            "checker (blocker = predicted failure; truth = raised under 'raise'): "
            f"precision {_rate(checker['precision'], checker['true_positives'], checker['predicted'])}, "
            f"recall {_rate(checker['recall'], checker['true_positives'], checker['failed'])}, "
            f"blocker on the failing statement "
            f"{_rate(checker['on_statement'], checker['on_statement_count'], checker['true_positives'])}",
        ]
    for title, key in (
        ("different", "different"),
        ("raw leaks", "raw_leaks"),
        ("timed out", "timed_out"),
    ):
        for policy, reasons in summary.get(key, {}).items():
            if reasons:
                lines += ["", f"{title} under '{policy}' ({len(reasons)}):"]
                lines += [f"  {name}: {reason}" for name, reason in sorted(reasons.items())]
    return "\n".join(lines)


def write_json(summary: dict[str, Any], path: str | Path) -> Path:
    """Write the summary as JSON (indented, UTF-8) and return the path."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(summary, indent=2, default=str) + "\n", encoding="utf-8")
    return target
