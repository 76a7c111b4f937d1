"""Check the ``conf`` given to :func:`toolkit.session.api`, and word Spark's refusals of it.

Spark takes any string at start-up and refuses a bad value at the first query,
with a JVM trace; a bad size even stops the JVM before Spark can say why. Types
and sizes are checked here before Spark starts; :func:`conf_error` turns Spark's
own refusal (``INVALID_CONF_VALUE``) into an :class:`InvalidOptionError`.

Examples
--------
>>> check_conf({"spark.sql.shuffle.partitions": 8})
{'spark.sql.shuffle.partitions': '8'}
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

from toolkit.exceptions import InvalidOptionError

__all__ = ["check_conf", "conf_error"]

# Spark reads sizes as a number with an optional binary unit (JavaUtils.byteStringAs).
_SIZE = re.compile(r"\d+\s*(?:b|k|kb|m|mb|g|gb|t|tb|p|pb)?", re.IGNORECASE)
_SIZE_KEYS = ("spark.driver.memory", "spark.executor.memory", "spark.driver.maxResultSize")
_SIZE_KEY_SUFFIXES = (".memoryOverhead",)
_SPARK_CONF_ERROR = re.compile(
    r"The value '(?P<value>.*?)' in the config \"(?P<key>[^\"]+)\" is invalid\.\s*(?P<why>.*?)"
    r"(?:\s*SQLSTATE|$)",
    re.DOTALL,
)


def check_conf(conf: Any) -> dict[str, str]:
    """Return ``conf`` as Spark's string settings, refusing what Spark cannot take.

    Keys must be non-empty strings; values strings, numbers, booleans (``true`` /
    ``false``) or paths. ``None`` is refused rather than sent as the text ``"None"``.
    Sizes (``spark.driver.memory``, ``spark.executor.memory``, ...) are checked here,
    because a bad one stops the JVM before Spark can say why.

    Raises
    ------
    InvalidOptionError
        What was expected, what arrived, how to fix.

    Examples
    --------
    >>> check_conf({"spark.sql.shuffle.partitions": 8, "spark.sql.adaptive.enabled": False})
    {'spark.sql.shuffle.partitions': '8', 'spark.sql.adaptive.enabled': 'false'}
    >>> check_conf({"spark.driver.memory": "lots"})
    Traceback (most recent call last):
    ...
    toolkit.exceptions.InvalidOptionError: conf['spark.driver.memory'] = 'lots' is not a size...
    """
    if conf is None:
        return {}
    if not isinstance(conf, Mapping):
        raise InvalidOptionError(
            f"conf must be a mapping of Spark setting names to values, got "
            f"{type(conf).__name__} {_short(conf)}. Pass a dict, e.g. "
            "conf={'spark.sql.shuffle.partitions': '8'}."
        ) from None
    settings: dict[str, str] = {}
    for key, value in conf.items():
        if not isinstance(key, str) or not key.strip():
            raise InvalidOptionError(
                f"conf keys must be Spark setting names (non-empty strings), got {key!r}. "
                "Example: conf={'spark.sql.shuffle.partitions': '8'}."
            )
        settings[key] = _conf_value(key, value)
    return settings


def _conf_value(key: str, value: Any) -> str:
    if value is None:
        raise InvalidOptionError(
            f"conf[{key!r}] is None; Spark settings take a string, number or boolean. "
            "Leave the key out to keep Spark's default."
        )
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, (str, int, float)):
        text = str(value)
    elif isinstance(value, os.PathLike):
        text = os.fspath(value)
    else:
        raise InvalidOptionError(
            f"conf[{key!r}] is a {type(value).__name__} ({_short(value)}); Spark settings "
            "take a string, number or boolean. For a list Spark reads, join it with commas."
        )
    if (key in _SIZE_KEYS or key.endswith(_SIZE_KEY_SUFFIXES)) and not _SIZE.fullmatch(
        text.strip()
    ):
        raise InvalidOptionError(
            f"conf[{key!r}] = {text!r} is not a size Spark reads: expected a whole number "
            "with an optional unit b, k, m, g, t or p (e.g. '512m', '4g')."
        )
    return text


def conf_error(exc: BaseException, settings: Mapping[str, str]) -> InvalidOptionError | None:
    """Turn Spark's refusal of a conf value into an :class:`InvalidOptionError`, else None.

    Examples
    --------
    >>> spark_says = RuntimeError(
    ...     "[INVALID_CONF_VALUE.TYPE_MISMATCH] The value 'many' in the config "
    ...     '"spark.sql.shuffle.partitions" is invalid. It should be a/an \\'int\\' value. '
    ...     "SQLSTATE: 22022"
    ... )
    >>> print(conf_error(spark_says, {"spark.sql.shuffle.partitions": "many"}))
    Spark refused conf['spark.sql.shuffle.partitions'] = 'many': it should be a/an 'int' value. ...
    """
    match = _SPARK_CONF_ERROR.search(str(exc))
    if not match:
        return None
    key, why = match.group("key"), " ".join(match.group("why").split())
    value = settings.get(key, match.group("value"))
    why = (why[:1].lower() + why[1:]) if why else "Spark cannot read it."
    return InvalidOptionError(
        f"Spark refused conf[{key!r}] = {value!r}: {why} Pass a value of that kind, "
        "or leave the key out to keep the default."
    )


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
