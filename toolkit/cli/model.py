"""``scaleout model inspect`` and ``scaleout model convert``: look at a model, make it safe.

``inspect`` loads a model by the same rules as ``scaleout score`` and says what
scoring it would give: its features, the methods it offers, the output column and
type of each method (:func:`toolkit.scoring.schema.output_spec`, exactly what ``score``
writes), its fingerprint (:func:`toolkit.models.api.fingerprint`), the scikit-learn
version recorded when it was saved, and where it came from. ``convert`` turns a
pickle (``.pkl``/``.joblib``) into the safe ``.skops`` format once, for a file you trust.

Examples
--------
$ scaleout model inspect churn.skops
$ scaleout model inspect models:/churn@champion --json
$ scaleout model convert legacy.pkl churn.skops --trusted
"""

from __future__ import annotations

import argparse
import json
import os
import zipfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from toolkit._typing import Subcommands, Trusted
from toolkit.cli.score import add_trust_flags, check_tracking_store, trusted_option
from toolkit.exceptions import (
    DestinationExistsError,
    ModelLoadError,
    UnsupportedMethodError,
    UntrustedModelError,
)

__all__ = ["add_model", "convert", "describe_model", "run_convert", "run_inspect"]

_PICKLE_SUFFIXES = (".pkl", ".pickle", ".joblib")


def add_model(commands: Subcommands) -> None:
    """Add ``scaleout model`` with its ``inspect`` and ``convert`` subcommands."""
    help = "Inspect a model, or convert a pickle to the safe skops format."
    sub = commands.add_parser("model", help=help, description=help)
    actions = sub.add_subparsers(dest="action", metavar="ACTION", required=True)

    help = "Show a model's features, methods, output schema, fingerprint and origin."
    inspect = actions.add_parser("inspect", help=help, description=help)
    inspect.set_defaults(run=run_inspect)
    inspect.add_argument("model", metavar="MODEL", help="a .skops/.joblib/.pkl file or MLflow URI")
    add_trust_flags(inspect)
    inspect.add_argument("--json", action="store_true", help="print one JSON object")

    help = "Convert a pickle model (.pkl/.joblib) you trust to the safe .skops format."
    conv = actions.add_parser("convert", help=help, description=help)
    conv.set_defaults(run=run_convert)
    conv.add_argument("input", metavar="IN", help="the model to convert (.pkl, .joblib, ...)")
    conv.add_argument("output", metavar="OUT", help="the .skops file to write")
    add_trust_flags(conv)
    conv.add_argument("--force", action="store_true", help="replace OUT if it exists")


# -- inspect ------------------------------------------------------------------------------


def run_inspect(args: argparse.Namespace) -> int:
    """Print what scoring with the model would give; text, or JSON with ``--json``."""
    check_tracking_store(args.model)
    facts = describe_model(args.model, trusted=trusted_option(args))
    print(json.dumps(facts, indent=2) if args.json else _as_text(facts))
    return 0


def describe_model(source: str, *, trusted: Trusted = False) -> dict[str, Any]:
    """Everything ``model inspect`` shows, as a JSON-ready dict.

    Examples
    --------
    >>> describe_model("churn.skops")["methods"]["predict_proba"]["type"]  # doctest: +SKIP
    'struct<`no`: double, `yes`: double>'
    """
    from toolkit.models.mlflow_source import is_mlflow_source, open_mlflow_model

    if is_mlflow_source(source):
        with open_mlflow_model(source) as found:
            origin = _mlflow_origin(source, found)
            recorded = _recorded_sklearn(found.model_file, found.directory)
            model = _load(str(found.directory), trusted)
    else:
        origin = _file_origin(source)
        recorded = _recorded_sklearn(Path(source), None)
        model = _load(source, trusted)
    return _facts(model, origin, recorded)


def _load(source: str, trusted: Trusted) -> Any:
    from toolkit.models.api import load_model

    return load_model(source, trusted=trusted)


def _facts(model: Any, origin: dict[str, Any], recorded: str | None) -> dict[str, Any]:
    from importlib.metadata import version

    from toolkit.models.api import SCORING_METHODS, fingerprint
    from toolkit.scoring.schema import output_spec

    methods: dict[str, Any] = {}
    for method in SCORING_METHODS:
        if not hasattr(model, method):
            continue
        try:
            spec = output_spec(model, method)
        except UnsupportedMethodError as exc:
            methods[method] = {"column": None, "type": None, "note": str(exc)}
            continue
        methods[method] = {"column": spec.column, "type": spec.ddl}
    names = getattr(model, "feature_names_in_", None)
    return {
        "model": f"{type(model).__module__}.{type(model).__qualname__}",
        "steps": [name for name, _ in getattr(model, "steps", [])],
        "features": None if names is None else [str(n) for n in names],
        "n_features": getattr(model, "n_features_in_", None),
        "methods": methods,
        "fingerprint": fingerprint(model),
        "sklearn": {"recorded": recorded, "installed": version("scikit-learn")},
        "origin": origin,
    }


def _file_origin(source: str) -> dict[str, Any]:
    path = Path(source)
    if not path.is_file():
        return {"source": source}
    stat = path.stat()
    kind = "skops file" if path.suffix.lower() == ".skops" else "pickle file"
    return {
        "source": source,
        "kind": kind,
        "path": str(path.resolve()),
        "bytes": stat.st_size,
        "modified": datetime.fromtimestamp(stat.st_mtime, timezone.utc).isoformat(),
    }


def _mlflow_origin(source: str, found: Any) -> dict[str, Any]:
    import yaml

    try:
        meta = yaml.safe_load((found.directory / "MLmodel").read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError, UnicodeDecodeError):
        meta = {}
    origin = {"source": source, "kind": f"MLflow model ({found.serialization_format})"}
    for key in ("run_id", "model_id", "utc_time_created", "model_uuid"):
        if isinstance(meta, dict) and meta.get(key):
            origin[key] = str(meta[key])
    return origin


def _recorded_sklearn(model_file: Path, directory: Path | None) -> str | None:
    """The scikit-learn version written with the model: skops metadata, else requirements."""
    if model_file.suffix.lower() == ".skops" and model_file.is_file():
        try:
            with zipfile.ZipFile(model_file) as archive:
                schema = json.loads(archive.read("schema.json"))
            content = schema.get("content", {}).get("content", {})
            raw = content.get("_sklearn_version", {}).get("content")
            if raw:
                return str(json.loads(raw))
        except (zipfile.BadZipFile, KeyError, OSError, ValueError, AttributeError):
            pass
    requirements = directory / "requirements.txt" if directory is not None else None
    if requirements is not None and requirements.is_file():
        for line in requirements.read_text(encoding="utf-8").splitlines():
            name, sep, pinned = line.strip().partition("==")
            if sep and name.strip().lower() in ("scikit-learn", "sklearn"):
                return pinned.strip()
    return None


def _as_text(facts: dict[str, Any]) -> str:
    features = facts["features"]
    lines = [
        f"model        {facts['model']}",
        *([f"steps        {', '.join(facts['steps'])}"] if facts["steps"] else []),
        "features     "
        + (", ".join(features) if features else f"{facts['n_features']} unnamed columns"),
        "methods      " + ", ".join(facts["methods"]),
    ]
    for method, out in facts["methods"].items():
        shown = f"{out['column']}: {out['type']}" if out["type"] else out["note"]
        lines.append(f"  {method:<18} {shown}")
    sklearn = facts["sklearn"]
    lines += [
        f"fingerprint  {facts['fingerprint']}",
        f"scikit-learn {sklearn['recorded'] or 'not recorded'} when saved; "
        f"{sklearn['installed']} installed",
    ]
    origin = facts["origin"]
    lines.append(
        f"source       {origin['source']}" + (f" ({origin['kind']})" if "kind" in origin else "")
    )
    lines += [
        f"  {key:<18} {value}" for key, value in origin.items() if key not in ("source", "kind")
    ]
    return "\n".join(lines)


# -- convert ------------------------------------------------------------------------------


def run_convert(args: argparse.Namespace) -> int:
    """Convert ``IN`` to ``OUT`` (skops); print one line saying what was written."""
    written = convert(args.input, args.output, trusted=trusted_option(args), force=args.force)
    print(f"wrote {written} (skops)")
    return 0


def convert(source: str, target: str, *, trusted: Trusted, force: bool) -> Path:
    """Load ``source`` (pickle only when ``trusted is True``) and save it as skops at ``target``.

    Raises
    ------
    UntrustedModelError
        ``source`` is a pickle and ``trusted`` is not True (nothing is loaded).
    DestinationExistsError
        ``target`` exists and ``force`` is false.
    ModelLoadError
        ``target`` does not end in ``.skops``.
    """
    from toolkit.models.api import load_model, save_model

    out = Path(target)
    if out.suffix.lower() != ".skops":
        raise ModelLoadError(f"OUT must be a .skops file; got {target!r}. Nothing was written.")
    if out.exists() and not force:
        raise DestinationExistsError(
            f"{target} already exists. Choose another OUT, or pass --force to replace it. "
            "Nothing was written."
        )
    if Path(source).suffix.lower() in _PICKLE_SUFFIXES and trusted is not True:
        raise UntrustedModelError(
            f"Converting {source} loads it with pickle, which runs any code the file holds. "
            "Pass --trusted only if you trust where it came from. Nothing was written."
        )
    if os.path.realpath(source) == os.path.realpath(target):
        raise DestinationExistsError(
            f"IN and OUT are the same file ({target}). Nothing was written."
        )
    return save_model(load_model(source, trusted=trusted), out)
