"""``scaleout info``: versions, the Java Spark would use, and the Spark target, without starting Spark.

Examples
--------
$ scaleout info
$ scaleout info --master sc://spark.example.com:15002
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess

from toolkit._typing import Subcommands
from toolkit.exceptions import ToolkitError

__all__ = ["add_info", "describe_java", "describe_target", "run_info"]

_PACKAGES = ("scaleout", "pyspark", "pandas", "pyarrow", "scikit-learn", "mlflow", "skops")
_INSTALL = "install one (e.g. apt-get install openjdk-17-jre-headless) or set JAVA_HOME to one"


def add_info(commands: Subcommands) -> None:
    """Add ``scaleout info`` to ``commands``."""
    help = "Show versions, Java and the Spark target in use (starts nothing)."
    sub = commands.add_parser("info", help=help, description=help)
    sub.set_defaults(run=run_info)
    sub.add_argument(
        "--master", metavar="URL",
        help="the target to describe, as `scaleout score --master` takes it "
        "(default: SPARK_REMOTE, SPARK_MASTER, else local[*])",
    )  # fmt: skip


def run_info(args: argparse.Namespace) -> int:
    """Print one ``name  value`` line per fact; return 0."""
    import platform
    from importlib.metadata import PackageNotFoundError, version

    rows = {"python": platform.python_version()}
    for package in _PACKAGES:
        try:
            rows[package] = version(package)
        except PackageNotFoundError:
            rows[package] = "not installed"
    rows["java"] = describe_java()
    rows["spark target"] = describe_target(args.master)
    width = max(map(len, rows))
    for key, value in rows.items():
        print(f"{key:<{width}}  {value}")
    return 0


def describe_java() -> str:
    """The Java Spark would use, in words: its version and path, or what is wrong.

    Examples
    --------
    >>> describe_java()  # doctest: +SKIP
    'Java 17 at /usr/bin/java'
    """
    java_home = os.environ.get("JAVA_HOME")
    java = os.path.join(java_home, "bin", "java") if java_home else shutil.which("java")
    if not java or not os.path.exists(java):
        where = f"JAVA_HOME={java_home} has no bin/java" if java_home else "no java on PATH"
        return f"missing: {where}; Spark 4 needs Java 17+: {_INSTALL}"
    try:
        out = subprocess.run(
            [java, "-version"], capture_output=True, text=True, timeout=60, check=False
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return f"{java} found but `java -version` could not run ({exc})"
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
    if not match:
        return f"{java} found but `java -version` printed no version"
    major = int(match.group(1))
    if major == 1 and match.group(2):  # "1.8" -> 8
        major = int(match.group(2))
    if major < 17:
        return f"Java {major} found at {java}; Spark 4 needs 17+: {_INSTALL}"
    return f"Java {major} at {java}"


def describe_target(master: str | None = None) -> str:
    """Where a session would run, whether it is Spark Connect, and where that choice came from.

    Nothing is started or contacted.

    Examples
    --------
    >>> describe_target("sc://127.0.0.1:15999")
    'sc://127.0.0.1:15999 (Spark Connect; from --master)'
    >>> describe_target("local[2]")
    'local[2] (classic Spark, embedded in this process; from --master)'
    """
    from toolkit.session.checks import parse_target

    if master:
        kind = "remote" if master.startswith("sc://") else "master"
        chosen = (master, kind, "--master")
    elif os.environ.get("SPARK_REMOTE"):
        chosen = (os.environ["SPARK_REMOTE"], "remote", "SPARK_REMOTE")
    elif os.environ.get("SPARK_MASTER"):
        chosen = (os.environ["SPARK_MASTER"], "master", "SPARK_MASTER")
    else:
        chosen = ("local[*]", "master", "the default")
    url, kind, source = chosen
    try:
        target = parse_target(url, kind=kind, source=source)
    except ToolkitError as exc:
        return f"{url} (invalid: {' '.join(str(exc).split())})"
    if target.kind == "remote":
        what = "Spark Connect, a local server started by scaleout" if target.local else (
            "Spark Connect"
        )  # fmt: skip
    elif target.local:
        what = "classic Spark, embedded in this process"
    else:
        what = "classic Spark, cluster"
    return f"{target.url} ({what}; from {source})"
