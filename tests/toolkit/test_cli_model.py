"""`scaleout model inspect` and `scaleout model convert`."""

from __future__ import annotations

import json
import operator
from pathlib import Path

import joblib
import pytest

import toolkit as tk
from toolkit.cli.main import main

NUMERIC = ["x0", "x1", "x2", "x3", "x4"]


@pytest.fixture(scope="module")
def saved(tmp_path_factory, models) -> Path:
    root = tmp_path_factory.mktemp("model-cli")
    tk.save_model(models["pipeline"], root / "pipeline.skops")
    tk.save_model(models["kmeans"], root / "kmeans.skops")
    joblib.dump(models["pipeline"], root / "pipeline.pkl")
    return root


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_inspect_text(capsys, saved, models):
    path = saved / "pipeline.skops"
    code, out, err = run(capsys, "model", "inspect", str(path))
    assert code == 0 and err == ""
    fields = dict(line.split(None, 1) for line in out.splitlines() if not line.startswith(" "))
    assert fields["model"] == "sklearn.pipeline.Pipeline"
    assert fields["features"] == ", ".join(models["pipeline"].feature_names_in_)
    assert fields["methods"] == "predict, predict_proba, predict_log_proba, decision_function"
    assert "  predict_proba      probability: struct<`no`: double, `yes`: double>" in out
    assert "  predict            prediction: string" in out
    assert fields["fingerprint"] == tk.fingerprint(tk.load_model(path))
    assert fields["scikit-learn"].startswith(f"{_sklearn()} when saved")
    assert fields["source"] == f"{path} (skops file)"


def test_inspect_json_matches_what_score_writes(capsys, saved, models):
    from toolkit.scoring.api import make_request

    path = saved / "pipeline.skops"
    code, out, _ = run(capsys, "model", "inspect", str(path), "--json")
    facts = json.loads(out)
    assert code == 0
    model = tk.load_model(path)
    assert facts["fingerprint"] == tk.fingerprint(model)
    assert facts["features"] == list(models["pipeline"].feature_names_in_)
    assert facts["steps"] == ["prep", "clf"]
    for method, shown in facts["methods"].items():
        spec = make_request(model, method=method).spec
        assert shown == {"column": spec.column, "type": spec.ddl}
    assert "transform" not in facts["methods"]
    assert facts["sklearn"] == {"recorded": _sklearn(), "installed": _sklearn()}
    assert facts["origin"]["kind"] == "skops file"
    assert facts["origin"]["path"] == str(path.resolve())


def test_inspect_a_clusterer(capsys, saved):
    code, out, _ = run(capsys, "model", "inspect", str(saved / "kmeans.skops"), "--json")
    facts = json.loads(out)
    assert code == 0
    assert facts["methods"]["predict"] == {"column": "prediction", "type": "bigint"}
    assert facts["methods"]["transform"]["type"].startswith("struct<")


def test_inspect_needs_trust_for_pickles_and_unknown_types(capsys, saved, frame, tmp_path):
    from sklearn.linear_model import LinearRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    code, _, err = run(capsys, "model", "inspect", str(saved / "pipeline.pkl"))
    assert code == 1 and "--trusted" in err and "trusted=True" not in err
    code, out, _ = run(capsys, "model", "inspect", str(saved / "pipeline.pkl"), "--trusted")
    assert code == 0 and "(pickle file)" in out
    odd = make_pipeline(FunctionTransformer(operator.pos), LinearRegression())
    path = tk.save_model(odd.fit(frame[NUMERIC], frame["x0"]), tmp_path / "odd.skops")
    code, _, err = run(capsys, "model", "inspect", str(path))
    assert code == 1 and "--trust _operator.pos" in err
    code, out, _ = run(capsys, "model", "inspect", str(path), "--trust", "_operator.pos", "--json")
    assert code == 0
    assert json.loads(out)["fingerprint"] == tk.fingerprint(
        tk.load_model(path, trusted=["_operator.pos"])
    )


def test_convert_refuses_without_trusted(capsys, saved, tmp_path):
    out = tmp_path / "converted.skops"
    code, _, err = run(capsys, "model", "convert", str(saved / "pipeline.pkl"), str(out))
    lines = err.strip().splitlines()
    assert code == 1 and len(lines) == 1
    assert lines[0].startswith("scaleout model convert: error: ") and "--trusted" in lines[0]
    assert not out.exists()


def test_convert_writes_skops_that_loads_safely(capsys, saved, tmp_path, frame, models):
    out = tmp_path / "converted.skops"
    code, printed, err = run(
        capsys, "model", "convert", str(saved / "pipeline.pkl"), str(out), "--trusted"
    )
    assert code == 0 and err == "" and str(out) in printed
    loaded = tk.load_model(out)  # no trust needed any more
    features = frame[list(models["pipeline"].feature_names_in_)]
    assert (loaded.predict(features) == models["pipeline"].predict(features)).all()
    code, inspected, _ = run(capsys, "model", "inspect", str(out), "--json")
    assert json.loads(inspected)["fingerprint"] == tk.fingerprint(tk.load_model(out))


def test_convert_refuses_an_existing_out_unless_forced(capsys, saved, tmp_path):
    out = tmp_path / "taken.skops"
    out.write_bytes(b"keep me")
    args = ["model", "convert", str(saved / "pipeline.pkl"), str(out), "--trusted"]
    code, _, err = run(capsys, *args)
    assert code == 1 and "--force" in err and len(err.strip().splitlines()) == 1
    assert out.read_bytes() == b"keep me"
    code, _, _ = run(capsys, *args, "--force")
    assert code == 0 and tk.load_model(out) is not None


def test_convert_refuses_an_out_that_is_not_skops(capsys, saved, tmp_path):
    args = ["model", "convert", str(saved / "pipeline.pkl"), str(tmp_path / "m.pkl"), "--trusted"]
    code, _, err = run(capsys, *args)
    assert code == 1 and ".skops" in err and not (tmp_path / "m.pkl").exists()


def test_model_needs_an_action(capsys):
    with pytest.raises(SystemExit) as done:
        main(["model"])
    assert done.value.code == 2


@pytest.mark.slow
def test_inspect_a_registered_mlflow_model(capsys, models, frame, tmp_path, monkeypatch):
    from toolkit.tracking import log_model

    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    model = models["pipeline"]
    uri = log_model(model, "model", registered_name="inspect-me", alias="champion")
    code, out, err = run(capsys, "model", "inspect", uri, "--json")
    assert code == 0, err
    facts = json.loads(out)
    assert facts["origin"]["source"] == uri and facts["origin"]["kind"] == "MLflow model (skops)"
    assert facts["origin"].get("run_id")
    assert facts["sklearn"]["recorded"] == _sklearn()
    assert facts["fingerprint"] == tk.fingerprint(tk.load_model(uri))


def _sklearn() -> str:
    import sklearn

    return sklearn.__version__


def test_an_unwritable_out_is_one_line(capsys, saved):
    args = ["model", "convert", str(saved / "pipeline.pkl"), "/proc/nope/m.skops", "--trusted"]
    code, _, err = run(capsys, *args)
    lines = err.strip().splitlines()
    assert code == 1 and len(lines) == 1 and lines[0].startswith("scaleout model convert: error: ")
