"""The cost model: the estimate of one downloader's month (its line items: ``_estimate``)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .._contract import OUTCOME_FRESH, OUTCOME_NOT_MODIFIED, OUTCOME_UNCHANGED
from ._definition import (
    ChildRuns,
    _all_states,
    _is_delivery_mark,
    _is_dynamodb_write,
    _resource,
    billed_path,
    render_definition,
)
from ._errors import CostModelError
from ._estimate import CostEstimate as CostEstimate
from ._estimate import LineItem as LineItem
from ._estimate import _number
from ._polite import PathCounts, check_ratio, counts, exits, path_to
from ._prices import Prices, _prices_for
from ._schedule import DAYS_PER_MONTH, count_runs

if TYPE_CHECKING:
    from aws_cdk import aws_stepfunctions as sfn

    from ..pattern import DownloaderPattern


ON_DEMAND = "on demand"
"""The schedule expression of a downloader started on demand only: no Scheduler charge."""


def estimate_monthly_cost(
    pattern: DownloaderPattern,
    *,
    region: str = "us-east-1",
    prices: Prices | None = None,
    workflow_type: str | sfn.StateMachineType | None = None,
    runs_per_month: float | None = None,
    transitions_per_run: int | None = None,
    duration_ms: float = 300.0,
    memory_mb: int = 64,
    item_size_bytes: int = 1024,
    pages_per_run: int | None = None,
    requests_per_run: int | None = None,
    unchanged_ratio: float = 0.0,
    fresh_ratio: float = 0.0,
    records_per_answer: int | None = None,
    child_duration_ms: float = 300.0,
) -> CostEstimate:
    """Estimate a downloader's monthly cost from its synthesized schedule and state machine.

    :param pattern: The downloader.
    :param region: Whose prices to use. Default: ``"us-east-1"``; a region missing from
        ``PRICES`` raises ``CostModelError`` (pass ``prices`` instead).
    :param prices: Unit prices to use instead of the built-in table.
        Default: ``PRICES[region]``.
    :param workflow_type: Price the state machine as this type (``"STANDARD"``/``"EXPRESS"``
        or ``StateMachineType``), e.g. to compare. Default: the state machine's own type.
    :param runs_per_month: Default: counted from the schedule expression over a 30-day month
        (``rate``, ``cron``; ``at`` is one run; a disabled schedule none). Required for a
        downloader started on demand only (``scheduled=False``).
    :param transitions_per_run: Default: the states on the successful path from ``StartAt`` to
        the end of the definition (retries excluded).
    :param duration_ms: Express: how long a run lasts. Default: 300 ms.
    :param memory_mb: Express: memory a run uses. Default: 64 MB (the smallest billed step).
    :param item_size_bytes: Size of each item written. Default: 1024 (1 write request unit).
    :param pages_per_run: With pagination, the pages each paginated request has (page loops go
        round this many times; X-Pages maps over the pages after the first). Default: none, and
        a paginated definition raises ``CostModelError``.
    :param requests_per_run: With ``FanOut.from_answer``, the items its list holds (the
        fan-out's iterations). Default: none, and such a definition raises ``CostModelError``.
    :param unchanged_ratio: The share of runs (0 to 1) whose answer is unchanged: with
        ``conditional`` a ``304`` (a request, no write), else with ``Store.changes_only()`` an
        unchanged result (a request and the state item's update, no item). Default: ``0``; a
        downloader with neither raises ``CostModelError`` for more.
    :param fresh_ratio: With ``respect_expires``, the share of runs (0 to 1) whose last
        answer is still fresh: no request, no write. Default: ``0``; a downloader without
        ``respect_expires`` raises ``CostModelError`` for more.
    :param records_per_answer: With ``records``, the records each answer (or page) holds: each
        is one putItem (of ``item_size_bytes``) and one state transition of ``WriteRecords``.
        Default: none, and a downloader with ``records`` raises ``CostModelError``.
    :param child_duration_ms: With ``Concurrency.distributed(...)`` and Express children: how
        long a child execution (one request and its write) lasts, billed in 100 ms steps at
        ``memory_mb``. Default: 300 ms, the construct's own allowance for a request.
    """
    from aws_cdk import Stack

    stack = Stack.of(pattern)
    machine: Any = pattern.state_machine.node.default_child
    definition_value = machine.definition_string
    if definition_value is None:
        raise CostModelError("the state machine has no DefinitionString to count states from.")
    if pattern.schedule is None:  # scheduled=False: started on demand only
        if runs_per_month is None:
            raise CostModelError("the downloader has no schedule (on demand): pass runs_per_month.")
        schedule: Any = None
        expression: Any = ON_DEMAND
    else:
        schedule = pattern.schedule.node.default_child
        expression = stack.resolve(schedule.schedule_expression)
    if not isinstance(expression, str):
        if runs_per_month is None:
            raise CostModelError(
                f"the schedule expression is only known at deploy time ({expression!r}): "
                "pass runs_per_month."
            )
        expression = "a deploy-time schedule"
    disabled = schedule is not None and stack.resolve(schedule.state) == "DISABLED"
    if disabled and runs_per_month is None:
        runs_per_month = 0.0
    if requests_per_run is None:  # a fan-out read from S3: its list is not in the definition
        requests_per_run = pattern.listed_requests
    alarms = sum(
        1
        for child in pattern.node.find_all()
        if getattr(child, "cfn_resource_type", None) == "AWS::CloudWatch::Alarm"
    )
    return estimate_cost(
        render_definition(stack.resolve(definition_value)),
        schedule_expression=expression,
        workflow_type=workflow_type or stack.resolve(machine.state_machine_type) or "STANDARD",
        region=region,
        prices=prices,
        runs_per_month=runs_per_month,
        transitions_per_run=transitions_per_run,
        duration_ms=duration_ms,
        memory_mb=memory_mb,
        item_size_bytes=item_size_bytes,
        alarms=alarms,
        pages_per_run=pages_per_run,
        requests_per_run=requests_per_run,
        unchanged_ratio=unchanged_ratio,
        fresh_ratio=fresh_ratio,
        records_per_answer=records_per_answer,
        child_duration_ms=child_duration_ms,
    )


def estimate_cost(
    definition: Mapping[str, Any],
    *,
    schedule_expression: str,
    workflow_type: str | sfn.StateMachineType,
    region: str = "us-east-1",
    prices: Prices | None = None,
    runs_per_month: float | None = None,
    transitions_per_run: int | None = None,
    duration_ms: float = 300.0,
    memory_mb: int = 64,
    item_size_bytes: int = 1024,
    alarms: int = 0,
    pages_per_run: int | None = None,
    requests_per_run: int | None = None,
    unchanged_ratio: float = 0.0,
    fresh_ratio: float = 0.0,
    records_per_answer: int | None = None,
    child_duration_ms: float = 300.0,
) -> CostEstimate:
    """Estimate the monthly cost of a scheduled state machine given as plain data.

    ``definition`` is the parsed Amazon States Language document; ``alarms`` the number of
    CloudWatch alarms (default: none; ``estimate_monthly_cost`` counts the downloader's own).
    The other parameters are those of ``estimate_monthly_cost``. Default: as there.
    """
    for name, count, least in (("pages_per_run", pages_per_run, 1),
                               ("requests_per_run", requests_per_run, 0),
                               ("records_per_answer", records_per_answer, 0)):  # fmt: skip
        if count is not None and (not isinstance(count, int) or count < least):
            raise CostModelError(
                f"{name} must be a whole number of at least {least}, not {count!r}."
            )
    price = prices or _prices_for(region)
    kind = str(getattr(workflow_type, "value", workflow_type)).upper()
    if kind not in ("STANDARD", "EXPRESS"):
        raise CostModelError(f"workflow_type must be STANDARD or EXPRESS, not {workflow_type!r}.")
    for name, value in (
        ("duration_ms", duration_ms),
        ("child_duration_ms", child_duration_ms),
        ("memory_mb", memory_mb),
        ("item_size_bytes", item_size_bytes),
    ):
        if value <= 0:
            raise CostModelError(f"{name} must be positive, not {value!r}.")
    runs = count_runs(schedule_expression) if runs_per_month is None else float(runs_per_month)
    if runs < 0:
        raise CostModelError(f"runs_per_month must not be negative, not {runs_per_month!r}.")
    notes = []
    try:
        path, children = billed_path(
            definition, pages=pages_per_run, requests=requests_per_run, records=records_per_answer
        )
    except CostModelError:
        if transitions_per_run is None:
            raise
        path, children = list(_all_states(definition)), ChildRuns()
        notes.append("The path was not followed: each task's service call counts once a run.")
    # Standard transitions a run: the states the run itself enters, one a child execution a
    # Distributed Map starts, and the states its Standard children enter ("Transitions");
    # Express children are billed as requests and duration instead.
    transitions = (
        len(path) - children.states["EXPRESS"] + children.started["STANDARD"]
        + children.started["EXPRESS"]
        if transitions_per_run is None
        else transitions_per_run
    )  # fmt: skip
    api_calls = sum(1 for state in path if _resource(state).endswith(":apigateway:invoke"))
    put_items = sum(1 for state in path if _is_dynamodb_write(_resource(state)))
    # A delivery's completion item (MarkDelivered) holds no answer: 1 WRU whatever the size.
    marks = sum(1 for state in path if _is_delivery_mark(state))
    units_per_write = max(1, math.ceil(item_size_bytes / 1024))
    mix = _polite_mix(definition, path, unchanged_ratio, fresh_ratio)
    per_run = {
        key: sum(share * getattr(c, key) for share, c in mix)
        for key in ("transitions", "requests", "item_writes", "state_updates", "state_reads")
    }
    if len(mix) > 1:  # the polite features' paths: a weighted run
        full = mix[0][1]
        transitions_in_month = runs * (per_run["transitions"] + (transitions - full.transitions))
        api_calls_in_month = runs * per_run["requests"] if api_calls else 0.0
        write_units = runs * (per_run["item_writes"] * units_per_write + per_run["state_updates"])
        saved = (runs * (full.requests - per_run["requests"]),
                 runs * (full.item_writes - per_run["item_writes"]))  # fmt: skip
    else:
        transitions_in_month = runs * transitions
        api_calls_in_month = runs * api_calls
        write_units = runs * ((put_items - marks) * units_per_write + marks)
        saved = (0.0, 0.0)
    reads_in_month = runs * per_run["state_reads"]

    on_demand_only = schedule_expression == ON_DEMAND
    items = (
        []
        if on_demand_only
        else [
            LineItem(
                "EventBridge Scheduler",
                runs,
                "invocations",
                price.scheduler_per_invocation,
                price.scheduler_free_invocations,
            )
        ]
    )
    assumptions = [
        f"{DAYS_PER_MONTH}-day month: {_number(runs)} runs of {schedule_expression}.",
        "Successful runs only: a retry adds a transition (Standard), an API Gateway request "
        "and billed duration (Express).",
        "Free tiers are per account and month: 'after free tier' assumes nothing else uses them.",
        *notes,
    ]
    if pages_per_run is not None:
        assumptions.append(f"{pages_per_run} pages for each paginated request.")
    if requests_per_run is not None:
        assumptions.append(
            f"{requests_per_run:,} requests a run (FanOut.from_answer's list, or a fan-out's "
            "paths read from S3)."
        )
    if records_per_answer is not None:
        assumptions.append(f"{records_per_answer} records in each answer (or page).")
    if kind == "STANDARD":
        items.append(
            LineItem(
                "Step Functions Standard",
                transitions_in_month,
                "state transitions",
                price.standard_per_transition,
                price.standard_free_transitions,
            )
        )
    else:
        billed_ms = math.ceil(duration_ms / 100) * 100
        billed_mb = math.ceil(memory_mb / 64) * 64
        gb_seconds = runs * billed_ms / 1000 * billed_mb / 1024
        items.append(
            LineItem("Step Functions Express requests", runs, "requests", price.express_per_request)
        )
        items.append(
            LineItem(
                "Step Functions Express duration",
                gb_seconds,
                "GB-seconds",
                price.express_per_gb_second,
            )
        )
        assumptions.append(
            f"Express: {duration_ms:g} ms at {memory_mb} MB a run, billed as {billed_ms} ms "
            f"at {billed_mb} MB (first duration tier)."
        )
    express_children = children.started["EXPRESS"]
    if express_children:
        billed_ms = math.ceil(child_duration_ms / 100) * 100
        billed_mb = math.ceil(memory_mb / 64) * 64
        starts = runs * express_children
        items.append(
            LineItem(
                "Step Functions Express requests (Distributed Map children)",
                starts,
                "requests",
                price.express_per_request,
            )
        )
        items.append(
            LineItem(
                "Step Functions Express duration (Distributed Map children)",
                starts * billed_ms / 1000 * billed_mb / 1024,
                "GB-seconds",
                price.express_per_gb_second,
            )
        )
        assumptions.append(
            f"Distributed Map: {express_children} Express child executions a run, each "
            f"{child_duration_ms:g} ms at {memory_mb} MB (billed {billed_ms} ms at {billed_mb} "
            "MB), and one Standard transition each for starting it."
        )
    if children.started["STANDARD"]:
        assumptions.append(
            f"Distributed Map: {children.started['STANDARD']} Standard child executions a run: "
            f"one transition each for starting it, plus the {children.states['STANDARD']} "
            "states they enter."
        )
    if children.s3_gets or children.s3_lists:
        if children.s3_gets:
            items.append(
                LineItem(
                    "S3 GET requests (ItemReader)",
                    runs * children.s3_gets,
                    "requests",
                    price.s3_per_get_request,
                )
            )
        if children.s3_lists:
            items.append(
                LineItem(
                    "S3 LIST requests (ItemReader)",
                    runs * children.s3_lists,
                    "requests",
                    price.s3_per_list_request,
                )
            )
    if api_calls:
        items.append(
            LineItem(
                "API Gateway REST",
                api_calls_in_month,
                "requests",
                price.api_gateway_rest_per_request,
            )
        )
    if put_items:
        items.append(
            LineItem(
                "DynamoDB on-demand writes",
                write_units,
                "write request units",
                price.dynamodb_per_write_request_unit,
            )
        )
        assumptions.append(
            f"DynamoDB: on-demand table, {item_size_bytes}-byte items ({units_per_write} WRU each)."
        )
    if reads_in_month:
        items.append(
            LineItem(
                "DynamoDB on-demand reads",
                reads_in_month,
                "read request units",
                price.dynamodb_per_read_request_unit,
            )
        )
        assumptions.append(
            "The state item: one strongly consistent GetItem a run (under 4 KB: 1 RRU); its "
            "updates are 1 WRU each."
        )
    if len(mix) > 1:
        assumptions.append(
            f"Polite: {unchanged_ratio:.0%} of runs unchanged, {fresh_ratio:.0%} still fresh; "
            f"saves {_number(saved[0])} requests and {_number(saved[1])} item writes a month, "
            f"for {_number(reads_in_month)} state-item reads and "
            f"{_number(runs * per_run['state_updates'])} state-item updates."
        )
    if alarms:
        items.append(
            LineItem(
                "CloudWatch alarms",
                alarms,
                "alarms",
                price.cloudwatch_alarm_per_month,
                price.cloudwatch_free_alarms,
            )
        )
    assumptions.append(
        "Not included: CloudWatch Logs, X-Ray, DynamoDB storage and backups, data transfer."
    )
    return CostEstimate(
        region=price.region,
        workflow_type=kind,
        schedule_expression=schedule_expression,
        runs_per_month=runs,
        transitions_per_run=transitions,
        line_items=tuple(items),
        assumptions=tuple(assumptions),
        prices=price,
        requests_saved=saved[0],
        item_writes_saved=saved[1],
    )


def _polite_mix(
    definition: Mapping[str, Any],
    path: list[Mapping[str, Any]],
    unchanged_ratio: float,
    fresh_ratio: float,
) -> list[tuple[float, PathCounts]]:
    """(share of runs, what the run enters and calls): the full path first, then the polite
    exits the ratios send runs to."""
    unchanged = check_ratio("unchanged_ratio", unchanged_ratio)
    fresh = check_ratio("fresh_ratio", fresh_ratio)
    if unchanged + fresh > 1:
        raise CostModelError(
            f"unchanged_ratio + fresh_ratio must be at most 1, not {unchanged + fresh!r}."
        )
    found = exits(definition)
    full = counts(path)
    mix = [(1.0 - unchanged - fresh, full)]
    if unchanged:
        goal = found.get(OUTCOME_NOT_MODIFIED) or found.get(OUTCOME_UNCHANGED)
        if goal is None:
            raise CostModelError(
                f"unchanged_ratio={unchanged_ratio!r}, but the downloader has neither "
                "conditional=True nor store=Store.changes_only(): an unchanged answer costs "
                "as much as any other (pass unchanged_ratio=0, or enable one of them)."
            )
        mix.append((unchanged, counts(path_to(definition, goal))))
    if fresh:
        goal = found.get(OUTCOME_FRESH)
        if goal is None:
            raise CostModelError(
                f"fresh_ratio={fresh_ratio!r}, but the downloader has no respect_expires=True: "
                "every run requests (pass fresh_ratio=0, or enable it)."
            )
        mix.append((fresh, counts(path_to(definition, goal))))
    if found and len(mix) == 1:
        mix.append((0.0, full))  # polite, nothing saved: still price its reads and updates
    return mix
