"""Hyperparameter studies with parallel trials on Spark: :func:`optimize` (Optuna ask/tell).

The driver owns the :class:`optuna.Study`: it asks for a trial, samples its parameters with
the study's sampler, and runs the objective as a one-task Spark job
(:class:`toolkit.tuning.backend.SparkBackend`, so ``data`` travels once per study and each
Python worker deserialises it at most once). Up to ``parallelism`` trials run at a time;
each finished one is told to the study before the next is asked for.

Define-by-run objectives: the parameters every finished trial used (with the same
distribution) are sampled before a trial leaves, in the order the objective asked for them;
a parameter the task meets that was not sampled yet stops the objective, the driver samples
it and runs the trial again (one more Spark job). So the first trial costs one job per
parameter plus one, and later ones one job unless the search space changes.

Examples
--------
>>> def objective(trial, data):
...     X, y = data
...     C = trial.suggest_float("C", 1e-3, 1e3, log=True)
...     return cross_val_score(LogisticRegression(C=C), X, y).mean()
>>> study = optimize(objective, n_trials=50, data=(X, y),
...                  study=optuna.create_study(direction="maximize"))   # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import os
import sys
import sysconfig
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, wait
from typing import Any

from toolkit.exceptions import InvalidOptionError, MissingDependencyError

__all__ = ["check_options", "optimize"]


def _positive_int(name: str, value: Any, hint: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidOptionError(f"{name} must be a positive integer; got {name}={value!r}. {hint}")


def check_options(n_trials: Any, parallelism: Any, timeout: Any) -> None:
    """Refuse nonsense options of :func:`optimize`, before any Spark job.

    Parameters
    ----------
    n_trials : object
        Must be a positive integer.
    parallelism : object
        None or a positive integer.
    timeout : object
        None or a positive number of seconds.

    Raises
    ------
    InvalidOptionError
        Saying what was expected, what arrived and how to fix it.

    Examples
    --------
    >>> check_options(10, None, None)
    >>> check_options(10, 0, None)
    Traceback (most recent call last):
    ...
    toolkit.exceptions.InvalidOptionError: parallelism must be a positive integer; ...
    """
    _positive_int("n_trials", n_trials, "Pass the number of trials to run, e.g. n_trials=100.")
    if parallelism is not None:
        _positive_int(
            "parallelism",
            parallelism,
            "Pass parallelism=None (every Spark task slot) or a number of concurrent trials.",
        )
    if timeout is not None and (
        isinstance(timeout, bool) or not isinstance(timeout, int | float) or not timeout > 0
    ):
        raise InvalidOptionError(
            f"timeout must be a positive number of seconds or None; got timeout={timeout!r}."
        )


def _optuna() -> Any:
    try:
        import optuna
    except ImportError:
        raise MissingDependencyError(
            "toolkit.optimize needs Optuna, which is not installed. "
            "Install it with: pip install 'optuna>=4'"
        ) from None
    return optuna


def optimize(
    objective: Callable[[Any, Any], Any],
    *,
    n_trials: int,
    parallelism: int | None = None,
    data: Any = None,
    track: bool = False,
    study: Any = None,
    spark: Any = None,
    timeout: float | None = None,
    catch: Iterable[type[Exception]] | type[Exception] = (),
) -> Any:
    """Run an Optuna study with each trial a Spark task; return the study.

    Parameters
    ----------
    objective : callable
        ``objective(trial, data) -> float``; ``trial`` answers ``suggest_*``, ``report``,
        ``should_prune``, ``set_user_attr`` (an :class:`optuna.trial.BaseTrial`).
    n_trials : int
        Trials to run (failed and pruned ones count, as in ``study.optimize``).
    parallelism : int, optional
        Trials running at once; default every task slot of the session, capped at the
        slots and at ``n_trials``.
    data : object, optional
        Passed to every trial; NumPy arrays and pandas frames of 1 MiB or more in it travel
        to the executors once per study.
    track : bool
        Log the study to MLflow: a parent run and one child run per trial
        (:mod:`toolkit.tuning.tracked`).
    study : optuna.Study, optional
        The study to add trials to (its sampler, pruner and direction apply); default
        ``optuna.create_study()`` (minimize, TPE, median pruner).
    spark : SparkSession, optional
        Classic or Spark Connect; default the running session, else :func:`toolkit.session`.
    timeout : float, optional
        Start no new trial after this many seconds (running ones finish).
    catch : exception type or iterable of them
        As ``study.optimize(catch=...)``: such an exception marks its trial FAIL and the
        study goes on. Any other exception marks the trial FAIL, cancels the running
        trials and is raised as itself.

    Returns
    -------
    optuna.Study

    Raises
    ------
    InvalidOptionError
        ``n_trials``, ``parallelism`` or ``timeout`` make no sense; before any Spark job.

    Examples
    --------
    >>> import toolkit as tk
    >>> study = tk.optimize(lambda trial, data: trial.suggest_float("x", -5, 5) ** 2,
    ...                     n_trials=20)                               # doctest: +SKIP
    >>> study.best_params                                              # doctest: +SKIP
    {'x': 0.03...}
    """
    check_options(n_trials, parallelism, timeout)
    if not callable(objective):
        raise InvalidOptionError(
            f"objective must be a callable objective(trial, data) -> float; got {objective!r}."
        )
    optuna = _optuna()
    caught = (catch,) if isinstance(catch, type) else tuple(catch)
    if study is None:
        study = optuna.create_study()
    tracked: contextlib.AbstractContextManager[Callable[[], None]]
    tracked = contextlib.nullcontext(_nothing)
    if track:
        from toolkit.tuning.tracked import tracked_study

        tracked = tracked_study(study, n_trials=n_trials)
    if spark is None:
        from toolkit.session.api import active_session

        spark = active_session()
    with tracked as record, _by_value(objective):
        _trials(objective, study, n_trials, parallelism, data, spark, timeout, caught)
        record()
    return study


def _space(study: Any) -> dict[str, Any]:
    """Parameters every finished trial used with the same distribution, in first-use order."""
    from optuna.trial import TrialState

    space: dict[str, Any] | None = None
    for trial in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.PRUNED)):
        if space is None:
            space = dict(trial.distributions)
        else:
            space = {k: d for k, d in space.items() if trial.distributions.get(k) == d}
    return space or {}


def _suggest(trial: Any, name: str, distribution: Any) -> None:
    """Sample one parameter on the driver's trial with the study's sampler."""
    from optuna.distributions import CategoricalDistribution, FloatDistribution

    d = distribution
    if isinstance(d, CategoricalDistribution):
        trial.suggest_categorical(name, d.choices)
    elif isinstance(d, FloatDistribution):
        trial.suggest_float(name, d.low, d.high, step=d.step, log=d.log)
    else:
        trial.suggest_int(name, d.low, d.high, step=d.step, log=d.log)


def _nothing() -> None:
    """An untracked study records nothing."""


def _trials(
    objective: Callable[[Any, Any], Any],
    study: Any,
    n_trials: int,
    parallelism: int | None,
    data: Any,
    spark: Any,
    timeout: float | None,
    caught: tuple[type[Exception], ...],
) -> None:
    from optuna.pruners import NopPruner
    from optuna.trial import TrialState

    from toolkit.files.jobs import cores
    from toolkit.tuning.backend import SparkBackend
    from toolkit.tuning.trials import TrialTask

    width = min(parallelism or cores(spark), cores(spark), n_trials)
    backend = SparkBackend(spark, progress=False)
    backend.configure(n_jobs=width)
    running: dict[Future[Any], Any] = {}
    started, deadline = 0, None if timeout is None else time.monotonic() + timeout

    pruning = not isinstance(study.pruner, NopPruner)

    def submit(trial: Any) -> None:
        # the pruner's view, for should_prune in the task (~1 KB a trial + its reports)
        finished = (TrialState.COMPLETE, TrialState.PRUNED)
        snapshot = study.get_trials(deepcopy=False, states=finished) if pruning else []
        task = TrialTask(
            objective,
            data,
            number=trial.number,
            params=trial.params,
            distributions=trial.distributions,
            snapshot=snapshot,
            pruner=study.pruner if pruning else None,
            directions=study.directions,
        )
        running[backend.submit(task)] = trial

    try:
        while running or started < n_trials:
            while (
                len(running) < width
                and started < n_trials
                and (deadline is None or time.monotonic() < deadline)
            ):
                started += 1
                submit(study.ask(_space(study)))
            if not running:
                break
            done, _ = wait(list(running), return_when=FIRST_COMPLETED)
            for future in done:
                trial = running.pop(future)
                error = future.exception()
                if error is None:
                    result = future.result()
                    if result.kind == "need":
                        _suggest(trial, *result.need)
                        submit(trial)
                        continue
                    _tell(study, trial, result)
                elif isinstance(error, caught):
                    _fail(study, trial, error)
                else:
                    study.tell(trial, state=TrialState.FAIL)
                    raise error
    finally:  # cleanup must not hide the exception on its way out
        if running:
            with contextlib.suppress(Exception):
                backend.abort_everything()
            for trial in running.values():
                with contextlib.suppress(Exception):
                    study.tell(trial, state=TrialState.FAIL, skip_if_finished=True)
        with contextlib.suppress(Exception):
            backend.terminate()
            backend.release()


@contextlib.contextmanager
def _by_value(objective: Any) -> Iterator[None]:
    """Pickle the objective's own module by value while the study runs.

    A module of the user's (a script's neighbour, a test file) is not importable in the
    executors' Python workers (on Spark Connect or a cluster they do not share the driver's
    working directory); installed packages, the standard library and toolkit are.
    """
    from pyspark import cloudpickle as _cloudpickle

    cloudpickle: Any = _cloudpickle  # untyped in pyspark
    name = getattr(objective, "__module__", None) or "__main__"
    module = sys.modules.get(name)
    path = getattr(module, "__file__", None)
    installed = {sysconfig.get_path(key) for key in ("stdlib", "platstdlib", "purelib", "platlib")}
    if (
        module is None
        or path is None
        or name == "__main__"
        or name.split(".")[0] == "toolkit"
        or any(root and os.path.abspath(path).startswith(root + os.sep) for root in installed)
        or name in cloudpickle.list_registry_pickle_by_value()
    ):
        yield
        return
    cloudpickle.register_pickle_by_value(module)
    try:
        yield
    finally:
        cloudpickle.unregister_pickle_by_value(module)


def _tell(study: Any, trial: Any, result: Any) -> None:
    from optuna.trial import TrialState

    for key, value in result.user_attrs.items():
        trial.set_user_attr(key, value)
    if len(study.directions) == 1:
        for step, value in result.reports:
            trial.report(value, step)
    if result.kind == "pruned":
        study.tell(trial, state=TrialState.PRUNED)
    else:
        study.tell(trial, result.value)


def _fail(study: Any, trial: Any, error: BaseException) -> None:
    """A caught exception: the trial is FAIL and says why, as ``study.optimize`` does."""
    from optuna.trial import TrialState

    trial.set_user_attr("scaleout_error", f"{type(error).__name__}: {error}"[:1000])
    study.tell(trial, state=TrialState.FAIL)
