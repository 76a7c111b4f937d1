"""Check where a session should run before Spark starts: URL syntax, reachability, ports.

Each check answers in words and within seconds what Spark would otherwise answer
minutes later with a JVM stack trace: a malformed ``master`` / ``remote``, a host
name that does not resolve, a port where nothing listens, a port already taken
for a local Spark Connect server. Conf values: :mod:`toolkit.session.conf`.

Examples
--------
>>> parse_target("local[2]", kind="master", source="master=").url
'local[2]'
>>> parse_target("sc://spark.example.com", kind="remote", source="remote=").endpoints
(('spark.example.com', 15002),)
"""

from __future__ import annotations

import re
import socket
import time
import urllib.parse
from dataclasses import dataclass
from typing import Any

from toolkit.exceptions import InvalidOptionError, SessionError

__all__ = [
    "ACCEPTED_MASTERS",
    "ACCEPTED_REMOTES",
    "CONNECT_PORT",
    "Target",
    "connect_port",
    "parse_target",
    "probe",
]

ACCEPTED_MASTERS = (
    "local, local[N], local[*], local[N,M] (M task retries), local-cluster[N,C,M], "
    "spark://host:port[,host:port...], yarn, k8s://https://host:port"
)
ACCEPTED_REMOTES = (
    "sc://host[:port][/;key=value...] (a Spark Connect server, port 15002 by default), "
    "or local, local[N], local[*], local[N,M] to start a Spark Connect server on this machine"
)
CONNECT_PORT = 15002
PROBE_TIMEOUT = 5.0

_LOCAL = re.compile(r"local(?:\[\s*(?:[1-9]\d*|\*)\s*(?:,\s*[1-9]\d*\s*)?\])?")
_LOCAL_CLUSTER = re.compile(r"local-cluster\[\s*[1-9]\d*\s*,\s*[1-9]\d*\s*,\s*[1-9]\d*\s*\]")
_HOST_PORT = re.compile(r"(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):(?P<port>\d{1,5})")


@dataclass(frozen=True)
class Target:
    """Where a session runs: a classic ``master`` or a Spark Connect ``remote``.

    Attributes
    ----------
    kind : {"master", "remote"}
    url : str
        The URL as given (``local[2]``, ``spark://h:7077``, ``sc://h:15002``).
    source : str
        Where it came from, for messages: ``master=``, ``remote=``, ``SPARK_REMOTE``,
        ``SPARK_MASTER`` or ``the default``.
    endpoints : tuple of (host, port)
        Addresses that must accept a TCP connection before Spark starts (empty when
        nothing needs probing: ``local``, ``yarn``).

    Examples
    --------
    >>> Target("master", "local[*]", "the default").local
    True
    """

    kind: str
    url: str
    source: str
    endpoints: tuple[tuple[str, int], ...] = ()

    @property
    def local(self) -> bool:
        """Spark runs in this process (classic ``local[...]``, or a local Connect server)."""
        return self.url.startswith("local")

    def describe(self) -> str:
        """``master='local[2]' (from SPARK_MASTER)``: the target in words, for messages."""
        where = "" if self.source in (f"{self.kind}=",) else f" (from {self.source})"
        return f"{self.kind}={self.url!r}{where}"


def parse_target(url: Any, *, kind: str, source: str) -> Target:
    """Check the syntax of a master or remote URL and say what to probe.

    Parameters
    ----------
    url : str
        The master (``kind="master"``) or Spark Connect remote (``kind="remote"``) URL.
    kind : {"master", "remote"}
    source : str
        Where the URL came from (``master=``, ``SPARK_REMOTE``, ...), named in errors.

    Raises
    ------
    SessionError
        The URL is not one of the forms Spark accepts; the message lists them.

    Examples
    --------
    >>> parse_target("spark://a:7077,b:7077", kind="master", source="master=").endpoints
    (('a', 7077), ('b', 7077))
    >>> parse_target("local[x]", kind="master", source="master=")
    Traceback (most recent call last):
    ...
    toolkit.exceptions.SessionError: master='local[x]' is not a Spark master URL. ...
    """
    accepted = ACCEPTED_MASTERS if kind == "master" else ACCEPTED_REMOTES
    if not isinstance(url, str) or not url.strip():
        raise SessionError(
            f"{kind} must be a non-empty URL string, got {url!r} (from {source}). "
            f"Accepted forms: {accepted}."
        )
    url = url.strip()
    if _LOCAL.fullmatch(url) or (kind == "master" and _LOCAL_CLUSTER.fullmatch(url)):
        return Target(kind, url, source)
    if kind == "master":
        endpoints = _master_endpoints(url)
    else:
        endpoints = _remote_endpoints(url)
    if endpoints is None:
        what = "Spark master" if kind == "master" else "Spark Connect remote"
        hint = (
            " (a Spark Connect URL goes in remote=, not master=)"
            if kind == "master" and url.startswith("sc://")
            else ""
        )
        raise SessionError(
            f"{kind}={url!r}{'' if source == f'{kind}=' else f' (from {source})'} is not a "
            f"{what} URL{hint}. Accepted forms: {accepted}."
        )
    return Target(kind, url, source, endpoints)


def _master_endpoints(url: str) -> tuple[tuple[str, int], ...] | None:
    if url == "yarn":
        return ()
    if url.startswith("k8s://"):
        rest = url[len("k8s://") :]
        parsed = urllib.parse.urlparse(rest if "://" in rest else "https://" + rest)
        try:
            ok = bool(parsed.hostname) and parsed.port != 0
        except ValueError:  # port out of range or not a number
            ok = False
        return () if ok else None
    if not url.startswith("spark://"):
        return None
    endpoints = []
    for part in url[len("spark://") :].split(","):
        match = _HOST_PORT.fullmatch(part.strip())
        if not match or not 0 < int(match.group("port")) < 65536:
            return None
        endpoints.append((match.group("host").strip("[]"), int(match.group("port"))))
    return tuple(endpoints)


def _remote_endpoints(url: str) -> tuple[tuple[str, int], ...] | None:
    # The same parse as pyspark's DefaultChannelBuilder: sc://host[:port][/;key=value...]
    if not url.startswith("sc://"):
        return None
    parsed = urllib.parse.urlparse("http" + url[2:])
    try:
        port = parsed.port
    except ValueError:
        return None
    if not parsed.hostname or parsed.path not in ("", "/") or port == 0:
        return None
    if parsed.params and not all(p.count("=") == 1 for p in parsed.params.split(";")):
        return None
    return ((parsed.hostname, port or CONNECT_PORT),)


def probe(target: Target, *, timeout: float = PROBE_TIMEOUT) -> None:
    """Check that something accepts TCP connections at the target's address(es).

    Spark itself retries an unreachable master or Connect server for minutes and then
    prints a JVM stack; this answers in at most ``timeout`` seconds per address. A
    ``spark://`` URL listing several masters (high availability) passes when one answers.

    Raises
    ------
    SessionError
        No address answered; the message says why for each (name not resolved,
        connection refused, no answer within the timeout).

    Examples
    --------
    >>> probe(parse_target("sc://127.0.0.1:9", kind="remote", source="remote="))
    Traceback (most recent call last):
    ...
    toolkit.exceptions.SessionError: Spark cannot reach remote='sc://127.0.0.1:9': nothing is ...
    """
    if not target.endpoints:
        return
    reasons = []
    for host, port in target.endpoints:
        reason = _unreachable(host, port, timeout)
        if reason is None:
            return
        reasons.append(reason)
    if target.kind == "remote":
        fix = (
            "Start a Spark Connect server there (`$SPARK_HOME/sbin/start-connect-server.sh`) "
            "or fix the URL; remote='local[2]' starts one on this machine."
        )
    else:
        fix = (
            "Start the standalone master there (`$SPARK_HOME/sbin/start-master.sh`) or fix "
            "the URL; master='local[*]' runs Spark on this machine."
        )
    raise SessionError(f"Spark cannot reach {target.describe()}: {'; '.join(reasons)}. {fix}")


def _unreachable(host: str, port: int, timeout: float) -> str | None:
    """Why ``host:port`` accepts no TCP connection, or None when it does."""
    try:
        addresses = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        return f"the host name {host!r} does not resolve ({exc.strerror})"
    except UnicodeError:
        return f"the host name {host!r} is not a valid host name"
    deadline = time.monotonic() + timeout
    reason = f"nothing is listening at {host}:{port}"
    for family, type_, proto, _, address in addresses:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        with socket.socket(family, type_, proto) as sock:
            sock.settimeout(left)
            try:
                sock.connect(address)
            except ConnectionRefusedError:
                reason = f"nothing is listening at {host}:{port} (connection refused)"
            except TimeoutError:
                reason = (
                    f"no answer from {host}:{port} within {timeout:g} s (the host is down, "
                    "or a firewall drops the connection)"
                )
            except OSError as exc:
                reason = f"{host}:{port} cannot be reached ({exc.strerror or exc})"
            else:
                return None
    return reason


def connect_port(address: str, wanted: str | None) -> int:
    """Choose the port of a local Spark Connect server bound to ``address``.

    ``wanted`` (the user's ``spark.connect.grpc.binding.port``) must be free; without
    it, 15002 when free, else a free port the system picks.

    Raises
    ------
    InvalidOptionError
        ``wanted`` is not a port number.
    SessionError
        ``wanted`` is in use.

    Examples
    --------
    >>> 0 < connect_port("127.0.0.1", None) < 65536
    True
    """
    if wanted is not None:
        if not wanted.strip().isdigit() or not 0 < int(wanted) < 65536:
            raise InvalidOptionError(
                f"conf['spark.connect.grpc.binding.port'] = {wanted!r} is not a port: "
                "expected a number from 1 to 65535. Leave it out to let scaleout pick a "
                f"free port ({CONNECT_PORT} when free)."
            )
        port = int(wanted)
        if not _bindable(address, port):
            raise SessionError(
                f"Port {port} on {address} is in use (another Spark Connect server?), so a "
                "local Spark Connect server cannot listen there. Choose another "
                "spark.connect.grpc.binding.port, or leave it out to let scaleout pick one."
            )
        return port
    if _bindable(address, CONNECT_PORT):
        return CONNECT_PORT
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.bind((address, 0))
        return int(sock.getsockname()[1])


def _bindable(address: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the JVM's server does
        try:
            sock.bind((address, port))
        except OSError:
            return False
    return True
