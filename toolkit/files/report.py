"""What a file-scoring run did, in a shape made for logs, MLflow and ``_SUCCESS`` files.

Examples
--------
>>> report = ScoreReport(10, 9, 1, 1, 0.5, 20.0)
>>> report.metrics()["rows_invalid"]
1.0
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["ScoreReport"]


@dataclass(frozen=True)
class ScoreReport:
    """What a :func:`score_files` run did; ``params`` says what was asked (for tracking).

    ``rows_out`` = ``rows_in`` - skipped rows; ``rows_invalid`` counts the rows the
    model refused (skipped, or kept with a null prediction). ``seconds`` is the
    wall time of the call, not counting Spark's start-up. ``tasks`` is the number of
    Spark tasks that scored (files engine), or of Spark partitions that wrote output
    (dataframe engine); ``output_files`` the number of data files published.

    Examples
    --------
    >>> report = tk.score_files(model, "in/", "out/")     # doctest: +SKIP
    >>> report.rows_out, round(report.rows_per_second)    # doctest: +SKIP
    (4000000, 3712345)
    """

    rows_in: int
    rows_out: int
    rows_invalid: int
    files: int
    seconds: float
    rows_per_second: float
    destination: str = ""
    output_files: int = 0
    tasks: int = 0
    params: Mapping[str, Any] = field(default_factory=dict)

    def metrics(self) -> dict[str, float]:
        """The numbers of the run, ready for ``mlflow.log_metrics``."""
        names = ("rows_in", "rows_out", "rows_invalid", "files", "output_files", "tasks")
        out: dict[str, float] = {name: float(getattr(self, name)) for name in names}
        out.update(seconds=self.seconds, rows_per_second=self.rows_per_second)
        return out

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"params": dict(self.params)}
