"""Batch-scoring throughput against MLlib, peers and the hardware limit (``scaleout bench``).

Every figure is a ratio measured side by side in one run, on the same data,
after a warm-up, median of several interleaved runs; every path's predictions
are checked against the plain scikit-learn result before it is timed.

Modules: :mod:`~benchmarks.config` (options), :mod:`~benchmarks.data` (tables),
:mod:`~benchmarks.models` (matched models), :mod:`~benchmarks.paths` and
:mod:`~benchmarks.peers` (what is timed), :mod:`~benchmarks.protocol` (how),
:mod:`~benchmarks.agreement` (checks), :mod:`~benchmarks.suites` and
:mod:`~benchmarks.run` (orchestration), :mod:`~benchmarks.report` and
:mod:`~benchmarks.charts` (output), :mod:`~benchmarks.pandas_ops` (pandas suite).

Examples
--------
$ python -m benchmarks --quick
>>> from benchmarks.run import run_bench                    # doctest: +SKIP
>>> from benchmarks.config import preset                    # doctest: +SKIP
>>> run_bench(preset("quick"))["files"]["markdown"]         # doctest: +SKIP
'bench-results/results.md'
"""

from __future__ import annotations
