"""The Spark-task side of :func:`toolkit.optimize`: run an objective with a trial proxy.

The driver samples every parameter with the study's own sampler; a trial task carries the
values sampled so far. :class:`RemoteTrial` answers ``suggest_*`` from them. When the
objective asks for a parameter the driver has not sampled yet, the proxy stops the
objective (:class:`NeedParam`, a ``BaseException`` so that an ``except Exception`` in the
objective does not swallow it) and the task returns the parameter's distribution: the
driver samples it with the study's sampler and runs the trial again. ``report`` is
recorded (and replayed on the driver's trial); ``should_prune`` asks a copy of the
study's pruner over a snapshot of the study's finished trials taken when the task left.

Examples
--------
>>> task = TrialTask(lambda trial, data: trial.suggest_float("x", 0, 1) ** 2, None,
...                  number=0, params={"x": 0.5}, distributions={})
>>> task().kind, task().value
('value', 0.25)
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from optuna.distributions import (
    BaseDistribution,
    CategoricalChoiceType,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
    check_distribution_compatibility,
)
from optuna.exceptions import TrialPruned
from optuna.trial import BaseTrial, FrozenTrial

__all__ = ["NeedParam", "RemoteTrial", "TaskResult", "TrialTask"]


class NeedParam(BaseException):
    """The objective asked for a parameter the driver has not sampled yet."""

    def __init__(self, name: str, distribution: BaseDistribution) -> None:
        super().__init__(name)
        self.name = name
        self.distribution = distribution


@dataclass
class TaskResult:
    """What one trial task sends back: ``kind`` is ``value``, ``pruned`` or ``need``."""

    kind: str
    value: Any = None
    need: tuple[str, BaseDistribution] | None = None
    reports: list[tuple[int, float]] = field(default_factory=list)
    user_attrs: dict[str, Any] = field(default_factory=dict)


class RemoteTrial(BaseTrial):
    """The ``trial`` an objective receives in a Spark task (an :class:`optuna.trial.BaseTrial`).

    Parameters
    ----------
    number : int
        The driver trial's number.
    params : dict
        Values already sampled on the driver, by name.
    distributions : dict
        Their distributions.
    snapshot : list of FrozenTrial
        The study's finished trials when the task left (for ``should_prune``).
    pruner : optuna pruner, optional
        A copy of the study's pruner.
    directions : list of StudyDirection, optional
        The study's directions.

    Examples
    --------
    >>> trial = RemoteTrial(0, {"n": 3}, {"n": IntDistribution(1, 5)})
    >>> trial.suggest_int("n", 1, 5)
    3
    """

    def __init__(
        self,
        number: int,
        params: dict[str, Any],
        distributions: dict[str, BaseDistribution],
        *,
        snapshot: Sequence[FrozenTrial] = (),
        pruner: Any = None,
        directions: Sequence[Any] = (),
    ) -> None:
        self._number = number
        self._params = dict(params)
        self._distributions = dict(distributions)
        self._used: dict[str, Any] = {}
        self._snapshot = list(snapshot)
        self._pruner = pruner
        self._directions = list(directions)
        self._started = datetime.datetime.now()
        self.reports: list[tuple[int, float]] = []
        self._user_attrs: dict[str, Any] = {}

    # suggest_* ---------------------------------------------------------------------------

    def _suggest(self, name: str, distribution: BaseDistribution) -> Any:
        if name not in self._params:
            raise NeedParam(name, distribution)
        known = self._distributions.get(name)
        if known is not None:  # what optuna checks for a name suggested twice
            check_distribution_compatibility(known, distribution)
        self._used[name] = self._params[name]
        return self._params[name]

    def suggest_float(
        self, name: str, low: float, high: float, *, step: float | None = None, log: bool = False
    ) -> float:
        """A float answered from the driver's sample (see :meth:`optuna.Trial.suggest_float`)."""
        return float(self._suggest(name, FloatDistribution(low, high, log=log, step=step)))

    def suggest_uniform(self, name: str, low: float, high: float) -> float:
        """Deprecated optuna alias of ``suggest_float(name, low, high)``."""
        return self.suggest_float(name, low, high)

    def suggest_loguniform(self, name: str, low: float, high: float) -> float:
        """Deprecated optuna alias of ``suggest_float(name, low, high, log=True)``."""
        return self.suggest_float(name, low, high, log=True)

    def suggest_discrete_uniform(self, name: str, low: float, high: float, q: float) -> float:
        """Deprecated optuna alias of ``suggest_float(name, low, high, step=q)``."""
        return self.suggest_float(name, low, high, step=q)

    def suggest_int(
        self, name: str, low: int, high: int, *, step: int = 1, log: bool = False
    ) -> int:
        """An int answered from the driver's sample (see :meth:`optuna.Trial.suggest_int`)."""
        return int(self._suggest(name, IntDistribution(low, high, log=log, step=step)))

    def suggest_categorical(  # type: ignore[override]  # overloads narrow only
        self, name: str, choices: Sequence[CategoricalChoiceType]
    ) -> CategoricalChoiceType:
        """A choice answered from the driver's sample."""
        value: CategoricalChoiceType = self._suggest(name, CategoricalDistribution(choices))
        return value

    # report / prune / attributes ---------------------------------------------------------

    def report(self, value: float, step: int) -> None:
        """Record an intermediate value; the driver stores it on the study's trial."""
        if any(known == step for known, _ in self.reports):
            return  # optuna ignores a second report of the same step
        self.reports.append((int(step), float(value)))

    def should_prune(self) -> bool:
        """Ask the study's pruner, over the finished trials the task left with."""
        if self._pruner is None or not self.reports or len(self._directions) != 1:
            return False
        import optuna

        local = optuna.create_study(
            direction=self._directions[0],
            sampler=optuna.samplers.RandomSampler(seed=0),
            pruner=self._pruner,
        )
        local.add_trials(self._snapshot)
        running = local.ask()
        for step, value in self.reports:
            running.report(value, step)
        return bool(running.should_prune())

    def set_user_attr(self, key: str, value: Any) -> None:
        """Record a user attribute; the driver sets it on the study's trial."""
        self._user_attrs[key] = value

    def set_constraint(self, key: str, value: float) -> None:
        """Not supported in a Spark task: constraints need the driver's storage."""
        raise NotImplementedError("set_constraint is not supported by toolkit.optimize")

    @property
    def number(self) -> int:
        """The number of the driver's trial."""
        return self._number

    @property
    def params(self) -> dict[str, Any]:
        """Parameters the objective has suggested so far."""
        return dict(self._used)

    @property
    def distributions(self) -> dict[str, BaseDistribution]:
        """Distributions of the parameters suggested so far."""
        return {name: self._distributions[name] for name in self._used}

    @property
    def user_attrs(self) -> dict[str, Any]:
        """User attributes set in this task."""
        return dict(self._user_attrs)

    @property
    def datetime_start(self) -> datetime.datetime | None:
        """When the task started the objective."""
        return self._started


class TrialTask:
    """One trial run as a Spark task: ``objective(RemoteTrial(...), data)``.

    Parameters
    ----------
    objective : callable
        ``objective(trial, data) -> float`` (or a sequence of floats, multi-objective).
    data : object
        Passed as the second argument; large arrays travel once (the shipping pickler).
    number, params, distributions, snapshot, pruner, directions
        See :class:`RemoteTrial`.

    Examples
    --------
    >>> TrialTask(lambda t, d: t.suggest_int("n", 1, 3), None, number=0, params={},
    ...           distributions={})().need[0]
    'n'
    """

    def __init__(
        self,
        objective: Callable[[Any, Any], Any],
        data: Any,
        *,
        number: int,
        params: dict[str, Any],
        distributions: dict[str, BaseDistribution],
        snapshot: Sequence[FrozenTrial] = (),
        pruner: Any = None,
        directions: Sequence[Any] = (),
    ) -> None:
        self.objective = objective
        self.data = data
        self.trial_args = (number, params, distributions)
        self.trial_kwargs = {"snapshot": snapshot, "pruner": pruner, "directions": directions}

    def __call__(self) -> TaskResult:
        """Run the objective once; its own exceptions propagate (the driver re-raises them)."""
        trial = RemoteTrial(*self.trial_args, **self.trial_kwargs)
        try:
            value = self.objective(trial, self.data)
        except NeedParam as need:
            return TaskResult("need", need=(need.name, need.distribution))
        except TrialPruned:
            return TaskResult("pruned", reports=trial.reports, user_attrs=trial.user_attrs)
        return TaskResult("value", value, reports=trial.reports, user_attrs=trial.user_attrs)
