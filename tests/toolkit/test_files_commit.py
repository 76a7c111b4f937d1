"""The commit protocol: nothing lost, nothing doubled, ``_SUCCESS`` last, failures leave no trace.

The fault test kills real Python workers on a master that retries tasks
(``local[2,4]``), so it runs in its own process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pyspark import cloudpickle
from sklearn.linear_model import LogisticRegression

import toolkit as tk
from toolkit.files import commit as commits
from toolkit.files.plan import resolve


def write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def stage(commit: commits.Commit, relative: str, data: bytes, attempt: str = "a") -> None:
    """What a task does: write an attempt file, then publish it under its fragment's name."""
    temporary = f"{commit.attempts}/{attempt}.parquet"
    with commit.fs.open_output_stream(temporary) as stream:
        stream.write(data)
    commits.publish(commit, temporary, relative)


def test_a_retried_attempt_replaces_instead_of_duplicating(tmp_path):
    dest = resolve(tmp_path / "out")
    commit = commits.begin(dest, mode="error", existed=False)
    for attempt, rows in (("a1", b"first attempt"), ("a2", b"retry")):
        stage(commit, "k=1/part-0.parquet", rows, attempt)
    commits.finish(commit, ["k=1/part-0.parquet"], b'{"rows_out": 1}')
    assert tree(tmp_path / "out") == {
        "_SUCCESS": b'{"rows_out": 1}',
        "k=1/part-0.parquet": b"retry",
    }


def test_nothing_is_visible_before_the_job_commits(tmp_path):
    commit = commits.begin(resolve(tmp_path / "out"), mode="error", existed=False)
    stage(commit, "part-0.parquet", b"rows")
    visible = [p for p in tree(tmp_path / "out") if not p.startswith("_")]
    assert visible == []  # readers skip _temporary
    commits.abort(commit)
    assert not (tmp_path / "out").exists()  # this job created it, so it goes


def test_a_missing_fragment_publishes_nothing(tmp_path):
    commit = commits.begin(resolve(tmp_path / "out"), mode="error", existed=False)
    stage(commit, "a.parquet", b"a")
    with pytest.raises(tk.ScoringJobError, match="1 of 2 outputs are missing"):
        commits.finish(commit, ["a.parquet", "b.parquet"], b"{}")
    assert "_SUCCESS" not in tree(tmp_path / "out")
    assert "a.parquet" not in tree(tmp_path / "out")


def test_overwrite_replaces_the_old_output_only_at_commit(tmp_path):
    out = tmp_path / "out"
    write(out / "_SUCCESS", b"old")
    write(out / "k=9/old.parquet", b"old rows")
    dest = resolve(out)
    existed = commits.check_destination(dest, resolve(tmp_path / "src"), mode="overwrite")
    commit = commits.begin(dest, mode="overwrite", existed=existed)
    stage(commit, "k=1/new.parquet", b"new rows")
    assert tree(out)["k=9/old.parquet"] == b"old rows"  # still there while the job runs
    commits.abort(commit)
    assert tree(out) == {"_SUCCESS": b"old", "k=9/old.parquet": b"old rows"}  # failure: kept

    commit = commits.begin(dest, mode="overwrite", existed=existed)
    stage(commit, "k=1/new.parquet", b"new rows")
    commits.finish(commit, ["k=1/new.parquet"], b"new")
    assert tree(out) == {"_SUCCESS": b"new", "k=1/new.parquet": b"new rows"}


def test_a_straggler_cannot_recreate_an_aborted_staging_area(tmp_path):
    commit = commits.begin(resolve(tmp_path / "out"), mode="error", existed=False)
    stage(commit, "k=1/a.parquet", b"a")
    late = f"{commit.attempts}/late.parquet"
    with commit.fs.open_output_stream(late) as stream:  # a task still writing ...
        stream.write(b"late rows")
    commits.abort(commit)  # ... when the job fails
    with pytest.raises(tk.ScoringJobError, match="staging area .* is gone: the job was aborted"):
        commits.publish(commit, late, "k=2/b.parquet")
    with pytest.raises(FileNotFoundError):  # nor can it start a new attempt file
        commit.fs.open_output_stream(f"{commit.attempts}/later.parquet")
    assert not (tmp_path / "out").exists()


def test_overwrite_of_a_plain_file_stages_beside_it_and_replaces_it_at_commit(tmp_path):
    out = tmp_path / "out.parquet"
    write(out, b"old file")
    dest = resolve(out)
    existed = commits.check_destination(dest, resolve(tmp_path / "src"), mode="overwrite")
    commit = commits.begin(dest, mode="overwrite", existed=existed)
    assert commit.staging == f"{tmp_path}/_scaleout_temporary_{commit.job}"
    stage(commit, "k=1/new.parquet", b"new rows")
    assert out.read_bytes() == b"old file"  # still there while the job runs
    commits.abort(commit)
    assert tree(tmp_path) == {"out.parquet": b"old file"}  # failure: kept, nothing beside it

    commit = commits.begin(dest, mode="overwrite", existed=existed)
    stage(commit, "k=1/new.parquet", b"new rows")
    commits.finish(commit, ["k=1/new.parquet"], b"new")
    assert tree(tmp_path) == {
        "out.parquet/_SUCCESS": b"new",
        "out.parquet/k=1/new.parquet": b"new rows",
    }


def test_destination_checks_change_nothing(tmp_path):
    write(tmp_path / "src" / "a.parquet", b"data")
    write(tmp_path / "out" / "b.parquet", b"old")
    before = tree(tmp_path)
    source = resolve(tmp_path / "src")
    with pytest.raises(tk.DestinationExistsError, match="already exists"):
        commits.check_destination(resolve(tmp_path / "out"), source, mode="error")
    for dest, where in [
        (tmp_path / "src", "is the source"),
        (tmp_path / "src" / "scored", "is inside the source"),
        (tmp_path, "contains the source"),
    ]:
        for mode in ("error", "overwrite"):
            with pytest.raises(tk.DestinationExistsError, match=where):
                commits.check_destination(resolve(dest), source, mode=mode)
    file_source = resolve(tmp_path / "src" / "a.parquet")
    with pytest.raises(tk.DestinationExistsError, match="contains the source"):
        commits.check_destination(resolve(tmp_path / "src"), file_source, mode="overwrite")
    assert commits.check_destination(resolve(tmp_path / "new"), source, mode="error") is False
    assert tree(tmp_path) == before


def test_symlinked_destination_inside_the_source_is_refused(tmp_path):
    write(tmp_path / "src" / "a.parquet", b"data")
    (tmp_path / "link").symlink_to(tmp_path / "src")
    with pytest.raises(tk.DestinationExistsError, match="inside the source"):
        commits.check_destination(
            resolve(tmp_path / "link" / "out"), resolve(tmp_path / "src"), mode="overwrite"
        )


FAULT_SCRIPT = textwrap.dedent(
    """
    import collections, json, os, sys, warnings
    import numpy as np, pandas as pd
    from sklearn.linear_model import LogisticRegression
    import toolkit as tk

    _CALLS = collections.Counter()


    class CrashingModel(LogisticRegression):
        '''Kills its Python worker on call number `crash_at` of a task attempt.

        With `markers`, only a task's first attempt dies (a marker file per task says it
        already did); without, every attempt dies.'''

        def predict(self, X):
            from pyspark import TaskContext

            ctx = TaskContext.get()
            _CALLS[ctx.taskAttemptId()] += 1
            if _CALLS[ctx.taskAttemptId()] == self.crash_at:
                if self.markers is None:
                    os._exit(3)
                marker = os.path.join(self.markers, f"stage{ctx.stageId()}-task{ctx.partitionId()}")
                try:
                    os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
                except FileExistsError:
                    pass  # this is the retry: score normally
                else:
                    os._exit(3)
            return super().predict(X)


    root = sys.argv[1]
    n, files = 24_000, 8
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(n, 3)), columns=["a", "b", "c"])
    frame.insert(0, "id", np.arange(n))
    for i in range(files):
        frame.iloc[i::files].to_parquet(f"{root}/in/f{i}.parquet", index=False, row_group_size=1000)
    model = CrashingModel().fit(frame[["a", "b", "c"]], frame["a"] > 0)
    spark = tk.session("local[2,4]", conf={"spark.ui.enabled": "false"})
    spark.sparkContext.setLogLevel("OFF")
    results = {}
    # 8 files of 3,000 rows in 2 tasks; batches of 1,000 rows: 3 model calls per file, so
    # call 5 dies inside a task's second file, after its first file was published.
    for name, crash_at in (("first_call", 1), ("after_a_published_fragment", 5)):
        model.crash_at, model.markers = crash_at, f"{root}/markers-{name}"
        os.makedirs(model.markers)
        report = tk.score_files(model, f"{root}/in", f"{root}/{name}", spark=spark, batch_size=1000)
        out = pd.read_parquet(f"{root}/{name}")
        results[name] = {
            "rows_out": report.rows_out, "tasks": report.tasks, "rows_read": len(out),
            "unique_ids": int(out["id"].nunique()), "crashes": len(os.listdir(model.markers)),
            "correct": bool((out.sort_values("id")["prediction"].to_numpy()
                             == LogisticRegression.predict(model, frame[["a", "b", "c"]])).all()),
            "files": sorted(os.listdir(f"{root}/{name}")),
        }
    print("RESULT " + json.dumps(results))
    """
)


@pytest.mark.own_spark
@pytest.mark.slow
def test_killed_workers_are_retried_without_losing_or_doubling_rows(tmp_path):
    (tmp_path / "in").mkdir()
    script = tmp_path / "fault.py"
    script.write_text(FAULT_SCRIPT)
    drop = ("SPARK_REMOTE", "SPARK_MASTER", "SPARK_LOCAL_REMOTE", "SPARK_CONNECT", "PYSPARK_REMOTE")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}  # classic local[2,4]
    done = subprocess.run(
        [sys.executable, str(script), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        cwd=Path(__file__).resolve().parents[2],
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert done.returncode == 0 and lines, done.stderr[-3000:]
    results = json.loads(lines[-1][len("RESULT ") :])
    for name in ("first_call", "after_a_published_fragment"):
        got = results[name]
        assert got["rows_out"] == got["rows_read"] == got["unique_ids"] == 24_000, got
        assert got["crashes"] == got["tasks"] == 2, got  # every task lost its first attempt
        assert got["correct"], got
        assert got["files"] == ["_SUCCESS", *(f"f{i}.parquet" for i in range(8))], got


class AlwaysCrashing(LogisticRegression):
    """Kills the Python worker that calls it."""

    def predict(self, X):
        os._exit(3)


cloudpickle.register_pickle_by_value(sys.modules[__name__])  # workers cannot import tests


def test_a_crashing_worker_fails_the_job_in_one_line_and_leaves_nothing(spark, tmp_path):
    frame = pd.DataFrame({"id": range(100), "a": np.linspace(-1, 1, 100)})
    (tmp_path / "in").mkdir()
    frame.to_parquet(tmp_path / "in" / "f.parquet", index=False)
    model = AlwaysCrashing().fit(frame[["a"]], frame["a"] > 0)
    with pytest.raises(tk.ScoringJobError) as failed:
        tk.score_files(model, tmp_path / "in", tmp_path / "out", spark=spark)
    message = str(failed.value)
    assert "Python worker exited unexpectedly" in message or "crashed" in message, message
    assert "\n" not in message and len(message) < 600
    assert not (tmp_path / "out").exists()
