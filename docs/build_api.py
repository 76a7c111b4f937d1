"""Build the API reference (HTML) from the public modules' numpydoc docstrings.

Run from the repository root; the output is generated, not committed (``docs/api/`` is in
``.gitignore``)::

    python docs/build_api.py                  # -> docs/api/index.html
    python docs/build_api.py --output /tmp/api

``tests/test_api_reference.py`` builds it on every test run, so it cannot rot: every name
in ``toolkit.__all__`` must appear in it. Importing the modules starts no JVM.
"""

from __future__ import annotations

import argparse
from pathlib import Path

# The public surface: the package facade, and the modules users import by name.
MODULES = (
    "toolkit",
    "toolkit.exceptions",
    "toolkit.tracking",
    "adapters.pandas",
    "adapters.sklearn",
    "adapters.sparkml",
)
# ``session`` in toolkit's __all__ is the function; pdoc would also walk the package of
# that name (its implementation modules), which is not public API.
EXCLUDED = ("!toolkit.session", "!toolkit.session.*")
DEFAULT_OUTPUT = Path(__file__).resolve().parent / "api"


def build(output: Path = DEFAULT_OUTPUT) -> list[Path]:
    """Render :data:`MODULES` with pdoc into ``output``; return the module pages written.

    Examples
    --------
    >>> pages = build(Path("/tmp/api"))  # doctest: +SKIP
    >>> pages[0].name
    'toolkit.html'
    """
    import warnings

    import pdoc
    import pdoc.render

    pdoc.render.configure(docformat="numpy", show_source=False, footer_text="scaleout")
    output = Path(output)
    with warnings.catch_warnings():  # pyspark's TYPE_CHECKING-only annotations: not ours
        warnings.filterwarnings("ignore", category=UserWarning, module=r"pdoc\.")
        pdoc.pdoc(*MODULES, *EXCLUDED, output_directory=output)
    return [output.joinpath(*name.split(".")).with_suffix(".html") for name in MODULES]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="default: docs/api")
    args = parser.parse_args(argv)
    pages = build(args.output)
    print(f"API reference: {args.output / 'index.html'} ({len(pages)} modules)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
