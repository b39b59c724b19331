"""The article's example: store EVE Online's player count every minute.

``python app.py`` writes ``cdk.out``; ``npx cdk synth`` (aws-cdk CLI) works too.
"""

from __future__ import annotations

import os

import aws_cdk as cdk
from constructs import Construct

from sfn_downloader import DownloaderPattern, ItemField


class EvePlayerCountStack(cdk.Stack):
    """One downloader: GET https://esi.evetech.net/v2/status, keep players and server version."""

    def __init__(self, scope: Construct, construct_id: str, **kwargs: object) -> None:
        super().__init__(scope, construct_id, **kwargs)  # type: ignore[arg-type]
        self.player_count = DownloaderPattern(
            self,
            "PlayerCount",
            endpoint="https://esi.evetech.net",
            path="/v2/status?datasource=tranquility",
            result_selector={
                "players.$": "$.ResponseBody.players",
                "serverVersion.$": "$.ResponseBody.server_version",
                "date.$": "$.Headers.Date[0]",
            },
            item={
                "count": ItemField.number("$.players"),
                "serverVersion": ItemField.string("$.serverVersion"),
                "responseDate": ItemField.string("$.date"),
            },
            headers={"Accept": "application/json"},
            downloader_id="eve/player-count",
        )


def build_app(outdir: str | None = None) -> cdk.App:
    """The example app; ``outdir`` defaults to ``cdk.out`` (or the CLI's CDK_OUTDIR)."""
    app = cdk.App(outdir=outdir or os.environ.get("CDK_OUTDIR") or "cdk.out")
    EvePlayerCountStack(app, "EvePlayerCount")
    return app


if __name__ == "__main__":
    build_app().synth()
