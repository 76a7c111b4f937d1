"""Executing the corpus on pandas and on the adapter, and classifying each block.

:func:`reference` runs every block twice on plain pandas and keeps those that run
without an exception within the CPU budget and show the same values both times; the
first run is the reference. :func:`run_adapter` runs a block with ``pd`` =
``adapters.pandas`` on the spark backend under a fallback policy, and :func:`classify`
gives its :class:`Outcome`: ``identical``, ``same values``, ``different`` (the worst
verdict of :func:`~benchmarks.dropin.compare.compare` over the statements that show a
value) or ``raised``. For ``raised``, the exception is a *clean refusal* when it is a
:class:`~toolkit.exceptions.ToolkitError` carrying no Java / py4j trace text, else a
*raw leak*.

Examples
--------
>>> from benchmarks.dropin.corpus import candidates, select
>>> kept, dropped = reference(select(candidates(), only=["pandas.cut"]))
>>> [block.name for block, _ in kept]
['pandas.cut']
>>> outcome = run_adapter(kept[0][0], kept[0][1], "raise")     # doctest: +SKIP
>>> outcome.kind                                                # doctest: +SKIP
'identical'
"""

from __future__ import annotations

import contextlib
import gc
import os
import re
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from benchmarks.dropin.checker import Prediction, predict
from benchmarks.dropin.compare import DIFFERENT, IDENTICAL, KINDS, compare, to_local
from benchmarks.dropin.corpus import Block
from benchmarks.dropin.execute import NOTHING, Trace, run_block, snapshot
from toolkit.exceptions import first_line

__all__ = [
    "CPU_LIMIT",
    "DIFFERENT",
    "POLICIES",
    "RAISED",
    "WALL_LIMIT",
    "Outcome",
    "Results",
    "classify",
    "describe",
    "is_clean",
    "measure",
    "reference",
    "run_adapter",
    "scratch_directory",
]

CPU_LIMIT = 2.0  # seconds of CPU time a block may take on pandas
WALL_LIMIT = 120.0  # seconds a block may take on the adapter before its Spark jobs are interrupted
POLICIES = ("raise", "warn")
RAISED = "raised"
_TRACE_TEXT = re.compile(r"org\.apache|\bjava\.|py4j|JVM stacktrace|Traceback \(most recent")
_OPTION_KEY = re.compile(r"""["']([a-z_]+(?:\.[a-z_]+)+)["']""")


@dataclass
class Outcome:
    """How one block fared on the adapter under one policy.

    ``statement`` (0-based) and ``line`` (first line in the block's script) point at the
    statement that raised or differs; ``clean`` is set for ``raised`` only; ``error`` is
    ``Type: first line of the message``; ``fallbacks`` counts the adapter's advice
    warnings (calls that ran in pandas); ``timed_out`` says the block ran past the wall
    limit and its Spark jobs were interrupted (what it raised then is not counted as a
    leak).
    """

    name: str
    policy: str
    kind: str
    reason: str = ""
    statement: int | None = None
    line: int | None = None
    clean: bool | None = None
    error: str = ""
    fallbacks: int = 0
    seconds: float = 0.0
    timed_out: bool = False

    def as_dict(self) -> dict[str, Any]:
        """The outcome as JSON-ready data."""
        return asdict(self)


def describe(error: BaseException) -> str:
    """``Type: first line of the message`` (just ``Type`` when there is no message).

    Examples
    --------
    >>> describe(ValueError("\\nbad value\\nmore")), describe(AssertionError())
    ('ValueError: bad value', 'AssertionError')
    """
    name = type(error).__name__
    return f"{name}: {first_line(error)}" if str(error).strip() else name


def is_clean(error: BaseException) -> bool:
    """A clean refusal: a ToolkitError whose message carries no Java / py4j trace text.

    Examples
    --------
    >>> from toolkit.exceptions import UnsupportedPandasAPIError
    >>> is_clean(UnsupportedPandasAPIError("pandas.x is not available. Instead: y"))
    True
    >>> is_clean(RuntimeError("boom")), is_clean(UnsupportedPandasAPIError("java.lang.Error"))
    (False, False)
    """
    from toolkit.exceptions import ToolkitError

    return isinstance(error, ToolkitError) and not _TRACE_TEXT.search(str(error))


@contextlib.contextmanager
def scratch_directory() -> Iterator[str]:
    """Run in a temporary working directory (some examples write files), then remove it."""
    previous = os.getcwd()
    with tempfile.TemporaryDirectory(prefix="dropin-") as path:
        os.chdir(path)
        try:
            yield path
        finally:
            os.chdir(previous)


def _restore_options(block: Block) -> None:
    """Undo option changes a block made (pandas', and pandas-on-Spark's when loaded)."""
    import sys
    import warnings

    script = block.script()
    if "option" not in script:
        return
    import pandas

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pandas.reset_option("all")
        ps = sys.modules.get("pyspark.pandas")
        for key in set(_OPTION_KEY.findall(script)) if ps is not None else ():
            with contextlib.suppress(Exception):
                ps.reset_option(key)


def _same_twice(first: Trace, second: Trace) -> bool:
    pairs = zip(first.steps, second.steps, strict=True)
    return all(a.shown is NOTHING or compare(a.shown, b.shown).kind == IDENTICAL for a, b in pairs)


def reference(
    blocks: Iterable[Block], *, cpu_limit: float = CPU_LIMIT
) -> tuple[list[tuple[Block, Trace]], dict[str, str]]:
    """Run each block twice on pandas; keep the deterministic ones that run within budget.

    Returns
    -------
    kept : list of (Block, Trace)
        Each kept block with its first pandas run (the reference values).
    dropped : dict
        Name of each block left out -> why (``raises ...``, ``over 2 s CPU``,
        ``not deterministic``).
    """
    import pandas

    kept: list[tuple[Block, Trace]] = []
    dropped: dict[str, str] = {}
    for block in blocks:
        runs = []
        for _ in range(2):
            runs.append(run_block(block, pandas, cpu_limit=cpu_limit))
            _restore_options(block)
            failed = runs[-1].error
            if failed is not None:
                dropped[block.name] = f"raises on pandas: {describe(failed.error)}"
                break
            if runs[-1].cpu_seconds > cpu_limit:
                dropped[block.name] = f"over {cpu_limit:g} s CPU on pandas"
                break
        if block.name in dropped:
            continue
        if not _same_twice(*runs):
            dropped[block.name] = "not deterministic on pandas"
            continue
        kept.append((block, runs[0]))
    return kept, dropped


def _local_copy(value: Any) -> Any:
    return snapshot(to_local(value))


def classify(block: Block, want: Trace, got: Trace, policy: str) -> Outcome:
    """The outcome of ``got`` (an adapter run) against ``want`` (the pandas run).

    Examples
    --------
    >>> import pandas
    >>> from benchmarks.dropin.corpus import Block, Statement
    >>> block = Block("b", (Statement("pd.Series([1, 2]).sum()\\n", "3\\n", 3),))
    >>> trace = run_block(block, pandas)
    >>> classify(block, trace, trace, "raise").kind
    'identical'
    """
    from toolkit.exceptions import ToolkitAdviceWarning

    outcome = Outcome(block.name, policy, IDENTICAL, seconds=round(got.wall_seconds, 3))
    outcome.fallbacks = sum(issubclass(w.category, ToolkitAdviceWarning) for w in got.warnings)
    failed = got.error
    if failed is not None:
        statement = block.statements[failed.index]
        outcome.kind, outcome.statement, outcome.line = RAISED, failed.index, statement.line
        outcome.clean = is_clean(failed.error)
        outcome.error = describe(failed.error)
        where = "clean refusal" if outcome.clean else "raw leak"
        outcome.reason = f"line {statement.line} `{_short(statement)}`: {where}: {outcome.error}"
        return outcome
    for mine, theirs in zip(want.steps, got.steps, strict=True):
        if mine.shown is NOTHING:
            continue
        verdict = compare(mine.shown, theirs.shown)
        if KINDS.index(verdict.kind) > KINDS.index(outcome.kind):
            statement = block.statements[mine.index]
            outcome.kind, outcome.statement, outcome.line = verdict.kind, mine.index, statement.line
            outcome.reason = f"line {statement.line} `{_short(statement)}`: {verdict.detail}"
    return outcome


def _short(statement: Any) -> str:
    text = " ".join(statement.source.split())
    return text if len(text) <= 60 else text[:57] + "..."


@contextlib.contextmanager
def _deadline(seconds: float) -> Iterator[threading.Event]:
    """Interrupt the session's Spark jobs if the ``with`` body runs past ``seconds``."""
    from pyspark.sql import SparkSession

    spark = SparkSession.getActiveSession()
    fired = threading.Event()

    def interrupt() -> None:
        fired.set()
        with contextlib.suppress(Exception):
            spark.interruptAll()

    timer = threading.Timer(seconds, interrupt)
    timer.daemon = True
    if spark is not None:
        timer.start()
    try:
        yield fired
    finally:
        timer.cancel()


def run_adapter(
    block: Block, want: Trace, policy: str, *, wall_limit: float = WALL_LIMIT
) -> Outcome:
    """Run ``block`` on the adapter's spark backend under ``policy`` and classify it.

    A Spark session must exist (``toolkit.session()``); pandas-on-Spark objects a
    statement shows are brought back with ``.to_pandas()`` as it runs. Past
    ``wall_limit`` seconds the block's Spark jobs are interrupted.
    """
    import adapters.pandas as apd

    started = time.perf_counter()
    with _deadline(wall_limit) as fired, apd.backend("spark"), apd.fallback(policy):
        got = run_block(block, apd, capture=_local_copy, adapter=True)
    _restore_options(block)
    outcome = classify(block, want, got, policy)
    outcome.seconds = round(time.perf_counter() - started, 3)
    if fired.is_set():
        outcome.timed_out = True
        outcome.reason = f"over {wall_limit:g} s, Spark jobs interrupted; " + (
            outcome.reason or "the block then finished"
        )
    del got
    gc.collect()  # free the block's pandas-on-Spark objects, so Spark can clean up after them
    return outcome


@dataclass
class Results:
    """One harness run: the kept blocks, what was dropped, outcomes per policy, predictions."""

    candidates: int
    blocks: list[Block]
    dropped: dict[str, str]
    outcomes: dict[str, list[Outcome]]
    predictions: list[Prediction]
    seconds: float


def measure(
    blocks: Sequence[Block],
    *,
    policies: Sequence[str] = POLICIES,
    progress: Callable[[str], None] | None = None,
    every: int = 10,
) -> Results:
    """Run the whole pipeline on ``blocks``: pandas reference, adapter per policy, checker.

    A Spark session must exist. ``progress`` receives a line every ``every`` blocks.

    Examples
    --------
    >>> from benchmarks.dropin.corpus import candidates, select
    >>> results = measure(select(candidates(), sample=5))              # doctest: +SKIP
    >>> sorted(results.outcomes)                                        # doctest: +SKIP
    ['raise', 'warn']
    """
    started = time.perf_counter()
    with scratch_directory():
        kept, dropped = reference(blocks)
        if progress is not None:
            progress(f"dropin: {len(kept)} blocks run on pandas ({len(dropped)} left out)")
        outcomes: dict[str, list[Outcome]] = {policy: [] for policy in policies}
        predictions = []
        for done, (block, trace) in enumerate(kept, 1):
            for policy in policies:
                outcomes[policy].append(run_adapter(block, trace, policy))
            predictions.append(predict(block))
            if progress is not None and (done % every == 0 or done == len(kept)):
                elapsed = time.perf_counter() - started
                progress(f"dropin: {done}/{len(kept)} blocks on the adapter, {elapsed:.0f} s")
    return Results(
        candidates=len(blocks),
        blocks=[block for block, _ in kept],
        dropped=dropped,
        outcomes=outcomes,
        predictions=predictions,
        seconds=time.perf_counter() - started,
    )
