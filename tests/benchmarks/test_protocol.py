"""The measuring protocol: warm-up, interleaving, medians, memory sampling (no timing asserts)."""

from __future__ import annotations

import pytest

from benchmarks.memory import KEYS, MemorySampler
from benchmarks.protocol import Sample, Task, measure, rotation, summarize


def _tasks(calls: list[str], names=("a", "b", "c")) -> list[Task]:
    return [Task("m", name, "files", 100, lambda name=name: calls.append(name)) for name in names]


def test_warmup_then_interleaved_rounds_rotate_the_order():
    calls: list[str] = []
    checked: list[str] = []
    samples = measure(_tasks(calls), repeat=3, after_warmup=lambda t: checked.append(t.path),
                      clock=iter(range(1000)).__next__)  # fmt: skip
    assert calls == ["a", "b", "c", "a", "b", "c", "b", "c", "a", "c", "a", "b"]
    assert checked == ["a", "b", "c"]  # each checked right after its own warm-up
    assert [s.phase for s in samples[:3]] == ["warmup"] * 3
    assert [s.round for s in samples[3:]] == [1, 1, 1, 2, 2, 2, 3, 3, 3]


def test_further_warmup_rounds_rotate_untimed_and_check_once():
    calls: list[str] = []
    checked: list[str] = []
    samples = measure(_tasks(calls), warmup=3, repeat=1, after_warmup=lambda t: checked.append(t.path),
                      clock=iter(range(1000)).__next__)  # fmt: skip
    assert calls == ["a", "b", "c", "b", "c", "a", "c", "a", "b", "a", "b", "c"]
    assert checked == ["a", "b", "c"]
    assert [s.phase for s in samples] == ["warmup"] * 9 + ["timed"] * 3
    assert [s.round for s in samples[:9:3]] == [-2, -1, 0]
    assert len(summarize(samples)) == 3 and all(s.runs == 1 for s in summarize(samples))


def test_a_failed_check_stops_before_any_timed_run():
    calls: list[str] = []

    def refuse(task: Task) -> None:
        if task.path == "b":
            raise AssertionError("b disagrees")

    with pytest.raises(AssertionError, match="b disagrees"):
        measure(_tasks(calls), repeat=5, after_warmup=refuse)
    assert calls == ["a", "b"]


def test_summary_is_median_and_range_of_timed_runs_only():
    runs = [Sample("m", "p", "files", "warmup", 0, 1000, 100.0)]
    runs += [
        Sample("m", "p", "files", "timed", i, 1000, s) for i, s in enumerate([4.0, 1.0, 2.0, 8.0])
    ]
    runs += [Sample("m", "q", "memory", "timed", 1, 1000, 0.5, {"jvm_mb": 10.0}),
             Sample("m", "q", "memory", "timed", 2, 1000, 0.25, {"jvm_mb": 30.0})]  # fmt: skip
    p, q = summarize(runs)
    assert (p.runs, p.median_seconds, p.min_seconds, p.max_seconds) == (4, 3.0, 1.0, 8.0)
    assert p.rows_per_second == pytest.approx(1000 / 3.0)
    assert (q.median_seconds, q.peak_memory) == (0.375, {"jvm_mb": 30.0})


def test_rotation_is_a_permutation():
    items = list("abcd")
    for k in range(9):
        assert sorted(rotation(items, k)) == items
    assert rotation([], 3) == []


def test_memory_sampler_reports_this_process():
    with MemorySampler(interval=0.005).measure() as peak:
        block = bytearray(20_000_000)
        del block
    assert set(peak) == set(KEYS)
    assert peak["driver_python_mb"] > 10


def test_runs_of_different_sizes_are_summarised_apart():
    runs = [Sample("m", "p", "files", "timed", 1, rows, rows / 100) for rows in (100, 1000, 1000)]
    assert [(s.rows, s.runs, s.rows_per_second) for s in summarize(runs)] == [
        (100, 1, 100.0),
        (1000, 2, 100.0),
    ]
