"""What a benchmark run measures: sizes, models, paths and the two presets.

``--quick`` (the default) takes about 10 minutes on 2 cores; ``--full`` is the
issue's reference size (2M rows x 20 features, 5 repeats, scaling to 4M rows).
Every option of the command line lands in one :class:`BenchConfig`.

Examples
--------
>>> from benchmarks.config import preset
>>> preset("quick").repeat
5
>>> preset("full", rows=500_000).rows
500000
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

from toolkit.cli.demo import DEFAULT_ROWS, DEFAULT_TRAIN_ROWS

__all__ = [
    "BenchConfig",
    "DEFAULT_SUITES",
    "MODELS",
    "MODES",
    "PATHS",
    "PRESETS",
    "QUICK_PATHS",
    "SUITES",
    "preset",
]

#: Model families, trained to matched settings in scikit-learn and MLlib (:mod:`benchmarks.models`).
MODELS = ("logistic_regression", "linear_regression", "random_forest", "gbt", "kmeans")
#: Scoring paths (:mod:`benchmarks.paths`). ``mllib_no_assembly`` runs in memory mode only and
#: measures the VectorAssembler tax; ``score_files`` is file-only by nature;
#: ``handover_floor`` scores nothing: it is the cost of handing the features to Python.
#: ``score`` is the default engine (an Arrow UDF, scikit-learn's own values); ``score_auto``
#: is ``engine="auto"`` (Spark expressions where the native engine compiles the model);
#: ``score_onnx`` is ``engine="onnx"`` (onnxruntime in the workers; opt-in, not in --quick).
PATHS = (
    "mllib",
    "mllib_no_assembly",
    "score",
    "score_auto",
    "score_onnx",
    "score_files",
    "mlflow_udf",
    "predict_batch_udf",
    "handover_floor",
    "limit",
)
#: ``--quick`` leaves out the second peer (``predict_batch_udf``, within 10% of ``mlflow_udf``
#: in our runs) and the in-memory mode to stay under five minutes on 2 cores.
QUICK_PATHS = tuple(p for p in PATHS if p not in ("predict_batch_udf", "score_onnx"))
#: ``files``: Parquet in -> Parquet out. ``memory``: a cached DataFrame -> Spark's no-op sink.
MODES = ("files", "memory")
#: ``demo``: the demo's own model and comparison (:mod:`benchmarks.demo_suite`), opt-in.
#: ``latency``: single-row and 100-row requests to ``scaleout serve`` (:mod:`benchmarks.latency`),
#: opt-in; it needs no table and no Spark job.
#: ``tuning``: one GridSearchCV timed with n_jobs=1, loky, joblibspark and scaleout's backend
#: (:mod:`benchmarks.tuning_suite`), opt-in; it brings its own data (``rows // 10`` rows).
SUITES = ("scoring", "cold", "scaling", "pandas_ops", "demo", "latency", "tuning")
DEFAULT_SUITES = ("scoring", "cold", "scaling", "pandas_ops")


@dataclass(frozen=True)
class BenchConfig:
    """One benchmark run, fully specified.

    Examples
    --------
    >>> BenchConfig(rows=1000, repeat=1).rows
    1000
    """

    rows: int = 600_000
    features: int = 20
    files: int = 4
    train_rows: int = 10_000
    warmup: int = 3  # untimed rounds first (the first also checks agreement)
    repeat: int = 5
    models: tuple[str, ...] = MODELS
    paths: tuple[str, ...] = QUICK_PATHS
    modes: tuple[str, ...] = ("files",)
    scaling_rows: tuple[int, ...] = (100_000, 300_000, 600_000)
    scaling_model: str = "logistic_regression"
    scaling_paths: tuple[str, ...] = ("mllib", "score", "score_files")
    cold_paths: tuple[str, ...] = ("score_files",)
    pandas_sizes: tuple[int, ...] = (10_000, 200_000)
    pandas_repeat: int = 2
    demo_rows: int = DEFAULT_ROWS  # the demo's own defaults
    demo_train_rows: int = DEFAULT_TRAIN_ROWS
    latency_requests: int = 2_000  # timed requests per latency row (the issue: >= 5,000)
    latency_clients: int = 8  # concurrent clients for the throughput rows
    tuning_candidates: int = 24  # the tuning suite's search (the issue: 24 x 5)
    tuning_folds: int = 5
    suites: tuple[str, ...] = DEFAULT_SUITES
    workdir: Path = field(default_factory=lambda: default_workdir())
    out: Path = Path("bench-results")
    master: str | None = None
    seed: int = 7
    progress: bool = True
    preset: str = "quick"

    def __post_init__(self) -> None:
        from toolkit.exceptions import InvalidOptionError

        for name, allowed in (("models", MODELS), ("paths", PATHS), ("modes", MODES)):
            unknown = sorted(set(getattr(self, name)) - set(allowed))
            if unknown:
                raise InvalidOptionError(
                    f"Unknown {name} {unknown}; choose from {', '.join(allowed)}."
                )
        unknown = sorted(set(self.suites) - set(SUITES))
        if unknown:
            raise InvalidOptionError(f"Unknown suites {unknown}; choose from {', '.join(SUITES)}.")
        if self.scaling_model not in MODELS:
            raise InvalidOptionError(
                f"Unknown scaling model {self.scaling_model!r}; choose from {', '.join(MODELS)}."
            )
        for name in (
            "rows",
            "features",
            "files",
            "train_rows",
            "warmup",
            "repeat",
            "pandas_repeat",
            "demo_rows",
            "demo_train_rows",
            "latency_requests",
            "latency_clients",
            "tuning_candidates",
        ):
            if getattr(self, name) < 1:
                raise InvalidOptionError(f"{name} must be at least 1; got {getattr(self, name)}.")
        if self.tuning_folds < 2:
            raise InvalidOptionError(f"tuning_folds must be at least 2; got {self.tuning_folds}.")

    def replace(self, **changes: object) -> BenchConfig:
        """A copy with ``changes`` applied (and validated)."""
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]


PRESETS: dict[str, dict[str, object]] = {
    "quick": {},
    "full": {
        "rows": 2_000_000,
        "files": 8,
        "paths": PATHS,
        "modes": MODES,
        "train_rows": 100_000,
        "repeat": 5,
        "scaling_rows": (100_000, 1_000_000, 4_000_000),
        "cold_paths": ("mllib", "score", "score_files", "mlflow_udf", "predict_batch_udf"),
        "pandas_sizes": (100_000, 5_000_000),
        "pandas_repeat": 5,
        "latency_requests": 10_000,
    },
}


def preset(name: str, **overrides: object) -> BenchConfig:
    """The ``quick`` or ``full`` configuration, with ``overrides`` on top.

    Examples
    --------
    >>> preset("quick", models=("kmeans",)).models
    ('kmeans',)
    """
    from toolkit.exceptions import InvalidOptionError

    if name not in PRESETS:
        raise InvalidOptionError(f"Unknown preset {name!r}; choose from {', '.join(PRESETS)}.")
    return BenchConfig(**{**PRESETS[name], **overrides, "preset": name})  # type: ignore[arg-type]


def default_workdir() -> Path:
    """``$SCALEOUT_BENCH_DIR``, else ``$XDG_CACHE_HOME/scaleout/bench`` (data is reused there)."""
    import os

    explicit = os.environ.get("SCALEOUT_BENCH_DIR")
    if explicit:
        return Path(explicit)
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(cache) / "scaleout" / "bench"
