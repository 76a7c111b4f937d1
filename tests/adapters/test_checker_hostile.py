"""Hostile input to ``scaleout check``: one error line per bad file, exit 2, never a traceback.

Each bad file is checked next to a good one, so the tests also show that the other files
are still checked and reported. The deepest inputs also run in a fresh interpreter, which
must exit normally (no segfault from a C stack overflow in the parser).
"""

from __future__ import annotations

import inspect
import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

from adapters.migration import SourceParseError, check_paths, rulebook, scan_source
from adapters.migration.scanner import MAX_NESTING
from adapters.migration.sources import notebook_cells, read_chunks
from toolkit.cli.main import main
from toolkit.exceptions import InputFileError, ToolkitError

GOOD = "import pandas as pd\ndf = pd.read_csv('x.csv')\ndf.groupby('k', sort=False).sum()\n"

# name -> (file content, what the error line must say)
HOSTILE: dict[str, tuple[bytes, str]] = {
    "random.py": (
        bytes([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0xFF, 0x00, 0xC3]),
        "cannot parse: not UTF-8 text (byte 0x89 at offset 0)",
    ),
    "late_bad_byte.py": (b"x = 1\ny = 2\nz = '\xff'\n", "not UTF-8 text (byte 0xff at offset 17)"),
    "nul.py": (b"x = 1\x00\x00\n", "cannot parse: binary file (NUL byte at offset 5)"),
    "cookie.py": (
        b"# -*- coding: nonsense -*-\nx = 1\n",
        "cannot parse: unknown encoding 'nonsense' in its coding line",
    ),
    "latin.py": (b"# -*- coding: ascii -*-\nx = '\xe9'\n", "not ascii text (byte 0xe9 at offset"),
    "list.ipynb": (b"[]", "cannot parse: not a notebook: the JSON holds a list"),
    "cells_number.ipynb": (b'{"cells": 5}', "not a notebook: 'cells' is a number, expected a list"),
    "cells_object.ipynb": (b'{"cells": {}}', "not a notebook: 'cells' is an object"),
    "cell_string.ipynb": (b'{"cells": ["x = 1"]}', "not a notebook: cell 1 is a string"),
    "cell_source.ipynb": (
        b'{"cells": [{"cell_type": "code", "source": [1, 2]}]}',
        "not a notebook: the source of cell 1 is a list, expected text or a list of lines",
    ),
    "no_cells.ipynb": (b"{}", "not a notebook: the JSON object has no 'cells' list"),
    "not_json.ipynb": (b"hello", "cannot parse: not a notebook: invalid JSON (Expecting value"),
    "binary.ipynb": (b"\x89PNG\r\n", "cannot parse: not UTF-8 text (byte 0x89 at offset 0)"),
    "bom_bad_byte.py": (b"\xef\xbb\xbfx = 1\n\xff", "not UTF-8 text (byte 0xff at offset 9)"),
    "deep_json.ipynb": (b"[" * 200_000, "not a notebook: JSON nested too deeply"),
    "parens.py": (b"(" * 200_000 + b"1" + b")" * 200_000, "cannot parse: too many nested"),
    "minus.py": (b"-" * 200_000 + b"1", "cannot parse: nested too deeply for Python's parser"),
    "nots.py": (b"x = " + b"not " * 100_000 + b"y\n", "cannot parse: nested too deeply"),
    "plus.py": (b"x = " + b"1 + " * 100_000 + b"1\n", "cannot parse: nested"),
    "chain.py": (b"x = y" + b".a" * 100_000 + b"\n", "cannot parse: nested"),
    "walk_deep.py": (  # parses fine, but deeper than the checker follows
        b"import pandas as pd\nx = " + b"-" * (MAX_NESTING + 50) + b"pd.cut(a, 2)\n",
        f"walk_deep.py:2: cannot parse: nested more than {MAX_NESTING} levels deep",
    ),
    "syntax.py": (b"def f(:\n", "syntax.py:1: cannot parse: invalid syntax"),
}


def _write(tmp_path: Path, name: str, content: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_each_hostile_file_is_one_error_line_and_exit_2(tmp_path, capsys, name):
    content, reason = HOSTILE[name]
    bad = _write(tmp_path, name, content)
    assert main(["check", str(bad)]) == 2
    out, err = capsys.readouterr()
    assert err.splitlines() == [err.rstrip("\n")], err
    assert err.startswith(f"scaleout check: error: {bad}") and reason in err, err
    assert err.count("scaleout check") == 1 and "Traceback" not in out + err
    assert out.splitlines()[-1] == "0 blocker, 0 partial, 0 advice in 1 file; 1 error"


def test_the_other_files_are_still_checked_and_a_blocker_outranks_errors(tmp_path, capsys):
    for name, (content, _) in HOSTILE.items():
        _write(tmp_path, name, content)
    (tmp_path / "good.py").write_text(GOOD)
    assert main(["check", str(tmp_path), "--format", "json"]) == 2
    out, err = capsys.readouterr()
    assert [f["api"] for f in json.loads(out)] == ["DataFrame.groupby"]
    lines = err.splitlines()
    assert len(lines) == len(HOSTILE) and "Traceback" not in err
    for name in HOSTILE:
        assert sum(f"error: {tmp_path / name}" in line for line in lines) == 1, name
    # a blocker in one file: exit 1 (the documented order), the errors are still printed
    (tmp_path / "blocker.py").write_text("import pandas as pd\npd.crosstab(a, b)\n")
    assert main(["check", str(tmp_path)]) == 1
    out, err = capsys.readouterr()
    assert "blocker pandas.crosstab" in out and len(err.splitlines()) == len(HOSTILE)


def test_missing_paths_are_named_once_and_the_rest_is_checked(tmp_path, capsys):
    good = tmp_path / "good.py"
    good.write_text(GOOD)
    assert main(["check", "nothere.py", str(good), str(tmp_path / "gone")]) == 2
    out, err = capsys.readouterr()
    assert err.splitlines() == [
        "scaleout check: error: nothere.py: does not exist; pass .py files, .ipynb notebooks "
        "or directories holding them",
        f"scaleout check: error: {tmp_path / 'gone'}: does not exist; pass .py files, "
        ".ipynb notebooks or directories holding them",
    ]
    assert "partial DataFrame.groupby" in out and out.splitlines()[-1].endswith("1 file; 2 errors")


def test_a_notebook_with_one_bad_cell_still_reports_the_others(tmp_path, capsys):
    cells = [
        {"cell_type": "code", "source": "import pandas as pd\ndf = pd.read_csv('x')"},
        {"cell_type": "code", "source": "-" * 200_000 + "1"},
        {"cell_type": "code", "source": "df.asfreq('D')"},
    ]
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps({"cells": cells}))
    assert main(["check", str(path)]) == 1
    out, err = capsys.readouterr()
    assert f"{path}[cell 3]:1:4: blocker DataFrame.asfreq" in out
    assert err.splitlines() == [
        f"scaleout check: error: {path}[cell 2]:1: cannot parse: nested too deeply for "
        "Python's parser (split the expression into named steps)"
    ]


def test_file_names_cannot_break_the_one_line_per_file_rule(tmp_path, capsys):
    bad = _write(tmp_path, "two\nlines.py", b"\x00")
    assert main(["check", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.splitlines() == [f"scaleout check: error: {tmp_path}/two\\nlines.py: cannot "
                                "parse: binary file (NUL byte at offset 0), not Python source"]  # fmt: skip


@pytest.mark.parametrize("seed", range(5))
def test_random_bytes_are_one_error_line(tmp_path, capsys, seed):
    bad = _write(tmp_path, "noise.py", random.Random(seed).randbytes(4096))
    nb = _write(tmp_path, "noise.ipynb", random.Random(seed).randbytes(4096))
    assert main(["check", str(bad), str(nb)]) == 2
    out, err = capsys.readouterr()
    lines = err.splitlines()
    assert len(lines) == 2 and "Traceback" not in out + err
    assert lines[0].startswith(f"scaleout check: error: {bad}") and "cannot parse" in lines[0]
    assert lines[1].startswith(f"scaleout check: error: {nb}: cannot parse: not")


def test_findings_in_oddly_named_files_stay_on_one_line(tmp_path, capsys):
    odd = tmp_path / "a\x1b[31mred\nb.py"
    odd.write_text("import pandas as pd\npd.crosstab(a, b)\n")
    assert main(["check", str(odd)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"{tmp_path}/a\\x1b[31mred\\nb.py:2:4: blocker pandas.crosstab")
    assert len(out) == 2


def test_the_python_api_raises_a_named_toolkit_error(tmp_path):
    for name, (content, reason) in HOSTILE.items():
        path = _write(tmp_path, name, content)
        with pytest.raises(SourceParseError) as info:
            for chunk in read_chunks(path):
                scan_source(chunk.source, path=str(path), cell=chunk.cell)
        assert reason in str(info.value) and str(path) in str(info.value), name
        error = info.value
        assert all(isinstance(error, c) for c in (ToolkitError, InputFileError, SyntaxError))
    with pytest.raises(SourceParseError, match="'cells' is a string, expected a list"):
        notebook_cells({"cells": "abc"})
    with pytest.raises(SourceParseError, match=r"^<string>:1: cannot parse: nested too deeply"):
        scan_source("-" * 200_000 + "1")
    with pytest.raises(SyntaxError):  # what scan_source raised before stays catchable
        scan_source("def f(:")
    result = check_paths([tmp_path / "nul.py", tmp_path / "nothere.py"])
    assert result.files == 1 and len(result.errors) == 2 and result.findings == []


def test_running_out_of_stack_while_walking_is_a_parse_error_too():
    """Following a function from a deep call site adds depths up; the walk's own guard."""
    source = "import pandas as pd\nx = " + "-" * 250 + "pd.cut(a, 2)\n"
    rulebook()  # built (and cached) at the normal limit
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(len(inspect.stack(0)) + 250)
    try:
        with pytest.raises(SourceParseError, match=r"^<string>:1: cannot parse: nested too "
                           r"deeply to follow \(split the deepest expression"):  # fmt: skip
            scan_source(source)
    finally:
        sys.setrecursionlimit(limit)
    assert [f.api for f in scan_source(source)] == ["pandas.cut"]


def test_string_annotations_are_parsed_safely():
    source = "import pandas as pd\nx: '" + "-" * 200_000 + "1' = pd.read_csv('a')\nx.asfreq('D')\n"
    assert [f.api for f in scan_source(source)] == ["DataFrame.asfreq"]


@pytest.mark.parametrize(
    "content",
    [
        b"(" * 200_000 + b"1" + b")" * 200_000,
        b"-" * 200_000 + b"1",
        b"x = " + b"1 + " * 200_000 + b"1\n",
        b"x = " + b"-" * 2_900 + b"1\n",
    ],
    ids=["parens", "minus", "plus", "minus-2900"],
)
def test_deep_expressions_do_not_crash_a_real_process(tmp_path, content):
    bad = _write(tmp_path, "deep.py", content)
    good = tmp_path / "good.py"
    good.write_text(GOOD)
    cli = Path(sys.executable).with_name("scaleout")
    command = [str(cli)] if cli.exists() else [sys.executable, "-m", "toolkit.cli"]
    done = subprocess.run(
        [*command, "check", str(bad), str(good)], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 2, (done.returncode, done.stderr[-2000:])  # < 0: killed by a signal
    assert done.stderr.count("\n") == 1 and done.stderr.startswith(f"scaleout check: error: {bad}")
    assert "Traceback" not in done.stdout + done.stderr
    assert "partial DataFrame.groupby" in done.stdout
