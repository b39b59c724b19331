"""The Props tables of the documentation's feature pages, generated from the docstrings.

A feature page says which props it documents with an HTML comment, and this MkDocs hook
(``hooks:`` in ``mkdocs.yml``) replaces the comment by a table built from the signature and the
``:param name:`` sections of the docstring, so a prop is described once, in the code:

- ``<!-- props: fan_out concurrency -->``: rows of ``DownloaderPattern``'s keyword-only props
  (prop, type, default, description);
- ``<!-- factory: Pagination.offset -->``: a value type's factory (or constructor), its
  parameters as rows (parameter, type, default, description).

``tests/test_site.py`` reads the same comments (``claims``): every prop and every factory is
claimed by exactly one page.
"""

from __future__ import annotations

import html
import importlib
import inspect
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

DOCS = Path(__file__).resolve().parent.parent / "docs"

MARKER = re.compile(r"^<!-- (props|factory): ([^>]*?) -->$", re.MULTILINE)

# The public value types users pass to DownloaderPattern, and their factories: the static or
# class methods that build them, or the constructor when users call the class itself.
FACTORIES: dict[str, tuple[str, ...]] = {
    "FanOut": ("paths", "path_values", "from_answer"),
    "Concurrency": ("inline", "distributed"),
    "Pagination": ("link_header", "next_url", "offset", "page_number", "page_count", "cursor"),
    "Transport": ("api_gateway", "http_task"),
    "Trim": ("fields", "template"),
    "Window": ("last",),
    "Incremental": ("__init__",),
    "RetryAfter": ("__init__",),
    "Store": ("every_answer", "changes_only"),
    "Archive": ("to_new_bucket", "to_bucket"),
    "Records": ("merge", "append"),
    "Starts": ("scheduled", "on_demand", "scheduled_and_on_demand"),
    "AuthHeader": ("remap", "from_secret"),
    "ItemField": ("number", "string", "boolean", "json"),
}


def factory_names() -> list[str]:
    """Every factory, as ``Type.factory`` (``Type`` for a constructor)."""
    return [
        kind if name == "__init__" else f"{kind}.{name}"
        for kind, names in FACTORIES.items()
        for name in names
    ]


def props() -> list[str]:
    """DownloaderPattern's keyword-only props, in signature order."""
    from sfn_downloader import DownloaderPattern

    return [
        name
        for name, parameter in inspect.signature(DownloaderPattern.__init__).parameters.items()
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY
    ]


def claims(text: str) -> Iterator[tuple[str, str]]:
    """(``props`` or ``factory``, name) for each name a page's markers claim."""
    for match in MARKER.finditer(text):
        for name in match.group(2).split():
            yield match.group(1), name


def _sections(docstring: str) -> dict[str, str]:
    found = re.split(r"^\s*:param (\w+):", docstring, flags=re.MULTILINE)
    pairs = zip(found[1::2], found[2::2], strict=True)
    return {name: " ".join(text.split()) for name, text in pairs}


def _code(text: str) -> str:
    """Inline code for a table cell: HTML, because a ``|`` escaped inside a Markdown code span
    would show its backslash."""
    return "<code>" + html.escape(text).replace("|", "&#124;") + "</code>"


def _markdown(text: str) -> str:
    """reST inline code to Markdown, safe inside a table cell."""
    text = re.sub(r":(?:class|meth|func|attr):`~?([^`]+)`", r"``\1``", text)
    text = re.sub(r"``(.+?)``", lambda m: _code(m.group(1)) if "|" in m.group(1) else
                  f"`{m.group(1)}`", text)  # fmt: skip
    return text.replace("|", "\\|")  # a bare one; those in code are &#124; by now


def _split_default(text: str) -> tuple[str, str]:
    """(description, default) of one ``:param:`` section."""
    before, found, after = text.partition("Default:")
    if not found:
        return text, ""
    return before.strip(), after.strip()


def _annotation(parameter: inspect.Parameter) -> str:
    annotation = parameter.annotation
    if annotation is inspect.Parameter.empty:
        return ""
    text = annotation if isinstance(annotation, str) else inspect.formatannotation(annotation)
    return _code(text.removesuffix(" | None"))


def _rows(function: Callable[..., Any], docstring: str, *, keyword_only: bool) -> list[str]:
    sections = _sections(docstring)
    rows = []
    for name, parameter in inspect.signature(function).parameters.items():
        if name in ("self", "cls", "scope", "construct_id") or name.startswith("_"):
            continue
        if keyword_only and parameter.kind is not inspect.Parameter.KEYWORD_ONLY:
            continue
        description, default = _split_default(sections.get(name, ""))
        if not default:
            default = (
                "required"
                if parameter.default is inspect.Parameter.empty
                else f"`{parameter.default!r}`"
            )
        rows.append(
            f"| `{name}` | {_annotation(parameter)} | {_markdown(default)} "
            f"| {_markdown(description) or 'See above.'} |"
        )
    return rows


def props_table(names: list[str]) -> str:
    """The Props table of these DownloaderPattern props."""
    from sfn_downloader import DownloaderPattern

    known = props()
    unknown = [name for name in names if name not in known]
    if unknown:
        raise ValueError(f"docs: not props of DownloaderPattern: {unknown}")
    docstring = inspect.getdoc(DownloaderPattern) or ""
    rows = _rows(DownloaderPattern.__init__, docstring, keyword_only=True)
    by_name = {row.split("`")[1]: row for row in rows}
    header = "| prop | type | default | description |\n|---|---|---|---|"
    return "\n".join([header, *(by_name[name] for name in names)])


def factory_table(name: str) -> str:
    """A heading naming the factory, its summary, and a table of its parameters."""
    if name not in factory_names():
        raise ValueError(f"docs: {name!r} is not a factory of a value type ({factory_names()})")
    sfn_downloader = importlib.import_module("sfn_downloader")
    kind, _, method = name.partition(".")
    owner = getattr(sfn_downloader, kind)
    function = getattr(owner, method or "__init__")
    docstring = inspect.getdoc(owner if not method else function) or ""
    first = re.split(r"\n\s*\n|^\s*:param", docstring, maxsplit=1, flags=re.MULTILINE)[0]
    summary = _markdown(" ".join(first.split()))
    if summary.endswith("::"):  # a reST literal block follows: the reference shows it
        summary = summary[:-1]
    rows = _rows(function, docstring, keyword_only=False)
    heading = f"#### `{name}(...)`"
    if not rows:
        return f"{heading}\n\n{summary} No parameters.\n"
    header = "| parameter | type | default | description |\n|---|---|---|---|"
    return "\n".join([heading, "", summary, "", header, *rows, ""])


def render(markdown: str) -> str:
    """The page with each marker replaced by its table (the marker is kept, invisible)."""

    def table(match: re.Match[str]) -> str:
        names = match.group(2).split()
        if match.group(1) == "props":
            return f"{match.group(0)}\n\n{props_table(names)}\n"
        return match.group(0) + "\n\n" + "\n".join(factory_table(name) for name in names)

    return MARKER.sub(table, markdown)


def on_page_markdown(markdown: str, **_: object) -> str:
    """MkDocs hook: replace the markers of every page."""
    return render(markdown)
