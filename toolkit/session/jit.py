"""Let the JVM compile Spark's large generated methods: ``-XX:-DontCompileHugeMethods``.

HotSpot does not JIT-compile a method over 8,000 bytes of bytecode; it interprets it.
Spark generates one method for each stage's row loop, so a wide expression (a compiled
model, :mod:`toolkit.native`) can cross that line and run several times slower.
:func:`toolkit.session` starts its JVMs (the driver, and executors it launches) with the
flag that lifts the limit, ahead of any Java options the user gives (a later option of
theirs wins). Measured on the benchmark's k-means (8 centres x 20 features, 600k rows,
Parquet in and out): 0.92-1.12x MLlib without it, 1.41-1.43x with it.

Examples
--------
>>> jit_settings({"spark.driver.extraJavaOptions": "-Dx=1"})["spark.driver.extraJavaOptions"]
'-XX:-DontCompileHugeMethods -Dx=1'
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Mapping
from typing import Any

__all__ = ["JIT_OPTION", "compiles_huge_methods", "jit_settings"]

JIT_OPTION = "-XX:-DontCompileHugeMethods"
_KEYS = ("spark.driver.extraJavaOptions", "spark.executor.extraJavaOptions")
#: :func:`compiles_huge_methods` per session: each ``score`` call asks, and every
#: question is a round trip to the JVM or the Connect server.
_ANSWERS: weakref.WeakKeyDictionary[Any, bool] = weakref.WeakKeyDictionary()


def jit_settings(settings: Mapping[str, str]) -> dict[str, str]:
    """``settings`` with :data:`JIT_OPTION` first in the driver's and executors' Java options."""
    return {**settings, **{k: f"{JIT_OPTION} {settings.get(k, '')}".strip() for k in _KEYS}}


def compiles_huge_methods(session: Any) -> bool:
    """Whether ``session``'s JVMs were started with :data:`JIT_OPTION` (the last of the
    driver's and executors' options about it says so).

    Examples
    --------
    >>> class Conf:
    ...     def get(self, key, default=None):
    ...         return {"spark.driver.extraJavaOptions": JIT_OPTION}.get(key, default)
    >>> compiles_huge_methods(type("Session", (), {"conf": Conf()})())
    False
    """
    try:
        return _ANSWERS[session]
    except (KeyError, TypeError):  # TypeError: a session that takes no weak reference
        pass
    answer = all(_flag_set(session, key) for key in _KEYS)
    with contextlib.suppress(TypeError):
        _ANSWERS[session] = answer  # a JVM's options are fixed when it starts
    return answer


def _flag_set(session: Any, key: str) -> bool:
    try:
        options = str(session.conf.get(key, "") or "").split()
    except Exception:  # noqa: BLE001 - a conf the session will not show: assume not
        return False
    flags = [o for o in options if o.endswith("DontCompileHugeMethods")]
    return bool(flags) and flags[-1] == JIT_OPTION
