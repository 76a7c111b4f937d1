"""MLflow tracking for models and scoring jobs, on MLflow's own default store.

MLflow is imported only when a function here is called. The store is the one
MLflow picks (``MLFLOW_TRACKING_URI``, else a SQLite ``mlflow.db`` in the working
directory) unless ``tracking_uri=`` says otherwise.

Examples
--------
>>> uri = log_model(pipeline, "churn", input_example=X.head(), registered_name="churn",
...                 alias="champion")                           # doctest: +SKIP
>>> uri                                                          # doctest: +SKIP
'models:/churn@champion'
"""

from __future__ import annotations

import contextlib
import platform
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import asdict
from typing import Any

from toolkit.exceptions import TrackingError
from toolkit.models.api import fingerprint, load_model, loadable_skops_bytes
from toolkit.models.mlflow_source import check_tracking_server, store_errors

__all__ = ["known_requirements", "log_model", "set_alias", "tracked_run", "version_tags"]


def log_model(
    model: Any,
    name: str,
    *,
    input_example: Any = None,
    registered_name: str | None = None,
    alias: str | None = None,
    tracking_uri: str | None = None,
    onnx: bool = False,
    onnx_sample: Any = None,
) -> str:
    """Log a fitted scikit-learn model (skops format) and return the URI to load it by.

    With ``onnx=True`` the model is first exported with :func:`toolkit.export_onnx`'s
    check; the ONNX file is stored as ``model.onnx`` beside the skops file in the MLflow
    model's artifacts, and ``scaleout serve`` uses it instead of converting again. An
    export that fails its check raises :class:`~toolkit.exceptions.ExportError` before
    anything is logged.

    The run, and the registered version when there is one, carry the library versions
    (``scaleout.*_version``) and the model's content fingerprint
    (``scaleout.model_fingerprint``, :func:`toolkit.fingerprint`) as tags. A model
    made only of scikit-learn, numpy and scipy types is logged with pinned requirements
    (:func:`known_requirements`); one with types of its own gets MLflow's inference.

    Parameters
    ----------
    model : fitted estimator
    name : str
        The model's name inside the run.
    input_example : pandas DataFrame, optional
        A few rows; the signature is inferred from them and the model's ``predict``.
    registered_name : str, optional
        Register the model under this name (a new version each call).
    alias : str, optional
        Point this alias (e.g. ``champion``) at the new version; needs ``registered_name``.
    tracking_uri : str, optional
        Tracking store; default MLflow's own (``MLFLOW_TRACKING_URI`` or ``./mlflow.db``).
    onnx : bool
        Also store the checked ONNX export (``pip install "scaleout[serve]"``).
    onnx_sample : pandas DataFrame, optional
        Rows the export is checked on; default rows synthesised from the model's signature.

    Raises
    ------
    ExportError
        ``onnx=True`` and the model cannot be exported exactly; nothing was logged.

    Examples
    --------
    >>> log_model(model, "churn", registered_name="churn", alias="champion")  # doctest: +SKIP
    'models:/churn@champion'
    >>> log_model(model, "churn", registered_name="churn", onnx=True)  # doctest: +SKIP
    'models:/churn/2'
    """
    if alias and not registered_name:
        raise TrackingError(f"alias={alias!r} needs registered_name=... to know which model.")
    mlflow = _mlflow(tracking_uri)
    model = load_model(model)
    blob = loadable_skops_bytes(model, destination=f"the MLflow model {name!r}")
    export = None
    if onnx:  # exported and checked before anything is logged: a failure logs nothing
        from toolkit.serving.checked import prepare_export

        export = prepare_export(model, sample=onnx_sample)
    _check_servers(mlflow, doing="log a model to", registry=bool(registered_name))
    signature = None
    if input_example is not None:
        from mlflow.models import infer_signature

        with warnings.catch_warnings():  # MLflow's hint about int columns is not for our users
            warnings.filterwarnings("ignore", message="Hint: Inferred schema contains integer")
            signature = infer_signature(input_example, model.predict(input_example))
    tags = {**version_tags(), "scaleout.model_fingerprint": fingerprint(model)}
    if export is not None:
        tags["scaleout.onnx_precision"] = export.precision
    untrusted = _untrusted_types(blob)
    with store_errors(), _run(mlflow, run_name=f"log-{name}"):
        mlflow.set_tags(tags)
        info = mlflow.sklearn.log_model(
            model,
            name=name,
            serialization_format="skops",
            skops_trusted_types=untrusted or None,
            pip_requirements=None if untrusted else known_requirements(),
            signature=signature,
            input_example=input_example,
            registered_model_name=None if export is not None else registered_name,
        )
        version = info.registered_model_version
        if export is not None:  # the file first, then the version that points at the model
            _store_onnx(mlflow, info.model_id, export.onnx_bytes)
            if registered_name:
                version = mlflow.register_model(info.model_uri, registered_name).version
    if not registered_name:
        return info.model_uri
    with store_errors():  # the version carries them too: the registry UI shows them there
        client = mlflow.MlflowClient()
        for key, value in tags.items():
            client.set_model_version_tag(registered_name, str(version), key, value)
    if alias:
        set_alias(registered_name, alias, version, tracking_uri=tracking_uri)
        return f"models:/{registered_name}@{alias}"
    return f"models:/{registered_name}/{version}"


def set_alias(
    name: str, alias: str, version: int | str, *, tracking_uri: str | None = None
) -> None:
    """Point ``models:/name@alias`` at ``version`` (how a job's model is promoted).

    Parameters
    ----------
    name : str
        The registered model.
    alias : str
        The alias to set or move, e.g. ``champion``.
    version : int or str
        An existing version of ``name``.
    tracking_uri : str, optional
        Tracking store; default MLflow's own (``MLFLOW_TRACKING_URI`` or ``./mlflow.db``).

    Raises
    ------
    TrackingError
        The store cannot be reached, or it has no model ``name`` or no such version of it
        (the message lists the versions there are).

    Examples
    --------
    >>> set_alias("churn", "champion", 3)  # doctest: +SKIP
    """
    from mlflow.exceptions import MlflowException

    mlflow = _mlflow(tracking_uri)
    _check_servers(mlflow, doing=f"set the alias {name}@{alias} on", registry=True)
    with store_errors():
        client = mlflow.MlflowClient()
        try:
            client.set_registered_model_alias(name, alias, str(version))
        except MlflowException:
            _check_version_exists(client, name, version)  # the usual cause, said in words
            raise


@contextlib.contextmanager
def tracked_run(
    params: Mapping[str, Any], *, run_name: str = "scaleout-score", tracking_uri: str | None = None
) -> Iterator[Any]:
    """Open an MLflow run for a scoring job; yield a function that records its report.

    The store is checked before the block runs, so an unreachable store fails
    before any output is written. Inside an active run the job is logged there.

    Parameters
    ----------
    params : mapping
        The job's parameters, logged as MLflow params (lists joined by commas).
    run_name : str
        The run's name when a new run is opened (default ``scaleout-score``).
    tracking_uri : str, optional
        Tracking store; default MLflow's own (``MLFLOW_TRACKING_URI`` or ``./mlflow.db``).

    Yields
    ------
    callable
        ``record(report)``: logs the report's numbers as metrics, its extra params and
        the report itself as ``score_report.json``.

    Examples
    --------
    >>> with tracked_run({"method": "predict"}) as record:  # doctest: +SKIP
    ...     report = score_files(...)
    ...     record(report)
    """
    mlflow = _mlflow(tracking_uri)
    _check_servers(mlflow, doing="track the run on")
    with store_errors():  # a local store: readable (and migrated) before the job runs
        mlflow.MlflowClient().search_experiments(max_results=1)
    with store_errors(), _run(mlflow, run_name=run_name):
        mlflow.set_tags(version_tags())
        mlflow.log_params({k: _param(v) for k, v in params.items()})

        def record(report: Any) -> None:
            data = report.to_dict() if hasattr(report, "to_dict") else asdict(report)
            if hasattr(report, "metrics"):
                metrics = report.metrics()
            else:
                metrics = {k: float(v) for k, v in data.items() if isinstance(v, int | float)}
            known = set(params)
            extra = {
                k: _param(v) for k, v in getattr(report, "params", {}).items() if k not in known
            }
            master = _spark_master()
            if master and "spark_master" not in known:
                extra.setdefault("spark_master", master)
            with store_errors():
                mlflow.log_params(extra)
                mlflow.log_metrics(metrics)
                mlflow.log_dict(data, "score_report.json")

        yield record


def version_tags() -> dict[str, str]:
    """Library versions a result depends on, as MLflow tags.

    Examples
    --------
    >>> sorted(version_tags())[:2]  # doctest: +SKIP
    ['scaleout.python_version', 'scaleout.pyspark_version']
    """
    from importlib.metadata import PackageNotFoundError, version

    tags = {"scaleout.python_version": platform.python_version()}
    for package in ("scaleout", "scikit-learn", "pyspark", "pandas", "pyarrow"):
        try:
            tags[f"scaleout.{package.replace('-', '_')}_version"] = version(package)
        except PackageNotFoundError:
            tags[f"scaleout.{package.replace('-', '_')}_version"] = "not installed"
    return tags


def known_requirements() -> list[str]:
    """What a model made only of scikit-learn, numpy and scipy types needs to load, pinned.

    MLflow would infer requirements by loading the model in a new process (seconds,
    and it lists whatever that process imported, test runners included). A model with
    types of its own (skops' untrusted types) still gets MLflow's inference, which
    finds their packages.

    Examples
    --------
    >>> [r.split("==")[0] for r in known_requirements()]
    ['scikit-learn', 'skops', 'numpy', 'scipy', 'pandas']
    """
    from importlib.metadata import version

    return [f"{name}=={version(name)}" for name in ("scikit-learn", "skops", "numpy", "scipy",
                                                     "pandas")]  # fmt: skip


def _mlflow(tracking_uri: str | None) -> Any:
    import mlflow
    import mlflow.sklearn  # noqa: F401  (the flavor module)

    if tracking_uri:
        mlflow.set_tracking_uri(tracking_uri)
    return mlflow


@contextlib.contextmanager
def _run(mlflow: Any, *, run_name: str) -> Iterator[Any]:
    """Use the active run when there is one, else open (and close) a new one."""
    active = mlflow.active_run()
    if active is not None:
        yield active
        return
    with mlflow.start_run(run_name=run_name) as run:
        yield run


def _check_servers(mlflow: Any, *, doing: str, registry: bool = False) -> None:
    """One quick probe per server this call talks to: seconds, not minutes of retries."""
    uris = {mlflow.get_tracking_uri()}
    if registry:
        uris.add(mlflow.get_registry_uri())
    for uri in sorted(uris):
        check_tracking_server(uri, doing=doing)


def _check_version_exists(client: Any, name: str, version: int | str) -> None:
    """Raise a TrackingError naming the versions there are when ``version`` is not one."""
    import mlflow
    from mlflow.exceptions import MlflowException

    try:
        client.get_registered_model(name)
    except MlflowException as exc:
        if exc.error_code != "RESOURCE_DOES_NOT_EXIST":
            raise
        raise TrackingError(
            f"There is no registered model {name!r} in {mlflow.get_registry_uri()!r}. Check the "
            f"name, or register one with log_model(..., registered_name={name!r})."
        ) from None
    found = sorted(int(v.version) for v in client.search_model_versions(f"name = {name!r}"))
    if str(version) in map(str, found):
        return
    listed = ", ".join(map(str, found)) if found else "none"
    raise TrackingError(
        f"Model {name!r} has no version {version}; its versions are {listed}. Pass one of "
        f"those, or log a new version with log_model(..., registered_name={name!r})."
    )


def _spark_master() -> str | None:
    from pyspark.sql import SparkSession

    spark = SparkSession.getActiveSession()
    if spark is None:
        return None
    try:
        return spark.conf.get("spark.master")
    except Exception:  # Spark Connect to a server that hides it
        return "spark connect"


def _store_onnx(mlflow: Any, model_id: str, onnx_bytes: bytes) -> None:
    """Put ``model.onnx`` beside the skops file; on failure remove the logged model."""
    import tempfile
    from pathlib import Path

    from toolkit.serving.stored import ONNX_FILE

    client = mlflow.MlflowClient()
    try:
        with tempfile.TemporaryDirectory(prefix="scaleout-onnx-") as tmp:
            path = Path(tmp) / ONNX_FILE
            path.write_bytes(onnx_bytes)
            client.log_model_artifact(model_id, str(path))
    except BaseException:
        with contextlib.suppress(Exception):
            client.delete_logged_model(model_id)
        raise


def _untrusted_types(blob: bytes) -> list[str]:
    """Types skops would refuse in these bytes: the model we log, which we trust."""
    import skops.io as sio

    return sio.get_untrusted_types(data=blob)


def _param(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ",".join(map(str, value))
    return str(value)[:6000]
