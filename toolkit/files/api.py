"""Score files into files: ``score_files`` and the report it returns.

Spark schedules, pyarrow moves the data. The driver lists the input, reads every
footer, validates the schema of every file against the model and cuts the files
into fragments at row-group boundaries (:mod:`toolkit.files.plan`). Spark then runs
one task per group of fragments, with Spark's retries and speculation: an RDD job
on classic Spark, ``mapInArrow`` over ``spark.range(n_tasks)`` on Spark Connect.
Inside a task pyarrow reads, the model scores vectorised batches,
pyarrow writes, and only a stats row per fragment goes back through Spark
(:mod:`toolkit.files.task`). Output becomes visible through the commit protocol
in :mod:`toolkit.files.commit`: nothing lost, nothing doubled, ``_SUCCESS`` last.

``engine="dataframe"`` runs the same request through Spark DataFrames instead
(``spark.read`` -> :func:`toolkit.score` -> ``DataFrame.write`` into the job's
staging area), for formats pyarrow cannot read or when Spark SQL semantics are
wanted; its output is published by the same commit protocol, so both engines keep
the old output until the new one is complete. Running, cancelling and waiting for
the Spark jobs lives in :mod:`toolkit.files.jobs`.
"""

from __future__ import annotations

import functools
import json
import os
import re
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from toolkit._typing import ColumnNames
from toolkit.exceptions import (
    InputFileError,
    InvalidOptionError,
    SchemaMismatchError,
    ScoringJobError,
    ToolkitAdviceWarning,
)
from toolkit.files import commit as commits
from toolkit.files.jobs import JobGuard, cores, run_job
from toolkit.files.plan import (
    FORMATS,
    FileInfo,
    Listing,
    Location,
    cut,
    inspect_files,
    list_input,
    partition_fields,
    resolve,
)
from toolkit.files.progress import ProgressCallback, StagingWatcher
from toolkit.files.report import ScoreReport
from toolkit.files.task import FileJob, FileSpec, parquet_write_options
from toolkit.models.api import fingerprint
from toolkit.scoring.api import check_output_free, make_scorer
from toolkit.scoring.checks import check_columns
from toolkit.scoring.worker import Scorer

__all__ = ["ENGINES", "ScoreReport", "parquet_write_options", "score_files"]

ENGINES = ("files", "dataframe")
DEFAULT_BATCH_SIZE = 65_536


def score_files(
    model: Any,
    source: str | Any,
    destination: str | Any,
    *,
    features: ColumnNames | None = None,
    method: str = "predict",
    output_col: str | None = None,
    keep_columns: ColumnNames | None = None,
    mode: str = "error",
    handle_invalid: str = "error",
    format: str = "parquet",
    batch_size: int | None = None,
    engine: str = "files",
    spark: Any = None,
    progress: ProgressCallback | None = None,
    track: bool = False,
) -> ScoreReport:
    """Score the files under ``source`` with ``model`` and write Parquet to ``destination``.

    Parameters
    ----------
    model : fitted estimator, or anything :func:`toolkit.load_model` takes
    source : str or path
        A file, a directory (read recursively; ``key=value`` directories are partition
        columns, kept in the output layout) or a glob, on any filesystem pyarrow opens
        by URI (``s3://``, ``gs://``, ``hdfs://``, local paths).
    destination : str or path
        A directory; the output keeps the input's layout and file names, in Parquet.
    features, method, output_col, handle_invalid
        As in :func:`toolkit.score`.
    keep_columns : list of str, optional
        Input columns to copy to the output (default: all; ``[]``: none), on both
        engines. Partition columns are kept by the layout either way.
    mode : {"error", "overwrite"}
        An existing destination is refused unless ``"overwrite"``, which replaces it
        (directory or file) only once the new output is complete, on both engines. The
        destination may never lie inside the source or contain it.
    format : {"parquet", "csv", "json"}
        The input format (``engine="dataframe"`` takes any Spark format).
    batch_size : int, optional
        Rows per model call (default 65,536).
    engine : {"files", "dataframe"}
        ``files``: pyarrow inside Spark tasks (fast); ``dataframe``: Spark DataFrames.
    spark : SparkSession or callable returning one, optional
        Default: the active session, else :func:`toolkit.session.api`. A callable is
        called only once the input and destination have been checked.
    progress : callable, optional
        Called with a :class:`toolkit.files.progress.Progress` as fragments finish.
    track : bool
        Log the job as an MLflow run (parameters, the report's metrics, the report as
        ``score_report.json``) on MLflow's default store; an unreachable store fails
        before anything is scored.

    Examples
    --------
    >>> report = tk.score_files("churn.skops", "s3://lake/customers/", "s3://lake/scored/",
    ...                         method="predict_proba", keep_columns=["id"])  # doctest: +SKIP
    >>> report.rows_out                                                       # doctest: +SKIP
    4000000
    """
    if track:
        from toolkit.tracking import tracked_run

        model_label = str(model) if isinstance(model, str | os.PathLike) else type(model).__name__
        asked = {"model": model_label, "method": method, "source": str(source),
                 "destination": str(destination), "engine": engine}  # fmt: skip
        with tracked_run(asked, run_name="score_files") as record:
            report = score_files(
                model, source, destination, features=features, method=method,
                output_col=output_col, keep_columns=keep_columns, mode=mode,
                handle_invalid=handle_invalid, format=format, batch_size=batch_size,
                engine=engine, spark=spark, progress=progress,
            )  # fmt: skip
            record(report)
        return report
    started = time.perf_counter()
    if engine not in ENGINES:
        raise InvalidOptionError(f"engine must be one of {', '.join(ENGINES)}; got {engine!r}.")
    if engine == "files" and format not in FORMATS:
        raise InvalidOptionError(
            f"format={format!r} cannot be read by pyarrow here; it reads {', '.join(FORMATS)}. "
            "Use engine='dataframe' (the CLI: --engine dataframe) for other Spark formats."
        )
    if mode not in commits.MODES:
        raise InvalidOptionError(f"mode must be one of {', '.join(commits.MODES)}; got {mode!r}.")
    if batch_size is not None and batch_size < 1:
        raise InvalidOptionError(f"batch_size must be a positive number of rows; got {batch_size}.")
    scorer = make_scorer(
        model, features=features, method=method, output_col=output_col,
        handle_invalid=handle_invalid,
    )  # fmt: skip
    keep = None if keep_columns is None else _names(keep_columns)
    src, dst = resolve(source), resolve(destination)
    listing = list_input(src)
    params = {
        "model_class": type(scorer.model()).__name__,
        "model_fingerprint": _content_fingerprint(scorer),
        "method": method,
        "features": list(scorer.features),
        "output_col": scorer.spec.column,
        "keep_columns": "all" if keep is None else list(keep),
        "handle_invalid": handle_invalid,
        "mode": mode,
        "format": format,
        "engine": engine,
        "batch_size": batch_size or DEFAULT_BATCH_SIZE,
        "source": str(source),
        "destination": str(destination),
    }
    run = _Run(scorer, src, dst, listing, keep, mode, format, batch_size, params, started)
    if engine == "dataframe":
        from toolkit.files.dataframe_engine import score_with_dataframes

        existed = commits.check_destination(dst, _source_root(src, listing), mode=mode)
        report = score_with_dataframes(run, existed=existed, spark=_session_getter(spark))
    else:
        report = _score_with_files(run, _session_getter(spark), progress)
    if report.rows_in == 0:
        warnings.warn(
            f"No rows found under {src.uri!r}; the destination holds an empty result.",
            ToolkitAdviceWarning,
            stacklevel=2,
        )
    return report


@dataclass
class _Run:
    """One request, checked: shared by both engines."""

    scorer: Scorer
    source: Location
    destination: Location
    listing: Listing
    keep: list[str] | None
    mode: str
    format: str
    batch_size: int | None
    params: dict[str, Any]
    started: float
    startup: float = 0.0  # seconds spent starting Spark, not counted in the report

    def report(self, rows_in: int, rows_out: int, invalid: int, **extra: Any) -> ScoreReport:
        seconds = max(time.perf_counter() - self.started - self.startup, 1e-9)
        return ScoreReport(
            rows_in, rows_out, invalid, extra.pop("files", len(self.listing.files)), seconds,
            rows_in / seconds, destination=self.destination.uri, params=self.params, **extra,
        )  # fmt: skip

    def spark(self, getter: Callable[[], Any]) -> Any:
        begun = time.perf_counter()
        session = getter()
        self.startup += time.perf_counter() - begun
        return session


def _score_with_files(run: _Run, get_spark: Callable[[], Any], progress: Any) -> ScoreReport:
    infos = inspect_files(run.listing, run.format)
    specs = _file_specs(run, infos)
    existed = commits.check_destination(
        run.destination, _source_root(run.source, run.listing), mode=run.mode
    )
    if not infos:
        commit = commits.begin(run.destination, mode=run.mode, existed=existed)
        report = run.report(0, 0, 0, files=0)
        commits.finish(commit, [], json.dumps(report.to_dict()).encode())
        return report
    spark = run.spark(get_spark)
    slots = cores(spark)
    fragments, tasks = cut(infos, cores=slots)
    _advise_on_granularity(infos, fragments, slots)
    commit = commits.begin(run.destination, mode=run.mode, existed=existed)
    job = FileJob(
        run.scorer.shipped(spark), run.source.fs, run.format, tuple(specs), tuple(fragments),
        tuple(tuple(task) for task in tasks), commit, run.batch_size or DEFAULT_BATCH_SIZE,
    )  # fmt: skip
    outputs = {f.output: (f.file, f.rows) for f in fragments}
    try:
        failed = functools.partial(commits.recorded_failure, commit)
        with JobGuard(spark, cancel_when=lambda: failed() is not None):  # see files_spark
            if progress is None:
                stats = run_job(spark, job)
            else:
                with StagingWatcher(commit.fs, commit.staging, outputs, progress) as watcher:
                    stats = run_job(spark, job)
        reported = sorted(row["fragment"] for row in stats)
        if reported != list(range(len(fragments))):
            raise ScoringJobError(
                f"The job reported {len(reported)} fragments for {len(fragments)} planned; "
                "nothing was published. Run again."
            )
        totals = {
            key: sum(row[key] for row in stats) for key in ("rows_in", "rows_out", "rows_invalid")
        }
        reports: list[ScoreReport] = []

        def success() -> bytes:  # called once the outputs are published, before _SUCCESS
            reports.append(
                run.report(
                    totals["rows_in"],
                    totals["rows_out"],
                    totals["rows_invalid"],
                    output_files=len(fragments),
                    tasks=len(tasks),
                )  # fmt: skip
            )
            return json.dumps(reports[0].to_dict()).encode()

        commits.finish(commit, [f.output for f in fragments], success)
        report = reports[0]
    except BaseException as exc:
        recorded = commits.recorded_failure(commit) if isinstance(exc, Exception) else None
        commits.abort(commit)
        if recorded is not None and type(recorded) is not type(exc):
            raise recorded from None  # the task's own error, not "job cancelled"
        raise
    if progress is not None:
        watcher.done()
    return report


def _file_specs(run: _Run, infos: Sequence[FileInfo]) -> list[FileSpec]:
    """Validate every file against the model and decide what each output file holds."""
    import pyarrow as pa

    scorer = run.scorer
    model = scorer.model()
    partitions = partition_fields(infos)
    part_names = [f.name for f in partitions]
    out_fields = [pa.field(scorer.spec.column, scorer.spec.arrow_type())]
    if scorer.handle_invalid == "keep":
        out_fields.append(pa.field(f"{scorer.spec.column}_error", pa.string()))
    checked: dict[Any, None] = {}
    specs = []
    for info in infos:
        names = list(info.schema.names)
        if info.schema not in checked:
            numeric = {f.name: _numeric(f.type) for f in (*partitions, *info.schema)}
            try:
                check_columns(model, scorer.features, numeric)
            except SchemaMismatchError as exc:
                raise InputFileError(f"{info.path}: {exc}") from None
            checked[info.schema] = None
        if run.keep is None:
            keep = names
        else:
            missing = [c for c in run.keep if c not in names and c not in part_names]
            if missing:
                raise InputFileError(
                    f"{info.path} lacks keep_columns {missing}; it has {names}"
                    + (f" and partition columns {part_names}" if part_names else "")
                    + ". Fix keep_columns."
                )
            keep = [c for c in run.keep if c in names]
        check_output_free(scorer, [*keep, *part_names])
        extra = [c for c in scorer.features if c in names and c not in keep]
        values = dict(info.partition)
        constants = tuple(
            (f.name, values[f.name], f.type)
            for f in partitions
            if f.name in scorer.features and f.name not in names
        )
        schema = pa.schema([info.schema.field(c) for c in keep] + out_fields)
        specs.append(FileSpec(info.path, info.schema, (*keep, *extra), constants, schema))
    return specs


def _numeric(arrow_type: Any) -> bool | str:
    import pyarrow.types as pat

    if pat.is_integer(arrow_type) or pat.is_floating(arrow_type) or pat.is_boolean(arrow_type):
        return True
    return True if pat.is_decimal(arrow_type) else str(arrow_type)


_FINGERPRINTS: dict[str, str] = {}


def _content_fingerprint(scorer: Scorer) -> str:
    """The model's content fingerprint, once per shipped model: a forest takes ~0.5 s,
    which a job that scores the same model again must not pay every call."""
    if scorer.key not in _FINGERPRINTS:
        if len(_FINGERPRINTS) >= 32:
            _FINGERPRINTS.clear()
        _FINGERPRINTS[scorer.key] = fingerprint(scorer.model())
    return _FINGERPRINTS[scorer.key]


def _names(columns: Sequence[str] | str) -> list[str]:
    return [columns] if isinstance(columns, str) else [str(c) for c in columns]


def _source_root(source: Location, listing: Listing) -> Location:
    """What the destination may not overlap: the file, the directory, or a glob's base."""
    path = listing.base if re.search(r"[*?\[]", source.path) else source.path
    return Location(source.fs, path, source.uri)


def _session_getter(spark: Any) -> Callable[[], Any]:
    if spark is None:
        from toolkit.session.api import active_session

        return active_session
    return spark if callable(spark) and not hasattr(spark, "range") else (lambda: spark)


def _advise_on_granularity(infos: Sequence[FileInfo], fragments: Sequence[Any], cores: int) -> None:
    rows = sum(info.rows or 0 for info in infos)
    if len(fragments) < cores and rows >= 1_000_000:
        warnings.warn(
            f"The input splits into only {len(fragments)} fragment(s) for {cores} cores (a "
            "Parquet file splits at row-group boundaries), so some cores stay idle. Write the "
            "input with more, smaller row groups (pyarrow row_group_size=250_000) or more files.",
            ToolkitAdviceWarning,
            stacklevel=4,
        )
