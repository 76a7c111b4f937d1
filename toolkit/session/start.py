"""Start one Spark session of a checked kind, and say in words why it did not start.

Three ways to start: classic (``master``), a local Spark Connect server plus its
client (``remote="local[N]"``), a client of a running Connect server
(``remote="sc://..."``). Each hides the environment variables that would make
pyspark pick another way (an explicit argument wins over ``SPARK_REMOTE``), checks
the conf Spark has parsed, and stops what it started when that conf is refused.

Examples
--------
>>> from toolkit.session.checks import parse_target
>>> spark = start(parse_target("local[2]", kind="master", source="master="),
...               app_name="demo", settings={}, user={})  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import warnings
from collections.abc import Iterator, Mapping
from typing import Any

from toolkit.exceptions import InvalidOptionError, SessionError, ToolkitError
from toolkit.session.checks import Target, connect_port
from toolkit.session.conf import conf_error
from toolkit.session.quiet import launch_quiet_jvm, quiet_settings

__all__ = ["cause", "check_sql_values", "connect_target", "hidden_environment", "start"]

# Variables that make pyspark build a Spark Connect session, or refuse a master next to them.
_CHOOSERS = ("SPARK_REMOTE", "MASTER")
# pyspark's marks of a Connect process; stale once no Connect session runs.
_CONNECT_MARKS = ("SPARK_CONNECT_MODE_ENABLED", "SPARK_LOCAL_REMOTE")
_BINDING_ADDRESS = "spark.connect.grpc.binding.address"
_BINDING_PORT = "spark.connect.grpc.binding.port"
_JAVA_EXCEPTION = re.compile(r"((?:[a-z_$][\w$]*\.)+[A-Z][\w$]*(?:Exception|Error)): *(.+)")
_TOKEN = "SPARK_CONNECT_AUTHENTICATE_TOKEN"
# The remote each Connect session started here was asked for (session_id -> "local[2]").
_CONNECT_TARGETS: dict[str, str] = {}
# The token pyspark put in os.environ for a local server started here: stale once it stops,
# and a client that sends it to another server asks for TLS the server does not speak.
_OWN_TOKENS: set[str] = set()


def start(
    target: Target,
    *,
    app_name: str,
    settings: Mapping[str, str],
    user: Mapping[str, str],
    quiet: bool = False,
) -> Any:
    """Start a session for ``target`` with ``settings`` (scaleout's defaults + ``user``).

    Call only when no session runs in this process. ``quiet`` starts a local driver JVM
    with errors-only logging and its stderr in a log file (:mod:`toolkit.session.quiet`).

    Raises
    ------
    InvalidOptionError
        Spark refused a conf value (the session is stopped again).
    SessionError
        Spark did not start; the message names the cause (port in use, Spark's own reason).
    """
    for name in _CONNECT_MARKS:  # nothing runs: marks left by a stopped Connect session lie
        os.environ.pop(name, None)
    if os.environ.get(_TOKEN) in _OWN_TOKENS:
        os.environ.pop(_TOKEN)
    level = "WARN"
    if target.kind == "master" or target.local:
        if quiet:
            settings, level = quiet_settings(settings), "ERROR"
            with hidden_environment():
                launch_quiet_jvm(
                    master=target.url, app_name=app_name, settings=settings, what=target.describe()
                )
        with hidden_environment():
            _check_sql_conf(target, app_name, settings, user)
    if target.kind == "master":
        return _start_classic(target, app_name, settings, user, level)
    if target.local:
        return _start_local_connect(target, app_name, settings, user, level)
    return _start_remote(target, app_name, settings, user)


def connect_target(spark: Any) -> str:
    """The remote a Spark Connect session was started for (``local[2]``, ``sc://h:15002``).

    Examples
    --------
    >>> connect_target(tk.session(remote="local[2]"))  # doctest: +SKIP
    'local[2]'
    """
    known = _CONNECT_TARGETS.get(spark.session_id)
    if known is not None:
        return known
    try:  # a session started without scaleout: ask its channel
        return f"sc://{spark.client._builder.endpoint}"
    except Exception:
        return f"sc://{getattr(spark.client, 'host', 'unknown')}"


@contextlib.contextmanager
def hidden_environment(names: tuple[str, ...] = _CHOOSERS) -> Iterator[None]:
    """Hide environment variables while pyspark builds a session; put them back after.

    pyspark reads ``SPARK_REMOTE`` and ``MASTER`` from ``os.environ`` and refuses an
    explicit master next to them (``CANNOT_CONFIGURE_SPARK_CONNECT_MASTER``).

    Examples
    --------
    >>> with hidden_environment(("SPARK_REMOTE",)):
    ...     "SPARK_REMOTE" in os.environ
    False
    """
    saved = {name: os.environ.pop(name) for name in names if name in os.environ}
    try:
        yield
    finally:
        for name, value in saved.items():
            os.environ.setdefault(name, value)


def _start_classic(
    target: Target, app_name: str, settings: Mapping[str, str], user: Mapping[str, str], level: str
) -> Any:
    from pyspark.sql import SparkSession

    with hidden_environment():
        try:
            builder = SparkSession.Builder().appName(app_name).master(target.url)
            for key, value in settings.items():
                builder = builder.config(key, value)
            spark = builder.getOrCreate()
        except Exception as exc:
            raise _start_error(exc, target, settings) from None
    spark.sparkContext.setLogLevel(level)
    _check_parsed_conf(spark, user, stop=spark)
    return spark


def _start_local_connect(
    target: Target, app_name: str, settings: Mapping[str, str], user: Mapping[str, str], level: str
) -> Any:
    from pyspark.sql import SparkSession as ClassicSession
    from pyspark.sql.connect.session import SparkSession as ConnectSession

    address = settings.get(_BINDING_ADDRESS, "127.0.0.1")
    port = connect_port(address, settings.get(_BINDING_PORT))
    options = {
        **settings,
        "spark.app.name": app_name,
        _BINDING_ADDRESS: address,
        _BINDING_PORT: str(port),
    }
    loopback = address in ("127.0.0.1", "localhost", "0.0.0.0", "::", "::1")
    # "localhost" lets the client send the server's token over a local channel without TLS.
    url = f"sc://{'localhost' if loopback else address}:{port}"
    with hidden_environment():
        # What pyspark's builder.remote("local[N]") does, with a port and address of our
        # choice: SPARK_LOCAL_REMOTE makes the client's stop() stop the server too.
        os.environ["SPARK_LOCAL_REMOTE"] = "1"
        given_token = os.environ.get(_TOKEN)
        try:
            ConnectSession._start_connect_server(target.url, dict(options))
        except Exception as exc:
            os.environ.pop("SPARK_LOCAL_REMOTE", None)
            raise _start_error(exc, target, settings, port=port, address=address) from None
        finally:
            if given_token is None and _TOKEN in os.environ:
                _OWN_TOKENS.add(os.environ[_TOKEN])
        server = ClassicSession._instantiatedSession
        assert server is not None  # _start_connect_server started it in this process
        server.sparkContext.setLogLevel(level)
        try:
            _check_parsed_conf(server, user, stop=server)
        except ToolkitError:
            for name in _CONNECT_MARKS:
                os.environ.pop(name, None)
            raise
        os.environ["SPARK_CONNECT_MODE_ENABLED"] = "1"
        # The client re-sends only what a session can change; the rest lives in the server.
        options = {k: v for k, v in options.items() if _modifiable(server, k)}
        options["spark.remote"] = url
        try:
            # the stubs type map as dict[str, bool | float | int | str | None] (invariant)
            spark = ConnectSession.builder.config(map=options).getOrCreate()  # type: ignore[arg-type]
        except Exception as exc:
            _stop_quietly(server)
            for name in _CONNECT_MARKS:
                os.environ.pop(name, None)
            raise _start_error(exc, target, settings) from None
    _CONNECT_TARGETS[spark.session_id] = target.url
    return spark


def _start_remote(
    target: Target, app_name: str, settings: Mapping[str, str], user: Mapping[str, str]
) -> Any:
    from pyspark.sql import SparkSession

    with hidden_environment():
        try:
            builder = SparkSession.Builder().appName(app_name).remote(target.url)
            for key, value in settings.items():
                builder = builder.config(key, value)
            with warnings.catch_warnings():  # Connect re-sends start-up settings it cannot change
                warnings.filterwarnings("ignore", message=".*CANNOT_MODIFY_CONFIG.*")
                spark = builder.getOrCreate()
        except Exception as exc:
            _stop_quietly(_connect_active())
            raise _start_error(exc, target, settings) from None
    # remote() makes the builder return a Connect session; the stubs say a classic one
    _CONNECT_TARGETS[spark.session_id] = target.url  # type: ignore[attr-defined]
    return spark


def _check_sql_conf(
    target: Target, app_name: str, settings: Mapping[str, str], user: Mapping[str, str]
) -> None:
    """Let Spark's SQLConf read the user's ``spark.sql.*`` values before a SparkContext starts.

    Spark accepts any string at start-up and refuses it at the first query; the JVM
    launched here is the one the session then starts in, so this costs no extra start.
    """
    if not any(key.startswith("spark.sql.") for key in user):
        return
    from pyspark import SparkConf, SparkContext

    conf = SparkConf(loadDefaults=False).setAll(list(settings.items()))
    conf.setMaster(target.url).setAppName(app_name)
    try:
        SparkContext._ensure_initialized(conf=conf)  # launches the JVM as SparkContext would
    except Exception as exc:
        raise _start_error(exc, target, settings) from None
    check_sql_values(user)


def check_sql_values(user: Mapping[str, str]) -> None:
    """Have a fresh SQLConf in this process's JVM read each ``spark.sql.*`` value of ``user``.

    Touches no session (a refused value would poison a running one), and makes the
    JVM log nothing. Without a JVM in this process (a remote Connect server), it
    checks nothing.

    Raises
    ------
    InvalidOptionError
        A value Spark refuses; the message names key, value and what Spark expects.

    Examples
    --------
    >>> check_sql_values({"spark.sql.shuffle.partitions": "many"})  # doctest: +SKIP
    Traceback (most recent call last):
    ...
    InvalidOptionError: Spark refused conf['spark.sql.shuffle.partitions'] = 'many': it ...
    """
    sql = {key: value for key, value in user.items() if key.startswith("spark.sql.")}
    context = sys.modules.get("pyspark.core.context")
    jvm = getattr(getattr(context, "SparkContext", None), "_jvm", None)
    if not sql or jvm is None:
        return
    reader = jvm.org.apache.spark.sql.internal.SQLConf()
    for key, value in sql.items():
        try:
            reader.setConfString(key, value)
        except Exception as exc:
            error = conf_error(exc, user)
            if error is not None:
                raise error from None
            raise InvalidOptionError(
                f"Spark refused conf[{key!r}] = {value!r}: {cause(exc)}"
            ) from None


def _check_parsed_conf(spark: Any, user: Mapping[str, str], *, stop: Any) -> None:
    """Touch the session's SQL conf: Spark parses the start-up values there, first bad one wins."""
    try:
        spark.conf.get("spark.sql.session.timeZone")
    except Exception as exc:
        _stop_quietly(stop)
        error = conf_error(exc, user)
        if error is not None:
            raise error from None
        raise SessionError(
            f"Spark started but its session cannot be used: {cause(exc)}. Check the conf."
        ) from None


def _start_error(
    exc: BaseException,
    target: Target,
    settings: Mapping[str, str],
    *,
    port: int | None = None,
    address: str | None = None,
) -> ToolkitError:
    refused = conf_error(exc, settings)
    if refused is not None:
        return refused
    if isinstance(exc, ToolkitError):
        return exc
    text = str(exc)
    if port is not None and ("BindException" in text or "Failed to bind" in text):
        return SessionError(
            f"The local Spark Connect server for {target.describe()} could not listen on "
            f"{address}:{port}: the port is in use. Stop what holds it, or pass another "
            "conf={'spark.connect.grpc.binding.port': ...} (left out, scaleout picks a free port)."
        )
    if "Java gateway process exited" in text:
        return SessionError(
            f"The Spark JVM exited while starting for {target.describe()} (its own message is "
            "printed above). Check the spark.driver.* settings in conf and PYSPARK_SUBMIT_ARGS."
        )
    return SessionError(
        f"Spark did not start for {target.describe()}: {cause(exc)}. Check the URL and the conf."
    )


def cause(exc: BaseException) -> str:
    """The line of a py4j / grpc error that says why: the first Java exception, else line one.

    Examples
    --------
    >>> cause(RuntimeError("An error occurred\\n: java.net.BindException: Failed to bind"))
    'java.net.BindException: Failed to bind'
    """
    text = str(exc).strip()
    match = _JAVA_EXCEPTION.search(text)
    if match:
        return f"{match.group(1)}: {match.group(2).strip()}"
    lines = text.splitlines()
    return lines[0] if lines else type(exc).__name__


def _modifiable(spark: Any, key: str) -> bool:
    try:
        return bool(spark.conf.isModifiable(key))
    except Exception:
        return False


def _connect_active() -> Any:
    try:
        from pyspark.sql.connect.session import SparkSession as ConnectSession

        return ConnectSession.getActiveSession()
    except Exception:
        return None


def _stop_quietly(spark: Any) -> None:
    if spark is None:
        return
    with contextlib.suppress(Exception):
        spark.stop()
