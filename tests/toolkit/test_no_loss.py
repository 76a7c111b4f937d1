"""No data lost or left behind: both engines, failed overwrites, stragglers, inputs that match nothing.

Every test starts from the input that used to lose or leave data: a failing job
over an existing output (directory or plain file), a task that publishes after
another task failed the job, a glob with a typo.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pyspark import cloudpickle

import toolkit as tk
from toolkit.files import commit as commits
from toolkit.files.plan import resolve

NUMERIC = ["x0", "x1", "x2", "x3", "x4"]
ENGINES = ["files", "dataframe"]


class FailsOnMarker:
    """A regressor (``2 * x0``) whose batch holding ``marker`` in ``x0`` fails at once; with a
    marker, every other batch waits until that failure happened, then ``delay`` seconds more.

    Two files in two tasks: the task with the marker fails the job (touching ``flag``
    first), the other one scores and publishes after the job failed. Not a scikit-learn
    class, so that the fresh Python workers a failed job needs start without scipy.
    """

    _estimator_type = "regressor"

    def __init__(self, marker: float | None = None, flag: str = "", delay: float = 0.0) -> None:
        self.marker, self.flag, self.delay = marker, flag, delay
        self.feature_names_in_ = np.array(NUMERIC, dtype=object)
        self.n_features_in_ = len(NUMERIC)

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        if self.marker is not None:
            if (X["x0"] == self.marker).any():
                Path(self.flag).touch()
                raise RuntimeError("marker row: this task fails at once")
            deadline = time.monotonic() + 30
            while not Path(self.flag).exists() and time.monotonic() < deadline:
                time.sleep(0.01)
            time.sleep(self.delay)
        return 2.0 * X["x0"].to_numpy(dtype=float)


cloudpickle.register_pickle_by_value(sys.modules[__name__])  # workers cannot import tests


def write_table(root: Path, frame: pd.DataFrame) -> Path:
    """``frame`` as ``part=0|1/f.parquet``: two files, so two tasks on two cores."""
    for part in (0, 1):
        folder = root / f"part={part}"
        folder.mkdir(parents=True, exist_ok=True)
        rows = frame[frame["id"] % 2 == part]
        pq.write_table(pa.Table.from_pandas(rows, preserve_index=False), folder / "f.parquet")
    return root


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def leftovers(folder: Path) -> list[str]:
    """Staging areas of any job, anywhere under ``folder``."""
    return sorted(
        str(p.relative_to(folder))
        for p in folder.rglob("*")
        if p.name == "_temporary" or p.name.startswith("_scaleout_temporary_")
    )


def read_sorted(path: Path) -> pd.DataFrame:
    return pd.read_parquet(path).sort_values("id").reset_index(drop=True)


@pytest.fixture(scope="module")
def table(tmp_path_factory, frame) -> Path:
    return write_table(tmp_path_factory.mktemp("no_loss") / "in", frame)


@pytest.fixture(scope="module")
def broken(tmp_path_factory, frame) -> Path:
    """The same table with one NaN feature: LogisticRegression refuses it."""
    bad = frame.copy()
    bad.loc[5, "x0"] = np.nan
    return write_table(tmp_path_factory.mktemp("no_loss_bad") / "in", bad)


@pytest.mark.parametrize("engine", ENGINES)
class TestBothEngines:
    """The same checks for every engine: same rows, same options, same guarantees."""

    def test_rows_columns_and_success_report_are_the_same(
        self, spark, models, frame, table, tmp_path, engine
    ):
        model = models["logreg"]
        out = tmp_path / "out"
        report = tk.score_files(model, table, out, engine=engine, spark=spark)
        assert (report.rows_in, report.rows_out, report.rows_invalid, report.files) == (
            600, 600, 0, 2,
        )  # fmt: skip
        assert report.tasks >= 1 and report.output_files >= 2
        scored = read_sorted(out)
        assert list(scored.columns) == [*frame.columns, "prediction", "part"]
        np.testing.assert_array_equal(scored["prediction"], model.predict(frame[NUMERIC]))
        success = json.loads((out / "_SUCCESS").read_text())
        assert set(success) == {f.name for f in dataclasses.fields(tk.ScoreReport)}
        assert success["rows_out"] == 600 and success["tasks"] == report.tasks >= 1
        assert success["params"]["engine"] == engine
        assert leftovers(out) == []

    def test_is_an_engine_of_the_one_interface(self, engine):
        from toolkit.files.api import ENGINES as RUNNING
        from toolkit.files.engine import Engine

        assert isinstance(RUNNING[engine], Engine) and RUNNING[engine].name == engine

    def test_a_missing_feature_is_the_same_error_before_anything_is_written(
        self, spark, models, frame, tmp_path, engine
    ):
        lacking = write_table(tmp_path / "in", frame.drop(columns=["x0"]))
        with pytest.raises(tk.InputFileError, match=r"in.*lacks column\(s\) the model needs: 'x0'"):
            tk.score_files(models["logreg"], lacking, tmp_path / "out", engine=engine, spark=spark)
        assert not (tmp_path / "out").exists()

    def test_empty_keep_columns_keeps_no_input_column(self, spark, models, table, tmp_path, engine):
        out = tmp_path / "out"
        tk.score_files(models["logreg"], table, out, keep_columns=[], engine=engine, spark=spark)
        assert list(pd.read_parquet(out).columns) == ["prediction", "part"]  # part: the layout

    def test_keep_columns_keeps_exactly_those(self, spark, models, frame, table, tmp_path, engine):
        out = tmp_path / "out"
        tk.score_files(
            models["logreg"], table, out, keep_columns=["id"], handle_invalid="keep",
            engine=engine, spark=spark,
        )  # fmt: skip
        assert list(read_sorted(out).columns) == ["id", "prediction", "prediction_error", "part"]
        assert read_sorted(out)["id"].tolist() == frame["id"].tolist()

    def test_failed_overwrite_keeps_the_old_output_byte_for_byte(
        self, spark, models, table, broken, tmp_path, engine
    ):
        out = tmp_path / "out"
        tk.score_files(models["logreg"], table, out, engine=engine, spark=spark)
        before = snapshot(out)
        assert "_SUCCESS" in before
        with pytest.raises(tk.InvalidInputError, match="x0"):
            tk.score_files(
                models["logreg"], broken, out, mode="overwrite", engine=engine, spark=spark
            )
        assert snapshot(out) == before  # every file, _SUCCESS included, byte for byte
        assert leftovers(tmp_path) == []

    def test_failed_overwrite_of_a_plain_file_keeps_the_file(
        self, spark, models, table, broken, tmp_path, engine
    ):
        out = tmp_path / "scored.parquet"
        out.write_bytes((table / "part=0" / "f.parquet").read_bytes())
        before = out.read_bytes()
        with pytest.raises(tk.InvalidInputError, match="x0"):
            tk.score_files(
                models["logreg"], broken, out, mode="overwrite", engine=engine, spark=spark
            )
        assert out.is_file() and out.read_bytes() == before
        assert leftovers(tmp_path) == []

        report = tk.score_files(models["logreg"], table, out, mode="overwrite", engine=engine,
                                spark=spark)  # fmt: skip
        assert out.is_dir() and (out / "_SUCCESS").is_file()  # replaced at job commit only
        assert len(pd.read_parquet(out)) == report.rows_out == 600
        assert leftovers(tmp_path) == []

    def test_a_glob_or_path_that_matches_nothing_is_an_input_error(
        self, spark, models, table, tmp_path, engine
    ):
        out = tmp_path / "out"
        for source in (f"{table}/part=*/f.parquett", f"{table}/prat=*/*.parquet",
                       f"{table.parent}/typo/*.parquet", table / "typo"):  # fmt: skip
            with pytest.raises(tk.InputFileError, match="No input (matches|at)") as refused:
                tk.score_files(models["logreg"], source, out, engine=engine, spark=spark)
            assert str(source) in str(refused.value)
            assert not out.exists()

    def test_an_empty_directory_warns_and_gives_an_empty_result(
        self, spark, models, tmp_path, engine
    ):
        (tmp_path / "in").mkdir()
        with pytest.warns(tk.ToolkitAdviceWarning, match="No rows"):
            report = tk.score_files(
                models["logreg"], tmp_path / "in", tmp_path / "out", engine=engine, spark=spark
            )
        assert (report.rows_in, report.rows_out, report.files) == (0, 0, 0)
        assert json.loads((tmp_path / "out" / "_SUCCESS").read_text())["rows_out"] == 0
        assert snapshot(tmp_path / "out").keys() == {"_SUCCESS"}


@pytest.mark.slow
def test_a_straggler_publishing_after_the_failure_leaves_nothing_behind(spark, frame, tmp_path):
    """One task fails while the other still runs and publishes later, at 6 delays from
    0 to 0.6 s (before, during and after the failing task's end).

    Runs 0-5 fail into a new destination with ``mode="error"``: each one proceeding
    (failing on the marker, not refused) proves the one before left nothing behind.
    Runs 6-11 fail as overwrites of a complete output, which must not change.
    """
    bad = frame.copy()
    bad.loc[bad["id"] == 4, "x0"] = 1e6  # in part=0 only
    source = write_table(tmp_path / "in", bad)
    out = tmp_path / "out"
    delays = [0.0, 0.12, 0.24, 0.36, 0.48, 0.6]
    before: dict[str, bytes] = {}
    for run in range(2 * len(delays)):
        overwrite = run >= len(delays)
        if run == len(delays):  # the next run into the destination proceeds, and succeeds
            report = tk.score_files(FailsOnMarker(), source, out, mode="error", spark=spark)
            assert report.rows_out == 600 and leftovers(tmp_path) == []
            before = snapshot(out)
        flag = str(tmp_path / f"failed-{run}")
        model = FailsOnMarker(marker=1e6, flag=flag, delay=delays[run % len(delays)])
        with pytest.raises(tk.ScoringJobError, match="marker row"):
            tk.score_files(model, source, out, mode="overwrite" if overwrite else "error",
                           spark=spark)  # fmt: skip
        assert leftovers(tmp_path) == [], f"run {run}: a staging area was left behind"
        if not overwrite:
            assert not out.exists(), f"run {run}: the failed job left its destination"
        else:
            assert snapshot(out) == before, f"run {run}: the old output changed"
    report = tk.score_files(FailsOnMarker(), source, out, mode="overwrite", spark=spark)
    assert report.rows_out == 600 and leftovers(tmp_path) == []
    assert (read_sorted(out)["prediction"] == 2.0 * bad["x0"]).all()


# -- a driver killed mid-job ---------------------------------------------------------------

KILLED_DRIVER = """
import os, sys
from toolkit.files import commit as commits
from toolkit.files.plan import resolve

dest = resolve(sys.argv[1])
commit = commits.begin(dest, mode="overwrite", existed=os.path.exists(sys.argv[1]))
with commit.fs.open_output_stream(f"{commit.attempts}/a.parquet") as stream:
    stream.write(b"half a job")
commits.publish(commit, f"{commit.attempts}/a.parquet", "part=0/f.parquet")
os._exit(9)  # as kill -9: no abort, no cleanup
"""


def kill_a_driver_writing(destination: Path) -> None:
    """Start a real driver process that begins a job into ``destination`` and dies."""
    done = subprocess.run(
        [sys.executable, "-c", KILLED_DRIVER, str(destination)],
        capture_output=True, text=True, timeout=120, cwd=Path(__file__).resolve().parents[2],
    )  # fmt: skip
    assert done.returncode == 9, done.stderr[-2000:]
    assert leftovers(destination), "the killed driver should have left its staging area"


def test_a_rerun_proceeds_into_a_destination_holding_only_an_abandoned_job(
    spark, models, table, tmp_path
):
    out = tmp_path / "out"
    kill_a_driver_writing(out)
    report = tk.score_files(models["logreg"], table, out, mode="error", spark=spark)
    assert report.rows_out == 600 and leftovers(tmp_path) == []
    assert "_SUCCESS" in snapshot(out)


def test_a_refusal_says_an_earlier_run_did_not_finish_and_overwrite_removes_it(
    spark, models, table, tmp_path
):
    out = tmp_path / "out"
    tk.score_files(models["logreg"], table, out, spark=spark)
    kill_a_driver_writing(out)
    with pytest.raises(tk.DestinationExistsError, match=r"earlier run\(s\) that did not finish"):
        tk.score_files(models["logreg"], table, out, spark=spark)
    tk.score_files(models["logreg"], table, out, mode="overwrite", spark=spark)
    assert leftovers(tmp_path) == []


def test_a_live_job_is_never_taken_for_an_abandoned_one(tmp_path):
    out = tmp_path / "out"
    live = commits.begin(resolve(out), mode="error", existed=False)  # this process: alive
    with pytest.raises(tk.DestinationExistsError, match="A run is writing it now"):
        commits.check_destination(resolve(out), resolve(tmp_path / "in"), mode="error")
    other = commits.begin(resolve(out), mode="overwrite", existed=True)
    assert Path(live.staging).is_dir() and Path(other.staging).is_dir()
    commits.abort(other)
    commits.abort(live)
    assert leftovers(tmp_path) == []


# -- errors retrying cannot fix ------------------------------------------------------------

RETRY_SCRIPT = """
import json, os, sys, time
import numpy as np, pandas as pd
from sklearn.linear_model import LogisticRegression
import toolkit as tk


class Counting(LogisticRegression):
    '''Touches calls/start-<partition>-<attempt> when a call starts, and
    calls/<partition>-<attempt> when it completes; a retry first sleeps RETRY_SECONDS.'''

    def predict(self, X):
        from pyspark import TaskContext

        ctx = TaskContext.get()
        name = f"{ctx.partitionId()}-{ctx.attemptNumber()}"
        open(os.path.join(self.calls, "start-" + name), "a").close()
        if ctx.attemptNumber() > 0:
            time.sleep(RETRY_SECONDS)
        open(os.path.join(self.calls, name), "a").close()
        return super().predict(X)


RETRY_SECONDS = 2
root = sys.argv[1]
rng = np.random.default_rng(0)
frame = pd.DataFrame(rng.normal(size=(400, 2)), columns=["a", "b"])
model = Counting().fit(frame, frame["a"] > 0)
os.makedirs(os.path.join(root, "in"))
bad = frame.copy()
bad.loc[3, "a"] = np.nan
bad.iloc[:200].to_parquet(os.path.join(root, "in", "f0.parquet"), index=False)
frame.iloc[200:].to_parquet(os.path.join(root, "in", "f1.parquet"), index=False)
spark = tk.session("local[2,4]", conf={"spark.ui.enabled": "false"})  # 4 attempts per task
spark.sparkContext.setLogLevel("OFF")
source, results = os.path.join(root, "in"), {}
paths = {
    "files": lambda out: tk.score_files(model, source, out, spark=spark),
    "dataframe": lambda out: tk.score_files(model, source, out, engine="dataframe", spark=spark),
    "score": lambda out: tk.score(model, spark.read.parquet(source)).collect(),
}
for path, run in paths.items():
    model.calls = os.path.join(root, "calls-" + path)
    os.makedirs(model.calls)
    out = os.path.join(root, "out-" + path)
    try:
        with tk.worker_errors():
            run(out)
        error = None
    except Exception as exc:
        error = type(exc).__name__
    results[path] = {"error": error, "calls": model.calls, "out": os.path.exists(out)}
time.sleep(RETRY_SECONDS + 2)  # a retry that was not stopped completes its call meanwhile
for result in results.values():
    result["calls"] = sorted(os.listdir(result["calls"]))
print("RESULT " + json.dumps(results))
"""


@pytest.mark.own_spark
@pytest.mark.slow
def test_an_error_retrying_cannot_fix_stops_the_job_on_its_first_attempt(tmp_path, child_env):
    """On a master that retries (``local[2,4]``: 4 attempts), a refused value fails the job
    on its first attempt: the files engine, the dataframe engine and a ``score`` action.

    The files engine's retries refuse to start. On the DataFrame paths the job fails as
    soon as the driver cancels the stage (one poll, 0.25 s); a retry Spark started in
    that quarter second may still finish its model call in the background (its result
    is discarded), but no further attempt starts."""
    done = subprocess.run(
        [sys.executable, "-c", RETRY_SCRIPT, str(tmp_path)],
        capture_output=True, text=True, timeout=600, env=child_env,
        cwd=Path(__file__).resolve().parents[2],
    )  # fmt: skip
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert done.returncode == 0 and lines, done.stderr[-3000:]
    results = json.loads(lines[-1][len("RESULT ") :])
    assert set(results) == {"files", "dataframe", "score"}
    for path, result in results.items():
        assert result["error"] == "InvalidInputError", (path, result)
        completed = [call for call in result["calls"] if not call.startswith("start-")]
        assert completed, (path, result)
        started = {int(call.rsplit("-", 1)[1]) for call in result["calls"]}
        assert max(started) <= 1, (path, result)  # no third or fourth attempt (4 before)
        if path == "files":  # the staging record: a retry never scores
            assert [call for call in completed if not call.endswith("-0")] == [], result
        assert result["out"] is False, (path, result)
