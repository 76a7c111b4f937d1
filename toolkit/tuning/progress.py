"""Progress of a joblib call on Spark: Spark tasks done out of those dispatched so far.

joblib dispatches batches as slots free up, so the total grows while the call runs; the
bar shows ``done/dispatched``. It is drawn with ``rich`` on stderr, and only when stderr
is a terminal unless asked for (``tk.parallel_backend(progress=True)``).

Examples
--------
>>> bar = TaskProgress(enabled=False)
>>> bar.start(); bar.dispatched(); bar.finished(); bar.stop()
>>> bar.done, bar.total
(1, 1)
"""

from __future__ import annotations

import sys
import threading
from typing import Any

__all__ = ["TaskProgress"]


class TaskProgress:
    """Counts dispatched and finished Spark tasks of one joblib call; draws them if enabled.

    Parameters
    ----------
    enabled : bool, optional
        Draw a ``rich`` bar on stderr; default: only when stderr is a terminal.

    Examples
    --------
    >>> TaskProgress(enabled=False).enabled
    False
    """

    def __init__(self, *, enabled: bool | None = None) -> None:
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.done = 0
        self.total = 0
        self._lock = threading.Lock()
        self._bar: Any = None
        self._task: Any = None

    def start(self) -> None:
        """Start counting a new joblib call (and drawing, when enabled)."""
        with self._lock:
            self.done = self.total = 0
            if self.enabled and self._bar is None:
                from rich.console import Console
                from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

                self._bar = Progress(
                    TextColumn("Spark tasks"),
                    BarColumn(),
                    MofNCompleteColumn(),
                    console=Console(stderr=True),
                    transient=True,
                )
                self._task = self._bar.add_task("tasks", total=0)
                self._bar.start()

    def dispatched(self) -> None:
        """One more task submitted."""
        with self._lock:
            self.total += 1
            if self._bar is not None:
                self._bar.update(self._task, total=self.total)

    def finished(self) -> None:
        """One task done (succeeded or failed)."""
        with self._lock:
            self.done += 1
            if self._bar is not None:
                self._bar.update(self._task, completed=self.done)

    def stop(self) -> None:
        """Stop drawing (the counts stay readable)."""
        with self._lock:
            bar, self._bar = self._bar, None
        if bar is not None:
            bar.stop()
