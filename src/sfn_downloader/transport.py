"""Transport: how the state machine reaches the third party.

* ``Transport.api_gateway()`` (default): the article's way, ``apigateway:invoke`` through an
  IAM-authorized API Gateway REST API that proxies to the endpoint.
* ``Transport.http_task(connection)``: the Step Functions HTTP Task (``http:invoke``) with an
  EventBridge connection holding the credentials (API key, Basic or OAuth, in Secrets Manager).
  No API Gateway at all.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import aws_events as events


@dataclass(frozen=True)
class Transport:
    """The way requests leave Step Functions. Use the static methods to create one."""

    connection: events.IConnection | None = None
    """The EventBridge connection of the HTTP Task.
    Default: no connection, which means the API Gateway proxy."""

    @staticmethod
    def api_gateway() -> Transport:
        """``apigateway:invoke`` through an IAM-authorized REST API proxy (the default).

        Credentials: ``auth_header`` (the proxy sets ``Authorization``).
        Failures are named ``ApiGateway.<status>``.
        """
        return Transport()

    @staticmethod
    def http_task(connection: events.IConnection) -> Transport:
        """The HTTP Task (``arn:aws:states:::http:invoke``) with ``connection``'s credentials.

        The connection (``aws_events.Connection`` with ``Authorization.api_key``, ``.basic`` or
        ``.oauth``) applies the credential to every request; its secret stays in Secrets
        Manager, never in the template or the state data. Failures are named
        ``States.Http.StatusCode.<status>``. Each request may take at most 60 s.
        """
        return Transport(connection=connection)

    @property
    def is_http_task(self) -> bool:
        """True for the HTTP Task."""
        return self.connection is not None
