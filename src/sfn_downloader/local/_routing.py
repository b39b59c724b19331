"""How the local REST API routes and authorizes a request: a resource path matched against the
request's segments (``{name}`` and greedy ``{name+}`` variables), and an IAM policy's
statements evaluated for ``execute-api:Invoke`` (an explicit Deny wins)."""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import unquote


def match_resource(
    resource_path: str, segments: Sequence[str], *, trailing_slash: bool = False
) -> dict[str, str] | None:
    parts = [p for p in resource_path.split("/") if p]
    params: dict[str, str] = {}
    for index, part in enumerate(parts):
        if part.startswith("{") and part.endswith("+}"):
            rest = segments[index:]
            if not rest:
                return None
            # A greedy variable keeps the trailing slash (ESI's paths end in one).
            params[part[1:-2]] = "/".join(rest) + ("/" if trailing_slash else "")
            return params
        if index >= len(segments):
            return None
        if part.startswith("{") and part.endswith("}"):
            params[part[1:-1]] = segments[index]
        elif part != unquote(segments[index]):
            return None
    return params if len(parts) == len(segments) else None


def allowed(statements: Sequence[Mapping[str, Any]], action: str, resource: str) -> bool:
    allowed = False
    for statement in statements:
        actions = statement.get("Action", [])
        resources = statement.get("Resource", [])
        actions = [actions] if isinstance(actions, str) else actions
        resources = [resources] if isinstance(resources, str) else resources
        if not any(fnmatch.fnmatchcase(action.lower(), a.lower()) for a in actions):
            continue
        if not any(fnmatch.fnmatchcase(resource, r) for r in resources):
            continue
        if statement.get("Effect") == "Deny":
            return False
        allowed = True
    return allowed
