"""set_alias to a version or model the registry does not have: one line saying which
versions there are, not MLflow's store error (issue 16, item 5). No Spark."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from toolkit.exceptions import TrackingError
from toolkit.tracking import log_model, set_alias

pytestmark = pytest.mark.slow  # a fresh sqlite store: ~10 s of MLflow migrations


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    """A fresh sqlite store holding model ``m`` with one version."""
    import mlflow

    path = tmp_path_factory.mktemp("registry")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{path / 'mlflow.db'}")
        patch.chdir(path)
        X = np.array([[0.0], [1.0], [2.0], [3.0]])
        model = LogisticRegression().fit(X, [0, 0, 1, 1])
        assert log_model(model, "model", registered_name="m") == "models:/m/1"
        yield mlflow.MlflowClient()
        if mlflow.active_run():
            mlflow.end_run()


def test_a_missing_version_names_the_versions_there_are(registry):
    with pytest.raises(TrackingError, match=r"no version 7; its versions are 1\. ") as info:
        set_alias("m", "champion", 7)
    message = str(info.value)
    assert "\n" not in message
    assert "log_model(..., registered_name='m')" in message
    assert "tracking store" not in message  # not blamed on the store
    set_alias("m", "champion", 1)  # an existing version still works
    assert str(registry.get_model_version_by_alias("m", "champion").version) == "1"


def test_an_unknown_model_is_said_to_be_unknown(registry):
    with pytest.raises(TrackingError, match=r"no registered model 'nope'") as info:
        set_alias("nope", "champion", 1)
    assert "\n" not in str(info.value)


def test_a_plain_sklearn_model_is_logged_with_pinned_requirements(registry):
    """Pinned from the installed versions, not inferred in a subprocess (which also lists
    whatever that process imported, pytest included)."""
    import mlflow
    import sklearn
    import skops

    folder = mlflow.artifacts.download_artifacts("models:/m/1")
    with open(f"{folder}/requirements.txt") as text:
        requirements = text.read().split()
    assert f"scikit-learn=={sklearn.__version__}" in requirements
    assert f"skops=={skops.__version__}" in requirements
    assert not any(line.startswith("pytest") for line in requirements)
