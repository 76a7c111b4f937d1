"""Calls pandas-on-Spark answers with other values than pandas (curated data).

Pure data, in the format of :mod:`adapters.migration.gotchas`. Each is a blocker: the
checker flags it, and :mod:`adapters.pandas` runs the call in pandas under the ``warn``
fallback policy (refuses it under ``raise``) instead of giving a different answer.

Examples
--------
>>> sorted({record["api"] for record in DIFFERENCES})[:2]
['pandas.isna', 'pandas.isnull']
"""

from __future__ import annotations

from typing import Any

__all__ = ["DIFFERENCES"]

DIFFERENCES: tuple[dict[str, Any], ...] = (
    *(
        {
            "api": f"pandas.{name}",
            "severity": "blocker",
            "when": [["obj", "is", "spark.Index"]],
            "message": f"pandas-on-Spark's {name}() sees an Index as one value (False), where "
            "pandas answers per element",
            "suggestion": f"call the method: idx.{name}() (or idx.to_series().{name}())",
        }
        for name in ("isna", "isnull", "notna", "notnull")
    ),
)
