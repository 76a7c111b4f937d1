"""The ``engine="dataframe"`` path of :func:`toolkit.score_files`: Spark reads, scores and writes.

``spark.read`` -> :func:`toolkit.score` -> ``DataFrame.write.parquet``, partitioned by
the input's hive partition columns so the layout is the same as the files engine's.
It takes any format Spark reads (ORC, Avro, ...) and Spark SQL semantics; it is
slower (the rows cross the JVM) and uses Spark's commit protocol, whose
``overwrite`` removes the old output before writing the new one.

Examples
--------
>>> tk.score_files(model, "in.orc/", "out/", format="orc", engine="dataframe")  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from toolkit.exceptions import ScoringJobError, ToolkitError, worker_errors

__all__ = ["score_with_dataframes"]


def score_with_dataframes(run: Any, *, existed: bool, spark: Callable[[], Any]) -> Any:
    """Run ``run`` (a checked request from :func:`toolkit.score_files`) through DataFrames."""
    from pyspark.sql import functions as F

    from toolkit.files import job_failure
    from toolkit.scoring import score

    session = run.spark(spark)
    scorer = run.scorer
    partitions = [key for key, _ in next(iter(run.listing.partitions.values()), ())]
    try:
        reader = session.read.format(run.format)
        if run.format == "csv":
            reader = reader.option("header", "true").option("inferSchema", "true")
        if run.listing.base != run.source.path and run.source.fs.type_name == "local":
            reader = reader.option("basePath", run.listing.base)  # a glob: keep partitions
        if run.listing.files:
            frame = reader.load(_spark_path(run.source))
        else:
            frame = None
        if frame is None:
            rows_in = 0
        else:
            rows_in = frame.count()
            keep = [c for c in (run.keep or frame.columns) if c not in partitions]
            scored = score(
                scorer.model(),
                frame,
                features=list(scorer.features),
                method=scorer.spec.method,
                output_col=scorer.spec.column,
                handle_invalid=scorer.handle_invalid,
                batch_size=run.batch_size,
            )
            outputs = [scorer.spec.column]
            if scorer.handle_invalid == "keep":
                outputs.append(f"{scorer.spec.column}_error")
            columns = [F.col(f"`{c}`") for c in [*keep, *outputs, *partitions]]
            writer = scored.select(*columns).write.mode("overwrite" if existed else "error")
            if partitions:
                writer = writer.partitionBy(*partitions)
            with worker_errors():
                writer.parquet(_spark_path(run.destination))
    except ToolkitError:
        raise
    except Exception as exc:
        raise ScoringJobError(f"The scoring job failed: {job_failure(exc)}") from None
    if frame is None:
        return _empty(run, existed)
    written = session.read.parquet(_spark_path(run.destination))
    rows_out = written.count()
    invalid = rows_in - rows_out
    if scorer.handle_invalid == "keep":
        invalid = written.where(F.col(f"`{scorer.spec.column}_error`").isNotNull()).count()
    return run.report(rows_in, rows_out, invalid, output_files=len(written.inputFiles()), tasks=0)


def _empty(run: Any, existed: bool) -> Any:
    from toolkit import commit as commits

    commit = commits.begin(run.destination, mode=run.mode, existed=existed)
    report = run.report(0, 0, 0, files=0)
    commits.finish(commit, [], b"{}")
    return report


def _spark_path(location: Any) -> str:
    """The URI Spark understands: the user's URI, or an absolute local path."""
    return location.path if location.fs.type_name == "local" else location.uri
