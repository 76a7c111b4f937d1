"""The API reference is built from the docstrings on every test run, so it cannot rot:
every public name has a page entry with a docstring, and every public function documents
its parameters (issue 16, item 6). Building imports the modules but starts no JVM."""

from __future__ import annotations

import html
import inspect
import re
import runpy
from pathlib import Path

import pytest

import adapters.pandas
import toolkit
import toolkit.tracking

ROOT = Path(__file__).resolve().parent.parent
PUBLIC = (toolkit, toolkit.tracking, adapters.pandas)


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Path:
    output = tmp_path_factory.mktemp("api")
    build = runpy.run_path(str(ROOT / "docs" / "build_api.py"))["build"]
    for page in build(output):
        assert page.is_file(), f"{page} was not written"
    assert (output / "index.html").is_file()
    return output


def _page(reference: Path, module) -> str:
    return reference.joinpath(*module.__name__.split(".")).with_suffix(".html").read_text()


def _docstring(page: str, name: str) -> str:
    """The rendered docstring of ``name`` on a module page ('' when it has none)."""
    match = re.search(rf'<section id="{re.escape(name)}">(.*?)(?=<section id=|\Z)', page, re.S)
    assert match, f"{name} has no entry in the API reference"
    _, _, doc = match.group(1).partition('<div class="docstring">')
    return doc


def _text(fragment: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment))).strip()


def _documented_parameters(doc: str) -> set[str] | None:
    section = re.search(r'<h6 id="parameters">Parameters</h6>(.*?)(?=<h6|\Z)', doc, re.S)
    if section is None:
        return None
    names = re.findall(r"<strong>(.*?)</strong>", section.group(1), re.S)
    return {part.strip() for name in names for part in _text(name).split(",")}


def _functions():
    for module in PUBLIC:
        for name in module.__all__:
            if inspect.isfunction(getattr(module, name)):
                yield module, name


@pytest.mark.parametrize("module", PUBLIC, ids=lambda m: m.__name__)
def test_every_public_name_has_a_documented_entry(reference, module):
    page = _page(reference, module)
    undocumented = [
        name
        for name in module.__all__
        if name != "__version__" and not _text(_docstring(page, name))
    ]
    assert undocumented == []


def test_every_public_function_documents_its_parameters(reference):
    lacking = []
    for module, name in _functions():
        wanted = set(inspect.signature(getattr(module, name)).parameters)
        documented = _documented_parameters(_docstring(_page(reference, module), name))
        missing = sorted(wanted - (documented or set()))
        if missing:
            lacking.append(f"{module.__name__}.{name}: {missing}")
    assert lacking == [], "parameters missing from the Parameters section"


@pytest.mark.parametrize(
    ("module", "name", "parameters"),
    [
        (toolkit, "fingerprint", {"model"}),
        (toolkit, "is_connect", {"spark"}),
        (toolkit.tracking, "tracked_run", {"params", "run_name", "tracking_uri"}),
        (toolkit, "score_files", {"progress", "spark", "batch_size"}),
    ],
)
def test_the_formerly_undocumented_names_are_documented(reference, module, name, parameters):
    doc = _docstring(_page(reference, module), name)
    assert parameters <= (_documented_parameters(doc) or set())
    assert "Examples" in _text(doc)


def test_the_index_links_every_module(reference):
    index = (reference / "index.html").read_text()
    for module in ("toolkit", "toolkit.tracking", "toolkit.exceptions", "adapters.pandas"):
        assert module in index
