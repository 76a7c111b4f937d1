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
    for add in (_add_info, _add_check, _add_score, _add_demo, _add_bench):
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
        "exit status: 1 when a blocker is found, else 2 when a path is missing or a file\n"
        "cannot be read or parsed (one 'scaleout check: error: FILE: ...' line each on\n"
        "stderr; the other files are still checked), else 0.\n\n"
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
        print(summary(shown, result.files, errors=len(result.errors)))
    for error in result.errors:
        print(f"scaleout check: error: {error}", file=sys.stderr)
    # a blocker (1) outranks an unreadable file (2): either way the code will not run as is
    status = exit_status(result.findings)
    return status or (2 if result.errors else 0)


# -- score --------------------------------------------------------------------------------


def _add_score(commands: argparse._SubParsersAction) -> None:
    from toolkit.commit import MODES
    from toolkit.files import ENGINES
    from toolkit.scoring import HANDLE_INVALID

    sub = _command(
        commands,
        "score",
        _run_score,
        "Score files with a scikit-learn model and write the predictions as Parquet.",
    )
    sub.formatter_class = argparse.RawDescriptionHelpFormatter
    sub.epilog = (
        "examples:\n"
        "  scaleout score churn.skops data/customers/ data/scored/ --method predict_proba\n"
        "  scaleout score models:/churn@champion s3://lake/in/ s3://lake/out/ --keep-columns id"
    )
    sub.add_argument("model", metavar="MODEL", help="a .skops/.joblib/.pkl file or MLflow URI")
    sub.add_argument("input", metavar="INPUT", help="a file, a directory or a glob")
    sub.add_argument("output", metavar="OUTPUT", help="the directory to write (Parquet)")
    sub.add_argument(
        "--method",
        default="predict",
        metavar="M",
        choices=("predict", "predict_proba", "predict_log_proba", "decision_function", "transform"),
        help="predict (default), predict_proba, predict_log_proba, decision_function, transform",
    )
    sub.add_argument(
        "--features", type=_comma_list, metavar="A,B", help="feature columns, in training order "
        "(default: the model's feature_names_in_)"
    )  # fmt: skip
    sub.add_argument("--output-col", metavar="C", help="name of the prediction column")
    sub.add_argument(
        "--keep-columns", type=_comma_list, metavar="A,B",
        help="input columns to copy to the output (default: all; '' for none)",
    )  # fmt: skip
    sub.add_argument(
        "--mode", default="error", choices=MODES,
        help="what to do when OUTPUT exists (default: error)",
    )  # fmt: skip
    sub.add_argument(
        "--handle-invalid", default="error", choices=HANDLE_INVALID,
        help="rows the model refuses: fail, drop them, or keep them with a null prediction",
    )  # fmt: skip
    sub.add_argument(
        "--format", default="parquet", metavar="F",
        help="input format: parquet, csv, json (any Spark format with --engine dataframe)",
    )  # fmt: skip
    sub.add_argument(
        "--engine", default="files", choices=ENGINES,
        help="files: pyarrow inside Spark tasks (fast, default); dataframe: Spark DataFrames",
    )  # fmt: skip
    sub.add_argument("--master", metavar="URL", help="Spark master (default: SPARK_REMOTE, "
                     "SPARK_MASTER, else local[*])")  # fmt: skip
    sub.add_argument(
        "--trusted", action="store_true",
        help="allow pickle models and unknown skops types (only for files you trust)",
    )  # fmt: skip
    sub.add_argument(
        "--track", action="store_true",
        help="log the job as an MLflow run (MLFLOW_TRACKING_URI, else ./mlflow.db)",
    )  # fmt: skip
    sub.add_argument("--verbose", action="store_true", help="show Spark's own log output")


def _run_score(args: argparse.Namespace) -> int:
    from toolkit.files import score_files
    from toolkit.models import load_model
    from toolkit.progress import ConsoleProgress

    model = load_model(args.model, trusted=args.trusted)
    bar = ConsoleProgress()

    def spark():
        from toolkit.session import active_session, is_connect, session

        current = session(master=args.master) if args.master else active_session()
        if not args.verbose and not is_connect(current):
            current.sparkContext.setLogLevel("OFF")  # failures are reported in one line below
        return current

    try:
        report = score_files(
            model, args.input, args.output, features=args.features, method=args.method,
            output_col=args.output_col, keep_columns=args.keep_columns, mode=args.mode,
            handle_invalid=args.handle_invalid, format=args.format, engine=args.engine,
            spark=spark, progress=bar, track=args.track,
        )  # fmt: skip
    finally:
        bar.close()
    _print_summary(report)
    return 0


def _comma_list(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _print_summary(report) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="scaleout score", show_header=False)
    table.add_column(justify="left")
    table.add_column(justify="right")
    for label, value in (
        ("rows in", f"{report.rows_in:,}"),
        ("rows out", f"{report.rows_out:,}"),
        ("rows invalid", f"{report.rows_invalid:,}"),
        ("input files", f"{report.files:,}"),
        ("output files", f"{report.output_files:,}"),
        ("tasks", f"{report.tasks:,}"),
        ("seconds", f"{report.seconds:.2f}"),
        ("rows/s", f"{report.rows_per_second:,.0f}"),
        ("destination", report.destination),
    ):
        table.add_row(label, value)
    Console(soft_wrap=True).print(table)


# -- demo ---------------------------------------------------------------------------------


def _add_demo(commands: argparse._SubParsersAction) -> None:
    sub = _command(
        commands, "demo", _run_demo,
        "The main job end to end: build data, train a scikit-learn pipeline, register it in "
        "MLflow as champion, score a large table file to file, compare with native MLlib.",
    )  # fmt: skip
    sub.add_argument(
        "--rows", type=int, default=2_000_000, help="rows to score (default 2,000,000)"
    )
    sub.add_argument(
        "--train-rows", type=int, default=200_000, help="training rows (default 200,000)"
    )
    sub.add_argument("--workdir", default="scaleout-demo", help="where data and outputs go")
    sub.add_argument(
        "--master", default=None, help="Spark master (default: SPARK_MASTER or local[*])"
    )


def _run_demo(args: argparse.Namespace) -> int:
    from toolkit.demo import run_demo

    run_demo(rows=args.rows, train_rows=args.train_rows, workdir=args.workdir, master=args.master)
    return 0


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
