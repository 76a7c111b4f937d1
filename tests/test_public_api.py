"""The public API is a contract: sorted, complete, importable without a JVM."""

from __future__ import annotations

import subprocess
import sys

import toolkit
import toolkit.exceptions


def test_all_is_sorted_and_unique():
    assert toolkit.__all__ == sorted(set(toolkit.__all__))


def test_every_exported_name_resolves():
    missing = [name for name in toolkit.__all__ if not hasattr(toolkit, name)]
    assert missing == []


def test_every_error_is_exported_and_in_the_tree():
    errors = {
        n for n in toolkit.exceptions.__all__ if isinstance(getattr(toolkit.exceptions, n), type)
    }
    assert errors <= set(toolkit.__all__)
    for name in errors - {"ToolkitAdviceWarning"}:
        cls = getattr(toolkit, name)
        assert issubclass(cls, toolkit.ToolkitError), name
        assert name in toolkit.exceptions.__doc__, f"{name} is not drawn in the tree"
        # each subclass refines a builtin too (except the root)
        assert name == "ToolkitError" or any(
            base.__module__ == "builtins" for base in cls.__mro__[1:-1]
        ), name


def test_import_starts_no_jvm_and_no_mlflow():
    code = (
        "import sys, toolkit, adapters, benchmarks; "
        "print('mlflow' in sys.modules, 'py4j.java_gateway' in sys.modules and "
        "__import__('pyspark').SparkContext._gateway is not None)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
