"""`scaleout score`: help, an end-to-end run in a subprocess, one clear line on failure."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import toolkit as tk
from toolkit.cli.main import main

REPO = Path(__file__).resolve().parents[2]
NUMERIC = ["x0", "x1", "x2", "x3", "x4"]


def child_env(remote: str | None = None) -> dict[str, str]:
    """This environment without the Spark Connect state pyspark leaves in os.environ."""
    drop = ("SPARK_REMOTE", "SPARK_MASTER", "SPARK_LOCAL_REMOTE", "SPARK_CONNECT", "PYSPARK_REMOTE")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    if remote:  # a client of this process's local Connect server, which wants its token
        env["SPARK_REMOTE"] = remote
        token = os.environ.get("SPARK_CONNECT_AUTHENTICATE_TOKEN")
        if token:
            env["SPARK_CONNECT_AUTHENTICATE_TOKEN"] = token
    return env


def scaleout(*args: str, remote: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "toolkit.cli", *args],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=REPO,
        env=child_env(remote),
    )


@pytest.fixture(scope="module")
def inputs(tmp_path_factory, frame, models) -> Path:
    """A hive-partitioned input table and the pipeline model saved as skops."""
    root = tmp_path_factory.mktemp("cli")
    for part in (0, 1):
        folder = root / "in" / f"part={part}"
        folder.mkdir(parents=True)
        rows = frame[frame["id"] % 2 == part]
        rows.iloc[:100].to_parquet(folder / "a.parquet", index=False)
        rows.iloc[100:].to_parquet(folder / "b.parquet", index=False)
    tk.save_model(models["pipeline"], root / "model.skops")
    return root


def test_help_reads_well(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0
    assert "score" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["score", "--help"])
    text = capsys.readouterr().out
    for option in ("MODEL INPUT OUTPUT", "--method M", "--features A,B", "--output-col C",
                   "--keep-columns A,B", "--mode {error,overwrite}",
                   "--handle-invalid {error,skip,keep}", "--engine {files,dataframe}",
                   "--model-engine {python,auto,native,onnx}",
                   "--master URL", "--trusted", "--trust NAME", "--conf KEY=VALUE",
                   "--batch-size N", "--quiet", "--format F", "examples:"):  # fmt: skip
        assert option in text, option


def test_bash_completion_knows_commands_flags_and_choices(capsys, tmp_path):
    assert main(["completion", "bash"]) == 0
    script = tmp_path / "scaleout.bash"
    script.write_text(capsys.readouterr().out)
    assert subprocess.run(["bash", "-n", str(script)]).returncode == 0

    def complete(*words: str) -> list[str]:
        line = " ".join(f"'{w}'" for w in words)
        probe = (f"source {script}; COMP_WORDS=({line}); COMP_CWORD={len(words) - 1}; "
                 '_scaleout; printf "%s\\n" "${COMPREPLY[@]}"')  # fmt: skip
        done = subprocess.run(["bash", "-c", probe], capture_output=True, text=True)
        return done.stdout.split()

    assert {"info", "check", "score", "model", "demo", "bench", "completion"} <= set(
        complete("scaleout", "")
    )
    assert complete("scaleout", "score", "m.skops", "--ba") == ["--batch-size"]
    assert "predict_proba" in complete("scaleout", "score", "--method", "")
    assert complete("scaleout", "model", "") == ["inspect", "convert"]
    assert "--force" in complete("scaleout", "model", "convert", "--")
    assert complete("scaleout", "check", "x.py", "--format", "") == ["text", "json"]
    assert complete("scaleout", "completion", "") == ["bash"]


@pytest.mark.slow
def test_scores_a_directory_end_to_end(request, inputs, frame, models, tmp_path):
    out = tmp_path / "out"
    args = ["score", str(inputs / "model.skops"), str(inputs / "in"), str(out),
            "--method", "predict_proba", "--keep-columns", "id,color"]  # fmt: skip
    if os.environ.get("SPARK_REMOTE"):  # a Connect client of this suite's server
        port = request.getfixturevalue("spark").conf.get("spark.connect.grpc.binding.port")
        done = scaleout(*args, remote=f"sc://localhost:{port}")
    else:
        done = scaleout(*args, "--master", "local[2]")
    assert done.returncode == 0, done.stderr[-3000:]
    assert "scaleout score: 4/4 files, 600/600 rows" in done.stderr  # log lines: not a terminal
    for label in ("rows in", "rows out", "rows/s", "destination"):
        assert label in done.stdout
    assert "600" in done.stdout
    scored = pd.read_parquet(out).sort_values("id")
    assert list(scored.columns) == ["id", "color", "probability", "part"]
    model = models["pipeline"]
    expected = model.predict_proba(frame[model.feature_names_in_])
    got = np.array([[row[str(c)] for c in model.classes_] for row in scored["probability"]])
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_refusals_print_one_line_and_exit_non_zero(inputs, tmp_path):
    model, source = str(inputs / "model.skops"), str(inputs / "in")
    (tmp_path / "taken").mkdir()
    cases = [
        (["score", model, source, str(tmp_path / "taken")], "already exists"),
        (["score", str(tmp_path / "nope.skops"), source, str(tmp_path / "o")], "No model at"),
        (["score", model, str(tmp_path / "missing"), str(tmp_path / "o")], "No input at"),
    ]
    for args, message in cases:
        done = scaleout(*args)
        assert done.returncode == 1
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("scaleout score: error: "), done.stderr
        assert message in lines[0]
        assert not (tmp_path / "o").exists()


def test_worker_side_failure_is_one_clear_line(spark, frame, inputs, tmp_path, capsys):
    bad = frame.copy()
    bad.loc[4, "x1"] = np.nan
    (tmp_path / "in").mkdir()
    bad.to_parquet(tmp_path / "in" / "bad.parquet", index=False)
    code = main(
        ["score", str(inputs / "model.skops"), str(tmp_path / "in"), str(tmp_path / "out"),
         "--verbose"]
    )  # fmt: skip
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1
    assert err[-1].startswith("scaleout score: error: "), err
    assert "bad.parquet" in err[-1] and "'x1'" in err[-1]
    assert not (tmp_path / "out").exists()


def test_dataframe_engine_and_overwrite_from_the_cli(spark, inputs, tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    args = ["score", str(inputs / "model.skops"), str(inputs / "in"), str(out),
            "--engine", "dataframe", "--model-engine", "auto", "--mode", "overwrite",
            "--handle-invalid", "skip",
            "--output-col", "label", "--verbose"]  # fmt: skip
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "rows out" in printed
    assert not re.search(r"\btasks\W+0\b", printed)  # a count that does not apply is left out
    scored = pd.read_parquet(out)
    assert len(scored) == 600 and "label" in scored.columns and "part" in scored.columns
