"""Model selection on Spark, unchanged scikit-learn code: ``parallel_backend`` and
``register_spark``.

Inside ``with tk.parallel_backend():`` every joblib call (scikit-learn's ``n_jobs``:
GridSearchCV, RandomizedSearchCV, the halving searches, cross_validate,
permutation_importance, ...) runs its batches as Spark tasks
(:class:`toolkit.tuning.backend.SparkBackend`), the data travelling to the executors once.
:func:`register_spark` makes the same backend available to joblib by name,
``joblib.parallel_backend("scaleout")``.

Examples
--------
>>> import toolkit as tk
>>> with tk.parallel_backend():                           # doctest: +SKIP
...     GridSearchCV(model, grid, n_jobs=-1).fit(X, y)
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from toolkit.tuning.backend import SparkBackend

__all__ = ["BACKEND_NAME", "parallel_backend", "register_spark"]

BACKEND_NAME = "scaleout"
"""The name :func:`register_spark` gives the backend in joblib."""


def register_spark(*, make_default: bool = False) -> None:
    """Register the Spark backend with joblib under the name ``"scaleout"``.

    Afterwards ``joblib.parallel_backend("scaleout")`` (or ``joblib.parallel_config``) runs
    joblib batches as Spark tasks on the running session (else :func:`toolkit.session`).
    Calling it again is harmless.

    Parameters
    ----------
    make_default : bool
        Also make it joblib's default backend, for every joblib call of this process.

    Examples
    --------
    >>> import joblib, toolkit as tk
    >>> tk.register_spark()
    >>> with joblib.parallel_backend("scaleout"):             # doctest: +SKIP
    ...     cross_val_score(model, X, y, n_jobs=-1)
    """
    import joblib

    from toolkit.tuning.backend import SparkBackend

    joblib.register_parallel_backend(BACKEND_NAME, SparkBackend, make_default=make_default)


@contextlib.contextmanager
def parallel_backend(
    *,
    spark: Any = None,
    n_jobs: int | None = None,
    min_bytes: int | None = None,
    progress: bool | None = None,
) -> Iterator[SparkBackend]:
    """Inside this block, scikit-learn's ``n_jobs`` (any joblib call) runs as Spark tasks.

    Each joblib batch (one fit of a search, one fold, one permuted column) is one Spark
    task; NumPy arrays and pandas frames of ``min_bytes`` or more travel to the executors
    once per search and are deserialised at most once per Python worker. Results equal
    ``n_jobs=1`` ones; a fit's exception arrives as itself (scikit-learn's
    ``error_score`` applies as usual); BLAS/OpenMP use one thread per task; Ctrl-C
    cancels the Spark jobs. Nested joblib calls inside a task run sequentially.

    Parameters
    ----------
    spark : SparkSession, optional
        Classic or Spark Connect. Default: the running session, else :func:`toolkit.session`.
    n_jobs : int, optional
        Concurrent Spark tasks for joblib calls that do not set ``n_jobs`` themselves:
        ``-1`` (the default, also for None) every task slot of the session, ``k > 0`` at
        most ``k`` (capped at the slots), ``-2`` all slots but one.
    min_bytes : int, optional
        Size from which an array or frame travels by reference, once
        (default :data:`toolkit.tuning.shipping.SHIP_MIN_BYTES`, 1 MiB).
    progress : bool, optional
        Draw a ``rich`` bar of Spark tasks done / dispatched on stderr for each joblib
        call; default: only when stderr is a terminal.

    Yields
    ------
    SparkBackend
        The backend; its ``stats`` say how many tasks ran, their payload sizes, what was
        shipped and how often each Python worker loaded it.

    Raises
    ------
    InvalidOptionError
        ``n_jobs`` is 0 or not an integer, or ``min_bytes`` is not a positive integer;
        before any Spark job.

    Examples
    --------
    >>> import toolkit as tk
    >>> from sklearn.model_selection import GridSearchCV
    >>> with tk.parallel_backend() as backend:               # doctest: +SKIP
    ...     search = GridSearchCV(model, {"C": [0.1, 1, 10]}, n_jobs=-1).fit(X, y)
    >>> backend.stats.tasks                                  # doctest: +SKIP
    15
    """
    import joblib

    from toolkit.exceptions import InvalidOptionError
    from toolkit.session.api import active_session
    from toolkit.tuning.backend import SparkBackend, check_n_jobs
    from toolkit.tuning.shipping import SHIP_MIN_BYTES

    check_n_jobs(n_jobs)
    if min_bytes is None:
        min_bytes = SHIP_MIN_BYTES
    if isinstance(min_bytes, bool) or not isinstance(min_bytes, int) or min_bytes < 1:
        raise InvalidOptionError(
            f"min_bytes must be a positive integer (bytes); got min_bytes={min_bytes!r}. "
            f"The default is {SHIP_MIN_BYTES}."
        )
    register_spark()
    backend = SparkBackend(
        spark if spark is not None else active_session(), min_bytes=min_bytes, progress=progress
    )
    try:
        with joblib.parallel_config(backend=backend, n_jobs=-1 if n_jobs is None else n_jobs):
            yield backend
    finally:
        backend.release()
