"""An OAuth2 API with a time window: every hour, the readings of the hour before, through the
Step Functions HTTP Task.

The API (a telemetry service, ``GET /v1/readings?start=...&end=...``) takes a bearer token from
an OAuth2 client-credentials grant. Only an EventBridge connection can hold such a grant
(``events.Authorization.oauth``: EventBridge fetches the token, refreshes it, and keeps the
client secret in Secrets Manager), and only the HTTP Task (``Transport.http_task``) uses a
connection: the API Gateway proxy cannot. Each run asks for the hour before its scheduled time
(``Window.last(Duration.hours(1))`` fills ``{window_start}`` and ``{window_end}``), so a
re-delivered or backfilled run asks for its own hour again, and consecutive runs cover time
without a gap.

``python app.py`` writes ``cdk.out``; ``make demo`` runs it locally against a stand-in that
checks the token and the window it receives. Create the client secret first: ``aws
secretsmanager create-secret --name telemetry/oauth-client-secret --secret-string <secret>``.
"""

from __future__ import annotations

import os

import aws_cdk as cdk
from aws_cdk import aws_events as events
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from sfn_downloader import DownloaderPattern, ItemField, Starts, Transport, Window

ENDPOINT = "https://api.telemetry.example"
TOKEN_ENDPOINT = "https://auth.telemetry.example/oauth2/token"
CLIENT_ID = "sfn-downloader"
SCOPE = "readings:read"
CLIENT_SECRET = "telemetry/oauth-client-secret"
"""The Secrets Manager secret holding the OAuth client secret (the whole secret string)."""


class OAuthWindowStack(cdk.Stack):
    """One downloader: the hour before each hourly run, from an OAuth2 API."""

    def __init__(self, scope: Construct, construct_id: str, **kwargs: object) -> None:
        super().__init__(scope, construct_id, **kwargs)  # type: ignore[arg-type]
        secret = secretsmanager.Secret.from_secret_name_v2(self, "ClientSecret", CLIENT_SECRET)
        connection = events.Connection(
            self,
            "TelemetryConnection",
            description="OAuth2 client credentials for the telemetry API",
            authorization=events.Authorization.oauth(
                authorization_endpoint=TOKEN_ENDPOINT,
                http_method=events.HttpMethod.POST,
                client_id=CLIENT_ID,
                client_secret=secret.secret_value,
                body_parameters={"scope": events.HttpParameter.from_string(SCOPE)},
            ),
        )
        self.readings = DownloaderPattern(
            self,
            "Readings",
            endpoint=ENDPOINT,
            path="/v1/readings?start={window_start}&end={window_end}",
            window=Window.last(cdk.Duration.hours(1)),
            starts=Starts.scheduled(scheduler.ScheduleExpression.rate(cdk.Duration.hours(1))),
            transport=Transport.http_task(connection),
            result_selector={
                "readings.$": "$.ResponseBody.readings",
                "count.$": "States.ArrayLength($.ResponseBody.readings)",
            },
            item={"readings": ItemField.json("$.readings"), "count": ItemField.number("$.count")},
            downloader_id="telemetry/readings",
        )


def build_app(outdir: str | None = None) -> cdk.App:
    """The example app; ``outdir`` defaults to ``cdk.out`` (or the CLI's CDK_OUTDIR)."""
    app = cdk.App(outdir=outdir or os.environ.get("CDK_OUTDIR") or "cdk.out")
    OAuthWindowStack(app, "OAuthWindow")
    return app


if __name__ == "__main__":
    build_app().synth()
