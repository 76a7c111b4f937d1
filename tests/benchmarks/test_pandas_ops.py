"""pandas vs adapters.pandas vs pyspark.pandas: same code, same answers, checked."""

from __future__ import annotations

import pandas as pd
import pytest

from benchmarks.agreement import AgreementError
from benchmarks.pandas_ops import OPS, check_same, make_frames


def test_every_op_gives_a_small_pandas_result():
    facts, dim = make_frames(500)
    for op, fn in OPS.items():
        result = fn(pd, facts, dim)
        check_same(op, result, result, what=op)


def test_a_wrong_result_fails_loudly():
    facts, dim = make_frames(500)
    good = OPS["groupby_agg"](pd, facts, dim)
    with pytest.raises(AgreementError, match="groupby_agg on x"):
        check_same("groupby_agg", good * 1.01, good, what="groupby_agg on x")
    with pytest.raises(AgreementError):
        check_same("filter", {"rows": 1, "f1_sum": 0.0}, {"rows": 2, "f1_sum": 0.0}, what="f")


def test_describe_ignores_approximate_quantiles_only():
    facts, dim = make_frames(500)
    want = OPS["describe"](pd, facts, dim)
    got = want.copy()
    got.loc["50%"] += 0.1  # Spark's quantiles are approximate
    check_same("describe", got, want, what="describe")
    got.loc["mean"] += 0.1
    with pytest.raises(AgreementError):
        check_same("describe", got, want, what="describe")


@pytest.mark.slow
def test_three_backends_at_tiny_size(spark, tmp_path):
    from benchmarks.pandas_ops import run_pandas_ops

    out = run_pandas_ops(spark, tmp_path, sizes=(300,), repeat=1, ops=("groupby_agg", "describe"))
    rows = {r["op"]: r for r in out["rows"]}
    assert set(rows) == {"groupby_agg", "describe"}
    for row in rows.values():
        assert row["pandas_seconds"] and row["pyspark_pandas_seconds"] and row["adapter_seconds"]
    backends = {s.path for s in out["samples"]}
    assert backends == {"pandas", "pandas@2", "pyspark.pandas", "adapters.pandas"}
