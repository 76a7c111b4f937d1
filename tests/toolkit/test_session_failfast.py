"""tk.session() fails fast and in words: bad conf, a second target, bad or unreachable URLs.

Each test starts from the input that used to fail slowly or silently. Calls that
must start no session of their own run in a fresh Python process (this one already
runs the suite's session), and the JVM's stderr is checked for stack lines.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import textwrap

import pytest

import toolkit as tk
from toolkit.session.api import active_session
from toolkit.session.checks import parse_target

SECONDS = 30  # the issue's promise: a named error within 30 s
_SPARK_VARS = ("SPARK_REMOTE", "SPARK_MASTER", "MASTER", "SPARK_CONNECT_MODE_ENABLED")
_SPARK_VARS += ("SPARK_LOCAL_REMOTE", "SPARK_CONNECT_AUTHENTICATE_TOKEN")

RUNNER = textwrap.dedent(
    """
    import json, os, sys, time
    import psutil
    import toolkit as tk

    for case in json.loads(sys.argv[1]):
        began = time.monotonic()
        out = {}
        try:
            spark = tk.session(**case["kwargs"])
        except Exception as exc:
            out = {"error": type(exc).__name__, "message": str(exc)}
        else:
            out = {"connect": tk.is_connect(spark), "count": spark.range(3).count(),
                   "master": spark.conf.get("spark.master"),
                   "spark_remote": os.environ.get("SPARK_REMOTE")}
            if out["connect"]:
                port = int(spark.conf.get("spark.connect.grpc.binding.port"))
                listening = [c.laddr.ip for p in psutil.Process().children(recursive=True)
                             for c in p.net_connections(kind="tcp")
                             if c.status == psutil.CONN_LISTEN and c.laddr.port == port]
                out.update(port=port, listening=listening)
            if case.get("stop", True):
                spark.stop()
        out["seconds"] = time.monotonic() - began
        print("RESULT " + json.dumps(out), flush=True)
    """
)


def _attempts(*cases: dict, env: dict[str, str] | None = None, timeout: int = 300):
    """Run tk.session(**kwargs) for each case in one fresh process; results and stderr."""
    clean = {k: v for k, v in os.environ.items() if k not in _SPARK_VARS}
    out = subprocess.run(
        [sys.executable, "-c", RUNNER, json.dumps(list(cases))],
        capture_output=True,
        text=True,
        env={**clean, **(env or {})},
        timeout=timeout,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    results = [json.loads(line[7:]) for line in out.stdout.splitlines() if line[:7] == "RESULT "]
    assert len(results) == len(cases), out.stdout + out.stderr[-3000:]
    return results, out.stderr


def _assert_no_java_stack(stderr: str) -> None:
    assert not re.search(r"^\s+at [\w$.<>/]+\(.*\)\s*$", stderr, re.M), stderr[-3000:]
    for marker in ("Exception in thread", "Traceback", "py4j.protocol", "Install a Java"):
        assert marker not in stderr, stderr[-3000:]


def _closed_port() -> int:
    with socket.socket() as sock:  # a port nothing listens on: bound, then released
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _running_target(spark) -> tuple[str | None, str | None]:
    remote = os.environ.get("SPARK_REMOTE") or None
    return (None if remote else os.environ.get("SPARK_MASTER") or "local[2]"), remote


# -- item 1: conf -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("conf", "named"),
    [
        ([("spark.sql.shuffle.partitions", "8")], "conf must be a mapping"),
        ("spark.sql.shuffle.partitions=8", "conf must be a mapping"),
        ({"spark.sql.shuffle.partitions": None}, r"conf\['spark.sql.shuffle.partitions'\] is None"),
        ({"spark.sql.shuffle.partitions": [8]}, r"'spark.sql.shuffle.partitions'\] is a list"),
        ({"spark.driver.memory": "lots"}, r"'spark.driver.memory'\] = 'lots' is not a size"),
        ({None: "8"}, "conf keys must be Spark setting names"),
    ],
)
def test_conf_that_is_no_spark_setting_is_refused_before_spark(conf, named):
    with pytest.raises(tk.InvalidOptionError, match=named):
        tk.session(conf=conf)


def test_bad_conf_value_on_the_running_session_names_key_value_and_kind(spark, capfd):
    before = spark.conf.get("spark.sql.shuffle.partitions")
    with pytest.raises(tk.InvalidOptionError) as caught:
        tk.session(conf={"spark.sql.shuffle.partitions": "many"})
    message = str(caught.value)
    assert "'spark.sql.shuffle.partitions'" in message and "'many'" in message
    assert "'int'" in message  # what Spark expects
    assert spark.conf.get("spark.sql.shuffle.partitions") == before  # nothing was changed
    _assert_no_java_stack(capfd.readouterr().err)


@pytest.mark.slow
def test_bad_conf_value_at_start_is_a_named_error_and_leaves_no_session():
    bad = {"spark.sql.shuffle.partitions": "many", "spark.ui.enabled": "false"}
    results, stderr = _attempts(
        {"kwargs": {"master": "local[1]", "conf": bad}},
        {"kwargs": {"master": "local[1]", "conf": {"spark.ui.enabled": "false"}}},
        {"kwargs": {"remote": "local[1]", "conf": bad}},
    )
    classic, retry, connect = results
    for refused in (classic, connect):
        assert refused["error"] == "InvalidOptionError", refused
        assert "'spark.sql.shuffle.partitions'" in refused["message"]
        assert "'many'" in refused["message"] and "'int'" in refused["message"]
        assert refused["seconds"] < SECONDS
    assert retry["count"] == 3  # the refused session was stopped: a new one starts
    _assert_no_java_stack(stderr)


# -- item 2: one session per process ------------------------------------------------------


def test_another_target_while_a_session_runs_is_refused_naming_the_running_one(spark):
    running = spark.conf.get("spark.master")
    other = "local[3]" if running != "local[3]" else "local[1]"
    with pytest.raises(tk.SessionError) as caught:
        tk.session(master=other)
    message = str(caught.value)
    assert "already running" in message and "spark.stop()" in message
    assert repr(other) in message
    if not tk.is_connect(spark):
        assert repr(running) in message
    with pytest.raises(tk.SessionError, match="already running"):
        tk.session(remote="sc://127.0.0.1:15002" if not tk.is_connect(spark) else "local[3]")


def test_no_target_or_the_same_target_returns_the_running_session(spark):
    master, remote = _running_target(spark)
    assert tk.session() is spark
    assert tk.session(master, remote=remote) is spark
    assert active_session() is spark


def test_a_malformed_master_is_refused_even_while_a_session_runs(spark):
    with pytest.raises(tk.SessionError, match="'nonsense://x' is not a Spark master URL"):
        tk.session(master="nonsense://x")


# -- item 3: bad and unreachable targets ----------------------------------------------------


def test_bad_or_unreachable_targets_fail_within_seconds_in_one_line():
    port = _closed_port()
    results, stderr = _attempts(
        {"kwargs": {"remote": f"sc://127.0.0.1:{port}"}},
        {"kwargs": {"master": f"spark://127.0.0.1:{port}"}},
        {"kwargs": {"master": "nonsense://x"}},
        {"kwargs": {"master": "spark://"}},
        {"kwargs": {"master": "local[x]"}},
        {"kwargs": {"remote": "sc://no-such-host.invalid:15002"}},
        {"kwargs": {"remote": "sc://"}},
        timeout=120,
    )
    expected = [
        f"nothing is listening at 127.0.0.1:{port} (connection refused)",
        f"nothing is listening at 127.0.0.1:{port} (connection refused)",
        "'nonsense://x' is not a Spark master URL",
        "'spark://' is not a Spark master URL",
        "'local[x]' is not a Spark master URL",
        "'no-such-host.invalid' does not resolve",
        "'sc://' is not a Spark Connect remote URL",
    ]
    for result, words in zip(results, expected, strict=True):
        assert result.get("error") == "SessionError", result
        assert words in result["message"], result
        assert "Java" not in result["message"]
        assert result["seconds"] < SECONDS, result
    assert "local[N]" in results[2]["message"]  # the accepted forms are listed
    _assert_no_java_stack(stderr)


def test_accepted_forms_parse():
    for master in ("local", "local[2]", "local[*]", "local[2,3]", "local-cluster[2,1,1024]"):
        assert parse_target(master, kind="master", source="master=").endpoints == ()
    assert parse_target("yarn", kind="master", source="master=").endpoints == ()
    assert parse_target("k8s://https://h:6443", kind="master", source="master=").endpoints == ()
    ha = parse_target("spark://a:7077,b:7078", kind="master", source="master=")
    assert ha.endpoints == (("a", 7077), ("b", 7078))
    remote = parse_target("sc://h/;token=t;use_ssl=true", kind="remote", source="remote=")
    assert remote.endpoints == (("h", 15002),)
    assert parse_target("local[2]", kind="remote", source="remote=").local


# -- item 4: resolution order -----------------------------------------------------------


def test_master_and_remote_together_are_refused():
    with pytest.raises(tk.SessionError, match="master= or remote=, not both"):
        tk.session(master="local[1]", remote="local[1]")


@pytest.mark.slow
def test_explicit_master_wins_over_spark_remote():
    (result,), stderr = _attempts(
        {"kwargs": {"master": "local[1]", "conf": {"spark.ui.enabled": "false"}}},
        env={"SPARK_REMOTE": "sc://127.0.0.1:1"},
    )
    assert result.get("error") is None, result
    assert (result["connect"], result["master"], result["count"]) == (False, "local[1]", 3)
    assert result["spark_remote"] == "sc://127.0.0.1:1"  # hidden while building, then put back
    _assert_no_java_stack(stderr)


# -- item 5: the local Spark Connect server ----------------------------------------------


@pytest.mark.slow
def test_local_connect_server_listens_on_loopback_only():
    (result,), stderr = _attempts({"kwargs": {"remote": "local[1]"}})
    assert result.get("error") is None, result
    assert result["connect"] and result["count"] == 3
    assert result["listening"], result  # the server's port, seen on the JVM's sockets
    assert {ip.removeprefix("::ffff:") for ip in result["listening"]} == {"127.0.0.1"}
    _assert_no_java_stack(stderr)


@pytest.mark.slow
def test_local_connect_server_moves_off_a_taken_port():
    with socket.socket() as holder:
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            holder.bind(("0.0.0.0", 15002))
            holder.listen()
        except OSError:  # already taken by another process: the same situation
            pass
        results, stderr = _attempts(
            {"kwargs": {"remote": "local[1]"}},
            {"kwargs": {"remote": "local[1]", "conf": {"spark.connect.grpc.binding.port": 15002}}},
        )
    moved, pinned = results
    assert moved.get("error") is None, moved
    assert moved["count"] == 3 and moved["port"] != 15002
    assert pinned.get("error") == "SessionError", pinned
    assert "Port 15002" in pinned["message"] and "in use" in pinned["message"]
    assert pinned["seconds"] < SECONDS
    _assert_no_java_stack(stderr)
