"""Searches you can read afterwards: a parent MLflow run per search, a child run per candidate.

:func:`fit_tracked` fits a scikit-learn search (GridSearchCV, RandomizedSearchCV, the
halving searches; inside :func:`toolkit.parallel_backend` its fits run on Spark) and
:func:`toolkit.optimize` with ``track=True`` runs a study (:func:`tracked_study`). The
parent run holds the search space (``space.*`` params), the best score (metric
``best_score``) and best parameters (``best.*`` params), the results table as a CSV
artifact (``cv_results.csv`` or ``trials.csv``) and, for a refit search, the best model
(:func:`toolkit.tracking.log_model`, model ``best_model``, its URI in the tag
``scaleout.best_model_uri``). Each candidate or trial is
a child run (tag ``mlflow.parentRunId``) with its parameters and scores. Everything is
logged after the search succeeded: a failed search leaves only its parent run, FAILED.
Inside an active MLflow run, that run is the parent (and the exception ends it, as usual).

Examples
--------
>>> with tk.parallel_backend():                                        # doctest: +SKIP
...     search = fit_tracked(GridSearchCV(model, grid, n_jobs=-1), X, y)
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from toolkit.exceptions import UnsupportedModelError
from toolkit.models.mlflow_source import check_tracking_server, store_errors

__all__ = ["fit_tracked", "tracked_study"]


def _mlflow(tracking_uri: str | None) -> Any:
    import mlflow

    if tracking_uri:
        mlflow.set_tracking_uri(tracking_uri)
    check_tracking_server(mlflow.get_tracking_uri(), doing="track the search on")
    with store_errors():  # a local store: readable (and migrated) before the search runs
        mlflow.MlflowClient().search_experiments(max_results=1)
    return mlflow


@contextlib.contextmanager
def _parent(mlflow: Any, run_name: str) -> Iterator[Any]:
    """The active run, else a new run that ends FAILED if the block raises."""
    active = mlflow.active_run()
    if active is not None:
        yield active
        return
    with store_errors():
        run = mlflow.start_run(run_name=run_name)
    try:
        yield run
    except BaseException:
        with contextlib.suppress(Exception):
            mlflow.end_run(status="FAILED")
        raise
    with store_errors():
        mlflow.end_run()


def _text(value: Any) -> str:
    return str(value)[:6000]


def _log_children(
    mlflow: Any, parent: Any, rows: Sequence[tuple[str, Mapping[str, Any], Mapping[str, Any], str]]
) -> None:
    """One child run per (name, params, metrics, status) row, in the parent's experiment."""
    from mlflow.entities import Metric, Param, RunTag

    client = mlflow.MlflowClient()
    parent_id, experiment = parent.info.run_id, parent.info.experiment_id
    for name, params, metrics, status in rows:
        child = client.create_run(experiment, run_name=name, tags={"mlflow.parentRunId": parent_id})
        client.log_batch(
            child.info.run_id,
            metrics=[Metric(k, float(v), 0, 0) for k, v in metrics.items()],
            params=[Param(k, _text(v)) for k, v in params.items()],
            tags=[RunTag("scaleout.status", status)],
        )
        client.set_terminated(child.info.run_id, status="FAILED" if status == "FAIL" else None)


def _log_table(mlflow: Any, frame: Any, name: str) -> None:
    folder = tempfile.mkdtemp(prefix="scaleout-track-")
    path = os.path.join(folder, name)
    try:
        frame.to_csv(path, index=False)
        mlflow.log_artifact(path)
    finally:
        os.remove(path)
        os.rmdir(folder)


@contextlib.contextmanager
def tracked_study(
    study: Any,
    *,
    n_trials: int,
    run_name: str = "scaleout-optimize",
    tracking_uri: str | None = None,
) -> Iterator[Callable[[], None]]:
    """Track an Optuna study run inside the block; call the yielded ``record()`` on success.

    Parameters
    ----------
    study : optuna.Study
        The study the block adds trials to; only trials added inside the block are logged.
    n_trials : int
        Logged as a parameter.
    run_name : str
        Name of the parent run (when no MLflow run is active).
    tracking_uri : str, optional
        Tracking store; default MLflow's own (``MLFLOW_TRACKING_URI`` or ``./mlflow.db``).

    Yields
    ------
    callable
        ``record()``: logs the parent's params, metrics, ``trials.csv`` and the child runs.

    Examples
    --------
    >>> with tracked_study(study, n_trials=20) as record:      # doctest: +SKIP
    ...     run_trials(study)
    ...     record()
    """
    from toolkit.tracking import version_tags

    mlflow = _mlflow(tracking_uri)
    first = len(study.trials)
    with _parent(mlflow, run_name) as parent:

        def record() -> None:
            trials = study.trials[first:]
            rows = []
            space: dict[str, Any] = {}
            for trial in trials:
                space.update(trial.distributions)
                values = trial.values or []
                names = (
                    ["value"] if len(values) == 1 else [f"value_{i}" for i in range(len(values))]
                )
                metrics = dict(zip(names, values, strict=True))
                rows.append((f"trial-{trial.number}", trial.params, metrics, trial.state.name))
            params: dict[str, Any] = {f"space.{k}": v for k, v in space.items()}
            params.update(n_trials=n_trials, directions=[d.name for d in study.directions])
            best: dict[str, float] = {}
            completed = [t for t in trials if t.state.name == "COMPLETE"]
            if len(study.directions) == 1 and completed:
                best["best_score"] = float(study.best_value)
                params.update({f"best.{k}": v for k, v in study.best_params.items()})
            with store_errors():
                mlflow.set_tags(version_tags())
                mlflow.log_params({k: _text(v) for k, v in params.items()})
                mlflow.log_metrics(best)
                frame = study.trials_dataframe()
                if len(frame):
                    _log_table(mlflow, frame[frame["number"] >= first], "trials.csv")
                _log_children(mlflow, parent, rows)

        yield record


def fit_tracked(
    search: Any,
    X: Any,
    y: Any = None,
    *,
    run_name: str = "scaleout-search",
    input_example: Any = None,
    tracking_uri: str | None = None,
    **fit_params: Any,
) -> Any:
    """Fit a scikit-learn search and log it to MLflow: a parent run, a child per candidate.

    Parameters
    ----------
    search : BaseSearchCV
        An unfitted GridSearchCV, RandomizedSearchCV, HalvingGridSearchCV or
        HalvingRandomSearchCV; it runs on the active joblib backend
        (:func:`toolkit.parallel_backend` for Spark).
    X, y : array-like
        What ``search.fit`` receives.
    run_name : str
        Name of the parent run (when no MLflow run is active).
    input_example : pandas DataFrame, optional
        A few rows for the logged best model's signature.
    tracking_uri : str, optional
        Tracking store; default MLflow's own (``MLFLOW_TRACKING_URI`` or ``./mlflow.db``).
    **fit_params
        Passed to ``search.fit``.

    Returns
    -------
    BaseSearchCV
        The fitted search.

    Raises
    ------
    UnsupportedModelError
        ``search`` is not a scikit-learn search; before anything is fitted or logged.

    Examples
    --------
    >>> with tk.parallel_backend():                                   # doctest: +SKIP
    ...     search = fit_tracked(GridSearchCV(model, {"C": [0.1, 1]}, n_jobs=-1), X, y)
    """
    names = search.get_params(deep=False) if hasattr(search, "get_params") else {}
    space_key = next((k for k in ("param_grid", "param_distributions") if k in names), None)
    if space_key is None or not hasattr(search, "fit"):
        raise UnsupportedModelError(
            "fit_tracked needs a scikit-learn search (GridSearchCV, RandomizedSearchCV, "
            f"HalvingGridSearchCV, HalvingRandomSearchCV); got {type(search).__name__}. "
            "Wrap the estimator in one of those."
        )
    mlflow = _mlflow(tracking_uri)
    with _parent(mlflow, run_name) as parent:
        search.fit(X, y, **fit_params)
        _record_search(mlflow, parent, search, names[space_key], input_example)
    return search


def _record_search(mlflow: Any, parent: Any, search: Any, space: Any, input_example: Any) -> None:
    import pandas as pd

    from toolkit.tracking import log_model, version_tags

    results = search.cv_results_
    frame = pd.DataFrame(results)
    scores = [c for c in frame.columns if c.split("_")[0] in {"mean", "std", "rank"}]
    rows = []
    for i, candidate in enumerate(results["params"]):
        metrics = {c: frame[c].iloc[i] for c in scores if pd.notna(frame[c].iloc[i])}
        rows.append((f"candidate-{i}", candidate, metrics, "FINISHED"))
    params: dict[str, Any] = {
        "estimator": type(search.estimator).__name__,
        "search": type(search).__name__,
        "space": space,
        "cv": search.cv,
        "scoring": search.scoring,
        "candidates": len(results["params"]),
    }
    best: dict[str, float] = {}
    if hasattr(search, "best_params_"):
        params.update({f"best.{k}": v for k, v in search.best_params_.items()})
    if hasattr(search, "best_score_"):
        best["best_score"] = float(search.best_score_)
    with store_errors():
        mlflow.set_tags(version_tags())
        mlflow.log_params({k: _text(v) for k, v in params.items()})
        mlflow.log_metrics(best)
        _log_table(mlflow, frame.astype({"params": str}), "cv_results.csv")
        _log_children(mlflow, parent, rows)
    if getattr(search, "refit", False) and hasattr(search, "best_estimator_"):
        uri = log_model(search.best_estimator_, "best_model", input_example=input_example)
        with store_errors():
            mlflow.set_tag("scaleout.best_model_uri", uri)
