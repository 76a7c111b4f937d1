"""Progress of a file-scoring job: watched from the staging area, shown as a bar or log lines.

Tasks publish each finished fragment into the job's staging directory, so the
driver learns what is done by listing it, the same way on classic Spark, Spark
Connect and any filesystem (no accumulators, no SparkContext). A callback
receives a :class:`Progress` whenever something changed; :class:`ConsoleProgress`
is the callback the CLI uses: a live ``rich`` bar on a terminal, plain log lines
otherwise.

Examples
--------
>>> tk.score_files(model, "in/", "out/", progress=ConsoleProgress())  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import posixpath
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TextIO

__all__ = ["ConsoleProgress", "Progress", "ProgressCallback", "StagingWatcher"]


@dataclass(frozen=True)
class Progress:
    """Files and rows done so far; ``rows_total`` is None when unknown (CSV, JSON)."""

    files_done: int
    files_total: int
    rows_done: int
    rows_total: int | None
    seconds: float

    @property
    def rows_per_second(self) -> float:
        return self.rows_done / self.seconds if self.seconds > 0 else 0.0

    @property
    def eta(self) -> float | None:
        """Seconds left at the current rate, when it can be told."""
        if self.rows_total and self.rows_done:
            return (self.rows_total - self.rows_done) / self.rows_per_second
        if self.files_done and self.files_total:
            return self.seconds * (self.files_total - self.files_done) / self.files_done
        return None

    def line(self) -> str:
        """One log line: ``3/8 files, 1,500,000/4,000,000 rows, 1.2M rows/s, ETA 2s``."""
        text = f"{self.files_done}/{self.files_total} files"
        if self.rows_total is not None:  # row counts are known for Parquet (footers)
            rate = _si(self.rows_per_second)
            text += f", {self.rows_done:,}/{self.rows_total:,} rows, {rate} rows/s"
        eta = self.eta
        if eta is not None and self.files_done < self.files_total:
            text += f", ETA {eta:.0f}s"
        return text


ProgressCallback = Callable[[Progress], None]


class StagingWatcher:
    """Poll a job's staging directory in a thread and report fragments as they land.

    ``outputs`` maps each staged relative path to ``(file number, rows)``.
    """

    def __init__(
        self,
        fs: Any,
        staging: str,
        outputs: dict[str, tuple[int, int | None]],
        callback: ProgressCallback,
        *,
        interval: float = 0.5,
    ) -> None:
        self.fs, self.staging, self.outputs = fs, staging, outputs
        self.callback, self.interval = callback, interval
        self.files_total = len({number for number, _ in outputs.values()})
        self.rows_total = (
            None
            if any(rows is None for _, rows in outputs.values())
            else sum(rows or 0 for _, rows in outputs.values())
        )
        self._fragments: dict[int, int] = {}
        for number, _ in outputs.values():
            self._fragments[number] = self._fragments.get(number, 0) + 1
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="scaleout-progress", daemon=True)
        self._started = time.perf_counter()
        self._last: tuple[int, int, int] | None = None  # (files, rows, fragments) last reported

    def __enter__(self) -> StagingWatcher:
        self._report(set())
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def done(self) -> None:
        """Report everything as finished (after the job committed)."""
        self._report(set(self.outputs))

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            with contextlib.suppress(Exception):  # progress must never break the job
                self._report(self._staged())

    def _staged(self) -> set[str]:
        from pyarrow import fs as pafs

        selector = pafs.FileSelector(self.staging, recursive=True, allow_not_found=True)
        found = set()
        for info in self.fs.get_file_info(selector):
            relative = posixpath.relpath(info.path, self.staging)
            if relative in self.outputs:
                found.add(relative)
        return found

    def _report(self, staged: set[str]) -> None:
        per_file: dict[int, int] = {}
        rows = 0
        for relative in staged:
            number, count = self.outputs[relative]
            per_file[number] = per_file.get(number, 0) + 1
            rows += count or 0
        files = sum(1 for number, n in per_file.items() if n == self._fragments[number])
        if (files, rows, len(staged)) == self._last:
            return
        self._last = (files, rows, len(staged))
        seconds = time.perf_counter() - self._started
        self.callback(Progress(files, self.files_total, rows, self.rows_total, seconds))


class ConsoleProgress:
    """A live bar (files, rows, rows/s, ETA) on a terminal; a log line every few seconds otherwise.

    Examples
    --------
    >>> bar = ConsoleProgress()
    >>> bar(Progress(1, 2, 50, 100, 1.0))   # doctest: +SKIP
    >>> bar.close()
    """

    def __init__(
        self, *, stream: TextIO | None = None, live: bool | None = None, every: float = 5.0
    ) -> None:
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty() if live is None else live
        self.every = every
        self._bar: Any = None
        self._task: Any = None
        self._logged = 0.0
        self._last: Progress | None = None

    def __call__(self, progress: Progress) -> None:
        self._last = progress
        if self.live:
            self._update_bar(progress)
            return
        now = time.monotonic()
        finished = progress.files_done == progress.files_total
        if finished or now - self._logged >= self.every or not self._logged:
            self._logged = now
            print(f"scaleout score: {progress.line()}", file=self.stream, flush=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None

    def _update_bar(self, progress: Progress) -> None:
        if self._bar is None:
            from rich.console import Console
            from rich.progress import BarColumn, TextColumn, TimeRemainingColumn
            from rich.progress import Progress as Bar

            self._bar = Bar(
                TextColumn("scoring"),
                BarColumn(),
                TextColumn("{task.fields[files]} files"),
                TextColumn("{task.fields[rows]} rows"),
                TextColumn("{task.fields[rate]} rows/s"),
                TimeRemainingColumn(),
                console=Console(file=self.stream),
            )
            self._bar.start()
            total = progress.rows_total or progress.files_total or 1
            self._task = self._bar.add_task("scoring", total=total, files="", rows="", rate="")
        done = progress.rows_done if progress.rows_total else progress.files_done
        self._bar.update(
            self._task,
            completed=done,
            files=f"{progress.files_done}/{progress.files_total}",
            rows=f"{progress.rows_done:,}" if progress.rows_total is not None else "?",
            rate=_si(progress.rows_per_second) if progress.rows_total is not None else "?",
        )


def _si(value: float) -> str:
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if value >= scale:
            return f"{value / scale:.1f}{unit}"
    return f"{value:.0f}"
