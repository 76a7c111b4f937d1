"""What one file-scoring task runs inside a Spark Python worker: read, score, write, publish.

A task is a list of fragments. For each, pyarrow reads the fragment's row groups
in batches, the shared :class:`~toolkit.scoring.worker.ScoreRequest` scores each batch (the
model is unpickled once per worker), pyarrow streams the result into an attempt
file, and :func:`toolkit.files.commit.publish` moves it onto its deterministic name.
The data never crosses the JVM: Spark only sees one small stats row per fragment.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from toolkit.exceptions import DETERMINISTIC, InputFileError, ToolkitError, first_line
from toolkit.files.commit import Commit, publish, record_failure, recorded_failure
from toolkit.files.plan import Fragment
from toolkit.scoring.worker import ScoreRequest

__all__ = [
    "STATS_DDL",
    "FileJob",
    "FileSpec",
    "parquet_write_options",
    "run_tasks",
    "run_tasks_arrow",
    "score_fragment",
]

STATS_DDL = "fragment long, rows_in long, rows_out long, rows_invalid long"


@dataclass(frozen=True)
class FileSpec:
    """How to read one input file and what its output file holds (decided on the driver)."""

    path: str
    read_schema: Any  # pyarrow.Schema of the file (fixes CSV/JSON inference)
    columns: tuple[str, ...]  # read from the file: kept columns, then features not kept
    constants: tuple[tuple[str, Any, Any], ...]  # (name, value, arrow type) partition features
    output_schema: Any  # pyarrow.Schema of the output file


@dataclass(frozen=True)
class FileJob:
    """Everything the tasks of one job need; pickled once into the Spark plan."""

    scorer: ScoreRequest
    source_fs: Any
    format: str
    files: tuple[FileSpec, ...]
    fragments: tuple[Fragment, ...]
    tasks: tuple[tuple[int, ...], ...]
    commit: Commit
    batch_size: int


def run_tasks(job: FileJob, task_ids: Iterable[int]) -> Iterator[dict[str, int]]:
    """Score every fragment of the given tasks; one stats row per fragment.

    An error retrying cannot fix (:data:`toolkit.exceptions.DETERMINISTIC`) is recorded in the staging
    area before it is raised, and any attempt that finds such a record raises it at
    once instead of scoring (:func:`toolkit.files.commit.record_failure`).
    """
    for task in task_ids:
        for i in job.tasks[task]:
            earlier = recorded_failure(job.commit)
            if earlier is not None:
                raise earlier
            try:
                stats = score_fragment(job, job.fragments[i])
            except DETERMINISTIC as exc:
                record_failure(job.commit, exc)
                raise
            yield stats


def run_tasks_arrow(job: FileJob, batches: Iterable[Any]) -> Iterator[Any]:
    """:func:`run_tasks` as a mapInArrow body over ``spark.range(n_tasks)`` (Spark Connect)."""
    import pyarrow as pa

    for batch in batches:
        rows = list(run_tasks(job, batch.column(0).to_pylist()))
        yield pa.RecordBatch.from_pylist(rows, schema=_stats_schema())


def score_fragment(job: FileJob, fragment: Fragment) -> dict[str, int]:
    """Score one fragment into an attempt file, publish it, and count its rows."""
    import pyarrow.parquet as pq

    spec = job.files[fragment.file]
    schema = spec.output_schema
    scorer = job.scorer
    error_col = scorer.error_col if scorer.handle_invalid == "keep" else None
    fs = job.commit.fs
    temporary = f"{job.commit.attempts}/{uuid.uuid4().hex}.parquet"
    counted = _Counter(_read(job, spec, fragment))
    rows_out = invalid = 0
    with (
        _naming(spec.path),
        fs.open_output_stream(temporary) as stream,
        pq.ParquetWriter(stream, schema, **parquet_write_options(schema)) as writer,
    ):
        for out in scorer.score_batches(counted):
            writer.write_batch(_project(out, schema))
            rows_out += out.num_rows
            if error_col is not None:
                column = out.column(error_col)
                invalid += len(column) - column.null_count
    publish(job.commit, temporary, fragment.output)
    if scorer.handle_invalid == "skip":
        invalid = counted.rows - rows_out
    return {
        "fragment": fragment.index,
        "rows_in": counted.rows,
        "rows_out": rows_out,
        "rows_invalid": invalid,
    }


# -- internals ----------------------------------------------------------------------------


class _Counter:
    """Pass batches through, counting their rows."""

    def __init__(self, batches: Iterable[Any]) -> None:
        self.batches = batches
        self.rows = 0

    def __iter__(self) -> Iterator[Any]:
        for batch in self.batches:
            self.rows += batch.num_rows
            yield batch


def _read(job: FileJob, spec: FileSpec, fragment: Fragment) -> Iterator[Any]:
    """Record batches of the fragment's columns, partition features appended as constants."""
    import pyarrow as pa

    try:
        with contextlib.ExitStack() as stack:
            for batch in _batches(job, spec, fragment, stack):
                if spec.constants:
                    names = [*batch.schema.names, *(name for name, _, _ in spec.constants)]
                    columns = [
                        *batch.columns,
                        *(pa.repeat(pa.scalar(v, t), batch.num_rows) for _, v, t in spec.constants),
                    ]
                    batch = pa.RecordBatch.from_arrays(columns, names=names)
                yield batch
    except ToolkitError:
        raise
    except Exception as exc:
        raise InputFileError(
            f"{spec.path} could not be read as {job.format} ({first_line(exc)}). "
            "Remove or replace the file."
        ) from None


def _batches(job: FileJob, spec: FileSpec, fragment: Fragment, stack: Any) -> Iterable[Any]:
    if job.format == "parquet":
        import pyarrow.parquet as pq

        reader = pq.ParquetFile(stack.enter_context(job.source_fs.open_input_file(spec.path)))
        groups = fragment.row_groups
        if groups is None:
            groups = tuple(range(reader.metadata.num_row_groups))
        return reader.iter_batches(
            batch_size=job.batch_size,
            row_groups=list(groups),
            columns=list(spec.columns),
            use_threads=False,
        )
    import pyarrow.dataset as ds

    data = ds.dataset(
        spec.path, format=job.format, filesystem=job.source_fs, schema=spec.read_schema
    )
    return data.to_batches(columns=list(spec.columns), batch_size=job.batch_size, use_threads=False)


@contextlib.contextmanager
def _naming(path: str) -> Iterator[None]:
    """Say which file a worker-side ToolkitError came from."""
    try:
        yield
    except ToolkitError as exc:
        if path in str(exc):
            raise
        raise type(exc)(f"{path}: {exc}") from None


def _project(batch: Any, schema: Any) -> Any:
    import pyarrow as pa

    return pa.RecordBatch.from_arrays([batch.column(name) for name in schema.names], schema=schema)


def parquet_write_options(schema: Any) -> dict[str, Any]:
    """Snappy like Spark; no dictionary for floats (never pays off, costs half the write time);
    microsecond timestamps, the finest Spark reads."""
    import pyarrow.types as pat

    dictionary = [
        field.name
        for field in schema
        if not (pat.is_floating(field.type) or pat.is_struct(field.type) or pat.is_list(field.type))
    ]
    return {
        "compression": "snappy",
        "use_dictionary": dictionary,
        "coerce_timestamps": "us",
        "allow_truncated_timestamps": True,
    }


def _stats_schema() -> Any:
    import pyarrow as pa

    return pa.schema(
        [(name, pa.int64()) for name in ("fragment", "rows_in", "rows_out", "rows_invalid")]
    )
