"""Drop-in pandas on Spark: change one import, ``import adapters.pandas as pd``.

Every top-level pandas name (``DataFrame``, ``read_csv``, ``merge``, ``cut``, ``NA``,
...) resolves against the active backend when it is used:

- ``"pandas"`` (default): plain pandas, zero overhead;
- ``"spark"``: pandas-on-Spark on ``toolkit.session.api()``.

Choose with :func:`set_backend`, a ``with backend("spark"):`` block, or
``$SCALEOUT_BACKEND``. On the spark backend, pandas APIs pandas-on-Spark lacks follow
the fallback policy (:func:`set_fallback`): ``raise`` an
:class:`~toolkit.exceptions.UnsupportedPandasAPIError` naming the alternative, or
(``warn``, the default, and ``silent``) run them in pandas on the driver when at most
``max_rows`` rows move there, giving back pandas-on-Spark objects. pandas data Spark
cannot hold without changing it (time zones, unsigned or complex numbers, mixed-kind or
list cells, ...) is refused under ``raise`` and stays a pandas object under ``warn``.
:func:`fallback_report` lists what fell back. Importing this module starts no JVM.

Examples
--------
>>> import adapters.pandas as pd
>>> pd.get_backend()
'pandas'
>>> with pd.backend("spark"):                                  # doctest: +SKIP
...     df = pd.DataFrame({"region": ["a", "b"], "amount": [1.0, 2.0]})
...     df["band"] = pd.cut(df["amount"], bins=[0, 1, 5], labels=["low", "high"])
>>> pd.fallback_report()                                       # doctest: +SKIP
          api  calls  rows_to_driver  rows_to_spark
0  pandas.cut      1               2              2
"""

from __future__ import annotations

from typing import Any

from adapters.pandas._backend import backend, get_backend, resolve, set_backend
from adapters.pandas._policy import (
    FallbackPolicy,
    fallback,
    fallback_report,
    get_fallback,
    set_fallback,
)

__all__ = [
    "FallbackPolicy",
    "backend",
    "fallback",
    "fallback_report",
    "get_backend",
    "get_fallback",
    "hooks_installed",
    "set_backend",
    "set_fallback",
]


def hooks_installed() -> bool:
    """Whether the adapter has patched pandas-on-Spark's classes in this process.

    Raw ``pyspark.pandas`` measured after that point is not raw any more.

    Examples
    --------
    >>> isinstance(hooks_installed(), bool)
    True
    """
    from adapters.pandas import _hooks

    return _hooks.installed()


def __getattr__(name: str) -> Any:
    return resolve(name)


def __dir__() -> list[str]:
    import pandas

    return sorted(set(__all__) | {n for n in dir(pandas) if not n.startswith("_")})
