"""The ``engine="dataframe"`` path of :func:`toolkit.score_files`: Spark reads, scores and writes.

``spark.read`` -> :func:`toolkit.scoring.api.score_with` -> ``DataFrame.write.parquet`` into the job's
staging area (``S/_spark/``, see :mod:`toolkit.files.commit`), partitioned by the input's
hive partition columns so the layout matches the files engine's. The staged files
are then published by the same commit protocol as the files engine: the old output
stays until the new one is complete, and ``_SUCCESS`` holds the report. It takes any
format Spark reads (ORC, Avro, ...) and Spark SQL semantics; it is slower (the rows
cross the JVM) and its output files carry Spark's names (``part-<n>-<uuid>...``).

The report's ``tasks`` is the number of Spark partitions that wrote output (the
distinct ``part-<n>`` numbers of the written files); ``rows_out`` and
``rows_invalid`` come from the written files' Parquet footers.

Examples
--------
>>> DataFrameEngine().name
'dataframe'
>>> tk.score_files(model, "in.orc/", "out/", format="orc", engine="dataframe")  # doctest: +SKIP
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from toolkit.exceptions import (
    InputFileError,
    SchemaMismatchError,
    ScoringJobError,
    ToolkitError,
    worker_errors,
)
from toolkit.files import commit as commits
from toolkit.files.engine import FilesPlan
from toolkit.files.jobs import JobGuard, job_failure
from toolkit.files.plan import Location, list_input
from toolkit.files.progress import ProgressCallback
from toolkit.files.report import ScoreReport
from toolkit.scoring.worker import ScoreRequest

__all__ = ["SPARK_DIR", "DataFrameEngine"]

SPARK_DIR = "_spark"  # under the staging area: what DataFrame.write produced
_PART = re.compile(r"part-(\d+)")


class DataFrameEngine:
    """``engine="dataframe"``: Spark reads, :func:`toolkit.scoring.api.score_with` scores,
    Spark writes into the staging area; the commit protocol publishes."""

    name = "dataframe"

    def run(
        self,
        request: ScoreRequest,
        plan: FilesPlan,
        *,
        spark: Callable[[], Any],
        progress: ProgressCallback | None = None,
    ) -> ScoreReport:
        """Score through DataFrames (:class:`toolkit.files.engine.Engine`); Spark's own
        stages show the progress, so ``progress`` is not called."""
        existed = commits.check_destination(plan.destination, plan.source_root(), mode=plan.mode)
        return _run(request, plan, existed=existed, spark=spark)


def _run(
    scorer: ScoreRequest, run: FilesPlan, *, existed: bool, spark: Callable[[], Any]
) -> ScoreReport:
    from pyspark.sql import functions as F

    from toolkit.scoring.api import check_output_free, score_with

    if not run.listing.files:
        return _empty(run, existed)
    session = run.spark(spark)
    partitions = [key for key, _ in next(iter(run.listing.partitions.values()), ())]
    commit = None
    try:
        with JobGuard(session):  # on failure: cancel, and wait for the last running task
            reader = session.read.format(run.format)
            if run.format == "csv":
                reader = reader.option("header", "true").option("inferSchema", "true")
            if run.listing.base != run.source.path and run.source.fs.type_name == "local":
                reader = reader.option("basePath", run.listing.base)  # a glob: keep partitions
            frame = reader.load(_spark_uri(run.source, run.source.path))
            keep = _kept(run, frame.columns, partitions)
            check_output_free(scorer, [*keep, *partitions])
            features = [c for c in scorer.features if c in frame.columns]  # score() names the rest
            needed = [*keep, *features, *partitions]
            frame = frame.select(*[F.col(f"`{c}`") for c in dict.fromkeys(needed)])
            try:
                scored = score_with(scorer, frame)
            except SchemaMismatchError as exc:  # as the files engine says it: per input
                raise InputFileError(f"{run.source.uri}: {exc}") from None
            outputs = [scorer.spec.column]
            if scorer.handle_invalid == "keep":
                outputs.append(scorer.error_col)
            columns = [F.col(f"`{c}`") for c in [*keep, *outputs, *partitions]]
            commit = commits.begin(run.destination, mode=run.mode, existed=existed)
            staged = posixpath.join(commit.staging, SPARK_DIR)
            with worker_errors():
                rows_in = frame.count()
                writer = scored.select(*columns).write.mode("error")
                if partitions:
                    writer = writer.partitionBy(*partitions)
                writer.parquet(_spark_uri(run.destination, staged))
        written = list_input(Location(commit.fs, staged, staged), what="output")
        relative = [written.relative(path) for path, _ in written.files]
        error_col = outputs[1] if len(outputs) > 1 else None
        rows_out, invalid = _count(commit.fs, [path for path, _ in written.files], error_col)
        if scorer.handle_invalid == "skip":
            invalid = rows_in - rows_out
        tasks = len({m.group(1) for p in relative if (m := _PART.match(posixpath.basename(p)))})
        reports: list[ScoreReport] = []

        def success() -> bytes:  # called once the outputs are published, before _SUCCESS
            reports.append(
                run.report(
                    rows_in,
                    rows_out,
                    invalid,
                    output_files=len(relative),
                    tasks=tasks or len(relative),
                )  # fmt: skip
            )
            return json.dumps(reports[0].to_dict()).encode()

        commits.finish(commit, relative, success, under=SPARK_DIR)
        return reports[0]
    except BaseException as exc:
        if commit is not None:
            commits.abort(commit)
        if isinstance(exc, ToolkitError) or not isinstance(exc, Exception):
            raise
        raise ScoringJobError(f"The scoring job failed: {job_failure(exc)}") from None


def _kept(run: FilesPlan, columns: Sequence[str], partitions: Sequence[str]) -> list[str]:
    """The input columns to copy: all by default, none for ``keep_columns=[]``."""
    if run.keep is None:
        return [c for c in columns if c not in partitions]
    missing = [c for c in run.keep if c not in columns]
    if missing:
        raise InputFileError(
            f"The input {run.source.uri!r} lacks keep_columns {missing}; it has "
            f"{list(columns)}. Fix keep_columns."
        )
    return [c for c in run.keep if c not in partitions]


def _count(fs: Any, paths: Sequence[str], error_col: str | None) -> tuple[int, int]:
    """Rows, and non-null ``error_col`` values, of the written Parquet files (footers first)."""

    def one(path: str) -> tuple[int, int]:
        import pyarrow.parquet as pq

        with fs.open_input_file(path) as handle:
            parquet = pq.ParquetFile(handle)
            meta = parquet.metadata
            if error_col is None:
                return meta.num_rows, 0
            leaf = [meta.schema.column(i).path for i in range(meta.num_columns)].index(error_col)
            invalid = 0
            for group in range(meta.num_row_groups):
                stats = meta.row_group(group).column(leaf).statistics
                if stats is None or not stats.has_null_count:
                    column = parquet.read(columns=[error_col]).column(0)
                    return meta.num_rows, len(column) - column.null_count
                invalid += meta.row_group(group).num_rows - stats.null_count
            return meta.num_rows, invalid

    if not paths:
        return 0, 0
    with ThreadPoolExecutor(max_workers=min(16, len(paths))) as pool:
        counts = list(pool.map(one, paths))
    return sum(rows for rows, _ in counts), sum(bad for _, bad in counts)


def _empty(run: FilesPlan, existed: bool) -> ScoreReport:
    commit = commits.begin(run.destination, mode=run.mode, existed=existed)
    report = run.report(0, 0, 0, files=0)
    try:
        commits.finish(commit, [], json.dumps(report.to_dict()).encode())
    except BaseException:
        commits.abort(commit)
        raise
    return report


def _spark_uri(location: Location, path: str) -> str:
    """The URI Spark understands for ``path`` on ``location``'s filesystem."""
    if location.fs.type_name == "local":
        return path
    uri = location.uri.rstrip("/")
    if uri.endswith(location.path):
        return uri[: len(uri) - len(location.path)] + path  # keep scheme and authority
    return f"{uri.split('://', 1)[0]}://{path.lstrip('/')}"
