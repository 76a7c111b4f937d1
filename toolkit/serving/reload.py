"""Follow an MLflow registry alias while serving: ``scaleout serve models:/name@alias
--reload-interval 30``.

Every interval a background thread re-resolves the alias (one quick registry request).
A new version is loaded and checked in the background (same features, same
``predict`` output type, and the ONNX export check when the runtime uses it), then
swapped in with one assignment: a request is answered wholly by the old or wholly by the
new version, and every answer names its version. A version that fails to load or check
is reported and the old one keeps serving.

Examples
--------
>>> follower = AliasFollower.start("models:/churn@champion", runtime="auto", interval=30)
... # doctest: +SKIP
>>> follower.version  # doctest: +SKIP
'3'
"""

from __future__ import annotations

import re
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from toolkit._typing import Trusted
from toolkit.exceptions import InvalidOptionError, SchemaMismatchError, first_line
from toolkit.serving.runtime import Prediction

__all__ = ["ALIAS_URI", "AliasFollower", "alias_parts"]

ALIAS_URI = re.compile(r"models:/(?P<name>[^/@]+)@(?P<alias>[^/@]+)")


def alias_parts(uri: str) -> tuple[str, str]:
    """``models:/churn@champion`` -> ``("churn", "champion")``; anything else is refused.

    Examples
    --------
    >>> alias_parts("models:/churn@champion")
    ('churn', 'champion')
    """
    match = ALIAS_URI.fullmatch(uri)
    if not match:
        raise InvalidOptionError(
            f"--reload-interval follows a registry alias, models:/<name>@<alias>; got {uri!r}. "
            "Serve an alias URI, or leave --reload-interval out."
        )
    return match["name"], match["alias"]


@dataclass(frozen=True)
class _Served:
    runtime: Any
    version: str
    model: Any
    fingerprint: str
    why_not_onnx: str | None


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class AliasFollower:
    """A runtime that answers with the version the alias pointed at when it last looked."""

    def __init__(
        self,
        uri: str,
        *,
        runtime: str = "auto",
        interval: float = 30.0,
        trusted: Trusted = False,
        say: Callable[[str], None] = _say,
    ) -> None:
        self.uri, self.kind, self.interval, self.trusted, self.say = (
            uri, runtime, interval, trusted, say,
        )  # fmt: skip
        self.registered, self.alias = alias_parts(uri)
        self._current = self._load(self._resolve())
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @classmethod
    def start(cls, uri: str, **options: Any) -> AliasFollower:
        """Resolve and load the alias's version now, then follow it in a daemon thread."""
        follower = cls(uri, **options)
        follower._thread = threading.Thread(
            target=follower._loop, name="scaleout-alias", daemon=True
        )
        follower._thread.start()
        return follower

    # -- the Runtime interface, answered by the current version ---------------------

    @property
    def name(self) -> str:
        return str(self._current.runtime.name)

    @property
    def methods(self) -> tuple[str, ...]:
        return tuple(self._current.runtime.methods)

    @property
    def version(self) -> str:
        return self._current.version

    @property
    def fingerprint(self) -> str:
        return self._current.fingerprint

    @property
    def model(self) -> Any:
        return self._current.model

    @property
    def why_not_onnx(self) -> str | None:
        return self._current.why_not_onnx

    def predict(
        self, frame: Any, *, method: str = "predict", handle_invalid: str = "error"
    ) -> Prediction:
        served = self._current  # one read: the whole request is answered by this version
        answer: Prediction = served.runtime.predict(
            frame, method=method, handle_invalid=handle_invalid
        )
        return replace(answer, version=served.version, fingerprint=served.fingerprint)

    def stop(self) -> None:
        self._stop.set()

    # -- following ------------------------------------------------------------------

    def check_now(self) -> bool:
        """Re-resolve the alias; switch when it moved and the new version passes. True when
        a new version is now served."""
        current = self._current
        try:
            version = self._resolve()
            if version == current.version:
                return False
            candidate = self._load(version)
            _check_compatible(current.model, candidate.model)
        except Exception as exc:  # whatever fails, the running version keeps serving
            self.say(
                f"scaleout serve: warning: {self.uri}: keeping version {current.version}: "
                f"{first_line(exc)}"
            )
            return False
        self._current = candidate
        self.say(
            f"scaleout serve: {self.uri}: now serving version {candidate.version} "
            f"(runtime {candidate.runtime.name}, fingerprint {candidate.fingerprint[:12]})"
        )
        return True

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.check_now()

    def _resolve(self) -> str:
        from mlflow import MlflowClient

        from toolkit.models.mlflow_source import quick_requests, store_errors

        with quick_requests(), store_errors():
            found = MlflowClient().get_model_version_by_alias(self.registered, self.alias)
        return str(found.version)

    def _load(self, version: str) -> _Served:
        from toolkit.models.api import fingerprint, load_model
        from toolkit.serving.api import build_runtime
        from toolkit.serving.stored import stored_onnx

        uri = f"models:/{self.registered}/{version}"
        model = load_model(uri, trusted=self.trusted)
        stored = stored_onnx(uri) if self.kind != "sklearn" else None  # logged with onnx=True
        runtime, why_not = build_runtime(model, runtime=self.kind, stored=stored)
        return _Served(runtime, version, model, fingerprint(model), why_not)


def _check_compatible(old: Any, new: Any) -> None:
    """A new version may replace the served one only with the same features and the same
    ``predict`` output, so clients keep getting the answers they parse."""
    from toolkit.scoring.checks import resolve_features
    from toolkit.scoring.schema import output_spec

    before, after = resolve_features(old, None), resolve_features(new, None)
    spec_before, spec_after = output_spec(old, "predict"), output_spec(new, "predict")
    if before != after or spec_before != spec_after:
        raise SchemaMismatchError(
            f"the new version needs features {after} and predicts {spec_after.ddl}; the "
            f"served one {before} and {spec_before.ddl}. Serve it with a new scaleout serve."
        )
