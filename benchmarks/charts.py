"""PNG charts of one run (matplotlib, no display needed).

- ``throughput.png``: rows/s per model and path, one panel per mode, whiskers
  spanning the slowest and fastest timed run;
- ``scaling.png``: rows/s against table size for our paths and MLlib;
- ``pandas_ops.png``: seconds per operation and backend at each size.

Examples
--------
>>> written = write_charts(results, "bench-results")  # doctest: +SKIP
>>> [p.name for p in written]                         # doctest: +SKIP
['throughput.png', 'scaling.png', 'pandas_ops.png']
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from benchmarks.report import LABELS, MODE_TITLES

__all__ = ["write_charts"]

COLOURS = {
    "mllib": "#7f7f7f", "mllib_no_assembly": "#c7c7c7", "score": "#1f77b4",
    "score_auto": "#aec7e8", "score_onnx": "#17becf",
    "score_files": "#2ca02c", "mlflow_udf": "#ff7f0e", "predict_batch_udf": "#9467bd",
    "handover_floor": "#e7e7e7", "limit": "#d62728",
}  # fmt: skip


def write_charts(results: dict[str, Any], out: str | Path) -> list[Path]:
    """Write every chart the results have data for; return their paths.

    Raises :class:`toolkit.MissingDependencyError` without matplotlib.
    """
    import matplotlib  # a core dependency

    matplotlib.use("Agg", force=True)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    if results.get("summary"):
        written.append(_throughput(results, out / "throughput.png"))
    if results.get("scaling"):
        written.append(_scaling(results, out / "scaling.png"))
    if results.get("pandas_ops", {}).get("rows"):
        written.append(_pandas_ops(results, out / "pandas_ops.png"))
    return written


def _throughput(results: dict[str, Any], target: Path) -> Path:
    import matplotlib.pyplot as plt
    import numpy as np

    rows = results["summary"]
    modes = [m for m in MODE_TITLES if any(r["mode"] == m for r in rows)]
    fig, axes = plt.subplots(len(modes), 1, figsize=(11, 4.2 * len(modes)), squeeze=False)
    for ax, mode in zip(axes[:, 0], modes, strict=True):
        mine = [r for r in rows if r["mode"] == mode]
        models = list(dict.fromkeys(r["model"] for r in mine))
        paths = [p for p in COLOURS if any(r["path"] == p for r in mine)]
        width = 0.8 / max(1, len(paths))
        for i, path in enumerate(paths):
            xs, ys, lo, hi = [], [], [], []
            for j, model in enumerate(models):
                found = [r for r in mine if r["model"] == model and r["path"] == path]
                if not found:
                    continue
                r = found[0]
                scale = results["meta"]["cores"] if path == "limit" else 1
                rps = r["rows_per_second"] * scale
                xs.append(j + (i - (len(paths) - 1) / 2) * width)
                ys.append(rps)
                lo.append(rps - r["rows"] * scale / r["max_seconds"])
                hi.append(r["rows"] * scale / r["min_seconds"] - rps)
            label = LABELS.get(path, path) if path != "limit" else "limit (1 process x cores)"
            ax.bar(xs, ys, width, yerr=[lo, hi], capsize=2, label=label, color=COLOURS[path])
        ax.set_xticks(np.arange(len(models)), models)
        ax.set_ylabel("rows / second")
        ax.set_title(MODE_TITLES[mode])
        ax.grid(axis="y", alpha=0.3)
        ax.legend(fontsize=8, ncols=2)
    return _save(fig, results, target)


def _scaling(results: dict[str, Any], target: Path) -> Path:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4.5))
    points = results["scaling"]
    for path in COLOURS:
        mine = sorted((s["rows"], s["rows_per_second"]) for s in points if s["path"] == path)
        if mine:
            ax.plot(*zip(*mine, strict=True), marker="o", label=LABELS.get(path, path),
                    color=COLOURS[path])  # fmt: skip
    ax.set_xscale("log")
    ax.set_xlabel("rows in the table")
    ax.set_ylabel("rows / second")
    ax.set_title(f"Scaling: {results['meta']['config']['scaling_model']}, Parquet in -> out")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return _save(fig, results, target)


def _pandas_ops(results: dict[str, Any], target: Path) -> Path:
    import matplotlib.pyplot as plt
    import numpy as np

    rows = results["pandas_ops"]["rows"]
    sizes = list(dict.fromkeys(r["rows"] for r in rows))
    fig, axes = plt.subplots(1, len(sizes), figsize=(5.5 * len(sizes), 4), squeeze=False)
    series = (("pandas_seconds", "pandas"), ("pyspark_pandas_seconds", "pyspark.pandas"),
              ("adapter_seconds", "adapters.pandas (spark)"))  # fmt: skip
    for ax, size in zip(axes[0], sizes, strict=True):
        mine = [r for r in rows if r["rows"] == size]
        x = np.arange(len(mine))
        for i, (key, label) in enumerate(series):
            ax.bar(x + (i - 1) * 0.27, [r[key] or 0 for r in mine], 0.27, label=label)
        ax.set_xticks(x, [r["op"] for r in mine], rotation=30)
        ax.set_yscale("log")
        ax.set_ylabel("seconds (log)")
        ax.set_title(f"{size:,} rows")
        ax.grid(axis="y", alpha=0.3)
    axes[0][0].legend(fontsize=8)
    return _save(fig, results, target)


def _save(fig: Any, results: dict[str, Any], target: Path) -> Path:
    """Caption the figure with the run's date and cores, write it to ``target``, close it."""
    import matplotlib.pyplot as plt

    meta = results["meta"]
    machine = meta["environment"].get("machine", {})
    fig.text(0.99, 0.005, f"scaleout bench {meta['started'][:10]}, {machine.get('cores')} cores",
             ha="right", va="bottom", fontsize=7, color="#666666")  # fmt: skip
    fig.tight_layout()
    fig.savefig(target, dpi=110)
    plt.close(fig)
    return target
