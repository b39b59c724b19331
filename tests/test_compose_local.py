"""Post-processing, the S3 archive and on-demand starts, run locally on moto, unchanged.

A message lands in an SQS queue, a notification on an SNS topic, an event on a bus and the
answer in a bucket, all from the synthesized definition of the ``composed`` scenario.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from local_helpers import Answer, Upstream
from sfn_downloader.local import LocalRunner

from scenarios import Scenario

SCHEDULED = "2026-11-27T05:30:00Z"
STATUS = {"players": 31000, "server_version": "2345678"}
KEY = {"pk": "eve/player-count", "sk": SCHEDULED}


def subscribe_queue(runner: LocalRunner, name: str) -> str:
    """A fresh queue (a stand-in consumer); returns its URL and ARN."""
    sqs = runner._client("sqs")
    url: str = sqs.create_queue(QueueName=name)["QueueUrl"]
    return url


def queue_arn(runner: LocalRunner, url: str) -> str:
    attributes = runner._client("sqs").get_queue_attributes(
        QueueUrl=url, AttributeNames=["QueueArn"]
    )
    return str(attributes["Attributes"]["QueueArn"])


def received(runner: LocalRunner, url: str) -> list[Any]:
    messages = runner._client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10)
    return [json.loads(m["Body"]) for m in messages.get("Messages", [])]


def test_composed_run_stores_archives_and_notifies(composed: Scenario, upstream: Upstream) -> None:
    upstream.script(default=Answer(200, STATUS))
    with LocalRunner(composed.patterns["p"], upstream=upstream.url) as runner:
        # Stand-in consumers of the topic and the bus (not part of the downloader).
        sns_inbox = subscribe_queue(runner, "sns-inbox")
        runner._client("sns").subscribe(
            TopicArn=runner.resource_name("TestStack/Changes"), Protocol="sqs",
            Endpoint=queue_arn(runner, sns_inbox), Attributes={"RawMessageDelivery": "true"},
        )  # fmt: skip
        bus_inbox = subscribe_queue(runner, "bus-inbox")
        events = runner._client("events")
        bus = runner.resource_name("TestStack/Bus")
        events.put_rule(
            Name="all", EventBusName=bus, EventPattern=json.dumps({"source": ["sfn-downloader"]})
        )
        events.put_targets(
            Rule="all", EventBusName=bus, Targets=[{"Id": "1", "Arn": queue_arn(runner, bus_inbox)}]
        )

        execution = runner.run(SCHEDULED)
        assert execution.status == "SUCCEEDED", execution.cause
        bucket = runner.resource_name("TestStack/PlayerCount/Bucket")
        documented_input = {
            "scheduledTime": SCHEDULED,
            "result": {"players": 31000},
            "key": KEY,
            "object": {"bucket": bucket, "key": f"eve/player-count/{SCHEDULED}.json"},
        }
        # DynamoDB: the item, as without post-processing
        [item] = runner.items()
        assert item == {**KEY, "count": 31000}
        # S3: the selected result, under <downloader id>/<scheduled time>.json
        assert runner.objects() == {
            f"{bucket}/eve/player-count/{SCHEDULED}.json": {"players": 31000}
        }
        # SQS: the whole documented post-processing input
        assert received(runner, runner.resource_name("TestStack/Results")) == [documented_input]
        # SNS: the selected result
        assert received(runner, sns_inbox) == [{"players": 31000}]
        # EventBridge: an event whose detail is the documented input
        [event] = received(runner, bus_inbox)
        assert event["source"] == "sfn-downloader"
        assert event["detail-type"] == "Downloaded"
        assert event["detail"] == documented_input
        # The execution's output is the documented input (the post-processing tasks discard
        # their own results)
        assert execution.output == documented_input


def test_on_demand_run_with_a_time_stores_under_it(on_demand: Scenario, upstream: Upstream) -> None:
    upstream.script(default=Answer(200, STATUS))
    with LocalRunner(on_demand.patterns["p"], upstream=upstream.url) as runner:
        execution = runner.run(input={"scheduledTime": SCHEDULED})
        assert execution.status == "SUCCEEDED", execution.cause
        assert [item["sk"] for item in runner.items()] == [SCHEDULED]


@pytest.mark.parametrize(
    "sent",
    [{}, {"scheduledTime": "yesterday"}, {"when": SCHEDULED}, {"scheduledTime": None},
     {"scheduledTime": 1795757400}, {"scheduledTime": [SCHEDULED]}],
)  # fmt: skip
def test_on_demand_run_without_a_time_fails_before_downloading(
    on_demand: Scenario, upstream: Upstream, sent: dict[str, Any]
) -> None:
    """Values ``$toMillis`` would raise on (T0410, D3110) are a rule not matched in the one
    JSONata ``CheckInput``: ``InvalidInput``, never ``States.QueryEvaluationError``."""
    upstream.script(default=Answer(200, STATUS))
    before = len(upstream.requests)
    with LocalRunner(on_demand.patterns["p"], upstream=upstream.url) as runner:
        execution = runner.run(input=sent)
        assert execution.status == "FAILED"
        assert execution.error == "Downloader.InvalidInput"
        assert "scheduledTime" in (execution.cause or "")
        assert runner.items() == []
    assert len(upstream.requests) == before


@pytest.fixture(scope="module")
def alerts() -> Any:
    """The composed example: archive to S3, SNS above a threshold."""
    import importlib.util

    import aws_cdk as cdk

    path = Path(__file__).resolve().parent.parent / "examples" / "eve_player_count" / "alerts.py"
    spec = importlib.util.spec_from_file_location("eve_alerts", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    stack = module.EvePlayerCountAlertsStack(cdk.App(), "EvePlayerCountAlerts")
    return stack, module.PLAYER_THRESHOLD


def test_example_notifies_only_above_the_threshold(alerts: Any, upstream: Upstream) -> None:
    stack, threshold = alerts
    with LocalRunner(stack.player_count, upstream=upstream.url) as runner:
        inbox = subscribe_queue(runner, "crowded-inbox")
        runner._client("sns").subscribe(
            TopicArn=runner.resource_name("EvePlayerCountAlerts/Crowded"), Protocol="sqs",
            Endpoint=queue_arn(runner, inbox), Attributes={"RawMessageDelivery": "true"},
        )  # fmt: skip
        upstream.script(Answer(200, {"players": threshold - 1}), Answer(200, {"players": 40000}))
        quiet = runner.run("2026-11-27T05:30:00Z")
        crowded = runner.run("2026-11-27T05:35:00Z")
        assert (quiet.status, crowded.status) == ("SUCCEEDED", "SUCCEEDED"), crowded.cause
        assert received(runner, inbox) == [
            {
                "players": 40000,
                "at": "2026-11-27T05:35:00Z",
                "archived": "eve/player-count-alerts/2026-11-27T05:35:00Z.json",
            }
        ]
        assert len(runner.objects()) == 2
        assert len(runner.items()) == 2
