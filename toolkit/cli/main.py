"""The ``scaleout`` command line: the one composition root.

Each subcommand is a pair ``add_<name>(subparsers)`` / ``run_<name>(args)``, here or in
``toolkit/cli_<name>.py``; adapters and benchmarks are imported lazily, inside the
``run`` functions. Every error and warning a command prints is one line in flag words
(:mod:`toolkit.cli.words`).

Examples
--------
$ scaleout --help
$ scaleout info
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence

from toolkit._typing import Subcommands
from toolkit.cli.completion import add_completion
from toolkit.cli.info import add_info
from toolkit.cli.model import add_model
from toolkit.cli.output import library_output
from toolkit.cli.score import add_score
from toolkit.cli.serve import add_serve
from toolkit.cli.words import one_line, one_line_warnings, to_flags
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
    prog = " ".join(filter(None, ("scaleout", args.command, getattr(args, "action", None))))
    try:
        with one_line_warnings(prog), library_output(verbose=getattr(args, "verbose", True)):
            return args.run(args)
    except ToolkitError as exc:
        print(f"{prog}: error: {to_flags(str(exc))}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `scaleout ... | head`: the reader left, not an error
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - Python flushes it at exit
        return 0
    except OSError as exc:  # the machine said no (permissions, disk full): its words, one line
        print(f"{prog}: error: {one_line(str(exc))}", file=sys.stderr)
        return 1


def _parser() -> argparse.ArgumentParser:
    from toolkit import __version__

    parser = argparse.ArgumentParser(
        prog="scaleout",
        description="Run pandas code and score scikit-learn models on Apache Spark.",
    )
    parser.add_argument("--version", action="version", version=f"scaleout {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add in (add_info, _add_check, add_score, add_serve, add_model, _add_demo, _add_bench):
        add(commands)
    add_completion(commands).set_defaults(root_parser=parser)
    return parser


def _command(commands: Subcommands, name: str, run: Runner, help: str) -> argparse.ArgumentParser:
    sub = commands.add_parser(name, help=help, description=help)
    sub.set_defaults(run=run)
    return sub


# -- check --------------------------------------------------------------------------------


def _add_check(commands: Subcommands) -> None:
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


# -- demo ---------------------------------------------------------------------------------


def _add_demo(commands: Subcommands) -> None:
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
        "--repeat",
        type=_at_least_one,
        default=2,
        metavar="N",
        help="timed runs of each path after one warm-up (default 2)",
    )
    sub.add_argument(
        "--master", default=None, metavar="URL",
        help="Spark master, or sc://host:port for Spark Connect "
        "(default: SPARK_REMOTE, SPARK_MASTER, else local[*])",
    )  # fmt: skip
    sub.add_argument("--verbose", action="store_true", help="show Spark's and MLflow's output")


def _at_least_one(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(
            f"expected a whole number of runs, 1 or more; got {text!r}"
        )
    return int(text)


def _run_demo(args: argparse.Namespace) -> int:
    from toolkit.cli.demo import run_demo

    run_demo(
        rows=args.rows, train_rows=args.train_rows, workdir=args.workdir, master=args.master,
        repeat=args.repeat, verbose=args.verbose,
    )  # fmt: skip
    return 0


# -- bench --------------------------------------------------------------------------------


def _add_bench(commands: Subcommands) -> None:
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
