"""A composed use of the EVE player count: archive every raw answer to S3, and publish an SNS
notification when the count crosses a threshold (a Choice, then SNS), all without a Lambda.

Separate from ``app.py`` so the article's two downloaders keep their two-state runs.
``python alerts.py`` writes ``cdk.out.alerts``.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from sfn_downloader import Archive, DownloaderPattern, ItemField

PLAYER_THRESHOLD = 30_000
"""Notify when more players than this are online."""


class EvePlayerCountAlertsStack(cdk.Stack):
    """``PlayerCountAlerts``: the player count every 5 minutes, stored in DynamoDB and archived
    to S3; above ``PLAYER_THRESHOLD`` players, a message on the ``Crowded`` topic."""

    def __init__(self, scope: Construct, construct_id: str, **kwargs: object) -> None:
        super().__init__(scope, construct_id, **kwargs)  # type: ignore[arg-type]
        key = kms.Key(self, "TopicKey", enable_key_rotation=True)
        # The downloader grants its role kms:GenerateDataKey* and kms:Decrypt on this key: SNS
        # needs them of every publisher to a topic encrypted with a customer-managed key.
        self.topic = sns.Topic(self, "Crowded", enforce_ssl=True, master_key=key)
        # The post-processing input: {"scheduledTime", "result", "key", "object"}.
        notify = tasks.SnsPublish(
            self,
            "NotifyCrowded",
            topic=self.topic,
            subject="EVE Online is crowded",
            message=sfn.TaskInput.from_object(
                {
                    "players": sfn.JsonPath.number_at("$.result.players"),
                    "at": sfn.JsonPath.string_at("$.key.sk"),
                    "archived": sfn.JsonPath.string_at("$.object.key"),
                }
            ),
            result_path=sfn.JsonPath.DISCARD,
        )
        crowded = (
            sfn.Choice(self, "Crowded?")
            .when(sfn.Condition.number_greater_than("$.result.players", PLAYER_THRESHOLD), notify)
            .otherwise(sfn.Succeed(self, "NotCrowded"))
        )
        self.player_count = DownloaderPattern(
            self,
            "PlayerCountAlerts",
            endpoint="https://esi.evetech.net",
            path="/v2/status?datasource=tranquility",
            result_selector={"players.$": "$.ResponseBody.players"},
            item={"count": ItemField.number("$.players")},
            downloader_id="eve/player-count-alerts",
            archive=Archive.to_new_bucket(retention=cdk.Duration.days(365)),
            post_process=crowded,
        )


if __name__ == "__main__":
    app = cdk.App(outdir="cdk.out.alerts")
    EvePlayerCountAlertsStack(app, "EvePlayerCountAlerts")
    app.synth()
