"""The measuring suites: scoring (per model, every path and mode), scaling and cold start.

Each suite builds :class:`benchmarks.protocol.Task` objects from the paths,
hands them to :func:`benchmarks.protocol.measure`, and checks every path's
predictions right after its warm-up (:mod:`benchmarks.agreement`), so a path
that disagrees stops the run before any of its timings are taken.

Examples
--------
>>> out = scoring_suite(ctx, fitted, table, frame)  # doctest: +SKIP
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.agreement import check_agreement, check_rows, check_sanity, reference
from benchmarks.catalog import make_path
from benchmarks.config import BenchConfig
from benchmarks.data import Table, read_table
from benchmarks.display import Display
from benchmarks.memory import MemorySampler
from benchmarks.models import Fitted
from benchmarks.paths import Case
from benchmarks.protocol import Sample, Task, measure

__all__ = ["Context", "JVM_WARMUP_RUNS", "cold_suite", "scaling_suite", "scoring_suite",
           "task_count", "warm_jvm"]  # fmt: skip

#: Untimed Parquet-to-Parquet runs of the table (no model) before the first model's rounds.
#: The cold suite leaves a fresh JVM behind, and a fresh JVM kept speeding up for about ten
#: runs: without these the first model's paths ran ~20% slower than the same paths later.
JVM_WARMUP_RUNS = 10


@dataclass
class Context:
    """What every suite shares: the options, the session, the display, and what was found."""

    config: BenchConfig
    spark: Any
    cores: int
    display: Display
    sampler: MemorySampler
    samples: list[dict[str, Any]] = field(default_factory=list)
    agreement: list[dict[str, Any]] = field(default_factory=list)
    tracking_uri: str | None = None

    @property
    def outdir(self) -> Path:
        return Path(self.config.workdir) / "out"

    def record(self, suite: str):
        def on_sample(sample: Sample) -> None:
            self.samples.append(sample.to_dict() | {"suite": suite})
            self.display.advance(f"{sample.model} · {sample.path} · {sample.mode} "
                                 f"[{sample.phase}]", sample.seconds)  # fmt: skip

        return on_sample


def task_count(config: BenchConfig) -> int:
    """How many runs the whole benchmark makes (for the progress bar)."""
    per_model = sum(1 for mode in config.modes for name in config.paths
                    if mode in make_path(name).modes)  # fmt: skip
    total = 0
    if "scoring" in config.suites:
        total += len(config.models) * per_model * (1 + config.repeat)
    if "scaling" in config.suites:
        total += len(config.scaling_rows) * len(config.scaling_paths) * (1 + config.repeat)
    if "demo" in config.suites:
        total += 2 * (1 + config.repeat)
    if "pandas_ops" in config.suites:
        from benchmarks.pandas_ops import OPS

        total += 4 * len(config.pandas_sizes) * len(OPS) * (1 + config.pandas_repeat)
    return total


def _checker(ctx: Context, case: Case, paths: dict[str, Any], ref: Any, *, suite: str):
    def check(task: Task) -> None:
        path = paths[task.path]
        got = path.predictions(case, task.mode)
        what = f"{path.label} ({task.mode}) on {task.model}"
        if suite == "scaling":
            what += f" at {task.rows:,} rows"
        if path.kind == "floor":
            result = check_rows(got, ref, what=what)
            rule, shown = result["rule"], f"ok: {result['rows']:,} rows"
        elif path.kind == "mllib":
            result = check_sanity(got, ref, metric=case.fitted.spec.metric, what=what)
            rule = f"sanity: {result['rule']}"
            shown = (
                f"ok: {result['metric']} {result['mllib']:.4f} (sklearn {result['sklearn']:.4f})"
            )
        else:
            result = check_agreement(got, ref, what=what)
            rule = f"equal to sklearn predict, {result['rule']}"
            shown = f"ok: {result['rows']:,} rows" + (
                "" if result["exact"] else f", max diff {result['max_abs_diff']:.1e}"
            )
        ctx.agreement.append({**result, "suite": suite, "model": task.model, "path": task.path,
                              "mode": task.mode, "rows": task.rows, "rule": rule,
                              "result": shown})  # fmt: skip

    return check


def _prepare(ctx: Context, case: Case, names: list[str]) -> dict[str, Any]:
    paths = {}
    for name in names:
        ctx.display.stage(f"{case.fitted.name} · preparing {name}")
        path = make_path(name)
        path.prepare(case)
        paths[name] = path
    return paths


def warm_jvm(ctx: Context, table: Table) -> None:
    """Read the table and write it as Parquet :data:`JVM_WARMUP_RUNS` times (untimed)."""
    ctx.display.stage(f"warming the JVM: {JVM_WARMUP_RUNS} untimed runs of the table")
    out = str(ctx.outdir / "jvm-warmup")
    for _ in range(JVM_WARMUP_RUNS):
        ctx.spark.read.parquet(str(table.path)).write.mode("overwrite").parquet(out)


def scoring_suite(
    ctx: Context, fitted: Fitted, table: Table, frame: Any, *, cached: Any, assembled: Any
) -> list[Sample]:
    """Every selected path and mode on one model, interleaved; checked after the warm-up."""
    cfg = ctx.config
    case = Case(ctx.spark, table, fitted, ctx.outdir, ctx.cores, cached=cached,
                assembled=assembled)  # fmt: skip
    paths = _prepare(ctx, case, list(cfg.paths))
    tasks = [
        Task(fitted.name, name, mode, table.rows, functools.partial(path.run, case, mode))
        for mode in cfg.modes
        for name, path in paths.items()
        if mode in path.modes
    ]
    ref = reference(fitted.sklearn, frame, features=fitted.features, target=fitted.spec.target)
    try:
        check = _checker(ctx, case, paths, ref, suite="scoring")
        return measure(tasks, warmup=cfg.warmup, repeat=cfg.repeat, after_warmup=check,
                       on_sample=ctx.record("scoring"), sampler=ctx.sampler)  # fmt: skip
    finally:
        for path in paths.values():
            path.close(case)


def scaling_suite(ctx: Context, fitted: Fitted, tables: list[Table]) -> list[Sample]:
    """Our paths and MLlib on tables of growing size (Parquet in -> out), interleaved."""
    cfg = ctx.config
    tasks, checks, opened = [], {}, []
    for table in tables:
        case = Case(ctx.spark, table, fitted, ctx.outdir / f"scaling-{table.rows}", ctx.cores)
        paths = _prepare(ctx, case, [p for p in cfg.scaling_paths if "files" in make_path(p).modes])
        opened += [(path, case) for path in paths.values()]
        frame = read_table(table, columns=["id", *fitted.features, "label", "target"])
        ref = reference(fitted.sklearn, frame, features=fitted.features, target=fitted.spec.target)
        del frame
        checks[table.rows] = _checker(ctx, case, paths, ref, suite="scaling")
        tasks += [Task(fitted.name, name, "files", table.rows, functools.partial(path.run, case, "files"))
                  for name, path in paths.items()]  # fmt: skip

    def check(task: Task) -> None:
        checks[task.rows](task)

    try:
        return measure(tasks, warmup=cfg.warmup, repeat=cfg.repeat, after_warmup=check,
                       on_sample=ctx.record("scaling"), sampler=ctx.sampler)  # fmt: skip
    finally:
        for path, case in opened:
            path.close(case)


def cold_suite(
    ctx: Context, fitted: Fitted, table: Table, *, models_dir: Path
) -> list[dict[str, Any]]:
    """Each cold path in a fresh process (Spark start, first run, second run), output checked."""
    from benchmarks.cold import child_target, run_cold

    cfg = ctx.config
    results = []
    names = [n for n in cfg.cold_paths
             if n in cfg.paths and "files" in make_path(n).modes and n != "limit"]  # fmt: skip
    if not names:
        return results
    frame = read_table(table, columns=["id", *fitted.features, "label", "target"])
    ref = reference(fitted.sklearn, frame, features=fitted.features, target=fitted.spec.target)
    case = Case(ctx.spark, table, fitted, ctx.outdir / "cold", ctx.cores)
    check = _checker(ctx, case, {n: make_path(n) for n in names}, ref, suite="cold")
    for name in names:
        ctx.display.stage(f"cold start · {fitted.name} · {name} (fresh process)")
        spec = {
            "path": name, "model": fitted.name, "table": str(table.path), "rows": table.rows,
            "features": table.features, "files": table.files, "seed": table.seed,
            "models_dir": str(models_dir), "outdir": str(ctx.outdir / "cold"),
            **child_target(ctx.spark, cfg.master), "mlflow_uri": fitted.mlflow_uri,
            "tracking_uri": ctx.tracking_uri,
        }  # fmt: skip
        result = run_cold(spec)
        check(Task(fitted.name, name, "files", table.rows, lambda: None))  # what the child wrote
        results.append(result)
        ctx.samples.append({"suite": "cold", "model": fitted.name, "path": name, "mode": "files",
                            "phase": "cold", "round": 0, "rows": table.rows,
                            "seconds": result["first_seconds"], "memory": {},
                            "rows_per_second": table.rows / result["first_seconds"],
                            "detail": result})  # fmt: skip
        ctx.display.log(
            f"cold start {name}: Spark {result['session_seconds']:.1f}s, first run "
            f"{result['first_seconds']:.2f}s, second {result['second_seconds']:.2f}s"
        )
    return results
