"""The API Gateway transport's check of ``auth_header``: what the proxy can map onto a header.

A remapped credential must be a Secrets Manager ``SecretValue`` (not plaintext, not
``ssm-secure``); a secret's prefix must be a string a static header value can carry, with the
space that separates a scheme from the credential.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from aws_cdk import SecretValue, Stack
from constructs import Construct

from .._checks import check_header_name
from ..auth import AuthHeader
from ..errors import Problem
from .trim import PARAMETER_NAME

_HEADER_TEXT = re.compile(r"^[\x20-\x7e]*$")  # printable ASCII: what a header value carries
_AUTH_SCHEMES = frozenset(
    scheme.lower()
    for scheme in (
        # IANA's HTTP Authentication Scheme Registry, and schemes APIs commonly use
        "Basic", "Bearer", "Concealed", "Digest", "DPoP", "GNAP", "HOBA", "Mutual", "Negotiate",
        "OAuth", "PrivateToken", "SCRAM-SHA-1", "SCRAM-SHA-256", "vapid", "Token", "ApiKey",
        "Api-Key", "JWT", "Key", "SSWS", "Splunk", "GenieKey", "Klaviyo-API-Key",
    )
)  # fmt: skip
"""Schemes an ``Authorization`` value starts with, followed by a space and the credential."""


def check_auth_header(scope: Construct, auth: AuthHeader | None) -> Iterator[Problem]:
    """Every problem of ``auth_header`` as the proxy maps it (``None``: no problem)."""
    if auth is None:
        return
    if not isinstance(auth, AuthHeader):
        yield Problem(
            "auth_header",
            auth,
            "is not an AuthHeader.",
            "use AuthHeader.remap(...) or AuthHeader.from_secret(...).",
        )
        return
    if auth.header_name is not None:
        yield from check_header_name("auth_header", auth.header_name, what="the custom header")
        if not isinstance(auth.value, SecretValue):
            yield Problem(
                "auth_header",
                auth.value,
                "the remapped value is not a SecretValue.",
                "pass SecretValue.secrets_manager('name') or secret.secret_value.",
            )
        elif _is_plaintext(scope, auth.value):
            yield Problem(
                "auth_header",
                "<plaintext SecretValue>",
                "the credential would appear in plaintext in the template.",
                "store it in Secrets Manager and pass SecretValue.secrets_manager(...).",
            )
        elif _is_ssm_secure(scope, auth.value):
            yield Problem(
                "auth_header",
                "<ssm-secure SecretValue>",
                "is an SSM SecureString reference: CloudFormation resolves ssm-secure only in "
                "the few resource properties it lists, not in a state machine's "
                "DefinitionSubstitutions, so the deployment would fail.",
                "store the credential in Secrets Manager and pass "
                "SecretValue.secrets_manager(...).",
            )
    yield from _check_query_param(auth)
    if auth.secret is not None and not isinstance(auth.prefix, str):
        yield Problem("auth_header", auth.prefix, "the prefix is not a string.",
                      "pass e.g. prefix='Bearer '.")  # fmt: skip
    elif (
        auth.secret is not None
        and isinstance(auth.prefix, str)
        and auth.prefix.lower() in _AUTH_SCHEMES
        and auth.query_param is None
    ):
        yield Problem(
            "auth_header",
            auth.prefix,
            "the prefix is an authentication scheme without the space that separates it from "
            f"the credential: the proxy would send 'Authorization: {auth.prefix}<secret>'.",
            f"use prefix={auth.prefix + ' '!r}.",
        )
    if auth.secret is not None and isinstance(auth.prefix, str) and "'" in auth.prefix:
        yield Problem(
            "auth_header",
            auth.prefix,
            "the prefix contains a single quote, which ends API Gateway's static value.",
            "remove the quote.",
        )
    elif auth.secret is not None and not _HEADER_TEXT.match(auth.prefix):
        yield Problem(
            "auth_header",
            auth.prefix,
            "the prefix holds a character a header value cannot carry (a control character, "
            "or one outside printable ASCII).",
            "use printable ASCII, e.g. prefix='Bearer '.",
        )


def _check_query_param(auth: AuthHeader) -> Iterator[Problem]:
    """``query_param``: only with ``from_secret``, a name API Gateway can map."""
    name = auth.query_param
    if name is None:
        return
    if auth.secret is None:
        yield Problem(
            "auth_header", name, "query_param is given without a secret.",
            "use AuthHeader.from_secret(secret, query_param=...).",
        )  # fmt: skip
    if not isinstance(name, str) or not PARAMETER_NAME.match(name):
        yield Problem(
            "auth_header",
            name,
            "query_param is not a name API Gateway can map: parameter names must match "
            '^[a-zA-Z0-9._$-]+$ ("Parameter mapping source reference for REST APIs").',
            "use the API's own name, e.g. query_param='appid'.",
        )


def query_param_clashes(auth: object, query_names: Iterable[str]) -> Iterator[Problem]:
    """A query parameter the run sends itself under ``query_param``'s name: the proxy's
    static value would replace it (or the run's value would be the credential in plaintext)."""
    if not isinstance(auth, AuthHeader) or not isinstance(auth.query_param, str):
        return
    if auth.query_param in query_names:
        yield Problem(
            "auth_header",
            auth.query_param,
            "query_param is also a query parameter the run sends (in path, a fan-out's paths "
            "or the paginator's parameters): the proxy sets it to the secret on every request.",
            f"remove {auth.query_param!r} from the run's own query parameters.",
        )


def _is_plaintext(scope: Construct, value: SecretValue) -> bool:
    resolved = Stack.of(scope).resolve(value)
    return isinstance(resolved, str) and "{{resolve:" not in resolved


def _is_ssm_secure(scope: Construct, value: SecretValue) -> bool:
    return "{{resolve:ssm-secure:" in str(Stack.of(scope).resolve(value))
