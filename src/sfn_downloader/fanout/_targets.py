"""The fan-out's request list, checked: the listed paths (``FanOut.paths``), or every
combination of a path template's placeholder values (``FanOut.path_values``)."""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import unquote, urlencode

from .._checks import check_path
from .._checks import masked_times as masked
from .._checks import time_tokens as tokens
from .._contract import PLACEHOLDER_NAMES, STATE_DATA_LIMIT_BYTES
from .._parts import RunParts, Target, with_query
from ..errors import Problem

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_PLACEHOLDER_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
MAX_TARGETS_BYTES = STATE_DATA_LIMIT_BYTES - 16 * 1024
"""The fan-out's request list (``FetchAll``'s ``Items``; ``from_answer``'s in the state data)
is measured as compact JSON (``state_bytes``) against a state's data (256 KiB at most), 16 KiB
kept for the rest (the execution input, the scheduled time): no page exempts a Map's
``Items`` from that quota (``verify_on_aws.py map-items`` asks)."""


def listed_form(target: Target, first: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A request as a Map item holds it (``apigateway:invoke``'s form, the larger: the query
    an object of lists); with pagination, with its first page's query and ``url``."""
    if first is None:
        return {"path": target.path, "query": {k: list(v) for k, v in target.query.items()},
                "key": target.key}  # fmt: skip
    query = {**{k: list(v) for k, v in target.query.items()}, **first}
    return {"path": target.path, "query": query, "key": target.key,
            "url": with_query(target.key, first)}  # fmt: skip


def state_bytes(targets: Sequence[Target], first: Mapping[str, Any] | None = None) -> int:
    """The bytes of the request list as ``{"requests": [...]}`` in compact JSON (UTF-8), what
    Step Functions measures against 256 KiB (``from_answer``'s ``ListRequests`` output; the
    other fan-outs' ``Items`` are measured alike)."""
    listed = [listed_form(t, first) for t in targets]
    return len(json.dumps({"requests": listed}, separators=(",", ":")).encode())


def checked_size(
    prop: str, targets: Sequence[Target], first: Mapping[str, Any] | None = None
) -> Iterator[Problem]:
    """The request list against ``MAX_TARGETS_BYTES``, measured as the state holds it."""
    size = state_bytes(targets, first)
    if size > MAX_TARGETS_BYTES:
        each = size / max(len(targets), 1)
        most = int((MAX_TARGETS_BYTES - 20) // each)
        pages = " with their first pages" if first is not None else ""
        yield Problem(
            prop,
            f"<{len(targets):,} paths, {size // 1024:,} KiB>",
            f"the list of requests{pages} is {size:,} bytes in the state ({len(targets):,} x "
            f"~{each:,.0f} bytes, as compact JSON), more than the {MAX_TARGETS_BYTES // 1024} "
            "KiB it may take of the 256 KiB a state holds.",
            f"use concurrency=Concurrency.distributed(n, items_from_s3=True) (the requests are "
            f"then read from S3), or split the paths over several downloaders (about {most:,} "
            "each).",
        )


def shown(value: object) -> object:
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, Sequence) and not isinstance(value, str):
        return list(value)
    return value


def targets_of_paths(paths: Sequence[str], problems: list[Problem]) -> tuple[Target, ...]:
    if isinstance(paths, str) or not isinstance(paths, Sequence) or not paths:
        problems.append(
            Problem(
                "fan_out",
                paths,
                "FanOut.paths takes a non-empty list of paths.",
                "pass e.g. FanOut.paths(['/v1/a', '/v1/b']), or path='/v1/a' for one.",
            )
        )
        return ()
    targets = []
    for index, path in enumerate(paths):
        # Time placeholders ({scheduled_time:date}) are filled each run by the listing.
        shown = masked(path) if isinstance(path, str) else path
        check_path(shown, problems, f"fan_out.paths[{index}]")
        resource, query = check_path(path, [], template=True)
        targets.append(Target(resource, query, str(path)))
    seen: set[str] = set()
    for target in targets:
        if target.key in seen:
            problems.append(
                Problem(
                    "fan_out.paths",
                    target.key,
                    "is listed twice: both answers would be stored under one key.",
                    "remove the duplicate.",
                )
            )
        seen.add(target.key)
    return tuple(targets)


def targets_of_template(
    path: str, values: Mapping[str, Sequence[str | int]] | None, problems: list[Problem]
) -> tuple[Target, ...]:
    if not isinstance(values, Mapping) or not values:
        problems.append(
            Problem(
                "fan_out",
                values,
                "FanOut.path_values takes a non-empty mapping of placeholder name to values.",
                "pass e.g. FanOut.path_values({'region_id': [10000002, 10000043]}).",
            )
        )
        return ()
    times = set(tokens(path))
    names = [name for name in _PLACEHOLDER.findall(path) if "{" + name + "}" not in times]
    before = len(problems)
    for name in names:
        if not _PLACEHOLDER_NAME.match(name):
            problems.append(
                Problem(
                    "path",
                    path,
                    f"has a placeholder {{{name}}} that is not a name.",
                    "use letters, digits and '_', e.g. '/v1/markets/{region_id}/orders/'.",
                )
            )
        elif name not in values:
            problems.append(
                Problem(
                    "path",
                    path,
                    f"has the placeholder {{{name}}} but FanOut.path_values has no {name!r}.",
                    f"add {name!r}: [...] to FanOut.path_values, or write the value into the path.",
                )
            )
    for name, options in values.items():
        prop = f"fan_out.path_values[{name!r}]"
        if name in PLACEHOLDER_NAMES:
            problems.append(
                Problem(
                    prop,
                    shown(options),
                    f"uses the reserved name {name!r}: {', '.join(PLACEHOLDER_NAMES)} are the "
                    "run's time placeholders.",
                    f"rename it (e.g. {name + '_id'!r}) in the path and in FanOut.path_values.",
                )
            )
        elif name not in names:
            problems.append(
                Problem(
                    prop,
                    shown(options),
                    f"fills no placeholder: path {path!r} has no {{{name}}}.",
                    f"add {{{name}}} to the path, or remove {name!r} from FanOut.path_values.",
                )
            )
        if isinstance(options, str) or not isinstance(options, Sequence) or not options:
            problems.append(
                Problem(
                    prop, options, "is not a non-empty list of values.", "pass e.g. [10000002]."
                )
            )
            continue
        texts = [str(option) for option in options]
        twice = sorted({text for text in texts if texts.count(text) > 1})
        if twice:
            problems.append(
                Problem(
                    prop,
                    twice if len(twice) > 1 else twice[0],
                    "is listed twice: both requests would be the same path, stored under one key.",
                    "remove the duplicate.",
                )
            )
        for option in options:
            text = str(option)
            if (
                not isinstance(option, str | int)
                or isinstance(option, bool)
                or not text
                or any(ch in text for ch in "/?#{} ")
            ):
                problems.append(
                    Problem(
                        prop,
                        option,
                        "is not a path segment (a non-empty string or int without '/', '?', "
                        "'#', braces or spaces).",
                        "pass plain segment values, e.g. 10000002 or 'buy'.",
                    )
                )
            elif unquote(text) in (".", ".."):
                problems.append(
                    Problem(
                        prop,
                        option,
                        "is a dot segment: a server reads '.' and '..' (also written %2E) as "
                        "'this path' and 'the parent path' (RFC 3986, 5.2.4), so the request "
                        "would go to another path.",
                        "pass the segment values the API names, or list the paths with "
                        "FanOut.paths.",
                    )
                )
    if len(problems) > before:
        return ()
    targets = []
    for combination in itertools.product(*(values[name] for name in values)):
        concrete = path
        for name, value in zip(values, combination, strict=True):
            concrete = concrete.replace("{" + name + "}", str(value))
        check_path(masked(concrete), problems)
        resource, query = check_path(concrete, [], template=True)
        targets.append(Target(resource, query, concrete))
    return tuple(targets)


def first_page_url(parts: RunParts, url: str) -> str:
    """JSONata: the URL a request's first page asks, ``url`` (a JSONata expression of the
    request's URL) with the paginator's first-page query added (``?`` or ``&``), or ``url``
    itself without a paginator per request."""
    first = parts.per_request.first_query() if parts.per_request is not None else {}
    if not first:
        return url
    query = json.dumps(urlencode(first, doseq=True))
    return f'{url} & ($contains({url}, "?") ? "&" : "?") & {query}'


def keeps_url(parts: RunParts) -> bool:
    """True when each request's item keeps its URL (``url``): a page loop reads it, and so do a
    path's own mark and its polite memory, keyed by it."""
    return (
        parts.per_request is not None
        or parts.path_marks is not None
        or parts.request_memos is not None
    )
