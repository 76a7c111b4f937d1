"""``tk.optimize``: Optuna trials as Spark tasks, the same answer as a local study, options
refused before any job, the objective's own exception, pruning, the data shipped once."""

from __future__ import annotations

import numpy as np
import optuna
import pytest

import toolkit as tk
from toolkit.tuning.trials import RemoteTrial, TrialTask

optuna.logging.set_verbosity(optuna.logging.WARNING)


def objective(trial, data):
    x = trial.suggest_float("x", -5.0, 5.0)
    kind = trial.suggest_categorical("kind", ["square", "abs"])
    n = trial.suggest_int("n", 1, 4)
    return (x - 1.0) ** 2 * n if kind == "square" else abs(x - 1.0) + n


def seeded_study():
    return optuna.create_study(sampler=optuna.samplers.TPESampler(seed=7, n_startup_trials=4))


def test_parallelism_one_gives_the_local_study(spark):
    local = seeded_study()
    local.optimize(lambda trial: objective(trial, None), n_trials=8)
    spread = tk.optimize(objective, n_trials=8, parallelism=1, study=seeded_study(), spark=spark)
    assert len(spread.trials) == 8
    assert [t.params for t in spread.trials] == [t.params for t in local.trials]
    assert [t.value for t in spread.trials] == [t.value for t in local.trials]
    assert spread.best_params == local.best_params and spread.best_value == local.best_value


@pytest.fixture
def backends(monkeypatch):
    """The SparkBackends optimize makes, and the widths they were configured with."""
    import toolkit.tuning.backend as backend_module

    made = []

    class Spy(backend_module.SparkBackend):
        def configure(self, n_jobs=1, parallel=None, **kwargs):
            made.append((self, n_jobs))
            return super().configure(n_jobs, parallel, **kwargs)

    monkeypatch.setattr(backend_module, "SparkBackend", Spy)
    return made


def test_parallel_trials_respect_n_trials_and_the_slots(spark, backends):
    from toolkit.files.jobs import cores

    slots = cores(spark)
    tk.optimize(objective, n_trials=1, spark=spark)  # never more at once than trials
    tk.optimize(objective, n_trials=4, spark=spark)  # default: every slot
    study = tk.optimize(objective, n_trials=5, parallelism=64, spark=spark)  # capped
    assert [width for _, width in backends] == [1, min(slots, 4), min(slots, 5)]
    assert [t.state for t in study.trials] == [optuna.trial.TrialState.COMPLETE] * 5
    for trial in study.trials:  # each value is the objective's at the trial's params
        p = trial.params
        x, n = p["x"], p["n"]
        expected = (x - 1.0) ** 2 * n if p["kind"] == "square" else abs(x - 1.0) + n
        assert trial.value == expected


@pytest.mark.parametrize(
    "options",
    [
        {"n_trials": 0},
        {"n_trials": -3},
        {"n_trials": 2.5},
        {"n_trials": 4, "parallelism": 0},
        {"n_trials": 4, "parallelism": -1},
        {"n_trials": 4, "parallelism": "2"},
        {"n_trials": 4, "parallelism": True},
        {"n_trials": 4, "timeout": 0},
    ],
)
def test_nonsense_options_are_refused_before_any_spark_job(options):
    with pytest.raises(tk.InvalidOptionError, match="must be a positive"):
        tk.optimize(objective, spark=object(), **options)  # a job on object() would fail


def test_an_objective_that_raises_reaches_the_driver_as_itself(spark):
    def broken(trial, data):
        x = trial.suggest_float("x", 0, 1)
        raise KeyError(f"no column for {x >= 0}")

    study = optuna.create_study()
    with pytest.raises(KeyError, match="no column for True") as caught:
        tk.optimize(broken, n_trials=4, parallelism=2, study=study, spark=spark)
    assert type(caught.value) is KeyError
    assert "Py4J" not in str(caught.value)
    states = {t.state for t in study.trials}
    assert optuna.trial.TrialState.FAIL in states
    assert optuna.trial.TrialState.RUNNING not in states and len(study.trials) <= 4


def test_caught_exceptions_fail_their_trial_and_the_study_goes_on(spark):
    def flaky(trial, data):
        x = trial.suggest_int("x", 0, 9)
        if x % 2:
            raise ArithmeticError("odd")
        return float(x)

    study = tk.optimize(flaky, n_trials=6, parallelism=2, spark=spark, catch=ArithmeticError)
    assert len(study.trials) == 6
    for trial in study.trials:
        odd = trial.params["x"] % 2 == 1
        assert trial.state.name == ("FAIL" if odd else "COMPLETE")


def test_trial_pruned_and_should_prune(spark):
    def pruned(trial, data):
        x = trial.suggest_float("x", 0, 1)
        for step in range(3):
            trial.report(x + step, step)
        if x > 0.5:
            raise optuna.TrialPruned()
        return x

    study = tk.optimize(
        pruned,
        n_trials=6,
        parallelism=2,
        spark=spark,
        study=optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=3)),
    )
    for trial in study.trials:
        x = trial.params["x"]
        assert trial.intermediate_values == {0: x, 1: x + 1, 2: x + 2}
        assert trial.state.name == ("PRUNED" if x > 0.5 else "COMPLETE")
    assert any(t.state.name == "PRUNED" for t in study.trials)
    assert any(t.state.name == "COMPLETE" for t in study.trials)


def reporting(trial, data):
    x = trial.suggest_float("x", -3.0, 3.0)
    for step in range(4):
        trial.report((x - step * 0.1) ** 2 + 1.0 / (step + 1), step)
        if trial.should_prune():
            raise optuna.TrialPruned()
    return x**2


def test_should_prune_in_tasks_prunes_as_a_local_study_with_parallelism_one(spark):
    def study():
        return optuna.create_study(
            sampler=optuna.samplers.RandomSampler(seed=11),
            pruner=optuna.pruners.MedianPruner(n_startup_trials=2),
        )

    local = study()
    local.optimize(lambda trial: reporting(trial, None), n_trials=8)
    spread = tk.optimize(reporting, n_trials=8, parallelism=1, study=study(), spark=spark)
    assert [t.state for t in spread.trials] == [t.state for t in local.trials]
    assert [t.intermediate_values for t in spread.trials] == [
        t.intermediate_values for t in local.trials
    ]
    assert any(t.state.name == "PRUNED" for t in spread.trials)


def test_should_prune_asks_the_studys_pruner_over_the_finished_trials():
    """A worker-side trial asks a copy of the pruner over the snapshot it carries."""
    finished = optuna.create_study(pruner=optuna.pruners.MedianPruner(n_startup_trials=1))
    for value in (1.0, 2.0, 3.0):
        trial = finished.ask()
        trial.report(value, 0)
        finished.tell(trial, value)
    snapshot = finished.get_trials(deepcopy=False)
    args = {"snapshot": snapshot, "pruner": finished.pruner, "directions": finished.directions}
    worse, better = RemoteTrial(3, {}, {}, **args), RemoteTrial(4, {}, {}, **args)
    worse.report(10.0, 0)
    better.report(0.5, 0)
    assert worse.should_prune() and not better.should_prune()
    assert not RemoteTrial(5, {}, {}, **args).should_prune()  # nothing reported yet


def test_a_new_parameter_asks_the_driver():
    task = TrialTask(objective, None, number=0, params={"x": 2.0}, distributions={})
    result = task()
    assert result.kind == "need" and result.need[0] == "kind"
    assert result.need[1] == optuna.distributions.CategoricalDistribution(["square", "abs"])


def test_timeout_stops_starting_trials(spark):
    import time

    def slow(trial, data):
        time.sleep(0.5)
        return trial.suggest_float("x", 0, 1)

    study = tk.optimize(slow, n_trials=100, parallelism=1, timeout=1.0, spark=spark)
    assert 1 <= len(study.trials) < 10
    assert all(t.state.name == "COMPLETE" for t in study.trials)


def test_the_data_travels_once_per_study(spark, backends):
    X = np.random.default_rng(5).normal(size=(200, 1000))  # 1.6 MB: shipped by reference
    ran_here = []

    def fit(trial, data):
        ran_here.append(trial.number)  # a task appends to its own copy of the list
        alpha = trial.suggest_float("alpha", 0.1, 10.0, log=True)
        return float(np.linalg.norm(data["X"][:, 0]) * alpha)

    study = tk.optimize(fit, n_trials=6, parallelism=2, data={"X": X}, spark=spark)
    assert ran_here == []  # the objective ran in Spark tasks, not on the driver
    expected = float(np.linalg.norm(X[:, 0]))
    for trial in study.trials:
        assert trial.value == pytest.approx(expected * trial.params["alpha"], rel=1e-12)
    stats = backends[0][0].stats
    assert stats.tasks == 8  # the first two trials met "alpha" unsampled: one job more each
    (key,) = stats.shipped
    assert stats.shipped[key] >= X.nbytes
    loads = [per_key.get(key, 0) for per_key in stats.loads.values()]
    print(f"tasks {stats.tasks}, payload max {stats.payload_bytes_max}, loads {loads}")
    assert sum(loads) >= 1 and max(loads) <= 1 and sum(loads) < stats.tasks
    assert stats.payload_bytes_max < 100_000  # a task carries its trial, not the data
