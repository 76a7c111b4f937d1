"""How a number is measured: warm-up rounds, then interleaved repeats; medians and ranges.

Each task (one model x path x mode) runs once as a warm-up (JIT, worker
start-up, model caches) and is checked; further warm-up rounds (``warmup``) and
then ``repeat`` timed rounds run every task once each. The JVM takes several runs
to settle: on 2 cores a Parquet-to-Parquet run at 600k rows kept getting faster
for three to five runs on every Spark path (MLlib's logistic regression 4.6 s,
1.7 s, 1.3 s, 1.3 s, then 1.0-1.4 s). Each model then brings code of its own: the
JVM compiles the Java that Spark generates for a compiled model
(:mod:`toolkit.native`) over its first few runs (the logistic regression's native
path: 1.5 s, 0.7 s, 0.8 s, 0.8 s, 0.7 s, 0.8 s, 0.6 s in one run), hence the default of
three warm-up rounds per model. The
order rotates by one task per round, so no path always follows the same
neighbour or always runs first; a noisy moment on the machine spreads over all
paths instead of landing on one. A task's figure is the median of its timed
runs, with the minimum and maximum beside it; rows/s is rows / median seconds.

Examples
--------
>>> ticks = iter([0.0, 1.0, 1.0, 3.0, 3.0, 4.0])
>>> samples = measure([Task("m", "p", "files", 10, lambda: None)], repeat=2,
...                   clock=lambda: next(ticks))
>>> [s.seconds for s in samples if s.phase == "timed"]
[2.0, 1.0]
>>> summarize(samples)[0].median_seconds
1.5
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from benchmarks.memory import MemorySampler

__all__ = ["Sample", "Summary", "Task", "measure", "rotation", "summarize"]


@dataclass(frozen=True)
class Task:
    """One timed unit of work: ``run()`` scores ``rows`` rows of ``model`` through ``path``."""

    model: str
    path: str
    mode: str
    rows: int
    run: Callable[[], Any]

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.model, self.path, self.mode)


@dataclass(frozen=True)
class Sample:
    """One run: ``phase`` is ``warmup``, ``timed`` or ``cold``."""

    model: str
    path: str
    mode: str
    phase: str
    round: int
    rows: int
    seconds: float
    memory: dict[str, float] = field(default_factory=dict)

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else float("inf")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"rows_per_second": self.rows_per_second}


@dataclass(frozen=True)
class Summary:
    """The timed runs of one task, reduced: median and range of seconds, peak memory."""

    model: str
    path: str
    mode: str
    rows: int
    runs: int
    median_seconds: float
    min_seconds: float
    max_seconds: float
    peak_memory: dict[str, float]

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.median_seconds if self.median_seconds > 0 else float("inf")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"rows_per_second": self.rows_per_second}


def rotation(items: Sequence[Any], round_: int) -> list[Any]:
    """``items`` rotated left by ``round_`` (the interleaving order of one round).

    Examples
    --------
    >>> rotation(["a", "b", "c"], 1), rotation(["a", "b", "c"], 3)
    (['b', 'c', 'a'], ['a', 'b', 'c'])
    """
    if not items:
        return []
    k = round_ % len(items)
    return [*items[k:], *items[:k]]


def measure(
    tasks: Sequence[Task],
    *,
    repeat: int,
    warmup: int = 1,
    after_warmup: Callable[[Task], None] | None = None,
    on_sample: Callable[[Sample], None] | None = None,
    sampler: MemorySampler | None = None,
    clock: Callable[[], float] = time.perf_counter,
) -> list[Sample]:
    """Warm every task up once (then ``after_warmup(task)``), run ``warmup - 1`` more
    untimed rounds, then ``repeat`` timed rounds.

    Examples
    --------
    >>> len(measure([Task("m", "p", "files", 1, lambda: None)], repeat=3, clock=lambda: 0.0))
    4
    """
    samples: list[Sample] = []

    def one(task: Task, phase: str, round_: int) -> None:
        if sampler is None:
            started = clock()
            task.run()
            seconds, peak = clock() - started, {}
        else:
            with sampler.measure() as peak:
                started = clock()
                task.run()
                seconds = clock() - started
        sample = Sample(task.model, task.path, task.mode, phase, round_, task.rows, seconds,
                        dict(peak))  # fmt: skip
        samples.append(sample)
        if on_sample:
            on_sample(sample)

    for round_ in range(warmup):
        for task in rotation(list(tasks), round_):
            one(task, "warmup", round_ - warmup + 1)
            if after_warmup and round_ == 0:
                after_warmup(task)
    for round_ in range(repeat):
        for task in rotation(list(tasks), round_):
            one(task, "timed", round_ + 1)
    return samples


def summarize(samples: Sequence[Sample]) -> list[Summary]:
    """Median, min and max of the timed runs per (model, path, mode, rows), in first-seen order.

    Examples
    --------
    >>> runs = [Sample("m", "p", "files", "timed", i, 100, s) for i, s in enumerate([3.0, 1.0, 2.0])]
    >>> s = summarize(runs)[0]
    >>> (s.median_seconds, s.min_seconds, s.max_seconds, s.rows_per_second)
    (2.0, 1.0, 3.0, 50.0)
    """
    groups: dict[tuple[str, str, str, int], list[Sample]] = {}
    for s in samples:
        if s.phase == "timed":
            groups.setdefault((s.model, s.path, s.mode, s.rows), []).append(s)
    out = []
    for (model, path, mode, _), runs in groups.items():
        seconds = [run.seconds for run in runs]
        peak: dict[str, float] = {}
        for run in runs:
            for key, value in run.memory.items():
                peak[key] = max(peak.get(key, 0.0), value)
        out.append(
            Summary(
                model,
                path,
                mode,
                runs[0].rows,
                len(runs),
                statistics.median(seconds),
                min(seconds),
                max(seconds),
                peak,
            )  # fmt: skip
        )
    return out
