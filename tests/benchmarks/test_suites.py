"""The harness on Spark at tiny size: every path agrees, and a wrong path stops the run."""

from __future__ import annotations

import pytest

from benchmarks import suites
from benchmarks.agreement import AgreementError
from benchmarks.catalog import make_path
from benchmarks.config import BenchConfig
from benchmarks.display import Display
from benchmarks.memory import MemorySampler
from benchmarks.paths import Limit

pytestmark = pytest.mark.slow


def _context(spark, bench_dir, paths, modes=("files", "memory")):
    config = BenchConfig(rows=3000, features=4, warmup=1, repeat=1, paths=paths, modes=modes,
                         workdir=bench_dir, progress=False)  # fmt: skip
    return suites.Context(config, spark, 2, Display(enabled=False, total=0), MemorySampler())


def _cached(spark, table, fitted):
    cached = spark.read.parquet(str(table.path)).cache()
    assembled = fitted.assembler().transform(cached).select("id", "features").cache()
    return cached, assembled


def test_our_paths_and_mllib_agree_in_both_modes(spark, table, frame, fitted, bench_dir):
    paths = ("mllib", "mllib_no_assembly", "score", "score_files", "predict_batch_udf",
             "handover_floor", "limit")  # fmt: skip
    ctx = _context(spark, bench_dir, paths)
    model = fitted["logistic_regression"]
    cached, assembled = _cached(spark, table, model)
    samples = suites.scoring_suite(ctx, model, table, frame, cached=cached, assembled=assembled)
    timed = {(s.path, s.mode) for s in samples if s.phase == "timed"}
    assert timed == {(p, m) for p in paths for m in ("files", "memory") if m in make_path(p).modes}
    checks = {(a["path"], a["mode"]): a for a in ctx.agreement}
    assert set(checks) == timed
    assert checks["score", "files"]["mismatches"] == 0
    assert checks["mllib", "memory"]["rule"].startswith("sanity")
    assert checks["handover_floor", "files"]["rows"] == table.rows  # no model: rows only
    assert all(s["suite"] == "scoring" for s in ctx.samples)


def test_float_predictions_agree_to_tolerance(spark, table, frame, fitted, bench_dir):
    ctx = _context(spark, bench_dir, ("score", "limit", "mllib"), modes=("files",))
    suites.scoring_suite(ctx, fitted["linear_regression"], table, frame, cached=None,
                         assembled=None)  # fmt: skip
    assert {a["path"] for a in ctx.agreement} == {"score", "limit", "mllib"}
    mllib = next(a for a in ctx.agreement if a["path"] == "mllib")
    assert mllib["metric"] == "r2" and abs(mllib["mllib"] - mllib["sklearn"]) < 0.01  # both OLS


class _WrongLimit(Limit):
    """Does less: predicts the same class for every row."""

    def predictions(self, case, mode):
        got = super().predictions(case, mode)
        return got.assign(prediction=0)


def test_a_path_that_does_less_fails_loudly(spark, table, frame, fitted, bench_dir, monkeypatch):
    real = suites.make_path
    monkeypatch.setattr(suites, "make_path",
                        lambda name: _WrongLimit() if name == "limit" else real(name))  # fmt: skip
    ctx = _context(spark, bench_dir, ("score", "limit"), modes=("files",))
    with pytest.raises(AgreementError, match=r"predictions differ from scikit-learn"):
        suites.scoring_suite(ctx, fitted["logistic_regression"], table, frame, cached=None,
                             assembled=None)  # fmt: skip
    timed = [s for s in ctx.samples if s["phase"] == "timed"]
    assert timed == []  # stopped before any timed run


def test_cold_start_runs_in_a_fresh_process(spark, table, fitted, bench_dir):
    ctx = _context(spark, bench_dir, ("score",), modes=("files",))
    # an explicit master: the suite's own application may hold a cluster's cores
    ctx.config = ctx.config.replace(cold_paths=("score", "limit"), master="local[2]")
    model = fitted["logistic_regression"]
    results = suites.cold_suite(ctx, model, table, models_dir=model.sklearn_path.parent)
    assert [r["path"] for r in results] == ["score"]  # the limit has no cold start
    assert results[0]["session_seconds"] > 0 and results[0]["first_seconds"] > 0
    assert [(a["suite"], a["path"]) for a in ctx.agreement] == [("cold", "score")]
