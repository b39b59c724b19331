"""AuthHeader: how a credential reaches the third party's ``Authorization`` header.

Step Functions' ``apigateway:invoke`` refuses to send an ``Authorization`` header, so the
credential goes through the proxy in one of two ways (see docs/security.md):

* ``AuthHeader.remap``: the state machine sends the credential in a custom header and the
  proxy maps that header onto ``Authorization`` (the article's workaround).
* ``AuthHeader.from_secret``: the state machine sends nothing; the proxy injects the secret
  as ``Authorization`` itself (or, with ``query_param``, as a query parameter of every
  request, for APIs that take their key only in the query: OpenWeatherMap's ``appid``).

Either way the template holds only a CloudFormation dynamic reference, never the value.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import SecretValue
from aws_cdk import aws_secretsmanager as secretsmanager


@dataclass(frozen=True)
class AuthHeader:
    """Where the ``Authorization`` header sent to the third party comes from.

    Create one with ``AuthHeader.remap`` or ``AuthHeader.from_secret``.
    """

    header_name: str | None
    """The custom header the state machine sends (remap mode), else ``None``."""
    value: SecretValue | None
    """The credential the state machine sends in ``header_name`` (remap mode), else ``None``."""
    secret: secretsmanager.ISecret | None
    """The secret the proxy injects (from_secret mode), else ``None``."""
    json_field: str | None = None
    """The JSON key of ``secret`` that holds the credential. Default: the whole secret string."""
    prefix: str = ""
    """Text put before the secret's value, e.g. ``"Bearer "``. Default: nothing."""
    query_param: str | None = None
    """The query parameter the proxy sets to ``secret`` (from_secret mode). Default: none, the
    secret goes in ``Authorization``."""

    @staticmethod
    def remap(header_name: str, value: SecretValue) -> AuthHeader:
        """Send ``value`` in header ``header_name``; the proxy maps it onto ``Authorization``.

        ``value`` must be a reference, e.g. ``SecretValue.secrets_manager("eve/token")`` or
        ``secret.secret_value``: the template then holds a dynamic reference that
        CloudFormation resolves at deploy time into the state machine definition. The value is
        visible at run time in the deployed definition and in each execution's history (the
        construct keeps execution data out of the logs in this mode). ``from_secret`` keeps it
        out of Step Functions entirely.

        The credential must not contain ``"``, ``\\`` or control characters: CloudFormation
        substitutes the secret's text into the definition's JSON unescaped, so they would break
        the definition (the deployment fails) or change the value sent (``\\u0041`` becomes
        ``A``). The construct cannot see the secret to check it; for such a credential use
        ``from_secret`` or ``Transport.http_task``. An SSM ``ssm-secure`` reference is refused:
        CloudFormation does not resolve it in a state machine.
        """
        return AuthHeader(header_name=header_name, value=value, secret=None)

    @staticmethod
    def from_secret(
        secret: secretsmanager.ISecret,
        *,
        json_field: str | None = None,
        prefix: str = "",
        query_param: str | None = None,
    ) -> AuthHeader:
        """Have the proxy inject ``secret`` as the ``Authorization`` header, or as the query
        parameter ``query_param`` of every request.

        The state machine never sees the credential; CloudFormation resolves it into the API
        Gateway integration's configuration at deploy time (a rotated secret needs a stack
        update). ``json_field`` picks one key of a JSON secret (default: the whole secret
        string); ``prefix`` is put before it, e.g. ``"Bearer "`` (default: nothing).
        ``query_param`` (default: ``None``, the ``Authorization`` header) names the query
        parameter for APIs that take their key only there: OpenWeatherMap's ``appid``,
        Google's ``key``, NASA's and TMDB's ``api_key``
        (``AuthHeader.from_secret(secret, query_param="appid")``). The proxy adds it to every
        request (a static integration request parameter, "Parameter mapping for REST APIs in
        API Gateway"); it is in no definition, execution history or log of the downloader.

        The credential and the prefix must not contain ``'``: API Gateway's static value is a
        single-quoted literal with no documented escape (a quote in the prefix is refused;
        the secret the construct cannot see). ``"`` and ``\\`` are fine here. For such a
        credential use ``remap`` or ``Transport.http_task``. In a query parameter, a
        credential of letters, digits and ``-._~`` is sent as it is; how API Gateway encodes
        other characters there is not documented.
        """
        return AuthHeader(
            header_name=None,
            value=None,
            secret=secret,
            json_field=json_field,
            prefix=prefix,
            query_param=query_param,
        )

    @property
    def credential_in_state(self) -> bool:
        """True when the credential passes through the state machine's data (remap mode)."""
        return self.header_name is not None
