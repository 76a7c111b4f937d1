"""The HTTP side of the latency suite: a real ``scaleout serve`` in a child process on a free
loopback port, one keep-alive client timing requests, and concurrent clients for throughput.

The server is the command users run (``python -m toolkit.cli serve MODEL --runtime R``),
not an in-process imitation; the clients speak plain HTTP/1.1 with :mod:`http.client`
(one persistent connection each, the body sent with the headers in one packet).

Examples
--------
>>> with Server(model_path, runtime="onnx", logdir=tmp) as server:        # doctest: +SKIP
...     found = time_requests(server.port, bodies, requests=5000, warmup=500)
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from toolkit.exceptions import ToolkitError

__all__ = ["Server", "ServerError", "call", "free_port", "throughput", "time_requests"]

STARTUP_SECONDS = 120.0


class ServerError(ToolkitError, RuntimeError):
    """The benchmark's ``scaleout serve`` did not start or answered with an error."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Server:
    """``scaleout serve MODEL --runtime RUNTIME`` as a child process, stopped on exit."""

    def __init__(self, model_path: Path, *, runtime: str, logdir: Path) -> None:
        self.model_path, self.runtime, self.logdir = Path(model_path), runtime, Path(logdir)
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        self.log = self.logdir / f"serve-{runtime}.log"

    def __enter__(self) -> Server:
        self.logdir.mkdir(parents=True, exist_ok=True)
        for _ in range(3):  # a port taken between free_port() and bind: try another
            self.port = free_port()
            with self.log.open("wb") as log:
                self.process = subprocess.Popen(
                    [sys.executable, "-m", "toolkit.cli", "serve", str(self.model_path),
                     "--runtime", self.runtime, "--port", str(self.port)],
                    stdout=subprocess.DEVNULL, stderr=log, env=dict(os.environ),
                )  # fmt: skip
            if self._wait():
                return self
        raise ServerError(
            f"scaleout serve --runtime {self.runtime} did not start: "
            f"{self.log.read_text(errors='replace')[-2000:]}"
        )

    def _wait(self) -> bool:
        deadline = time.monotonic() + STARTUP_SECONDS
        assert self.process is not None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                status, _ = call(self.port, "GET", "/health")
                if status == 200:
                    return True
            except OSError:
                time.sleep(0.1)
        self.__exit__()
        return False

    def __exit__(self, *exc: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def call(port: int, method: str, path: str, body: bytes | None = None) -> tuple[int, Any]:
    """One request on a fresh connection: (status, decoded JSON answer)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=_HEADERS if body else {})
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()


_HEADERS = {"Content-Type": "application/json"}


def time_requests(
    port: int, bodies: list[bytes], *, requests: int, warmup: int
) -> tuple[list[int], set[str]]:
    """Send ``warmup`` then ``requests`` POST /predict bodies (cycling) on one keep-alive
    connection; the nanoseconds of each timed request and the runtimes that answered."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    runtimes: set[str] = set()
    try:
        for i in range(warmup):
            runtimes.add(_post(conn, bodies[i % len(bodies)])["runtime"])
        times = []
        clock = time.perf_counter_ns
        for i in range(requests):
            body = bodies[i % len(bodies)]
            began = clock()
            answer = _post(conn, body)
            times.append(clock() - began)
            runtimes.add(answer["runtime"])
    finally:
        conn.close()
    return times, runtimes


def throughput(
    port: int, bodies: list[bytes], *, requests: int, clients: int, warmup: int
) -> dict[str, Any]:
    """``clients`` threads, one keep-alive connection each, ``requests`` in all (after
    ``warmup`` each): requests per second over the wall time, and the latencies seen."""
    per_client = max(1, requests // clients)
    start = threading.Barrier(clients + 1)
    times: list[list[int]] = [[] for _ in range(clients)]
    errors: list[BaseException] = []

    def client(k: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            for i in range(warmup):
                _post(conn, bodies[(k + i) % len(bodies)])
            start.wait()
            clock = time.perf_counter_ns
            for i in range(per_client):
                began = clock()
                _post(conn, bodies[(k * per_client + i) % len(bodies)])
                times[k].append(clock() - began)
        except BaseException as exc:  # reported by the caller
            errors.append(exc)
            start.abort()
        finally:
            conn.close()

    threads = [threading.Thread(target=client, args=(k,), daemon=True) for k in range(clients)]
    for thread in threads:
        thread.start()
    with contextlib.suppress(threading.BrokenBarrierError):  # a client failed: reported below
        start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - began
    if errors:
        raise ServerError(f"a throughput client failed: {errors[0]}") from errors[0]
    flat = [t for one in times for t in one]
    return {"requests": len(flat), "seconds": seconds, "times": flat}


def _post(conn: http.client.HTTPConnection, body: bytes) -> Any:
    conn.request("POST", "/predict", body=body, headers=_HEADERS)
    response = conn.getresponse()
    data = response.read()
    if response.status != 200:
        raise ServerError(f"POST /predict answered {response.status}: {data[:500]!r}")
    return json.loads(data)
