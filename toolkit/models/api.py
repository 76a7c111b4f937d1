"""Load, save and fingerprint fitted scikit-learn models, safely by default.

Sources :func:`load_model` takes: a fitted estimator object; a ``.skops`` file
(safe: unknown types refused unless named in ``trusted``); a ``.joblib`` /
``.pkl`` file (pickle runs code, so only with ``trusted=True``); an MLflow model
URI (``runs:/<id>/model``, ``models:/name@alias``, ``models:/name/1``) or a
local MLflow model directory (one holding an ``MLmodel`` file).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from toolkit._typing import PathLike, Trusted
from toolkit.exceptions import (
    ModelLoadError,
    UnsupportedInputError,
    UntrustedModelError,
    first_line,
)
from toolkit.models.fingerprint import fingerprint
from toolkit.models.skops_io import check_skops_archive, load_skops

__all__ = [
    "SCORING_METHODS",
    "check_skops_archive",
    "fingerprint",
    "load_model",
    "load_skops",
    "loadable_skops_bytes",
    "model_bytes",
    "save_model",
]

SCORING_METHODS = (
    "predict",
    "predict_proba",
    "predict_log_proba",
    "decision_function",
    "transform",
)
_PICKLE_SUFFIXES = {".joblib", ".pkl", ".pickle"}


def load_model(source: Any, *, trusted: Trusted = False) -> Any:
    """Return a fitted scikit-learn estimator from ``source``.

    Parameters
    ----------
    source : estimator, str or path
        A fitted estimator, a ``.skops`` / ``.joblib`` / ``.pkl`` file, or an MLflow model URI.
    trusted : bool or list of str
        ``True`` allows pickle files and every type in a ``.skops`` file; a list names the
        extra ``.skops`` types to allow (see the error message for the names).

    Examples
    --------
    >>> model = load_model("churn.skops")                      # doctest: +SKIP
    >>> model = load_model("models:/churn@champion")           # doctest: +SKIP
    >>> model = load_model("legacy.joblib", trusted=True)      # doctest: +SKIP
    """
    if isinstance(source, str | os.PathLike):
        model = _load_path(str(source), trusted)
    else:
        model = source
    _check_fitted(model, source)
    return model


def save_model(model: Any, path: PathLike) -> Path:
    """Write ``model`` to ``path`` in the skops format (safe to load) and return the path.

    The bytes are loaded back before anything is written: a model skops cannot load
    (a ``FunctionTransformer(lambda ...)``, a function defined inside another) is refused
    with :class:`UnsupportedInputError` and the destination is left as it was. The file
    appears whole or not at all.

    Parameters
    ----------
    model : fitted estimator
        The model to save; an unfitted one is refused.
    path : str or path
        The file to write; must end in ``.skops`` (missing parent directories are created).

    Examples
    --------
    >>> save_model(fitted_pipeline, "churn.skops")  # doctest: +SKIP
    PosixPath('churn.skops')
    """
    _check_fitted(model, model)
    target = Path(path)
    if target.suffix != ".skops":
        raise ModelLoadError(
            f"save_model writes the skops format; expected a path ending in .skops, got {str(target)!r}."
        )
    blob = loadable_skops_bytes(model, destination=repr(str(target)))
    target.parent.mkdir(parents=True, exist_ok=True)
    _write_atomically(target, blob)
    return target


def loadable_skops_bytes(model: Any, *, destination: str) -> bytes:
    """Serialise ``model`` with skops and prove the bytes load back; else name what cannot.

    Raises :class:`UnsupportedInputError` naming the parameter that holds a lambda or
    nested function (skops stores functions by name, so such a file never loads).

    Examples
    --------
    >>> blob = loadable_skops_bytes(fitted_pipeline, destination="churn.skops")  # doctest: +SKIP
    """
    import skops.io as sio

    try:
        blob = sio.dumps(model)
    except Exception as exc:
        raise UnsupportedInputError(
            f"Cannot save this {type(model).__name__} to {destination}: skops cannot "
            f"serialise it ({first_line(exc)}). Keep to objects skops supports (scikit-learn, "
            "numpy, scipy, module-level functions and classes), or keep the model in another "
            "format such as joblib (loaded only with trusted=True). Nothing was written."
        ) from None
    try:
        load_skops(blob, trusted=True, origin=destination)
    except ModelLoadError as exc:
        culprits = _unnamed_functions(model) or [str(exc)]
        raise UnsupportedInputError(
            f"Cannot save this {type(model).__name__} to {destination}: the file could never "
            f"be loaded again, because skops stores functions by name and "
            f"{'; '.join(culprits)} cannot be found by name. Use a function defined at module "
            "level in an importable module (skops stores it by name), or keep the model in "
            "another format such as joblib (loaded only with trusted=True). Nothing was written."
        ) from None
    return blob


def _unnamed_functions(model: Any) -> list[str]:
    """Parameters (``step__param``) holding lambdas or nested functions."""
    params = model.get_params(deep=True) if hasattr(model, "get_params") else {}
    found = []
    for name, value in sorted(params.items()):
        qualname = getattr(value, "__qualname__", "")
        if callable(value) and ("<lambda>" in qualname or "<locals>" in qualname):
            found.append(f"{name}={getattr(value, '__module__', '?')}.{qualname}")
    return found


def _write_atomically(target: Path, blob: bytes) -> None:
    import tempfile

    handle, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(blob)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)  # a reader never sees half a file
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def model_bytes(model: Any) -> bytes:
    """Serialise ``model`` the way it travels to Spark workers (cloudpickle).

    These bytes differ from one process to the next for the same model; the model's
    identity is :func:`fingerprint`.

    Examples
    --------
    >>> len(model_bytes(fitted_model)) > 0  # doctest: +SKIP
    True
    """
    from pyspark import cloudpickle

    return cloudpickle.dumps(model)


def _load_path(source: str, trusted: Trusted) -> Any:
    from toolkit.models.mlflow_source import is_mlflow_source

    if is_mlflow_source(source):
        return _load_mlflow(source, trusted)
    path = Path(source)
    if not path.exists():
        raise ModelLoadError(
            f"No model at {source!r}: expected a .skops/.joblib/.pkl file, an MLflow model "
            "directory or a runs:/ or models:/ URI. Check the path."
        )
    suffix = path.suffix.lower()
    if suffix == ".skops":
        return load_skops(path, trusted=trusted, origin=str(path))
    if suffix in _PICKLE_SUFFIXES:
        if trusted is not True:
            raise _untrusted_pickle(source, "a pickle file", str(path.with_suffix(".skops")))
        import joblib

        try:
            return joblib.load(path)
        except Exception as exc:
            raise ModelLoadError(f"{source} could not be unpickled: {exc}") from None
    raise ModelLoadError(
        f"Unknown model file type {suffix or '(none)'!r} for {source}: expected .skops, "
        ".joblib, .pkl or an MLflow model directory."
    )


def _load_mlflow(source: str, trusted: Trusted) -> Any:
    """Load the scikit-learn flavor of an MLflow model by the same rules as a file."""
    from toolkit.models.mlflow_source import open_mlflow_model

    with open_mlflow_model(source) as found:
        fmt = found.serialization_format
        if fmt == "skops":
            return load_skops(found.model_file, trusted=trusted, origin=source)
        if fmt not in ("pickle", "cloudpickle"):
            raise ModelLoadError(
                f"{source} is an MLflow model saved with serialization_format={fmt!r}; "
                "expected 'skops', 'pickle' or 'cloudpickle'. Log it again with "
                "tk.tracking.log_model (skops)."
            )
        if trusted is not True:
            what = f"an MLflow model saved with serialization_format={fmt!r}"
            raise _untrusted_pickle(source, what, "model.skops")
        import mlflow.sklearn

        try:  # a local directory: MLflow reads it in place, no server involved
            return mlflow.sklearn.load_model(str(found.directory))
        except Exception as exc:
            raise ModelLoadError(f"{source} could not be unpickled: {first_line(exc)}") from None


def _untrusted_pickle(source: str, what: str, target: str) -> UntrustedModelError:
    return UntrustedModelError(
        f"{source} is {what}, and loading pickle runs arbitrary code. Pass trusted=True "
        "(--trusted on the command line) only if you trust where it came from, then convert "
        f"it once to the safe format: tk.save_model(tk.load_model({source!r}, trusted=True), "
        f"{target!r})."
    )


def _check_fitted(model: Any, source: Any) -> None:
    from sklearn.base import BaseEstimator
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    label = source if isinstance(source, str | os.PathLike) else type(model).__name__
    if not any(hasattr(model, method) for method in SCORING_METHODS):
        raise ModelLoadError(
            f"{label} is a {type(model).__module__}.{type(model).__qualname__}, not a model: "
            f"expected an object with one of {', '.join(SCORING_METHODS)}."
        )
    if isinstance(model, BaseEstimator):
        try:
            check_is_fitted(model)
        except NotFittedError:
            raise ModelLoadError(
                f"{label} is not fitted: call .fit(X, y) before scoring or saving it."
            ) from None
