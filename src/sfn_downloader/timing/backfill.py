"""Backfill: the downloader's own run, once for every scheduled time of a past range.

``backfill=True`` adds a Standard state machine whose input is ``{"from": "<ISO 8601>", "to":
"<ISO 8601>"}``. It lists the scheduled times from ``from`` to ``to`` (inclusive, stepping by the
schedule's interval, or by the window when the window is a whole number of intervals), then
starts the downloader's state machine once a time, with exactly the input a schedule sends
(``{"scheduledTime": ...}``), at most the downloader's ``concurrency`` at once, waiting for each
(``startExecution.sync:2``). Items land under the keys a scheduled run uses: a backfill and the
schedule never duplicate an item, and running a range again rewrites the same items.

    CheckRange → ListTimes → CheckTimes → RunAll (Map: RunOne per time) → AnyFailed → Done

A range of more than 1,000 times, or ``to`` before ``from``, or (for a cron schedule) a ``from``
that is not one of its times fails at once with ``Downloader.InvalidInput``. A time whose run
fails is recorded (``{"ok": false, "key": <time>, "error": ...}``) and the others go on; the
execution then fails with ``Downloader.RequestsFailed`` listing the failed times: run the backfill
again for those (``from`` = ``to`` = the time), or for the whole range.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

from aws_cdk import Duration, Stack
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from .._acknowledge import acknowledge, arn_prefix
from .._contract import (
    BACKFILL_FROM_KEY,
    BACKFILL_MAX_TIMES,
    BACKFILL_TIMES_PATH,
    BACKFILL_TO_KEY,
    FAILURE_PATH,
    INVALID_INPUT_ERROR,
    ISO_PICTURE,
    MAP_SCHEDULED_TIME_PATH,
    SCHEDULED_TIME_KEY,
)
from .._parts import CheckContext, Maps
from ..errors import Problem
from ._schedule import Step, step_of
from .request import TimedRequest

INPUT_CONTRACT = (
    f'The backfill input must be {{"{BACKFILL_FROM_KEY}": "<ISO 8601 time>", '
    f'"{BACKFILL_TO_KEY}": "<ISO 8601 time>"}}, whole seconds, {BACKFILL_TO_KEY} not before '
    f"{BACKFILL_FROM_KEY}: the first and last scheduled times to run (inclusive)."
)
TOO_MANY = (
    f"The range holds more than {BACKFILL_MAX_TIMES:,} scheduled times, the most one backfill "
    "execution runs: split it into several executions."
)
NOT_SCHEDULED = (
    f"{BACKFILL_FROM_KEY} is not one of the schedule's times: the items would not have the keys "
    "of scheduled runs."
)
EXECUTION_LIMIT_EXCEEDED_ERROR = "StepFunctions.ExecutionLimitExceeded"
"""StartExecution refused by the account's quota of open executions (retried)."""
_UTC = ("UTC", "Etc/UTC", "GMT", "Etc/GMT")
_FIXED_STEPS = (
    "rate(...), or a cron of every day, every hour or every k minutes (k dividing 60) at fixed "
    "minutes, e.g. cron(0 1 * * ? *)"
)


class Backfill:
    """``backfill=True``: a second state machine runs the downloader for past scheduled times."""

    def __init__(self, *, enabled: object, timing: TimedRequest) -> None:
        self.enabled = enabled
        """As given (``None``: not given)."""
        self.timing = timing
        self._step: Step | None = None

    @property
    def is_enabled(self) -> bool:
        """True with ``backfill=True``."""
        return self.enabled is True

    def step(self, schedule_expression: str | None, time_zone: str | None = None) -> Step | None:
        """The step between backfilled times: the window when it is a whole number of the
        schedule's intervals (or without a schedule), else the schedule's interval."""
        schedule = step_of(schedule_expression)
        if schedule is not None and schedule.phase is not None and time_zone not in (None, *_UTC):
            schedule = None  # a cron in a zone with daylight saving has no fixed UTC step
        window = self.timing.window
        if window is not None and (schedule is None and schedule_expression is None):
            return Step(window.duration_seconds, None)
        if schedule is None:
            return None
        if window is not None and window.duration_seconds % schedule.seconds == 0:
            return Step(window.duration_seconds, schedule.phase)
        return schedule

    def check(self, context: CheckContext) -> Iterator[Problem]:
        """A bool; a request that depends on the time; times that can be enumerated."""
        if self.enabled is None or self.enabled is False:
            return
        if not isinstance(self.enabled, bool):
            yield Problem("backfill", self.enabled, "is not a bool.", "pass backfill=True.")
            return
        if self.timing.incremental is not None:
            yield Problem(
                "backfill",
                True,
                "cannot be combined with incremental: an incremental run asks from "
                "its mark, not for its scheduled time, so past times would all ask "
                "the same.",
                "use a window (path '?from={window_start}&to={window_end}') for a "
                "backfill, or drop backfill.",
            )
        elif not self.timing.follows_time:
            yield Problem(
                "backfill",
                True,
                "would store today's answer under past times: the request does not "
                "depend on the scheduled time.",
                "put {scheduled_time} (or a window's {window_start}/{window_end}) in "
                "the path, or drop backfill.",
            )
        self._step = self.step(context.schedule_expression, context.schedule_time_zone)
        if self._step is None:
            where = context.schedule_expression or "no schedule"
            zone = context.schedule_time_zone
            zoned = f" in time zone {zone}" if zone not in (None, *_UTC) else ""
            yield Problem(
                "backfill",
                f"{where}{zoned}",
                "the schedule's times cannot be enumerated with a fixed step, so "
                "the backfill cannot list them.",
                f"schedule with {_FIXED_STEPS}, in UTC, or give a window "
                "(Window.last(...)): its duration is then the step.",
            )

    def definition(
        self, scope: Construct, *, downloader: sfn.IStateMachine, maps: Maps
    ) -> sfn.IChainable:
        """The backfill's states (in ``scope``): check, list, run each time, report failures."""
        step = self._step
        assert step is not None, "check() comes first"
        invalid = sfn.Fail(scope, "InvalidRange", error=INVALID_INPUT_ERROR, cause=INPUT_CONTRACT)
        too_many = sfn.Fail(scope, "TooManyTimes", error=INVALID_INPUT_ERROR, cause=TOO_MANY)
        not_scheduled = sfn.Fail(
            scope, "NotAScheduledTime", error=INVALID_INPUT_ERROR, cause=NOT_SCHEDULED
        )
        run_one = tasks.StepFunctionsStartExecution(
            scope,
            "RunOne",
            state_machine=downloader,
            integration_pattern=sfn.IntegrationPattern.RUN_JOB,
            input=sfn.TaskInput.from_object(
                {SCHEDULED_TIME_KEY: sfn.JsonPath.string_at(MAP_SCHEDULED_TIME_PATH)}
            ),
            result_selector={"ok": True},
        )
        # "Start workflow executions from a task state": StartExecution's quota may refuse a
        # start; AWS's own example retries StepFunctions.ExecutionLimitExceeded.
        run_one.add_retry(
            errors=[EXECUTION_LIMIT_EXCEEDED_ERROR],
            interval=Duration.seconds(2),
            max_attempts=6,
            backoff_rate=2,
            jitter_strategy=sfn.JitterType.FULL,
        )
        failed = sfn.Pass(
            scope,
            "RecordFailure",
            parameters={
                "ok": False,
                "key": sfn.JsonPath.string_at(MAP_SCHEDULED_TIME_PATH),
                "error": sfn.JsonPath.string_at(f"{FAILURE_PATH}.Error"),
            },
        )
        run_one.add_catch(failed, errors=[sfn.Errors.ALL], result_path=FAILURE_PATH)
        run_all = maps.build(
            scope,
            "RunAll",
            items_path=BACKFILL_TIMES_PATH,
            item_selector={SCHEDULED_TIME_KEY: sfn.JsonPath.string_at("$$.Map.Item.Value")},
            iteration=run_one,
        )
        check_times = (
            sfn.Choice(scope, "CheckTimes")
            .when(sfn.Condition.number_less_than("$.count", 1), invalid)
            .when(sfn.Condition.number_greater_than("$.count", BACKFILL_MAX_TIMES), too_many)
            .when(sfn.Condition.boolean_equals("$.aligned", False), not_scheduled)
            .otherwise(run_all)
        )
        list_times = sfn.Pass.jsonata(scope, "ListTimes", outputs=_list_times(step))
        valid = sfn.Condition.and_(
            *(
                sfn.Condition.and_(
                    sfn.Condition.is_present(f"$.{key}"), sfn.Condition.is_timestamp(f"$.{key}")
                )
                for key in (BACKFILL_FROM_KEY, BACKFILL_TO_KEY)
            )
        )
        return (
            sfn.Choice(scope, "CheckRange")
            .when(valid, list_times.next(check_times))
            .otherwise(invalid)
        )

    @staticmethod
    def timeout(downloader_timeout: Duration, concurrency: int) -> Duration:
        """Long enough for the most times at the given concurrency, each run taking its
        longest (the downloader's timeout)."""
        rounds = math.ceil(BACKFILL_MAX_TIMES / max(1, concurrency))
        return Duration.seconds(int(downloader_timeout.to_seconds()) * rounds)

    @staticmethod
    def acknowledge(state_machine: sfn.StateMachine, downloader: sfn.StateMachine) -> None:
        """aws-cdk-lib's StartExecution (.sync) grants DescribeExecution/StopExecution on the
        downloader's executions (``execution:<name>:*``): generated names."""
        stack = Stack.of(downloader)
        logical_id = stack.resolve(stack.get_logical_id(downloader.node.default_child))  # type: ignore[arg-type]
        name = '{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"' + logical_id + '"}]}]}'
        acknowledge(
            state_machine.role.node.find_child("DefaultPolicy"),
            f"IAM5[Resource::{arn_prefix(downloader, 'states')}execution:{name}*]",
            "The backfill waits for each run it starts (startExecution.sync:2): aws-cdk-lib "
            "scopes Describe/StopExecution to the downloader's own executions, whose names are "
            "generated.",
        )


def _list_times(step: Step) -> str:
    """JSONata: ``{"count", "aligned", "times"}`` of the input's range."""
    step_ms = step.seconds * 1000
    aligned = (
        f"($from % 1000 = 0) and (($from - {step.phase * 1000}) % {step_ms} = 0)"
        if step.phase is not None
        else "$from % 1000 = 0"
    )
    return (
        "{% ("
        f"$from := $toMillis($states.input.{BACKFILL_FROM_KEY}); "
        f"$to := $toMillis($states.input.{BACKFILL_TO_KEY}); "
        f"$count := $floor(($to - $from) / {step_ms}) + 1; "
        "{'count': $count, "
        f"'aligned': {aligned}, "
        f"'times': ($count >= 1 and $count <= {BACKFILL_MAX_TIMES}) "
        f"? $append([], $map([0..($count - 1)], function($i) {{ "
        f"$fromMillis($from + $i * {step_ms}, '{ISO_PICTURE}') }})) : []}}"
        ") %}"
    )
