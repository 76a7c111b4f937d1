"""Peak memory while a run is timed: the driver process, the JVM and the Python workers.

A background thread samples the resident set size of this process and of its
children four times a second: the JVM (in local mode it is the driver *and* the
executors) and the Python workers Spark forks from it. On a remote cluster
the executors are not our children, so only the driver side is measurable;
without ``psutil`` nothing is, and the report says so (``None``).

Examples
--------
>>> sampler = MemorySampler()
>>> with sampler.measure() as peak:
...     _ = bytearray(10_000_000)
>>> sorted(peak) == sorted(KEYS) or peak == {}
True
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

__all__ = ["KEYS", "MemorySampler"]

KEYS = ("driver_python_mb", "jvm_mb", "python_workers_mb")
_MB = 1024 * 1024


class MemorySampler:
    """Measure peak RSS (MiB) of the driver, the JVM and the Python workers during a block.

    It samples from a thread of the benchmark's own process, where the limit path also
    runs: each sample walks the process tree, so sampling is kept sparse (4 per second)
    to stay out of the measurement's way.
    """

    def __init__(self, *, interval: float = 0.25) -> None:
        self.interval = interval
        try:
            import psutil
        except ImportError:  # pragma: no cover - psutil is a dependency
            self._me = None
        else:
            self._me = psutil.Process()

    @contextlib.contextmanager
    def measure(self) -> Iterator[dict[str, float]]:
        """Yield a dict that holds the peaks once the block has ended."""
        peak: dict[str, float] = {}
        if self._me is None:
            yield peak
            return
        stop = threading.Event()
        thread = threading.Thread(target=self._sample, args=(peak, stop), daemon=True)
        self._snapshot(peak)
        thread.start()
        try:
            yield peak
        finally:
            stop.set()
            thread.join()
            self._snapshot(peak)

    def _sample(self, peak: dict[str, float], stop: threading.Event) -> None:
        while not stop.wait(self.interval):
            self._snapshot(peak)

    def _snapshot(self, peak: dict[str, float]) -> None:
        import psutil

        now = dict.fromkeys(KEYS, 0.0)
        try:
            now["driver_python_mb"] = self._me.memory_info().rss / _MB
            children = self._me.children(recursive=True)
        except psutil.Error:
            return
        for child in children:
            try:
                name = child.name()
                rss = child.memory_info().rss / _MB
                cmdline = " ".join(child.cmdline()) if name.startswith("python") else ""
            except psutil.Error:
                continue
            if name == "java":
                now["jvm_mb"] += rss
            elif "pyspark" in cmdline or "daemon" in cmdline or "worker" in cmdline:
                now["python_workers_mb"] += rss
        for key, value in now.items():
            peak[key] = max(peak.get(key, 0.0), value)
