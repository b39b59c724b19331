"""The local values of the Secrets Manager secrets a template references.

A runner is given them by secret name, ARN, construct path or logical ID; ``LocalSecrets``
replaces each ``{{resolve:secretsmanager:...}}`` dynamic reference with the value given for it,
and names the keys it accepts when one is missing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from ._template import DownloaderSpec
from .errors import LocalRunnerError

SecretValue = str | Mapping[str, Any]
"""A secret's local value: its SecretString, or a mapping for a JSON secret."""

_DYNAMIC_REFERENCE = re.compile(r"\{\{resolve:([A-Za-z-]+):(.*?)\}\}")


class LocalSecrets:
    """The secrets given to a runner, resolved for one downloader's stack."""

    def __init__(self, spec: DownloaderSpec, secrets: Mapping[str, SecretValue]) -> None:
        self._spec = spec
        self._secrets = secrets
        self._secret_aliases = self._aliases()

    def resolve(self, text: str) -> str:
        """``text`` with each ``{{resolve:secretsmanager:...}}`` replaced by its local value."""

        def substitute(match: re.Match[str]) -> str:
            service, body = match.group(1), match.group(2)
            if service != "secretsmanager":
                raise LocalRunnerError(
                    f"Dynamic reference {match.group(0)!r}: only secretsmanager is emulated."
                )
            parts = body.split(":")
            id_length = 7 if body.startswith("arn:") else 1
            secret_id = ":".join(parts[:id_length])
            rest = [*parts[id_length:], "", "", "", ""]
            json_key = rest[1]
            value = self._secret_value(secret_id)
            if json_key:
                document = value if isinstance(value, Mapping) else json.loads(value)
                return str(document[json_key])
            return value if isinstance(value, str) else json.dumps(value)

        return _DYNAMIC_REFERENCE.sub(substitute, text)

    def _aliases(self) -> dict[str, set[str]]:
        """Secret ARN (local) → names a caller may use for it."""
        aliases: dict[str, set[str]] = {}
        stack = self._spec.stack
        resolver = self._spec.resolver
        for logical_id, resource in stack.template.get("Resources", {}).items():
            if resource.get("Type") != "AWS::SecretsManager::Secret":
                continue
            names = {logical_id}
            if resource.get("Properties", {}).get("Name"):
                names.add(str(resource["Properties"]["Name"]))
            if logical_id in stack.paths:
                names |= {
                    stack.paths[logical_id],
                    stack.paths[logical_id].removesuffix("/Resource"),
                }
            aliases[resolver.ref(logical_id)] = names
        return aliases

    def _secret_value(self, secret_id: str) -> SecretValue:
        candidates = [secret_id, *sorted(self._secret_aliases.get(secret_id, ()))]
        if ":secret:" in secret_id:  # an imported secret's ARN: try its name
            name = secret_id.split(":secret:", 1)[1]
            candidates += [name, re.sub(r"-[A-Za-z0-9]{6}$", "", name)]
        for candidate in candidates:
            if candidate in self._secrets:
                return self._secrets[candidate]
        raise LocalRunnerError(
            f"The template references secret {secret_id!r}, which has no local value. "
            f"Fix: LocalRunner(..., secrets={{{candidates[-1]!r}: 'value'}}) "
            f"(accepted keys: {candidates}); given: {sorted(self._secrets)}."
        )
