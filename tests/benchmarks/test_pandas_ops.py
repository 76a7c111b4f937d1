"""pandas vs adapters.pandas vs pyspark.pandas: same code, same answers, checked."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from benchmarks.agreement import AgreementError
from benchmarks.pandas_ops import OPS, check_same, make_frames


def _by_hand(op, facts, dim):
    """Each op's answer computed another way (numpy and plain Python, not the op's code)."""
    f0, f1, f2, keys = (facts[c].to_numpy() for c in ("f0", "f1", "f2", "key"))
    if op == "filter":
        return {"rows": int((f0 > 0.5).sum()), "f1_sum": float(f1[f0 > 0.5].sum())}
    if op == "merge":
        weight = dict(zip(dim["key"], dim["weight"], strict=True))
        pairs = [(a, weight[k]) for a, k in zip(f0, keys, strict=True) if k in weight]
        return {"rows": len(pairs), "weighted": float(sum(a * w for a, w in pairs))}
    if op == "groupby_agg":
        groups = sorted(set(keys))
        rows = [(f0[keys == k].mean(), f1[keys == k].sum(), f2[keys == k].max()) for k in groups]
        return pd.DataFrame(rows, columns=["f0", "f1", "f2"], index=pd.Index(groups, name="key"))
    if op == "sort":
        order = np.argsort(f0, kind="stable")[:100]
        return pd.DataFrame({"id": facts["id"].to_numpy()[order], "f0": f0[order]},
                            index=facts.index[order])  # fmt: skip
    if op == "value_counts":
        unique, counts = np.unique(keys, return_counts=True)
        return pd.Series(counts, index=pd.Index(unique, name="key"), name="count")
    stats = {"count": len(f0), "mean": f0.mean(), "std": f0.std(ddof=1), "min": f0.min(),
             "max": f0.max()}  # fmt: skip
    return pd.DataFrame(
        {col: [len(v), v.mean(), v.std(ddof=1), v.min(), v.max()] for col, v in
         (("f0", f0), ("f1", f1))}, index=list(stats))  # fmt: skip


def test_every_op_gives_the_answer_computed_by_hand():
    facts, dim = make_frames(500)
    assert set(OPS) == {"filter", "groupby_agg", "merge", "sort", "value_counts", "describe"}
    for op, fn in OPS.items():
        check_same(op, fn(pd, facts, dim), _by_hand(op, facts, dim), what=op)


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
