"""``python -m benchmarks.dropin``: the drop-in harness on pandas' own docstring examples.

Examples
--------
$ python -m benchmarks.dropin                          # the whole corpus, both policies
$ python -m benchmarks.dropin --sample 200 --json dropin.json
$ python -m benchmarks.dropin --only DataFrame.groupby pandas.cut
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from benchmarks.dropin.run import POLICIES

__all__ = ["main", "parser"]


def parser(prog: str = "python -m benchmarks.dropin") -> argparse.ArgumentParser:
    """The option parser."""
    p = argparse.ArgumentParser(
        prog=prog,
        description="Run pandas' own docstring examples on plain pandas and on adapters.pandas "
        "(spark backend, fallback 'raise' and 'warn'), classify every block (identical, same "
        "values, different, raised) and score the migration checker against what raised.",
    )
    p.add_argument(
        "--only",
        nargs="+",
        default=[],
        metavar="NAME",
        help="only these blocks (DataFrame.groupby, pandas.cut; 'Series.' for a prefix)",
    )
    p.add_argument(
        "--sample",
        type=int,
        metavar="N",
        help="N blocks, every k-th of the sorted names (deterministic)",
    )
    p.add_argument("--limit", type=int, metavar="N", help="at most the first N blocks")
    p.add_argument(
        "--policies",
        default=",".join(POLICIES),
        help="fallback policies to run, comma-separated (default: raise,warn)",
    )
    p.add_argument("--json", metavar="PATH", help="write every number and outcome as JSON")
    p.add_argument(
        "--every",
        type=int,
        default=10,
        metavar="N",
        help="a progress line on stderr every N blocks (default 10)",
    )
    p.add_argument(
        "--list", action="store_true", help="print the chosen candidate names and exit (no Spark)"
    )
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the harness; print the report; 0 on success (the numbers are the result)."""
    args = parser().parse_args(argv)
    from benchmarks.dropin.corpus import candidates, select

    blocks = select(candidates(), only=args.only, sample=args.sample, limit=args.limit)
    if args.list:
        print("\n".join(b.name for b in blocks))
        return 0
    policies = [p.strip() for p in args.policies.split(",") if p.strip()]
    unknown = sorted(set(policies) - {"raise", "warn", "silent"})
    if unknown or not blocks:
        what = f"unknown policy {', '.join(unknown)}" if unknown else "no block matches"
        print(f"python -m benchmarks.dropin: error: {what}", file=sys.stderr)
        return 2

    import toolkit as tk
    from benchmarks.dropin.report import render_text, summarize, write_json
    from benchmarks.dropin.run import measure

    tk.session(quiet=True)
    results = measure(
        blocks,
        policies=policies,
        every=max(args.every, 1),
        progress=lambda line: print(line, file=sys.stderr, flush=True),
    )
    summary = summarize(results)
    print(render_text(summary))
    if args.json:
        print(f"\nJSON: {write_json(summary, args.json)}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
