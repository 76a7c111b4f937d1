"""``scaleout score``: score files with a model from the shell (see :func:`toolkit.score_files`).

Also the checks the command line makes before the toolkit is called: the input
format recognised by extension (:func:`guess_format`), and an MLflow model URI
refused in a directory that holds no tracking store (:func:`check_tracking_store`),
before MLflow would create an empty ``mlflow.db`` there.

Examples
--------
$ scaleout score churn.skops data/customers/ data/scored/ --method predict_proba
$ scaleout score model.skops events.csv scored/ --conf spark.sql.shuffle.partitions=8 --quiet
"""

from __future__ import annotations

import argparse
import glob
import os
import sys
from pathlib import Path
from typing import Any

from toolkit._typing import Subcommands, Trusted
from toolkit.exceptions import ModelLoadError

__all__ = [
    "add_score",
    "check_tracking_store",
    "comma_list",
    "conf_pair",
    "guess_format",
    "run_score",
    "trusted_option",
]

METHODS = ("predict", "predict_proba", "predict_log_proba", "decision_function", "transform")
_EXTENSIONS = {".csv": "csv", ".json": "json", ".jsonl": "json", ".ndjson": "json"}
_MLFLOW_STORE_URIS = ("runs:/", "models:/")
_MAX_LISTED = 10_000


def add_score(commands: Subcommands) -> None:
    """Add ``scaleout score`` and its flags to ``commands``."""
    from toolkit.files.api import ENGINES
    from toolkit.files.commit import MODES
    from toolkit.scoring.api import HANDLE_INVALID
    from toolkit.scoring.options import SCORING_ENGINES

    help = "Score files with a scikit-learn model and write the predictions as Parquet."
    sub = commands.add_parser("score", help=help, description=help)
    sub.set_defaults(run=run_score)
    sub.formatter_class = argparse.RawDescriptionHelpFormatter
    sub.epilog = (
        "examples:\n"
        "  scaleout score churn.skops data/customers/ data/scored/ --method predict_proba\n"
        "  scaleout score models:/churn@champion s3://lake/in/ s3://lake/out/ --keep-columns id\n"
        "  scaleout score model.skops events.csv out/ --conf spark.sql.shuffle.partitions=8"
    )
    sub.add_argument("model", metavar="MODEL", help="a .skops/.joblib/.pkl file or MLflow URI")
    sub.add_argument("input", metavar="INPUT", help="a file, a directory or a glob")
    sub.add_argument("output", metavar="OUTPUT", help="the directory to write (Parquet)")
    sub.add_argument(
        "--method", default="predict", metavar="M", choices=METHODS,
        help="predict (default), predict_proba, predict_log_proba, decision_function, transform",
    )  # fmt: skip
    sub.add_argument(
        "--features", type=comma_list, metavar="A,B", help="feature columns, in training order "
        "(default: the model's feature_names_in_)"
    )  # fmt: skip
    sub.add_argument("--output-col", metavar="C", help="name of the prediction column")
    sub.add_argument(
        "--keep-columns", type=comma_list, metavar="A,B",
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
        "--format", default=None, metavar="F",
        help="input format: parquet, csv, json (any Spark format with --engine dataframe); "
        "default: csv or json when every input file has that extension, else parquet",
    )  # fmt: skip
    sub.add_argument(
        "--batch-size", type=int, metavar="N", help="rows per model call (default 65,536)"
    )
    sub.add_argument(
        "--engine", default="files", choices=ENGINES,
        help="files: pyarrow inside Spark tasks (fast, default); dataframe: Spark DataFrames",
    )  # fmt: skip
    sub.add_argument(
        "--model-engine", default="python", choices=SCORING_ENGINES,
        help="python (default: scikit-learn), onnx (onnxruntime on the model's checked ONNX "
        "export), native (--engine dataframe only: the model as Spark expressions; linear "
        "models, k-means and their preprocessing) or auto (native, else onnx where exact "
        "and faster, else python)",
    )  # fmt: skip
    sub.add_argument("--master", metavar="URL", help="Spark master, or sc://host:port for Spark "
                     "Connect (default: SPARK_REMOTE, SPARK_MASTER, else local[*])")  # fmt: skip
    sub.add_argument(
        "--conf", type=conf_pair, action="append", metavar="KEY=VALUE",
        help="a Spark setting for the session (repeatable)",
    )  # fmt: skip
    add_trust_flags(sub)
    sub.add_argument(
        "--track", action="store_true",
        help="log the job as an MLflow run (MLFLOW_TRACKING_URI, else ./mlflow.db)",
    )  # fmt: skip
    sub.add_argument(
        "--quiet", action="store_true", help="no progress bar and no summary (errors still print)"
    )
    sub.add_argument("--verbose", action="store_true", help="show Spark's and MLflow's output")


def add_trust_flags(sub: argparse.ArgumentParser) -> None:
    """``--trusted`` and the repeatable ``--trust NAME``, shared by ``score`` and ``model``."""
    sub.add_argument(
        "--trusted", action="store_true",
        help="allow pickle models and unknown skops types (only for files you trust)",
    )  # fmt: skip
    sub.add_argument(
        "--trust", action="append", default=[], metavar="NAME",
        help="allow one more type in a .skops file, e.g. my.module.Step (repeatable)",
    )  # fmt: skip


def run_score(args: argparse.Namespace) -> int:
    """Run ``scaleout score``: load, score, report; return the exit status."""
    from toolkit.files.api import score_files
    from toolkit.files.progress import ConsoleProgress
    from toolkit.models.api import load_model

    check_tracking_store(args.model)
    model = load_model(args.model, trusted=trusted_option(args))
    bar = None if args.quiet else ConsoleProgress()
    try:
        report = score_files(
            model, args.input, args.output, features=args.features, method=args.method,
            output_col=args.output_col, keep_columns=args.keep_columns, mode=args.mode,
            handle_invalid=args.handle_invalid, format=args.format or guess_format(args.input),
            batch_size=args.batch_size, engine=args.engine, model_engine=args.model_engine,
            spark=_session_getter(args),
            progress=bar, track=args.track,
        )  # fmt: skip
    finally:
        if bar is not None:
            bar.close()
    if not args.quiet:
        print_summary(report)
    return 0


def _session_getter(args: argparse.Namespace) -> Any:
    def spark() -> Any:
        from toolkit.session.api import is_connect, running_session, session

        conf = dict(args.conf or []) or None
        quiet = not args.verbose
        if not args.quiet and running_session() is None:  # seconds: say so before the bar
            where = args.master or "SPARK_REMOTE, SPARK_MASTER, else local[*]"
            print(f"scaleout score: starting Spark ({where})", file=sys.stderr, flush=True)
        if args.master and args.master.startswith("sc://"):
            current = session(remote=args.master, conf=conf, quiet=quiet)
        else:
            current = session(args.master, conf=conf, quiet=quiet)
        if not args.verbose and not is_connect(current):
            current.sparkContext.setLogLevel("OFF")  # failures are reported in one line
        return current

    return spark


def trusted_option(args: argparse.Namespace) -> Trusted:
    """``--trusted`` -> True, ``--trust A --trust B`` -> ``["A", "B"]``, else False."""
    if args.trusted:
        return True
    return list(args.trust) or False


def comma_list(text: str) -> list[str]:
    """``"a, b,"`` -> ``["a", "b"]``."""
    return [part.strip() for part in text.split(",") if part.strip()]


def conf_pair(text: str) -> tuple[str, str]:
    """``"spark.x=1"`` -> ``("spark.x", "1")``; anything else is a usage error."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(
            f"expected KEY=VALUE, e.g. spark.sql.shuffle.partitions=8; got {text!r}"
        )
    return key.strip(), value.strip()


def guess_format(source: str) -> str:
    """``csv`` or ``json`` when every input file has that extension, else ``parquet``.

    ``source`` is a file, a glob or a directory (hidden ``_``/``.`` names skipped);
    on a remote filesystem only the name itself is looked at.

    Examples
    --------
    >>> guess_format("s3://lake/events/*.csv"), guess_format("s3://lake/events/")
    ('csv', 'parquet')
    """
    names = _input_names(str(source))
    kinds = {_EXTENSIONS.get(os.path.splitext(name)[1].lower()) for name in names}
    if len(kinds) == 1 and None not in kinds:
        return kinds.pop() or "parquet"
    return "parquet"


def _input_names(source: str) -> list[str]:
    if "://" in source and not source.startswith("file://"):
        return [source]
    path = source.removeprefix("file://")
    found: list[str] = []
    for match in glob.glob(path) if glob.has_magic(path) else [path]:
        if os.path.isdir(match):
            found.extend(_files_under(match, limit=_MAX_LISTED - len(found)))
        elif os.path.exists(match) or glob.has_magic(path):
            found.append(match)
        if len(found) >= _MAX_LISTED:
            break
    return found


def _files_under(folder: str, *, limit: int) -> list[str]:
    found: list[str] = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(("_", ".")) or "=" in d]
        found.extend(os.path.join(root, f) for f in files if not f.startswith(("_", ".")))
        if len(found) >= limit:
            break
    return found


def check_tracking_store(source: str) -> None:
    """Refuse a ``runs:/`` or ``models:/`` URI where there is no MLflow store to resolve it.

    MLflow would create an empty ``mlflow.db`` in the working directory and then fail;
    this says so first and creates nothing.

    Raises
    ------
    ModelLoadError
        ``MLFLOW_TRACKING_URI`` is unset and there is no ``./mlflow.db`` or ``./mlruns``, or
        it names a ``sqlite:///`` file that does not exist.
    """
    if not str(source).startswith(_MLFLOW_STORE_URIS):
        return
    uri = os.environ.get("MLFLOW_TRACKING_URI", "")
    how = (
        "Run from the directory that holds mlflow.db, or point MLFLOW_TRACKING_URI at the store "
        "(e.g. MLFLOW_TRACKING_URI=sqlite:////path/to/mlflow.db or http://host:5000)."
    )
    if not uri:
        if Path("mlflow.db").is_file() or Path("mlruns").is_dir():
            return
        raise ModelLoadError(
            f"There is no MLflow tracking store here to resolve {source}: MLFLOW_TRACKING_URI "
            f"is not set and {Path.cwd()} has no mlflow.db (nothing was created). {how}"
        )
    if uri.startswith("sqlite:///"):
        database = Path(uri.removeprefix("sqlite:///").split("?")[0])
        if not database.is_file():
            raise ModelLoadError(
                f"There is no MLflow tracking store at MLFLOW_TRACKING_URI={uri} to resolve "
                f"{source}: {database} does not exist (nothing was created). {how}"
            )


def print_summary(report: Any) -> None:
    """The report as a two-column table; counts that do not apply (0 tasks) are left out."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title="scaleout score", show_header=False)
    table.add_column(justify="left")
    table.add_column(justify="right")
    rows = [
        ("rows in", f"{report.rows_in:,}"),
        ("rows out", f"{report.rows_out:,}"),
        ("rows invalid", f"{report.rows_invalid:,}"),
        ("input files", f"{report.files:,}"),
    ]
    if report.output_files:
        rows.append(("output files", f"{report.output_files:,}"))
    if report.tasks:
        rows.append(("tasks", f"{report.tasks:,}"))
    rows += [
        ("seconds", f"{report.seconds:.2f}"),
        ("rows/s", f"{report.rows_per_second:,.0f}"),
        ("destination", report.destination),
    ]
    for label, value in rows:
        table.add_row(label, value)
    Console(soft_wrap=True).print(table)
