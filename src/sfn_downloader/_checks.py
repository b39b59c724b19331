"""Small checks several features share: JSONPath strings, paths, header names.

Each returns or yields ``Problem``s; none raises. The features call them from their own
``check`` methods.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import parse_qs

from aws_cdk import Token

from .errors import Problem

HTTP_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
"""An RFC 9110 token: header names, query parameter names."""

# Headers Step Functions' apigateway:invoke refuses to send (Step Functions developer guide).
API_GATEWAY_FORBIDDEN_HEADERS = frozenset(
    {
        "authorization", "connection", "content-md5", "expect", "host", "max-forwards",
        "proxy-authenticate", "server", "te", "transfer-encoding", "trailer", "upgrade",
        "via", "www-authenticate",
    }
)  # fmt: skip
API_GATEWAY_FORBIDDEN_PREFIXES = ("x-forwarded", "x-amz")  # x-amz also covers x-amzn


def is_json_path(value: str) -> bool:
    """True for the JSONPath forms Step Functions accepts in ``.$`` fields."""
    return value in ("$", "$$") or value.startswith(("$.", "$$.", "$[", "States."))


def is_given(value: object) -> bool:
    """False for an unresolved token: its value is only known at deploy time."""
    return not Token.is_unresolved(value)


def check_path(
    path: object, problems: list[Problem], prop: str = "path", *, template: bool = False
) -> tuple[str, dict[str, list[str]]]:
    """Return ``path``'s resource and query parameters, adding a problem for each defect."""
    if not isinstance(path, str):
        problems.append(Problem(prop, path, "must be a string.", "pass e.g. '/v2/status'."))
        return "", {}
    if Token.is_unresolved(path):
        return path, {}
    if not path.startswith("/"):
        problems.append(Problem(prop, path, "does not start with '/'.", f"use '/{path}'."))
    if "#" in path:
        problems.append(
            Problem(
                prop,
                path,
                "carries a fragment ('#').",
                "remove it: fragments are never sent to a server.",
            )
        )
    if any(ch.isspace() for ch in path):
        problems.append(Problem(prop, path, "contains white space.", "percent-encode it ('%20')."))
    if not template and ("{" in path or "}" in path):
        problems.append(
            Problem(
                prop,
                path,
                "contains '{' or '}', a path template without values.",
                "pass fan_out=FanOut.path_values({'name': [...]}) for each '{name}', or a "
                "concrete path.",
            )
        )
    resource, _, query_string = path.partition("?")
    query = parse_qs(query_string, keep_blank_values=True) if query_string else {}
    return resource, query


def check_header_name(
    prop: str,
    name: str,
    *,
    what: str,
    forbidden: frozenset[str] = API_GATEWAY_FORBIDDEN_HEADERS,
    forbidden_prefixes: tuple[str, ...] = API_GATEWAY_FORBIDDEN_PREFIXES,
) -> Iterator[Problem]:
    """A header name must be a token, and not one Step Functions refuses to send."""
    if not isinstance(name, str) or not HTTP_TOKEN.match(name):
        yield Problem(
            prop,
            name,
            f"{what} is not a valid HTTP header name (RFC 9110 token).",
            "use letters, digits and '-', e.g. 'MyCustomAuth'.",
        )
        return
    lower = name.lower()
    if lower == "authorization":
        yield Problem(
            prop,
            name,
            "Step Functions refuses to send an Authorization header.",
            "use auth_header=AuthHeader.remap('MyCustomAuth', value) or "
            "AuthHeader.from_secret(secret): the proxy then sets Authorization.",
        )
    elif lower in forbidden or lower.startswith(forbidden_prefixes):
        yield Problem(
            prop,
            name,
            f"{what} is one Step Functions refuses to send.",
            "choose another header name (see the apigateway:invoke docs).",
        )


_SEGMENT = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*)|\['([^'`\\]+)'\]|\[\"([^\"`\\]+)\"\]|\[(\d+)\]")


def answer_path_problems(prop: str, path: object, example: str) -> Iterator[Problem]:
    """``path`` must be a plain JSONPath into the raw answer: ``$.ResponseBody.next``,
    ``$.Headers['X-Total'][0]`` (names and indexes only, no filters or wildcards)."""
    if not isinstance(path, str) or not path.startswith("$") or _segments(path) is None:
        yield Problem(
            prop,
            path,
            "is not a plain JSONPath into the raw answer (names and indexes only).",
            f"pass e.g. {prop.rsplit('.', 1)[-1]}={example!r}.",
        )


def _segments(path: str) -> list[str] | None:
    rest, segments = path[1:], []
    while rest:
        match = _SEGMENT.match(rest)
        if match is None:
            return None
        name, quoted, double, index = match.groups()
        segments.append(f"[{index}]" if index is not None else f"`{name or quoted or double}`")
        rest = rest[match.end() :]
    return segments


def jsonata_path(path: str, root: str = "$raw") -> str:
    """``$.ResponseBody.next`` as JSONata on ``root``: ``$raw.`ResponseBody`.`next```."""
    segments = _segments(path) or []
    text = root
    for segment in segments:
        text += segment if segment.startswith("[") else f".{segment}"
    return text
