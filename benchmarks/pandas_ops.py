"""pandas vs ``adapters.pandas`` (spark backend) vs raw ``pyspark.pandas``, on common operations.

The same operation code runs on all three (``xp`` is the pandas-like module):
filter, groupby-agg, merge, sort, value_counts and describe, at two sizes, so
the table shows where Spark starts to pay (the crossover) and what the
adapter adds on top of pandas-on-Spark. Each backend starts from a loaded
frame (pandas in memory; Spark frames cached) and the timed work ends with a
small pandas result (what a user prints), which is checked against pandas.

The adapter installs its fallback hooks on the pandas-on-Spark classes on first
use, so raw pandas-on-Spark is measured first (phase 1, interleaved with
pandas, hooks absent), then the adapter (phase 2, interleaved with pandas
again). The adapter's overhead compares medians of consecutive phases; each
phase's pandas median is kept so drift between phases is visible.

Examples
--------
>>> result = run_pandas_ops(spark, workdir, sizes=(10_000,), repeat=1)  # doctest: +SKIP
>>> result["rows"][0]["op"]                                             # doctest: +SKIP
'filter'
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.agreement import AgreementError
from benchmarks.protocol import Task, measure, summarize

__all__ = ["BACKENDS", "OPS", "check_same", "make_frames", "run_pandas_ops"]

BACKENDS = ("pandas", "pyspark.pandas", "adapters.pandas")
KEYS = 1_000
PANDAS_AGAIN = "pandas@2"  # pandas re-measured beside the adapter (phase 2)


def _filter(xp: Any, facts: Any, dim: Any) -> Any:
    kept = facts[facts["f0"] > 0.5]
    return {"rows": len(kept), "f1_sum": float(kept["f1"].sum())}


def _groupby_agg(xp: Any, facts: Any, dim: Any) -> Any:
    return facts.groupby("key").agg({"f0": "mean", "f1": "sum", "f2": "max"})


def _merge(xp: Any, facts: Any, dim: Any) -> Any:
    joined = xp.merge(facts, dim, on="key")
    return {"rows": len(joined), "weighted": float((joined["f0"] * joined["weight"]).sum())}


def _sort(xp: Any, facts: Any, dim: Any) -> Any:
    return facts.sort_values("f0").head(100)[["id", "f0"]]


def _value_counts(xp: Any, facts: Any, dim: Any) -> Any:
    return facts["key"].value_counts()


def _describe(xp: Any, facts: Any, dim: Any) -> Any:
    return facts[["f0", "f1"]].describe()


OPS: dict[str, Callable[[Any, Any, Any], Any]] = {
    "filter": _filter,
    "groupby_agg": _groupby_agg,
    "merge": _merge,
    "sort": _sort,
    "value_counts": _value_counts,
    "describe": _describe,
}


def make_frames(rows: int, *, seed: int = 7) -> tuple[Any, Any]:
    """The fact table (``id``, ``key``, ``f0..f2``) and a dimension table (``key``, ``weight``).

    Examples
    --------
    >>> facts, dim = make_frames(100)
    >>> facts.shape, dim.shape
    ((100, 5), (1000, 2))
    """
    import pandas as pd

    rng = np.random.default_rng([seed, rows])
    facts = pd.DataFrame({"id": np.arange(rows, dtype=np.int64),
                          "key": rng.integers(KEYS, size=rows, dtype=np.int64)})  # fmt: skip
    for name in ("f0", "f1", "f2"):
        facts[name] = rng.normal(size=rows)
    dim = pd.DataFrame({"key": np.arange(KEYS, dtype=np.int64), "weight": rng.random(KEYS)})
    return facts, dim


def _plain(value: Any) -> Any:
    """A result as pandas (``to_pandas`` for pandas-on-Spark), sorted where order is undefined."""
    if isinstance(value, dict):
        return value
    if hasattr(value, "to_pandas"):
        value = value.to_pandas()
    return value


def check_same(op: str, got: Any, want: Any, *, what: str) -> None:
    """Raise :class:`AgreementError` unless ``got`` is ``want`` (``describe``: no quantiles).

    Spark's describe computes quantiles approximately, so only count, mean, std, min
    and max are compared there. Row order is compared only for ``sort``.

    Examples
    --------
    >>> check_same("filter", {"rows": 2, "f1_sum": 1.0}, {"rows": 2, "f1_sum": 1.0}, what="x")
    """
    import pandas as pd

    try:
        if isinstance(want, dict):
            assert got.keys() == want.keys()
            for key in want:
                assert np.isclose(got[key], want[key], rtol=1e-9, atol=1e-9), key
            return
        if op == "describe":
            rows = ["count", "mean", "std", "min", "max"]
            got, want = got.loc[rows], want.loc[rows]
        elif op != "sort":
            got, want = got.sort_index(), want.sort_index()
        got, want = pd.DataFrame(got), pd.DataFrame(want)
        if op != "sort":  # the index is the answer too (group keys, describe's row names)
            assert [str(i) for i in got.index] == [str(i) for i in want.index], "index differs"
        a, b = got.to_numpy(dtype=float), want.to_numpy(dtype=float)
        assert a.shape == b.shape, f"shape {a.shape} != {b.shape}"
        assert np.allclose(a, b, rtol=1e-9, atol=1e-9), "values differ"
    except AssertionError as exc:
        raise AgreementError(
            f"{what}: the result differs from pandas ({exc}). A backend that computes "
            "something else is not measured; fix the operation or the backend."
        ) from None


def run_pandas_ops(
    spark: Any,
    workdir: str | Path,
    *,
    sizes: tuple[int, ...],
    repeat: int,
    seed: int = 7,
    ops: tuple[str, ...] | None = None,
    on_sample: Callable[[Any], None] | None = None,
) -> dict[str, Any]:
    """Measure every op (or ``ops``) on every backend at every size.

    Returns the samples, one summary row per (op, size) and notes.
    """
    import warnings

    from pyspark.pandas.utils import PandasAPIOnSparkAdviceWarning

    chosen = {name: OPS[name] for name in (ops or tuple(OPS))}
    with warnings.catch_warnings():  # it advises index_col; the default index is the point
        warnings.filterwarnings("ignore", category=PandasAPIOnSparkAdviceWarning)
        return _run(spark, workdir, sizes=sizes, repeat=repeat, seed=seed, ops=chosen,
                    on_sample=on_sample)  # fmt: skip


def _run(
    spark: Any,
    workdir: str | Path,
    *,
    sizes: tuple[int, ...],
    repeat: int,
    seed: int,
    ops: dict[str, Callable[[Any, Any, Any], Any]],
    on_sample: Callable[[Any], None] | None,
) -> dict[str, Any]:
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    notes: list[str] = []
    samples: list[Any] = []
    frames: dict[tuple[str, int], tuple[Any, Any]] = {}
    for rows in sizes:
        facts, dim = make_frames(rows, seed=seed)
        base = Path(workdir) / "data" / f"pandas-ops-{rows}-s{seed}"
        if not (base / "_done").exists():
            base.mkdir(parents=True, exist_ok=True)
            for i, part in enumerate(np.array_split(np.arange(rows), 4)):
                pq.write_table(pa.Table.from_pandas(facts.iloc[part], preserve_index=False),
                               base / f"part-{i}.parquet")  # fmt: skip
            (base / "_done").touch()
        frames["pandas", rows] = (facts, dim)
        frames["_path", rows] = (base, dim)
    expected = {(op, rows): _plain(fn(pd, *frames["pandas", rows])) for op, fn in ops.items()
                for rows in sizes}  # fmt: skip

    def tasks_for(backend: str, xp: Any, label: str | None = None) -> list[Task]:
        tasks = []
        for rows in sizes:
            for op, fn in ops.items():
                facts, dim = frames[backend, rows]

                def run(fn=fn, facts=facts, dim=dim, op=op, rows=rows) -> None:
                    frames["_last", op, rows, backend] = _plain(fn(xp, facts, dim))

                tasks.append(Task(op, label or backend, str(rows), rows, run))
        return tasks

    def checker(task: Task) -> None:
        rows = int(task.mode)
        got = frames["_last", task.model, rows, task.path.split("@")[0]]
        check_same(task.model, got, expected[task.model, rows],
                   what=f"{task.model} on {task.path} at {rows:,} rows")  # fmt: skip

    import pyspark.pandas as ps

    from adapters.pandas import hooks_installed

    if hooks_installed():
        notes.append("adapters.pandas hooks were already installed when raw pyspark.pandas ran.")
    for rows in sizes:
        frames["pyspark.pandas", rows] = _cached(
            ps.read_parquet(str(frames["_path", rows][0])), ps.from_pandas(frames["_path", rows][1])
        )
    phase1 = tasks_for("pandas", pd) + tasks_for("pyspark.pandas", ps)
    samples += measure(phase1, repeat=repeat, after_warmup=checker, on_sample=on_sample)
    for rows in sizes:
        frames.pop(("pyspark.pandas", rows))[0].spark.unpersist()

    import adapters.pandas as apd

    with apd.backend("spark"):
        for rows in sizes:
            frames["adapters.pandas", rows] = _cached(
                apd.read_parquet(str(frames["_path", rows][0])),
                apd.DataFrame(frames["_path", rows][1]),
            )
        phase2 = tasks_for("pandas", pd, PANDAS_AGAIN) + tasks_for("adapters.pandas", apd)
        samples += measure(phase2, repeat=repeat, after_warmup=checker, on_sample=on_sample)
        for rows in sizes:
            frames.pop(("adapters.pandas", rows))[0].spark.unpersist()
    return {"samples": samples, "rows": _table(samples, sizes, tuple(ops)), "notes": notes}


def _cached(facts: Any, dim: Any) -> tuple[Any, Any]:
    facts = facts.spark.cache()
    len(facts)  # materialise the cache outside the timer
    return facts, dim


def _table(
    samples: list[Any], sizes: tuple[int, ...], ops: tuple[str, ...]
) -> list[dict[str, Any]]:
    """One row per (op, size): medians per backend, Spark/pandas ratio, adapter overhead."""
    medians = {(s.model, s.path, s.mode): s.median_seconds for s in summarize(samples)}
    out = []
    for rows in sizes:
        for op in ops:
            pandas_s = medians.get((op, "pandas", str(rows)))
            ps_s = medians.get((op, "pyspark.pandas", str(rows)))
            adapter_s = medians.get((op, "adapters.pandas", str(rows)))
            out.append({
                "op": op, "rows": rows, "pandas_seconds": pandas_s,
                "pandas_seconds_phase2": medians.get((op, PANDAS_AGAIN, str(rows))),
                "pyspark_pandas_seconds": ps_s, "adapter_seconds": adapter_s,
                "spark_vs_pandas": (ps_s / pandas_s) if ps_s and pandas_s else None,
                "adapter_overhead": (adapter_s / ps_s - 1) if adapter_s and ps_s else None,
            })  # fmt: skip
    return out
