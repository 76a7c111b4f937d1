"""Score files into files: ``score_files``, the one entry point, and the report it returns.

``score_files`` checks the request once on the driver (the model and the scoring
options: :func:`toolkit.scoring.api.make_request`; the engine, format and mode:
:func:`toolkit.scoring.options.check_file_options`), lists the input and hands a
:class:`~toolkit.scoring.worker.ScoreRequest` and a :class:`~toolkit.files.engine.FilesPlan`
to the engine asked for (:mod:`toolkit.files.engine`): ``files``
(:mod:`toolkit.files.files_engine`, pyarrow inside Spark tasks) or ``dataframe``
(:mod:`toolkit.files.dataframe_engine`, Spark DataFrames). Both publish through the
commit protocol of :mod:`toolkit.files.commit`: the old output stays until the new one
is complete, and ``_SUCCESS`` holds the report.
"""

from __future__ import annotations

import contextlib
import os
import time
import warnings
from collections.abc import Callable, Sequence
from typing import Any

from toolkit._typing import ColumnNames
from toolkit.exceptions import ToolkitAdviceWarning
from toolkit.files.dataframe_engine import DataFrameEngine
from toolkit.files.engine import DEFAULT_BATCH_SIZE, Engine, FilesPlan
from toolkit.files.files_engine import FilesEngine
from toolkit.files.plan import FORMATS, list_input, resolve
from toolkit.files.progress import ProgressCallback
from toolkit.files.report import ScoreReport
from toolkit.files.task import parquet_write_options
from toolkit.models.api import fingerprint
from toolkit.scoring.api import make_request
from toolkit.scoring.options import check_file_options
from toolkit.scoring.worker import ScoreRequest

__all__ = ["ENGINES", "ScoreReport", "parquet_write_options", "score_files"]

#: The engines :func:`score_files` runs on, by name (:mod:`toolkit.files.engine`).
ENGINES: dict[str, Engine] = {engine.name: engine for engine in (FilesEngine(), DataFrameEngine())}


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
    model_engine: str = "python",
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
    model_engine : {"python", "auto", "native", "onnx"}
        ``engine`` of :func:`toolkit.score`: ``onnx`` runs the model's checked ONNX export
        in onnxruntime, on both engines; ``native`` (the dataframe engine only) scores a
        compiled model in the JVM; ``auto`` picks as ``score`` does.
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
    tracking: contextlib.AbstractContextManager[Any] = contextlib.nullcontext(None)
    if track:  # an unreachable store fails here, before anything is scored
        from toolkit.tracking import tracked_run

        model_label = str(model) if isinstance(model, str | os.PathLike) else type(model).__name__
        asked = {"model": model_label, "method": method, "source": str(source),
                 "destination": str(destination), "engine": engine}  # fmt: skip
        tracking = tracked_run(asked, run_name="score_files")
    with tracking as record:
        started = time.perf_counter()
        check_file_options(engine=engine, format=format, mode=mode, engines=ENGINES,
                           formats=FORMATS, model_engine=model_engine)  # fmt: skip
        request = make_request(
            model, features=features, method=method, output_col=output_col,
            handle_invalid=handle_invalid, batch_size=batch_size,
            engine=model_engine,
        )  # fmt: skip
        keep = None if keep_columns is None else _names(keep_columns)
        src, dst = resolve(source), resolve(destination)
        listing = list_input(src)
        params = {
            "model_class": type(request.model()).__name__,
            "model_fingerprint": _content_fingerprint(request),
            "method": method,
            "features": list(request.features),
            "output_col": request.spec.column,
            "keep_columns": "all" if keep is None else list(keep),
            "handle_invalid": handle_invalid,
            "mode": mode,
            "format": format,
            "engine": engine,
            "model_engine": model_engine,
            "batch_size": batch_size or DEFAULT_BATCH_SIZE,
            "source": str(source),
            "destination": str(destination),
        }
        plan = FilesPlan(src, dst, listing, keep, mode, format, params, started)
        report = ENGINES[engine].run(request, plan, spark=_session_getter(spark), progress=progress)
        if report.rows_in == 0:
            warnings.warn(
                f"No rows found under {src.uri!r}; the destination holds an empty result.",
                ToolkitAdviceWarning,
                stacklevel=2,
            )
        if record is not None:
            record(report)
    return report


_FINGERPRINTS: dict[str, str] = {}


def _content_fingerprint(scorer: ScoreRequest) -> str:
    """The model's content fingerprint, once per shipped model: a forest takes ~0.5 s,
    which a job that scores the same model again must not pay every call."""
    if scorer.key not in _FINGERPRINTS:
        if len(_FINGERPRINTS) >= 32:
            _FINGERPRINTS.clear()
        _FINGERPRINTS[scorer.key] = fingerprint(scorer.model())
    return _FINGERPRINTS[scorer.key]


def _names(columns: Sequence[str] | str) -> list[str]:
    return [columns] if isinstance(columns, str) else [str(c) for c in columns]


def _session_getter(spark: Any) -> Callable[[], Any]:
    if spark is None:
        from toolkit.session.api import active_session

        return active_session
    return spark if callable(spark) and not hasattr(spark, "range") else (lambda: spark)
