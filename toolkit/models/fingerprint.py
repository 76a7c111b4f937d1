"""A model's fingerprint: a hash of its content, the same in every load, process and machine.

The fingerprint is the SHA-256 of a canonical form of the model's skops serialisation.
The raw skops bytes cannot be hashed as they are: the zip records the time each entry
was written, ``schema.json`` records every object's ``id()`` (``__id__``) and names
array entries after those ids (``<id>.npy``) or random UUIDs (``<uuid>.bin``), and
structured numpy arrays (a decision tree's ``nodes``) carry padding bytes whose
values are whatever was in memory. None of that is the model. The canonical form
keeps what is: ``schema.json`` without ``__id__`` and ``_skops_version``, each
entry reference replaced by the digest of what the entry holds (an array's dtype,
shape and values, field by field; a sparse matrix's arrays by name; other bytes as
they are), serialised as JSON with sorted keys.

Objects skops cannot serialise at all fall back to the SHA-256 of their cloudpickle
bytes, which is not stable across processes.

Examples
--------
>>> fingerprint(load_model("churn.skops")) == fingerprint(load_model("churn.skops"))
... # doctest: +SKIP
True
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from typing import Any

from toolkit.exceptions import UnsupportedInputError, first_line

__all__ = ["fingerprint", "skops_fingerprint"]

_SCHEMA = "schema.json"


def fingerprint(model: Any) -> str:
    """Content fingerprint of a model: 64 hex digits, stable across loads and processes.

    Parameters
    ----------
    model : fitted estimator or bytes
        A model object, or bytes. Bytes holding a skops archive (a ``.skops`` file's
        contents) are fingerprinted by the model they hold, without loading it, so they
        give the same fingerprint as the model loaded from them; other bytes are
        hashed as given.

    Returns
    -------
    str
        The SHA-256 of the canonical skops form of the model (see the module docstring):
        equal for the same model however often, and wherever, it is loaded. For an
        object skops cannot serialise, the SHA-256 of its cloudpickle bytes instead,
        which can change from one process to the next.

    Raises
    ------
    UnsupportedInputError
        When neither skops nor cloudpickle can serialise ``model``.
    ModelLoadError
        When ``model`` is skops bytes past the limits of :func:`check_skops_archive`.

    Examples
    --------
    >>> fingerprint(fitted_model)[:12]  # doctest: +SKIP
    '3f9a0c2be41d'
    """
    if isinstance(model, bytes | bytearray | memoryview):
        data = bytes(model)
        if _is_skops(data):
            from toolkit.models.skops_io import check_skops_archive

            check_skops_archive(data, origin="the skops bytes given to fingerprint")
            return skops_fingerprint(data)
        return hashlib.sha256(data).hexdigest()
    import skops.io as sio

    try:
        blob = sio.dumps(model)
    except Exception as exc:  # skops cannot serialise it: the process-local bytes are all we have
        return _pickle_fingerprint(model, exc)
    return skops_fingerprint(blob)


def skops_fingerprint(blob: bytes) -> str:
    """The SHA-256 of the canonical form of skops bytes (see the module docstring).

    Examples
    --------
    >>> skops_fingerprint(Path("churn.skops").read_bytes())[:12]  # doctest: +SKIP
    '3f9a0c2be41d'
    """
    with zipfile.ZipFile(io.BytesIO(blob)) as archive:
        entries = {
            name: _entry_digest(name, archive.read(name))
            for name in sorted(archive.namelist())
            if name != _SCHEMA
        }
        schema = json.loads(archive.read(_SCHEMA))
    if isinstance(schema, dict):
        schema.pop("_skops_version", None)
    canonical = json.dumps(_canonical(schema, entries), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _pickle_fingerprint(model: Any, skops_error: Exception) -> str:
    from pyspark import cloudpickle

    try:
        data = cloudpickle.dumps(model)
    except Exception as exc:
        raise UnsupportedInputError(
            f"Cannot fingerprint this {type(model).__name__}: neither skops "
            f"({first_line(skops_error)}) nor cloudpickle ({first_line(exc)}) can serialise "
            "it. Remove the attribute that holds the object named (a generator, an open "
            "file), or fingerprint a copy of the model without it."
        ) from None
    return hashlib.sha256(data).hexdigest()


def _is_skops(data: bytes) -> bool:
    if not data.startswith(b"PK"):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return _SCHEMA in archive.namelist()
    except zipfile.BadZipFile:
        return False


def _canonical(node: Any, entries: dict[str, str]) -> Any:
    """``node`` without object ids, with entry names replaced by their contents' digests."""
    if isinstance(node, list):
        return [_canonical(item, entries) for item in node]
    if not isinstance(node, dict):
        return node
    is_node = "__loader__" in node  # a skops node, not the content of a user's dict
    out = {}
    for key, value in node.items():
        if is_node and key == "__id__":
            continue
        if is_node and key == "file" and isinstance(value, str) and value in entries:
            out[key] = entries[value]
            continue
        out[key] = _canonical(value, entries)
    return out


def _entry_digest(name: str, data: bytes) -> str:
    if name.endswith(".npy"):
        digest = _npy_digest(data)
    elif name.endswith(".npz"):
        digest = _npz_digest(data)
    else:
        digest = None
    return digest or hashlib.sha256(data).hexdigest()


def _npy_digest(data: bytes) -> str | None:
    import numpy as np

    try:
        array = np.load(io.BytesIO(data), allow_pickle=False)
    except Exception:  # not an array numpy reads without pickle: hash the bytes
        return None
    return _array_digest(array)


def _npz_digest(data: bytes) -> str | None:
    import numpy as np

    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
            parts = [f"{name}={_array_digest(arrays[name])}" for name in sorted(arrays.files)]
    except Exception:
        return None
    return hashlib.sha256(";".join(parts).encode("utf-8")).hexdigest()


def _array_digest(array: Any) -> str:
    """dtype, shape and values in C order; a structured array field by field (no padding)."""
    digest = hashlib.sha256()
    digest.update(f"{array.dtype.descr!r}|{array.shape!r}".encode())
    _update_values(digest, array)
    return digest.hexdigest()


def _update_values(digest: Any, array: Any) -> None:
    if array.dtype.names is None:
        digest.update(array.tobytes(order="C"))
        return
    for name in array.dtype.names:
        _update_values(digest, array[name])
