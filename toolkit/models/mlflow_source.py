"""Find an MLflow scikit-learn model on local disk without deserialising it, and probe servers.

:func:`open_mlflow_model` turns a local MLflow model directory, a ``file:`` URI or a
``runs:/`` / ``models:/`` / ``mlflow-artifacts:`` URI into a local directory (MLflow's
artifact download, which only copies files) and reads its ``MLmodel`` YAML: which file
holds the scikit-learn model and in which format (``skops``, ``pickle``,
``cloudpickle``). Deciding whether those bytes may be loaded is the caller's job
(:func:`toolkit.load_model`).

:func:`check_tracking_server` asks a tracking server one quick question (no retries,
10 s timeout) before anything slower, so an unreachable server is a one-line error
within seconds, not minutes of MLflow's retries.

Examples
--------
>>> with open_mlflow_model("models:/churn@champion") as found:   # doctest: +SKIP
...     found.serialization_format, found.model_file.name
('skops', 'model.skops')
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolkit.exceptions import ModelLoadError, ToolkitError, TrackingError, first_line

__all__ = [
    "MlflowSklearnModel",
    "check_tracking_server",
    "is_mlflow_source",
    "open_mlflow_model",
    "quick_requests",
    "store_errors",
]

_REMOTE_SCHEMES = ("runs:/", "models:/", "mlflow-artifacts:", "http://", "https://")
_SERVER_SCHEMES = ("http://", "https://", "databricks")
_PROBE_TIMEOUT = 10
_MAX_MLMODEL_BYTES = 1 << 20


@dataclass(frozen=True)
class MlflowSklearnModel:
    """An MLflow model's scikit-learn flavor, found on local disk and not yet loaded.

    Examples
    --------
    >>> found.serialization_format   # doctest: +SKIP
    'skops'
    """

    source: str
    directory: Path
    model_file: Path
    serialization_format: str


def is_mlflow_source(source: str) -> bool:
    """True for an MLflow model URI or a local directory holding an ``MLmodel`` file.

    Examples
    --------
    >>> is_mlflow_source("models:/churn@champion"), is_mlflow_source("model.skops")
    (True, False)
    """
    if source.startswith((*_REMOTE_SCHEMES, "file:")):
        return True
    return (Path(source) / "MLmodel").is_file()


@contextlib.contextmanager
def open_mlflow_model(source: str) -> Iterator[MlflowSklearnModel]:
    """Yield the scikit-learn flavor of the MLflow model at ``source``; nothing is unpickled.

    A remote model is downloaded into a temporary directory that is removed on exit.

    Examples
    --------
    >>> with open_mlflow_model("runs:/0a1b2c/model") as found:   # doctest: +SKIP
    ...     found.model_file
    """
    if source.startswith(_REMOTE_SCHEMES):
        _probe_for(source)
        with tempfile.TemporaryDirectory(prefix="scaleout-mlflow-") as tmp:
            yield _sklearn_flavor(source, _download(source, tmp))
        return
    yield _sklearn_flavor(source, _local_directory(source))


def check_tracking_server(
    uri: str, *, error: type[ToolkitError] = TrackingError, doing: str = "use"
) -> None:
    """Ask the MLflow server at ``uri`` one quick question; raise ``error`` naming the cause.

    Local stores (``sqlite:``, ``file:``, paths) are not probed: there is no server.

    Examples
    --------
    >>> check_tracking_server("http://127.0.0.1:5000")   # doctest: +SKIP
    Traceback (most recent call last):
    TrackingError: Cannot use the MLflow tracking store at http://127.0.0.1:5000: ...
    """
    if not uri.startswith(_SERVER_SCHEMES):
        return
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    try:
        with quick_requests():
            MlflowClient(tracking_uri=uri).search_experiments(max_results=1)
    except (MlflowException, OSError, ValueError) as exc:
        raise error(
            f"Cannot {doing} the MLflow tracking store at {uri}: {server_cause(exc)}. Check "
            "the address and that the server runs, or point MLFLOW_TRACKING_URI (or "
            "tracking_uri=) at a reachable one or at a local sqlite:///path/mlflow.db store."
        ) from None


def server_cause(exc: BaseException) -> str:
    """The real reason a request to a tracking server failed, in a few words.

    Examples
    --------
    >>> server_cause(OSError("... [Errno 111] Connection refused"))
    'connection refused (nothing listens at that address)'
    """
    text = str(exc)
    lowered = text.lower()
    causes = (
        (("connection refused",), "connection refused (nothing listens at that address)"),
        (
            ("name or service not known", "nodename nor servname", "name resolution",
             "getaddrinfo failed", "no address associated"),
            "the host name does not resolve",
        ),
        (("timed out", "timeout"), f"no answer within {_PROBE_TIMEOUT} s"),
        (("error code 401", "error code 403"), "access denied: set MLFLOW_TRACKING_TOKEN or "
         "MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD"),
        (("error code 404", "error code 405", "response body", "expecting value",
          "jsondecodeerror", "not valid json"),
         "it answered, but not as an MLflow server (no MLflow REST API there)"),
    )  # fmt: skip
    for needles, cause in causes:
        if any(needle in lowered for needle in needles):
            return cause
    return first_line(exc)


@contextlib.contextmanager
def quick_requests() -> Iterator[None]:
    """Inside this block MLflow's HTTP requests do not retry and time out after 10 s.

    Examples
    --------
    >>> with quick_requests():        # doctest: +SKIP
    ...     MlflowClient().search_experiments(max_results=1)
    """
    wanted = {
        "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0",
        "MLFLOW_HTTP_REQUEST_TIMEOUT": str(_PROBE_TIMEOUT),
    }
    saved = {key: os.environ.get(key) for key in wanted}
    os.environ.update(wanted)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@contextlib.contextmanager
def store_errors(error: type[ToolkitError] = TrackingError) -> Iterator[None]:
    """Turn an MLflow store failure inside the block into one line naming the store.

    Examples
    --------
    >>> with store_errors():         # doctest: +SKIP
    ...     mlflow.log_metrics({"rows": 10})
    """
    from mlflow.exceptions import MlflowException

    try:
        yield
    except (MlflowException, OSError) as exc:
        import mlflow

        raise error(
            f"The MLflow tracking store {mlflow.get_tracking_uri()!r} failed: "
            f"{server_cause(exc)}. Check MLFLOW_TRACKING_URI (or tracking_uri=) points at a "
            "reachable server or a writable sqlite:/// file."
        ) from None


def _probe_for(source: str) -> None:
    """Probe the servers that resolving ``source`` will talk to (tracking and registry)."""
    import mlflow

    uris = {mlflow.get_tracking_uri()}
    if source.startswith("models:/"):
        uris.add(mlflow.get_registry_uri())
    for uri in sorted(uris):
        check_tracking_server(uri, error=ModelLoadError, doing=f"load {source!r} from")


def _download(source: str, directory: str) -> Path:
    import mlflow.artifacts

    try:
        return Path(mlflow.artifacts.download_artifacts(artifact_uri=source, dst_path=directory))
    except Exception as exc:
        raise ModelLoadError(
            f"MLflow could not load a scikit-learn model from {source!r}: {server_cause(exc)}. "
            "Check the URI (runs:/<run_id>/<path>, models:/<name>@<alias>, "
            "models:/<name>/<version>) and MLFLOW_TRACKING_URI."
        ) from None


def _local_directory(source: str) -> Path:
    if source.startswith("file:"):
        from mlflow.utils.file_utils import local_file_uri_to_path

        path = Path(local_file_uri_to_path(source))
    else:
        path = Path(source)
    if not (path / "MLmodel").is_file():
        raise ModelLoadError(
            f"MLflow could not load a scikit-learn model from {source!r}: {str(path)!r} is not "
            "an MLflow model directory (it has no MLmodel file). Check the path."
        )
    return path


def _sklearn_flavor(source: str, directory: Path) -> MlflowSklearnModel:
    flavors = _read_mlmodel(source, directory).get("flavors") or {}
    flavor = flavors.get("sklearn") if isinstance(flavors, dict) else None
    if not isinstance(flavor, dict) or not isinstance(flavor.get("pickled_model"), str):
        names = ", ".join(sorted(flavors)) if isinstance(flavors, dict) and flavors else "none"
        raise ModelLoadError(
            f"{source} is an MLflow model without a scikit-learn flavor (its flavors: {names}); "
            "scaleout scores scikit-learn models. Log the model with mlflow.sklearn or "
            "tk.tracking.log_model."
        )
    model_file = (directory / flavor["pickled_model"]).resolve()
    if not model_file.is_relative_to(directory.resolve()) or not model_file.is_file():
        raise ModelLoadError(
            f"{source}: its MLmodel names the model file {flavor['pickled_model']!r}, which is "
            "not a file inside the model directory. The model directory is incomplete or "
            "was altered; log or save the model again."
        )
    fmt = str(flavor.get("serialization_format", "pickle"))
    return MlflowSklearnModel(source, directory, model_file, fmt)


def _read_mlmodel(source: str, directory: Path) -> dict[str, Any]:
    import yaml

    path = directory / "MLmodel"
    if not path.is_file() or path.stat().st_size > _MAX_MLMODEL_BYTES:
        raise ModelLoadError(
            f"{source} is not an MLflow model: expected an MLmodel file (YAML, under 1 MiB) "
            f"in {str(directory)!r}. Check the URI or path."
        )
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))  # safe_load builds no objects
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ModelLoadError(
            f"{source}: its MLmodel file is not valid YAML ({first_line(exc)})."
        ) from None
    if not isinstance(data, dict):
        raise ModelLoadError(f"{source}: its MLmodel file is not an MLflow model description.")
    return data
