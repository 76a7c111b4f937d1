"""Results as files: ``results.json`` (every sample) and ``results.md`` (the tables).

The figures in the tables are derived here from the summaries of one run:
ratio to MLlib = path rows/s / MLlib rows/s (same model, same mode), and
efficiency = path rows/s / (limit rows/s x cores). Nothing is typed in by hand.
Charts live in :mod:`benchmarks.charts`.

Examples
--------
>>> fmt_rate(1_234_567)
'1.23M'
>>> fmt_ratio(None)
'–'
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = ["derive", "fmt_rate", "fmt_ratio", "markdown", "targets", "write_json", "write_markdown"]

LABELS = {
    "mllib": "MLlib transform (+ VectorAssembler)",
    "mllib_no_assembly": "MLlib transform, pre-assembled",
    "score": "toolkit.score (DataFrame)",
    "score_auto": "toolkit.score, engine auto (native where it compiles)",
    "score_onnx": "toolkit.score, engine onnx (onnxruntime in the workers)",
    "score_files": "toolkit.score_files (files)",
    "mlflow_udf": "mlflow spark_udf",
    "predict_batch_udf": "predict_batch_udf",
    "handover_floor": "hand-over floor: features to Python, no model",
    "limit": "limit: 1 process x cores",
}
MODE_TITLES = {
    "files": "Parquet in -> Parquet out",
    "memory": "cached DataFrame -> no-op sink",
}


def fmt_rate(value: float | None) -> str:
    """Rows per second, short."""
    if value is None:
        return "–"
    for unit, size in (("M", 1e6), ("k", 1e3)):
        if value >= size:
            return f"{value / size:.2f}{unit}"
    return f"{value:.0f}"


def fmt_ratio(value: float | None, *, percent: bool = False) -> str:
    if value is None:
        return "–"
    return f"{value:.0%}" if percent else f"{value:.2f}x"


def derive(summaries: list[dict[str, Any]], *, cores: int) -> list[dict[str, Any]]:
    """Add ``ratio_mllib``, ``limit_rows_per_second`` and ``efficiency`` to each summary row.

    Examples
    --------
    >>> rows = [{"model": "m", "mode": "files", "path": "mllib", "rows_per_second": 100.0},
    ...         {"model": "m", "mode": "files", "path": "limit", "rows_per_second": 150.0},
    ...         {"model": "m", "mode": "files", "path": "score", "rows_per_second": 200.0}]
    >>> [(r["path"], r["ratio_mllib"], r["efficiency"]) for r in derive(rows, cores=2)]
    [('mllib', 1.0, 0.3333333333333333), ('limit', 3.0, 1.0), ('score', 2.0, 0.6666666666666666)]
    """
    by_key = {(r["model"], r["mode"], r["path"]): r for r in summaries}
    out = []
    for row in summaries:
        mllib = by_key.get((row["model"], row["mode"], "mllib"))
        limit = by_key.get((row["model"], row["mode"], "limit"))
        limit_rps = limit["rows_per_second"] * cores if limit else None
        # the limit row itself stands for its value times the cores
        rps = limit_rps if row["path"] == "limit" else row["rows_per_second"]
        out.append(row | {
            "ratio_mllib": rps / mllib["rows_per_second"] if mllib else None,
            "limit_rows_per_second": limit_rps,
            "efficiency": rps / limit_rps if limit_rps else None,
        })  # fmt: skip
    return out


TARGETS = (
    # (what, path, against, families, required, measure)
    ("DataFrame path vs MLlib, linear models", "score", "mllib", ("linear",), 1.0, "ratio"),
    ("engine auto vs MLlib, linear models", "score_auto", "mllib", ("linear",), 1.3, "ratio"),
    ("engine auto vs MLlib, k-means", "score_auto", "mllib", ("clustering",), 1.0, "ratio"),
    ("DataFrame path vs MLlib, tree ensembles", "score", "mllib", ("trees",), 2.0, "ratio"),
    ("file path vs MLlib", "score_files", "mllib", None, 3.0, "ratio"),
    ("file path vs the limit", "score_files", "limit", None, 0.85, "efficiency"),
    ("DataFrame path vs mlflow spark_udf", "score", "mlflow_udf", None, 1.3, "ratio"),
)


def targets(derived: list[dict[str, Any]], families: dict[str, str]) -> list[dict[str, Any]]:
    """The issue's targets, judged on the Parquet-in/Parquet-out figures of this run."""
    by_key = {(r["model"], r["path"]): r for r in derived if r["mode"] == "files"}
    out = []
    for what, path, against, wanted, required, kind in TARGETS:
        for model, family in families.items():
            if wanted is not None and family not in wanted:
                continue
            mine, theirs = by_key.get((model, path)), by_key.get((model, against))
            if mine is None or theirs is None:
                continue
            value = (mine["efficiency"] if kind == "efficiency"
                     else mine["rows_per_second"] / theirs["rows_per_second"])  # fmt: skip
            if value is None:
                continue
            out.append({"target": what, "model": model, "measured": value, "required": required,
                        "kind": kind, "met": bool(value >= required)})  # fmt: skip
    return out


def write_json(results: dict[str, Any], path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=1, default=str))
    return path


def write_markdown(results: dict[str, Any], path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(markdown(results))
    return path


def _table(head: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def _mib(peak: dict[str, float], key: str) -> str:
    value = peak.get(key)
    return f"{value:,.0f}" if value else "–"


def _changed_options(cfg: dict[str, Any]) -> str:
    """``--rows 4000000 --models a,b`` for every option that differs from the preset.

    Examples
    --------
    >>> _changed_options({"preset": "quick", "rows": 5, "workdir": "/x"})
    '--rows 5'
    """
    import dataclasses

    from benchmarks.config import preset

    base = dataclasses.asdict(preset(cfg["preset"]))
    shown = []
    for key, value in cfg.items():
        if key in ("preset", "workdir", "out", "progress", "master") or key not in base:
            continue
        default = base[key]
        if isinstance(default, tuple):
            default, value = list(default), list(value)
        if value != default:
            text = ",".join(map(str, value)) if isinstance(value, list) else str(value)
            shown.append(f"--{key.replace('_', '-')} {text}")
    return " ".join(shown)


def markdown(results: dict[str, Any]) -> str:
    """The whole report as Markdown (every figure from ``results``)."""
    meta = results["meta"]
    env, cfg = meta["environment"], meta["config"]
    machine = env.get("machine", {})
    changed = _changed_options(cfg)
    out = [
        f"# scaleout bench ({cfg['preset']}), {meta['started'][:10]}",
        "",
        *([f"Options changed from the preset: {changed}.", ""] if changed else []),
        f"Machine: {machine.get('cores')} cores ({machine.get('cpu') or 'unknown CPU'}), "
        f"{machine.get('memory_gib')} GiB, {machine.get('os')}; Spark master "
        f"`{env.get('spark_master')}`; "
        + ", ".join(f"{k} {v}" for k, v in env.get("versions", {}).items())
        + ".",
        "",
        f"Table: {cfg['rows']:,} rows x {cfg['features']} float features in {cfg['files']} Parquet "
        f"files; models trained outside the timer on {cfg['train_rows']:,} rows. Each figure: "
        f"{cfg.get('warmup', 1)} warm-up round(s), then the median of {cfg['repeat']} runs "
        f"interleaved across paths (min–max beside it). Ratios are measured side by side in "
        f"this run. Run took {meta['seconds']:.0f} s ("
        + ", ".join(f"{k} {v:.0f} s" for k, v in meta.get("phase_seconds", {}).items())
        + ").",
    ]
    out += [f"\n> {note}" for note in meta.get("notes", [])]
    derived = results.get("summary", [])
    for mode in ("files", "memory"):
        rows = [r for r in derived if r["mode"] == mode]
        if not rows:
            continue
        out += ["", f"## Throughput: {MODE_TITLES[mode]}", ""]
        body = []
        for r in rows:
            rps = r["rows_per_second"]
            extra = (
                f" (x{meta['cores']}: {fmt_rate(r['limit_rows_per_second'])})"
                if r["path"] == "limit"
                else ""
            )
            body.append([
                r["model"], LABELS.get(r["path"], r["path"]), fmt_rate(rps) + extra,
                f"{r['min_seconds']:.2f}–{r['max_seconds']:.2f}", fmt_ratio(r["ratio_mllib"]),
                fmt_ratio(r["efficiency"], percent=True),
                _mib(r["peak_memory"], "jvm_mb"), _mib(r["peak_memory"], "python_workers_mb"),
            ])  # fmt: skip
        out += _table(["model", "path", "rows/s", "seconds min–max", "x MLlib", "of limit",
                       "peak JVM MiB", "peak workers MiB"], body)  # fmt: skip
    if results.get("assembly_tax"):
        out += ["", "## VectorAssembler tax (cached DataFrame -> no-op sink)", ""]
        out += _table(["model", "MLlib + assembly rows/s", "MLlib pre-assembled rows/s", "share of MLlib time"],
                      [[t["model"], fmt_rate(t["with_assembly"]), fmt_rate(t["pre_assembled"]),
                        fmt_ratio(t["share"], percent=True)] for t in results["assembly_tax"]])  # fmt: skip
    if results.get("targets"):
        out += ["", "## Targets (Parquet in -> Parquet out)", ""]
        out += _table(["target", "model", "measured", "required", "met"],
                      [[t["target"], t["model"], fmt_ratio(t["measured"], percent=t["kind"] == "efficiency"),
                        fmt_ratio(t["required"], percent=t["kind"] == "efficiency"),
                        "yes" if t["met"] else "**no**"] for t in results["targets"]])  # fmt: skip
    if results.get("agreement"):
        out += [
            "",
            "## Agreement",
            "",
            "Our paths and the peers run the same scikit-learn model and must reproduce its "
            "local `predict` row for row; MLlib is a different library, so it gets a sanity "
            "check (comparable quality, every row present) instead of equality.",
            "",
        ]
        out += _table(["model", "path", "mode", "check", "result"],
                      [[a["model"], a["path"], a["mode"], a["rule"], a["result"]]
                       for a in results["agreement"]])  # fmt: skip
    if results.get("cold"):
        out += ["", "## Cold start (a fresh process: Spark start, then the first run)", ""]
        out += _table(["model", "path", "Spark start s", "prepare s", "first run s", "second run s"],
                      [[c["model"], LABELS.get(c["path"], c["path"]), f"{c['session_seconds']:.1f}",
                        f"{c['prepare_seconds']:.1f}", f"{c['first_seconds']:.2f}",
                        f"{c['second_seconds']:.2f}"] for c in results["cold"]])  # fmt: skip
    if results.get("scaling"):
        out += ["", f"## Scaling ({cfg['scaling_model']}, Parquet in -> Parquet out)", ""]
        out += _table(["rows", "path", "rows/s", "x MLlib"],
                      [[f"{s['rows']:,}", LABELS.get(s["path"], s["path"]), fmt_rate(s["rows_per_second"]),
                        fmt_ratio(s.get("ratio_mllib"))] for s in results["scaling"]])  # fmt: skip
    demo = results.get("demo")
    if demo:
        out += [
            "",
            "## The demo's model (`scaleout demo`: one-hot + scaling + logistic regression)",
            "",
            f"{demo['rows']:,} customer rows, Parquet in -> Parquet out, probabilities kept with "
            f"`id`; the demo's own timing code with {demo['runs']} timed run(s) per path.",
            "",
        ]
        out += _table(["path", "seconds (median)", "rows/s", "speed-up vs MLlib (min–max)"],
                      [["toolkit.score_files", f"{demo['score_files_seconds']:.2f}",
                        fmt_rate(demo["rows"] / demo["score_files_seconds"]),
                        f"{fmt_ratio(demo['speedup'])} ({demo['speedup_low']:.2f}–{demo['speedup_high']:.2f})"],
                       ["MLlib transform", f"{demo['mllib_seconds']:.2f}",
                        fmt_rate(demo["rows"] / demo["mllib_seconds"]), "1.00x"]])  # fmt: skip
    if results.get("latency"):
        out += _latency(results["latency"])
    if results.get("tuning"):
        from benchmarks.tuning_suite import tuning_markdown

        out += tuning_markdown(results["tuning"])
    ops = results.get("pandas_ops")
    if ops:
        out += [
            "",
            "## pandas vs adapters.pandas (spark) vs pyspark.pandas",
            "",
            "Seconds per operation (median), each backend starting from a loaded frame and "
            "ending with a small pandas result; `spark/pandas` > 1 means pandas is faster. "
            "The adapter changes pandas-on-Spark's classes when first used, so raw "
            "pandas-on-Spark is timed first and the adapter after it: the overhead compares "
            "two consecutive phases and carries any drift between them (the pandas column of "
            "each phase is in results.json).",
            "",
        ]
        out += _table(["op", "rows", "pandas s", "pyspark.pandas s", "adapters.pandas s",
                       "spark/pandas", "adapter overhead"],
                      [[o["op"], f"{o['rows']:,}", _s(o["pandas_seconds"]), _s(o["pyspark_pandas_seconds"]),
                        _s(o["adapter_seconds"]), fmt_ratio(o["spark_vs_pandas"]),
                        "–" if o["adapter_overhead"] is None else f"{o['adapter_overhead']:+.0%}"]
                       for o in ops["rows"]])  # fmt: skip
        out += [f"\n> {note}" for note in ops.get("notes", [])]
    out += ["", "## Threads", "", _threads(env), ""]
    return "\n".join(out)


def _latency(found: dict[str, Any]) -> list[str]:
    """The latency section (``--suites latency``, :mod:`benchmarks.latency`)."""
    out = [
        "",
        f"## Real-time latency (`scaleout serve`, {found['method']})",
        "",
        f"{found['model']}. Per row: {found['warmup']:,} warm-up requests, then "
        f"{found['requests']:,} timed, one client; `in_process` = JSON body -> parse -> "
        "runtime, `http` = POST /predict to a `scaleout serve` child on 127.0.0.1, keep-alive.",
        "",
    ]
    out += _table(["runtime", "mode", "rows/request", "p50 µs", "p99 µs", "p99.9 µs", "requests"],
                  [[r["runtime"], r["mode"], str(r["batch"]), f"{r['p50_us']:,.0f}",
                    f"{r['p99_us']:,.0f}", f"{r['p999_us']:,.0f}", f"{r['requests']:,}"]
                   for r in found["rows"]])  # fmt: skip
    if found.get("throughput"):
        out += ["", f"Throughput, {found['clients']} concurrent clients over HTTP:", ""]
        out += _table(["runtime", "rows/request", "requests/s", "rows/s", "p50 µs", "p99 µs"],
                      [[t["runtime"], str(t["batch"]), f"{t['requests_per_second']:,.0f}",
                        fmt_rate(t["rows_per_second"]), f"{t['p50_us']:,.0f}", f"{t['p99_us']:,.0f}"]
                       for t in found["throughput"]])  # fmt: skip
    if found.get("targets"):
        out += [""]
        out += _table(["target", "measured µs", "required µs", "met"],
                      [[t["target"], f"{t['measured_us']:,.0f}", f"< {t['required_us']:,.0f}",
                        "yes" if t["met"] else "**no**"] for t in found["targets"]])  # fmt: skip
    return out + [f"\n> {note}" for note in found.get("notes", [])]


def _s(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def _threads(env: dict[str, Any]) -> str:
    lines = []
    for where in ("driver", "worker"):
        seen = env.get(f"threads_{where}") or {}
        if "error" in seen:
            lines.append(f"- {where}: not captured ({seen['error']})")
            continue
        pools = ", ".join(f"{p.get('internal_api')} {p.get('num_threads')} thread(s)"
                          + (f" [{p['architecture']}]" if p.get("architecture") else "")
                          for p in seen.get("threadpools", []))  # fmt: skip
        variables = ", ".join(f"{k}={v}" for k, v in seen.get("env", {}).items() if v is not None)
        lines.append(
            f"- {where}: {variables or 'no thread variables set'}; pools: {pools or 'none'}"
        )
    return "\n".join(lines)
