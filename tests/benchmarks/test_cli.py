"""`scaleout bench` options, and one end-to-end run at tiny size in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from benchmarks.cli import config_from_args, parser
from toolkit.cli.main import main as scaleout
from toolkit.exceptions import InvalidOptionError

ROOT = Path(__file__).resolve().parents[2]


def test_quick_is_the_default_and_full_is_larger():
    quick = config_from_args(parser().parse_args([]))
    full = config_from_args(parser().parse_args(["--full"]))
    assert quick.preset == "quick" and full.preset == "full"
    assert full.rows == 2_000_000 and full.repeat == 5 and full.rows > quick.rows


def test_explicit_options_win_over_the_preset():
    config = config_from_args(parser().parse_args([
        "--full", "--rows", "1e4", "--repeat", "2", "--models", "gbt,kmeans",
        "--paths", "mllib,score", "--skip", "pandas_ops,cold", "--scaling-rows", "10,20",
        "--workdir", "w", "--out", "o", "--quiet",
    ]))  # fmt: skip
    assert (config.rows, config.repeat, config.pandas_repeat) == (10_000, 2, 2)
    assert config.models == ("gbt", "kmeans") and config.paths == ("mllib", "score")
    assert config.suites == ("scoring", "scaling") and config.scaling_rows == (10, 20)
    assert (str(config.workdir), str(config.out), config.progress) == ("w", "o", False)


def test_unknown_names_are_refused(capsys):
    with pytest.raises(SystemExit):
        parser().parse_args(["--models", "xgboost"])
    assert "unknown xgboost" in capsys.readouterr().err
    with pytest.raises(InvalidOptionError, match="rows must be at least 1"):
        config_from_args(parser().parse_args(["--rows", "0"]))


def test_scaleout_bench_hands_its_options_to_the_benchmark(capsys):
    with pytest.raises(SystemExit) as exit_:
        scaleout(["bench", "--help"])
    assert exit_.value.code == 0
    assert "usage: scaleout bench" in capsys.readouterr().out


@pytest.mark.own_spark
@pytest.mark.slow
def test_end_to_end_at_tiny_size(tmp_path, child_env):
    env = dict(child_env, PYTHONPATH=str(ROOT))
    out = tmp_path / "results"
    done = subprocess.run(
        [sys.executable, "-m", "toolkit.cli", "bench", "--rows", "2000", "--features", "4",
         "--files", "2", "--train-rows", "500", "--warmup", "1", "--repeat", "1",
         "--models", "kmeans", "--modes", "files", "--paths", "mllib,score,score_files,mlflow_udf,limit",
         "--suites", "scoring,scaling,demo", "--scaling-rows", "500,2000",
         "--demo-rows", "2000", "--demo-train-rows", "500", "--workdir", str(tmp_path / "work"),
         # a second model, only for scaling (trained and logged too): the one MLlib fits in one pass
         "--scaling-model", "linear_regression",
         "--out", str(out), "--quiet"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads((out / "results.json").read_text())
    paths = ["mllib", "score", "score_files", "mlflow_udf", "limit"]
    assert [(s["model"], s["path"], s["mode"]) for s in results["summary"]] == [
        ("kmeans", path, "files") for path in paths
    ]
    checked = [(a["suite"], a["path"], a["rows"]) for a in results["agreement"]]
    assert checked == [("scoring", p, 2000) for p in paths] + [
        ("scaling", p, rows) for rows in (500, 2000) for p in ("mllib", "score", "score_files")
    ]
    assert results["agreement"][0]["metric"] == "ari"  # MLlib's clusters: a sanity check
    assert [t["model"] for t in results["training"]] == ["kmeans", "linear_regression"]
    assert {s["model"] for s in results["scaling"]} == {"linear_regression"}
    assert {s["phase"] for s in results["samples"]} == {"warmup", "timed"}
    assert results["meta"]["environment"]["threads_worker"]["env"]["OMP_NUM_THREADS"] == "1"
    demo = results["demo"]  # the demo's model and timing code, with the bench's repeats
    assert (demo["rows"], demo["runs"]) == (2000, 1)
    assert demo["speedup"] == pytest.approx(demo["mllib_seconds"] / demo["score_files_seconds"])
    assert demo["speedup_low"] <= demo["speedup"] <= demo["speedup_high"]
    scored = pd.read_parquet(tmp_path / "work" / "out" / "demo" / "timing-score_files")
    assert len(scored) == 2000 and scored["id"].is_unique
    report = (out / "results.md").read_text()
    assert "## Targets" in report and "## The demo's model" in report
    assert sorted(p.name for p in out.glob("*.png")) == ["scaling.png", "throughput.png"]
    assert "wrote markdown" in done.stdout
    assert not (tmp_path / "mlruns").exists() and not (tmp_path / "mlflow.db").exists()
