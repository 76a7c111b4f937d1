"""The rule book: introspected pyspark.pandas gaps plus the curated gotchas, as data.

One :class:`RuleBook` serves both the static checker (arguments known from the source
text, possibly unknown) and the drop-in :mod:`adapters.pandas` (arguments known at run
time), so the two always agree on what is a blocker.

Examples
--------
>>> book = rulebook()                                            # doctest: +SKIP
>>> [r.severity for r in book.matching("DataFrame.asfreq", {})]  # doctest: +SKIP
['blocker']
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from adapters.migration.alternatives import ALTERNATIVES
from adapters.migration.conditions import (
    POSITIONAL,
    UNKNOWN,
    StaticArg,
    holds,
    holds_static,
    same_value,
)
from adapters.migration.differences import DIFFERENCES
from adapters.migration.gotchas import GOTCHAS
from adapters.migration.holdable import HOLDABLE
from adapters.migration.normalised import NORMALISED
from adapters.migration.surface import TOP_LEVEL, Missing, Surface, surface
from adapters.migration.usages import USAGES

__all__ = [
    "POSITIONAL",
    "UNKNOWN",
    "Rule",
    "RuleBook",
    "Severity",
    "StaticArg",
    "rulebook",
    "same_value",
]

Severity = Literal["blocker", "partial", "advice"]
SEVERITIES: tuple[Severity, ...] = ("blocker", "partial", "advice")
_FALLBACK_HINT = (
    "adapters.pandas runs it in pandas on the driver under the 'warn' fallback policy "
    "(frames up to max_rows rows)"
)


@dataclass(frozen=True)
class Rule:
    """One thing pandas-on-Spark does differently from pandas.

    ``when`` holds ``(param, test, operand)`` conditions (see
    :mod:`adapters.migration.gotchas`); ``source`` says where the rule comes from:
    ``pyspark.pandas.missing``, ``absent``, ``signature`` or ``curated``.
    """

    api: str
    severity: Severity
    message: str
    suggestion: str
    when: tuple[tuple[str, str, Any], ...] = ()
    source: str = "curated"
    kind: str = "method"


@dataclass(frozen=True)
class Normaliser:
    """Arguments :mod:`adapters.pandas` adjusts before calling pandas-on-Spark."""

    api: str
    params: tuple[str, ...]
    action: str
    value: Any = None  # for ``pandas_value``: what pandas does when the argument is None


@dataclass
class RuleBook:
    """All rules, indexed by API, with the surface they were derived from."""

    surface: Surface
    by_api: dict[str, tuple[Rule, ...]] = field(default_factory=dict)
    normalisers: dict[str, tuple[Normaliser, ...]] = field(default_factory=dict)

    def rules(self, api: str) -> tuple[Rule, ...]:
        """Every rule about ``api``."""
        return self.by_api.get(api, ())

    def missing(self, api: str) -> Missing | None:
        """The :class:`Missing` record when pandas-on-Spark lacks ``api`` altogether."""
        prefix, _, name = api.rpartition(".")
        return self.surface.missing.get(prefix, {}).get(name)

    def matching(self, api: str, args: Mapping[str, Any], *, static: bool = False) -> list[Rule]:
        """Rules about ``api`` whose conditions hold for the bound ``args``.

        ``args`` maps pandas parameter names to values (run time) or to
        :class:`StaticArg` (``static=True``; a condition that cannot be decided does not hold).
        """
        if not self.by_api.get(api):
            return []
        defaults = {p.name: p.default for p in self.surface.pandas_parameters(api)}
        test = holds_static if static else holds
        return [
            rule
            for rule in self.by_api[api]
            if all(test(cond, args, defaults) is True for cond in rule.when)
        ]

    def blocker(self, api: str, args: Mapping[str, Any]) -> Rule | None:
        """The first blocker for a run-time call of ``api`` with bound ``args``, if any."""
        for rule in self.matching(api, args):
            if rule.severity == "blocker":
                return rule
        return None

    def bind(self, api: str, args: Iterable[Any], kwargs: Mapping[str, Any]) -> dict[str, Any]:
        """Name positional ``args`` after the pandas signature of ``api`` (``self`` excluded)."""
        params = self.surface.pandas_parameters(api)
        bound: dict[str, Any] = {}
        positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        for param, value in zip(positional, args, strict=False):
            bound[param.name] = value
        bound[POSITIONAL] = frozenset(bound)
        bound.update(kwargs)
        return bound


def alternative(api: str) -> str:
    """What to do instead of ``api`` (curated, else a generic hint).

    Examples
    --------
    >>> alternative("pandas.pivot_table").startswith("use the method")
    True
    """
    name = api.rpartition(".")[2]
    found = ALTERNATIVES.get(api) or ALTERNATIVES.get(f"*.{name}")
    if found:
        return found
    if api.startswith(TOP_LEVEL + "."):
        return "rewrite it with the functions pandas-on-Spark offers; " + _FALLBACK_HINT
    return (
        "rewrite it with supported methods, or when rows are independent run it per batch: "
        f"df.pandas_on_spark.apply_batch(lambda pdf: pdf.{name}(...)); " + _FALLBACK_HINT
    )


@functools.lru_cache(maxsize=1)
def rulebook() -> RuleBook:
    """Build (once) the rule book from the installed pyspark and the curated tables.

    Examples
    --------
    >>> rulebook().rules("pandas.cut")[0].severity               # doctest: +SKIP
    'blocker'
    """
    found = surface()
    rules: dict[str, list[Rule]] = defaultdict(list)
    normalisers: dict[str, list[Normaliser]] = defaultdict(list)
    adjusted: set[tuple[str, str]] = set()
    for record in NORMALISED:
        params = tuple(record["params"])
        normalisers[record["api"]].append(
            Normaliser(record["api"], params, record["action"], record.get("value"))
        )
        adjusted.update((record["api"], p) for p in params)
        if record["severity"] is not None:
            test = {"drop": "keyword", "pandas_default": "missing"}.get(record["action"], "is")
            operand = "str" if test == "is" else None
            for param in params:
                rules[record["api"]].append(
                    Rule(
                        record["api"],
                        record["severity"],
                        f"{param}=: {record['message']}",
                        record["suggestion"],
                        ((param, test, operand),),
                    )
                )

    for names in found.missing.values():
        for gap in names.values():
            if gap.kind == "class":
                continue  # builds a local pandas object; rules apply where it meets Spark
            rules[gap.api].append(
                Rule(
                    gap.api,
                    "blocker",
                    _missing_message(gap, found.pyspark_version),
                    alternative(gap.api),
                    source=gap.source,
                    kind=gap.kind,
                )
            )
    for api, params in found.keywords.items():
        for param in params:
            if (api, param) in adjusted:
                continue
            short = api.replace(TOP_LEVEL + ".", "pd.")
            rules[api].append(
                Rule(
                    api,
                    "blocker",
                    f"pandas-on-Spark's {short}() has no {param}= argument",
                    f"drop {param}= or do that step another way; " + _FALLBACK_HINT,
                    ((param, "keyword", None),),
                    source="signature",
                )
            )
    for api, params in found.swallowed.items():
        for param in params:
            short = api.replace(TOP_LEVEL + ".", "pd.")
            rules[api].append(
                Rule(
                    api,
                    "partial",
                    f"pandas-on-Spark's {short}() does not know {param}=: it passes it on "
                    "(to Spark or to your function) instead of using it as pandas does",
                    f"check the result, or drop {param}= and do that step explicitly",
                    ((param, "keyword", None),),
                    source="signature",
                )
            )
    for record in (*GOTCHAS, *DIFFERENCES, *USAGES, *HOLDABLE):
        rules[record["api"]].append(
            Rule(
                record["api"],
                record["severity"],
                record["message"],
                record["suggestion"],
                tuple(tuple(cond) for cond in record.get("when", ())),
            )
        )
    return RuleBook(
        surface=found,
        by_api={api: tuple(found_rules) for api, found_rules in rules.items()},
        normalisers={api: tuple(n) for api, n in normalisers.items()},
    )


def _missing_message(gap: Missing, version: str) -> str:
    what = "function" if gap.api.startswith(TOP_LEVEL + ".") else gap.kind
    text = f"{gap.api} is not implemented in pandas-on-Spark (pyspark {version})"
    if gap.source == "absent":
        text = f"{gap.api} does not exist in pandas-on-Spark (pyspark {version})"
    reason = gap.reason.split(". ", 1)[1].strip() if ". " in gap.reason else ""
    return f"{text}; the {what} will raise" + (f". pyspark says: {reason}" if reason else "")
