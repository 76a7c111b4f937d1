"""The static checker measured against what the adapter did under fallback ``raise``.

Each block's script (``import pandas as pd``, ``import numpy as np``, then its statements)
goes through :func:`adapters.migration.scan_source`. The checker *predicts a failure*
when it reports any ``blocker``; the truth is whether the block raised on the spark
backend under fallback ``raise``. :func:`score` gives precision and recall of that
prediction and the *on-statement* rate: of the blocks predicted and failing, the share
whose first blocker lies on the lines of the statement that raised.

Examples
--------
>>> from benchmarks.dropin.corpus import Block, Statement
>>> block = Block("b", (Statement("pd.Series([1]).sum()\\n", "1\\n", 3),))
>>> predict(block).blocker
False
>>> score([predict(block)], {"b": None})["precision"] is None
True
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from benchmarks.dropin.corpus import Block

__all__ = ["Prediction", "predict", "score"]


@dataclass
class Prediction:
    """What the checker says about one block: blockers (line, api) in line order."""

    name: str
    blockers: list[tuple[int, str]] = field(default_factory=list)
    error: str = ""

    @property
    def blocker(self) -> bool:
        """Whether the checker predicts that the block fails on pandas-on-Spark."""
        return bool(self.blockers)

    def as_dict(self) -> dict[str, Any]:
        """The prediction as JSON-ready data."""
        return asdict(self) | {"blocker": self.blocker}


def predict(block: Block) -> Prediction:
    """Scan ``block.script()`` and keep its blocker findings."""
    from adapters.migration import scan_source

    prediction = Prediction(block.name)
    try:
        findings = scan_source(block.script(), path=f"{block.name}.py")
    except Exception as error:  # noqa: BLE001 - a checker failure is reported, not fatal
        prediction.error = (
            f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
        )
        return prediction
    prediction.blockers = sorted((f.line, f.api) for f in findings if f.severity == "blocker")
    return prediction


def _ratio(hit: int, total: int) -> float | None:
    return hit / total if total else None


def score(
    predictions: Iterable[Prediction], failures: Mapping[str, range | None]
) -> dict[str, Any]:
    """Precision, recall and on-statement rate of the checker's blocker predictions.

    Parameters
    ----------
    predictions : iterable of Prediction
        One per block.
    failures : mapping
        Block name -> the script lines of the statement that raised under ``raise``, or
        None when the block did not raise.

    Returns
    -------
    dict
        ``precision``, ``recall``, ``on_statement`` (None when undefined), their counts,
        and the names of ``false_positives``, ``false_negatives`` and ``off_statement``
        blocks.

    Examples
    --------
    >>> hit = Prediction("a", [(4, "pandas.cut")])
    >>> miss = Prediction("b")
    >>> result = score([hit, miss], {"a": range(4, 5), "b": range(3, 4)})
    >>> result["precision"], result["recall"], result["on_statement"]
    (1.0, 0.5, 1.0)
    """
    by_name = {p.name: p for p in predictions}
    flagged = {n for n, p in by_name.items() if p.blocker}
    failed = {n for n in by_name if failures.get(n) is not None}
    hit = flagged & failed
    on = {n for n in hit if by_name[n].blockers[0][0] in failures[n]}  # type: ignore[operator]
    return {
        "precision": _ratio(len(hit), len(flagged)),
        "recall": _ratio(len(hit), len(failed)),
        "on_statement": _ratio(len(on), len(hit)),
        "predicted": len(flagged),
        "failed": len(failed),
        "true_positives": len(hit),
        "on_statement_count": len(on),
        "false_positives": sorted(flagged - failed),
        "false_negatives": sorted(failed - flagged),
        "off_statement": sorted(hit - on),
        "checker_errors": {n: p.error for n, p in sorted(by_name.items()) if p.error},
    }
