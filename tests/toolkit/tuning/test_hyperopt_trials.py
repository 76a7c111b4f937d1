"""``hyperopt.fmin(..., trials=SparkTrials())``: evaluations as Spark tasks, the local answer
with parallelism=1, the objective's own exception on the driver."""

from __future__ import annotations

import hyperopt
import numpy as np
import pytest
from hyperopt import STATUS_OK, Trials, fmin, hp, tpe

import toolkit as tk
from toolkit.tuning.hyperopt_trials import SparkTrials

SPACE = {"x": hp.uniform("x", -5, 5), "kind": hp.choice("kind", ["square", "abs"])}


def loss(params):
    x = params["x"]
    return (x - 1.0) ** 2 if params["kind"] == "square" else abs(x - 1.0)


def run(trials, max_evals=12):
    rstate = np.random.default_rng(3)
    best = fmin(loss, SPACE, algo=tpe.suggest, max_evals=max_evals, trials=trials,
                rstate=rstate, show_progressbar=False)  # fmt: skip
    return best, trials


def test_parallelism_one_gives_the_local_fmin(spark):
    local_best, local = run(Trials())
    spread_best, spread = run(SparkTrials(parallelism=1, spark=spark))
    assert spread_best == local_best
    assert spread.losses() == local.losses()
    assert [t["misc"]["vals"] for t in spread.trials] == [t["misc"]["vals"] for t in local.trials]


def test_parallel_evaluations_and_their_losses(spark):
    best, trials = run(SparkTrials(parallelism=2, spark=spark), max_evals=6)
    assert len(trials.trials) == 6
    assert all(t["result"]["status"] == STATUS_OK for t in trials.trials)
    for trial in trials.trials:
        vals = {k: v[0] for k, v in trial["misc"]["vals"].items()}
        point = hyperopt.space_eval(SPACE, vals)
        assert trial["result"]["loss"] == loss(point)


def test_an_objective_that_raises_reaches_the_driver_as_itself(spark):
    def broken(params):
        raise LookupError("missing feature")

    with pytest.raises(LookupError, match="missing feature"):
        fmin(broken, SPACE, algo=tpe.suggest, max_evals=3, show_progressbar=False,
             trials=SparkTrials(parallelism=2, spark=spark))  # fmt: skip


def test_bad_parallelism_is_refused():
    for bad in (0, -2, "2", 1.5):
        with pytest.raises(tk.InvalidOptionError, match="parallelism must be a positive"):
            SparkTrials(parallelism=bad)
