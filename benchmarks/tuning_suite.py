"""Model selection on Spark, timed side by side (``--suites tuning``).

One ``GridSearchCV`` (24 candidates x 5 folds of a ``HistGradientBoostingClassifier``
on ``rows // 10`` rows x ``features``: 200,000 x 20 with ``--full``) runs four ways in
one process, on the same data: ``n_jobs=1`` on the driver, ``n_jobs=-1`` with joblib's
local processes (loky), joblibspark's Spark backend (when it is installed; else the
table says so) and scaleout's (:func:`toolkit.parallel_backend`). Each way first runs an
untimed warm-up search on the same data (2 candidates x 2 folds: pools, Python workers
and imports are started), then ``repeat`` timed searches (median, min-max). Every way's
``best_params_`` and ``mean_test_score`` are checked against ``n_jobs=1`` (to 1e-12)
before any timing is kept: a way that disagrees stops the suite (:class:`AgreementError`).

Per way: the driver's peak RSS during the timed searches and its growth over the RSS
before them, and the bytes each task carried (scaleout: the pickled batch, the data
shipped once on the side; joblibspark: the pickled batch of its warm-up, data included;
local ways ship nothing: loky memory-maps the arrays).

Examples
--------
>>> found = tuning_suite(ctx)    # doctest: +SKIP
>>> [w["way"] for w in found["ways"]]  # doctest: +SKIP
['n_jobs=1', 'n_jobs=-1 (loky)', 'joblibspark', 'scaleout']
"""

from __future__ import annotations

import contextlib
import statistics
import time
import warnings
from collections.abc import Callable, Iterator
from typing import Any

from benchmarks.agreement import AgreementError
from benchmarks.suites import Context

__all__ = [
    "GRID",
    "TOLERANCE",
    "WAYS",
    "check_search",
    "search_grid",
    "tuning_markdown",
    "tuning_suite",
]

#: 3 x 2 x 2 x 2 = 24 candidates.
GRID: dict[str, list[Any]] = {
    "learning_rate": [0.05, 0.1, 0.2],
    "max_leaf_nodes": [15, 31],
    "max_iter": [50, 100],
    "l2_regularization": [0.0, 1.0],
}
#: Largest difference allowed between a way's ``mean_test_score`` and ``n_jobs=1``'s.
TOLERANCE = 1e-12
WAYS = ("n_jobs=1", "n_jobs=-1 (loky)", "joblibspark", "scaleout")


def search_grid(candidates: int) -> list[dict[str, list[Any]]]:
    """The first ``candidates`` points of :data:`GRID`, as a ``param_grid`` list.

    Examples
    --------
    >>> len(search_grid(24)), search_grid(1)[0]["max_iter"]
    (24, [50])
    """
    from sklearn.model_selection import ParameterGrid

    points = list(ParameterGrid(GRID))[:candidates]
    return [{name: [value] for name, value in point.items()} for point in points]


def tuning_suite(ctx: Context) -> dict[str, Any]:
    """Time the search four ways; check each against ``n_jobs=1``; return the table rows.

    Examples
    --------
    >>> tuning_suite(ctx)["targets"][0]["target"]  # doctest: +SKIP
    'scaleout within 15% of n_jobs=-1 (loky)'
    """
    import numpy as np
    from sklearn.datasets import make_classification

    cfg = ctx.config
    rows, features = max(cfg.rows // 10, 200), cfg.features
    candidates, folds = cfg.tuning_candidates, cfg.tuning_folds
    ctx.display.stage(f"tuning: {candidates} candidates x {folds} folds, {rows:,} x {features}")
    X, y = make_classification(n_samples=rows, n_features=features, random_state=cfg.seed,
                               n_informative=max(features // 2, 1))  # fmt: skip
    X = np.ascontiguousarray(X)
    ways: list[dict[str, Any]] = []
    reference: Any = None
    notes: list[str] = []
    for way in WAYS:
        runner = _runner(way, ctx, notes)
        if runner is None:
            ways.append({"way": way, "installed": False, "status": "not installed"})
            continue
        ctx.display.stage(f"tuning: {way} (warm-up, then {cfg.repeat} timed)")
        n_jobs = 1 if way == "n_jobs=1" else -1
        try:
            found = _measure(ctx, runner, X, y, n_jobs=n_jobs, candidates=candidates,
                             folds=folds)  # fmt: skip
        except Exception as exc:  # a peer that cannot run here (e.g. on Spark Connect)
            if way != "joblibspark":
                raise
            notes.append(f"joblibspark failed on this target: {type(exc).__name__}: {exc}"[:500])
            ways.append({"way": way, "installed": False, "status": "failed (see note)"})
            continue
        if reference is None:
            reference = found.pop("search")
        else:
            check_search(way, found.pop("search"), reference)
        ways.append({"way": way, "installed": True, "check": "equal", **found})
    _ratios(ways)
    return {"rows": rows, "features": features, "candidates": candidates, "folds": folds,
            "fits": candidates * folds, "runs": cfg.repeat, "data_bytes": int(X.nbytes),
            "best_params": reference.best_params_, "ways": ways,
            "targets": _targets(ways), "notes": notes}  # fmt: skip


Runner = Callable[[bool], contextlib.AbstractContextManager[dict[str, Any]]]


def _runner(way: str, ctx: Context, notes: list[str]) -> Runner | None:
    """For ``way``: ``(warm_up) -> context manager`` whose dict holds what a search sent."""
    import joblib

    @contextlib.contextmanager
    def local(_: bool) -> Iterator[dict[str, Any]]:
        with joblib.parallel_config(backend="loky"):
            yield {}

    @contextlib.contextmanager
    def scaleout(_: bool) -> Iterator[dict[str, Any]]:
        import toolkit as tk

        stats: dict[str, Any] = {}
        with tk.parallel_backend(spark=ctx.spark, progress=False) as backend:
            yield stats
        found = backend.stats
        stats["bytes_per_task"] = found.payload_bytes_total / max(found.tasks, 1)
        stats["shipped_once_bytes"] = sum(found.shipped.values())
        stats["tasks"] = found.tasks

    if way in ("n_jobs=1", "n_jobs=-1 (loky)"):
        return local
    if way == "scaleout":
        return scaleout
    try:
        from joblibspark.backend import SparkDistributedBackend
    except ImportError:
        notes.append("joblibspark is not installed (`pip install joblibspark`): not measured.")
        return None
    return _joblibspark(SparkDistributedBackend)


def _joblibspark(base: type) -> Runner:
    """joblibspark's backend; in the warm-up, it also weighs the batches it pickles."""
    import joblib
    from pyspark import cloudpickle

    sizes: list[int] = []

    class Weighed(base):  # type: ignore[misc, valid-type]
        def apply_async(self, func: Any, callback: Any = None) -> Any:
            sizes.append(len(cloudpickle.dumps(func)))
            return super().apply_async(func, callback)

    joblib.register_parallel_backend("spark-weighed", Weighed)
    joblib.register_parallel_backend("spark-plain", base)

    @contextlib.contextmanager
    def run(warm_up: bool) -> Iterator[dict[str, Any]]:
        stats: dict[str, Any] = {}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "local mode: no stage scheduling"
            with joblib.parallel_config(backend="spark-weighed" if warm_up else "spark-plain"):
                yield stats
        if warm_up and sizes:
            stats["bytes_per_task"] = statistics.fmean(sizes)

    return run


def _measure(ctx: Context, runner: Runner, X: Any, y: Any, *, n_jobs: int, candidates: int,
             folds: int) -> dict[str, Any]:  # fmt: skip
    """Warm up, then time ``repeat`` searches under the driver's memory sampler."""
    import psutil

    with runner(True) as warm:
        _search(search_grid(2), 2, n_jobs).fit(X, y)
    seconds: list[float] = []
    stats: dict[str, Any] = {}
    search: Any = None
    before = psutil.Process().memory_info().rss / (1 << 20)
    with ctx.sampler.measure() as peak:
        for _ in range(ctx.config.repeat):
            with runner(False) as stats:
                began = time.perf_counter()
                search = _search(search_grid(candidates), folds, n_jobs).fit(X, y)
                seconds.append(time.perf_counter() - began)
    driver_peak = peak.get("driver_python_mb")
    return {
        "search": search,
        "seconds": statistics.median(seconds),
        "seconds_min": min(seconds),
        "seconds_max": max(seconds),
        "driver_peak_mb": driver_peak,
        "driver_growth_mb": None if driver_peak is None else driver_peak - before,
        "bytes_per_task": stats.get("bytes_per_task", warm.get("bytes_per_task")),
        "shipped_once_bytes": stats.get("shipped_once_bytes"),
        "tasks": stats.get("tasks"),
    }


def _search(grid: list[dict[str, list[Any]]], folds: int, n_jobs: int) -> Any:
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import GridSearchCV, StratifiedKFold

    model = HistGradientBoostingClassifier(early_stopping=False, random_state=0)
    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=0)
    return GridSearchCV(model, grid, cv=cv, n_jobs=n_jobs)


def check_search(way: str, got: Any, ref: Any) -> None:
    """Raise :class:`AgreementError` unless ``got`` is ``ref``'s search (params, scores).

    Examples
    --------
    >>> check_search("scaleout", spread, local)  # doctest: +SKIP
    """
    import numpy as np

    gap = float(np.max(np.abs(got.cv_results_["mean_test_score"]
                              - ref.cv_results_["mean_test_score"])))  # fmt: skip
    if got.best_params_ != ref.best_params_ or not gap <= TOLERANCE:
        raise AgreementError(
            f"tuning: {way} disagrees with n_jobs=1: best_params_ {got.best_params_} vs "
            f"{ref.best_params_}, largest mean_test_score difference {gap:.3g} (allowed "
            f"{TOLERANCE:g}). Its timings are not reported."
        )


def _ratios(ways: list[dict[str, Any]]) -> None:
    local = next((w for w in ways if w["way"] == "n_jobs=-1 (loky)"), None)
    for way in ways:
        ok = way.get("installed") and local is not None
        way["x_local_parallel"] = way["seconds"] / local["seconds"] if ok else None  # type: ignore[index]


def _targets(ways: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The issue's targets: within 15% of local ``n_jobs=-1``; ahead of joblibspark."""
    by = {w["way"]: w for w in ways}
    ours, peer = by["scaleout"], by["joblibspark"]
    out = [{"target": "scaleout within 15% of n_jobs=-1 (loky)",
            "measured": f"{ours['x_local_parallel']:.2f}x", "met": ours["x_local_parallel"] <= 1.15}]  # fmt: skip
    if not peer.get("installed"):
        return out + [{"target": "scaleout ahead of joblibspark",
                       "measured": peer.get("status", "not installed"), "met": None}]  # fmt: skip
    faster = ours["seconds"] < peer["seconds"]
    lighter = (ours["driver_growth_mb"] is not None and peer["driver_growth_mb"] is not None
               and ours["driver_growth_mb"] < peer["driver_growth_mb"])  # fmt: skip
    return out + [
        {"target": "scaleout faster than joblibspark",
         "measured": f"{ours['seconds']:.1f}s vs {peer['seconds']:.1f}s", "met": faster},
        {"target": "scaleout's driver grows less than joblibspark's",
         "measured": f"{_mb(ours['driver_growth_mb'])} vs {_mb(peer['driver_growth_mb'])} MiB",
         "met": lighter},
    ]  # fmt: skip


def _mb(value: float | None) -> str:
    return "–" if value is None else f"{value:,.0f}"


def _size(value: float | None) -> str:
    if value is None:
        return "–"
    for unit, scale in (("MB", 1e6), ("KB", 1e3)):
        if value >= scale:
            return f"{value / scale:,.1f} {unit}"
    return f"{value:,.0f} B"


def tuning_markdown(found: dict[str, Any]) -> list[str]:
    """The report's section for ``--suites tuning``, as Markdown lines.

    Examples
    --------
    >>> tuning_markdown({"rows": 10, "features": 2, "candidates": 1, "folds": 2, "fits": 2,
    ...     "runs": 1, "data_bytes": 160, "best_params": {}, "notes": [], "targets": [],
    ...     "ways": [{"way": "joblibspark", "installed": False}]})[-1]
    '| joblibspark | not installed | – | – | – | – | – | – |'
    """
    out = [
        "",
        f"## Model selection (`--suites tuning`: GridSearchCV, HistGradientBoosting, "
        f"{found['candidates']} candidates x {found['folds']} folds)",
        "",
        f"{found['rows']:,} rows x {found['features']} features ({_size(found['data_bytes'])}), "
        f"{found['fits']} fits per search, {found['runs']} timed search(es) per way after a "
        "warm-up; every way's best_params_ and mean_test_score equal n_jobs=1's "
        f"(to {TOLERANCE:g}) before its time is kept. Driver memory: peak RSS of this "
        "process during the timed searches, and its growth over the RSS before them.",
        "",
        "| way | seconds (median, min–max) | x n_jobs=-1 | driver peak MiB | driver growth MiB "
        "| bytes per task | shipped once | result |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for w in found["ways"]:
        if not w.get("installed"):
            status = w.get("status", "not installed")
            out.append(f"| {w['way']} | {status} | – | – | – | – | – | – |")
            continue
        ratio = "–" if w["x_local_parallel"] is None else f"{w['x_local_parallel']:.2f}x"
        check = "reference" if w["way"] == "n_jobs=1" else w["check"]
        out.append(
            f"| {w['way']} | {w['seconds']:.2f} ({w['seconds_min']:.2f}–{w['seconds_max']:.2f}) "
            f"| {ratio} | {_mb(w['driver_peak_mb'])} | {_mb(w['driver_growth_mb'])} "
            f"| {_size(w['bytes_per_task'])} | {_size(w['shipped_once_bytes'])} | {check} |"
        )
    if found["targets"]:
        out += ["", "| target | measured | met |", "|---|---|---|"]
        out += [f"| {t['target']} | {t['measured']} | "
                f"{'–' if t['met'] is None else 'yes' if t['met'] else '**no**'} |"
                for t in found["targets"]]  # fmt: skip
    return out + [f"\n> {note}" for note in found["notes"]]
