"""Load, save and fingerprint fitted scikit-learn models, safely by default.

Sources :func:`load_model` takes: a fitted estimator object; a ``.skops`` file
(safe: unknown types refused unless named in ``trusted``); a ``.joblib`` /
``.pkl`` file (pickle runs code, so only with ``trusted=True``); an MLflow model
URI (``runs:/<id>/model``, ``models:/name@alias``, ``models:/name/1``) or a
local MLflow model directory (one holding an ``MLmodel`` file).
"""

from __future__ import annotations

import hashlib
import importlib
import os
from pathlib import Path
from typing import Any

from toolkit.exceptions import ModelLoadError, UntrustedModelError

__all__ = [
    "SCORING_METHODS",
    "fingerprint",
    "load_model",
    "load_skops",
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
Trusted = bool | list[str]


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


def save_model(model: Any, path: str | os.PathLike) -> Path:
    """Write ``model`` to ``path`` in the skops format (safe to load) and return the path.

    Examples
    --------
    >>> save_model(fitted_pipeline, "churn.skops")  # doctest: +SKIP
    PosixPath('churn.skops')
    """
    import skops.io as sio

    _check_fitted(model, model)
    target = Path(path)
    if target.suffix != ".skops":
        raise ModelLoadError(
            f"save_model writes the skops format; expected a path ending in .skops, got {str(target)!r}."
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    sio.dump(model, tmp)
    os.replace(tmp, target)  # a reader never sees half a file
    return target


def model_bytes(model: Any) -> bytes:
    """Serialise ``model`` the way it travels to Spark workers (cloudpickle).

    Examples
    --------
    >>> len(model_bytes(fitted_model)) > 0  # doctest: +SKIP
    True
    """
    from pyspark import cloudpickle

    return cloudpickle.dumps(model)


def fingerprint(model: Any) -> str:
    """Content fingerprint of a model: the SHA-256 of its serialised bytes.

    Examples
    --------
    >>> fingerprint(fitted_model)[:12]  # doctest: +SKIP
    '3f9a0c2be41d'
    """
    data = model if isinstance(model, bytes) else model_bytes(model)
    return hashlib.sha256(data).hexdigest()


def _load_path(source: str, trusted: Trusted) -> Any:
    from toolkit.mlflow_models import is_mlflow_source

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
            raise UntrustedModelError(
                f"{source} is a pickle file, and loading pickle runs arbitrary code. Pass "
                "trusted=True only if you trust where it came from, then convert it once to the "
                f"safe format: tk.save_model(tk.load_model({source!r}, trusted=True), "
                f"{str(path.with_suffix('.skops'))!r})."
            )
        import joblib

        try:
            return joblib.load(path)
        except Exception as exc:
            raise ModelLoadError(f"{source} could not be unpickled: {exc}") from None
    raise ModelLoadError(
        f"Unknown model file type {suffix or '(none)'!r} for {source}: expected .skops, "
        ".joblib, .pkl or an MLflow model directory."
    )


def load_skops(
    source: Path | bytes, *, trusted: Trusted = False, origin: str, how_to_trust: str | None = None
) -> Any:
    """Load skops data safely: scikit-learn's own classes are trusted, anything else must be named.

    Parameters
    ----------
    source : path or bytes
    trusted : bool or list of str
        ``True`` trusts every type; a list names the extra types to trust.
    origin : str
        Where the data came from, for messages.
    how_to_trust : str, optional
        Advice for the refusal message; ``{refused}`` is replaced by the refused names.

    Examples
    --------
    >>> model = load_skops(Path("model.skops"), origin="model.skops")  # doctest: +SKIP
    """
    import skops.io as sio

    data = {"data": source} if isinstance(source, bytes) else {"file": source}
    try:
        unknown = sio.get_untrusted_types(**data)
    except Exception as exc:
        raise ModelLoadError(f"{origin} is not readable skops data: {exc}") from None
    allowed = set(unknown) if trusted is True else set(trusted or [])
    allowed |= {name for name in unknown if _is_sklearn_class(name)}
    refused = sorted(set(unknown) - allowed)
    if refused:
        advice = (how_to_trust or "pass trusted={refused} (or trusted=True) to load it").format(
            refused=repr(refused)
        )
        raise UntrustedModelError(
            f"{origin} contains types skops does not trust by default: {refused}. If you trust "
            f"this file, {advice}."
        )
    trusted_here = sorted(set(unknown) & allowed)
    try:
        if isinstance(source, bytes):
            return sio.loads(source, trusted=trusted_here)
        return sio.load(source, trusted=trusted_here)
    except Exception as exc:
        raise ModelLoadError(f"{origin} could not be loaded by skops: {exc}") from None


def _is_sklearn_class(name: str) -> bool:
    """True for classes scikit-learn itself defines (data holders such as tree structures).

    Functions are not included: a model calls them, so they need the user's trust.
    """
    if name == "numpy.dtype":
        return True
    module, _, attr = name.rpartition(".")
    if not (module == "sklearn" or module.startswith("sklearn.")):
        return False
    try:
        return isinstance(getattr(importlib.import_module(module), attr, None), type)
    except ImportError:
        return False


def _load_mlflow(source: str, trusted: Trusted) -> Any:
    """Load the scikit-learn flavor of an MLflow model by the same rules as a file."""
    from toolkit.mlflow_models import open_mlflow_model

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
            raise UntrustedModelError(
                f"{source} is an MLflow model saved with serialization_format={fmt!r}, and "
                f"loading {fmt} runs arbitrary code. Pass trusted=True (--trusted on the "
                "command line) only if you trust where it came from, then convert it once to "
                f"the safe format: tk.save_model(tk.load_model({source!r}, trusted=True), "
                "'model.skops'), or log it again with tk.tracking.log_model (skops)."
            )
        return _unpickle_mlflow(found.directory, source)


def _unpickle_mlflow(directory: Path, source: str) -> Any:
    import mlflow.sklearn

    try:  # a local directory: MLflow reads it in place, no server involved
        return mlflow.sklearn.load_model(str(directory))
    except Exception as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
        raise ModelLoadError(f"{source} could not be unpickled by MLflow: {first}") from None


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
