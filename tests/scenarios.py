"""Scenario building blocks shared by the tests: props, a synthesized stack wrapper."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from aws_cdk.assertions import Template

from sfn_downloader import (
    Archive,
    AuthHeader,
    Concurrency,
    Constant,
    DownloaderPattern,
    FanOut,
    Incremental,
    ItemField,
    Pagination,
    Records,
    RetryAfter,
    Starts,
    StatusAction,
    Store,
    Transport,
    Trim,
    Window,
)

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

EVE_PROPS: dict[str, Any] = {
    "endpoint": "https://esi.evetech.net",
    "path": "/v2/status",
    "result_selector": {"players.$": "$.ResponseBody.players"},
    "item": {"count": ItemField.number("$.players")},
}


@dataclass
class Scenario:
    """A synthesized stack and the patterns in it."""

    stack: cdk.Stack
    template: Template
    patterns: dict[str, DownloaderPattern]

    @cached_property
    def json(self) -> dict[str, Any]:
        return self.template.to_json()  # type: ignore[no-any-return]

    def resolve(self, value: Any) -> Any:
        return self.stack.resolve(value)


def synth(build: Callable[[cdk.Stack], dict[str, DownloaderPattern]]) -> Scenario:
    app = cdk.App()
    stack = cdk.Stack(app, "TestStack")
    patterns = build(stack)
    return Scenario(stack=stack, template=Template.from_stack(stack), patterns=patterns)


def build_default(stack: cdk.Stack) -> dict[str, DownloaderPattern]:
    """The README's minimal example: every default."""
    return {"p": DownloaderPattern(stack, "PlayerCount", **EVE_PROPS)}


def build_full(stack: cdk.Stack) -> dict[str, DownloaderPattern]:
    """Every prop set: Standard, remapped secret, headers, cron, own key, alarms topic."""
    key = kms.Key(stack, "Key", enable_key_rotation=True)
    topic = sns.Topic(stack, "Alerts", enforce_ssl=True, master_key=key)
    pattern = DownloaderPattern(
        stack,
        "Orders",
        endpoint="https://api.example.com:8443/",
        path="/v1/orders?region=10000002&type=sell&type=buy",
        result_selector={
            "orders.$": "$.ResponseBody.orders",
            "meta": {"date.$": "$.Headers.Date[0]", "source": "example"},
        },
        item={
            "orders": ItemField.json("$.orders"),
            "date": ItemField.string("$.meta.date"),
            "source": ItemField.string("$.meta.source"),
        },
        headers={"Accept": "application/json", "User-Agent": "sfn-downloader-test"},
        auth_header=AuthHeader.remap(
            "MyCustomAuth", cdk.SecretValue.secrets_manager("example/api-token")
        ),
        workflow_type=sfn.StateMachineType.STANDARD,
        starts=Starts.scheduled(scheduler.ScheduleExpression.cron(minute="*/15")),
        timeout=cdk.Duration.minutes(10),
        removal_policy=cdk.RemovalPolicy.DESTROY,
        encryption_key=key,
        point_in_time_recovery=True,
        downloader_id="example/orders",
        retry=sfn.RetryProps(max_attempts=5, interval=cdk.Duration.seconds(1)),
        alarm_topic=topic,
        log_retention=logs.RetentionDays.ONE_YEAR,
        transport=Transport.api_gateway(logging=True),
    )
    return {"p": pattern}


def build_from_secret(stack: cdk.Stack) -> dict[str, DownloaderPattern]:
    """The proxy injects a Secrets Manager secret as Authorization."""
    secret = secretsmanager.Secret(stack, "ApiToken")
    pattern = DownloaderPattern(
        stack, "Status", **EVE_PROPS,
        auth_header=AuthHeader.from_secret(secret, json_field="token", prefix="Bearer "),
    )  # fmt: skip
    return {"p": pattern}


def build_shared_table(stack: cdk.Stack) -> dict[str, DownloaderPattern]:
    """Two downloaders in one stack, the second writing to the first one's table, with its own
    key for everything else it creates (log group, dead-letter queue, archive bucket)."""
    first = DownloaderPattern(stack, "PlayerCount", **EVE_PROPS)
    second = DownloaderPattern(
        stack, "ServerVersion", endpoint="https://esi.evetech.net", path="/v2/status",
        item={"version": ItemField.string("$.ResponseBody.server_version")},
        table=first.table, archive=Archive.to_new_bucket(),
        encryption_key=kms.Key(stack, "VersionKey", enable_key_rotation=True),
    )  # fmt: skip
    return {"first": first, "second": second}


PSEUDO = {
    "AWS::Partition": "aws",
    "AWS::Region": "us-east-1",
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::AccountId": "123456789012",
    "AWS::StackName": "TestStack",
}


def _literal(value: Any) -> str:
    """A stand-in string for an intrinsic, so a definition renders to plain JSON."""
    if isinstance(value, str):
        return value
    if "Ref" in value:
        return PSEUDO.get(value["Ref"], value["Ref"])
    if "Fn::GetAtt" in value:
        logical_id, attribute = value["Fn::GetAtt"]
        return f"arn:aws:service:us-east-1:123456789012:{logical_id}/{attribute}"
    if "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return str(separator).join(_literal(part) for part in parts)
    if "Fn::Sub" in value and isinstance(value["Fn::Sub"], str):  # an asset's bucket
        text = value["Fn::Sub"]
        for name, literal in PSEUDO.items():
            text = text.replace("${" + name + "}", literal)
        return text
    raise AssertionError(f"unexpected intrinsic {value}")


def state_machines(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Logical id → state machine resource."""
    return {
        logical_id: resource
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == "AWS::StepFunctions::StateMachine"
    }


def rendered_definition(
    template: dict[str, Any], logical_id: str | None = None, *, substitute: bool = True
) -> str:
    """The state machine's DefinitionString with its tokens (and, unless ``substitute`` is
    False, its DefinitionSubstitutions) filled in, as CloudFormation does: a literal JSON text."""
    machines = state_machines(template)
    resource = machines[logical_id] if logical_id else next(iter(machines.values()))
    text = _literal(resource["Properties"]["DefinitionString"])
    substitutions = resource["Properties"].get("DefinitionSubstitutions", {})
    for name, value in substitutions.items() if substitute else ():
        text = text.replace("${" + name + "}", _literal(value))
    return text


def definition(scenario: Scenario, key: str = "p") -> dict[str, Any]:
    """The parsed ASL definition of one pattern of a scenario."""
    logical_id = scenario.stack.get_logical_id(
        scenario.patterns[key].state_machine.node.default_child
    )  # type: ignore[arg-type]
    return json.loads(rendered_definition(scenario.json, logical_id))  # type: ignore[no-any-return]


MARKET_PATH = "/v1/markets/{region_id}/orders/?order_type=all"
ORDERS_ITEM = {"orders": ItemField.json("$.ResponseBody")}


def build_fanout(stack: cdk.Stack) -> dict[str, DownloaderPattern]:
    """A path template over three region ids, at most 2 requests at once (inline Map)."""
    pattern = DownloaderPattern(
        stack, "Markets", endpoint="https://esi.evetech.net", path=MARKET_PATH,
        fan_out=FanOut.path_values({"region_id": [10000002, 10000043, 10000032]}),
        concurrency=Concurrency.inline(2),
        item=ORDERS_ITEM,
    )  # fmt: skip
    return {"p": pattern}


def build_distributed(stack: cdk.Stack) -> dict[str, DownloaderPattern]:
    """A list of paths over the inline Map's ceiling: a Distributed Map, Standard by default."""
    pattern = DownloaderPattern(
        stack, "Many", endpoint="https://api.example.com",
        fan_out=FanOut.paths([f"/v1/items/{n}" for n in range(5)]),
        concurrency=Concurrency.distributed(100),
        result_selector={"value.$": "$.ResponseBody.value"},
        item={"value": ItemField.number("$.value")},
    )  # fmt: skip
    return {"p": pattern}


S3_PATHS = 100_000


def build_from_s3(stack: cdk.Stack) -> dict[str, DownloaderPattern]:
    """Issue 28: 100,000 paths a day, read from S3 by a Distributed Map in batches."""
    pattern = DownloaderPattern(
        stack, "Everything", endpoint="https://api.example.com",
        fan_out=FanOut.paths([f"/v1/items/{n}" for n in range(S3_PATHS)]),
        concurrency=Concurrency.distributed(100, items_from_s3=True),
        starts=Starts.scheduled(scheduler.ScheduleExpression.cron(minute="0", hour="1")),
        result_selector={"value.$": "$.ResponseBody.value"},
        item={"value": ItemField.number("$.value")},
    )  # fmt: skip
    return {"p": pattern}


def build_pages(stack: cdk.Stack) -> dict[str, DownloaderPattern]:
    """EVE market orders of one region: every page the X-Pages header announces."""
    pattern = DownloaderPattern(
        stack, "Orders", endpoint="https://esi.evetech.net",
        path="/v1/markets/10000002/orders/?order_type=all",
        pagination=Pagination.page_count(header="X-Pages", max_pages=50),
        concurrency=Concurrency.inline(4),
        item=ORDERS_ITEM,
    )  # fmt: skip
    return {"p": pattern}


def build_cursor(stack: cdk.Stack) -> dict[str, DownloaderPattern]:
    """A cursor-paginated endpoint, at most 3 pages a run."""
    pattern = DownloaderPattern(
        stack, "Feed", endpoint="https://api.example.com", path="/v1/feed",
        pagination=Pagination.cursor(next_path="$.ResponseBody.next", max_pages=3),
        result_selector={"entries.$": "$.ResponseBody.entries"},
        item={"entries": ItemField.json("$.entries")},
    )  # fmt: skip
    return {"p": pattern}


def build_http_task(stack: cdk.Stack) -> dict[str, DownloaderPattern]:
    """The HTTP Task with an API-key connection: no API Gateway."""
    connection = events.Connection(
        stack, "EsiConnection",
        authorization=events.Authorization.api_key(
            "X-Api-Key", cdk.SecretValue.secrets_manager("esi/api-key")
        ),
    )  # fmt: skip
    pattern = DownloaderPattern(
        stack, "Status", **EVE_PROPS, headers={"Accept": "application/json"},
        transport=Transport.http_task(connection),
    )  # fmt: skip
    return {"p": pattern}


def build_http_task_basic(stack: cdk.Stack) -> dict[str, DownloaderPattern]:
    """The HTTP Task with a Basic connection whose password is a Secrets Manager secret."""
    password = secretsmanager.Secret(stack, "EsiPassword")
    connection = events.Connection(
        stack, "EsiBasic",
        authorization=events.Authorization.basic("downloader", password.secret_value),
    )  # fmt: skip
    pattern = DownloaderPattern(
        stack, "Status", **EVE_PROPS, transport=Transport.http_task(connection),
    )  # fmt: skip
    return {"p": pattern}


def build_http_task_pages(stack: cdk.Stack) -> dict[str, DownloaderPattern]:
    """X-Pages pagination over the HTTP Task (API-key connection)."""
    connection = events.Connection(
        stack, "EsiConnection",
        authorization=events.Authorization.api_key(
            "X-Api-Key", cdk.SecretValue.secrets_manager("esi/api-key")
        ),
    )  # fmt: skip
    pattern = DownloaderPattern(
        stack, "Orders", endpoint="https://esi.evetech.net",
        path="/v1/markets/10000002/orders/?order_type=all",
        pagination=Pagination.page_count(header="X-Pages", max_pages=50),
        concurrency=Concurrency.inline(4),
        item=ORDERS_ITEM, transport=Transport.http_task(connection),
    )  # fmt: skip
    return {"p": pattern}


def build_retained(stack: cdk.Stack) -> dict[str, DownloaderPattern]:
    """retention=30 days on one path, on a fan-out and on X-Pages pages sharing its table."""
    single = DownloaderPattern(stack, "Status", **EVE_PROPS, retention=cdk.Duration.days(30))
    fanout = DownloaderPattern(
        stack, "Markets", endpoint="https://esi.evetech.net", path=MARKET_PATH,
        fan_out=FanOut.path_values({"region_id": [10000002, 10000043]}), item=ORDERS_ITEM,
        table=single.table, retention=cdk.Duration.days(30),
    )  # fmt: skip
    pages = DownloaderPattern(
        stack, "Pages", endpoint="https://esi.evetech.net",
        path="/v1/markets/10000002/orders/?order_type=all", downloader_id="pages",
        pagination=Pagination.page_count(header="X-Pages", max_pages=10), item=ORDERS_ITEM,
        table=single.table, retention=cdk.Duration.days(30),
    )  # fmt: skip
    return {"p": single, "fanout": fanout, "pages": pages}


def notifications(stack: cdk.Stack, prefix: str = "") -> sfn.IChainable:
    """Post-processing of each kind the local runner proves: SQS, SNS, EventBridge."""
    queue = sqs.Queue(
        stack, f"{prefix}Results", encryption=sqs.QueueEncryption.SQS_MANAGED, enforce_ssl=True
    )
    cdk.Validations.of(queue).acknowledge(
        cdk.Acknowledgment(id="AwsSolutions-SQS3", reason="A consumer's queue: it has no DLQ.")
    )
    key = kms.Key(stack, f"{prefix}TopicKey", enable_key_rotation=True)
    topic = sns.Topic(stack, f"{prefix}Changes", enforce_ssl=True, master_key=key)
    bus = events.EventBus(stack, f"{prefix}Bus", event_bus_name=f"{prefix.lower()}downloads")
    whole_state = sfn.TaskInput.from_json_path_at("$")
    send = tasks.SqsSendMessage(
        stack, f"{prefix}SendToQueue", queue=queue, message_body=whole_state,
        result_path=sfn.JsonPath.DISCARD,
    )  # fmt: skip
    publish = tasks.SnsPublish(
        stack, f"{prefix}PublishCount", topic=topic, subject="Player count",
        message=sfn.TaskInput.from_json_path_at("$.result"), result_path=sfn.JsonPath.DISCARD,
    )  # fmt: skip
    put_event = tasks.EventBridgePutEvents(
        stack, f"{prefix}PutEvent",
        entries=[
            tasks.EventBridgePutEventsEntry(
                event_bus=bus, source="sfn-downloader", detail_type="Downloaded",
                detail=whole_state,
            )
        ],
        result_path=sfn.JsonPath.DISCARD,
    )  # fmt: skip
    return send.next(publish).next(put_event)


def build_composed(stack: cdk.Stack) -> dict[str, DownloaderPattern]:
    """Post-processing (SQS, SNS, EventBridge) after both sinks: DynamoDB and a created bucket."""
    pattern = DownloaderPattern(
        stack, "PlayerCount", **EVE_PROPS, downloader_id="eve/player-count",
        archive=Archive.to_new_bucket(retention=cdk.Duration.days(365)),
        post_process=notifications(stack),
    )  # fmt: skip
    return {"p": pattern}


def build_own_bucket(stack: cdk.Stack) -> dict[str, DownloaderPattern]:
    """The raw answer (no result_selector) archived in the user's KMS-encrypted bucket."""
    key = kms.Key(stack, "ArchiveKey", enable_key_rotation=True)
    bucket = s3.Bucket(
        stack, "Archive", encryption=s3.BucketEncryption.KMS, encryption_key=key,
        enforce_ssl=True, block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
    )  # fmt: skip
    cdk.Validations.of(bucket).acknowledge(
        cdk.Acknowledgment(id="AwsSolutions-S1", reason="The user's bucket: not under test.")
    )
    pattern = DownloaderPattern(
        stack, "Raw", endpoint="https://esi.evetech.net", path="/v2/status",
        item={"count": ItemField.number("$.ResponseBody.players")},
        archive=Archive.to_bucket(bucket),
    )  # fmt: skip
    return {"p": pattern}


def build_on_demand(stack: cdk.Stack) -> dict[str, DownloaderPattern]:
    """Started on demand only, by a role granted StartExecution."""
    pattern = DownloaderPattern(
        stack, "OnDemand", **EVE_PROPS, starts=Starts.on_demand(),
    )  # fmt: skip
    caller = iam.Role(stack, "Caller", assumed_by=iam.AccountRootPrincipal())
    pattern.grant_start_execution(caller)
    both = DownloaderPattern(
        stack, "Both", **EVE_PROPS, starts=Starts.scheduled_and_on_demand(), table=pattern.table,
    )  # fmt: skip
    return {"p": pattern, "both": both}


def build_dashboards(stack: cdk.Stack) -> dict[str, DownloaderPattern]:
    """A downloader with a dashboard of its own, and two sharing one passed in: X-Pages over the
    proxy, and the HTTP Task on demand (no proxy, no schedule)."""
    own = DownloaderPattern(stack, "PlayerCount", **EVE_PROPS, dashboard=True)
    shared = cloudwatch.Dashboard(stack, "Downloaders", dashboard_name="Downloaders")
    pages = DownloaderPattern(
        stack, "Orders", endpoint="https://esi.evetech.net",
        path="/v1/markets/10000002/orders/?order_type=all",
        pagination=Pagination.page_count(header="X-Pages", max_pages=50),
        item=ORDERS_ITEM, table=own.table, dashboard=shared,
    )  # fmt: skip
    connection = events.Connection(
        stack, "EsiConnection",
        authorization=events.Authorization.api_key(
            "X-Api-Key", cdk.SecretValue.secrets_manager("esi/api-key")
        ),
    )  # fmt: skip
    http = DownloaderPattern(
        stack, "Status", **EVE_PROPS, transport=Transport.http_task(connection),
        starts=Starts.on_demand(), table=own.table, dashboard=shared,
    )  # fmt: skip
    return {"p": own, "pages": pages, "http": http}


def build_keyed(stack: cdk.Stack) -> dict[str, DownloaderPattern]:
    """Overridden runs keyed by their values (archived alike), next to a Slack-like cursor and
    a path-like constant header, on one table: what keeps runs from overwriting each other."""
    status = DownloaderPattern(
        stack, "Status", **(EVE_PROPS | {"path": "/v2/status?datasource=tranquility&language=en"}),
        starts=Starts.scheduled_and_on_demand(overridable_query=["datasource", "language"]),
        archive=Archive.to_new_bucket(), headers={"X-Filter": Constant("$.players")},
    )  # fmt: skip
    channels = DownloaderPattern(
        stack, "Channels", endpoint="https://slack.com", path="/api/conversations.list",
        pagination=Pagination.cursor(next_path="$.ResponseBody.response_metadata.next_cursor"),
        result_selector={"channels.$": "$.ResponseBody.channels"},
        item={"channels": ItemField.json("$.channels")}, table=status.table,
    )  # fmt: skip
    # The same overrides without the archive: the download computes them (issue 28(a)).
    overridden = DownloaderPattern(
        stack, "Overridden", **(EVE_PROPS | {"path": "/v2/status?datasource=tranquility"}),
        starts=Starts.on_demand(overridable_query=["datasource"]), table=status.table,
        downloader_id="overridden",
    )  # fmt: skip
    return {"p": status, "channels": channels, "overridden": overridden}


ORDER_FIELDS = ("type_id", "price", "volume_remain", "is_buy_order", "location_id")


def build_retry_after(stack: cdk.Stack) -> dict[str, DownloaderPattern]:
    """retry_after: a status with a result_selector; a rate-limited path with a reset header, an
    on_status action and a remapped credential; an incremental mark (a query name computed each
    run, which the non-proxy integration must map)."""
    status = DownloaderPattern(
        stack, "Status", endpoint="https://api.example.com", path="/v1/status",
        result_selector={"players.$": "$.ResponseBody.players"},
        item={"players": ItemField.number("$.players")},
        retry_after=RetryAfter(max_wait=cdk.Duration.minutes(2)),
    )  # fmt: skip
    limited = DownloaderPattern(
        stack, "Limited", endpoint="https://api.example.com", path="/v1/limited?region=1",
        auth_header=AuthHeader.remap(
            "MyCustomAuth", cdk.SecretValue.secrets_manager("example/api-token")
        ),
        item={"body": ItemField.json("$.ResponseBody")},
        on_status={404: StatusAction.SKIP},
        retry_after=RetryAfter(max_wait=cdk.Duration.minutes(2), reset_header="X-RateLimit-Reset"),
    )  # fmt: skip
    issues = DownloaderPattern(
        stack, "Issues", endpoint="https://api.github.com", path="/repos/o/r/issues",
        incremental=Incremental(cursor_path="$.ResponseBody[*].updated_at", param="since",
                                initial="2026-01-01T00:00:00Z"),
        item={"issues": ItemField.json("$.ResponseBody")},
        retry_after=RetryAfter(max_wait=cdk.Duration.minutes(1)),
    )  # fmt: skip
    return {"status": status, "limited": limited, "issues": issues}


def build_trimmed(stack: cdk.Stack) -> dict[str, DownloaderPattern]:
    """The issue's JitaOrders: every page of The Forge's orders, trimmed at the proxy; a single
    request trimmed with headers, a remapped credential and a repeated query parameter; a
    cursor in the body next to the trimmed list; a summary template."""
    pages = DownloaderPattern(
        stack, "JitaOrders", endpoint="https://esi.evetech.net",
        path="/v1/markets/10000002/orders/?order_type=all",
        pagination=Pagination.page_count(header="X-Pages", max_pages=10),
        concurrency=Concurrency.inline(2),
        trim=Trim.fields(*ORDER_FIELDS), item=ORDERS_ITEM,
    )  # fmt: skip
    single = DownloaderPattern(
        stack, "Orders", endpoint="https://api.example.com",
        path="/v1/orders?type=sell&type=buy&region=10000002",
        headers={"Accept": "application/json", "User-Agent": "sfn-downloader-test"},
        auth_header=AuthHeader.remap(
            "MyCustomAuth", cdk.SecretValue.secrets_manager("example/api-token")
        ),
        result_selector={
            "orders.$": "$.ResponseBody",
            "etag.$": "$.Headers.ETag[0]",
            "pages.$": "$.Headers['X-Pages'][0]",
            "requestId.$": "$.Headers['X-Request-Id'][0]",
            "status.$": "$.StatusCode",
        },
        item={
            "orders": ItemField.json("$.orders"),
            "etag": ItemField.string("$.etag"),
            "pages": ItemField.string("$.pages"),
            "requestId": ItemField.string("$.requestId"),
            "status": ItemField.number("$.status"),
        },
        trim=Trim.fields("id", "name", "price", "note", "nested", "big", "ratio", "missing"),
        table=pages.table,
    )  # fmt: skip
    feed = DownloaderPattern(
        stack, "Feed", endpoint="https://api.example.com", path="/v1/feed",
        pagination=Pagination.cursor(next_path="$.ResponseBody.next", max_pages=5),
        trim=Trim.fields("id", items_path="$.data"),
        item={"entries": ItemField.json("$.ResponseBody.data")}, table=pages.table,
    )  # fmt: skip
    summary = DownloaderPattern(
        stack, "OrderSummary", endpoint="https://esi.evetech.net",
        path="/v1/markets/10000002/orders/?order_type=all",
        pagination=Pagination.page_count(header="X-Pages", max_pages=10),
        trim=Trim.template(ORDER_SUMMARY_VTL),
        item={
            "count": ItemField.number("$.ResponseBody.count"),
            "minSell": ItemField.json("$.ResponseBody.minSell"),
            "maxBuy": ItemField.json("$.ResponseBody.maxBuy"),
        },
        table=pages.table,
    )  # fmt: skip
    return {"p": pages, "single": single, "feed": feed, "summary": summary}


ORDER_SUMMARY_VTL = """\
#set($orders = $input.path('$'))
#set($minSell = $null)
#set($maxBuy = $null)
#foreach($order in $orders)
#if($order.is_buy_order)
#if($maxBuy == $null)#set($maxBuy = $order.price)\
#elseif($order.price > $maxBuy)#set($maxBuy = $order.price)#end
#else
#if($minSell == $null)#set($minSell = $order.price)\
#elseif($order.price < $minSell)#set($minSell = $order.price)#end
#end
#end
{"count": $orders.size(), "minSell": #if($minSell == $null)null#else$minSell#end, \
"maxBuy": #if($maxBuy == $null)null#else$maxBuy#end}
"""
"""Per page: how many orders, the lowest sell price and the highest buy price."""


EXAMPLE_API = "https://api.example.com"
"""The endpoint of the paginated scenarios."""


def api_key_connection(stack: cdk.Stack, construct_id: str = "ApiConnection") -> events.Connection:
    """An API-key connection for the HTTP Task scenarios (local runs pass its key as a secret)."""
    return events.Connection(
        stack, construct_id,
        authorization=events.Authorization.api_key(
            "X-Api-Key", cdk.SecretValue.secrets_manager("example/api-key")
        ),
    )  # fmt: skip


def build_paginators(
    stack: cdk.Stack, *, http_task: bool = False, only: tuple[str, ...] | None = None
) -> dict[str, DownloaderPattern]:
    """Each next-page paginator, on the proxy (or on the HTTP Task): GitHub's Link header,
    Django REST's next URL, offset/limit and page numbers, with and without their options
    (``only``: these of them)."""
    body = {"page": ItemField.json("$.ResponseBody")}
    kinds: dict[str, dict[str, Any]] = {
        "Issues": {"path": "/repos/o/r/issues?per_page=2&state=all",
                   "pagination": Pagination.link_header(max_pages=10)},
        "People": {"path": "/api/people/?format=json",
                   "pagination": Pagination.next_url(path="$.ResponseBody.next", max_pages=10),
                   "result_selector": {"results.$": "$.ResponseBody.results"},
                   "item": {"people": ItemField.json("$.results")}},
        "Offset": {"path": "/v1/items?sort=id",
                   "pagination": Pagination.offset(limit=2, items_path="$.ResponseBody.results")},
        "OffsetTotal": {"path": "/v1/items?sort=id",
                        "pagination": Pagination.offset(
                            param="start", limit_param="count", limit=2,
                            items_path="$.ResponseBody.results", total_path="$.ResponseBody.total",
                        )},
        "Numbers": {"path": "/v1/events?per_page=2",
                    "pagination": Pagination.page_number(items_path="$.ResponseBody")},
        "Sized": {"path": "/v1/events?per_page=2",
                  "pagination": Pagination.page_number(start=0, page_size=2)},
    }  # fmt: skip
    patterns = {}
    for name, props in kinds.items():
        if only is not None and name not in only:
            continue
        transport = (
            Transport.http_task(api_key_connection(stack, f"{name}Connection"))
            if http_task
            else None
        )
        patterns[name] = DownloaderPattern(
            stack, name, endpoint=EXAMPLE_API, transport=transport, **{"item": body, **props}
        )
    return patterns


def build_paginators_http(stack: cdk.Stack) -> dict[str, DownloaderPattern]:
    """``build_paginators`` on the HTTP Task."""
    return build_paginators(stack, http_task=True)


def build_status_actions(
    stack: cdk.Stack, *, http_task: bool = False, only: tuple[str, ...] | None = None
) -> dict[str, DownloaderPattern]:
    """``on_status`` on each shape: one request, a fan-out of paginated paths (GitHub-like Link
    headers), a page loop, cursor and X-Pages pagination."""
    skip = {404: StatusAction.SKIP, 204: StatusAction.SKIP}
    end = {404: StatusAction.END, 204: StatusAction.END}
    value = {"value": ItemField.json("$.value")}
    kinds: dict[str, dict[str, Any]] = {
        "One": {"path": "/v1/thing", "on_status": skip, "item": value,
                "result_selector": {"value.$": "$.ResponseBody.value"}},
        "Repos": {"fan_out": FanOut.paths(["/repos/a/issues", "/repos/b/issues",
                                           "/repos/c/issues?state=all"]),
                  "pagination": Pagination.link_header(), "on_status": {404: StatusAction.SKIP},
                  "item": {"page": ItemField.json("$.ResponseBody")}},
        "Events": {"path": "/v1/events", "on_status": end,
                   "pagination": Pagination.page_number(items_path="$.ResponseBody.items"),
                   "result_selector": {"value.$": "$.ResponseBody.items"}, "item": value},
        "Feed": {"path": "/v1/feed", "on_status": end,
                 "pagination": Pagination.cursor(next_path="$.ResponseBody.next"),
                 "item": {"page": ItemField.json("$.ResponseBody")}},
        "Orders": {"path": "/v1/orders", "on_status": skip, "pagination": Pagination.page_count(),
                   "item": {"page": ItemField.json("$.ResponseBody")}},
    }  # fmt: skip
    patterns = {}
    for name, props in kinds.items():
        if only is not None and name not in only:
            continue
        transport = (
            Transport.http_task(api_key_connection(stack, f"{name}Connection"))
            if http_task
            else None
        )
        patterns[name] = DownloaderPattern(
            stack, name, endpoint=EXAMPLE_API, transport=transport, **props
        )
    return patterns


def build_status_actions_http(stack: cdk.Stack) -> dict[str, DownloaderPattern]:
    """``build_status_actions`` on the HTTP Task."""
    return build_status_actions(stack, http_task=True)


def build_from_answer(
    stack: cdk.Stack, *, http_task: bool = False, only: tuple[str, ...] | None = None
) -> dict[str, DownloaderPattern]:
    """Requests found in another answer: EVE's market types (X-Pages), then each type's
    history (the first 3); object items by field, every item, each item paginated; 15,000
    types in batches of a Distributed Map."""
    body = {"page": ItemField.json("$.ResponseBody")}
    things = {"path": "/v1/things?kind=all", "items": "$.ResponseBody.things",
              "each": "/v1/things/{item.id}/detail"}  # fmt: skip
    kinds: dict[str, dict[str, Any]] = {
        "History": {"fan_out": FanOut.from_answer(
            path="/v1/markets/10000002/types/", items="$.ResponseBody",
            each="/v1/markets/10000002/history/?type_id={item}", max_items=3,
            pages=Pagination.page_count(),
        )},
        "Things": {"fan_out": FanOut.from_answer(**things)},
        # Each item's pages within the run: 100 items x 10 pages, 10 items at a time.
        "PagedThings": {"fan_out": FanOut.from_answer(**things, max_items=100),
                        "pagination": Pagination.page_number(items_path="$.ResponseBody",
                                                             max_pages=10)},
        # Every market's history (issue 28): The Forge lists ~15,000 type ids, in batches.
        "Batched": {"fan_out": FanOut.from_answer(
            path="/v1/markets/10000002/types/", each="/v1/markets/10000002/history/?type_id={item}",
            pages=Pagination.page_count(header="X-Pages", max_pages=20), max_items=15_000,
        ), "concurrency": Concurrency.distributed(100)},
    }  # fmt: skip
    patterns = {}
    for name, props in kinds.items():
        if only is not None and name not in only:
            continue
        transport = (
            Transport.http_task(api_key_connection(stack, f"{name}Connection"))
            if http_task
            else None
        )
        patterns[name] = DownloaderPattern(
            stack, name, endpoint=EXAMPLE_API, transport=transport, item=body, **props
        )
    return patterns


def build_from_answer_http(stack: cdk.Stack) -> dict[str, DownloaderPattern]:
    """``build_from_answer`` on the HTTP Task."""
    return build_from_answer(stack, http_task=True)


RATES_PATH = "/v1/{scheduled_time:date}?base=EUR"
EVENTS_PATH = "/v2/events?from={window_start}&to={window_end}"
ISSUES_PATH = "/repos/aws/aws-cdk/issues?state=all&sort=updated&direction=asc"


def build_timed(stack: cdk.Stack) -> dict[str, DownloaderPattern]:
    """The issue's examples: the day's rates (daily cron, backfill), hourly windows with a
    lookback, and an incremental mark; one table."""
    rates = DownloaderPattern(
        stack, "Rates", endpoint="https://api.frankfurter.example", path=RATES_PATH,
        starts=Starts.scheduled(scheduler.ScheduleExpression.cron(hour="1", minute="0")),
        result_selector={"date.$": "$.ResponseBody.date", "usd.$": "$.ResponseBody.rates.USD"},
        item={"date": ItemField.string("$.date"), "usd": ItemField.number("$.usd")},
        backfill=True, concurrency=Concurrency.inline(4),
    )  # fmt: skip
    events = DownloaderPattern(
        stack, "Events", endpoint="https://api.example.com", path=EVENTS_PATH,
        window=Window.last(cdk.Duration.hours(1), lookback=cdk.Duration.minutes(5)),
        starts=Starts.scheduled(scheduler.ScheduleExpression.rate(cdk.Duration.hours(1))),
        item={"events": ItemField.json("$.ResponseBody")}, table=rates.table,
    )  # fmt: skip
    issues = DownloaderPattern(
        stack, "Issues", endpoint="https://api.github.com", path=ISSUES_PATH,
        incremental=Incremental(cursor_path="$.ResponseBody[*].updated_at", param="since",
                                initial="2026-01-01T00:00:00Z"),
        item={"issues": ItemField.json("$.ResponseBody")}, table=rates.table,
    )  # fmt: skip
    caller = iam.Role(stack, "BackfillCaller", assumed_by=iam.AccountRootPrincipal())
    rates.grant_start_backfill(caller)
    return {"p": rates, "events": events, "issues": issues}


OAUTH_TOKEN_ENDPOINT = "https://auth.example.com/oauth/token"
"""The OAuth client-credentials token endpoint of ``build_timed_http``'s window downloader."""


def oauth_connection(stack: cdk.Stack, construct_id: str = "OAuthConnection") -> events.Connection:
    """An OAuth client-credentials connection (the client secret in Secrets Manager): only an
    EventBridge connection can hold one, so only the HTTP Task can send its token."""
    return events.Connection(
        stack, construct_id,
        authorization=events.Authorization.oauth(
            authorization_endpoint=OAUTH_TOKEN_ENDPOINT, http_method=events.HttpMethod.POST,
            client_id="downloader",
            client_secret=cdk.SecretValue.secrets_manager("example/oauth-client-secret"),
        ),
    )  # fmt: skip


def build_timed_http(stack: cdk.Stack) -> dict[str, DownloaderPattern]:
    """Issue 23: ``build_timed``'s requests through the HTTP Task (each its own connection: a
    local runner serves a connection to one downloader at a time), an hourly window through an
    OAuth client-credentials connection, a POST body with a placeholder (alone, and with a
    cursor in the body page after page) and an on-demand run overriding a query parameter."""
    rates = DownloaderPattern(
        stack, "Rates", endpoint="https://api.frankfurter.example", path=RATES_PATH,
        starts=Starts.scheduled(scheduler.ScheduleExpression.cron(hour="1", minute="0")),
        result_selector={"date.$": "$.ResponseBody.date", "usd.$": "$.ResponseBody.rates.USD"},
        item={"date": ItemField.string("$.date"), "usd": ItemField.number("$.usd")},
        backfill=True, concurrency=Concurrency.inline(4),
        transport=Transport.http_task(api_key_connection(stack, "RatesConnection")),
    )  # fmt: skip
    events_ = DownloaderPattern(
        stack, "Events", endpoint=EXAMPLE_API, path=EVENTS_PATH + "&lang=en",
        window=Window.last(cdk.Duration.hours(1), lookback=cdk.Duration.minutes(5)),
        starts=Starts.scheduled(scheduler.ScheduleExpression.rate(cdk.Duration.hours(1))),
        item={"events": ItemField.json("$.ResponseBody")}, table=rates.table,
        transport=Transport.http_task(oauth_connection(stack)),
    )  # fmt: skip
    issues = DownloaderPattern(
        stack, "Issues", endpoint="https://api.github.com", path=ISSUES_PATH,
        incremental=Incremental(cursor_path="$.ResponseBody[*].updated_at", param="since",
                                initial="2026-01-01T00:00:00Z"),
        item={"issues": ItemField.json("$.ResponseBody")}, table=rates.table,
        transport=Transport.http_task(api_key_connection(stack, "IssuesConnection")),
    )  # fmt: skip
    report = DownloaderPattern(
        stack, "Report", endpoint=EXAMPLE_API, path="/v1/reports", method="POST",
        body={"day": "{scheduled_time:date}", "format": "json"},
        item={"report": ItemField.json("$.ResponseBody")}, table=rates.table,
        transport=Transport.http_task(api_key_connection(stack, "ReportConnection")),
    )  # fmt: skip
    orders = DownloaderPattern(
        stack, "Orders", endpoint=EXAMPLE_API, path="/v1/orders?region=10000002&type=all",
        starts=Starts.scheduled_and_on_demand(overridable_query=["region"]),
        item={"orders": ItemField.json("$.ResponseBody")}, table=rates.table,
        transport=Transport.http_task(api_key_connection(stack, "OrdersConnection")),
    )  # fmt: skip
    search = DownloaderPattern(
        stack, "Search", endpoint=EXAMPLE_API, path="/v1/search", method="POST",
        body={"day": "{scheduled_time:date}"},
        pagination=Pagination.cursor(next_path="$.ResponseBody.next", body_path="$.after",
                                     max_pages=5),
        item={"hits": ItemField.json("$.ResponseBody.hits")}, table=rates.table,
        transport=Transport.http_task(api_key_connection(stack, "SearchConnection")),
    )  # fmt: skip
    return {
        "p": rates, "events": events_, "issues": issues, "report": report, "orders": orders,
        "search": search,
    }  # fmt: skip


def build_polite(stack: cdk.Stack) -> dict[str, DownloaderPattern]:
    """Issue 16: conditional requests (ETag through the HTTP_PROXY integration, Last-Modified
    through a trimming proxy), changes only, all three together (with an archive), and
    changes only sharing ReadState with an incremental mark."""
    endpoint = "https://esi.evetech.net"
    body = {"result_selector": {"body.$": "$.ResponseBody"},
            "item": {"players": ItemField.number("$.body.players")}}  # fmt: skip
    return {
        "etag": DownloaderPattern(
            stack, "Etag", endpoint=endpoint, path="/v2/status", conditional=True,
            headers={"Accept": "application/json"}, downloader_id="etag", **body,
        ),
        "modified": DownloaderPattern(
            stack, "Modified", endpoint=endpoint, path="/v2/status", conditional=True,
            trim=Trim.fields("players"), downloader_id="modified",
            item={"players": ItemField.number("$.ResponseBody[0].players")},
        ),
        "changes": DownloaderPattern(
            stack, "Changes", endpoint=endpoint, path="/v2/status", store=Store.changes_only(),
            downloader_id="changes", **body,
        ),
        "all": DownloaderPattern(
            stack, "All", endpoint=endpoint, path="/v2/status", conditional=True,
            store=Store.changes_only(), respect_expires=True, downloader_id="all",
            archive=Archive.to_new_bucket(), max_fresh=cdk.Duration.minutes(10), **body,
        ),
        "bounded": DownloaderPattern(
            stack, "Bounded", endpoint=endpoint, path="/v2/status", conditional=True,
            store=Store.changes_only(), respect_expires=True, downloader_id="bounded",
            starts=Starts.scheduled_and_on_demand(), **body,
        ),
        "marks": DownloaderPattern(
            stack, "Marks", endpoint="https://api.github.com", path="/repos/a/b/issues",
            incremental=Incremental("$.ResponseBody[*].updated_at", "since", 0),
            store=Store.changes_only(), downloader_id="marks",
            result_selector={"issues.$": "$.ResponseBody"},
            item={"issues": ItemField.json("$.issues")},
        ),
    }  # fmt: skip


GRAPHQL_QUERY = """query($owner: String!, $name: String!, $first: Int!, $after: String) {
  repository(owner: $owner, name: $name) {
    issues(first: $first, after: $after, orderBy: {field: UPDATED_AT, direction: ASC}) {
      nodes { number title updatedAt }
      pageInfo { endCursor hasNextPage }
    }
  }
}"""
"""GitHub's GraphQL API: a repository's issues, a page at a time (braces sent as written)."""
GRAPHQL_ISSUES = "$.ResponseBody.data.repository.issues"


def build_graphql(stack: cdk.Stack, *, http_task: bool = False) -> dict[str, DownloaderPattern]:
    """POST downloaders: GraphQL with the cursor in the body (``Issues``), a GraphQL request
    with a time placeholder in its variables (``Since``, API Gateway: computed requests), and a
    plain JSON POST paged by a query parameter (``Search``)."""

    def transport(name: str) -> Transport | None:
        return (
            Transport.http_task(api_key_connection(stack, f"{name}Connection"))
            if http_task
            else None
        )

    issues = DownloaderPattern(
        stack, "Issues", endpoint=EXAMPLE_API, path="/graphql", method="POST",
        body={"query": GRAPHQL_QUERY, "variables": {"owner": "aws", "name": "cdk", "first": 2}},
        pagination=Pagination.cursor(
            next_path=f"{GRAPHQL_ISSUES}.pageInfo.endCursor",
            has_more_path=f"{GRAPHQL_ISSUES}.pageInfo.hasNextPage",
            body_path="$.variables.after", max_pages=10,
        ),
        result_selector={"issues.$": f"{GRAPHQL_ISSUES}.nodes"},
        item={"issues": ItemField.json("$.issues")}, transport=transport("Issues"),
    )  # fmt: skip
    search = DownloaderPattern(
        stack, "Search", endpoint=EXAMPLE_API, path="/v1/search?per_page=2", method="POST",
        body={"filter": {"state": "open", "labels": ["bug"]}, "note": "{not a placeholder}"},
        pagination=Pagination.page_number(items_path="$.ResponseBody.results"),
        item={"page": ItemField.json("$.ResponseBody")}, transport=transport("Search"),
    )  # fmt: skip
    patterns = {"Issues": issues, "Search": search}
    if not http_task:
        patterns["Since"] = DownloaderPattern(
            stack, "Since", endpoint=EXAMPLE_API, path="/graphql", method="POST",
            body={"query": "query($since: DateTime!) { viewer { issues(filterBy: {since: $since})"
                           " { totalCount } } }",
                  "variables": {"since": "{window_start}", "until": "{window_end:date}"}},
            window=Window.last(cdk.Duration.hours(1)),
            item={"answer": ItemField.json("$.ResponseBody.data")},
        )  # fmt: skip
    return patterns


def build_graphql_http(stack: cdk.Stack) -> dict[str, DownloaderPattern]:
    """``build_graphql`` on the HTTP Task."""
    return build_graphql(stack, http_task=True)


def build_records(stack: cdk.Stack) -> dict[str, DownloaderPattern]:
    """Records (issue 24): merged by version from one answer (API Gateway), appended from every
    page of one path without the answers (HTTP Task), merged from every page of every path of a
    fan-out, appended from page_count's pages in a Distributed Map, all in one shared table."""
    table = dynamodb.Table(
        stack, "Shared",
        partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING),
        sort_key=dynamodb.Attribute(name="sk", type=dynamodb.AttributeType.STRING),
        removal_policy=cdk.RemovalPolicy.DESTROY,
        point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
            point_in_time_recovery_enabled=True
        ),
    )  # fmt: skip
    merged = DownloaderPattern(
        stack, "Issues", endpoint="https://api.github.com", path="/repos/o/r/issues",
        result_selector={"issues.$": "$.ResponseBody"},
        item={"issues": ItemField.json("$.issues")},
        records=Records.merge(items="$.issues", key="number", version="updated_at"),
        table=table, downloader_id="github/issues",
    )  # fmt: skip
    connection = events.Connection(
        stack, "Connection",
        authorization=events.Authorization.api_key(
            "X-Api-Key", cdk.SecretValue.unsafe_plain_text("k")
        ),
    )  # fmt: skip
    appended = DownloaderPattern(
        stack, "Orders", endpoint="https://api.example.com", path="/orders",
        pagination=Pagination.page_number(param="page", items_path="$.ResponseBody.data"),
        item={"status": ItemField.number("$.StatusCode")},
        records=Records.append(items="$.ResponseBody.data", key=("region", "id"),
                               keep_answers=False),
        transport=Transport.http_task(connection), table=table, downloader_id="orders",
    )  # fmt: skip
    fanned = DownloaderPattern(
        stack, "Regions", endpoint="https://api.example.com", path="/regions/{region}/orders",
        fan_out=FanOut.path_values({"region": ["eu", "us"]}),
        pagination=Pagination.page_number(param="page", items_path="$.ResponseBody"),
        item={"n": ItemField.number("$.StatusCode")}, concurrency=Concurrency.inline(4),
        records=Records.merge(items="$.ResponseBody", key="id", version="rev"),
        table=table, downloader_id="regions",
    )  # fmt: skip
    counted = DownloaderPattern(
        stack, "Markets", endpoint="https://api.example.com", path="/markets",
        pagination=Pagination.page_count(), concurrency=Concurrency.distributed(20),
        item={"n": ItemField.number("$.StatusCode")},
        records=Records.append(items="$.ResponseBody", key="order_id", keep_answers=False),
        table=table, downloader_id="markets",
    )  # fmt: skip
    return {"p": merged, "pages": appended, "fanned": fanned, "counted": counted}


def build_composed_requests(stack: cdk.Stack) -> dict[str, DownloaderPattern]:
    """Issue 23: what an ingestion job needs, together, in one stack: a fan-out of regions x
    pages x an hourly window; listed feeds with a mark each in a Distributed Map; a paginated
    list whose items are asked with a window, every request waited on; page_count with a
    window, a mark and waits; GitHub's Link pages with since, rate limits, an ETag a page, records
    and an archive of every page; an HTTP Task fan-out with a window and waits; one request
    with a mark and validators; on-demand overrides of windowed pages and of a fan-out."""
    hourly = Window.last(cdk.Duration.hours(1))
    waits = RetryAfter(max_wait=cdk.Duration.minutes(1))
    since = Incremental(cursor_path="$.ResponseBody[*].updated_at", param="since",
                        initial="2026-01-01T00:00:00Z")  # fmt: skip
    body = {"body": ItemField.json("$.ResponseBody")}
    regions = DownloaderPattern(
        stack, "Regions", endpoint="https://api.example.com",
        path="/v1/regions/{region}/trades?from={window_start}&to={window_end}",
        fan_out=FanOut.path_values({"region": [10, 20]}), window=hourly,
        pagination=Pagination.page_number(items_path="$.ResponseBody.trades", page_size=2),
        item=body, downloader_id="regions",
    )  # fmt: skip
    feeds = DownloaderPattern(
        stack, "Feeds", endpoint="https://api.example.com",
        fan_out=FanOut.paths(["/v1/feeds/a", "/v1/feeds/b?x=1"]), incremental=since,
        concurrency=Concurrency.distributed(2), item=body, table=regions.table,
        downloader_id="feeds",
    )  # fmt: skip
    listed = DownloaderPattern(
        stack, "Listed", endpoint="https://api.example.com",
        fan_out=FanOut.from_answer(
            path="/v1/types", each="/v1/history?type_id={item}&since={window_start:epoch}",
            pages=Pagination.page_number(items_path="$.ResponseBody"), max_items=100,
        ),
        window=hourly, retry_after=waits, item=body, table=regions.table,
        downloader_id="listed",
    )  # fmt: skip
    counted = DownloaderPattern(
        stack, "Counted", endpoint="https://api.example.com",
        path="/v1/orders?from={window_start}", window=hourly,
        pagination=Pagination.page_count(max_pages=5), incremental=since, retry_after=waits,
        item=body, table=regions.table, downloader_id="counted",
    )  # fmt: skip
    linked = DownloaderPattern(
        stack, "Linked", endpoint="https://api.github.com",
        path="/repos/o/r/issues?state=all&per_page=100",
        pagination=Pagination.link_header(query_names=["page"]), incremental=since,
        retry_after=RetryAfter(
            max_wait=cdk.Duration.minutes(1), reset_header="x-ratelimit-reset",
            remaining_header="x-ratelimit-remaining", limited_statuses=[403],
        ),
        conditional=True,
        records=Records.merge(items="$.ResponseBody", key="number", version="updated_at"),
        archive=Archive.to_new_bucket(), item=body, table=regions.table,
        downloader_id="linked",
    )  # fmt: skip
    metered = DownloaderPattern(
        stack, "Metered", endpoint="https://api.example.com",
        path="/v1/meters/{meter}/readings?from={window_start}&to={window_end}",
        fan_out=FanOut.path_values({"meter": ["a", "b"]}), window=hourly,
        transport=Transport.http_task(api_key_connection(stack, "MeteredConnection")),
        retry_after=waits, item=body, table=regions.table, downloader_id="metered",
    )  # fmt: skip
    # One request computed each run with validators (a memo per URL), and on-demand
    # overrides of a paged, windowed query and of a fan-out (issue 23).
    tagged = DownloaderPattern(
        stack, "Tagged", endpoint="https://api.github.com", path="/repos/o/r/events",
        incremental=since, conditional=True, respect_expires=True, item=body,
        table=regions.table, downloader_id="tagged",
    )  # fmt: skip
    overridden = DownloaderPattern(
        stack, "Overridden", endpoint="https://api.example.com",
        path="/v1/trades?state=open&from={window_start}", window=hourly,
        pagination=Pagination.page_number(items_path="$.ResponseBody"),
        starts=Starts.scheduled_and_on_demand(overridable_query=["state"]),
        conditional=True, item=body, table=regions.table, downloader_id="overridden",
    )  # fmt: skip
    fanned = DownloaderPattern(
        stack, "FannedOverrides", endpoint="https://api.example.com",
        path="/v1/regions/{region}/stats?kind=all", fan_out=FanOut.path_values({"region": [1, 2]}),
        starts=Starts.scheduled_and_on_demand(overridable_query=["kind"]),
        store=Store.changes_only(), result_selector={"body.$": "$.ResponseBody"},
        item={"body": ItemField.json("$.body")}, table=regions.table, downloader_id="fanned",
    )  # fmt: skip
    return {
        "p": regions, "feeds": feeds, "listed": listed, "counted": counted, "linked": linked,
        "metered": metered, "tagged": tagged, "overridden": overridden, "fanned": fanned,
    }  # fmt: skip
