"""The command line speaks flags: every error and warning is one line naming the flag to use."""

from __future__ import annotations

import operator
import subprocess
import sys
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest

import toolkit as tk
from toolkit.cli.main import main
from toolkit.cli.score import guess_format
from toolkit.cli.words import to_flags

REPO = Path(__file__).resolve().parents[2]
SCALEOUT = REPO / ".venv" / "bin" / "scaleout"
NUMERIC = ["x0", "x1", "x2", "x3", "x4"]
PYTHON_WORDS = ("trusted=True", "trusted=[", "features=[", "pass format=", "format=...",
                "mode='overwrite'", "handle_invalid=", "batch_size", "output_col", "keep_columns",
                "method=", "(the CLI:", "cli.py:", "ToolkitAdviceWarning")  # fmt: skip


@pytest.fixture(scope="module")
def files(tmp_path_factory, frame, models) -> Path:
    """Models in every form the errors need, and small inputs (no Spark needed to refuse)."""
    from sklearn.linear_model import LinearRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    root = tmp_path_factory.mktemp("words")
    tk.save_model(models["pipeline"], root / "model.skops")
    joblib.dump(models["pipeline"], root / "model.pkl")
    X = frame[NUMERIC].to_numpy()
    tk.save_model(LinearRegression().fit(X, X[:, 0]), root / "unnamed.skops")
    odd = make_pipeline(FunctionTransformer(operator.pos), LinearRegression())
    tk.save_model(odd.fit(frame[NUMERIC], frame["x0"]), root / "odd.skops")
    (root / "in").mkdir()
    frame.to_parquet(root / "in" / "a.parquet", index=False)
    (root / "csv").mkdir()
    frame.to_csv(root / "csv" / "a.csv", index=False)
    (root / "empty").mkdir()
    (root / "taken").mkdir()
    return root


def one_error(capsys, args: list[str], status: int = 1) -> str:
    """Run the CLI in-process; return its only stderr line, after the common checks."""
    code = main(args)
    err = capsys.readouterr().err.strip().splitlines()
    assert code == status, err
    assert len(err) == 1, err
    line = err[0]
    assert line.startswith("scaleout "), line
    for word in PYTHON_WORDS:
        assert word not in line, (word, line)
    return line


def test_pickle_without_trust_names_the_flag(capsys, files, tmp_path):
    line = one_error(
        capsys, ["score", str(files / "model.pkl"), str(files / "in"), str(tmp_path / "o")]
    )
    assert line.startswith("scaleout score: error: ")
    assert "--trusted" in line
    assert f"scaleout model convert {files / 'model.pkl'}" in line
    assert not (tmp_path / "o").exists()


def test_unknown_skops_type_names_trust(capsys, files, tmp_path):
    line = one_error(
        capsys, ["score", str(files / "odd.skops"), str(files / "in"), str(tmp_path / "o")]
    )
    assert "--trust _operator.pos" in line and "(or --trusted)" in line


def test_existing_destination_names_mode_overwrite(capsys, files):
    line = one_error(
        capsys, ["score", str(files / "model.skops"), str(files / "in"), str(files / "taken")]
    )
    assert "--mode overwrite" in line


def test_model_without_names_asks_for_features(capsys, files, tmp_path):
    line = one_error(
        capsys, ["score", str(files / "unnamed.skops"), str(files / "in"), str(tmp_path / "o")]
    )
    assert "--features a,b" in line


def test_wrong_feature_count_names_features(capsys, files, tmp_path):
    args = [
        "score",
        str(files / "model.skops"),
        str(files / "in"),
        str(tmp_path / "o"),
        "--features",
        "x0",
    ]
    assert "--features names 1" in one_error(capsys, args)


def test_missing_method_names_method(capsys, files, tmp_path):
    args = [
        "score",
        str(files / "model.skops"),
        str(files / "in"),
        str(tmp_path / "o"),
        "--method",
        "transform",
    ]
    line = one_error(capsys, args)
    assert "--method" in line and "predict_proba" in line


def test_missing_keep_column_names_keep_columns(capsys, files, tmp_path):
    args = [
        "score",
        str(files / "model.skops"),
        str(files / "in"),
        str(tmp_path / "o"),
        "--keep-columns",
        "nope",
    ]
    assert "Fix --keep-columns" in one_error(capsys, args)


def test_wrong_format_suggests_the_right_one(capsys, files, tmp_path):
    args = [
        "score",
        str(files / "model.skops"),
        str(files / "csv"),
        str(tmp_path / "o"),
        "--format",
        "parquet",
    ]
    assert "--format csv" in one_error(capsys, args)


def test_format_pyarrow_cannot_read_names_engine(capsys, files, tmp_path):
    args = [
        "score",
        str(files / "model.skops"),
        str(files / "in"),
        str(tmp_path / "o"),
        "--format",
        "orc",
    ]
    line = one_error(capsys, args)
    assert "--format orc" in line and "--engine dataframe" in line


def test_bad_batch_size_and_output_col_name_their_flags(capsys, files, tmp_path):
    base = ["score", str(files / "model.skops"), str(files / "in"), str(tmp_path / "o")]
    assert "--batch-size must be" in one_error(capsys, [*base, "--batch-size", "0"])
    assert "--output-col NAME" in one_error(capsys, [*base, "--output-col", "x0"])


def test_usage_errors_exit_2(capsys, files, tmp_path):
    base = ["score", str(files / "model.skops"), str(files / "in"), str(tmp_path / "o")]
    with pytest.raises(SystemExit) as done:
        main([*base, "--conf", "no-equals-sign"])
    assert done.value.code == 2
    assert "--conf: expected KEY=VALUE" in capsys.readouterr().err
    with pytest.raises(SystemExit) as done:
        main([*base, "--batch-size", "many"])
    assert done.value.code == 2


def test_empty_directory_warns_in_one_line(capsys, files, tmp_path):
    code = main(
        ["score", str(files / "model.skops"), str(files / "empty"), str(tmp_path / "o"), "--quiet"]
    )
    captured = capsys.readouterr()
    assert code == 0
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("scaleout score: warning: No rows found under ")
    for word in PYTHON_WORDS:
        assert word not in lines[0]
    assert captured.out == ""  # --quiet: no summary


def test_models_uri_without_a_store_creates_nothing(capsys, files, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    line = one_error(capsys, ["score", "models:/churn@champion", str(files / "in"), "out"])
    assert "no MLflow tracking store here" in line and "MLFLOW_TRACKING_URI" in line
    assert list(tmp_path.iterdir()) == []
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'nowhere.db'}")
    line = one_error(capsys, ["model", "inspect", "models:/churn@champion"])
    assert "does not exist" in line and list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_worker_refusal_names_handle_invalid(spark, capsys, frame, files, tmp_path):
    bad = frame.copy()
    bad.loc[3, "x2"] = np.nan
    (tmp_path / "in").mkdir()
    bad.to_parquet(tmp_path / "in" / "bad.parquet", index=False)
    args = ["score", str(files / "model.skops"), str(tmp_path / "in"), str(tmp_path / "o")]
    line = one_error(capsys, [*args, "--quiet"])  # --quiet: no progress lines, the error still
    assert "--handle-invalid skip" in line and "--handle-invalid keep" in line


@pytest.mark.slow
def test_csv_is_recognised_and_conf_reaches_the_session(spark, capsys, frame, files, tmp_path):
    out = tmp_path / "o"
    args = ["score", str(files / "model.skops"), str(files / "csv"), str(out), "--quiet",
            "--conf", "spark.sql.shuffle.partitions=3", "--batch-size", "100"]  # fmt: skip
    assert main(args) == 0
    captured = capsys.readouterr()
    assert captured.out == "" and "error" not in captured.err
    assert len(pd.read_parquet(out)) == len(frame)
    assert spark.conf.get("spark.sql.shuffle.partitions") == "3"
    spark.conf.set("spark.sql.shuffle.partitions", "2")


def test_subprocess_error_has_no_traceback(files, tmp_path, child_env):
    done = subprocess.run(
        [str(SCALEOUT), "score", str(files / "model.pkl"), str(files / "in"), str(tmp_path / "o")],
        capture_output=True, text=True, timeout=300, env=child_env,
    )  # fmt: skip
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "--trusted" in lines[0] and "trusted=True" not in lines[0]


def info(env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "toolkit.cli", "info"], capture_output=True, text=True,
        timeout=120, env=env, cwd=REPO,
    )  # fmt: skip
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    return done.stdout


def test_info_shows_a_connect_target_without_starting_it(child_env):
    env = {k: v for k, v in child_env.items() if k != "SPARK_MASTER"}
    out = info({**env, "SPARK_REMOTE": "sc://127.0.0.1:15999"})
    target = next(line for line in out.splitlines() if line.startswith("spark target"))
    assert "sc://127.0.0.1:15999" in target and "Spark Connect" in target
    assert "SPARK_REMOTE" in target
    out = info(env)
    assert "local[*] (classic Spark, embedded" in out


def test_info_says_java_11_is_too_old(child_env, tmp_path):
    java = tmp_path / "jdk" / "bin" / "java"
    java.parent.mkdir(parents=True)
    java.write_text("#!/bin/sh\necho 'openjdk version \"11.0.2\" 2019-01-15' >&2\n")
    java.chmod(0o755)
    out = info({**child_env, "JAVA_HOME": str(tmp_path / "jdk")})
    line = next(line for line in out.splitlines() if line.startswith("java"))
    assert f"Java 11 found at {java}; Spark 4 needs 17+" in line
    assert "missing" not in line


def test_guess_format_by_extension(files, tmp_path):
    assert guess_format(str(files / "csv")) == "csv"
    assert guess_format(str(files / "csv" / "a.csv")) == "csv"
    assert guess_format(str(files / "csv" / "*.csv")) == "csv"
    assert guess_format(str(files / "in")) == "parquet"
    (tmp_path / "mixed").mkdir()
    (tmp_path / "mixed" / "a.json").write_text("{}\n")
    (tmp_path / "mixed" / "b.csv").write_text("a\n1\n")
    (tmp_path / "mixed" / "_SUCCESS").write_text("")
    assert guess_format(str(tmp_path / "mixed")) == "parquet"
    (tmp_path / "mixed" / "b.csv").unlink()
    assert guess_format(str(tmp_path / "mixed")) == "json"


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("pass trusted=['a.B', 'c.D'] (or trusted=True)", "pass --trust a.B --trust c.D (or --trusted)"),
        ("or pass mode='overwrite' (the CLI: --mode overwrite) to replace it", "or pass --mode overwrite to replace it"),
        ("Rename the columns or pass features=[...].", "Rename the columns or pass --features a,b."),
        ("features=['a', 'b'] names others; or leave features=None.", "--features a,b names others; or leave out --features."),
        ("Use engine='dataframe' (the CLI: --engine dataframe).", "Use --engine dataframe."),
        ("conf['spark.x'] = '1' cannot change", "--conf spark.x=1 cannot change"),
        ("a\n  multi-line   message", "a multi-line message"),
        ("master='bogus' (from SPARK_MASTER) is not", "SPARK_MASTER=bogus is not"),
        ("cannot reach master='spark://h:1': ...; master='local[*]' runs", "cannot reach --master spark://h:1: ...; --master local[*] runs"),
        ("cannot reach remote='sc://h:1': ...; remote='local[2]' starts", "cannot reach --master sc://h:1: ...; SPARK_REMOTE=local[2] starts"),
        ("/in/mode=overwrite/batch_size/a.parquet is empty", "/in/mode=overwrite/batch_size/a.parquet is empty"),
        ("'output_col' is a column; keep_columns=['output_col']", "'output_col' is a column; --keep-columns output_col"),
        ("an MLflow model saved with serialization_format='pickle'", "an MLflow model saved with serialization_format='pickle'"),
    ],
)  # fmt: skip
def test_to_flags_table(message, expected):
    assert to_flags(message) == expected


def test_warnings_outside_commands_are_left_alone(capsys, files, tmp_path):
    import warnings

    before = warnings.showwarning
    main(
        ["score", str(files / "model.skops"), str(files / "empty"), str(tmp_path / "o"), "--quiet"]
    )
    capsys.readouterr()
    assert warnings.showwarning is before
