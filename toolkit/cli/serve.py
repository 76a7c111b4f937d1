"""``scaleout serve``: answer single rows over HTTP with a model (see :mod:`toolkit.serving`).

Examples
--------
$ scaleout serve churn.skops
$ scaleout serve models:/churn@champion --port 9000 --runtime onnx
"""

from __future__ import annotations

import argparse
import socket
import sys
from typing import Any

from toolkit._typing import Subcommands
from toolkit.exceptions import InvalidOptionError, UnsupportedMethodError

__all__ = ["add_serve", "port_number", "run_serve"]


def add_serve(commands: Subcommands) -> None:
    """Add ``scaleout serve`` and its flags to ``commands``."""
    from toolkit.cli.score import add_trust_flags

    help = "Serve a model over HTTP: POST /predict, GET /health, GET /metadata."
    sub = commands.add_parser("serve", help=help, description=help)
    sub.set_defaults(run=run_serve)
    sub.formatter_class = argparse.RawDescriptionHelpFormatter
    sub.epilog = (
        "runtimes: auto (default) uses onnxruntime when the ONNX export agrees with\n"
        "scikit-learn on every checked row, else scikit-learn; onnx insists on it.\n"
        'requests: POST /predict {"rows": [{...}]} or {"columns": {...}}, optional\n'
        '"method" and "handle_invalid"; bodies over --max-body-mb are refused (413).\n\n'
        "examples:\n"
        "  scaleout serve churn.skops\n"
        "  scaleout serve models:/churn@champion --port 9000 --runtime onnx\n"
        "  scaleout serve models:/churn@champion --reload-interval 30\n"
        '  curl -s localhost:8080/predict -d \'{"rows": [{"age": 41, "plan": "pro"}]}\''
    )
    sub.add_argument("model", metavar="MODEL", help="a .skops/.joblib/.pkl file or MLflow URI")
    sub.add_argument(
        "--host", default="127.0.0.1",
        help="address to listen on (default 127.0.0.1: this machine only)",
    )  # fmt: skip
    sub.add_argument("--port", type=port_number, default=8080, help="TCP port (default 8080)")
    sub.add_argument(
        "--runtime", default="auto", choices=("auto", "onnx", "sklearn"),
        help="auto (default): onnxruntime when the export is exact, else scikit-learn",
    )  # fmt: skip
    sub.add_argument(
        "--max-body-mb", type=float, default=10.0, metavar="MB",
        help="largest request body accepted, in MiB (default 10)",
    )  # fmt: skip
    sub.add_argument(
        "--reload-interval", type=float, default=None, metavar="SECONDS",
        help="with MODEL models:/name@alias: re-resolve the alias this often and switch to a "
        "new version once it loaded and passed its checks (default: off)",
    )  # fmt: skip
    add_trust_flags(sub)


def port_number(text: str) -> int:
    """``"8080"`` -> 8080; anything but a whole number from 1 to 65535 is a usage error."""
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port from 1 to 65535; got {text!r}")
    return int(text)


def run_serve(args: argparse.Namespace) -> int:
    """Run ``scaleout serve``: load, choose the runtime, listen until interrupted."""
    from toolkit.cli.score import check_tracking_store, trusted_option
    from toolkit.models.api import fingerprint, load_model
    from toolkit.serving.api import build_runtime
    from toolkit.serving.app import create_app
    from toolkit.serving.deps import require
    from toolkit.serving.reload import AliasFollower, alias_parts
    from toolkit.serving.stored import stored_onnx

    require("fastapi", purpose="scaleout serve")
    uvicorn = require("uvicorn", purpose="scaleout serve")
    if args.max_body_mb <= 0:
        raise InvalidOptionError(f"--max-body-mb must be positive; got {args.max_body_mb}.")
    following = args.reload_interval is not None
    if following:
        if args.reload_interval <= 0:
            raise InvalidOptionError(
                f"--reload-interval must be a positive number of seconds; got "
                f"{args.reload_interval:g}."
            )
        alias_parts(args.model)  # a models:/name@alias URI, or an error naming the flag
    check_tracking_store(args.model)
    sock = _listen(args.host, args.port)  # a taken port fails before the model loads
    if following:
        served: Any = AliasFollower.start(
            args.model, runtime=args.runtime, interval=args.reload_interval,
            trusted=trusted_option(args),
        )  # fmt: skip
        model, why_not, digest = served.model, served.why_not_onnx, served.fingerprint
    else:
        model = load_model(args.model, trusted=trusted_option(args))
        stored = stored_onnx(args.model) if args.runtime != "sklearn" else None
        served, why_not = build_runtime(model, runtime=args.runtime, stored=stored)
        digest = fingerprint(model)
    if why_not:
        print(f"scaleout serve: warning: serving with scikit-learn: {why_not}", file=sys.stderr)
    metadata = _metadata(args.model, model, served, digest)
    app = create_app(served, metadata=metadata, max_body_bytes=int(args.max_body_mb * 2**20))
    version = f", version {served.version}" if following else ""
    print(
        f"scaleout serve: listening on http://{_url_host(args.host)}:{args.port} "
        f"(runtime {served.name}, model {args.model}{version}, fingerprint {digest[:12]})",
        file=sys.stderr,
        flush=True,
    )
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    uvicorn.Server(config).run(sockets=[sock])
    return 0


def _metadata(uri: str, model: Any, served: Any, digest: str) -> dict[str, Any]:
    from toolkit.scoring.checks import resolve_features
    from toolkit.scoring.schema import output_spec

    outputs = {}
    for method in served.methods:
        try:
            spec = output_spec(model, method)
        except UnsupportedMethodError:  # e.g. predict_proba of a multi-output classifier
            continue
        outputs[method] = {"column": spec.column, "type": spec.ddl, "fields": list(spec.fields)}
    onnx = None
    if hasattr(served, "outputs"):  # the onnxruntime runtime: what it answers itself
        onnx = {
            "methods": list(served.outputs),
            "precision": served.precision,
            "origin": getattr(served, "origin", "converted"),
        }
    return {
        "onnx": onnx,
        "model": uri,
        "version": None,
        "fingerprint": digest,
        "estimator": type(model).__name__,
        "features": resolve_features(model, None),
        "outputs": outputs,
    }


def _listen(host: str, port: int) -> socket.socket:
    """A bound, listening socket, or an error naming the flags to change."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto named: asyncio sets TCP_NODELAY only on sockets whose proto is IPPROTO_TCP, and
    # without it Nagle's algorithm and delayed ACKs add ~40 ms to every answer
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise InvalidOptionError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}. Pick another --port, "
            "or a --host address this machine has."
        ) from None
    return sock


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host
