"""Running one block: statement by statement in a fresh namespace, keeping what each shows.

A statement *shows* what doctest would display: the value of an expression (for
``print(x)``, the value of ``x``; for an expression that gives None but prints, the
printed text), or the printed text of any other statement that has expected output.
Values are captured when the statement runs (through ``capture``, e.g. a deep copy, or
the conversion of pandas-on-Spark objects to pandas), so later statements that change
a frame in place do not change what an earlier one showed. The run stops at the first
statement that raises.

Examples
--------
>>> import numpy, pandas
>>> from benchmarks.dropin.corpus import Block, Statement
>>> block = Block("demo", (Statement("s = pd.Series([1, 2])\\n", "", 3),
...                        Statement("s.sum()\\n", "3\\n", 4)))
>>> trace = run_block(block, pandas)
>>> trace.error is None, [str(step.shown) for step in trace.steps]
(True, ['NOTHING', '3'])
>>> drop_in("import pandas as pd\\n")
'import adapters.pandas as pd\\n'
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import copy
import io
import re
import signal
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy

from benchmarks.dropin.corpus import Block, Statement

__all__ = ["NOTHING", "CPULimitExceeded", "Step", "Trace", "drop_in", "run_block", "snapshot"]


class _Nothing:
    """What a statement that displays nothing shows."""

    def __repr__(self) -> str:
        return "NOTHING"


NOTHING: Any = _Nothing()
_IMPORTS = (
    (re.compile(r"^(\s*)import pandas as pd\b", re.MULTILINE), r"\1import adapters.pandas as pd"),
    (re.compile(r"^(\s*)from pandas import\b", re.MULTILINE), r"\1from adapters.pandas import"),
    (re.compile(r"^(\s*)import pandas\s*$", re.MULTILINE), r"\1import adapters.pandas as pandas"),
)


class CPULimitExceeded(BaseException):  # noqa: N818 - a BaseException so library code cannot swallow it
    """A block used more CPU time than allowed (raised by a profiling timer)."""


@dataclass
class Step:
    """What one statement did: what it showed (``NOTHING`` if nothing) or what it raised."""

    index: int
    shown: Any = NOTHING
    error: BaseException | None = None


@dataclass
class Trace:
    """One run of a block: its steps (up to the first error), time, and warnings."""

    steps: list[Step] = field(default_factory=list)
    cpu_seconds: float = 0.0
    wall_seconds: float = 0.0
    warnings: list[warnings.WarningMessage] = field(default_factory=list)

    @property
    def error(self) -> Step | None:
        """The step that raised, if any."""
        return next((s for s in self.steps if s.error is not None), None)


def drop_in(source: str) -> str:
    """``source`` with its pandas imports changed to the adapter (``adapters.pandas``)."""
    for pattern, replacement in _IMPORTS:
        source = pattern.sub(replacement, source)
    return source


def snapshot(value: Any) -> Any:
    """A deep copy of ``value`` when it can be copied, else ``value`` itself."""
    try:
        return copy.deepcopy(value)
    except Exception:  # noqa: BLE001 - some objects (generators, locks) cannot be copied
        return value


@contextlib.contextmanager
def _cpu_limit(seconds: float | None) -> Iterator[None]:
    """Raise :class:`CPULimitExceeded` after ``seconds`` of process CPU time (main thread only)."""
    usable = seconds is not None and threading.current_thread() is threading.main_thread()
    if not usable or not hasattr(signal, "setitimer"):
        yield
        return

    def stop(signum: int, frame: Any) -> None:
        raise CPULimitExceeded(f"more than {seconds:g} s of CPU time")

    previous = signal.signal(signal.SIGPROF, stop)
    signal.setitimer(signal.ITIMER_PROF, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)


def _printed_argument(node: ast.expr) -> ast.expr | None:
    """``x`` when ``node`` is ``print(x)``, else None."""
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "print"
        and len(node.args) == 1
        and not node.keywords
        and not isinstance(node.args[0], ast.Starred)
    ):
        return node.args[0]
    return None


def _execute(
    statement: Statement,
    source: str,
    namespace: dict[str, Any],
    capture: Callable[[Any], Any],
    filename: str,
) -> Any:
    tree = ast.parse(source)
    ast.increment_lineno(tree, statement.line - 1)
    printed = io.StringIO()
    if len(tree.body) == 1 and isinstance(tree.body[0], ast.Expr):
        node = tree.body[0].value
        argument = _printed_argument(node)
        expression = ast.Expression(argument if argument is not None else node)
        with contextlib.redirect_stdout(printed):
            value = eval(compile(expression, filename, "eval"), namespace)
        if value is None and argument is None and printed.getvalue():
            return printed.getvalue()
        return capture(value)
    with contextlib.redirect_stdout(printed):
        exec(compile(tree, filename, "exec"), namespace)
    return printed.getvalue() if statement.want.strip() else NOTHING


def _run_steps(
    block: Block,
    namespace: dict[str, Any],
    trace: Trace,
    capture: Callable[[Any], Any],
    adapter: bool,
    filename: str,
) -> None:
    for index, statement in enumerate(block.statements):
        step = Step(index)
        trace.steps.append(step)
        source = drop_in(statement.source) if adapter else statement.source
        try:
            step.shown = _execute(statement, source, namespace, capture, filename)
        except (Exception, CPULimitExceeded) as exc:  # noqa: BLE001 - recorded, judged later
            step.error = exc
            return


def run_block(
    block: Block,
    module: Any,
    *,
    capture: Callable[[Any], Any] = snapshot,
    adapter: bool = False,
    cpu_limit: float | None = None,
) -> Trace:
    """Run ``block`` with ``pd`` = ``module`` and ``np`` = numpy in a fresh namespace.

    Parameters
    ----------
    block : Block
        The statements to run, in order.
    module : module
        What ``pd`` is: ``pandas``, or ``adapters.pandas`` for the drop-in run.
    capture : callable
        Turns a shown value into what is kept (default: a deep copy).
    adapter : bool
        Rewrite the block's own ``import pandas as pd`` lines to the adapter.
    cpu_limit : float, optional
        Stop the block (a :class:`CPULimitExceeded` step error) after this much CPU time.

    Examples
    --------
    >>> import pandas
    >>> from benchmarks.dropin.corpus import Block, Statement
    >>> trace = run_block(Block("b", (Statement("1 / 0\\n", "", 3),)), pandas)
    >>> type(trace.error.error).__name__
    'ZeroDivisionError'
    """
    namespace: dict[str, Any] = {
        "__name__": "__dropin__",
        "__builtins__": builtins,
        "pd": module,
        "np": numpy,
    }
    trace = Trace()
    filename = f"<dropin {block.name}>"
    cpu, wall = time.process_time(), time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            with _cpu_limit(cpu_limit):
                _run_steps(block, namespace, trace, capture, adapter, filename)
        except CPULimitExceeded as exc:  # the timer fired between two statements
            trace.steps[-1].error = trace.steps[-1].error or exc
    trace.cpu_seconds = time.process_time() - cpu
    trace.wall_seconds = time.perf_counter() - wall
    trace.warnings = list(caught)
    return trace
