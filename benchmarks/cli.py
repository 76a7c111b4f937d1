"""Command line of the benchmark: ``python -m benchmarks`` and ``scaleout bench``.

Examples
--------
$ scaleout bench                       # --quick: about 10 minutes on 2 cores
$ scaleout bench --full --out results/
$ scaleout bench --rows 100000 --models gbt,kmeans --paths mllib,score,score_files --repeat 3
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from benchmarks.config import MODELS, MODES, PATHS, SUITES, BenchConfig, preset

__all__ = ["config_from_args", "main", "parser"]


def _names(allowed: Sequence[str]):
    def parse(text: str) -> tuple[str, ...]:
        names = tuple(n.strip() for n in text.split(",") if n.strip())
        unknown = [n for n in names if n not in allowed]
        if unknown:
            raise argparse.ArgumentTypeError(
                f"unknown {', '.join(unknown)}; choose from {', '.join(allowed)}"
            )
        return names

    return parse


def _count(text: str) -> int:
    """A whole number, also written ``1e6`` or ``250_000``."""
    try:
        value = float(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if value != int(value):
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}")
    return int(value)


def _ints(text: str) -> tuple[int, ...]:
    try:
        return tuple(_count(n) for n in text.split(",") if n.strip())
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f"expected numbers separated by commas, got {text!r}"
        ) from None


def parser(prog: str = "python -m benchmarks") -> argparse.ArgumentParser:
    """The option parser (shared by ``scaleout bench``)."""
    p = argparse.ArgumentParser(
        prog=prog,
        description="Batch-scoring throughput of scaleout against MLlib, peers and the hardware "
        "limit, plus pandas vs adapters.pandas vs pyspark.pandas. Writes results.json, "
        "results.md and PNG charts.",
    )
    size = p.add_mutually_exclusive_group()
    size.add_argument(
        "--quick",
        dest="preset",
        action="store_const",
        const="quick",
        help="600k rows, Parquet in and out, 3 warm-up rounds, 5 timed: ~10 min on 2 cores (default)",
    )
    size.add_argument(
        "--full",
        dest="preset",
        action="store_const",
        const="full",
        help="2M rows, both modes, every path, 5 repeats, scaling to 4M rows",
    )
    p.add_argument("--rows", type=_count, help="rows in the table (quick 600k, full 2M)")
    p.add_argument("--features", type=_count, help="float feature columns (default 20)")
    p.add_argument("--files", type=_count, help="Parquet files the table is split into")
    p.add_argument("--train-rows", type=_count, help="rows both libraries train on (untimed)")
    p.add_argument("--warmup", type=_count, help="untimed rounds before the timed ones (default 3)")
    p.add_argument("--repeat", type=_count, help="timed runs per path after the warm-up")
    p.add_argument("--models", type=_names(MODELS), help=f"comma-separated: {','.join(MODELS)}")
    p.add_argument("--paths", type=_names(PATHS), help=f"comma-separated: {','.join(PATHS)}")
    p.add_argument(
        "--modes", type=_names(MODES), help="files (Parquet in/out), memory (cached -> noop)"
    )
    p.add_argument(
        "--suites",
        type=_names(SUITES),
        help=f"comma-separated: {','.join(SUITES)} (default: all but demo, latency, tuning)",
    )
    p.add_argument("--skip", type=_names(SUITES), default=(), help="suites to leave out")
    p.add_argument("--scaling-rows", type=_ints, help="table sizes for the scaling chart")
    p.add_argument("--scaling-model", choices=MODELS, help="model for the scaling chart")
    p.add_argument("--pandas-sizes", type=_ints, help="two frame sizes for the pandas suite")
    p.add_argument("--demo-rows", type=_count, help="rows the demo suite scores (default 2M)")
    p.add_argument("--demo-train-rows", type=_count, help="demo suite training rows (default 200k)")
    p.add_argument(
        "--latency-requests", type=_count, help="timed requests per latency row (default 2,000)"
    )
    p.add_argument("--tuning-candidates", type=_count, help="tuning suite candidates (default 24)")
    p.add_argument(
        "--workdir",
        type=Path,
        help="where data, models and outputs live (reused; default ~/.cache/scaleout/bench)",
    )
    p.add_argument("--out", type=Path, help="where results go (default ./bench-results)")
    p.add_argument("--master", help="Spark master (default: SPARK_MASTER or local[*])")
    p.add_argument("--seed", type=_count, help="data and model seed")
    p.add_argument("--quiet", action="store_true", help="no progress display")
    p.set_defaults(preset="quick")
    return p


def config_from_args(args: argparse.Namespace) -> BenchConfig:
    """Options -> :class:`BenchConfig` (the preset first, explicit options on top).

    Examples
    --------
    >>> config_from_args(parser().parse_args(["--rows", "1000", "--skip", "cold"])).suites
    ('scoring', 'scaling', 'pandas_ops')
    """
    fields = ("rows", "features", "files", "train_rows", "warmup", "repeat", "models", "paths", "modes",
              "suites", "scaling_rows", "scaling_model", "pandas_sizes", "demo_rows",
              "demo_train_rows", "latency_requests", "tuning_candidates", "workdir", "out", "master", "seed")  # fmt: skip
    overrides = {name: getattr(args, name) for name in fields if getattr(args, name) is not None}
    if args.quiet:
        overrides["progress"] = False
    if args.repeat is not None:
        overrides["pandas_repeat"] = args.repeat
    config = preset(args.preset, **overrides)
    if args.skip:
        config = config.replace(suites=tuple(s for s in config.suites if s not in args.skip))
    return config


def main(argv: Sequence[str] | None = None, *, prog: str = "python -m benchmarks") -> int:
    """Run the benchmark; print where the results are and how the targets went."""
    from toolkit.exceptions import ToolkitError

    args = parser(prog).parse_args(argv)
    try:
        config = config_from_args(args)
        from benchmarks.run import run_bench

        results = run_bench(config)
    except ToolkitError as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 1
    _print_summary(results)
    return 0


def _print_summary(results: dict) -> None:
    from benchmarks.report import LABELS, fmt_rate, fmt_ratio

    for row in results.get("summary", []):
        if row["mode"] == "files":
            print(f"{row['model']:<20} {LABELS.get(row['path'], row['path']):<38} "
                  f"{fmt_rate(row['rows_per_second']):>8} rows/s  {fmt_ratio(row['ratio_mllib']):>6} "
                  f"MLlib  {fmt_ratio(row['efficiency'], percent=True):>5} of limit")  # fmt: skip
    for target in results.get("targets", []):
        mark = "met " if target["met"] else "MISS"
        percent = target["kind"] == "efficiency"
        print(
            f"[{mark}] {target['target']} ({target['model']}): "
            f"{fmt_ratio(target['measured'], percent=percent)} "
            f"(target {fmt_ratio(target['required'], percent=percent)})"
        )
    for kind, path in results["files"].items():
        for one in [path] if isinstance(path, str) else path:
            print(f"wrote {kind}: {one}")
