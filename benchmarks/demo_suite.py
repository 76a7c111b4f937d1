"""The demo's own model and comparison, measured by the benchmark (``--suites demo``).

``scaleout demo`` prints one small measurement of ``score_files`` against the
equivalent MLlib pipeline on its customer table. This suite runs the same data,
the same two fitted pipelines and the same timing code
(:func:`toolkit.cli.demo.compare_paths`) with the benchmark's repeats, so the
demo's speed-up line can be checked against a figure with its min–max range.

Examples
--------
>>> result = demo_suite(ctx)  # doctest: +SKIP
>>> sorted(result)            # doctest: +SKIP
['mllib_seconds', 'rows', 'runs', 'score_files_seconds', 'speedup', 'speedup_high', 'speedup_low']
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from benchmarks.suites import Context

__all__ = ["demo_suite"]


def demo_suite(ctx: Context) -> dict[str, Any]:
    """Write (or reuse) the demo's tables, fit its scikit-learn pipeline, time both paths."""
    import pandas as pd

    from toolkit.cli.demo import FEATURES, compare_paths, sklearn_pipeline, write_data

    cfg = ctx.config
    rows = cfg.demo_rows
    ctx.display.stage(f"demo: {rows:,} customer rows, {cfg.demo_train_rows:,} training rows")
    train_path, customers = write_data(Path(cfg.workdir) / "demo-data", rows=rows,
                                       train_rows=cfg.demo_train_rows)  # fmt: skip
    train = pd.read_parquet(train_path)
    ctx.display.stage("demo: fitting the scikit-learn and MLlib pipelines (untimed)")
    model = sklearn_pipeline().fit(train[FEATURES], train["churn"])
    outputs = ctx.outdir / "demo"
    outputs.mkdir(parents=True, exist_ok=True)
    found = compare_paths(ctx.spark, model, train_path, customers, outputs, rows=rows,
                          repeat=cfg.repeat, on_sample=ctx.record("demo"))  # fmt: skip
    return {
        "rows": found.rows,
        "runs": found.runs,
        "score_files_seconds": found.seconds,
        "mllib_seconds": found.mllib_seconds,
        "speedup": found.speedup,
        "speedup_low": found.low,
        "speedup_high": found.high,
    }
