"""The drop-in harness: pandas' own docstring examples, on pandas and on ``adapters.pandas``.

Nobody on the project wrote these examples, so they measure the promise of
``import adapters.pandas as pd`` from outside. :mod:`~benchmarks.dropin.corpus` builds
the blocks from the installed pandas, :mod:`~benchmarks.dropin.execute` runs one block,
:mod:`~benchmarks.dropin.compare` classifies a value (identical, same values,
different), :mod:`~benchmarks.dropin.run` runs the corpus on pandas and on the spark
backend under fallback ``raise`` and ``warn``, :mod:`~benchmarks.dropin.checker` scores
the migration checker against what raised, :mod:`~benchmarks.dropin.report` prints and
writes the numbers. ``docs/dropin.md`` has the measured figures.

Examples
--------
$ python -m benchmarks.dropin --sample 200 --json dropin.json
>>> from benchmarks.dropin.corpus import candidates, select
>>> len(select(candidates(), sample=25))
25
"""

from __future__ import annotations

__all__: list[str] = []
