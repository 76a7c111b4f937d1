"""The drop-in promise measured on pandas' own docstring examples (``benchmarks.dropin``).

A fast, deterministic subset of the corpus (blocks of at most ``MAX_STATEMENTS``
statements, every k-th of their sorted names so that ``SUBSET`` remain; the choice
depends on the installed pandas only, never on outcomes) runs on plain pandas and on
``adapters.pandas`` (spark backend). The test fails on any ``different`` outcome or any
raw leak, and prints each one with its reason. Under fallback ``warn`` only the blocks
that raised under ``raise`` run again: a block that raised nothing never reached the
fallback policy, so ``warn`` would run the very same calls. The size is the time budget:
on a cold JVM these 20 blocks cost about 50 s of CPU (Spark's first queries are the
dearest), 25 blocks of up to 6 statements twice that. The full corpus is
``python -m benchmarks.dropin`` (docs/dropin.md).

The comparator's unit tests need no Spark.
"""

from __future__ import annotations

import numpy as np
import pandas
import pytest

from benchmarks.dropin.checker import Prediction, score
from benchmarks.dropin.compare import DIFFERENT, IDENTICAL, SAME, compare
from benchmarks.dropin.corpus import Block, Statement, candidates, select
from benchmarks.dropin.execute import drop_in, run_block
from benchmarks.dropin.run import (
    RAISED,
    classify,
    is_clean,
    reference,
    run_adapter,
    scratch_directory,
)
from toolkit.exceptions import UnsupportedPandasAPIError

SUBSET = 20
MAX_STATEMENTS = 5


def subset() -> list[Block]:
    """The blocks the Spark test runs: short ones, a stable stride over their sorted names."""
    short = [b for b in candidates() if len(b.statements) <= MAX_STATEMENTS]
    return select(short, sample=SUBSET)


# -- the comparator, on handmade pandas values (no Spark) -------------------------------------


def test_equal_frames_are_identical():
    frame = pandas.DataFrame({"a": [1, 2], "b": [0.1, 0.2]}, index=["x", "y"])
    assert compare(frame, frame.copy()).kind == IDENTICAL


def test_floats_agree_to_a_relative_1e_9():
    want = pandas.Series([1.0, 1e6])
    assert compare(want, want * (1 + 1e-12)).kind == IDENTICAL
    assert compare(want, want * (1 + 1e-6)).kind == DIFFERENT


def test_a_dtype_only_difference_is_same_values():
    want = pandas.DataFrame({"a": [1, 2]})
    verdict = compare(want, want.astype("float64"))
    assert verdict.kind == SAME
    assert "dtype" in verdict.detail
    assert compare(pandas.Index([1, 2]), pandas.Index([1.0, 2.0])).kind == SAME
    assert compare(np.int64(3), 3).kind == SAME


def test_an_index_type_or_freq_difference_is_same_values():
    dates = pandas.date_range("2024-01-01", periods=3, freq="D")
    want = pandas.Series([1, 2, 3], index=dates)
    got = pandas.Series([1, 2, 3], index=pandas.DatetimeIndex(list(dates)))  # freq lost
    assert compare(want, got).kind == SAME
    numbered = pandas.Series([1, 2])
    assert compare(numbered, pandas.Series([1, 2], index=pandas.Index([0, 1]))).kind == IDENTICAL
    assert compare(numbered, pandas.Series([1, 2], index=pandas.Index([0.0, 1.0]))).kind == SAME


def test_rows_in_another_order_are_different():
    want = pandas.DataFrame({"a": [1, 2, 3]}, index=["x", "y", "z"])
    verdict = compare(want, want.iloc[[2, 0, 1]])
    assert verdict.kind == DIFFERENT
    assert verdict.detail == "the same rows in another order"
    assert compare(want, want[["a"]].rename(columns={"a": "b"})).kind == DIFFERENT


def test_rows_swapped_among_ties_are_same_values():
    want = pandas.Series([3, 1, 1], index=["a", "b", "c"], name="count")
    got = pandas.Series([3, 1, 1], index=["a", "c", "b"], name="count")
    assert compare(want, got).kind == SAME


def test_different_values_are_different():
    assert compare(pandas.Series([1, 2]), pandas.Series([1, 3])).kind == DIFFERENT
    assert compare(pandas.Series([1, 2]), pandas.Series([1, 2, 3])).kind == DIFFERENT
    assert compare(pandas.Series([1, 2]), pandas.DataFrame({"a": [1, 2]})).kind == DIFFERENT
    assert compare(np.array([1, 2]), np.array([2, 1])).kind == DIFFERENT
    assert compare(2.0, 2.5).kind == DIFFERENT
    assert compare("a\n", "b\n").kind == DIFFERENT


def test_nan_equals_nan():
    assert compare(float("nan"), float("nan")).kind == IDENTICAL
    assert compare(np.nan, None).kind == SAME
    assert compare(np.nan, 1.0).kind == DIFFERENT
    with_nan = pandas.Series([1.0, np.nan])
    assert compare(with_nan, with_nan.copy()).kind == IDENTICAL
    assert compare(with_nan, pandas.Series([1.0, 2.0])).kind == DIFFERENT
    assert compare(np.array([1.0, np.nan]), np.array([1.0, np.nan])).kind == IDENTICAL
    assert compare(pandas.NaT, pandas.NaT).kind == IDENTICAL


def test_containers_compare_element_by_element():
    assert compare((2, 3), (2, 3)).kind == IDENTICAL
    assert compare((2, 3), [2, 3]).kind == SAME
    assert compare({"a": 1}, {"a": 2}).kind == DIFFERENT


# -- the corpus and the pieces around it (no Spark) -------------------------------------------


def test_corpus_comes_from_pandas_docstrings_without_io_or_plotting():
    names = [b.name for b in candidates()]
    assert len(names) >= 200
    assert names == sorted(names) and len(set(names)) == len(names)
    assert {"DataFrame.groupby", "Series.map", "pandas.cut"} <= set(names)
    assert not [n for n in names if n.split(".")[-1].startswith("read_")]
    assert not {"DataFrame.to_csv", "DataFrame.plot", "DataFrame.style", "Series.hist"} & set(names)
    assert {n.split(".")[0] for n in names} == {
        "DataFrame",
        "Series",
        "DataFrameGroupBy",
        "SeriesGroupBy",
        "pandas",
    }


def test_subset_is_a_stable_stride_over_sorted_names():
    first, second = [b.name for b in subset()], [b.name for b in subset()]
    assert first == second == sorted(first)
    assert len(first) == SUBSET


def test_the_adapter_run_imports_the_adapter():
    assert drop_in("import pandas as pd\nx = 1\n") == "import adapters.pandas as pd\nx = 1\n"
    assert (
        drop_in("from pandas import merge_ordered\n")
        == "from adapters.pandas import merge_ordered\n"
    )


def test_a_block_that_raises_on_pandas_is_left_out():
    block = Block("pandas.demo", (Statement("pd.Series([1]).nope()\n", "", 3),))
    kept, dropped = reference([block])
    assert kept == [] and dropped["pandas.demo"].startswith("raises on pandas: AttributeError")


def test_classify_points_at_the_statement_that_raised():
    block = Block(
        "pandas.demo",
        (Statement("s = pd.Series([1, 2])\n", "", 3), Statement("s.sum()\n", "3\n", 4)),
    )
    want = run_block(block, pandas)
    raising = Block(block.name, (block.statements[0], Statement("1 / 0\n", "", 4)))
    outcome = classify(block, want, run_block(raising, pandas), "raise")
    assert (outcome.kind, outcome.line, outcome.clean) == (RAISED, 4, False)
    assert outcome.error == "ZeroDivisionError: division by zero"


def test_clean_refusals_and_raw_leaks():
    assert is_clean(UnsupportedPandasAPIError("DataFrame.x is not available. Instead: y"))
    assert not is_clean(ValueError("bad"))
    assert not is_clean(UnsupportedPandasAPIError("py4j.protocol.Py4JJavaError: org.apache..."))


def test_checker_scores_against_what_raised():
    predictions = [
        Prediction("a", [(5, "pandas.cut")]),
        Prediction("b", [(9, "DataFrame.x")]),
        Prediction("c"),
    ]
    result = score(predictions, {"a": range(5, 7), "b": None, "c": range(3, 4)})
    assert (result["precision"], result["recall"], result["on_statement"]) == (0.5, 0.5, 1.0)
    assert result["false_positives"] == ["b"] and result["false_negatives"] == ["c"]


# -- the subset on Spark ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def outcomes(spark):
    with scratch_directory():
        kept, dropped = reference(subset())
        found = {}
        for block, want in kept:
            first = run_adapter(block, want, "raise")
            found[block.name] = [first]
            if first.kind == RAISED:
                found[block.name].append(run_adapter(block, want, "warn"))
    print(f"{len(kept)} blocks run ({len(dropped)} left out on pandas: {dropped})")
    for name, results in found.items():
        print(name, " | ".join(f"{o.policy}: {o.kind} {o.reason}".strip() for o in results))
    return found


def test_subset_runs_on_pandas_and_on_the_adapter(outcomes):
    assert len(outcomes) >= SUBSET - 3  # a block may be left out on pandas (a missing library)


def test_no_block_gives_different_values_or_leaks_a_raw_error(outcomes):
    bad = [
        f"{o.name} [{o.policy}] {o.kind if o.kind == DIFFERENT else 'raw leak'}: {o.reason}"
        for results in outcomes.values()
        for o in results
        if o.kind == DIFFERENT or (o.kind == RAISED and not o.clean)
    ]
    print("\n".join(bad))
    assert bad == [], "\n".join(bad)
