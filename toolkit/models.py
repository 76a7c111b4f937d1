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

from toolkit.exceptions import ModelLoadError, UnsupportedInputError, UntrustedModelError

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
Trusted = bool | list[str]
_MAX_ENTRIES = 200_000
_MAX_RATIO = 100
_SMALL_ENTRY = 1 << 20
_SMALL_TOTAL = 64 << 20
_MAX_SCHEMA = 512 << 20
_MIN_BYTES_PER_VALUE = 12


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

    The bytes are loaded back before anything is written: a model skops cannot load
    (a ``FunctionTransformer(lambda ...)``, a function defined inside another) is refused
    with :class:`UnsupportedInputError` and the destination is left as it was. The file
    appears whole or not at all.

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
            f"serialise it ({_first_line(exc)}). Keep to objects skops supports (scikit-learn, "
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

    if trusted is not True:
        check_skops_archive(source, origin=origin)
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


def check_skops_archive(source: Path | bytes, *, origin: str) -> None:
    """Refuse a skops zip whose contents would cost far more memory than its size suggests.

    Limits (sized for real models; a compressed skops file of a 200-tree forest
    expands about 60 times, skops writes uncompressed files by default):

    - at most 200,000 entries;
    - uncompressed total at most 100 times the file size (64 MiB for tiny files);
    - no entry over 1 MiB expanding more than 100 times (zip bombs expand ~1000 times);
    - ``schema.json`` at most 512 MiB and, over 1 MiB, at least 12 bytes of JSON per
      value (real schemas have 30-45; dense JSON costs ~20 times its size to parse).

    ``trusted=True`` (a file you made yourself) skips these checks.

    Examples
    --------
    >>> check_skops_archive(Path("model.skops"), origin="model.skops")  # doctest: +SKIP
    """
    import io
    import zipfile

    try:
        size = len(source) if isinstance(source, bytes) else source.stat().st_size
        with zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source) as zf:
            _check_entries(zf.infolist(), size, origin)
            _check_schema(zf, origin)
    except ModelLoadError:
        raise
    except (zipfile.BadZipFile, KeyError, OSError, EOFError, ValueError) as exc:
        raise ModelLoadError(f"{origin} is not readable skops data: {_first_line(exc)}") from None


def _refuse(origin: str, what: str) -> UntrustedModelError:
    return UntrustedModelError(
        f"{origin} was refused before loading: {what}. This looks like a file built to "
        "exhaust memory (a zip bomb), not a model. If you made this file yourself, load it "
        "with trusted=True, which skips these limits."
    )


def _check_entries(infos: list[Any], size: int, origin: str) -> None:
    if len(infos) > _MAX_ENTRIES:
        raise _refuse(origin, f"it has {len(infos):,} entries, the limit is {_MAX_ENTRIES:,}")
    total = sum(info.file_size for info in infos)
    allowed = max(_SMALL_TOTAL, _MAX_RATIO * size)
    if total > allowed:
        raise _refuse(
            origin,
            f"its {size:,} bytes expand to {total:,}; the limit is {_MAX_RATIO} times the file "
            f"size, at least {_SMALL_TOTAL >> 20} MiB (here {allowed:,} bytes)",
        )
    for info in infos:
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > _SMALL_ENTRY and ratio > _MAX_RATIO:
            raise _refuse(
                origin,
                f"its entry {info.filename!r} expands {ratio:.0f} times, the limit is "
                f"{_MAX_RATIO} times",
            )


def _check_schema(zf: Any, origin: str) -> None:
    info = zf.getinfo("schema.json")  # KeyError is not a skops file: caught by the caller
    if info.file_size > _MAX_SCHEMA:
        raise _refuse(
            origin, f"its schema.json is {info.file_size:,} bytes, the limit is {_MAX_SCHEMA:,}"
        )
    seen = values = 0
    with zf.open(info) as handle:  # streamed: never more than 1 MiB in memory
        while chunk := handle.read(_SMALL_ENTRY):
            seen += len(chunk)
            values += chunk.count(b",") + chunk.count(b"{") + chunk.count(b"[")
    if seen > _SMALL_ENTRY and values * _MIN_BYTES_PER_VALUE > seen:
        raise _refuse(
            origin,
            f"its schema.json packs {values:,} JSON values in {seen:,} bytes; real skops "
            f"schemas use at least {_MIN_BYTES_PER_VALUE} bytes per value",
        )


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]


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
            what = f"an MLflow model saved with serialization_format={fmt!r}"
            raise _untrusted_pickle(source, what, "model.skops")
        import mlflow.sklearn

        try:  # a local directory: MLflow reads it in place, no server involved
            return mlflow.sklearn.load_model(str(found.directory))
        except Exception as exc:
            raise ModelLoadError(f"{source} could not be unpickled: {_first_line(exc)}") from None


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
