"""``scaleout demo``: the main job end to end on the embedded defaults.

Build a churn dataset, train a scikit-learn pipeline, log and register it in
MLflow with alias ``champion``, score the big table file to file through
``models:/<name>@champion`` (a tracked run), score it again with the equivalent
native MLlib pipeline, and print what it cost.

Examples
--------
$ scaleout demo --rows 2000000 --workdir scaleout-demo
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import pandas as pd

__all__ = ["DemoSummary", "make_customers", "mllib_pipeline", "run_demo"]

MODEL_NAME = "scaleout-demo-churn"
CATEGORICAL = ["plan", "region", "contract"]
NUMERIC = ["age", "tenure_months", "monthly_charges", "support_calls", "data_gb"]


@dataclass(frozen=True)
class DemoSummary:
    """What the demo did and measured."""

    rows: int
    seconds: float
    rows_per_second: float
    mllib_seconds: float
    mllib_rows_per_second: float
    model_uri: str
    output: str
    mllib_output: str
    tracking_uri: str

    @property
    def speedup(self) -> float:
        return self.rows_per_second / self.mllib_rows_per_second


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
    rows: int = 2_000_000,
    train_rows: int = 200_000,
    workdir: str | Path = "scaleout-demo",
    master: str | None = None,
    out: TextIO | None = None,
    verbose: bool = False,
) -> DemoSummary:
    """Run the demo and print a summary; return the measured numbers.

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

    say(f"1/5 data: {train_rows:,} training rows, {rows:,} rows to score in {work / 'data'}")
    train_path, customers = _write_data(work / "data", rows=rows, train_rows=train_rows)
    train = pd.read_parquet(train_path)

    say("2/5 training a scikit-learn pipeline (one-hot + scaling + logistic regression)")
    model = _sklearn_pipeline().fit(train[CATEGORICAL + NUMERIC], train["churn"])

    say(f"3/5 logging to MLflow and registering {MODEL_NAME!r} with alias 'champion'")
    with mlflow_events(verbose=verbose):
        uri = log_model(
            model, "model", input_example=train[CATEGORICAL + NUMERIC].head(5),
            registered_name=MODEL_NAME, alias="champion",
        )  # fmt: skip

    say(f"4/5 scoring {rows:,} rows file to file through {uri}")
    if str(master).startswith("sc://"):
        spark = tk.session(remote=master, quiet=not verbose)
    else:
        spark = tk.session(master, quiet=not verbose)
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

    say("5/5 scoring the same files with the equivalent native MLlib pipeline")
    mllib_out = work / "scored-mllib"
    mllib_seconds = _score_mllib(spark, train_path, customers, mllib_out)

    import mlflow

    summary = DemoSummary(
        rows=report.rows_out,
        seconds=report.seconds,
        rows_per_second=report.rows_per_second,
        mllib_seconds=mllib_seconds,
        mllib_rows_per_second=rows / mllib_seconds,
        model_uri=uri,
        output=str(scored),
        mllib_output=str(mllib_out),
        tracking_uri=mlflow.get_tracking_uri(),
    )
    _print_summary(summary, out)
    return summary


def _sklearn_pipeline() -> Any:
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


def _write_data(folder: Path, *, rows: int, train_rows: int) -> tuple[Path, Path]:
    """Write the tables once; a later demo with the same sizes reuses them."""
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


def _score_mllib(spark: Any, train_path: Path, customers: Path, output: Path) -> float:
    scoring = mllib_pipeline(spark, train_path)
    started = time.perf_counter()
    scored = scoring.transform(spark.read.parquet(str(customers)))
    scored.select("id", "probability").write.mode("overwrite").parquet(str(output))
    return time.perf_counter() - started


def mllib_pipeline(spark: Any, train_path: Path | str) -> Any:
    """The native MLlib pipeline equivalent to the scikit-learn one, fit, ready to score.

    The label indexer is a training stage: the table to score has no ``churn`` column,
    so it is left out of the returned model.

    Examples
    --------
    >>> scoring = mllib_pipeline(spark, "scaleout-demo/data/train.parquet")  # doctest: +SKIP
    """
    from pyspark.ml import Pipeline, PipelineModel
    from pyspark.ml.classification import LogisticRegression
    from pyspark.ml.feature import OneHotEncoder, StandardScaler, StringIndexer, VectorAssembler

    indexed = [f"{c}_index" for c in CATEGORICAL]
    encoded = [f"{c}_onehot" for c in CATEGORICAL]
    label = StringIndexer(inputCol="churn", outputCol="label")
    stages = [
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

    table = Table(title="scaleout demo", show_header=True)
    table.add_column("path")
    table.add_column("rows", justify="right")
    table.add_column("seconds", justify="right")
    table.add_column("rows/s", justify="right")
    table.add_column("output")
    table.add_row("scaleout score_files", f"{summary.rows:,}", f"{summary.seconds:.1f}",
                  f"{summary.rows_per_second:,.0f}", summary.output)  # fmt: skip
    table.add_row("MLlib transform", f"{summary.rows:,}", f"{summary.mllib_seconds:.1f}",
                  f"{summary.mllib_rows_per_second:,.0f}", summary.mllib_output)  # fmt: skip
    console = Console(file=out, width=120)
    console.print(table)
    console.print(f"speed-up vs MLlib: {summary.speedup:.2f}x   model: {summary.model_uri}")
    console.print(f"MLflow store: {summary.tracking_uri}")
    console.print(f"open the MLflow UI: mlflow ui --backend-store-uri {summary.tracking_uri}")


class _Say:
    def __init__(self, out: TextIO) -> None:
        self.out, self.started = out, time.perf_counter()

    def __call__(self, message: str) -> None:
        print(f"[{time.perf_counter() - self.started:6.1f}s] {message}", file=self.out, flush=True)
