"""The ``scaleout`` command line: the one composition root.

Each subcommand is a pair ``_add_<name>(subparsers)`` / ``_run_<name>(args)``;
adapters and benchmarks are imported lazily, inside the ``_run_`` functions.

Examples
--------
$ scaleout --help
$ scaleout info
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from toolkit.exceptions import ToolkitError

__all__ = ["main"]

Runner = Callable[[argparse.Namespace], int]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``scaleout`` command line and return its exit status.

    Examples
    --------
    >>> main(["info"])  # doctest: +SKIP
    0
    """
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return 0
    try:
        return args.run(args)
    except ToolkitError as exc:
        print(f"scaleout {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"scaleout {args.command}: interrupted", file=sys.stderr)
        return 130


def _parser() -> argparse.ArgumentParser:
    from toolkit import __version__

    parser = argparse.ArgumentParser(
        prog="scaleout",
        description="Run pandas code and score scikit-learn models on Apache Spark.",
    )
    parser.add_argument("--version", action="version", version=f"scaleout {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add in (_add_info, _add_check, _add_bench):
        add(commands)
    return parser


def _command(commands: argparse._SubParsersAction, name: str, run: Runner, help: str):
    sub = commands.add_parser(name, help=help, description=help)
    sub.set_defaults(run=run)
    return sub


# -- info ---------------------------------------------------------------------------------


def _add_info(commands: argparse._SubParsersAction) -> None:
    _command(commands, "info", _run_info, "Show versions, Java and the Spark target in use.")


def _run_info(args: argparse.Namespace) -> int:
    import os
    import platform
    from importlib.metadata import PackageNotFoundError, version

    from toolkit.session import check_java

    rows = {"python": platform.python_version()}
    for package in ("scaleout", "pyspark", "pandas", "pyarrow", "scikit-learn", "mlflow", "skops"):
        try:
            rows[package] = version(package)
        except PackageNotFoundError:
            rows[package] = "not installed"
    try:
        rows["java"] = str(check_java())
    except ToolkitError as exc:
        rows["java"] = f"missing: {exc}"
    rows["spark target"] = (
        os.environ.get("SPARK_REMOTE") or os.environ.get("SPARK_MASTER") or "local[*] (embedded)"
    )
    width = max(map(len, rows))
    for key, value in rows.items():
        print(f"{key:<{width}}  {value}")
    return 0


# -- check --------------------------------------------------------------------------------


def _add_check(commands: argparse._SubParsersAction) -> None:
    sub = _command(
        commands,
        "check",
        _run_check,
        "Report the pandas calls that will fail or misbehave on pandas-on-Spark. "
        "Reads .py files and notebooks as text: nothing is imported or run.",
    )
    sub.formatter_class = argparse.RawDescriptionHelpFormatter
    sub.epilog = (
        "severities: blocker (raises on pandas-on-Spark), partial (runs, but a parameter or\n"
        "behaviour differs), advice (works, but slow or collects to the driver).\n"
        "exit status: 1 when a blocker is found, 2 when a file cannot be parsed, else 0.\n\n"
        "examples:\n"
        "  scaleout check etl.py notebooks/\n"
        "  scaleout check src/ --format json --severity partial"
    )
    sub.add_argument(
        "paths", nargs="+", metavar="PATH", help=".py files, .ipynb notebooks, directories"
    )
    sub.add_argument(
        "--format", choices=("text", "json"), default="text", help="text (default) or json"
    )
    sub.add_argument(
        "--severity", choices=("advice", "partial", "blocker"), default="advice",
        help="lowest severity to show (default: advice, i.e. everything)",
    )  # fmt: skip


def _run_check(args: argparse.Namespace) -> int:
    from adapters.migration import check_paths, exit_status, render_json, render_text, summary

    result = check_paths(args.paths)
    ranks = {"blocker": 0, "partial": 1, "advice": 2}
    shown = [f for f in result.findings if ranks[f.severity] <= ranks[args.severity]]
    if args.format == "json":
        print(render_json(shown))
    else:
        if shown:
            print(render_text(shown))
        print(summary(shown, result.files))
    for error in result.errors:
        print(f"scaleout check: {error}", file=sys.stderr)
    status = exit_status(result.findings)
    return status or (2 if result.errors else 0)


# -- bench --------------------------------------------------------------------------------


def _add_bench(commands: argparse._SubParsersAction) -> None:
    # Options belong to benchmarks.cli (imported only when the command runs): everything after
    # "bench" is handed over untouched ("+" prefix: argparse here treats none of it as options).
    help = "Benchmark scoring throughput against MLlib, peers and the hardware limit."
    sub = commands.add_parser(
        "bench", help=help, description=help, add_help=False, prefix_chars="+"
    )
    sub.add_argument("bench_args", nargs=argparse.REMAINDER)
    sub.set_defaults(run=_run_bench)


def _run_bench(args: argparse.Namespace) -> int:
    from benchmarks.cli import main as bench_main

    return bench_main(args.bench_args, prog="scaleout bench")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
