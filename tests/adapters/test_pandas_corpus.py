"""The corpus: realistic pandas snippets run on both backends and measured against the checker.

Each file in ``corpus/`` is plain pandas code (``import pandas as pd``) that leaves its
answer in ``result``. It runs as written on the pandas backend, and with that one import
changed to ``import adapters.pandas as pd`` on the spark backend: first with the fallback
policy ``raise`` (what fails there is what pandas-on-Spark cannot do), then, for the
snippets that failed, with ``warn`` (the fallback must give the pandas answer). The
checker reads the original text. Results are compared as pandas, order-insensitively
(rows are sorted) unless the snippet says ``# corpus: ordered``.
"""

from __future__ import annotations

import math
import re
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas
import pytest

import adapters.pandas as apd
from adapters.migration import scan_source
from toolkit.exceptions import ToolkitAdviceWarning, UnsupportedPandasAPIError

CORPUS = Path(__file__).parent / "corpus"
SNIPPETS = sorted(CORPUS.glob("*.py"))
IMPORT = "import pandas as pd"
CATEGORIES = {
    "clean",
    "groupby",
    "merge",
    "pivot",
    "datetime",
    "strings",
    "window",
    "reshape",
    "io",
}
# Blocked snippets whose pandas result pandas-on-Spark cannot hold, so even the fallback
# must refuse (clearly) instead of returning a pandas-on-Spark object.
NO_SPARK_RESULT = {"datetime_04_tz_localize": "timezone-aware timestamps"}


@dataclass
class Outcome:
    """What happened to one snippet on the spark backend."""

    native: Any = None  # result with fallback "raise", or None
    error: BaseException | None = None  # what "raise" raised
    fallback: Any = None  # result with fallback "warn" (only after an error)
    fallback_error: BaseException | None = None
    advice: list[str] = field(default_factory=list)


def _code(path: Path, *, drop_in: bool) -> Any:
    text = path.read_text()
    assert text.count(IMPORT) == 1, f"{path.name} must import pandas exactly once"
    if drop_in:
        text = text.replace(IMPORT, "import adapters.pandas as pd")
    return compile(text, str(path), "exec")


def _run(path: Path, *, drop_in: bool) -> Any:
    namespace: dict[str, Any] = {"__name__": f"corpus_{path.stem}"}
    exec(_code(path, drop_in=drop_in), namespace)
    return namespace["result"]


@pytest.fixture(scope="module", autouse=True)
def _temporary_files_in_pytest_tmp(tmp_path_factory):
    """The IO snippets call tempfile.mkdtemp(); keep their files under pytest's tmp dir."""
    previous = tempfile.tempdir
    tempfile.tempdir = str(tmp_path_factory.mktemp("corpus"))
    yield
    tempfile.tempdir = previous


@pytest.fixture(scope="module")
def expected() -> dict[str, Any]:
    with apd.backend("pandas"), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. SettingWithCopyWarning: the snippets are real code
        return {p.stem: _run(p, drop_in=False) for p in SNIPPETS}


@pytest.fixture(scope="module")
def findings() -> dict[str, list[Any]]:
    return {p.stem: scan_source(p.read_text(), path=p.name) for p in SNIPPETS}


@pytest.fixture(scope="module")
def outcomes(spark) -> dict[str, Outcome]:
    results: dict[str, Outcome] = {}
    with apd.backend("spark"):
        for path in SNIPPETS:
            outcome = results[path.stem] = Outcome()
            try:
                with apd.fallback("raise"), warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    outcome.native = _as_pandas(_run(path, drop_in=True))
                continue
            except Exception as exc:  # noqa: BLE001 - recorded, judged by the tests
                outcome.error = exc
            try:
                with apd.fallback("warn"), warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    outcome.fallback = _as_pandas(_run(path, drop_in=True))
                outcome.advice = [
                    str(w.message) for w in caught if issubclass(w.category, ToolkitAdviceWarning)
                ]
            except Exception as exc:  # noqa: BLE001
                outcome.fallback_error = exc
    return results


def _severities(found: list[Any]) -> set[str]:
    return {f.severity for f in found}


# -- the corpus itself ------------------------------------------------------------------


def test_corpus_is_large_and_covers_the_usual_work():
    assert len(SNIPPETS) >= 30
    assert {p.stem.split("_")[0] for p in SNIPPETS} >= CATEGORIES


def test_corpus_holds_real_failures_and_real_successes(findings):
    flagged = [name for name, found in findings.items() if "blocker" in _severities(found)]
    assert 10 <= len(flagged) <= len(SNIPPETS) - 10


def test_every_snippet_runs_on_pandas(expected):
    assert set(expected) == {p.stem for p in SNIPPETS}


# -- the checker measured against reality -----------------------------------------------------


def test_blocker_precision_and_recall_are_100_percent(findings, outcomes):
    flagged = {name for name, found in findings.items() if "blocker" in _severities(found)}
    failed = {name for name, outcome in outcomes.items() if outcome.error is not None}
    hit = flagged & failed
    precision = len(hit) / len(flagged) if flagged else 1.0
    recall = len(hit) / len(failed) if failed else 1.0
    report = (
        f"precision {precision:.0%} ({len(hit)}/{len(flagged)}), "
        f"recall {recall:.0%} ({len(hit)}/{len(failed)})\n"
        f"flagged but ran: {sorted(flagged - failed)}\n"
        + "".join(
            f"failed but not flagged: {name}: {outcomes[name].error!r}\n"
            for name in sorted(failed - flagged)
        )
    )
    print(report)
    assert (precision, recall) == (1.0, 1.0), report


def test_failures_are_the_adapters_error_naming_a_flagged_api(findings, outcomes):
    for name, outcome in outcomes.items():
        if outcome.error is None:
            continue
        assert isinstance(outcome.error, UnsupportedPandasAPIError), (name, outcome.error)
        apis = {f.api for f in findings[name] if f.severity == "blocker"}
        named = re.match(r"[\w.]+", str(outcome.error)).group(0)
        assert named in apis, (name, named, apis)
        assert "Instead:" in str(outcome.error), name


# -- results are the pandas results ----------------------------------------------------------


@pytest.mark.parametrize("name", [p.stem for p in SNIPPETS])
def test_spark_backend_gives_the_pandas_result(name, expected, findings, outcomes):
    outcome = outcomes[name]
    if "partial" in _severities(findings[name]):
        pytest.skip("the checker says pandas-on-Spark behaves differently here (partial)")
    if name in NO_SPARK_RESULT:
        assert isinstance(outcome.fallback_error, UnsupportedPandasAPIError), outcome
        assert "cannot go back to Spark" in str(outcome.fallback_error)
        return
    if outcome.error is None:
        got = outcome.native
    else:
        assert outcome.fallback_error is None, f"fallback 'warn' failed: {outcome.fallback_error!r}"
        assert outcome.advice, "a fallback must warn (ToolkitAdviceWarning)"
        got = outcome.fallback
    ordered = "# corpus: ordered" in (CORPUS / f"{name}.py").read_text()
    assert_same(got, expected[name], ordered=ordered)


def test_partial_snippets_still_run(findings, outcomes):
    partial = [n for n, found in findings.items() if "partial" in _severities(found)]
    assert partial
    for name in partial:
        outcome = outcomes[name]
        assert outcome.error is None or outcome.fallback_error is None, name


# -- comparing results as pandas ---------------------------------------------------------------


def _as_pandas(value: Any) -> Any:
    if type(value).__module__.startswith("pyspark.pandas"):
        return value.to_pandas()
    return value


def _canonical(frame: pandas.DataFrame, *, ordered: bool, numbered: bool) -> pandas.DataFrame:
    """Index as columns (dropped when it only numbers rows of an unordered result), dtypes
    loosened, rows sorted unless ``ordered``."""
    flat = frame.reset_index(drop=numbered and not ordered)
    flat.columns = [str(c) for c in flat.columns]
    for column in flat.columns:
        values = flat[column]
        if isinstance(values.dtype, pandas.CategoricalDtype):
            values = values.astype(object)  # a fallback gives categories back as values
        if pandas.api.types.is_bool_dtype(values.dtype):
            values = values.astype(object)
        elif pandas.api.types.is_numeric_dtype(values.dtype):
            values = values.astype("float64")
        elif values.dtype == object:
            values = values.map(lambda v: None if v is None or v is pandas.NA or v != v else v)
        flat[column] = values
    if not ordered:
        flat = flat.sort_values(list(flat.columns), key=lambda s: s.astype(str), kind="mergesort")
        flat = flat.reset_index(drop=True)
    return flat


def assert_same(got: Any, want: Any, *, ordered: bool = False) -> None:
    """Equal as pandas: dtypes loosely (int/float, category/values), rows sorted unless ordered."""
    if isinstance(want, pandas.Index):
        want, got = want.to_series(), pandas.Index(got).to_series()
    if isinstance(want, pandas.Series):
        want, got = want.to_frame(), pandas.Series(got).to_frame()
    if isinstance(want, pandas.DataFrame):
        assert isinstance(got, pandas.DataFrame), type(got)
        numbered = isinstance(want.index, pandas.RangeIndex)  # row numbers, not labels
        pandas.testing.assert_frame_equal(
            _canonical(got, ordered=ordered, numbered=numbered),
            _canonical(want, ordered=ordered, numbered=numbered),
            check_dtype=False,
            check_names=False,
            rtol=1e-9,
        )
    elif isinstance(want, float) and math.isnan(want):
        assert math.isnan(got)
    elif isinstance(want, (float, np.floating)):
        assert got == pytest.approx(want)
    else:
        assert got == want
