"""The API reference: every public name is documented, and every optional prop says its default.

Reads the docstrings as the documentation site's reference (mkdocstrings, through griffe)
renders them, including attribute docstrings of dataclass fields and constants; a method
without its own docstring inherits its parent's, as ``inspect.getdoc`` (and the reference) do.
STYLE.md: "one-line summary, then ``Default: <behaviour>`` (never ``Default: None``)".
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import griffe
import pytest

import sfn_downloader

SRC = Path(__file__).resolve().parent.parent / "src"
MODULES = ("sfn_downloader", "sfn_downloader.local", "sfn_downloader.read")
PACKAGE = griffe.load("sfn_downloader", search_paths=[str(SRC)], resolve_aliases=True,
                      resolve_external=False)  # fmt: skip


@dataclass(frozen=True)
class Member:
    """One documented name: its path as users import it, griffe's object and the runtime one."""

    fullname: str
    doc: griffe.Object
    obj: object
    owner: griffe.Object | None = None

    @property
    def docstring(self) -> str:
        if self.doc.docstring is not None and self.doc.docstring.value.strip():
            return self.doc.docstring.value
        if self.doc.is_function or self.doc.is_class:  # inherited, as inspect.getdoc does
            return inspect.getdoc(self.obj) or ""
        return ""


def _public(module_name: str) -> Iterator[Member]:
    module = importlib.import_module(module_name)
    doc = PACKAGE if module_name == "sfn_downloader" else PACKAGE[module_name.split(".", 1)[1]]
    for name in module.__all__:  # sfn_downloader imports its names on first use (PEP 562)
        value = getattr(module, name)
        assert name in doc.members, f"{module_name}.{name} is in __all__ but not found"
        target = doc.members[name]
        target = target.final_target if target.is_alias else target
        yield Member(f"{module_name}.{name}", target, value)


def _members(top: Member) -> Iterator[tuple[str, Member]]:
    """The public name itself, and for a class its own public members."""
    yield top.doc.name, top
    if top.doc.is_class:
        cls = top.obj
        for name, member in top.doc.members.items():
            if name.startswith("_") or member.is_alias:
                continue
            raw = inspect.getattr_static(cls, name, None) if isinstance(cls, type) else None
            if isinstance(raw, staticmethod | classmethod):
                raw = raw.__func__
            if isinstance(raw, property):
                raw = raw.fget
            qualname = f"{top.doc.name}.{name}"
            yield qualname, Member(f"{top.fullname}.{name}", member, raw, top.doc)


PUBLIC = [
    pytest.param(member, id=f"{module}.{qualname}")
    for module in MODULES
    for top in _public(module)
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
def test_public_name_has_a_docstring(member: Member) -> None:
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
    for top in _public(module)
    for qualname, member in _members(top)
    if member.doc.is_attribute
    and top.doc.is_class
    and member.doc.value is not None
    and member.doc.name in getattr(top.obj, "__dataclass_fields__", {})
]


@pytest.mark.parametrize("member", _with_known_gaps(DEFAULTED))
def test_dataclass_fields_with_a_default_say_it(member: Member) -> None:
    assert "Default:" in member.docstring, f"{member.fullname}: no 'Default:' in its docstring"


CALLABLES_WITH_DEFAULTS = [
    pytest.param(member, id=f"param-{qualname}")
    for module in MODULES
    for top in _public(module)
    for qualname, member in _members(top)
    if member.doc.is_function
    and callable(member.obj)
    and not qualname.endswith("__init__")
    and _optional_parameters(member.obj)
]


@pytest.mark.parametrize("member", _with_known_gaps(CALLABLES_WITH_DEFAULTS))
def test_optional_parameters_are_documented_with_their_default(
    member: Member,
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
        for top in _public(module)
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
