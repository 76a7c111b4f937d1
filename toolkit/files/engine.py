"""The engine interface of :func:`toolkit.score_files`: a checked request and a plan in,
a report out.

``score_files`` checks everything once, on the driver, before any Spark job: the model
and the scoring options become a :class:`~toolkit.scoring.worker.ScoreRequest`
(:func:`toolkit.scoring.api.make_request`), the input listing, the destination, the
columns to keep and the commit mode a :class:`FilesPlan`. An :class:`Engine` runs the
two and returns the :class:`~toolkit.files.report.ScoreReport`. Two engines implement
it, and one test suite holds both to the same contract (rows, ``keep_columns``, the
``_SUCCESS`` report, errors, the commit guarantees):

- ``files`` (:class:`toolkit.files.files_engine.FilesEngine`): pyarrow inside Spark tasks;
- ``dataframe`` (:class:`toolkit.files.dataframe_engine.DataFrameEngine`): Spark reads,
  scores and writes.

Examples
--------
>>> from toolkit.files.files_engine import FilesEngine
>>> isinstance(FilesEngine(), Engine)
True
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from toolkit.files.plan import Listing, Location
from toolkit.files.progress import ProgressCallback
from toolkit.files.report import ScoreReport
from toolkit.scoring.worker import ScoreRequest

__all__ = ["DEFAULT_BATCH_SIZE", "Engine", "FilesPlan"]

DEFAULT_BATCH_SIZE = 65_536


@dataclass
class FilesPlan:
    """Where a checked request reads and writes, what it keeps, how it commits; it also
    times the job (Spark's start-up excluded) and builds the report."""

    source: Location
    destination: Location
    listing: Listing
    keep: list[str] | None
    mode: str
    format: str
    params: dict[str, Any]
    started: float
    startup: float = 0.0  # seconds spent starting Spark, not counted in the report

    def report(self, rows_in: int, rows_out: int, invalid: int, **extra: Any) -> ScoreReport:
        seconds = max(time.perf_counter() - self.started - self.startup, 1e-9)
        return ScoreReport(
            rows_in, rows_out, invalid, extra.pop("files", len(self.listing.files)), seconds,
            rows_in / seconds, destination=self.destination.uri, params=self.params, **extra,
        )  # fmt: skip

    def source_root(self) -> Location:
        """What the destination may not overlap: the file, the directory, or a glob's base."""
        glob = re.search(r"[*?\[]", self.source.path)
        path = self.listing.base if glob else self.source.path
        return Location(self.source.fs, path, self.source.uri)

    def spark(self, getter: Callable[[], Any]) -> Any:
        begun = time.perf_counter()
        session = getter()
        self.startup += time.perf_counter() - begun
        return session


@runtime_checkable
class Engine(Protocol):
    """Runs one checked request with its plan; returns the report ``_SUCCESS`` holds."""

    name: str

    def run(
        self,
        request: ScoreRequest,
        plan: FilesPlan,
        *,
        spark: Callable[[], Any],
        progress: ProgressCallback | None = None,
    ) -> ScoreReport:
        """Score, stage and publish through :mod:`toolkit.files.commit`."""
        ...
