"""One benchmark run from start to finish: data, models, suites, results on disk.

Order: write (or reuse) the table, fit both libraries' models on a sample
(outside every timer), log the models to a local MLflow store in the work
directory, capture the environment, time cold starts in fresh processes, then
the scoring suite model by model (cached input for memory mode), the scaling
suite, the opt-in demo, latency and tuning suites, and the pandas suite. A run of only
suites that bring their own data (demo, latency, tuning, pandas_ops) writes no table and
fits no model. Results: ``results.json``, ``results.md`` and PNG charts in
``config.out``.

Examples
--------
>>> from benchmarks.config import preset
>>> results = run_bench(preset("quick", rows=20_000, repeat=1))  # doctest: +SKIP
>>> sorted(results["files"])                                      # doctest: +SKIP
['json', 'markdown', 'png']
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from benchmarks.config import BenchConfig
from benchmarks.data import ensure_table, read_table
from benchmarks.display import Display
from benchmarks.memory import MemorySampler
from benchmarks.protocol import summarize
from benchmarks.suites import (
    Context,
    cold_suite,
    scaling_suite,
    scoring_suite,
    task_count,
    warm_jvm,
)
from toolkit.files.jobs import cores

__all__ = ["TABLE_SUITES", "run_bench"]

#: The suites that read the benchmark table and its fitted models; the others (``demo``,
#: ``latency``, ``tuning``, ``pandas_ops``) bring their own data, so a run of only those
#: writes and fits nothing.
TABLE_SUITES = ("scoring", "cold", "scaling")


def run_bench(config: BenchConfig, *, spark: Any = None) -> dict[str, Any]:
    """Run the benchmark described by ``config``; write and return the results.

    ``spark``: an existing session to use (default: a new ``toolkit.session.api``, stopped at
    the end).
    """
    import toolkit as tk

    started, clock = datetime.now(timezone.utc), time.perf_counter()
    workdir = Path(config.workdir).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    config = config.replace(workdir=workdir)
    notes: list[str] = []
    with Display(enabled=config.progress, total=task_count(config)) as show, \
            contextlib.ExitStack() as stack:  # fmt: skip
        show.stage("starting Spark")
        own = spark is None
        if own:
            spark = tk.session(config.master, app_name="scaleout-bench")
        ctx = Context(config, spark, cores(spark), show, MemorySampler())
        if own:
            stack.callback(lambda: ctx.spark.stop())  # the session may be restarted for cold
        fitted: dict[str, Any] = {}
        table = None
        if set(config.suites) & set(TABLE_SUITES):  # the others bring their own data
            show.stage(f"data: {config.rows:,} rows x {config.features} features")
            table = ensure_table(workdir, rows=config.rows, features=config.features,
                                 files=config.files, seed=config.seed)  # fmt: skip
            fitted, sample = _fit(ctx, table)
            if "mlflow_udf" in config.paths and fitted:
                ctx.tracking_uri = _log_models(ctx, stack, fitted, sample)
            del sample
        else:
            notes.append(
                "No benchmark table was written or fitted: the suites run bring their "
                "own data, so the table line above describes the options only."
            )
        show.stage("capturing the environment")
        from benchmarks.environment import capture

        environment = capture(spark)
        if environment["threads_driver"]["env"].get("OPENBLAS_CORETYPE"):
            notes.append(
                "OPENBLAS_CORETYPE is set, which can make numpy use a slower kernel; to measure "
                "the hardware, run with `env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE`."
            )
        results: dict[str, Any] = {"training": _training(fitted)}
        phases = {"setup": time.perf_counter() - clock}
        first = next(iter(fitted.values()), None)
        if "cold" in config.suites and first is not None:
            with _timed(phases, "cold"):
                results["cold"] = _cold(ctx, first, table, own=own, notes=notes)
            spark = ctx.spark
        if "scoring" in config.suites and fitted:
            with _timed(phases, "scoring"):
                results.update(_scoring(ctx, fitted, table))
        if "scaling" in config.suites and config.scaling_rows:
            with _timed(phases, "scaling"):
                results["scaling"] = _scaling(ctx, fitted, table)
        if "demo" in config.suites:
            from benchmarks.demo_suite import demo_suite

            with _timed(phases, "demo"):
                results["demo"] = demo_suite(ctx)
        if "latency" in config.suites:
            from benchmarks.latency import latency_suite

            with _timed(phases, "latency"):
                results["latency"] = latency_suite(ctx)
        if "tuning" in config.suites:
            from benchmarks.tuning_suite import tuning_suite

            with _timed(phases, "tuning"):
                results["tuning"] = tuning_suite(ctx)
        if "pandas_ops" in config.suites:
            from benchmarks.pandas_ops import run_pandas_ops

            show.stage("pandas operations")
            with _timed(phases, "pandas_ops"):
                ops = run_pandas_ops(spark, workdir, sizes=config.pandas_sizes,
                                     repeat=config.pandas_repeat, seed=config.seed,
                                     on_sample=ctx.record("pandas_ops"))  # fmt: skip
            results["pandas_ops"] = {"rows": ops["rows"], "notes": ops["notes"]}
        show.stage("writing results")
    results["meta"] = {
        "started": started.isoformat(timespec="seconds"),
        "seconds": time.perf_counter() - clock,
        "config": _plain_config(config),
        "environment": environment,
        "cores": ctx.cores,
        "phase_seconds": phases,
        "notes": notes,
    }
    results["samples"] = ctx.samples
    results["agreement"] = ctx.agreement
    results["files"] = _write(results, Path(config.out))
    return results


@contextlib.contextmanager
def _timed(phases: dict[str, float], name: str):
    began = time.perf_counter()
    try:
        yield
    finally:
        phases[name] = time.perf_counter() - began


def _cold(ctx: Context, first: Any, table: Any, *, own: bool, notes: list[str]) -> Any:
    """The cold suite; on a cluster this run's own session steps aside meanwhile.

    A cold child is a new Spark application: on a standalone cluster it would wait
    for the cores this run's application holds, so that session is stopped for the
    cold runs and started again after them.
    """
    import toolkit as tk
    from benchmarks.cold import child_target, holds_cluster

    if not holds_cluster(ctx.spark):
        return cold_suite(ctx, first, table, models_dir=first.sklearn_path.parent)
    if not own:
        notes.append("cold start skipped: the given session holds the cluster's cores.")
        return []
    master = child_target(ctx.spark, ctx.config.master)["master"]
    ctx.config = ctx.config.replace(master=master)
    ctx.spark.stop()
    try:
        return cold_suite(ctx, first, table, models_dir=first.sklearn_path.parent)
    finally:
        ctx.spark = tk.session(master, app_name="scaleout-bench")


def _fit(ctx: Context, table: Any) -> tuple[dict[str, Any], Any]:
    from benchmarks.models import fit_models

    cfg = ctx.config
    names = list(cfg.models)
    if "scaling" in cfg.suites and cfg.scaling_model not in names:
        names.append(cfg.scaling_model)
    sample = read_table(table, rows=min(cfg.train_rows, table.rows))
    fitted = fit_models(names, sample, features=table.feature_names, spark=ctx.spark,
                        directory=Path(cfg.workdir) / "models", seed=cfg.seed,
                        key=f"{table.path.name}-{len(sample)}",
                        on_fit=lambda name: ctx.display.stage(f"training {name} (untimed)"))  # fmt: skip
    for name, model in fitted.items():
        how = (
            "reused from an earlier run"
            if model.train_seconds.get("reused")
            else "trained (untimed)"
        )
        ctx.display.log(
            f"{name}: {how}; scikit-learn {model.train_seconds['sklearn']:.1f}s, "
            f"MLlib {model.train_seconds['mllib']:.1f}s ({model.spec.note})"
        )
    return fitted, sample


def _log_models(
    ctx: Context, stack: contextlib.ExitStack, fitted: dict[str, Any], sample: Any
) -> str:
    from benchmarks.peers import local_store, log_model

    uri = stack.enter_context(local_store(ctx.config.workdir))
    for name, model in fitted.items():
        ctx.display.stage(f"logging {name} to MLflow (untimed)")
        log_model(model, sample)
    return uri


def _training(fitted: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"model": name, **m.train_seconds, "note": m.spec.note} for name, m in fitted.items()]


def _scoring(ctx: Context, fitted: dict[str, Any], table: Any) -> dict[str, Any]:
    from benchmarks.report import derive

    cfg = ctx.config
    frame = read_table(table, columns=["id", *table.feature_names, "label", "target"])
    cached = assembled = None
    if "memory" in cfg.modes:
        ctx.display.stage("caching the table in Spark (untimed)")
        cached = ctx.spark.read.parquet(str(table.path)).cache()
        cached.count()
        if "mllib_no_assembly" in cfg.paths:
            some = next(iter(fitted.values()))
            assembled = some.assembler().transform(cached).select("id", "features").cache()
            assembled.count()
    warm_jvm(ctx, table)
    samples = []
    try:
        for name in cfg.models:
            samples += scoring_suite(ctx, fitted[name], table, frame, cached=cached,
                                     assembled=assembled)  # fmt: skip
    finally:
        for df in (cached, assembled):
            if df is not None:
                df.unpersist()
    summary = derive([s.to_dict() for s in summarize(samples)], cores=ctx.cores)
    from benchmarks.report import targets

    tax = []
    for name in cfg.models:
        rows = {r["path"]: r for r in summary if r["model"] == name and r["mode"] == "memory"}
        if "mllib" in rows and "mllib_no_assembly" in rows:
            full, bare = rows["mllib"], rows["mllib_no_assembly"]
            share = 1 - full["rows_per_second"] / bare["rows_per_second"]
            tax.append({"model": name, "with_assembly": full["rows_per_second"],
                        "pre_assembled": bare["rows_per_second"], "share": share})  # fmt: skip
    families = {name: fitted[name].spec.family for name in cfg.models}
    return {"summary": summary, "assembly_tax": tax, "targets": targets(summary, families)}


def _scaling(ctx: Context, fitted: dict[str, Any], table: Any) -> list[dict[str, Any]]:
    cfg = ctx.config
    tables = []
    for rows in cfg.scaling_rows:
        ctx.display.stage(f"data: {rows:,} rows for the scaling chart")
        tables.append(ensure_table(cfg.workdir, rows=rows, features=cfg.features,
                                   files=cfg.files, seed=cfg.seed))  # fmt: skip
    samples = scaling_suite(ctx, fitted[cfg.scaling_model], tables)
    out = [s.to_dict() for s in summarize(samples)]
    mllib = {s["rows"]: s["rows_per_second"] for s in out if s["path"] == "mllib"}
    return [s | {"ratio_mllib": s["rows_per_second"] / mllib[s["rows"]] if s["rows"] in mllib
                 else None} for s in out]  # fmt: skip


def _plain_config(config: BenchConfig) -> dict[str, Any]:
    return {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(config).items()}


def _write(results: dict[str, Any], out: Path) -> dict[str, Any]:
    from benchmarks.report import write_json, write_markdown

    files: dict[str, Any] = {
        "json": str(write_json(results, out / "results.json")),
        "markdown": str(write_markdown(results, out / "results.md")),
    }
    try:
        from benchmarks.charts import write_charts

        files["png"] = [str(p) for p in write_charts(results, out)]
    except ImportError as exc:  # MissingDependencyError is an ImportError
        files["png"] = []
        results["meta"]["notes"].append(str(exc))
        write_markdown(results, out / "results.md")
    write_json(results | {"files": files}, out / "results.json")
    return files
