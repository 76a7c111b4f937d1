"""The ``engine="files"`` engine of :func:`toolkit.score_files`: pyarrow inside Spark tasks.

Spark schedules, pyarrow moves the data. The driver lists the input, reads every
footer, validates the schema of every file against the model and cuts the files
into fragments at row-group boundaries (:mod:`toolkit.files.plan`). Spark then runs
one task per group of fragments, with Spark's retries and speculation: an RDD job
on classic Spark, ``mapInArrow`` over ``spark.range(n_tasks)`` on Spark Connect.
Inside a task pyarrow reads, the model scores vectorised batches, pyarrow writes,
and only a stats row per fragment goes back through Spark (:mod:`toolkit.files.task`).
Output becomes visible through the commit protocol in :mod:`toolkit.files.commit`:
nothing lost, nothing doubled, ``_SUCCESS`` last. Running, cancelling and waiting for
the Spark jobs lives in :mod:`toolkit.files.jobs`.

Examples
--------
>>> FilesEngine().name
'files'
"""

from __future__ import annotations

import functools
import json
import warnings
from collections.abc import Callable, Sequence
from typing import Any

from toolkit.exceptions import (
    InputFileError,
    SchemaMismatchError,
    ScoringJobError,
    ToolkitAdviceWarning,
)
from toolkit.files import commit as commits
from toolkit.files.engine import DEFAULT_BATCH_SIZE, FilesPlan
from toolkit.files.jobs import JobGuard, cores, run_job
from toolkit.files.plan import FileInfo, cut, inspect_files, partition_fields
from toolkit.files.progress import ProgressCallback, StagingWatcher
from toolkit.files.report import ScoreReport
from toolkit.files.task import FileJob, FileSpec
from toolkit.scoring.api import check_output_free
from toolkit.scoring.checks import check_columns
from toolkit.scoring.worker import ScoreRequest

__all__ = ["FilesEngine"]


class FilesEngine:
    """``engine="files"``: pyarrow reads, the model scores and pyarrow writes inside Spark
    tasks; only a stats row per fragment goes back through Spark."""

    name = "files"

    def run(
        self,
        request: ScoreRequest,
        plan: FilesPlan,
        *,
        spark: Callable[[], Any],
        progress: ProgressCallback | None = None,
    ) -> ScoreReport:
        """Plan fragments, run one Spark job, publish (:class:`toolkit.files.engine.Engine`)."""
        return _run(request, plan, spark, progress)


def _run(
    request: ScoreRequest, run: FilesPlan, get_spark: Callable[[], Any], progress: Any
) -> ScoreReport:
    infos = inspect_files(run.listing, run.format)
    specs = _file_specs(request, run, infos)
    existed = commits.check_destination(run.destination, run.source_root(), mode=run.mode)
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
        request.shipped(spark), run.source.fs, run.format, tuple(specs), tuple(fragments),
        tuple(tuple(task) for task in tasks), commit, request.batch_size or DEFAULT_BATCH_SIZE,
    )  # fmt: skip
    outputs = {f.output: (f.file, f.rows) for f in fragments}
    try:
        failed = functools.partial(commits.recorded_failure, commit)
        with JobGuard(spark, cancel_when=lambda: failed() is not None):  # see jobs.JobGuard
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


def _file_specs(scorer: ScoreRequest, run: FilesPlan, infos: Sequence[FileInfo]) -> list[FileSpec]:
    """Validate every file against the model and decide what each output file holds."""
    import pyarrow as pa

    model = scorer.model()
    partitions = partition_fields(infos)
    part_names = [f.name for f in partitions]
    out_fields = [pa.field(scorer.spec.column, scorer.spec.arrow_type())]
    if scorer.handle_invalid == "keep":
        out_fields.append(pa.field(scorer.error_col, pa.string()))
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
