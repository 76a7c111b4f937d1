"""Hyperopt's ``fmin`` on Spark: change the trials object, keep the call.

``hyperopt.fmin(fn, space, algo=tpe.suggest, max_evals=100, trials=SparkTrials())`` runs
each evaluation of ``fn`` as a one-task Spark job (:class:`toolkit.tuning.backend.SparkBackend`:
classic Spark and Spark Connect; large arrays ``fn`` closes over travel once). Hyperopt
proposes ``parallelism`` points at a time (``max_queue_len``), they are evaluated in
parallel, and the next batch is proposed from all results so far; ``parallelism=1`` gives
exactly the points and losses of a local ``fmin`` with the same ``rstate``.

Examples
--------
>>> from hyperopt import fmin, hp, tpe
>>> best = fmin(lambda x: (x - 1) ** 2, hp.uniform("x", -5, 5), algo=tpe.suggest,
...             max_evals=40, trials=SparkTrials(parallelism=2))     # doctest: +SKIP
"""

from __future__ import annotations

import functools
import os
from concurrent.futures import Future
from typing import Any

from toolkit.exceptions import InvalidOptionError, MissingDependencyError

try:
    from hyperopt import Trials, base
    from hyperopt.fmin import FMinIter, space_eval
    from hyperopt.utils import coarse_utcnow
except ImportError:  # pragma: no cover - depends on the environment
    raise MissingDependencyError(
        "toolkit.tuning.hyperopt_trials needs Hyperopt. Install it with: pip install hyperopt"
    ) from None

__all__ = ["SparkTrials"]


def _evaluate(domain: Any, spec: dict[str, Any]) -> Any:
    """In the Spark task: what ``FMinIter.serial_evaluate`` does for one trial."""
    return domain.evaluate(spec, base.Ctrl(None))


class _SparkFMinIter(FMinIter):  # type: ignore[misc]
    """``serial_evaluate`` runs the queued trials as parallel Spark tasks."""

    backend: Any = None

    def serial_evaluate(self, N: int = -1) -> None:
        queued = [t for t in self.trials._dynamic_trials if t["state"] == base.JOB_STATE_NEW]
        running: list[tuple[dict[str, Any], Future[Any]]] = []
        for trial in queued:
            trial["state"] = base.JOB_STATE_RUNNING
            trial["book_time"] = trial["refresh_time"] = coarse_utcnow()
            task = functools.partial(_evaluate, self.domain, base.spec_from_misc(trial["misc"]))
            running.append((trial, self.backend.submit(task)))
        for trial, future in running:
            error = future.exception()
            trial["refresh_time"] = coarse_utcnow()
            if error is None:
                trial["state"], trial["result"] = base.JOB_STATE_DONE, future.result()
                continue
            trial["state"] = base.JOB_STATE_ERROR
            trial["misc"]["error"] = (str(type(error)), str(error))
            if not self.catch_eval_exceptions:
                self.backend.abort_everything()
                for other, _ in running:
                    if other["state"] == base.JOB_STATE_RUNNING:
                        other["state"] = base.JOB_STATE_ERROR
                self.trials.refresh()
                raise error
        self.trials.refresh()


class SparkTrials(Trials):  # type: ignore[misc]
    """A ``hyperopt.Trials`` whose evaluations run as Spark tasks (pass it to ``fmin``).

    Parameters
    ----------
    parallelism : int, optional
        Evaluations at once; default every task slot of the session, capped at the slots
        and at ``max_evals``.
    spark : SparkSession, optional
        Classic or Spark Connect; default the running session, else :func:`toolkit.session`.
    exp_key, refresh
        As ``hyperopt.Trials``.

    Raises
    ------
    InvalidOptionError
        ``parallelism`` is not a positive integer.

    Examples
    --------
    >>> trials = SparkTrials(parallelism=4)                           # doctest: +SKIP
    >>> fmin(objective, space, algo=tpe.suggest, max_evals=100, trials=trials)  # doctest: +SKIP
    """

    asynchronous = False

    def __init__(
        self,
        parallelism: int | None = None,
        *,
        spark: Any = None,
        exp_key: Any = None,
        refresh: bool = True,
    ) -> None:
        if parallelism is not None and (
            isinstance(parallelism, bool) or not isinstance(parallelism, int) or parallelism < 1
        ):
            raise InvalidOptionError(
                f"parallelism must be a positive integer or None; got parallelism={parallelism!r}. "
                "Pass None for every Spark task slot."
            )
        super().__init__(exp_key=exp_key, refresh=refresh)
        self.parallelism = parallelism
        self.spark = spark

    def fmin(
        self,
        fn: Any,
        space: Any,
        algo: Any = None,
        max_evals: int | None = None,
        timeout: Any = None,
        loss_threshold: Any = None,
        max_queue_len: int = 1,
        rstate: Any = None,
        verbose: bool = False,
        pass_expr_memo_ctrl: Any = None,
        catch_eval_exceptions: bool = False,
        return_argmin: bool = True,
        show_progressbar: bool = True,
        early_stop_fn: Any = None,
        trials_save_file: str = "",
    ) -> Any:
        """What ``hyperopt.fmin(..., trials=self)`` calls; the arguments are ``fmin``'s."""
        import numpy as np

        from toolkit.files.jobs import cores
        from toolkit.session.api import active_session
        from toolkit.tuning.backend import SparkBackend
        from toolkit.tuning.study import _by_value

        if not isinstance(max_evals, int) or isinstance(max_evals, bool) or max_evals < 1:
            raise InvalidOptionError(
                f"max_evals must be a positive integer; got max_evals={max_evals!r}."
            )
        if algo is None:
            from hyperopt import tpe

            algo = tpe.suggest
        if rstate is None:
            seed = os.environ.get("HYPEROPT_FMIN_SEED", "")
            rstate = np.random.default_rng(int(seed) if seed else None)
        spark = self.spark if self.spark is not None else active_session()
        width = min(self.parallelism or cores(spark), cores(spark), max_evals)
        domain = base.Domain(fn, space, pass_expr_memo_ctrl=pass_expr_memo_ctrl)
        run = _SparkFMinIter(
            algo, domain, self, max_evals=max_evals, timeout=timeout,
            loss_threshold=loss_threshold, rstate=rstate, verbose=verbose,
            max_queue_len=width, show_progressbar=show_progressbar,
            early_stop_fn=early_stop_fn, trials_save_file=trials_save_file,
        )  # fmt: skip
        run.catch_eval_exceptions = catch_eval_exceptions
        run.backend = SparkBackend(spark, progress=False)
        run.backend.configure(n_jobs=width)
        cells = [c.cell_contents for c in getattr(fn, "__closure__", None) or ()]
        user_fn = next((c for c in cells if callable(c)), fn)  # fmin wraps fn in a closure
        try:
            with _by_value(user_fn):
                run.exhaust()
        finally:
            run.backend.terminate()
            run.backend.release()
        if return_argmin:
            if len(self.trials) == 0:
                raise RuntimeError("No evaluation succeeded: there is no argmin to return.")
            return self.argmin
        return space_eval(space, self.argmin) if len(self) > 0 else None
