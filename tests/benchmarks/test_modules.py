"""House style for the benchmark package: small modules, sorted ``__all__``, no JVM on import."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys
from pathlib import Path

import benchmarks

MODULES = sorted(m.name for m in pkgutil.iter_modules(benchmarks.__path__) if m.name != "__main__")


def test_every_module_is_small_and_exports_a_sorted_all():
    for name in MODULES:
        module = importlib.import_module(f"benchmarks.{name}")
        assert module.__all__ == sorted(set(module.__all__)), name
        assert all(hasattr(module, item) for item in module.__all__), name
        assert len(Path(module.__file__).read_text().splitlines()) < 400, name


def test_importing_the_harness_starts_no_jvm():
    code = ("import sys, " + ", ".join(f"benchmarks.{n}" for n in MODULES) + "; "
            "from pyspark import SparkContext; print(SparkContext._gateway is None)")  # fmt: skip
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True"]
