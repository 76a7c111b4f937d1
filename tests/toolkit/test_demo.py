"""`scaleout demo` in an empty directory: the main job end to end, as a new user runs it."""

from __future__ import annotations

import pandas as pd
import pytest


@pytest.mark.own_spark
@pytest.mark.slow
def test_demo_in_an_empty_directory(demo_run):
    """The run (conftest.py's ``demo_run``, shared with test_quiet_cli.py) and what it built."""
    done, cwd, rows = demo_run.done, demo_run.cwd, demo_run.rows
    assert done.returncode == 0, done.stderr[-3000:]
    assert "speed-up vs MLlib" in done.stdout
    assert "mlflow ui --backend-store-uri" in done.stdout

    assert (cwd / "mlflow.db").exists()  # MLflow's own default store, in the cwd
    scored = cwd / "scaleout-demo" / "scored"
    assert (scored / "_SUCCESS").exists()
    output = pd.read_parquet(scored)
    assert len(output) == rows and output["id"].is_unique
    assert {"probability"} <= set(output.columns)

    import mlflow

    client = mlflow.MlflowClient(tracking_uri=f"sqlite:///{cwd / 'mlflow.db'}")
    version = client.get_model_version_by_alias("scaleout-demo-churn", "champion")
    assert str(version.version) == "1"
    runs = client.search_runs(
        [e.experiment_id for e in client.search_experiments()],
        filter_string="attributes.run_name = 'demo-score'",
    )
    assert len(runs) == 1
    assert runs[0].data.metrics["rows_out"] == rows
    params = runs[0].data.params
    assert params["model"] == "models:/scaleout-demo-churn@champion"  # as score_files(track=True)
    assert params["model_fingerprint"] == version.tags["scaleout.model_fingerprint"]
    logged = client.get_run(version.run_id)
    assert params["model_fingerprint"] == logged.data.tags["scaleout.model_fingerprint"]
