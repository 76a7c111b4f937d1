"""Score a stream into Parquet, following an MLflow registry alias between micro-batches.

``mlflow.pyfunc.spark_udf`` and ``predict_batch_udf`` pin the model when the UDF is
made. :func:`score_stream` instead re-resolves ``models:/name@alias`` on the driver
before each micro-batch (``follow_alias=True``): a new version is loaded and checked
(same features, same output schema) before the switch, and a version that fails to
load is logged while the old one keeps scoring.

Exactly once, version included: before a micro-batch is scored, the version it will
use is written to ``<checkpoint>/scaleout-versions/<batch_id>.json``; a batch that
Spark replays after a restart reads that record and is scored by the same version.
Each batch is written to ``<destination>/batch_id=<id>/`` with Spark's own commit
protocol, replacing that directory on a replay, so no row is lost or doubled;
``spark.read.parquet(destination)`` reads it (``batch_id`` is a column).

Examples
--------
>>> query = tk.score_stream("models:/churn@champion", stream, "scored/",
...                         checkpoint="chk/", follow_alias=True)  # doctest: +SKIP
>>> query.awaitTermination()                                       # doctest: +SKIP
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolkit._typing import ColumnNames, PathLike, Trusted
from toolkit.exceptions import InvalidOptionError, SchemaMismatchError, ToolkitError
from toolkit.models.api import load_model
from toolkit.scoring.options import check_options

__all__ = ["VERSION_COL", "score_stream"]

VERSION_COL = "model_version"
_ALIAS_URI = re.compile(r"models:/(?P<name>[^/@]+)@(?P<alias>[^/@]+)")
_LOG = logging.getLogger("toolkit.scoring.streaming")


def score_stream(
    model: Any,
    stream: Any,
    destination: PathLike,
    *,
    checkpoint: PathLike,
    follow_alias: bool = False,
    features: ColumnNames | None = None,
    method: str = "predict",
    output_col: str | None = None,
    handle_invalid: str = "error",
    trusted: Trusted = False,
    trigger: dict[str, Any] | None = None,
) -> Any:
    """Start a streaming query scoring ``stream`` into Parquet under ``destination``.

    Parameters
    ----------
    model : fitted estimator, or anything :func:`toolkit.load_model` takes
        ``follow_alias=True`` needs ``models:/<name>@<alias>``.
    stream : streaming Spark DataFrame
    destination, checkpoint : str or path
        Local or Hadoop-style paths; one ``batch_id=<id>`` directory per micro-batch.
    follow_alias : bool
        Re-resolve the alias before each micro-batch and switch to a newly promoted
        version once it has loaded and matched the old one's features and output.
        The output gets a ``model_version`` column.
    features, method, output_col, handle_invalid
        As in :func:`toolkit.score`.
    trusted : bool or list of str
        As in :func:`toolkit.load_model`, for every version loaded.
    trigger : dict, optional
        Passed to ``DataStreamWriter.trigger`` (e.g. ``{"availableNow": True}``).

    Returns
    -------
    pyspark.sql.streaming.StreamingQuery

    Examples
    --------
    >>> q = tk.score_stream(model, stream, "out/", checkpoint="chk/")  # doctest: +SKIP
    """
    if not getattr(stream, "isStreaming", False):
        raise InvalidOptionError(
            "score_stream needs a streaming DataFrame (spark.readStream...); for a batch "
            "DataFrame use tk.score(...) or tk.score_files(...)."
        )
    check_options(
        features=features, output_col=output_col, handle_invalid=handle_invalid, batch_size=None
    )
    follower = _Follower.start(
        model,
        follow_alias=follow_alias,
        trusted=trusted,
        options={
            "features": features,
            "method": method,
            "output_col": output_col,
            "handle_invalid": handle_invalid,
        },
        records=Path(checkpoint) / "scaleout-versions",
    )
    sink = str(destination).rstrip("/")

    def write_batch(frame: Any, batch_id: int) -> None:
        scored = follower.score(frame, batch_id)
        scored.write.mode("overwrite").parquet(f"{sink}/batch_id={batch_id}")

    writer = stream.writeStream.foreachBatch(write_batch).option(
        "checkpointLocation", str(checkpoint)
    )
    if trigger:
        writer = writer.trigger(**trigger)
    return writer.start()


@dataclass
class _Version:
    label: str  # the registry version ("3"), or "" for a pinned model
    model: Any


@dataclass
class _Follower:
    """The driver side: which model version scores which micro-batch."""

    source: Any
    name: str | None
    alias: str | None
    trusted: Trusted
    options: dict[str, Any]
    records: Path
    current: _Version
    tracking_uri: str | None = None  # the caller's store, for wherever batches run
    loaded: dict[str, _Version] = field(default_factory=dict)

    @classmethod
    def start(
        cls,
        source: Any,
        *,
        follow_alias: bool,
        trusted: Trusted,
        options: dict[str, Any],
        records: Path,
    ) -> _Follower:
        name = alias = None
        if follow_alias:
            match = _ALIAS_URI.fullmatch(str(source)) if isinstance(source, str) else None
            if match is None:
                raise InvalidOptionError(
                    "follow_alias=True needs a registry alias URI, models:/<name>@<alias>; got "
                    f"{source!r}. Register the model with an alias (toolkit.tracking.log_model"
                    "(..., registered_name=..., alias=...)) or leave follow_alias off."
                )
            name, alias = match["name"], match["alias"]
        follower = cls(source, name, alias, trusted, options, records, _Version("", None))
        if name is not None:
            import mlflow

            follower.tracking_uri = mlflow.get_tracking_uri()
        if name is None:
            follower.current = _Version("", load_model(source, trusted=trusted))
        else:
            follower.current = follower._load(follower._resolve())
        _check_request(follower.current.model, options)
        return follower

    def score(self, frame: Any, batch_id: int) -> Any:
        """Score one micro-batch with the version recorded for it (or the newest one)."""
        from pyspark.sql import functions as F

        from toolkit.scoring.api import score

        if self.tracking_uri is not None:
            import mlflow

            if mlflow.get_tracking_uri() != self.tracking_uri:  # Spark Connect runs batches
                mlflow.set_tracking_uri(self.tracking_uri)  # in a server-side process
        version = self._version_for(batch_id)
        scored = score(version.model, frame, **self.options)
        if self.name is None:
            return scored
        return scored.withColumn(VERSION_COL, F.lit(version.label))

    # -- which version -------------------------------------------------------------------

    def _version_for(self, batch_id: int) -> _Version:
        record = self.records / f"{batch_id}.json"
        if self.name is None:
            return self.current
        if record.exists():  # a replayed batch: the version it had the first time
            return self._load(json.loads(record.read_text())["version"])
        self._follow()
        _write_atomically(record, json.dumps({"version": self.current.label}))
        return self.current

    def _follow(self) -> None:
        try:
            newest = self._resolve()
            if newest == self.current.label:
                return
            candidate = self._load(newest)
            _check_same_output(self.current.model, candidate.model, self.options)
        except ToolkitError as exc:
            _LOG.warning(
                "models:/%s@%s: keeping version %s: %s", self.name, self.alias,
                self.current.label, exc,
            )  # fmt: skip
            return
        _LOG.info("models:/%s@%s: now version %s", self.name, self.alias, candidate.label)
        self.current = candidate

    def _resolve(self) -> str:
        """The version the alias points at now: one quick registry request, no retries."""
        from mlflow import MlflowClient

        from toolkit.models.mlflow_source import quick_requests, store_errors

        assert self.name is not None and self.alias is not None  # only a follower resolves
        with quick_requests(), store_errors():
            found = MlflowClient().get_model_version_by_alias(self.name, self.alias)
        return str(found.version)

    def _load(self, version: str) -> _Version:
        if version not in self.loaded:
            model = load_model(f"models:/{self.name}/{version}", trusted=self.trusted)
            self.loaded = {self.current.label: self.current, version: _Version(version, model)}
        return self.loaded[version]


def _check_request(model: Any, options: dict[str, Any]) -> None:
    """Fail before the query starts on a model that cannot serve these options."""
    from toolkit.scoring.api import make_request

    make_request(model, **options)


def _check_same_output(old: Any, new: Any, options: dict[str, Any]) -> None:
    """A new version may only replace the old one if features and output schema agree."""
    from toolkit.scoring.api import make_request

    before, after = make_request(old, **options), make_request(new, **options)
    if before.features != after.features or before.spec != after.spec:
        raise SchemaMismatchError(
            f"the new version needs features {list(after.features)} and writes "
            f"{after.spec.ddl}, the running one {list(before.features)} and "
            f"{before.spec.ddl}; a stream cannot change its schema. Start a new query."
        )


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    with os.fdopen(handle, "w") as out:
        out.write(text)
    os.replace(temporary, path)
