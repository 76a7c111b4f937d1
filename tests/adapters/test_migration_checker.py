"""The static checker: aliases, frame tracking, rule sources, notebooks, CLI. No Spark needed."""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
import textwrap

import pytest

from adapters.migration import check_paths, rulebook, scan_source
from toolkit.cli.main import main


def found(source: str) -> list[tuple[str, str]]:
    return [(f.api, f.severity) for f in scan_source(textwrap.dedent(source), path="x.py")]


def blockers(source: str) -> list[str]:
    return [api for api, severity in found(source) if severity == "blocker"]


# -- aliases and frames -------------------------------------------------------------------


@pytest.mark.parametrize(
    "header, call",
    [
        ("import pandas as pd", "pd.cut"),
        ("import pandas", "pandas.cut"),
        ("import adapters.pandas as pd", "pd.cut"),
        ("from adapters import pandas as xp", "xp.cut"),
        ("from pandas import cut", "cut"),
        ("from pandas import cut as bucket", "bucket"),
    ],
)
def test_every_pandas_alias_is_followed(header, call):
    source = f"{header}\nimport numpy as np\ns = np.arange(3)\nbands = {call}(frame['x'], 3)\n"
    assert blockers(source) == ["pandas.cut"]


def test_nothing_is_reported_without_pandas():
    assert found("import polars as pd\ndf = pd.read_csv('x')\ndf.asfreq('D')\nx.iterrows()\n") == []


def test_frames_from_pandas_calls_carry_their_kind():
    source = """
        import pandas as pd
        df = pd.read_parquet("sales/")
        daily = df.asfreq("D")
        s = df["ts"]
        s.dt.tz_localize("UTC")
        gb = df.groupby("region")
        gb.ngroup()
        gb["amount"].pct_change()
        df.amount.rolling(3).apply(sum)
        pd.DataFrame({"a": [1]}).value_counts()
    """
    assert blockers(source) == [
        "DataFrame.asfreq",
        "Series.dt.tz_localize",
        "DataFrameGroupBy.ngroup",
        "SeriesGroupBy.pct_change",
        "Rolling.apply",
        "DataFrame.value_counts",
    ]


def test_functions_in_the_file_are_followed_when_given_frames():
    source = """
        import pandas as pd

        def clean(frame):
            return frame.convert_dtypes()

        def load() -> pd.DataFrame:
            return pd.read_csv("x.csv")

        out = clean(load())
        load().pipe(clean)
        out.infer_objects()
    """
    assert blockers(source) == ["DataFrame.convert_dtypes", "DataFrame.infer_objects"]


def test_functions_run_by_apply_get_pandas_objects_and_are_not_reported():
    source = """
        import pandas as pd
        df = pd.read_csv("x.csv")
        df["band"] = df["x"].apply(lambda v: pd.cut([v], [0, 1]))
        g = df.groupby("k").apply(lambda part: part.asfreq("D"))
    """
    assert "pandas.cut" not in blockers(source)
    assert "DataFrame.asfreq" not in blockers(source)


def test_positions_are_one_based_and_point_at_the_api():
    findings = scan_source("import pandas as pd\ndf = pd.DataFrame()\nx = df.asfreq('D')\n")
    assert [(f.line, f.col, f.cell) for f in findings] == [(3, 8, None)]


# -- rules come from the installed pyspark, plus the curated table -------------------------


def test_every_stub_in_pyspark_pandas_missing_is_a_blocker():
    import pandas
    import pyspark.pandas as ps
    from pyspark.pandas.missing.frame import MissingPandasLikeDataFrame

    book = rulebook()
    listed = [n for n in vars(MissingPandasLikeDataFrame) if not n.startswith("_")]
    defined = {  # what pyspark defines (not the stubs adapters.pandas may have added)
        n
        for klass in ps.DataFrame.__mro__
        for n, v in vars(klass).items()
        if not getattr(getattr(v, "fget", v), "__scaleout__", False)
    }
    not_implemented = [n for n in listed if n not in defined and hasattr(pandas.DataFrame, n)]
    assert "asfreq" in not_implemented and "to_sql" in not_implemented
    for name in not_implemented:
        assert [r.severity for r in book.rules(f"DataFrame.{name}")][:1] == ["blocker"], name


def test_methods_that_only_raise_not_implemented_are_blockers():
    book = rulebook()  # pyspark defines Series.str.extract, but its body only raises
    assert book.missing("Series.str.extract").source == "pyspark.pandas"
    head = "import pandas as pd\ndf = pd.read_csv('x')\n"
    assert blockers(head + "df['s'].str.extract(r'(\\d+)')") == ["Series.str.extract"]


def test_apis_absent_from_pyspark_altogether_are_blockers_too():
    book = rulebook()
    absent = book.missing("DataFrame.value_counts")
    assert absent is not None and absent.source == "absent"
    assert book.rules("DataFrame.value_counts")[0].severity == "blocker"
    # pandas.pivot_table is missing at the top level, though DataFrame.pivot_table exists
    assert blockers(
        "import pandas as pd\npd.pivot_table(df, values='v', index=['r'], columns='c')"
    ) == ["pandas.pivot_table"]
    assert (
        blockers(
            "import pandas as pd\ndf = pd.read_csv('x')\ndf.pivot_table(values='v', index=['r'], columns='c')"
        )
        == []
    )


def test_unsupported_keywords_come_from_comparing_signatures():
    import pandas
    import pyspark.pandas as ps

    pandas_params = inspect.signature(pandas.DataFrame.merge).parameters
    spark_params = inspect.signature(ps.DataFrame.merge).parameters
    assert "indicator" in pandas_params and "indicator" not in spark_params
    head = "import pandas as pd\ndf = pd.read_csv('x')\n"
    assert blockers(head + "df.merge(df, on='k', indicator=True)") == ["DataFrame.merge"]
    assert blockers(head + "df.merge(df, on='k', indicator=False)") == []  # the default: dropped


def test_curated_conditions_read_literal_arguments():
    head = "import io\nimport pandas as pd\ndf = pd.read_csv('x')\nWINDOW = '7D'\n"
    assert blockers(head + "df['v'].rolling(WINDOW).sum()") == ["Series.rolling"]
    assert blockers(head + "df['v'].rolling(7).sum()") == []
    assert blockers(head + "pd.read_csv(io.StringIO('a,b'))") == ["pandas.read_csv"]
    assert blockers(head + "df['s'].str.split(' ', expand=True)") == ["Series.str.split"]
    assert blockers(head + "df['s'].str.split(' ', n=1, expand=True)") == []
    assert blockers(head + "df.groupby(pd.Grouper(key='t', freq='M')).sum()") == [
        "DataFrame.groupby"
    ]
    assert blockers(head + "pd.DataFrame({'t': pd.date_range('2024', periods=3)})") == [
        "pandas.DataFrame"
    ]


def test_iteration_over_groups_and_series_is_a_blocker():
    source = """
        import pandas as pd
        df = pd.read_csv("x.csv")
        for key, part in df.groupby("k"):
            part.asfreq("D")
        total = sum(df["v"])
        names = [c for c in df]
    """
    assert blockers(source) == ["DataFrameGroupBy.__iter__", "DataFrame.asfreq", "Series.__iter__"]


def test_partial_and_advice_findings():
    source = """
        import pandas as pd
        df = pd.read_csv("x.csv")
        df.pivot_table(values="v", index="region", columns="quarter")
        df.groupby("k", sort=False).sum()
        for _, row in df.iterrows():
            pass
        df.apply(lambda r: r["v"] * 2, axis=1)
        arr = df.values
    """
    assert found(source) == [
        ("DataFrame.pivot_table", "partial"),
        ("DataFrame.groupby", "partial"),
        ("DataFrame.iterrows", "advice"),
        ("DataFrame.apply", "advice"),
        ("DataFrame.values", "advice"),
    ]


def test_typed_functions_get_no_apply_advice():
    source = """
        import pandas as pd
        df = pd.read_csv("x.csv")
        def double(row) -> float:
            return row["v"] * 2
        df.apply(double, axis=1)
    """
    assert found(source) == []


def test_local_only_calls_and_pandas_values_are_fine():
    source = """
        import pandas as pd
        edges = pd.cut([1, 5, 9], 3)
        start = pd.Timestamp("2024-01-01")
        missing = pd.NA
        dtype = pd.Int64Dtype()
    """
    assert found(source) == []


# -- files, notebooks, CLI --------------------------------------------------------------------


def _notebook(*cells: tuple[str, str]) -> str:
    return json.dumps(
        {
            "nbformat": 4,
            "nbformat_minor": 5,
            "metadata": {},
            "cells": [
                {"cell_type": kind, "metadata": {}, "source": src.splitlines(keepends=True)}
                for kind, src in cells
            ],
        }
    )


def test_notebooks_report_cells_and_share_one_namespace(tmp_path, capsys):
    path = tmp_path / "explore.ipynb"
    path.write_text(
        _notebook(
            ("code", "%matplotlib inline\nimport pandas as pd\n!pip list"),
            ("markdown", "# Load\npd.cut(x)"),
            ("code", "df = pd.read_csv('x.csv')\n\ndf.asfreq('D')"),
            ("code", "%%bash\necho pd.cut"),
        )
    )
    assert main(["check", str(path), "--format", "json"]) == 1
    findings = json.loads(capsys.readouterr().out)
    assert findings == [
        {
            "path": str(path),
            "line": 3,
            "col": 4,
            "cell": 3,
            "api": "DataFrame.asfreq",
            "severity": "blocker",
            "message": findings[0]["message"],
            "suggestion": findings[0]["suggestion"],
        }
    ]
    assert "asfreq" in findings[0]["message"] and findings[0]["suggestion"]


def test_cli_text_format_and_exit_status(tmp_path, capsys):
    good = tmp_path / "good.py"
    good.write_text(
        "import pandas as pd\ndf = pd.read_csv('x')\ndf.groupby('k', sort=False).sum()\n"
    )
    bad = tmp_path / "bad.py"
    bad.write_text("import pandas as pd\npd.crosstab(df.a, df.b)\n")
    assert main(["check", str(good)]) == 0
    out = capsys.readouterr().out
    assert f"{good}:3:4: partial DataFrame.groupby:" in out
    assert "0 blocker, 1 partial, 0 advice in 1 file" in out
    assert main(["check", str(tmp_path), "--severity", "blocker"]) == 1
    out = capsys.readouterr().out
    assert f"{bad}:2:4: blocker pandas.crosstab:" in out and "partial DataFrame.groupby" not in out


def test_unparseable_files_are_reported_not_skipped(tmp_path, capsys):
    (tmp_path / "broken.py").write_text("def f(:\n")
    assert main(["check", str(tmp_path)]) == 2
    assert "cannot parse" in capsys.readouterr().err


def test_missing_path_is_a_clear_error(tmp_path, capsys):
    # 2, not 1: exit status 1 means "a blocker was found"
    assert main(["check", str(tmp_path / "nope.py")]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == [f"scaleout check: error: {tmp_path / 'nope.py'}: does not exist; pass .py "
                   "files, .ipynb notebooks or directories holding them"]  # fmt: skip


def test_directories_skip_virtualenvs_and_hidden_folders(tmp_path):
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / "lib.py").write_text("import pandas as pd\npd.cut(a, 2)\n")
    (tmp_path / "job.py").write_text("import pandas as pd\npd.cut(a, 2)\n")
    result = check_paths([tmp_path])
    assert result.files == 1 and [f.path for f in result.findings] == [str(tmp_path / "job.py")]


def test_check_only_reads_code_that_would_delete_files_or_loop_forever(tmp_path):
    canary = tmp_path / "precious"
    canary.mkdir()
    (canary / "data.csv").write_text("a\n1\n")
    script = tmp_path / "dangerous.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import shutil
            import pandas as pd
            shutil.rmtree({str(canary)!r})
            open({str(tmp_path / "created.txt")!r}, "w").write("ran")
            df = pd.read_csv("x.csv")
            while True:
                df = df.asfreq("D")
            """
        )
    )
    done = subprocess.run(
        [sys.executable, "-m", "toolkit.cli", "check", str(script)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr
    assert "blocker DataFrame.asfreq" in done.stdout
    assert (canary / "data.csv").exists() and not (tmp_path / "created.txt").exists()


# -- argument values, usages and data pandas-on-Spark cannot hold (issue 14) ---------------

_FRAME = "import pandas as pd\nimport numpy as np\ndf = pd.DataFrame({'a': [1, 2], 'b': [3, 4]})\n"
_SERIES = "import pandas as pd\nimport numpy as np\ns = pd.Series([1, 2, 3])\n"


@pytest.mark.parametrize(
    "header, line, near_miss, api",
    [
        (_FRAME, "df.diff(axis=1)", "df.diff(axis=0)", "DataFrame.diff"),
        (
            _FRAME,
            "df.corr(method=lambda a, b: 1.0)",
            "df.corr(method='spearman')",
            "DataFrame.corr",
        ),
        (
            _FRAME,
            "df.insert(0, 'a', [5, 6], allow_duplicates=True)",
            "df.insert(0, 'c', [5, 6])",
            "DataFrame.insert",
        ),
        (
            _FRAME,
            "df.groupby('a').rolling(2, on='b').sum()",
            "df.groupby('a').rolling(2).sum()",
            "DataFrameGroupBy.rolling",
        ),
        (_FRAME, "df.agg(x=('a', 'max'))", "df.agg({'a': ['max']})", "DataFrame.agg"),
        (_FRAME, "df.take([-1, 0])", "df.take([0, 1])", "DataFrame.take"),
        (
            _FRAME,
            "df.melt(id_vars=['a'], value_vars=['b', 'a'])",
            "df.melt(id_vars=['a'], value_vars=['b'])",
            "DataFrame.melt",
        ),
        (_FRAME, "df.groupby([1, 1]).sum()", "df.groupby(['a', 'b']).sum()", "DataFrame.groupby"),
        (
            _FRAME,
            "df.set_index([pd.Index([5, 6]), 'a'])",
            "df.set_index(['a', 'b'])",
            "DataFrame.set_index",
        ),
        (_FRAME, "df.dot(np.array([[1], [2]]))", "df.dot(pd.Series([1, 2]))", "DataFrame.dot"),
        (
            _FRAME,
            "df.T.groupby(np.array([0, 1])).sum()",
            "df.groupby('a').sum()",
            "DataFrame.groupby",
        ),
        (_SERIES, "s.groupby([1, 1, 2]).min()", "s.groupby(s > 1).min()", "Series.groupby"),
        (_SERIES, "s.rename({1: 3})", "s.rename('x')", "Series.rename"),
        (_SERIES, "s.update([4, 5, 6])", "s.update(pd.Series([4]))", "Series.update"),
        (
            _SERIES,
            "s.value_counts(bins=3)",
            "s.value_counts(normalize=True)",
            "Series.value_counts",
        ),
        (_SERIES, "s.add(pd.Series([1]), fill_value=0)", "s.add(1, fill_value=0)", "Series.add"),
        (_SERIES, "pd.get_dummies(['a', 'b'])", "pd.get_dummies(s)", "pandas.get_dummies"),
        (
            _SERIES,
            "pd.date_range('2018', periods=3, tz='UTC')",
            "pd.date_range('2018', periods=3)",
            "pandas.date_range",
        ),
        (_SERIES, "s.groupby(s).agg(['min', 'max'])", "s.groupby(s).min()", "SeriesGroupBy.agg"),
        (
            _SERIES,
            "for m in ['min', 'first']:\n    s.groupby(s).rank(m)",
            "for m in ['min', 'max']:\n    s.groupby(s).rank(m)",
            "SeriesGroupBy.rank",
        ),
        # operators, assignments, indexers, numpy
        (_FRAME, "df - [1, 2]", "df - 1", "DataFrame.__sub__"),
        (_FRAME, "df != pd.Series([1, 2])", "df != df", "DataFrame.__ne__"),
        (_FRAME, "~df", "~df['a']", "DataFrame.__invert__"),
        (_FRAME, "df.loc[df.index < 1]", "df.loc[df['a'] < 1]", "Index.__lt__"),
        (_FRAME, "df.index[:1]", "df.columns[:1]", "Index.__getitem__"),
        (_FRAME, "df.index = [5, 6]", "df.columns = ['x', 'y']", "DataFrame.__setattr__"),
        (
            _FRAME,
            "df.columns = pd.MultiIndex.from_tuples([('c', 'e'), ('d', 'f')])",
            "df.columns = ['x', 'y']",
            "DataFrame.__setattr__",
        ),
        (_FRAME, "df.at[0, 'a'] = 10", "df.at[0, 'a']", "DataFrame.at.__setitem__"),
        (_SERIES, "s[0] = 10", "s[0]", "Series.__setitem__"),
        (_FRAME, "df.loc[[False, True]]", "df.loc[[0, 1]]", "DataFrame.loc.__getitem__"),
        (
            _FRAME,
            "df.loc['2016-01-05':'2016-01-10', :]",
            "df.loc['a':'b', :]",
            "DataFrame.loc.__getitem__",
        ),
        (_FRAME, "np.where(df > 1, df, -df)", "np.sqrt(df)", "DataFrame.__array__"),
        (
            _FRAME,
            "df.apply(lambda r: pd.Series([1, 2]), axis=1)",
            "df.apply(lambda r: [1, 2], axis=1)",
            "pandas.Series",
        ),
        # constructors of data Spark cannot hold
        (
            _SERIES,
            "pd.Series([1, 0], dtype=np.uint8)",
            "pd.Series([1, 0], dtype=np.int64)",
            "pandas.Series",
        ),
        (
            _SERIES,
            "pd.Series([0, 2], dtype='Sparse[int]')",
            "pd.Series([0, 2], dtype='int32')",
            "pandas.Series",
        ),
        (_SERIES, "pd.Series([1.2 + 1j])", "pd.Series([1.2 + 1])", "pandas.Series"),
        (
            _SERIES,
            "pd.Series([pd.Timestamp('2016', tz='UTC') for _ in range(3)])",
            "pd.Series([pd.Timestamp('2016') for _ in range(3)])",
            "pandas.Series",
        ),
        (
            _SERIES,
            "pd.Series(['1.0', 2, None])",
            "pd.Series(['1.0', np.nan, None])",
            "pandas.Series",
        ),
        (
            _SERIES,
            "pd.DataFrame({'A': [[0, 1], 'foo']})",
            "pd.DataFrame({'A': ['bar', 'foo']})",
            "pandas.DataFrame",
        ),
        (  # lists in cells come back as read-only numpy arrays; rows of lists are rows
            _SERIES,
            "pd.DataFrame({'A': [[0, 1], []]})",
            "pd.DataFrame([[0, 1], [2, 3]])",
            "pandas.DataFrame",
        ),
        (_SERIES, "pd.Series([[1, 2], [3, 4]])", "pd.Series([1, 2])", "pandas.Series"),
        (
            _SERIES,
            "pd.DataFrame([('a', 1), ('b', 'x')])",
            "pd.DataFrame([('a', 1), ('b', 2)])",
            "pandas.DataFrame",
        ),
        (
            _SERIES,
            "pd.DataFrame.from_dict({'r': [1, 2], 'q': ['a', 'b']}, orient='index')",
            "pd.DataFrame.from_dict({'r': [1, 2], 'q': ['a', 'b']})",
            "DataFrame.from_dict",
        ),
        (
            _SERIES,
            "pd.Series([1, 2], index=pd.period_range('2023', periods=2, freq='Y'))",
            "pd.Series([1, 2], index=pd.date_range('2023', periods=2))",
            "pandas.Series",
        ),
    ],
)
def test_usages_and_unholdable_data_are_blockers_on_their_line(header, line, near_miss, api):
    at = header.count("\n") + line.count("\n") + 1  # the snippet's last line
    hits = scan_source(header + line + "\n", path="x.py")
    assert (api, at) in {(f.api, f.line) for f in hits if f.severity == "blocker"}
    missed = scan_source(header + near_miss + "\n", path="x.py")
    assert api not in {f.api for f in missed if f.severity == "blocker"}
