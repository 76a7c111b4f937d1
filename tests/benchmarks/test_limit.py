"""The limit runs in a plain Python process of its own and reproduces sklearn's predict."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.limit import LimitProcess
from benchmarks.paths import read_output


def test_limit_process_scores_files_and_memory(table, frame, fitted, tmp_path):
    model = fitted["logistic_regression"]
    expected = model.sklearn.predict(frame[model.features])
    with LimitProcess(model.sklearn_path, table.parts, model.features, tmp_path) as limit:
        assert limit.child.pid is not None and limit.child.poll() is None
        limit.run("files")
        limit.run("memory")
        limit.dump("memory")
    assert limit.child.returncode == 0  # closing stdin ends the child
    order = np.argsort(frame["id"].to_numpy())
    for got in (read_output(tmp_path / "files"), read_output(tmp_path / "memory.parquet")):
        np.testing.assert_array_equal(got["id"], frame["id"].to_numpy()[order])
        np.testing.assert_array_equal(got["prediction"], expected[order])


def test_limit_process_failure_is_an_error_not_a_hang(table, fitted, tmp_path):
    model = fitted["logistic_regression"]
    missing = [tmp_path / "nowhere.parquet"]
    limit = LimitProcess(model.sklearn_path, missing, model.features, tmp_path)
    with pytest.raises(RuntimeError, match=r"answered .error FileNotFoundError.*nowhere\.parquet"):
        limit.run("files")
    assert limit.child.poll() is not None
