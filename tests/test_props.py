"""One declaration of the props: ``Props`` (``_flow/config.py``) is the declaration; the
constructor's signature, its docstring's ``:param`` list and the type table must agree with it
(issue 22). A prop added in one place and not the others fails here, naming it."""

from __future__ import annotations

import inspect
import re
from dataclasses import MISSING, fields

from sfn_downloader import DownloaderPattern
from sfn_downloader._flow.config import Props
from sfn_downloader._flow.values import _TYPES

DECLARED = [f.name for f in fields(Props)]
REQUIRED = [f.name for f in fields(Props) if f.default is MISSING]
SIGNATURE = [
    p for p in inspect.signature(DownloaderPattern.__init__).parameters.values()
    if p.kind is inspect.Parameter.KEYWORD_ONLY
]  # fmt: skip
DOCUMENTED = re.findall(r"^    :param (\w+):", DownloaderPattern.__doc__ or "", re.MULTILINE)


def test_the_signature_declares_the_props_in_their_order() -> None:
    assert [p.name for p in SIGNATURE] == DECLARED


def test_each_prop_has_the_same_type_in_the_signature_and_in_props() -> None:
    declared = {f.name: f.type for f in fields(Props)}
    assert {p.name: p.annotation for p in SIGNATURE} == declared


def test_required_props_have_no_default_and_every_other_defaults_to_none() -> None:
    assert [p.name for p in SIGNATURE if p.default is inspect.Parameter.empty] == REQUIRED
    assert {p.default for p in SIGNATURE if p.name not in REQUIRED} == {None}
    assert {f.default for f in fields(Props) if f.name not in REQUIRED} == {None}


def test_every_prop_has_a_type_check() -> None:
    assert [name for name, *_ in _TYPES] == DECLARED


def test_the_docstring_documents_every_prop_in_order_with_its_default() -> None:
    assert DOCUMENTED == DECLARED
    text = DownloaderPattern.__doc__ or ""
    sections = re.split(r"^    :param ", text, flags=re.MULTILINE)[1:]
    undefaulted = [s.split(":", 1)[0] for s in sections
                   if "Default:" not in s and s.split(":", 1)[0] not in REQUIRED]  # fmt: skip
    assert undefaulted == []
