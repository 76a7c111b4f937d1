"""Tables are written once and reused; models are matched and saved for cold starts."""

from __future__ import annotations

import numpy as np

from benchmarks.data import ensure_table, make_chunk, read_table
from benchmarks.models import SPECS


def test_table_is_written_once_then_reused(tmp_path):
    table = ensure_table(tmp_path, rows=1000, features=3, files=3, seed=1)
    assert [p.name for p in table.parts] == [f"part-0000{i}.parquet" for i in range(3)]
    stamp = [p.stat().st_mtime_ns for p in table.parts]
    again = ensure_table(tmp_path, rows=1000, features=3, files=3, seed=1)
    assert [p.stat().st_mtime_ns for p in again.parts] == stamp
    frame = read_table(table)
    assert list(frame.columns) == ["id", "f0", "f1", "f2", "label", "target"]
    assert frame["id"].tolist() == list(range(1000))
    assert set(frame["label"].unique()) == {0, 1}
    assert read_table(table, rows=10, columns=["id"]).shape == (10, 1)


def test_a_half_written_table_is_rewritten(tmp_path):
    table = ensure_table(tmp_path, rows=100, features=2, files=1)
    (table.path / "_manifest.json").unlink()
    again = ensure_table(tmp_path, rows=100, features=2, files=1)
    assert (again.path / "_manifest.json").exists() and len(again.parts) == 1


def test_chunks_are_deterministic_and_independent_of_chunking():
    whole = make_chunk(0, 10, features=4, seed=3)
    assert np.array_equal(whole["f2"], make_chunk(0, 10, features=4, seed=3)["f2"])
    assert not np.array_equal(whole["f2"], make_chunk(0, 10, features=4, seed=4)["f2"])


def test_matched_settings_in_both_libraries(spark):  # MLlib estimators need a JVM
    forest_sk, forest_ml = SPECS["random_forest"].sklearn(0), SPECS["random_forest"].mllib(0)
    assert (forest_sk.n_estimators, forest_sk.max_depth) == (50, 8)
    assert (forest_ml.getNumTrees(), forest_ml.getMaxDepth()) == (50, 8)
    gbt_sk, gbt_ml = SPECS["gbt"].sklearn(0), SPECS["gbt"].mllib(0)
    assert (
        (gbt_sk.n_estimators, gbt_sk.max_depth)
        == (gbt_ml.getMaxIter(), gbt_ml.getMaxDepth())
        == (50, 5)
    )
    assert SPECS["kmeans"].sklearn(0).n_clusters == SPECS["kmeans"].mllib(0).getK() == 8
    assert SPECS["logistic_regression"].mllib(0).getRegParam() == 0.0
