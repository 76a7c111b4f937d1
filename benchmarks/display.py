"""The progress display while a run goes on (rich), or nothing at all with ``--quiet``.

Examples
--------
>>> with Display(enabled=False, total=3) as show:
...     show.stage("training")
...     show.advance("kmeans · score · files", 0.5)
"""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["Display"]


class Display:
    """One bar counting every timed run of the whole benchmark, and a log above it."""

    def __init__(self, *, enabled: bool, total: int) -> None:
        self.enabled = enabled
        self.total = total
        self._progress: Any = None
        self._task: Any = None

    def __enter__(self) -> Display:
        if self.enabled:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                SpinnerColumn,
                TextColumn,
                TimeElapsedColumn,
            )

            self._progress = Progress(
                SpinnerColumn(), TextColumn("{task.description}", style="bold"), BarColumn(),
                MofNCompleteColumn(), TimeElapsedColumn(), console=Console(stderr=True, log_path=False),
            )  # fmt: skip
            self._progress.__enter__()
            self._task = self._progress.add_task("starting", total=self.total)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.__exit__(*exc)

    def stage(self, text: str) -> None:
        """Say what is happening now (data, training, a path being timed...)."""
        if self._progress is not None:
            self._progress.update(self._task, description=text)

    def advance(self, what: str, seconds: float) -> None:
        """One run finished."""
        if self._progress is not None:
            self._progress.update(self._task, advance=1, description=f"{what} ({seconds:.2f}s)")

    def log(self, text: str) -> None:
        """A line that stays on screen above the bar."""
        if self._progress is not None:
            self._progress.console.log(text)
        elif self.enabled:
            print(text, file=sys.stderr)
