"""The scoring paths under test, each one small class behind one interface.

Every path turns the benchmark table into ``(id, prediction)`` for one model, in
up to two modes: ``files`` (Parquet in -> Parquet out) and ``memory`` (a cached
DataFrame -> Spark's ``noop`` sink, which computes every row and writes none).
A path has three methods: ``prepare`` (untimed set-up), ``run`` (the timed
work) and ``predictions`` (untimed: what the last run produced, for the
agreement check). The peers live in :mod:`benchmarks.peers`;
:func:`benchmarks.catalog.make_path` makes any of them by name.

Examples
--------
>>> path = ScoreDataFrame()
>>> path.prepare(case); path.run(case, "files")        # doctest: +SKIP
>>> path.predictions(case, "files").head()             # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from benchmarks.data import Table
from benchmarks.models import Fitted

__all__ = [
    "Case",
    "HandOverFloor",
    "Limit",
    "MLlib",
    "MLlibNoAssembly",
    "ScoreDataFrame",
    "ScoreFiles",
    "ScoringPath",
    "SparkPath",
    "read_output",
]


@dataclass
class Case:
    """One model on one table in one Spark session: what every path works from.

    ``cached`` / ``assembled`` are filled for memory mode.
    """

    spark: Any
    table: Table
    fitted: Fitted
    outdir: Path
    cores: int
    cached: Any = None
    assembled: Any = None
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def features(self) -> list[str]:
        return self.fitted.features

    def output(self, path: str) -> Path:
        return self.outdir / self.fitted.name / path

    def source(self, mode: str) -> Any:
        """The input DataFrame: read from Parquet each run, or the cached copy."""
        if mode == "memory":
            return self.cached
        return self.spark.read.parquet(str(self.table.path))


class ScoringPath:
    """The interface: ``prepare`` once, ``run`` timed, ``predictions`` to check the last run."""

    name: ClassVar[str]
    kind: ClassVar[str]  # "mllib", "ours", "peer", "floor" or "limit"
    label: ClassVar[str]
    modes: ClassVar[tuple[str, ...]] = ("files", "memory")

    def prepare(self, case: Case) -> None:
        """Untimed set-up (logging a model, building a UDF)."""

    def run(self, case: Case, mode: str) -> None:
        raise NotImplementedError

    def predictions(self, case: Case, mode: str) -> Any:
        """``(id, prediction)`` of the last run as a pandas frame sorted by id."""
        return read_output(case.output(self.name))

    def close(self, case: Case) -> None:
        """Untimed clean-up once the path's runs on ``case`` are over."""


class SparkPath(ScoringPath):
    """A path that is a Spark DataFrame plan: written to Parquet, or to the no-op sink."""

    def frame(self, case: Case, source: Any) -> Any:
        """``source`` -> DataFrame with ``id`` and ``prediction``."""
        raise NotImplementedError

    def run(self, case: Case, mode: str) -> None:
        frame = self.frame(case, case.source(mode))
        if mode == "memory":
            frame.write.format("noop").mode("overwrite").save()
        else:
            frame.write.mode("overwrite").parquet(str(case.output(self.name)))

    def predictions(self, case: Case, mode: str) -> Any:
        if mode == "files":
            return read_output(case.output(self.name))
        table = self.frame(case, case.source(mode)).toArrow()
        return table.to_pandas().sort_values("id", ignore_index=True)


class MLlib(SparkPath):
    """Native MLlib: VectorAssembler then the model's ``transform``."""

    name, kind, label = "mllib", "mllib", "MLlib transform"

    def frame(self, case: Case, source: Any) -> Any:
        assembled = case.fitted.assembler().transform(source.select("id", *case.features))
        return case.fitted.mllib.transform(assembled).select("id", "prediction")


class MLlibNoAssembly(SparkPath):
    """MLlib on vectors assembled and cached beforehand: MLlib minus the assembly tax."""

    name, kind, label = "mllib_no_assembly", "mllib", "MLlib, pre-assembled"
    modes = ("memory",)

    def frame(self, case: Case, source: Any) -> Any:
        return case.fitted.mllib.transform(case.assembled).select("id", "prediction")


class ScoreDataFrame(SparkPath):
    """``toolkit.score`` with its default engine: an Arrow UDF scoring with the model itself
    (scikit-learn's own values, to the last bit)."""

    name, kind, label = "score", "ours", "toolkit.score"
    engine = "python"

    def frame(self, case: Case, source: Any) -> Any:
        import toolkit as tk

        features = source.select("id", *case.features)
        scored = tk.score(case.fitted.sklearn, features, engine=self.engine)
        return scored.select("id", "prediction")


class ScoreAuto(ScoreDataFrame):
    """``toolkit.score(engine="auto")``: Spark expressions for the models the native engine
    compiles (linear models, k-means and their preprocessing), the Arrow UDF otherwise."""

    name, label = "score_auto", "toolkit.score, engine auto"
    engine = "auto"


class ScoreOnnx(ScoreDataFrame):
    """``toolkit.score(engine="onnx")``: the same Arrow UDF, the workers running the
    model's checked ONNX export in onnxruntime (one thread per task)."""

    name, label = "score_onnx", "toolkit.score, engine onnx"
    engine = "onnx"


class HandOverFloor(SparkPath):
    """The features through an Arrow UDF that returns zeros: the JVM <-> Python hand-over
    every Python path pays (ours, the peers), with no model. Not a way to score: a floor."""

    name, kind, label = "handover_floor", "floor", "hand-over floor (no model)"

    def prepare(self, case: Case) -> None:
        from pyspark.sql.functions import arrow_udf

        def zeros(lists):  # no type hints: arrow_udf reads them as its function type
            import numpy as np
            import pyarrow as pa

            return pa.array(np.zeros(len(lists)))

        case.extras[self.name] = arrow_udf(zeros, returnType="double")

    def frame(self, case: Case, source: Any) -> Any:
        from pyspark.sql import functions as F

        udf = case.extras[self.name]
        return source.select("id", udf(F.array(*case.features)).alias("prediction"))


class ScoreFiles(ScoringPath):
    """``toolkit.score_files``: the file-direct path (pyarrow inside Spark tasks)."""

    name, kind, label = "score_files", "ours", "toolkit.score_files"
    modes = ("files",)

    def run(self, case: Case, mode: str) -> None:
        import toolkit as tk

        report = tk.score_files(
            case.fitted.sklearn, str(case.table.path), str(case.output(self.name)),
            keep_columns=["id"], mode="overwrite", spark=case.spark,
        )  # fmt: skip
        case.extras[f"{self.name}.report"] = report


class Limit(ScoringPath):
    """One Python process, one thread: pyarrow read + sklearn predict + pyarrow write.

    Its rows/s times the cores is the limit the file path is measured against. It runs
    in a plain Python process of its own (:mod:`benchmarks.limit`), one per model.
    """

    name, kind, label = "limit", "limit", "1 process x cores (limit)"

    def prepare(self, case: Case) -> None:
        from benchmarks.limit import LimitProcess

        case.extras[self.name] = LimitProcess(case.fitted.sklearn_path, case.table.parts,
                                              case.features, case.output(self.name))  # fmt: skip

    def run(self, case: Case, mode: str) -> None:
        case.extras[self.name].run(mode)

    def predictions(self, case: Case, mode: str) -> Any:
        if mode == "files":
            return read_output(case.output(self.name) / "files")
        case.extras[self.name].dump(mode)
        return read_output(case.output(self.name) / "memory.parquet")

    def close(self, case: Case) -> None:
        case.extras.pop(self.name).close()


def read_output(directory: Path) -> Any:
    """``(id, prediction)`` from a Parquet output directory, sorted by id."""
    import pyarrow.dataset as ds

    table = ds.dataset(str(directory), format="parquet").to_table(columns=["id", "prediction"])
    return table.to_pandas().sort_values("id", ignore_index=True)
