"""The API reference: every public name is documented, and every optional prop says its default.

Reads the docstrings the way ``make docs`` (pdoc) renders them, including attribute docstrings
of dataclass fields and constants. STYLE.md: "one-line summary, then ``Default: <behaviour>``
(never ``Default: None``)".
"""

from __future__ import annotations

import importlib.util
import inspect
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pdoc.doc
import pytest

import sfn_downloader
import sfn_downloader.local
import sfn_downloader.read

MODULES = (sfn_downloader, sfn_downloader.local, sfn_downloader.read)


def _public(module: ModuleType) -> Iterator[tuple[str, pdoc.doc.Doc[object]]]:
    for name in module.__all__:  # sfn_downloader imports its names on first use (PEP 562)
        getattr(module, name)
    doc = pdoc.doc.Module(module)
    for name in module.__all__:
        member = doc.get(name)
        assert member is not None, f"{module.__name__}.{name} is in __all__ but not found"
        yield f"{module.__name__}.{name}", member


def _members(doc: pdoc.doc.Doc[object]) -> Iterator[tuple[str, pdoc.doc.Doc[object]]]:
    """The public name itself, and for a class its own public members."""
    yield doc.qualname, doc
    if isinstance(doc, pdoc.doc.Class):
        for member in doc.own_members:
            if not member.name.startswith("_"):
                yield member.qualname, member


PUBLIC = [
    pytest.param(member, id=f"{module.__name__}.{qualname}")
    for module in MODULES
    for _, top in _public(module)
    for qualname, member in _members(top)
]

# Gaps reported to the owners of the construct modules instead of being fixed here (this change
# does not edit them). Each xfail is strict: it fails as soon as the docstring is written, so
# the entry must then be deleted. Keys are test ids.
KNOWN_GAPS: dict[str, str] = {}


def _with_known_gaps(params: list[object]) -> list[object]:
    marked: list[object] = []
    for param in params:
        assert isinstance(param, type(pytest.param(None)))
        if param.id in KNOWN_GAPS:
            mark = pytest.mark.xfail(reason=KNOWN_GAPS[param.id], strict=True)
            marked.append(pytest.param(*param.values, id=param.id, marks=mark))
        else:
            marked.append(param)
    return marked


@pytest.mark.parametrize("member", _with_known_gaps(PUBLIC))
def test_public_name_has_a_docstring(member: pdoc.doc.Doc[object]) -> None:
    assert member.docstring.strip(), f"{member.fullname} has no docstring"


def _sections(docstring: str) -> dict[str, str]:
    """``:param name: text`` sections of a reST docstring, by parameter name."""
    found = re.split(r"^\s*:param (\w+):", docstring, flags=re.MULTILINE)
    return {name: text for name, text in zip(found[1::2], found[2::2], strict=True)}


def _optional_parameters(function: object) -> list[str]:
    return [
        name
        for name, parameter in inspect.signature(function).parameters.items()  # type: ignore[arg-type]
        if parameter.default is not inspect.Parameter.empty
    ]


CONSTRUCT_PROPS = [
    pytest.param(name, id=f"prop-{name}")
    for name in _optional_parameters(sfn_downloader.DownloaderPattern.__init__)
]


@pytest.mark.parametrize("prop", _with_known_gaps(CONSTRUCT_PROPS))
def test_every_optional_prop_says_its_default(prop: str) -> None:
    """DownloaderPattern documents its props in the class docstring (``:param name:``)."""
    sections = _sections(inspect.getdoc(sfn_downloader.DownloaderPattern) or "")
    assert prop in sections, f"prop {prop!r} is missing from the class docstring"
    assert "Default:" in sections[prop], f"prop {prop!r}: its :param: section has no 'Default:'"


def test_every_documented_prop_exists() -> None:
    sections = _sections(inspect.getdoc(sfn_downloader.DownloaderPattern) or "")
    parameters = inspect.signature(sfn_downloader.DownloaderPattern.__init__).parameters
    assert set(sections) <= set(parameters), set(sections) - set(parameters)


DEFAULTED = [
    pytest.param(member, id=f"field-{qualname}")
    for module in MODULES
    for _, top in _public(module)
    for qualname, member in _members(top)
    if isinstance(member, pdoc.doc.Variable)
    and isinstance(top, pdoc.doc.Class)
    and member.default_value_str
    and member.name in getattr(top.obj, "__dataclass_fields__", {})
]


@pytest.mark.parametrize("member", _with_known_gaps(DEFAULTED))
def test_dataclass_fields_with_a_default_say_it(member: pdoc.doc.Variable) -> None:
    assert "Default:" in member.docstring, f"{member.fullname}: no 'Default:' in its docstring"


CALLABLES_WITH_DEFAULTS = [
    pytest.param(member, id=f"param-{qualname}")
    for module in MODULES
    for _, top in _public(module)
    for qualname, member in _members(top)
    if isinstance(member, pdoc.doc.Function)
    and not qualname.endswith("__init__")
    and _optional_parameters(member.obj)
]


@pytest.mark.parametrize("member", _with_known_gaps(CALLABLES_WITH_DEFAULTS))
def test_optional_parameters_are_documented_with_their_default(
    member: pdoc.doc.Function,
) -> None:
    """Each optional parameter says its default: in its ``:param:`` section, in a sentence that
    names it, or (a function with one optional parameter) in a ``Default:`` line."""
    text = member.docstring
    sections = _sections(text)
    optional = [n for n in _optional_parameters(member.obj) if n not in ("self", "cls")]
    for name in optional:
        if name in sections:
            passages = [sections[name]]
        else:
            passages = [p for p in re.split(r"\n\s*\n|(?<=\.)\s", text) if f"``{name}``" in p]
            if not passages and len(optional) == 1 and "Default:" in text:
                continue
        assert passages, f"{member.fullname}: parameter {name!r} is not documented"
        assert any(re.search(r"\bdefault\b", p, re.IGNORECASE) for p in passages), (
            f"{member.fullname}: parameter {name!r} does not say its default"
        )


def test_no_docstring_says_default_none() -> None:
    offenders = [
        member.fullname
        for module in MODULES
        for _, top in _public(module)
        for _, member in _members(top)
        if re.search(r"Default:\s*``?None``?", member.docstring)
    ]
    assert not offenders, f"'Default: None' says nothing about the behaviour: {offenders}"


@pytest.mark.slow  # draws the pictures
def test_make_docs_draws_both_pictures(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``make docs`` still runs against the current example (the pictures are not compared
    byte for byte: a matplotlib release may move a pixel)."""
    root = Path(__file__).resolve().parent.parent
    # In this process: the script's code, without a second jsii kernel to start.
    spec = importlib.util.spec_from_file_location(
        "docs_diagrams", root / "scripts" / "docs_diagrams.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "docs_diagrams", module)  # its dataclasses look it up
    spec.loader.exec_module(module)
    assert module.main(["--outdir", str(tmp_path)]) == 0
    for name in ("architecture.png", "state-machine.png"):
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
