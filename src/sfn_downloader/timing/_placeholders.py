"""Time placeholders in a path or query: ``{scheduled_time}``, ``{window_start:date}``, ...

A template is split into literal text and placeholders; each placeholder becomes a JSONata
expression of the run's scheduled time (or of the window's bounds), formatted as asked. The
formats only produce ``0-9``, ``A-Z``, ``-`` and ``:``: legal in a path segment as they are
(RFC 3986 ``pchar``), and passed to ``apigateway:invoke`` as query values, which it encodes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from .._checks import strings_in, time_tokens
from .._contract import (
    DATE_PICTURE,
    ISO_PICTURE,
    PLACEHOLDER_FORMATS,
    PLACEHOLDER_NAMES,
    SCHEDULED_TIME_KEY,
)
from ..errors import Problem

_BRACED = re.compile(r"\{([^{}]*)\}")
SCHEDULED_MILLIS = f"$toMillis($states.context.Execution.Input.{SCHEDULED_TIME_KEY})"
"""JSONata: the run's scheduled time, epoch milliseconds."""
WINDOW_NAMES = ("window_start", "window_end")
_VALID = ", ".join("{" + name + "}" for name in PLACEHOLDER_NAMES)
_FORMATS = ", ".join(f":{name}" for name in PLACEHOLDER_FORMATS)


@dataclass(frozen=True)
class Placeholder:
    """``{name:format}``."""

    name: str
    format: str = "iso"


Part = str | Placeholder
"""A piece of a template: literal text, or a placeholder."""


def split(text: str) -> list[Part]:
    """``text`` as literal pieces and placeholders (``{name}`` / ``{name:format}``)."""
    parts: list[Part] = []
    position = 0
    for match in _BRACED.finditer(text):
        if match.start() > position:
            parts.append(text[position : match.start()])
        name, _, fmt = match.group(1).partition(":")
        parts.append(Placeholder(name.strip(), fmt.strip() or "iso"))
        position = match.end()
    if position < len(text):
        parts.append(text[position:])
    return parts


_BODY_PLACEHOLDER = re.compile(r"\{(" + "|".join(PLACEHOLDER_NAMES) + r")(?::([^{}]*))?\}")


def body_parts(text: str) -> list[Part]:
    """A body's string as literal pieces and time placeholders: only ``{scheduled_time}``,
    ``{window_start}`` and ``{window_end}`` (with a format) are placeholders; any other brace
    text (GraphQL's ``{ number title }``) is literal."""
    parts: list[Part] = []
    position = 0
    for match in _BODY_PLACEHOLDER.finditer(text):
        if match.start() > position:
            parts.append(text[position : match.start()])
        parts.append(Placeholder(match.group(1), (match.group(2) or "").strip() or "iso"))
        position = match.end()
    if position < len(text):
        parts.append(text[position:])
    return parts


def body_placeholders(body: object) -> list[Placeholder]:
    """Every time placeholder in a body's string values."""
    return [
        part
        for text in strings_in(body)
        for part in body_parts(text)
        if isinstance(part, Placeholder)
    ]


def check_body(body: object) -> Iterator[Problem]:
    """Formats of the body's placeholders; no string that JSONata would read as an expression
    once the body is computed each run."""
    placeholders = body_placeholders(body)
    for placeholder in placeholders:
        if placeholder.format not in PLACEHOLDER_FORMATS:
            shown = "{" + placeholder.name + ":" + placeholder.format + "}"
            yield Problem(
                "body", shown,
                f"formats {{{placeholder.name}}} as {placeholder.format!r}, which is not a "
                f"format (they are {_FORMATS}).",
                f"write e.g. {{{placeholder.name}:date}}, or {{{placeholder.name}}} for ISO 8601.",
            )  # fmt: skip
    if not placeholders:
        return
    for text in strings_in(body):
        if text.startswith("{%") and text.endswith("%}"):
            yield Problem(
                "body", text,
                "is a JSONata expression ('{% ... %}'), which Step Functions would evaluate "
                "in a body computed each run (the body has time placeholders) instead of "
                "sending it as written.",
                "change the text, or move the time placeholders out of the body.",
            )  # fmt: skip


def filled_body(body: object, millis: Mapping[str, str]) -> object:
    """The body as a JSONata state's ``Assign`` takes it: each string holding a placeholder
    becomes a ``{% ... %}`` expression of the run's time; everything else is as written."""
    if isinstance(body, str):
        parts = body_parts(body)
        if not any(isinstance(part, Placeholder) for part in parts):
            return body
        return "{% " + expression(parts, millis) + " %}"
    if isinstance(body, Mapping):
        return {key: filled_body(value, millis) for key, value in body.items()}
    if isinstance(body, list | tuple):
        return [filled_body(value, millis) for value in body]
    return body


def placeholders_of(resource: str, query: Mapping[str, Sequence[str]]) -> list[Placeholder]:
    """Every placeholder in the resource and the query values."""
    texts = [resource, *(value for values in query.values() for value in values)]
    return [part for text in texts for part in split(text) if isinstance(part, Placeholder)]


def check(path: str, resource: str, query: Mapping[str, Sequence[str]]) -> Iterator[Problem]:
    """Known names and formats; none in a query parameter's name; braces that pair up."""
    if resource.count("{") != resource.count("}") or any(
        value.count("{") != value.count("}") for values in query.values() for value in values
    ):
        yield Problem(
            "path",
            path,
            "has a '{' or '}' that opens or closes no placeholder.",
            f"write placeholders whole, e.g. {{scheduled_time:date}} ({_VALID}).",
        )
    for name in query:
        if "{" in name or "}" in name:
            yield Problem(
                "path",
                path,
                f"has a placeholder in the name of query parameter {name!r}.",
                "put placeholders in values only, e.g. '?from={window_start}'.",
            )
    for placeholder in placeholders_of(resource, query):
        shown = "{" + placeholder.name + "}"
        if placeholder.name not in PLACEHOLDER_NAMES:
            yield Problem(
                "path",
                path,
                f"has the placeholder {shown}, which is not a time placeholder "
                f"(they are {_VALID}).",
                "use one of them, or FanOut.path_values({...}) for other values.",
            )
        elif placeholder.format not in PLACEHOLDER_FORMATS:
            yield Problem(
                "path",
                path,
                f"formats {shown} as {placeholder.format!r}, which is not a format "
                f"(they are {_FORMATS}).",
                f"write e.g. {{{placeholder.name}:date}}, or {shown} for ISO 8601.",
            )


def formatted(millis: str, fmt: str) -> str:
    """JSONata: the epoch milliseconds ``millis`` as a placeholder's format asks."""
    if fmt == "date":
        return f"$fromMillis({millis}, '{DATE_PICTURE}')"
    if fmt == "epoch":
        return f"$string($floor({millis} / 1000))"
    if fmt == "epoch_ms":
        return f"$string({millis})"
    return f"$fromMillis({millis}, '{ISO_PICTURE}')"


def expression(parts: Sequence[Part], millis_of: Mapping[str, str]) -> str:
    """JSONata concatenating ``parts``; ``millis_of``: placeholder name → epoch milliseconds."""
    pieces = [
        formatted(millis_of[part.name], part.format)
        if isinstance(part, Placeholder)
        else literal(part)
        for part in parts
    ]
    return " & ".join(pieces) if pieces else "''"


def filler(templates: Sequence[str], millis_of: Mapping[str, str]) -> str:
    """JSONata defining ``$fill(text)``: ``text`` with each time placeholder of ``templates``
    replaced by its value for this run (each value computed once). The formats write only
    ``0-9``, ``A-Z``, ``-`` and ``:``, legal as they are in a path and in a query (RFC 3986)."""
    found = list(dict.fromkeys(token for text in templates for token in time_tokens(text)))
    lines = []
    body = "$t"
    for index, token in enumerate(found):
        placeholder = split(token)[0]
        assert isinstance(placeholder, Placeholder)
        lines.append(
            f"$time{index} := {formatted(millis_of[placeholder.name], placeholder.format)};"
        )
        body = f"$replace({body}, {literal(token)}, $time{index})"
    return " ".join(lines) + f" $fill := function($t) {{ {body} }};"


def literal(text: str) -> str:
    """``text`` as a JSONata string literal: single-quoted when it can be (what AWS's examples
    write), else with JSON's escapes in double quotes."""
    if "'" not in text and "\\" not in text:
        return f"'{text}'"
    import json

    return json.dumps(text)
