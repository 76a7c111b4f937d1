"""The ASGI app behind ``scaleout serve``: ``POST /predict``, ``GET /health``, ``GET /metadata``.

``/predict`` answers ``{"columns": [...], "rows": [...], "predictions": [...], "method",
"runtime", "version", "fingerprint"}``: one prediction object per answered row, with the output
names ``tk.score`` uses (``prediction``; ``probability`` as an object keyed by class
label; ``<output>_error`` with ``handle_invalid="keep"``); ``rows`` gives the position
of each answered row in the request. Errors are ``{"error": <ToolkitError name>,
"message": <the message tk.score gives>}`` with 400 (malformed request, unknown method
or option), 413 (body over the limit) or 422 (missing column, wrong type, a value the
model refuses under ``handle_invalid="error"``).

Examples
--------
>>> app = create_app(runtime, metadata={"fingerprint": "..."})  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

from toolkit.exceptions import (
    InvalidInputError,
    SchemaMismatchError,
    ToolkitError,
)
from toolkit.serving.deps import require
from toolkit.serving.payload import parse_payload
from toolkit.serving.runtime import Runtime

__all__ = ["MAX_BODY_BYTES", "create_app", "status_of"]

MAX_BODY_BYTES = 10 * 1024 * 1024  # 10 MiB


def status_of(error: ToolkitError) -> int:
    """422 for data the model cannot score, 400 for any other bad request."""
    return 422 if isinstance(error, SchemaMismatchError | InvalidInputError) else 400


def create_app(
    runtime: Runtime, *, metadata: dict[str, Any], max_body_bytes: int = MAX_BODY_BYTES
) -> Any:
    """The FastAPI app serving ``runtime``; ``metadata`` is what ``GET /metadata`` shows.

    Parameters
    ----------
    runtime : Runtime
        A :class:`~toolkit.serving.runtime.SklearnRuntime` or ``OnnxRuntime``.
    metadata : dict
        Model URI, fingerprint, features, output schema, ...; ``runtime`` and ``methods``
        are added here.
    max_body_bytes : int
        Larger request bodies get 413 before they are parsed.
    """
    fastapi = require("fastapi")
    from fastapi.responses import JSONResponse

    app = fastapi.FastAPI(title="scaleout serve", docs_url=None, redoc_url=None)
    fingerprint = metadata.get("fingerprint")

    def now() -> dict[str, Any]:  # what may change while serving (a followed alias)
        return {
            "runtime": runtime.name,
            "version": getattr(runtime, "version", metadata.get("version")),
            "fingerprint": getattr(runtime, "fingerprint", fingerprint),
        }

    def failure(status: int, error: str, message: str) -> Any:
        return JSONResponse({"error": error, "message": message}, status_code=status)

    async def health(request: Any) -> Any:
        return JSONResponse({"status": "ok", **now()})

    async def metadata_route(request: Any) -> Any:
        return JSONResponse({**metadata, **now(), "methods": list(runtime.methods)})

    async def predict(request: Any) -> Any:
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > max_body_bytes:
            return failure(413, "RequestTooLarge", _too_large(int(declared), max_body_bytes))
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > max_body_bytes:
                return failure(413, "RequestTooLarge", _too_large(size, max_body_bytes))
            chunks.append(chunk)
        try:
            data, options = parse_payload(b"".join(chunks))
            answer = runtime.predict(data, **options)
        except ToolkitError as exc:
            return failure(status_of(exc), type(exc).__name__, str(exc))
        body = {
            "method": options["method"],
            "runtime": answer.runtime,
            "version": answer.version or metadata.get("version"),
            "fingerprint": answer.fingerprint or fingerprint,
            "columns": list(answer.columns),
            "rows": answer.rows,
            "predictions": answer.records,
        }
        return JSONResponse(body)

    # plain routes: the body is read (and limited) here, never parsed by a framework model
    app.router.add_route("/health", health, methods=["GET"])
    app.router.add_route("/metadata", metadata_route, methods=["GET"])
    app.router.add_route("/predict", predict, methods=["POST"])
    return app


def _too_large(size: int, limit: int) -> str:
    return (
        f"The request body has {size:,}+ bytes; this server takes at most {limit:,}. "
        "Send fewer rows per request."
    )
