"""Cost: what a downloader costs a month, estimated from its own synthesized configuration.

``estimate_monthly_cost(pattern)`` reads the schedule expression and the state machine
definition as CloudFormation will receive them, counts runs a month and the states a
successful run enters, and prices each service a run touches: EventBridge Scheduler, Step
Functions (Standard or Express), API Gateway, DynamoDB, and the downloader's CloudWatch alarms.
A month is 30 days.

Not included: CloudWatch Logs (the construct logs every event), X-Ray traces, DynamoDB storage
and point-in-time-recovery backups, data transfer, and retries (each retry is one more state
transition, API Gateway request and, for Express, more billed duration).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aws_cdk import aws_stepfunctions as sfn

    from .pattern import DownloaderPattern

DAYS_PER_MONTH = 30
"""The month of every estimate: 30 days, so one run a minute is 43,200 runs."""
MINUTES_PER_MONTH = DAYS_PER_MONTH * 24 * 60

PRICES_DATE = "2026-11"
"""When the built-in prices were read from AWS's pricing pages."""


class CostModelError(ValueError):
    """Raised when a cost cannot be estimated: unknown region, unreadable schedule or definition."""


@dataclass(frozen=True)
class Prices:
    """Unit prices (USD) of the services a downloader uses, in one region.

    Build one to estimate a region the built-in table lacks, and pass it as ``prices=``.
    """

    region: str
    """The AWS region these prices apply to."""
    standard_per_transition: float
    """Step Functions Standard, per state transition."""
    standard_free_transitions: int
    """Step Functions Standard transitions free each month (per account)."""
    express_per_request: float
    """Step Functions Express, per execution started."""
    express_per_gb_second: float
    """Step Functions Express duration, per GB-second (first tier), billed in 100 ms, 64 MB."""
    api_gateway_rest_per_request: float
    """API Gateway REST API, per request (first tier: up to 333 million a month)."""
    scheduler_per_invocation: float
    """EventBridge Scheduler, per invocation beyond the free ones."""
    scheduler_free_invocations: int
    """EventBridge Scheduler invocations free each month (per account)."""
    dynamodb_per_write_request_unit: float
    """DynamoDB on-demand (Standard table class), per write request unit."""
    cloudwatch_alarm_per_month: float
    """CloudWatch standard-resolution metric alarm, per alarm a month."""
    cloudwatch_free_alarms: int
    """CloudWatch alarms free each month (per account)."""
    source: str = ""
    """Where the figures come from. Default: none given."""
    date: str = ""
    """When the figures were read (``YYYY-MM``). Default: not known."""


US_EAST_1 = Prices(
    region="us-east-1",
    # https://aws.amazon.com/step-functions/pricing/ : $0.025 per 1,000 state transitions,
    # 4,000 free a month; Express $1.00 per million requests, $0.00001667 per GB-second.
    standard_per_transition=0.025 / 1_000,
    standard_free_transitions=4_000,
    express_per_request=1.00 / 1_000_000,
    express_per_gb_second=0.00001667,
    # https://aws.amazon.com/api-gateway/pricing/ : REST APIs, $3.50 per million requests.
    api_gateway_rest_per_request=3.50 / 1_000_000,
    # https://aws.amazon.com/eventbridge/pricing/ (Scheduler): 14 million invocations free a
    # month, then $1.00 per million.
    scheduler_per_invocation=1.00 / 1_000_000,
    scheduler_free_invocations=14_000_000,
    # https://aws.amazon.com/dynamodb/pricing/on-demand/ : $0.625 per million write request units.
    dynamodb_per_write_request_unit=0.625 / 1_000_000,
    # https://aws.amazon.com/cloudwatch/pricing/ : $0.10 per standard-resolution alarm metric a
    # month; 10 alarm metrics free.
    cloudwatch_alarm_per_month=0.10,
    cloudwatch_free_alarms=10,
    source="AWS pricing pages (Step Functions, API Gateway, EventBridge, DynamoDB, "
    "CloudWatch), us-east-1",
    date=PRICES_DATE,
)
"""Prices in US East (N. Virginia), read in November 2026."""

PRICES: Mapping[str, Prices] = MappingProxyType({US_EAST_1.region: US_EAST_1})
"""The built-in price table, by region. Other regions: pass ``prices=Prices(...)``."""


@dataclass(frozen=True)
class LineItem:
    """One service's usage in a month and what it costs, before and after its free tier."""

    service: str
    """What is billed, e.g. ``"Step Functions Standard"``."""
    quantity: float
    """Units used a month."""
    unit: str
    """The billed unit, e.g. ``"state transitions"``."""
    unit_price: float
    """USD per unit."""
    free_quantity: float = 0.0
    """Units free each month (per account). Default: no free tier."""

    @property
    def cost(self) -> float:
        """USD a month, before the free tier."""
        return self.quantity * self.unit_price

    @property
    def cost_after_free_tier(self) -> float:
        """USD a month once the free units are used up by this downloader alone."""
        return max(0.0, self.quantity - self.free_quantity) * self.unit_price


@dataclass(frozen=True)
class CostEstimate:
    """A downloader's estimated monthly cost: line items, totals and the assumptions made."""

    region: str
    """The region priced."""
    workflow_type: str
    """``"STANDARD"`` or ``"EXPRESS"``."""
    schedule_expression: str
    """The schedule as synthesized, e.g. ``"rate(1 minute)"``."""
    runs_per_month: float
    """Runs in a 30-day month."""
    transitions_per_run: int
    """States a successful run enters (retries excluded)."""
    line_items: tuple[LineItem, ...]
    """One entry a billed service and unit."""
    assumptions: tuple[str, ...]
    """What the figures assume, one sentence each."""
    prices: Prices
    """The unit prices used."""

    @property
    def total(self) -> float:
        """USD a month, before free tiers."""
        return sum(item.cost for item in self.line_items)

    @property
    def total_after_free_tier(self) -> float:
        """USD a month after free tiers (as if this downloader were the account's only user)."""
        return sum(item.cost_after_free_tier for item in self.line_items)

    def line_item(self, service: str) -> LineItem:
        """The line item billed as ``service``; ``KeyError`` if there is none."""
        for item in self.line_items:
            if item.service == service:
                return item
        raise KeyError(f"no line item {service!r}; have {[i.service for i in self.line_items]}")

    def table(self) -> str:
        """A plain-text table of the line items and totals, then the assumptions."""
        rows = [("Service", "Usage a month", "Unit price", "Cost", "After free tier")]
        for item in self.line_items:
            rows.append(
                (
                    item.service,
                    f"{_number(item.quantity)} {item.unit}",
                    _price(item),
                    _usd(item.cost),
                    _usd(item.cost_after_free_tier),
                )
            )
        rows.append(("Total", "", "", _usd(self.total), _usd(self.total_after_free_tier)))
        widths = [max(len(row[i]) for row in rows) for i in range(5)]
        lines = [
            f"Monthly cost, {self.workflow_type.title()} workflow, {self.region} "
            f"(prices of {self.prices.date or 'unknown date'}): {self.schedule_expression}, "
            f"{_number(self.runs_per_month)} runs, {self.transitions_per_run} state "
            "transitions a run",
        ]
        for index, row in enumerate(rows):
            if index == len(rows) - 1:
                lines.append("  ".join("-" * width for width in widths))
            cells = [row[0].ljust(widths[0]), row[1].ljust(widths[1])]
            cells += [cell.rjust(width) for cell, width in zip(row[2:], widths[2:], strict=True)]
            lines.append("  ".join(cells).rstrip())
        lines += [f"- {assumption}" for assumption in self.assumptions]
        return "\n".join(lines)

    def __str__(self) -> str:
        """The same as ``table()``."""
        return self.table()


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
) -> CostEstimate:
    """Estimate the monthly cost of a scheduled state machine given as plain data.

    ``definition`` is the parsed Amazon States Language document; ``alarms`` the number of
    CloudWatch alarms (default: none; ``estimate_monthly_cost`` counts the downloader's own).
    The other parameters are those of ``estimate_monthly_cost``. Default: as there.
    """
    price = prices or _prices_for(region)
    kind = str(getattr(workflow_type, "value", workflow_type)).upper()
    if kind not in ("STANDARD", "EXPRESS"):
        raise CostModelError(f"workflow_type must be STANDARD or EXPRESS, not {workflow_type!r}.")
    for name, value in (
        ("duration_ms", duration_ms),
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
        path = successful_path(definition)
    except CostModelError:
        if transitions_per_run is None:
            raise
        path = list(_all_states(definition))
        notes.append("The path was not followed: each task's service call counts once a run.")
    transitions = len(path) if transitions_per_run is None else transitions_per_run
    api_calls = sum(1 for state in path if _resource(state).endswith(":apigateway:invoke"))
    put_items = sum(1 for state in path if _is_dynamodb_write(_resource(state)))
    units_per_write = max(1, math.ceil(item_size_bytes / 1024))

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
    if kind == "STANDARD":
        items.append(
            LineItem(
                "Step Functions Standard",
                runs * transitions,
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
    if api_calls:
        items.append(
            LineItem(
                "API Gateway REST",
                runs * api_calls,
                "requests",
                price.api_gateway_rest_per_request,
            )
        )
    if put_items:
        items.append(
            LineItem(
                "DynamoDB on-demand writes",
                runs * put_items * units_per_write,
                "write request units",
                price.dynamodb_per_write_request_unit,
            )
        )
        assumptions.append(
            f"DynamoDB: on-demand table, {item_size_bytes}-byte items ({units_per_write} WRU each)."
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
    )


def render_definition(value: Any) -> dict[str, Any]:
    """Parse a resolved ``DefinitionString``: a JSON string, or an ``Fn::Join`` of one.

    References inside the join (``Ref``, ``Fn::GetAtt``) become ``0``, valid both inside a
    JSON string and as a JSON number; counting states needs none of their values.
    """
    if isinstance(value, Mapping) and set(value) == {"Fn::Join"}:
        separator, parts = value["Fn::Join"]
        value = separator.join(part if isinstance(part, str) else "0" for part in parts)
    if not isinstance(value, str):
        raise CostModelError(f"cannot read the state machine definition from {value!r}.")
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError as error:
        raise CostModelError(f"the state machine definition is not JSON: {error}") from error
    if not isinstance(parsed, dict):
        raise CostModelError("the state machine definition is not a JSON object.")
    return parsed


def successful_path(definition: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The states a successful run enters, in order, from ``StartAt`` to the end.

    Parallel branches are included; a Choice follows its ``Default``. A Map, a loop, or a
    Choice without ``Default`` raises ``CostModelError`` (pass ``transitions_per_run``).
    """
    return list(_walk(definition, "definition"))


def _walk(machine: Mapping[str, Any], where: str) -> Iterator[Mapping[str, Any]]:
    states: Mapping[str, Any] = machine.get("States", {})
    name = machine.get("StartAt")
    seen: set[str] = set()
    while True:
        if not isinstance(name, str) or name not in states:
            raise CostModelError(f"{where}: state {name!r} is not defined.")
        if name in seen:
            raise CostModelError(
                f"{where}: the path loops back to {name!r}; pass transitions_per_run."
            )
        seen.add(name)
        state: Mapping[str, Any] = states[name]
        kind = state.get("Type")
        yield state
        if kind == "Parallel":
            for index, branch in enumerate(state.get("Branches", [])):
                yield from _walk(branch, f"{where}/{name}/branch {index}")
        elif kind == "Map":
            raise CostModelError(
                f"{where}: Map state {name!r} runs an unknown number of iterations; "
                "pass transitions_per_run."
            )
        if kind in ("Succeed", "Fail") or state.get("End") is True:
            return
        following = _choice_next(states, state) if kind == "Choice" else state.get("Next")
        if following is None:
            raise CostModelError(
                f"{where}: state {name!r} has no "
                + ("Default; pass transitions_per_run." if kind == "Choice" else "Next or End.")
            )
        name = following


def _choice_next(states: Mapping[str, Any], choice: Mapping[str, Any]) -> Any:
    """A successful run leaves a Choice by its ``Default``, unless the Default fails the run
    (an input check such as ``CheckInput``): then by its first rule."""
    default = choice.get("Default")
    if isinstance(default, str) and states.get(default, {}).get("Type") == "Fail":
        rules = choice.get("Choices") or [{}]
        return rules[0].get("Next")
    return default


def _all_states(machine: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    for state in machine.get("States", {}).values():
        yield state
        for branch in state.get("Branches", []):
            yield from _all_states(branch)
        for key in ("Iterator", "ItemProcessor"):
            if key in state:
                yield from _all_states(state[key])


def _resource(state: Mapping[str, Any]) -> str:
    resource = state.get("Resource", "")
    return re.sub(r"\.(sync|sync:2|waitForTaskToken)$", "", resource) if resource else ""


def _is_dynamodb_write(resource: str) -> bool:
    return resource.endswith((":dynamodb:putItem", ":dynamodb:updateItem"))


def _prices_for(region: str) -> Prices:
    try:
        return PRICES[region]
    except KeyError:
        raise CostModelError(
            f"no built-in prices for region {region!r} (have: {', '.join(sorted(PRICES))}). "
            "Pass prices=Prices(region=..., ...) with that region's figures from the AWS "
            "pricing pages."
        ) from None


# --- schedule expressions ------------------------------------------------------------------

_RATE = re.compile(r"^rate\(\s*(\d+)\s+(minutes?|hours?|days?)\s*\)$", re.IGNORECASE)
_CRON = re.compile(r"^cron\((.*)\)$", re.IGNORECASE | re.DOTALL)
_AT = re.compile(r"^at\(\s*\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\s*\)$", re.IGNORECASE)
_UNIT_MINUTES = {"minute": 1, "hour": 60, "day": 24 * 60}
_MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
_WEEKDAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]
# How often day N of a month occurs, averaged over the 400-year Gregorian cycle, by month:
# day 29 exists in every month but February of common years (303 in 400).
_FEBRUARY_DAY_29 = 97 / 400
_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def count_runs(expression: str) -> float:
    """Runs in a 30-day month of an EventBridge Scheduler expression.

    ``rate(N minutes|hours|days)``: exactly 43,200 / (N minutes). ``at(...)``: 1.
    ``cron(min hour day-of-month month day-of-week year)``: the minute and hour fields (``*``,
    lists, ranges, steps) times the days matched: ``*``/``?`` in both day fields is 30 days;
    days of the week count 30/7 each (``nL`` and ``n#k``: once a month); days of the month
    count as often as they occur in the calendar (``L``, ``nW``: once a month). A month field
    keeps its share of the year; the year field is ignored.
    """
    text = expression.strip()
    if match := _RATE.match(text):
        value = int(match.group(1))
        if value == 0:
            raise CostModelError(f"{expression!r}: a rate must be at least 1.")
        unit = match.group(2).lower().rstrip("s")
        return MINUTES_PER_MONTH / (value * _UNIT_MINUTES[unit])
    if _AT.match(text):
        return 1.0
    if match := _CRON.match(text):
        return _count_cron(expression, match.group(1).split())
    raise CostModelError(
        f"cannot read schedule expression {expression!r}: expected rate(N minutes|hours|days), "
        "cron(...) or at(yyyy-mm-ddThh:mm:ss)."
    )


def _count_cron(expression: str, fields: list[str]) -> float:
    if len(fields) != 6:
        raise CostModelError(
            f"{expression!r}: cron needs 6 fields (minutes hours day-of-month month "
            f"day-of-week year), got {len(fields)}."
        )
    minute, hour, day_of_month, month, day_of_week, year = fields
    try:
        minutes = _values(minute, 0, 59)
        hours = _values(hour, 0, 23)
        months = _values(month, 1, 12, _MONTHS)
        _values(year, 1970, 2199)  # checked, not counted
        days = _days_per_month(day_of_month, day_of_week, months)
    except ValueError as error:
        raise CostModelError(f"{expression!r}: {error}") from None
    return len(minutes) * len(hours) * days


def _days_per_month(day_of_month: str, day_of_week: str, months: set[int]) -> float:
    share = len(months) / 12
    any_day = ("*", "?")
    if day_of_month in any_day and day_of_week in any_day:
        return DAYS_PER_MONTH * share
    if day_of_month in any_day:
        days = 0.0
        for part in day_of_week.split(","):
            if part.upper() == "L":  # the last day of the week: every Saturday
                days += DAYS_PER_MONTH / 7
            elif re.fullmatch(r"[^#L]+#[1-5]|[^#L]+L", part, re.IGNORECASE):
                _values(re.split(r"[#L]", part, flags=re.IGNORECASE)[0], 1, 7, _WEEKDAYS)
                days += 1  # the n-th or the last such weekday: once a month
            else:
                days += len(_values(part, 1, 7, _WEEKDAYS)) * DAYS_PER_MONTH / 7
        return days * share
    if day_of_week not in any_day:
        raise ValueError("one of day-of-month and day-of-week must be '?'.")
    days = 0.0
    for part in day_of_month.split(","):
        if re.fullmatch(r"L|LW|\d{1,2}W", part, re.IGNORECASE):
            if part[0].isdigit():
                _values(part[:-1], 1, 31)
            days += share  # last day, or the weekday nearest a date: once a month
            continue
        for day in _values(part, 1, 31):
            days += sum(_month_has_day(m, day) for m in months) / 12
    return days


def _month_has_day(month: int, day: int) -> float:
    """How often (0-1) ``day`` exists in ``month``, over the leap-year cycle."""
    if month == 2 and day == 29:
        return _FEBRUARY_DAY_29
    return 1.0 if day <= _MONTH_DAYS[month - 1] else 0.0


def _values(field: str, low: int, high: int, names: list[str] | None = None) -> set[int]:
    """The values a cron field matches: ``*``, ``?``, ``a``, ``a-b``, ``*/n``, ``a/n``, lists."""
    result: set[int] = set()
    for part in field.split(","):
        base, _, step_text = part.partition("/")
        step = _number_in(step_text, 1, high - low + 1, "step") if step_text else 1
        if base in ("*", "?"):
            start, end = low, high
        elif "-" in base:
            first, _, last = base.partition("-")
            start, end = _value(first, low, high, names), _value(last, low, high, names)
            if start > end:
                raise ValueError(f"range {base!r} runs backwards.")
        else:
            start = _value(base, low, high, names)
            end = high if step_text else start
        result.update(range(start, end + 1, step))
    return result


def _value(text: str, low: int, high: int, names: list[str] | None) -> int:
    if names is not None and text.upper() in names:
        return names.index(text.upper()) + 1
    return _number_in(text, low, high, "value")


def _number_in(text: str, low: int, high: int, what: str) -> int:
    if not text.isdigit() or not low <= int(text) <= high:
        raise ValueError(f"{what} {text!r} is not a number from {low} to {high}.")
    return int(text)


def _number(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.2f}"


def _price(item: LineItem) -> str:
    """The unit price as AWS quotes it: per GB-second, else per thousand or per million."""
    scale, suffix = 1, ""
    if item.unit != "GB-seconds" and item.unit_price < 0.01:
        scale, suffix = (1_000, "/1K") if item.unit_price >= 0.00001 else (1_000_000, "/M")
    value = item.unit_price * scale
    text = f"{value:.8f}".rstrip("0")
    return f"${text if len(text.partition('.')[2]) >= 2 else f'{value:.2f}'}{suffix}"


def _usd(value: float) -> str:
    return f"${value:,.4f}"
