"""What the command line lets through to the terminal: scaleout's own lines by default.

Without ``--verbose``, a command shows its own lines, a progress bar and its summary;
Spark's and MLflow's output is held back:

- Spark: the session starts with ``quiet=True`` (:mod:`toolkit.session.quiet`: an
  errors-only log4j2 profile, the JVM's stderr in a log file);
- MLflow: its loggers at ``WARNING`` (``MLFLOW_LOGGING_LEVEL``, unless set already) and,
  around the calls that print events (registering a model), its event lines off.

Examples
--------
>>> with library_output(verbose=False):  # doctest: +SKIP
...     run_demo(rows=20_000)
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Iterator

__all__ = ["library_output", "mlflow_events"]

_LEVEL_VAR = "MLFLOW_LOGGING_LEVEL"
# Set for the block unless the user set them: MLflow's INFO lines, and its download
# progress bar (drawn on stderr whenever tqdm is installed, a terminal or not).
_QUIET_VARS = {_LEVEL_VAR: "WARNING", "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false"}


@contextlib.contextmanager
def library_output(*, verbose: bool) -> Iterator[None]:
    """MLflow's INFO lines and progress bars off for the block unless ``verbose``;
    everything restored after.

    ``MLFLOW_LOGGING_LEVEL`` is read when MLflow is imported; when it already is (a
    command run in-process), the ``mlflow`` logger's level is set instead. A variable
    the user set is left as it is.
    """
    if verbose:
        yield
        return
    added = {key: value for key, value in _QUIET_VARS.items() if os.environ.get(key) is None}
    os.environ.update(added)
    logger = logging.getLogger("mlflow")
    level = logger.level if "mlflow" in sys.modules and _LEVEL_VAR in added else None
    if level is not None:
        logger.setLevel(max(level, logging.WARNING))
    try:
        yield
    finally:
        for key in added:
            os.environ.pop(key, None)
        if level is not None:
            logger.setLevel(level)


@contextlib.contextmanager
def mlflow_events(*, verbose: bool) -> Iterator[None]:
    """MLflow's event lines ("Successfully registered model ...") off unless ``verbose``.

    They bypass logging levels, so they are switched off the way MLflow's autologging
    does it (a counted, process-wide switch that MLflow's own code does not undo
    half-way, as it does a plain ``disable_logging()``), and back on after.
    """
    if verbose:
        yield
        return
    try:
        from mlflow.utils.autologging_utils.logging_and_warnings import (
            MlflowEventsAndWarningsBehaviorGlobally as Behaviour,
        )
    except ImportError:  # a later MLflow moved it: its event lines print
        yield
        return
    with Behaviour(disable_event_logs=True, disable_warnings=False, reroute_warnings=False):
        yield
