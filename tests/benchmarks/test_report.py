"""Results files: JSON with every sample, Markdown tables, PNG charts; derived ratios."""

from __future__ import annotations

import json

import pytest

from benchmarks.charts import write_charts
from benchmarks.report import derive, markdown, targets, write_json, write_markdown


def _summary(model, mode, path, rps, rows=1000):
    seconds = rows / rps
    return {"model": model, "mode": mode, "path": path, "rows": rows, "runs": 3,
            "median_seconds": seconds, "min_seconds": seconds * 0.9, "max_seconds": seconds * 1.2,
            "rows_per_second": rps, "peak_memory": {"jvm_mb": 900.0}}  # fmt: skip


@pytest.fixture
def results():
    rows = []
    for model in ("logistic_regression", "random_forest"):
        for path, rps in (("mllib", 100.0), ("score", 150.0), ("score_files", 350.0),
                          ("mlflow_udf", 100.0), ("limit", 200.0)):  # fmt: skip
            rows.append(_summary(model, "files", path, rps))
        rows.append(_summary(model, "memory", "mllib", 120.0))
        rows.append(_summary(model, "memory", "mllib_no_assembly", 160.0))
    summary = derive(rows, cores=2)
    families = {"logistic_regression": "linear", "random_forest": "trees"}
    return {
        "meta": {"started": "2026-01-02T03:04:05+00:00", "seconds": 12.0, "cores": 2, "notes": [],
                 "config": {"preset": "quick", "rows": 1000, "features": 20, "files": 4,
                            "train_rows": 500, "repeat": 3, "scaling_model": "logistic_regression"},
                 "environment": {"machine": {"cores": 2, "cpu": "test cpu"}, "versions": {},
                                 "threads_driver": {"env": {"OMP_NUM_THREADS": "1"}, "threadpools": []},
                                 "threads_worker": {"error": "not run"}}},
        "summary": summary, "targets": targets(summary, families),
        "assembly_tax": [{"model": "random_forest", "with_assembly": 120.0, "pre_assembled": 160.0,
                          "share": 0.25}],
        "scaling": [{"rows": r, "path": p, "rows_per_second": r / 10, "ratio_mllib": 1.0}
                    for r in (100, 1000) for p in ("mllib", "score")],
        "pandas_ops": {"rows": [{"op": "filter", "rows": 10, "pandas_seconds": 0.001,
                                 "pyspark_pandas_seconds": 0.2, "adapter_seconds": 0.21,
                                 "spark_vs_pandas": 200.0, "adapter_overhead": 0.05,
                                 "pandas_seconds_phase2": 0.001}], "notes": []},
        "agreement": [{"model": "random_forest", "path": "score", "mode": "files",
                       "rule": "equal to sklearn predict, exactly", "result": "ok: 1,000 rows"}],
        "samples": [{"model": "m", "path": "score", "seconds": 1.0}],
    }  # fmt: skip


def test_ratios_and_efficiency_are_derived_from_the_same_run(results):
    by = {(r["model"], r["mode"], r["path"]): r for r in results["summary"]}
    files = by["random_forest", "files", "score_files"]
    assert files["ratio_mllib"] == pytest.approx(3.5)
    assert files["limit_rows_per_second"] == pytest.approx(400.0)
    assert files["efficiency"] == pytest.approx(350 / 400)
    assert by["random_forest", "memory", "mllib"]["efficiency"] is None  # no limit measured there


def test_targets_follow_the_issue(results):
    judged = {(t["target"], t["model"]): t for t in results["targets"]}
    assert judged["DataFrame path vs MLlib, linear models", "logistic_regression"]["met"]
    tree = judged["DataFrame path vs MLlib, tree ensembles", "random_forest"]
    assert (tree["measured"], tree["met"]) == (1.5, False)
    assert ("DataFrame path vs MLlib, tree ensembles", "logistic_regression") not in judged
    assert judged["file path vs the limit", "random_forest"]["met"]  # 87.5% >= 85%


def test_markdown_json_and_png_are_written(results, tmp_path):
    md = write_markdown(results, tmp_path / "results.md").read_text()
    for heading in ("## Throughput: Parquet in -> Parquet out", "## Targets", "## Agreement",
                    "## VectorAssembler tax", "## Scaling", "## pandas vs adapters.pandas",
                    "## Threads"):  # fmt: skip
        assert heading in md
    assert "| random_forest | toolkit.score_files (files) | 350 |" in md
    assert "3.50x" in md and "88%" in md and "**no**" in md
    data = json.loads(write_json(results, tmp_path / "results.json").read_text())
    assert data["samples"] == results["samples"]
    pngs = write_charts(results, tmp_path)
    assert [p.name for p in pngs] == ["throughput.png", "scaling.png", "pandas_ops.png"]
    for png in pngs:
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_markdown_without_optional_sections(results):
    for key in ("assembly_tax", "scaling", "pandas_ops", "targets", "agreement"):
        results.pop(key)
    text = markdown(results)
    assert "## Scaling" not in text and "## Throughput" in text
