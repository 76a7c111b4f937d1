"""``--suites tuning`` end to end at a tiny size: every way's row, the equality check."""

from __future__ import annotations

import importlib.util

import pytest
from sklearn.model_selection import GridSearchCV

from benchmarks.agreement import AgreementError
from benchmarks.config import DEFAULT_SUITES, SUITES, preset
from benchmarks.run import run_bench
from benchmarks.tuning_suite import WAYS, check_search, search_grid, tuning_markdown


def test_the_tuning_suite_is_opt_in_and_its_grid_has_24_candidates():
    assert "tuning" in SUITES and "tuning" not in DEFAULT_SUITES
    assert len(search_grid(24)) == 24 and len({str(p) for p in search_grid(24)}) == 24
    assert search_grid(3) == search_grid(24)[:3]


def test_a_search_that_disagrees_is_refused():
    from sklearn.datasets import make_classification
    from sklearn.linear_model import LogisticRegression

    X, y = make_classification(n_samples=300, n_features=5, random_state=0)
    grid = {"C": [0.01, 1.0]}
    ref = GridSearchCV(LogisticRegression(), grid, cv=3).fit(X, y)
    check_search("same", GridSearchCV(LogisticRegression(), grid, cv=3).fit(X, y), ref)
    other = GridSearchCV(LogisticRegression(), grid, cv=3).fit(X, 1 - y[::-1])
    with pytest.raises(AgreementError, match="disagrees with n_jobs=1"):
        check_search("other", other, ref)


def test_tuning_suite_end_to_end(spark, on_connect, tmp_path):
    config = preset("quick", rows=100_000, features=16, repeat=1, suites=("tuning",),
                    tuning_candidates=3, tuning_folds=2, workdir=tmp_path / "work",
                    out=tmp_path / "out", progress=False)  # fmt: skip
    results = run_bench(config, spark=spark)
    found = results["tuning"]
    assert (found["rows"], found["features"], found["fits"]) == (10_000, 16, 6)
    assert found["data_bytes"] >= 1 << 20  # large enough to travel once, by reference
    ways = {w["way"]: w for w in found["ways"]}
    assert list(ways) == list(WAYS)
    installed = importlib.util.find_spec("joblibspark") is not None
    if not installed:
        assert ways["joblibspark"]["status"] == "not installed"
    elif not on_connect:  # measured on classic Spark; on Connect it may fail: a note says so
        assert ways["joblibspark"]["installed"]
    installed = ways["joblibspark"]["installed"]
    for way in WAYS:
        row = ways[way]
        if not row["installed"]:
            continue
        assert row["check"] == "equal"  # checked against n_jobs=1 before any timing is kept
        assert row["seconds_min"] <= row["seconds"] <= row["seconds_max"]
        assert row["x_local_parallel"] is not None
    ours = ways["scaleout"]
    assert ours["tasks"] == 6
    assert ours["shipped_once_bytes"] >= found["data_bytes"]
    assert ours["bytes_per_task"] < found["data_bytes"] / 5  # a candidate, a fold and y
    if installed:  # joblibspark pickles the data into every task
        assert ways["joblibspark"]["bytes_per_task"] >= found["data_bytes"]
    targets = [t["target"] for t in found["targets"]]
    assert targets[0] == "scaleout within 15% of n_jobs=-1 (loky)"
    assert len(targets) == (3 if installed else 2)
    report = (tmp_path / "out" / "results.md").read_text()
    assert "## Model selection" in report
    assert all(f"| {way} |" in report for way in WAYS)
    assert tuning_markdown(found)[-1] in report or found["notes"]
