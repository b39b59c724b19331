"""Cost model: figures checked against hand-computed ones (us-east-1 prices, 30-day month)."""

from __future__ import annotations

import dataclasses
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_stepfunctions as sfn

from sfn_downloader import (
    CostEstimate,
    DownloaderPattern,
    ItemField,
    Prices,
    Starts,
    estimate_monthly_cost,
)
from sfn_downloader.cost import (
    US_EAST_1,
    CostModelError,
    count_runs,
    estimate_cost,
    render_definition,
    successful_path,
)

from scenarios import Scenario

RUNS_A_MONTH_EVERY_MINUTE = 30 * 24 * 60  # 43,200


def _downloader(stack: cdk.Stack, construct_id: str, **kwargs: Any) -> DownloaderPattern:
    return DownloaderPattern(
        stack,
        construct_id,
        endpoint="https://esi.evetech.net",
        path="/v2/status?datasource=tranquility",
        item={"count": ItemField.number("$.ResponseBody.players")},
        **kwargs,
    )


@pytest.fixture(scope="module")
def patterns() -> dict[str, DownloaderPattern]:
    """One stack, one downloader a scenario; built once for the module."""
    stack = cdk.Stack(cdk.App(), "CostStack")
    disabled = _downloader(stack, "Disabled")
    schedule: Any = disabled.schedule.node.default_child
    schedule.state = "DISABLED"
    return {
        "default": _downloader(stack, "Default"),
        "standard": _downloader(stack, "Standard", workflow_type=sfn.StateMachineType.STANDARD),
        "every5": _downloader(
            stack,
            "Every5",
            starts=Starts.scheduled(scheduler.ScheduleExpression.rate(cdk.Duration.minutes(5))),
        ),
        "cron": _downloader(
            stack,
            "Cron",
            starts=Starts.scheduled(
                scheduler.ScheduleExpression.cron(minute="0/15", hour="9-17", week_day="MON-FRI")
            ),
        ),
        "disabled": disabled,
        "deploy_time": _downloader(
            stack,
            "DeployTime",
            starts=Starts.scheduled(
                scheduler.ScheduleExpression.expression(
                    cdk.CfnParameter(stack, "Expression").value_as_string
                )
            ),
        ),
    }


@pytest.fixture(scope="module")
def express(patterns: dict[str, DownloaderPattern]) -> CostEstimate:
    return estimate_monthly_cost(patterns["default"])


@pytest.fixture(scope="module")
def standard(patterns: dict[str, DownloaderPattern]) -> CostEstimate:
    return estimate_monthly_cost(patterns["standard"])


# --- read from the synthesized configuration -------------------------------------------------


def test_default_downloader_is_express_every_minute(express: CostEstimate) -> None:
    assert express.workflow_type == "EXPRESS"
    assert express.schedule_expression == "rate(1 minute)"
    assert express.runs_per_month == RUNS_A_MONTH_EVERY_MINUTE == 43_200


def test_a_run_enters_two_states(express: CostEstimate, standard: CostEstimate) -> None:
    assert express.transitions_per_run == 2
    assert standard.transitions_per_run == 2


def test_successful_path_of_synthesized_definition(
    patterns: dict[str, DownloaderPattern],
) -> None:
    stack = cdk.Stack.of(patterns["default"])
    machine: Any = patterns["default"].state_machine.node.default_child
    definition = render_definition(stack.resolve(machine.definition_string))
    resources = [state["Resource"] for state in successful_path(definition)]
    assert resources == ["arn:0:states:::apigateway:invoke", "arn:0:states:::dynamodb:putItem"]


# --- Standard ---------------------------------------------------------------------------------


def test_standard_every_minute(standard: CostEstimate) -> None:
    item = standard.line_item("Step Functions Standard")
    assert item.quantity == 86_400
    assert item.cost == pytest.approx(2.16)  # 86,400 x $0.025 / 1,000
    assert item.cost_after_free_tier == pytest.approx(2.06)  # (86,400 - 4,000) x ...


def _alarms(pattern: DownloaderPattern) -> int:
    return sum(isinstance(child, cloudwatch.CfnAlarm) for child in pattern.node.find_all())


def test_standard_totals(patterns: dict[str, DownloaderPattern], standard: CostEstimate) -> None:
    alarms = _alarms(patterns["standard"])
    # Scheduler 0.0432 (free), Standard 2.16, API Gateway 0.1512, DynamoDB 0.027, $0.10 an alarm
    assert standard.total == pytest.approx(0.0432 + 2.16 + 0.1512 + 0.027 + 0.10 * alarms)
    assert standard.total_after_free_tier == pytest.approx(
        2.06 + 0.1512 + 0.027 + 0.10 * max(0, alarms - 10)
    )
    assert [i.service for i in standard.line_items][:4] == [
        "EventBridge Scheduler",
        "Step Functions Standard",
        "API Gateway REST",
        "DynamoDB on-demand writes",
    ]


def test_the_downloaders_alarms_are_priced(
    patterns: dict[str, DownloaderPattern], express: CostEstimate
) -> None:
    alarms = _alarms(patterns["default"])
    if alarms == 0:
        with pytest.raises(KeyError):
            express.line_item("CloudWatch alarms")
    else:
        assert express.line_item("CloudWatch alarms").quantity == alarms


def test_alarm_prices_and_free_tier() -> None:
    definition = {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}}
    estimate = estimate_cost(
        definition, schedule_expression="rate(1 day)", workflow_type="STANDARD", alarms=12
    )
    item = estimate.line_item("CloudWatch alarms")
    assert item.cost == pytest.approx(1.20)  # $0.10 an alarm a month
    assert item.cost_after_free_tier == pytest.approx(0.20)  # 10 free


# --- Express ----------------------------------------------------------------------------------


def test_express_every_minute(
    patterns: dict[str, DownloaderPattern], express: CostEstimate
) -> None:
    requests = express.line_item("Step Functions Express requests")
    duration = express.line_item("Step Functions Express duration")
    assert requests.cost == pytest.approx(0.0432)  # 43,200 x $1.00 / million
    # 43,200 x 0.3 s x 64/1024 GB = 810 GB-s, x $0.00001667
    assert duration.quantity == pytest.approx(810)
    assert duration.cost == pytest.approx(0.0135027)
    alarm_cost = 0.10 * _alarms(patterns["default"])
    assert express.total == pytest.approx(0.0432 + 0.0432 + 0.0135027 + 0.1512 + 0.027 + alarm_cost)
    assert express.total_after_free_tier == pytest.approx(0.0432 + 0.0135027 + 0.1512 + 0.027)


def test_express_bills_100_ms_and_64_mb_steps(patterns: dict[str, DownloaderPattern]) -> None:
    estimate = estimate_monthly_cost(patterns["default"], duration_ms=301, memory_mb=65)
    # billed as 400 ms at 128 MB: 43,200 x 0.4 x 0.125 = 2,160 GB-s
    assert estimate.line_item("Step Functions Express duration").quantity == pytest.approx(2160)


def test_express_is_cheaper_than_standard_every_minute(
    express: CostEstimate, standard: CostEstimate
) -> None:
    express_sfn = sum(i.cost for i in express.line_items if i.service.startswith("Step"))
    standard_sfn = standard.line_item("Step Functions Standard").cost
    assert standard_sfn / express_sfn == pytest.approx(2.16 / 0.05670270)


def test_workflow_type_override(patterns: dict[str, DownloaderPattern]) -> None:
    as_standard = estimate_monthly_cost(patterns["default"], workflow_type="standard")
    assert as_standard.workflow_type == "STANDARD"
    assert as_standard.line_item("Step Functions Standard").cost == pytest.approx(2.16)
    with pytest.raises(CostModelError, match="STANDARD or EXPRESS"):
        estimate_monthly_cost(patterns["default"], workflow_type="SYNC")


# --- other services -------------------------------------------------------------------------


def test_api_gateway_and_dynamodb(express: CostEstimate) -> None:
    assert express.line_item("API Gateway REST").cost == pytest.approx(0.1512)  # x $3.50/M
    assert express.line_item("DynamoDB on-demand writes").cost == pytest.approx(0.027)


def test_item_size_rounds_up_to_write_units(patterns: dict[str, DownloaderPattern]) -> None:
    estimate = estimate_monthly_cost(patterns["default"], item_size_bytes=1025)
    writes = estimate.line_item("DynamoDB on-demand writes")
    assert writes.quantity == 2 * 43_200
    assert writes.cost == pytest.approx(0.054)


def test_scheduler_free_tier(patterns: dict[str, DownloaderPattern]) -> None:
    estimate = estimate_monthly_cost(patterns["default"], runs_per_month=20_000_000)
    item = estimate.line_item("EventBridge Scheduler")
    assert item.cost == pytest.approx(20.0)
    assert item.cost_after_free_tier == pytest.approx(6.0)  # 14 million free


# --- schedules --------------------------------------------------------------------------------


def test_rate_of_five_minutes(patterns: dict[str, DownloaderPattern]) -> None:
    estimate = estimate_monthly_cost(patterns["every5"])
    assert estimate.schedule_expression == "rate(5 minutes)"
    assert estimate.runs_per_month == 8_640


def test_cron_from_pattern(patterns: dict[str, DownloaderPattern]) -> None:
    estimate = estimate_monthly_cost(patterns["cron"])
    # 4 an hour x 9 hours x 5 weekdays x 30/7 weeks
    assert estimate.runs_per_month == pytest.approx(4 * 9 * 5 * 30 / 7)


def test_disabled_schedule_runs_never(patterns: dict[str, DownloaderPattern]) -> None:
    estimate = estimate_monthly_cost(patterns["disabled"])
    assert estimate.runs_per_month == 0
    assert estimate.total == pytest.approx(0.10 * _alarms(patterns["disabled"]))  # alarms only


def test_deploy_time_schedule_needs_runs_per_month(
    patterns: dict[str, DownloaderPattern],
) -> None:
    with pytest.raises(CostModelError, match=r"deploy time.*pass runs_per_month"):
        estimate_monthly_cost(patterns["deploy_time"])
    assert estimate_monthly_cost(patterns["deploy_time"], runs_per_month=100).runs_per_month == 100


@pytest.mark.parametrize(
    ("expression", "runs"),
    [
        ("rate(1 minute)", 43_200),
        ("rate(5 minutes)", 8_640),
        ("rate(2 hours)", 360),
        ("rate(1 day)", 30),
        ("cron(* * * * ? *)", 43_200),
        ("cron(*/5 * * * ? *)", 8_640),
        ("cron(0/5 * * * ? *)", 8_640),
        ("cron(0,30 8,20 * * ? *)", 120),
        ("cron(10-14 0 * * ? *)", 150),
        ("cron(0-59/20 0-11/6 * * ? *)", 3 * 2 * 30),
        ("cron(0 12 * * ? *)", 30),
        ("cron(0 12 1 * ? *)", 1),
        ("cron(0 12 1,15 * ? *)", 2),
        ("cron(0 12 31 * ? *)", 7 / 12),
        ("cron(0 12 L * ? *)", 1),
        ("cron(0 0 ? * 6#3 *)", 1),
        ("cron(0 0 ? * MON-FRI *)", 5 * 30 / 7),
        ("cron(0 0 * JAN,JUL ? *)", 2 * 30 / 12),
        ("cron(0 0 1 JAN ? 2027)", 1 / 12),
        ("at(2026-11-30T12:00:00)", 1),
    ],
)
def test_count_runs(expression: str, runs: float) -> None:
    assert count_runs(expression) == pytest.approx(runs)


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("every minute", "cannot read schedule expression"),
        ("rate(30 seconds)", "cannot read schedule expression"),
        ("rate(0 minutes)", "at least 1"),
        ("cron(0 12 * * ?)", "6 fields"),
        ("cron(60 * * * ? *)", "from 0 to 59"),
        ("cron(0 20-8 * * ? *)", "backwards"),
        ("cron(0 0 1 * MON *)", "must be '\\?'"),
    ],
)
def test_bad_schedule_expression(expression: str, message: str) -> None:
    with pytest.raises(CostModelError, match=message):
        count_runs(expression)


# --- definitions ------------------------------------------------------------------------------


def _task(**fields: Any) -> dict[str, Any]:
    return {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:putItem", **fields}


def test_render_definition_joins_tokens() -> None:
    parts = [
        '{"StartAt":"A","States":{"A":{"Type":"Pass","Comment":"',
        {"Ref": "X"},
        '","End":true}}}',
    ]
    joined = {"Fn::Join": ["", parts]}
    assert render_definition(joined)["States"]["A"]["Comment"] == "0"


def test_path_counts_parallel_branches_and_choice_default() -> None:
    definition = {
        "StartAt": "Choose",
        "States": {
            "Choose": {"Type": "Choice", "Choices": [], "Default": "Both"},
            "Both": {
                "Type": "Parallel",
                "Next": "Done",
                "Branches": [
                    {"StartAt": "B1", "States": {"B1": _task(End=True)}},
                    {"StartAt": "B2", "States": {"B2": {"Type": "Pass", "End": True}}},
                ],
            },
            "Done": {"Type": "Succeed"},
        },
    }
    estimate = estimate_cost(
        definition, schedule_expression="rate(1 minute)", workflow_type="STANDARD"
    )
    assert estimate.transitions_per_run == 5  # Choose, Both, B1, B2, Done
    assert estimate.line_item("DynamoDB on-demand writes").quantity == 43_200
    with pytest.raises(KeyError, match="API Gateway REST"):
        estimate.line_item("API Gateway REST")


@pytest.mark.parametrize(
    ("states", "message"),
    [
        ({"A": _task(Next="A")}, "loops back"),
        ({"A": {"Type": "Map", "End": True}}, "Map state"),
        ({"A": {"Type": "Choice", "Choices": []}}, "no Default"),
        ({"A": _task()}, "no Next or End"),
        ({"B": _task(End=True)}, "not defined"),
    ],
)
def test_uncountable_definitions(states: dict[str, Any], message: str) -> None:
    with pytest.raises(CostModelError, match=message):
        successful_path({"StartAt": "A", "States": states})


def test_transitions_per_run_override() -> None:
    definition = {"StartAt": "A", "States": {"A": {"Type": "Map", "End": True}}}
    estimate = estimate_cost(
        definition,
        schedule_expression="rate(1 minute)",
        workflow_type="STANDARD",
        transitions_per_run=10,
    )
    assert estimate.line_item("Step Functions Standard").quantity == 432_000


# --- regions and prices ----------------------------------------------------------------------


def test_unknown_region_is_a_clear_error(patterns: dict[str, DownloaderPattern]) -> None:
    with pytest.raises(CostModelError, match=r"'eu-west-1'.*have: us-east-1.*prices=Prices"):
        estimate_monthly_cost(patterns["default"], region="eu-west-1")


def test_price_override(patterns: dict[str, DownloaderPattern], standard: CostEstimate) -> None:
    doubled = dataclasses.replace(
        US_EAST_1,
        region="xx-test-1",
        standard_per_transition=2 * US_EAST_1.standard_per_transition,
    )
    estimate = estimate_monthly_cost(patterns["standard"], prices=doubled)
    assert estimate.region == "xx-test-1"
    assert estimate.line_item("Step Functions Standard").cost == pytest.approx(4.32)


def test_prices_are_documented() -> None:
    assert US_EAST_1.date == "2026-11"
    assert "us-east-1" in US_EAST_1.source
    assert isinstance(US_EAST_1, Prices)


# --- the result -------------------------------------------------------------------------------


def test_estimate_is_frozen(express: CostEstimate) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        express.runs_per_month = 1  # type: ignore[misc]


def test_table(standard: CostEstimate) -> None:
    text = str(standard)
    assert "Standard workflow, us-east-1" in text
    assert "86,400 state transitions" in text
    assert "$0.025/1K" in text
    assert "$2.1600" in text and "$2.0600" in text
    assert text.splitlines()[-len(standard.assumptions) - 1].startswith("Total")


def test_bad_parameters(patterns: dict[str, DownloaderPattern]) -> None:
    with pytest.raises(CostModelError, match="duration_ms must be positive"):
        estimate_monthly_cost(patterns["default"], duration_ms=0)
    with pytest.raises(CostModelError, match="runs_per_month must not be negative"):
        estimate_monthly_cost(patterns["default"], runs_per_month=-1)


def test_on_demand_only_pays_no_scheduler_and_follows_the_input_check() -> None:
    stack = cdk.Stack(cdk.App(), "OnDemand")
    pattern = DownloaderPattern(
        stack, "P", endpoint="https://esi.evetech.net", path="/v2/status",
        item={"count": ItemField.number("$.ResponseBody.players")},
        starts=Starts.on_demand(),
    )  # fmt: skip
    estimate = pattern.estimate_monthly_cost(runs_per_month=1000)
    names = [item.service for item in estimate.line_items]
    assert "EventBridge Scheduler" not in names
    # CheckInput (its first rule, not the Fail states: issue 28(a), one Choice), Download,
    # Persist.
    assert estimate.transitions_per_run == 3
    assert estimate.line_item("API Gateway REST").quantity == 1000
    assert estimate.line_item("DynamoDB on-demand writes").quantity == 1000


# --- Distributed Maps ("Transitions", Step Functions developer guide; the pricing page) -------


def _fan_out(paths: int, *, children: str, **map_fields: Any) -> dict[str, Any]:
    """The shape the construct synthesizes for ``FanOut.paths`` and ``Concurrency.distributed``:
    ListRequests → FetchAll (Download → Persist a child) → AnyFailed → Done."""
    download = {"Type": "Task", "Resource": "arn:aws:states:::apigateway:invoke", "Next": "P"}
    return {
        "StartAt": "ListRequests",
        "States": {
            "ListRequests": {
                "Type": "Pass",
                "Result": {"requests": [{"path": f"/v1/items/{n}"} for n in range(paths)]},
                "Next": "FetchAll",
            },
            "FetchAll": {
                "Type": "Map",
                "ItemsPath": "$.requests",
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": children},
                    "StartAt": "D",
                    "States": {"D": download, "P": _task(End=True)},
                },
                "Next": "AnyFailed",
                **map_fields,
            },
            "AnyFailed": {"Type": "Choice", "Choices": [], "Default": "Done"},
            "Done": {"Type": "Succeed"},
        },
    }


def test_ten_paths_a_minute_with_express_children_cost_what_aws_bills() -> None:
    """Issue 28's example, by AWS's rule: the parent is billed one transition a state it enters
    (4) and one a child it starts (10); each Express child a request and its duration (100 ms
    at 64 MB); plus 10 API Gateway requests, 10 writes and a Scheduler invocation a run:
    $15.12 + $0.432 + $0.045 + $1.512 + $0.27 + $0.0432 = $17.42 a month (alarms aside)."""
    estimate = estimate_cost(
        _fan_out(10, children="EXPRESS"),
        schedule_expression="rate(1 minute)",
        workflow_type="STANDARD",
        child_duration_ms=100,
    )
    runs = RUNS_A_MONTH_EVERY_MINUTE
    assert estimate.transitions_per_run == 14
    assert estimate.line_item("Step Functions Standard").quantity == 14 * runs
    children = "(Distributed Map children)"
    assert estimate.line_item(f"Step Functions Express requests {children}").quantity == 10 * runs
    duration = estimate.line_item(f"Step Functions Express duration {children}")
    assert duration.quantity == pytest.approx(10 * runs * 0.1 * 64 / 1024)  # 2,700 GB-s
    assert estimate.line_item("API Gateway REST").quantity == 10 * runs
    assert estimate.line_item("DynamoDB on-demand writes").quantity == 10 * runs
    assert estimate.total == pytest.approx(17.42, abs=0.005)


def test_standard_children_add_their_own_transitions_to_the_one_that_starts_each() -> None:
    estimate = estimate_cost(
        _fan_out(10, children="STANDARD"),
        schedule_expression="rate(1 minute)",
        workflow_type="STANDARD",
    )
    assert estimate.transitions_per_run == 4 + 10 + 10 * 2  # parent, child starts, children
    with pytest.raises(KeyError):
        estimate.line_item("Step Functions Express requests (Distributed Map children)")


def test_an_item_batcher_starts_a_child_a_batch() -> None:
    estimate = estimate_cost(
        _fan_out(10, children="EXPRESS", ItemBatcher={"MaxItemsPerBatch": 4}),
        schedule_expression="rate(1 minute)",
        workflow_type="STANDARD",
    )
    assert estimate.transitions_per_run == 4 + 3
    requests = estimate.line_item("Step Functions Express requests (Distributed Map children)")
    assert requests.quantity == 3 * RUNS_A_MONTH_EVERY_MINUTE


@pytest.mark.parametrize(
    ("resource", "service", "calls"),
    [
        ("arn:aws:states:::s3:getObject", "S3 GET requests (ItemReader)", 1),
        ("arn:aws:states:::s3:listObjectsV2", "S3 LIST requests (ItemReader)", 3),
    ],
)
def test_an_item_reader_is_billed_its_s3_requests(resource: str, service: str, calls: int) -> None:
    """An object's items are one GetObject; listed keys one ListObjectsV2 a 1,000."""
    definition = _fan_out(1, children="EXPRESS", ItemReader={"Resource": resource})
    del definition["States"]["FetchAll"]["ItemsPath"]
    definition["States"]["ListRequests"]["Result"] = {}
    estimate = estimate_cost(
        definition,
        schedule_expression="rate(1 minute)",
        workflow_type="STANDARD",
        requests_per_run=2_500,
    )
    item = estimate.line_item(service)
    assert item.quantity == calls * RUNS_A_MONTH_EVERY_MINUTE
    assert item.unit_price == US_EAST_1.s3_per_get_request * (1 if calls == 1 else 12.5)
    assert estimate.transitions_per_run == 4 + 2_500


def test_the_synthesized_distributed_fan_out_is_priced_by_its_children(
    distributed: Scenario,
) -> None:
    """The construct's own Distributed Map (5 paths, Express children by default)."""
    estimate = estimate_monthly_cost(distributed.patterns["p"], child_duration_ms=100)
    runs = RUNS_A_MONTH_EVERY_MINUTE
    assert estimate.workflow_type == "STANDARD"
    # 3 parent states (FetchAll holding its requests, AnyFailed, MarkDelivered ending the run:
    # the delivery's completion item), 5 children
    assert estimate.transitions_per_run == 3 + 5
    children = "Step Functions Express requests (Distributed Map children)"
    assert estimate.line_item(children).quantity == 5 * runs
    assert "5 Express child executions a run" in estimate.table()
