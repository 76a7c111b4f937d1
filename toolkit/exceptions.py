"""The scaleout error tree.

Every error the toolkit raises is a :class:`ToolkitError`. Each subclass also
inherits the builtin exception it refines, so ``except ValueError`` keeps
working for code that predates scaleout. Messages say what was expected, what
arrived and how to fix it.

::

    ToolkitError
    ├── SessionError(RuntimeError)            no/old Java, bad or unreachable master/remote, another session running
    ├── DriverMemoryError(MemoryError)        refusing to collect too many rows to the driver
    ├── MissingDependencyError(ImportError)   an optional library is not installed
    ├── UnsupportedInputError(TypeError)      data of a kind scaleout does not take
    ├── SchemaMismatchError(ValueError)       missing columns, wrong types, wrong feature count
    ├── InvalidInputError(ValueError)         the model refused a value (handle_invalid="error")
    ├── UnsupportedMethodError(AttributeError) the model has no such method (predict_proba, ...)
    ├── UnsupportedModelError(ValueError)      a model this call cannot use (engine="native": a step
    │                                         it cannot compile; fit_tracked: not a search)
    ├── ModelLoadError(ValueError)            a model file or URI cannot be read
    │   └── UntrustedModelError               pickle without trusted=True, unknown skops types
    ├── InputFileError(ValueError)            an input file is corrupt, empty or lacks a column
    │   └── SourceParseError(SyntaxError)     a file or cell is not parseable Python (scaleout check)
    ├── DestinationExistsError(FileExistsError) output exists and mode is not "overwrite"
    ├── ScoringJobError(RuntimeError)         a distributed scoring job failed
    ├── InvalidOptionError(ValueError)        an option has a value scaleout does not take
    ├── UnsupportedPandasAPIError(NotImplementedError) pandas API not available on Spark
    ├── ExportError(ValueError)               a model cannot be exported to ONNX exactly (export_onnx)
    └── TrackingError(RuntimeError)           the MLflow store cannot be reached or written, or
                                              has no such registered model or version

    ToolkitAdviceWarning(UserWarning)          works, but there is a better way

Examples
--------
>>> from toolkit.exceptions import SchemaMismatchError, ToolkitError
>>> issubclass(SchemaMismatchError, ValueError) and issubclass(SchemaMismatchError, ToolkitError)
True
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

__all__ = [
    "DETERMINISTIC",
    "DestinationExistsError",
    "DriverMemoryError",
    "ExportError",
    "InputFileError",
    "InvalidInputError",
    "InvalidOptionError",
    "MissingDependencyError",
    "ModelLoadError",
    "ScoringJobError",
    "SchemaMismatchError",
    "SessionError",
    "SourceParseError",
    "ToolkitAdviceWarning",
    "ToolkitError",
    "TrackingError",
    "UnsupportedInputError",
    "UnsupportedMethodError",
    "UnsupportedModelError",
    "UnsupportedPandasAPIError",
    "UntrustedModelError",
    "first_line",
    "from_worker_error",
    "worker_errors",
]


class ToolkitError(Exception):
    """Root of every error raised by scaleout."""


class SessionError(ToolkitError, RuntimeError):
    """Spark cannot start: Java is missing or too old, the master/remote URL is malformed or
    unreachable, or another session runs in this process."""


class DriverMemoryError(ToolkitError, MemoryError):
    """Collecting the data would put more rows on the driver than allowed."""


class MissingDependencyError(ToolkitError, ImportError):
    """An optional library needed for this call is not installed."""


class UnsupportedInputError(ToolkitError, TypeError):
    """The data is not a pandas, pandas-on-Spark or Spark DataFrame (or not of the kind allowed)."""


class SchemaMismatchError(ToolkitError, ValueError):
    """The data does not have the columns or types the model needs."""


class InvalidInputError(ToolkitError, ValueError):
    """The model refused a value and ``handle_invalid="error"`` was chosen."""


class UnsupportedMethodError(ToolkitError, AttributeError):
    """The model does not implement the requested method."""


class UnsupportedModelError(ToolkitError, ValueError):
    """A model this call cannot use: ``engine="native"`` and a step it cannot compile into
    Spark expressions (the message names the step; ``engine="auto"`` scores it in Python),
    or ``fit_tracked`` given an estimator that is not a scikit-learn search."""


class ModelLoadError(ToolkitError, ValueError):
    """A model source cannot be read or is not a fitted scikit-learn model."""


class UntrustedModelError(ModelLoadError):
    """Loading the model would run untrusted code (pickle) or unknown skops types."""


class InputFileError(ToolkitError, ValueError):
    """An input file is corrupt, empty or lacks a required column."""


class SourceParseError(InputFileError, SyntaxError):
    """A file or notebook cell cannot be read or parsed as Python source.

    Binary bytes, text that is not in its declared encoding, an unknown coding line,
    notebook JSON that is not a notebook, or code nested too deeply to parse. It is an
    :class:`~toolkit.exceptions.InputFileError` (a ``ValueError``) and a ``SyntaxError``,
    so code that caught either keeps working. The message is one line:
    ``where: cannot parse: reason``; ``where`` is ``path``, ``path:line`` or
    ``path[cell N]:line``.

    Examples
    --------
    >>> str(SourceParseError("bad.py: cannot parse: binary file", filename="bad.py"))
    'bad.py: cannot parse: binary file'
    """

    def __init__(
        self, message: str, *, filename: str | None = None, lineno: int | None = None
    ) -> None:
        super().__init__(message)
        self.msg, self.filename, self.lineno = message, filename, lineno

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class DestinationExistsError(ToolkitError, FileExistsError):
    """The output destination exists and ``mode="overwrite"`` was not given."""


class ScoringJobError(ToolkitError, RuntimeError):
    """A distributed scoring job failed; the message carries the worker's reason."""


class InvalidOptionError(ToolkitError, ValueError):
    """An option or Spark conf value scaleout or Spark does not take (``mode="append"``,
    ``engine="x"``, ``spark.sql.shuffle.partitions="many"``)."""


class UnsupportedPandasAPIError(ToolkitError, NotImplementedError):
    """A pandas API has no pandas-on-Spark equivalent under the current fallback policy."""


class TrackingError(ToolkitError, RuntimeError):
    """The MLflow tracking store cannot be reached or written, or its registry has no such
    model or version (``set_alias``)."""


class ExportError(ToolkitError, ValueError):
    """A model cannot be exported to ONNX, or its export disagrees with scikit-learn (the
    message names the step and the largest difference; serve it with scikit-learn instead)."""


class ToolkitAdviceWarning(UserWarning):
    """The call works, but there is a faster or safer way to do it."""


# Errors a retry cannot fix: the same data and model fail the same way on every attempt,
# so a Spark task that raises one is not retried (toolkit.scoring.fail_fast, files.task).
DETERMINISTIC = (
    InputFileError, InvalidInputError, ModelLoadError, SchemaMismatchError, UnsupportedMethodError,
)  # fmt: skip


def first_line(exc: BaseException, *, limit: int = 300) -> str:
    """The first line of an exception's message (its type name when it has none), shortened.

    Library errors often carry a whole stack or a long dump; a ToolkitError quotes
    only this line as the cause.

    Examples
    --------
    >>> first_line(ValueError("bad value\\n  at Some.java:12"))
    'bad value'
    >>> first_line(KeyError())
    'KeyError'
    """
    lines = str(exc).strip().splitlines()
    return (lines[0] if lines else type(exc).__name__)[:limit]


@contextlib.contextmanager
def worker_errors() -> Iterator[None]:
    """Inside this block, a ToolkitError raised in a Spark worker is re-raised as itself.

    Examples
    --------
    >>> with worker_errors():           # doctest: +SKIP
    ...     scored.collect()            # InvalidInputError, not a PythonException
    """
    try:
        yield
    except ToolkitError:
        raise
    except Exception as exc:
        error = from_worker_error(exc)
        if error is None:
            raise
        raise error from None


def from_worker_error(exc: BaseException) -> ToolkitError | None:
    """Rebuild the ToolkitError a Spark Python worker raised, from Spark's wrapped exception.

    Spark reports a worker's exception as its own (a py4j or PythonException with the
    worker traceback as text); this finds ``toolkit.exceptions.<Name>: <message>`` in it.

    Examples
    --------
    >>> err = from_worker_error(RuntimeError("... toolkit.exceptions.InvalidInputError: bad"))
    >>> type(err).__name__, str(err)
    ('InvalidInputError', 'bad')
    >>> raised = RuntimeError("toolkit.exceptions.InvalidInputError: x SQLSTATE: P0001")
    >>> str(from_worker_error(raised))  # Spark's error-class tail is not part of the message
    'x'
    """
    import re

    match = re.search(r"toolkit\.exceptions\.(\w+): ([^\n]*)", str(exc))
    if not match:
        return None
    cls = globals().get(match.group(1))
    if not (isinstance(cls, type) and issubclass(cls, ToolkitError)):
        return None
    message = re.sub(r"\s*SQLSTATE: \w+\s*$", "", match.group(2))  # Spark's error-class tail
    return cls(message.strip())
