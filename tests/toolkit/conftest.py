"""Fitted scikit-learn models shared by the scoring tests (trained once per session), and
one `scaleout demo` run shared by the tests that check its results and its quiet output."""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

NUMERIC = ["x0", "x1", "x2", "x3", "x4"]


def make_frame(n: int = 600, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(rng.normal(size=(n, len(NUMERIC))), columns=NUMERIC)
    frame.insert(0, "id", np.arange(n, dtype=np.int64))
    frame["color"] = rng.choice(["red", "green", "blue"], size=n)
    return frame


@pytest.fixture(scope="session")
def frame() -> pd.DataFrame:
    return make_frame()


@pytest.fixture(scope="session")
def models(frame):
    """name -> fitted model; each was fit on a pandas frame, so it knows its feature names."""
    from sklearn.cluster import KMeans
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingRegressor, RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    X = frame[NUMERIC]
    score = X["x0"] + 0.5 * X["x1"] - 0.25 * X["x2"]
    three = np.select([score < -0.5, score < 0.5], ["low", "mid"], "high")
    binary = (score + (frame["color"] == "red") > 0.3).map({True: "yes", False: "no"})
    pipe = Pipeline(
        [
            (
                "prep",
                ColumnTransformer(
                    [("onehot", OneHotEncoder(), ["color"]), ("scale", StandardScaler(), NUMERIC)]
                ),
            ),
            ("clf", LogisticRegression(max_iter=500)),
        ]
    )
    return {
        "logreg": LogisticRegression(max_iter=500).fit(X, three),
        "forest": RandomForestClassifier(n_estimators=10, max_depth=5, random_state=0).fit(
            X, (score > 0).astype(int)
        ),
        "hgb_regressor": HistGradientBoostingRegressor(max_iter=20, random_state=0).fit(X, score),
        "kmeans": KMeans(n_clusters=4, n_init=2, random_state=0).fit(X),
        "pipeline": pipe.fit(frame[["color", *NUMERIC]], binary),
    }


@dataclass(frozen=True)
class DemoRun:
    """One finished `scaleout demo` run: the process, its working directory, rows scored."""

    done: subprocess.CompletedProcess
    cwd: Path
    rows: int


def scaleout_command() -> list[str]:
    """The installed `scaleout` console script (beside this Python, else on PATH)."""
    found = Path(sys.executable).with_name("scaleout")
    return [str(found)] if found.exists() else [shutil.which("scaleout") or "scaleout"]


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory, session_child_env) -> DemoRun:
    """`scaleout demo` as a new user runs it: an empty directory, no MLflow settings, quiet
    (no --verbose), its own embedded local[2]. Run once: test_demo.py checks what it built,
    test_quiet_cli.py what it printed."""
    cwd = tmp_path_factory.mktemp("demo")
    env = {k: v for k, v in session_child_env.items() if not k.startswith("MLFLOW_")}
    rows, train_rows = 20_000, 2_000
    done = subprocess.run(
        [*scaleout_command(), "demo", "--rows", str(rows), "--train-rows", str(train_rows),
         "--repeat", "1"],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    return DemoRun(done, cwd, rows)
