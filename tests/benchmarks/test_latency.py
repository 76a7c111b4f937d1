"""``--suites latency`` end to end: real ``scaleout serve`` children, real HTTP on loopback.

Behaviour only (every row measured, percentiles ordered, the named runtime answered),
never timings.
"""

from __future__ import annotations

import itertools
import json

import pytest

from benchmarks.config import DEFAULT_SUITES, SUITES, preset
from benchmarks.latency import BATCHES, LATENCY_RUNTIMES
from benchmarks.run import run_bench


def test_latency_is_an_opt_in_suite():
    assert "latency" in SUITES and "latency" not in DEFAULT_SUITES
    assert preset("quick").latency_requests < 5_000 <= preset("full").latency_requests


@pytest.mark.slow
def test_latency_suite_measures_every_row(spark, tmp_path):
    config = preset(
        "quick", suites=("latency",), latency_requests=40, workdir=tmp_path / "work",
        out=tmp_path / "out", progress=False,
    )  # fmt: skip
    results = run_bench(config, spark=spark)
    found = results["latency"]
    rows = found["rows"]
    expected = set(itertools.product(LATENCY_RUNTIMES, ("in_process", "http"), BATCHES))
    assert {(r["runtime"], r["mode"], r["batch"]) for r in rows} == expected
    assert len(rows) == len(expected)
    for row in rows:
        assert row["requests"] == 40
        assert 0 < row["p50_us"] <= row["p99_us"] <= row["p999_us"], row
    flows = found["throughput"]
    assert {(t["runtime"], t["batch"]) for t in flows} == set(
        itertools.product(LATENCY_RUNTIMES, BATCHES)
    )
    for flow in flows:
        assert flow["clients"] == 8 and flow["requests"] == 40 // 8 * 8
        assert flow["requests_per_second"] > 0
        assert flow["rows_per_second"] == pytest.approx(flow["requests_per_second"] * flow["batch"])
        assert 0 < flow["p50_us"] <= flow["p99_us"] <= flow["p999_us"]
    assert [t["target"] for t in found["targets"]] == [
        "one row in process, onnxruntime, p50",
        "one row over HTTP, onnxruntime, p50",
        "one row over HTTP, onnxruntime, p99",
    ]
    assert "fewer than the 5,000" in found["notes"][0]  # a short run says so
    # the suite brings its own data: no benchmark table, no fitted benchmark models
    assert sorted(p.name for p in (tmp_path / "work").iterdir()) == ["latency"]
    assert results["training"] == []
    saved = json.loads((tmp_path / "out" / "results.json").read_text())
    assert len(saved["latency"]["rows"]) == len(expected)
    report = (tmp_path / "out" / "results.md").read_text()
    assert "## Real-time latency" in report
    table = [line for line in report.splitlines() if line.startswith(("| sklearn", "| onnx"))]
    assert len(table) == len(expected) + len(flows)
    assert "## Throughput" not in report  # no scoring suite ran
