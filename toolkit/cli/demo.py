"""``scaleout demo``: the main job end to end on the embedded defaults.

Build a churn dataset, train a scikit-learn pipeline, log and register it in
MLflow with alias ``champion``, score the big table file to file through
``models:/<name>@champion`` (a tracked run), then time ``score_files`` against the
equivalent native MLlib pipeline in the same conditions and print what it cost.

The comparison is fair by construction: both models are fitted before any timer,
both paths are warmed up once, then they run ``repeat`` times in alternating order
(:func:`benchmarks.protocol.measure`, the method of ``scaleout bench``); the
speed-up is the ratio of their median seconds, with the per-round range beside it.

Examples
--------
$ scaleout demo --rows 2000000 --workdir scaleout-demo
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import pandas as pd

from toolkit._typing import PathLike

__all__ = [
    "DEFAULT_ROWS",
    "DEFAULT_TRAIN_ROWS",
    "Comparison",
    "DemoSummary",
    "FEATURES",
    "compare_paths",
    "make_customers",
    "mllib_pipeline",
    "run_demo",
    "sklearn_pipeline",
    "write_data",
]

MODEL_NAME = "scaleout-demo-churn"
CATEGORICAL = ["plan", "region", "contract"]
NUMERIC = ["age", "tenure_months", "monthly_charges", "support_calls", "data_gb"]
FEATURES = CATEGORICAL + NUMERIC
DEFAULT_ROWS, DEFAULT_TRAIN_ROWS = 2_000_000, 200_000


@dataclass(frozen=True)
class Comparison:
    """``score_files`` against MLlib on the same rows: median seconds of each, and the
    lowest and highest ratio of one round (MLlib seconds / score_files seconds)."""

    rows: int
    runs: int
    seconds: float
    mllib_seconds: float
    low: float
    high: float

    @property
    def speedup(self) -> float:
        """MLlib's median seconds / ``score_files``' median seconds.

        Examples
        --------
        >>> Comparison(10, 1, 2.0, 5.0, 2.5, 2.5).speedup
        2.5
        """
        return self.mllib_seconds / self.seconds


@dataclass(frozen=True)
class DemoSummary:
    """What the demo did and measured."""

    comparison: Comparison
    model_uri: str
    output: str
    mllib_output: str
    tracking_uri: str

    @property
    def speedup(self) -> float:
        return self.comparison.speedup


def make_customers(rows: int, *, seed: int = 0, labelled: bool = False) -> pd.DataFrame:
    """A realistic customer table: numeric and categorical columns (and churn when labelled).

    Examples
    --------
    >>> make_customers(3, labelled=True).columns.tolist()[:3]
    ['id', 'age', 'tenure_months']
    """
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "id": np.arange(rows, dtype=np.int64) + seed * 10**9,
            "age": rng.integers(18, 90, rows),
            "tenure_months": rng.integers(0, 120, rows),
            "monthly_charges": rng.gamma(4.0, 15.0, rows).round(2),
            "support_calls": rng.poisson(1.5, rows),
            "data_gb": rng.exponential(8.0, rows).round(3),
            "plan": rng.choice(["basic", "plus", "pro"], rows, p=[0.5, 0.3, 0.2]),
            "region": rng.choice(["north", "south", "east", "west"], rows),
            "contract": rng.choice(["monthly", "annual", "two_year"], rows, p=[0.6, 0.3, 0.1]),
        }
    )
    if labelled:
        logit = (
            -1.0
            + 0.6 * frame["support_calls"]
            - 0.03 * frame["tenure_months"]
            + 0.01 * frame["monthly_charges"]
            + frame["contract"].map({"monthly": 1.2, "annual": -0.5, "two_year": -1.5})
            + frame["plan"].map({"basic": 0.3, "plus": 0.0, "pro": -0.4})
        )
        frame["churn"] = np.where(rng.random(rows) < 1 / (1 + np.exp(-logit)), "yes", "no")
    return frame


def run_demo(
    *,
    rows: int = DEFAULT_ROWS,
    train_rows: int = DEFAULT_TRAIN_ROWS,
    workdir: PathLike = "scaleout-demo",
    master: str | None = None,
    repeat: int = 2,
    out: TextIO | None = None,
    verbose: bool = False,
) -> DemoSummary:
    """Run the demo and print a summary; return the measured numbers.

    ``repeat`` timed runs of each path follow one warm-up of each (module docstring).
    Spark's and MLflow's own output is held back unless ``verbose``
    (:mod:`toolkit.cli.output`).

    Examples
    --------
    >>> summary = run_demo(rows=100_000, workdir="/tmp/demo")  # doctest: +SKIP
    >>> summary.speedup > 1                                      # doctest: +SKIP
    True
    """
    import toolkit as tk
    from toolkit.cli.output import mlflow_events
    from toolkit.files.progress import ConsoleProgress
    from toolkit.tracking import log_model, tracked_run

    out = out or sys.stdout
    work = Path(workdir).resolve()
    say = _Say(out)

    say(f"1/6 data: {train_rows:,} training rows, {rows:,} rows to score in {work / 'data'}")
    train_path, customers = write_data(work / "data", rows=rows, train_rows=train_rows)
    train = pd.read_parquet(train_path)

    say("2/6 training a scikit-learn pipeline (one-hot + scaling + logistic regression)")
    model = sklearn_pipeline().fit(train[FEATURES], train["churn"])

    say(f"3/6 logging to MLflow and registering {MODEL_NAME!r} with alias 'champion'")
    with mlflow_events(verbose=verbose):
        uri = log_model(
            model, "model", input_example=train[FEATURES].head(5),
            registered_name=MODEL_NAME, alias="champion",
        )  # fmt: skip

    say(f"4/6 starting Spark ({master or 'SPARK_REMOTE, SPARK_MASTER, else local[*]'})")
    if str(master).startswith("sc://"):
        spark = tk.session(remote=master, quiet=not verbose)
    else:
        spark = tk.session(master, quiet=not verbose)

    say(f"5/6 scoring {rows:,} rows file to file through {uri}")
    scored = work / "scored"
    bar = ConsoleProgress(stream=out)
    params = {"model": uri, "source": str(customers), "destination": str(scored)}
    with tracked_run(params, run_name="demo-score") as record:
        try:
            report = tk.score_files(
                uri, customers, scored, method="predict_proba", keep_columns=["id"],
                mode="overwrite", spark=spark, progress=bar,
            )  # fmt: skip
        finally:
            bar.close()
        record(report)

    say(f"6/6 timing score_files against the equivalent native MLlib pipeline: both fitted "
        f"first, one warm-up each, then {repeat} alternating run(s) each")  # fmt: skip
    comparison = compare_paths(spark, model, train_path, customers, work, rows=rows,
                               repeat=repeat)  # fmt: skip

    import mlflow

    summary = DemoSummary(comparison, uri, str(scored), str(work / "scored-mllib"),
                          mlflow.get_tracking_uri())  # fmt: skip
    _print_summary(summary, out)
    return summary


def sklearn_pipeline() -> Any:
    """The demo's scikit-learn pipeline, unfitted: one-hot + scaling + logistic regression.

    Examples
    --------
    >>> [name for name, _ in sklearn_pipeline().steps]
    ['prep', 'model']
    """
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    prep = ColumnTransformer(
        [
            ("categories", OneHotEncoder(handle_unknown="ignore"), CATEGORICAL),
            ("numbers", StandardScaler(), NUMERIC),
        ]
    )
    return Pipeline([("prep", prep), ("model", LogisticRegression(max_iter=300))])


def write_data(folder: Path, *, rows: int, train_rows: int) -> tuple[Path, Path]:
    """Write the training file and the table to score once (a later call with the same
    sizes reuses them); return both paths.

    Examples
    --------
    >>> train, customers = write_data(Path("/tmp/demo-data"), rows=10, train_rows=10)  # doctest: +SKIP
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    train_path, customers = folder / "train.parquet", folder / "customers"
    stamp = folder / "sizes.json"
    sizes = {"rows": rows, "train_rows": train_rows}
    if stamp.exists() and json.loads(stamp.read_text()) == sizes:
        return train_path, customers
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pandas(make_customers(train_rows, labelled=True)), train_path)
    if customers.exists():
        import shutil

        shutil.rmtree(customers)
    customers.mkdir()
    files = max(2, min(16, rows // 250_000))
    for i, part in enumerate(np.array_split(np.arange(rows), files)):
        frame = make_customers(len(part), seed=i + 1)
        frame["id"] = part
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False),
                       customers / f"part-{i:05d}.parquet", row_group_size=250_000)  # fmt: skip
    stamp.write_text(json.dumps(sizes))
    return train_path, customers


def compare_paths(
    spark: Any,
    model: Any,
    train_path: Path,
    customers: Path,
    work: Path,
    *,
    rows: int,
    repeat: int,
    on_sample: Callable[[Any], None] | None = None,
) -> Comparison:
    """Time ``score_files`` with ``model`` against :func:`mllib_pipeline` on ``customers``.

    The MLlib pipeline is fitted first, outside the timers; then one warm-up of each
    path and ``repeat`` rounds in alternating order (:func:`benchmarks.protocol.measure`).
    Outputs go to ``work/timing-score_files`` and ``work/scored-mllib``.

    Examples
    --------
    >>> compare_paths(spark, model, train, customers, work, rows=2000, repeat=2).runs  # doctest: +SKIP
    2
    """
    import toolkit as tk
    from benchmarks.protocol import Task, measure, summarize

    scoring = mllib_pipeline(spark, train_path)

    def ours() -> None:
        tk.score_files(model, customers, work / "timing-score_files", method="predict_proba",
                       keep_columns=["id"], mode="overwrite", spark=spark)  # fmt: skip

    def mllib() -> None:
        scored = scoring.transform(spark.read.parquet(str(customers)))
        scored.select("id", "probability").write.mode("overwrite").parquet(
            str(work / "scored-mllib")
        )

    tasks = [Task("churn", "score_files", "files", rows, ours),
             Task("churn", "mllib", "files", rows, mllib)]  # fmt: skip
    timed = [s for s in measure(tasks, repeat=repeat, on_sample=on_sample) if s.phase == "timed"]
    by_round: dict[int, dict[str, float]] = {}
    for sample in timed:
        by_round.setdefault(sample.round, {})[sample.path] = sample.seconds
    ratios = [r["mllib"] / r["score_files"] for r in by_round.values()]
    median = {s.path: s.median_seconds for s in summarize(timed)}
    return Comparison(rows, repeat, median["score_files"], median["mllib"], min(ratios),
                      max(ratios))  # fmt: skip


def mllib_pipeline(spark: Any, train_path: PathLike) -> Any:
    """The native MLlib pipeline equivalent to the scikit-learn one, fit, ready to score.

    The label indexer is a training stage: the table to score has no ``churn`` column,
    so it is left out of the returned model.

    Examples
    --------
    >>> scoring = mllib_pipeline(spark, "scaleout-demo/data/train.parquet")  # doctest: +SKIP
    """
    from pyspark.ml import Estimator, Pipeline, PipelineModel, Transformer
    from pyspark.ml.classification import LogisticRegression
    from pyspark.ml.feature import OneHotEncoder, StandardScaler, StringIndexer, VectorAssembler

    indexed = [f"{c}_index" for c in CATEGORICAL]
    encoded = [f"{c}_onehot" for c in CATEGORICAL]
    label = StringIndexer(inputCol="churn", outputCol="label")
    stages: list[Estimator[Any] | Transformer] = [
        StringIndexer(inputCols=CATEGORICAL, outputCols=indexed, handleInvalid="keep"),
        OneHotEncoder(inputCols=indexed, outputCols=encoded),
        VectorAssembler(inputCols=NUMERIC, outputCol="numbers"),
        StandardScaler(inputCol="numbers", outputCol="scaled", withMean=True),
        VectorAssembler(inputCols=[*encoded, "scaled"], outputCol="features"),
        label,
        LogisticRegression(maxIter=100),
    ]
    fitted = Pipeline(stages=stages).fit(spark.read.parquet(str(train_path)))
    at = stages.index(label)
    return PipelineModel(stages=fitted.stages[:at] + fitted.stages[at + 1 :])


def _print_summary(summary: DemoSummary, out: TextIO) -> None:
    from rich.console import Console
    from rich.table import Table

    c = summary.comparison
    table = Table(title="scaleout demo", show_header=True)
    table.add_column("path")
    table.add_column("rows", justify="right")
    table.add_column("seconds (median)", justify="right")
    table.add_column("rows/s", justify="right")
    table.add_column("output")
    for label, seconds, output in (
        ("scaleout score_files", c.seconds, summary.output),
        ("MLlib transform", c.mllib_seconds, summary.mllib_output),
    ):
        table.add_row(label, f"{c.rows:,}", f"{seconds:.1f}", f"{c.rows / seconds:,.0f}",
                      output)  # fmt: skip
    console = Console(file=out, width=120)
    console.print(table)
    console.print(f"speed-up vs MLlib: {c.speedup:.2f}x (rounds {c.low:.2f}x-{c.high:.2f}x)"
                  f"   model: {summary.model_uri}")  # fmt: skip
    console.print(
        f"  = MLlib's median seconds / score_files' median seconds for the same {c.rows:,} "
        f"rows, Parquet to Parquet on this Spark, both warmed up, {c.runs} alternating "
        "run(s) each. `scaleout bench --suites demo` measures the same with more repeats."
    )
    console.print(f"MLflow store: {summary.tracking_uri}")
    console.print(f"open the MLflow UI: mlflow ui --backend-store-uri {summary.tracking_uri}")


class _Say:
    def __init__(self, out: TextIO) -> None:
        self.out, self.started = out, time.perf_counter()

    def __call__(self, message: str) -> None:
        print(f"[{time.perf_counter() - self.started:6.1f}s] {message}", file=self.out, flush=True)
