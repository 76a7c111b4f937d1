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


@contextlib.contextmanager
def library_output(*, verbose: bool) -> Iterator[None]:
    """MLflow's INFO lines off for the block unless ``verbose``; everything restored after.

    ``MLFLOW_LOGGING_LEVEL`` is read when MLflow is imported; when it already is (a
    command run in-process), the ``mlflow`` logger's level is set instead.
    """
    if verbose:
        yield
        return
    if os.environ.get(_LEVEL_VAR) is not None:  # the user's choice
        yield
        return
    os.environ[_LEVEL_VAR] = "WARNING"
    logger = logging.getLogger("mlflow")
    level = logger.level if "mlflow" in sys.modules else None
    if level is not None:
        logger.setLevel(max(level, logging.WARNING))
    try:
        yield
    finally:
        os.environ.pop(_LEVEL_VAR, None)
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
