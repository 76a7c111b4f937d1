"""Read skops data safely: bounded before it is parsed, unknown types refused unless named.

scikit-learn's own classes are trusted; functions and third-party types must be
named by the caller (``trusted=["my.module.Step"]``) or everything trusted
(``trusted=True``). Before skops parses anything, the zip is checked against
limits sized for real models, so a hostile file cannot exhaust memory.

Examples
--------
>>> model = load_skops(Path("model.skops"), origin="model.skops")  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from toolkit._typing import Trusted
from toolkit.exceptions import ModelLoadError, UntrustedModelError, first_line

__all__ = ["Trusted", "check_skops_archive", "load_skops"]

_MAX_ENTRIES = 200_000
_MAX_RATIO = 100
_SMALL_ENTRY = 1 << 20
_SMALL_TOTAL = 64 << 20
_MAX_SCHEMA = 512 << 20
_MIN_BYTES_PER_VALUE = 12


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
        raise ModelLoadError(f"{origin} is not readable skops data: {first_line(exc)}") from None


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
