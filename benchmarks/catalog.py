"""Every scoring path by name: the one place that knows both the own paths and the peers.

Examples
--------
>>> make_path("limit").kind
'limit'
"""

from __future__ import annotations

from benchmarks.paths import (
    HandOverFloor,
    Limit,
    MLlib,
    MLlibNoAssembly,
    ScoreAuto,
    ScoreDataFrame,
    ScoreFiles,
    ScoreOnnx,
    ScoringPath,
)
from benchmarks.peers import MlflowUDF, PredictBatchUDF

__all__ = ["make_path"]

_CLASSES = (MLlib, MLlibNoAssembly, ScoreDataFrame, ScoreAuto, ScoreOnnx, ScoreFiles, Limit,
            HandOverFloor, MlflowUDF, PredictBatchUDF)  # fmt: skip


def make_path(name: str) -> ScoringPath:
    """A new path object by name (see :data:`benchmarks.config.PATHS`).

    Examples
    --------
    >>> make_path("score_files").name
    'score_files'
    """
    return {cls.name: cls for cls in _CLASSES}[name]()
