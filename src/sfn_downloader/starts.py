"""Starts: on a schedule (default), on demand (``StartExecution``), or both.

A run's input is ``{"scheduledTime": "<ISO 8601 UTC>"}``: the schedule passes its scheduled
time; an on-demand caller passes the time the answer is stored under (its sort key; the same
time again overwrites the same item). A downloader that may be started on demand checks it
first (``CheckInput``, one JSONata Choice): a run without it, or with another form of the
instant than the schedule's (``2026-11-27T05:30:00Z``: lower case, an offset, fractions),
fails at once with ``Downloader.InvalidInput`` (``InvalidInput``), so one instant is always one
key; a ``scheduledTime`` later than the execution's start plus ``INPUT_TIME_SKEW_SECONDS``
fails with the same error (``InputInFuture``, its own cause): a run never stores, nor
remembers (``freshUntil``, validators, hashes, marks), anything under a time that has not come
yet.

An on-demand run may also carry ``"query": {"<name>": "<value>"}`` for the names listed in
``overridable_query``: each replaces its default from ``path`` (others are ignored, and the
path itself never changes, so a caller cannot reach another resource). One request whose
download is the checked JSONata task computes them itself (a ``_parts.Computation``: the query
in its Arguments, the key suffix and the ``query`` attribute in its ``Assign``, read by
Persist as ``$keySuffix``, ``$queryAttribute``): no state of their own. Elsewhere, states
before the download: ``HasQueryOverrides`` (Choice) → ``DefaultQuery``, or ``QueryDefaults`` →
``MergeQuery`` → ``OverrideQuery``; the download then reads its query from ``$.query`` (in the
transport's ``RequestForm``: lists for ``apigateway:invoke``, one string a name for the HTTP
Task). The
values a run requests with are part of its item's key (``sk = <scheduled time>#<name>=<value>
&...``, every run, scheduled ones too) and its ``query`` attribute, so runs of other values
never overwrite each other.

With a query computed each run (time placeholders, a window) ``OverrideQuery`` alone, a JSONata
Pass, puts ``ComputeRequest``'s ``$requestQuery`` at ``$.query`` with the run's values of the
allowed names (a default may be computed: ``since={window_start}``). The pages of one path
start from ``$.query`` (``FirstRequest``) and keep the suffix: ``sk = <scheduled time>#<suffix>
#<page>``. A fan-out adds no state: its listing sets the run's values in every request
(``fanout/_overrides.py``), each keyed ``<suffix>#<path as given>``.

Scheduled runs: an EventBridge Scheduler schedule; a start it cannot deliver within 5 minutes
of retries lands in a dead-letter queue.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace

from aws_cdk import Duration, Token
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as targets
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from ._acknowledge import acknowledge
from ._checks import jsonata_value
from ._contract import (
    INPUT_QUERY_PATH,
    INVALID_INPUT_ERROR,
    ISO_PICTURE,
    KEY_SUFFIX_PATH,
    KEY_SUFFIX_VARIABLE,
    OVERRIDE_QUERY_VARIABLE,
    QUERY_ATTRIBUTE,
    QUERY_ATTRIBUTE_PATH,
    QUERY_ATTRIBUTE_VARIABLE,
    QUERY_DEFAULTS_PATH,
    QUERY_KEY,
    QUERY_MERGED_PATH,
    QUERY_PATH,
    REQUEST_QUERY_VARIABLE,
    SCHEDULED_TIME_KEY,
    SCHEDULED_TIME_PATH,
)
from ._defaults import (
    DEAD_LETTER_RETENTION_DAYS,
    INPUT_TIME_SKEW_SECONDS,
    MAX_DELIVERY_AGE_MINUTES,
    SCHEDULE_MINUTES,
)
from ._encryption import dead_letter_sender_role
from ._parts import Built, CheckContext, Computation, RunFeature, RunParts
from ._request import RequestForm
from ._schedules import check_schedule_expression
from .errors import Problem

INPUT_CONTRACT = (
    'The execution input must be {"scheduledTime": "<time>"}, the time the answer is stored '
    "under, in the form the schedule sends: ISO 8601 in UTC, upper-case T and Z, whole seconds "
    "(e.g. 2026-11-27T05:30:00Z; not 2026-11-27t05:30:00z, +01:00 or 05:30:00.000Z), so that "
    "one instant is always one key."
)
"""``Downloader.InvalidInput``'s cause."""
FUTURE_INPUT = (
    "The execution input's scheduledTime is later than the execution's start plus "
    f"{INPUT_TIME_SKEW_SECONDS} s: a run stores and remembers its answer under that time, so "
    "a time to come would be returned as the newest answer and would keep later runs from "
    "storing (freshness, marks). Pass a scheduledTime at or before the start."
)
"""``Downloader.InvalidInput``'s cause for a time to come."""
_INTRINSIC_UNSAFE = re.compile(r"['{}\\]")
QUERY_OVERRIDES_STATE = "HasQueryOverrides"
"""The first of the override states (``OverrideQuery`` with a computed query): the name the
overrides' computation is placed by."""


class Starts(RunFeature):
    """What starts a run. Use the static methods to create one."""

    def __init__(
        self,
        *,
        scheduled: bool,
        on_demand: bool,
        schedule: scheduler.ScheduleExpression | None = None,
        dead_letter_queue: sqs.IQueue | None = None,
        overridable_query: Sequence[str] | None = None,
    ) -> None:
        self.is_scheduled = scheduled
        """True when a schedule starts runs."""
        self.is_on_demand = on_demand
        """True when runs may also be started with ``StartExecution``."""
        self.expression = schedule
        """The schedule (``None``: every minute, or no schedule)."""
        self.dead_letter_queue = dead_letter_queue
        """The user's dead-letter queue (``None``: one is created with a schedule)."""
        self.overridable_query = overridable_query
        """Query parameters an on-demand run may change."""

    @staticmethod
    def scheduled(
        schedule: scheduler.ScheduleExpression | None = None,
        *,
        dead_letter_queue: sqs.IQueue | None = None,
    ) -> Starts:
        """Runs start on ``schedule`` only (the default).

        :param schedule: Default: ``ScheduleExpression.rate(Duration.minutes(1))``.
        :param dead_letter_queue: Where the schedule puts a start it could not deliver within
            5 minutes of retries. Default: a new SQS-encrypted, TLS-only queue (14 days).
        """
        return Starts(scheduled=True, on_demand=False, schedule=schedule,
                      dead_letter_queue=dead_letter_queue)  # fmt: skip

    @staticmethod
    def on_demand(*, overridable_query: Sequence[str] | None = None) -> Starts:
        """No schedule: runs start with ``StartExecution`` only (see
        ``grant_start_execution``), with input ``{"scheduledTime": "<ISO 8601 UTC>"}``.

        :param overridable_query: Names of ``path``'s query parameters a run may change: its
            input's ``"query": {"<name>": "<value>"}`` replaces their defaults (computed by
            the download of one request; elsewhere up to three Pass states and a Choice
            before it). Default: a run's input changes nothing of the request.
        """
        return Starts(scheduled=False, on_demand=True, overridable_query=overridable_query)

    @staticmethod
    def scheduled_and_on_demand(
        schedule: scheduler.ScheduleExpression | None = None,
        *,
        dead_letter_queue: sqs.IQueue | None = None,
        overridable_query: Sequence[str] | None = None,
    ) -> Starts:
        """Runs start on ``schedule`` and with ``StartExecution``; parameters as
        ``scheduled`` and ``on_demand``.

        :param schedule: Default: ``ScheduleExpression.rate(Duration.minutes(1))``.
        :param dead_letter_queue: Default: a new SQS-encrypted, TLS-only queue (14 days).
        :param overridable_query: Default: a run's input changes nothing of the request.
        """
        return Starts(scheduled=True, on_demand=True, schedule=schedule,
                      dead_letter_queue=dead_letter_queue,
                      overridable_query=overridable_query)  # fmt: skip

    @property
    def overrides(self) -> tuple[str, ...]:
        """The overridable query parameter names (empty: none)."""
        names = self.overridable_query
        return tuple(names) if names and not isinstance(names, str) else ()

    @property
    def query_path(self) -> str | None:
        """Where the download reads its query when overrides are allowed, else ``None``."""
        return QUERY_PATH if self.overrides else None

    @property
    def key_suffix_path(self) -> str | None:
        """With overrides: where the state holds the item key's suffix, the values the run
        requests with (``sk = <scheduled time>#<name>=<value>&...``); else ``None``."""
        return KEY_SUFFIX_PATH if self.overrides else None

    def item_attributes(self, at: str = "$") -> dict[str, tasks.DynamoAttributeValue]:
        """With overrides: the ``query`` attribute (name → value the run requested with).

        :param at: Where the state is kept: a variable (``$loop``, the checked page loop's).
            Default: ``$``, the state itself.
        """
        if not self.overrides:
            return {}
        return {
            QUERY_ATTRIBUTE: tasks.DynamoAttributeValue.map_from_json_path(
                at + QUERY_ATTRIBUTE_PATH[1:]
            )
        }

    def check(self, context: CheckContext) -> Iterator[Problem]:
        """The schedule, and the overridable parameters against the path."""
        yield from _check_schedule(self.expression)
        names = self.overridable_query
        if not names:
            return
        if isinstance(names, str):
            yield Problem("overridable_query", names, "is a string, not a list of names.",
                          f"use overridable_query=[{names!r}].")  # fmt: skip
            return
        if not context.transport.supports_query_overrides:
            yield Problem("overridable_query", list(names),
                          "is not supported by this transport.",
                          "use the API Gateway transport, or drop overridable_query.")  # fmt: skip
        path = context.path
        in_url = list(context.transport.check_computed_query("overridable_query", list(names),
                                                             {}, paged=True))  # fmt: skip
        if context.fan_out and in_url:  # the transport keeps a run's values out of the URL
            yield Problem("overridable_query", list(names),
                          "sets the run's values in each request of the fan-out, which the "
                          "HTTP Task takes as its URL (ApiEndpoint, with its query): no "
                          "document says how the task encodes a query written there (\"Call "
                          "HTTPS APIs in Step Functions workflows\"), so the construct writes "
                          "nothing a caller gives into it.",
                          "use transport=Transport.api_gateway() (the default), or one path "
                          "a run.")  # fmt: skip
        elif context.paginated:
            yield from in_url
        if context.fan_out:
            # Every listed request against the names: the fan-out's check (fanout/_overrides).
            for name in names:
                if isinstance(name, str) and _INTRINSIC_UNSAFE.search(name):
                    yield Problem(f"overridable_query[{name!r}]", name,
                                  "contains a quote, brace or backslash, which cannot be part "
                                  "of the item's key.",
                                  "rename the parameter, or drop it from overridable_query.",
                                  )  # fmt: skip
            return
        if path is None or Token.is_unresolved(path):
            return
        yield from context.transport.check_computed_query(
            "overridable_query", list(names), context.query
        )
        for name in names:
            if isinstance(name, str) and _INTRINSIC_UNSAFE.search(name):
                yield Problem(f"overridable_query[{name!r}]", name,
                              "contains a quote, brace or backslash, which cannot be part of "
                              "the item's key (States.Format).",
                              "rename the parameter, or drop it from overridable_query.",
                              )  # fmt: skip
                continue
            values = context.query.get(name)
            if values is None:
                yield Problem(f"overridable_query[{name!r}]", name,
                              f"is not a query parameter of path {path!r}, so it has no "
                              "default.",
                              f"add it to the path with a default ('?{name}=...'), or drop it.",
                              )  # fmt: skip
            elif len(values) != 1:
                yield Problem(f"overridable_query[{name!r}]", name,
                              f"has {len(values)} values in path {path!r}; an override "
                              "replaces exactly one.",
                              "give it one default value, or drop it.")  # fmt: skip

    def around(self, parts: RunParts, built: Built) -> RunParts:
        """With query overrides: the download reads the query the run put at ``$.query`` (the
        overrides win over a computed query), and the item's key and ``query`` attribute say
        which values were requested. The same values are offered as a computation
        (``_parts.Computation``): a shape whose download computes them (the query in its
        Arguments, the key suffix and the attribute in its ``Assign``) reads them from there,
        and the override states are left out."""
        if not self.overrides:
            return parts
        computations = parts.computations
        # The defaults: the path's query, or the one computed each run (inlined where the
        # download computes it too; else ComputeRequest's variable, read as it is).
        computed = computations.values()[0].get(REQUEST_QUERY_VARIABLE)
        if computed is None and parts.query_path is not None:
            computed = "{% " + parts.query_path + " %}"
        for computation in _override_computations(
            self.overrides, built.request.query, built.downloads.request_form, computed
        ):
            computations = computations.offering(computation)
        return replace(
            parts, query_path=self.query_path or parts.query_path,
            key_suffix_path=self.key_suffix_path, attributes=self.item_attributes(),
            computations=computations, attributes_at=self.item_attributes,
        )  # fmt: skip

    def before(self, scope: Construct, run: sfn.IChainable, built: Built) -> sfn.IChainable:
        """The states that put the run's query at ``$.query`` (with query overrides), in the
        form the transport's task reads it; none when the shape's download computes them
        (``built.placed``)."""
        if QUERY_OVERRIDES_STATE in built.placed:
            return run
        return self.with_overrides(
            scope, run, built.request.query, form=built.downloads.request_form
        )

    def for_fan_out(self) -> RunFeature:
        """The overrides of a fan-out's run: its listing applies them to each request
        (``fanout/_overrides.py``), no state of their own."""
        return _FanOutOverrides(self.overrides)

    def input_check(self) -> RunFeature:
        """``CheckInput`` first in a run started on demand (the first feature a run meets)."""
        return _InputCheck(self)

    def with_overrides(
        self,
        scope: Construct,
        run: sfn.IChainable,
        query: Mapping[str, list[str]],
        *,
        form: RequestForm | None = None,
    ) -> sfn.IChainable:
        """The states that put the run's query at ``$.query``, then ``run``.

        :param form: How the transport's task reads the query (``Transport.request_form``).
            Default: values as lists (``apigateway:invoke``).
        """
        overridable = self.overrides
        if not overridable:
            return run
        if any("{" in value for values in query.values() for value in values):
            # Time placeholders in the query: ComputeRequest's $requestQuery is the default.
            return _computed_query_overrides(
                scope, overridable=overridable, run=run, form=form or RequestForm()
            )
        return _query_overrides(
            scope, query=query, overridable=overridable, run=run, form=form or RequestForm()
        )

    def with_input_check(self, scope: Construct, run: sfn.IChainable) -> sfn.IChainable:
        """``CheckInput`` first when started on demand: one JSONata Choice that goes on when
        ``scheduledTime`` is the schedule's form of an instant (and no override holds the key
        separator) and not later than the start; else fails with ``Downloader.InvalidInput``
        (``InvalidInput``, ``InputInFuture``: each its own cause)."""
        if not self.is_on_demand:
            return run
        invalid = sfn.Fail(scope, "InvalidInput", error=INVALID_INPUT_ERROR, cause=INPUT_CONTRACT)
        future = sfn.Fail(scope, "InputInFuture", error=INVALID_INPUT_ERROR, cause=FUTURE_INPUT)
        # The first rule is a successful run's way (the cost model follows it); the second
        # is evaluated only when the first did not match; neither may raise on any input.
        valid = _input_valid(self.overrides)
        not_later = (
            f"$toMillis($t) <= $toMillis($states.context.Execution.StartTime) + "
            f"{INPUT_TIME_SKEW_SECONDS * 1000}"
        )
        return (
            sfn.Choice.jsonata(scope, "CheckInput")
            .when(sfn.Condition.jsonata(f"{{% ({valid}; $valid ? {not_later} : false) %}}"), run)
            .when(sfn.Condition.jsonata(f"{{% ({valid}; $not($valid)) %}}"), invalid)
            .otherwise(future)
        )

    def build(
        self,
        scope: Construct,
        *,
        state_machine: sfn.IStateMachine,
        description: str,
        encryption_key: kms.IKey | None = None,
    ) -> tuple[scheduler.Schedule | None, sqs.IQueue | None]:
        """The schedule and its dead-letter queue (``None``, ``None`` without a schedule).

        :param encryption_key: The created queue's key (its schedule then gets a role of its
            own that may use it). Default: SQS-managed encryption.
        """
        if not self.is_scheduled:
            return None, None
        queue = self.dead_letter_queue or _dead_letter_queue(scope, encryption_key)
        role = None
        if encryption_key is not None and self.dead_letter_queue is None:
            role = dead_letter_sender_role(scope, encryption_key)
        schedule = scheduler.Schedule(
            scope,
            "Schedule",
            schedule=self.expression
            or scheduler.ScheduleExpression.rate(Duration.minutes(SCHEDULE_MINUTES)),
            description=description,
            target=targets.StepFunctionsStartExecution(
                state_machine,
                input=scheduler.ScheduleTargetInput.from_object(
                    {SCHEDULED_TIME_KEY: scheduler.ContextAttribute.scheduled_time}
                ),
                dead_letter_queue=queue,
                max_event_age=Duration.minutes(MAX_DELIVERY_AGE_MINUTES),
                role=role,
            ),
        )
        return schedule, queue

    @staticmethod
    def grant_start_execution(
        state_machine: sfn.StateMachine, grantee: iam.IGrantable
    ) -> iam.Grant:
        """``states:StartExecution`` on the state machine (aws-cdk-lib's grant)."""
        return state_machine.grant_start_execution(grantee)

    def __repr__(self) -> str:
        kind = (
            "scheduled_and_on_demand"
            if self.is_scheduled and self.is_on_demand
            else "scheduled"
            if self.is_scheduled
            else "on_demand"
        )
        return f"Starts.{kind}(...)"


class _FanOutOverrides(RunFeature):
    """``overridable_query`` on a fan-out: each listed request takes the run's values of the
    names, and its Map item carries the ``query`` attribute it is stored with."""

    def __init__(self, names: tuple[str, ...]) -> None:
        self._names = names

    def around(self, parts: RunParts, built: Built) -> RunParts:
        """The names the listing overrides, and the ``query`` attribute of every item."""
        del built
        if not self._names:
            return parts
        attributes = {
            QUERY_ATTRIBUTE: tasks.DynamoAttributeValue.map_from_json_path(QUERY_ATTRIBUTE_PATH)
        }
        return replace(parts, overridable=self._names, attributes=attributes)


class _InputCheck(RunFeature):
    """``Starts.with_input_check`` as the first feature a run meets."""

    def __init__(self, starts: Starts) -> None:
        self._starts = starts

    def before(self, scope: Construct, run: sfn.IChainable, built: Built) -> sfn.IChainable:
        """``CheckInput`` → ``run`` when started on demand."""
        del built
        return self._starts.with_input_check(scope, run)


def _input_valid(overrides: Sequence[str]) -> str:
    """JSONata assigning ``$t`` (the input's ``scheduledTime``) and ``$valid``: ``$t`` is the
    schedule's form of an instant (``2026-11-27T05:30:00Z``: upper-case T and Z, whole
    seconds, a date of the calendar; what ``IsTimestamp`` and "*T*Z" without "." checked in
    JSONPath) and, with several overridable names, no override's text holds ``&`` (two keys
    would look alike). It never raises: each test is reached only when the one before it
    guarantees its argument (``$toMillis`` raises D3110 on a text that is not ISO 8601, T0410
    on a value that is not a string), so a bad input is a rule not matched, never
    ``States.QueryEvaluationError``."""
    form = (
        "^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
        "T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]Z$"
    )
    # Round trip: a date the regular expression lets through that the calendar has not
    # (2026-02-30, which $toMillis reads as 2026-03-02) comes back as another text.
    canonical = (
        f'($type($t) = "string" ? ($contains($t, /{form}/) ? '
        f'$fromMillis($toMillis($t), "{ISO_PICTURE}") = $t : false) '
        ": false)"
    )
    separator = "false"
    if len(overrides) > 1:  # '&' in a value would make two keys look alike
        # (one test a name: moto, as LocalStack, refuses an expression naming `$` alone)
        held = " or ".join(
            f'($v := $lookup($q, {json.dumps(name)}); $exists($v) and $contains($string($v), "&"))'
            for name in overrides
        )
        separator = f"($q := $states.context.Execution.Input.{QUERY_KEY}; {held})"
    return (
        f"$t := $states.context.Execution.Input.{SCHEDULED_TIME_KEY}; "
        f"$valid := {canonical} and $not({separator})"
    )


def _override_computations(
    overridable: Sequence[str],
    query: Mapping[str, list[str]],
    form: RequestForm,
    computed_query: object = None,
) -> tuple[Computation, Computation]:
    """The query overrides as a download computes them (``_parts.Computation``): the query
    in its Arguments (every name of ``query``, each allowed one replaced by the run's value
    when its input has one, as text), the key suffix and the ``query`` attribute in its
    ``Assign`` (Persist reads them next). JSONata picks the allowed names: a key the caller
    added is never read. ``computed_query``: the query ``ComputeRequest`` would compute (time
    placeholders, a window), as its ``Assign`` takes it: the defaults, computed in the same
    expressions (no variable between them)."""
    if computed_query is not None:
        defaults = jsonata_value(computed_query)
    else:
        defaults = jsonata_value({name: form.values(values) for name, values in query.items()})
    value, replaced, suffix, attribute = _overriding(overridable, form, "$defaults")
    prelude = f"$defaults := {defaults}; {value}"
    state = QUERY_OVERRIDES_STATE
    attribute_value = tasks.DynamoAttributeValue.map_from_json_path(f"${QUERY_ATTRIBUTE_VARIABLE}")
    request = Computation(
        state=state,
        assign={
            OVERRIDE_QUERY_VARIABLE: f"{{% ({prelude} $merge([$defaults, {{{replaced}}}])) %}}"
        },
        request=True,
        rewire=lambda parts: replace(
            parts, query_path=f"${OVERRIDE_QUERY_VARIABLE}",
            key_suffix_path=f"${KEY_SUFFIX_VARIABLE}",
            attributes={**parts.attributes, QUERY_ATTRIBUTE: attribute_value},
        ),
    )  # fmt: skip
    stored = Computation(
        state=state,
        assign={
            KEY_SUFFIX_VARIABLE: f"{{% ({prelude} {suffix}) %}}",
            QUERY_ATTRIBUTE_VARIABLE: f"{{% ({prelude} {{{attribute}}}) %}}",
        },
        request=False,
    )
    return request, stored


def _overriding(
    overridable: Sequence[str], form: RequestForm, defaults: str
) -> tuple[str, str, str, str]:
    """JSONata of the query overrides, once for every state that computes them: ``$value``
    (a name's value: the run's input's, as text, when it has one, else its default in
    ``defaults``, a query in ``form``) as a prelude binding ``$given`` and ``$value``; the
    overridable names' values (members of a query object in ``form``); the key suffix
    (``a=1&b=2``); the ``query`` attribute's members (``{"a": {"S": "1"}}``)."""
    first = "[0]" if form.query_lists else ""
    value = (
        f"$given := $states.context.Execution.Input.{QUERY_KEY}; "
        "$value := function($n) { $exists($lookup($given, $n)) ? "
        f"$string($lookup($given, $n)) : $lookup({defaults}, $n){first} }};"
    )
    names = [json.dumps(name) for name in overridable]
    replaced = ", ".join(
        f"{n}: [$value({n})]" if form.query_lists else f"{n}: $value({n})" for n in names
    )
    suffix = ' & "&" & '.join(f'"{json.loads(n)}=" & $value({n})' for n in names)
    attribute = ", ".join(f'{n}: {{"S": $value({n})}}' for n in names)
    return value, replaced, suffix, attribute


def _check_schedule(schedule: scheduler.ScheduleExpression | None) -> Iterator[Problem]:
    if schedule is None:
        return
    if not isinstance(schedule, scheduler.ScheduleExpression):
        yield Problem(
            "starts",
            schedule,
            "the schedule is not an aws_scheduler.ScheduleExpression.",
            "use Starts.scheduled(ScheduleExpression.rate(Duration.minutes(5))) or .cron(...).",
        )
        return
    expression = schedule.expression_string
    if Token.is_unresolved(expression):
        return
    zone = schedule.time_zone.timezone_name if schedule.time_zone is not None else None
    yield from check_schedule_expression(
        "starts", expression, None if zone is None or Token.is_unresolved(zone) else zone
    )


def _dead_letter_queue(scope: Construct, key: kms.IKey | None) -> sqs.IQueue:
    """An SQS-encrypted (or ``key``-encrypted), TLS-only queue keeping undelivered starts 14
    days. The schedule's role, its sender, gets ``sqs:SendMessage`` and the key's use from
    aws-cdk-lib ("Configuring a schedule's dead-letter queue")."""
    created = sqs.Queue(
        scope,
        "DeadLetterQueue",
        encryption=sqs.QueueEncryption.SQS_MANAGED if key is None else sqs.QueueEncryption.KMS,
        encryption_master_key=key,
        enforce_ssl=True,
        retention_period=Duration.days(DEAD_LETTER_RETENTION_DAYS),
    )
    acknowledge(
        created,
        "SQS3",
        "This queue is the schedule's dead-letter queue (the Scheduler target's "
        "DeadLetterConfig), which cdk-nag cannot see.",
    )
    return created


def _query_overrides(
    scope: Construct,
    *,
    query: Mapping[str, list[str]],
    overridable: Sequence[str],
    run: sfn.IChainable,
    form: RequestForm,
) -> sfn.IChainable:
    """``query`` is the path's own query (values are lists); each overridable name has exactly
    one default value (``check`` makes sure). ``$.query`` holds it in ``form``: lists, as
    ``apigateway:invoke`` takes them, or one string a name, as the HTTP Task does (its
    ``check_computed_query`` refused names with several values).

    Both branches also set the item's key suffix and its ``query`` attribute from the values
    the run requests with, so that runs of other values never share a key."""
    scheduled_time = sfn.JsonPath.string_at(SCHEDULED_TIME_PATH)
    fixed = {name: form.values(values) for name, values in query.items() if name not in overridable}
    default_query = sfn.Pass(
        scope,
        "DefaultQuery",
        parameters={
            SCHEDULED_TIME_KEY: scheduled_time,
            QUERY_KEY: {name: form.values(values) for name, values in query.items()},
            KEY_SUFFIX_PATH[2:]: "&".join(f"{name}={query[name][0]}" for name in overridable),
            QUERY_ATTRIBUTE_PATH[2:]: {name: {"S": query[name][0]} for name in overridable},
        },
    )
    # JSONPath has no "pick these keys": merge the caller's values over the defaults, then read
    # back only the allowed names (a key the caller added is never read).
    defaults = sfn.Pass(
        scope,
        "QueryDefaults",
        result=sfn.Result.from_object({name: query[name][0] for name in overridable}),
        result_path=QUERY_DEFAULTS_PATH,
    )
    merge = sfn.Pass(
        scope,
        "MergeQuery",
        parameters={
            "merged": sfn.JsonPath.json_merge(
                sfn.JsonPath.object_at(QUERY_DEFAULTS_PATH),
                sfn.JsonPath.object_at(INPUT_QUERY_PATH),
            )
        },
        result_path=QUERY_MERGED_PATH,
    )
    merged = {name: f"{QUERY_MERGED_PATH}.merged.{name}" for name in overridable}
    override = sfn.Pass(
        scope,
        "OverrideQuery",
        parameters={
            SCHEDULED_TIME_KEY: scheduled_time,
            QUERY_KEY: {
                **fixed,
                **{
                    name: sfn.JsonPath.array(sfn.JsonPath.string_at(path))
                    if form.query_lists
                    else sfn.JsonPath.string_at(path)
                    for name, path in merged.items()
                },
            },
            KEY_SUFFIX_PATH[2:]: sfn.JsonPath.format(
                "&".join(f"{name}={{}}" for name in overridable),
                *(sfn.JsonPath.string_at(path) for path in merged.values()),
            ),
            QUERY_ATTRIBUTE_PATH[2:]: {
                name: {"S": sfn.JsonPath.format("{}", sfn.JsonPath.string_at(path))}
                for name, path in merged.items()
            },
        },
    )
    default_query.next(run)
    defaults.next(merge).next(override).next(run)
    return (
        sfn.Choice(scope, "HasQueryOverrides")
        .when(sfn.Condition.is_present(INPUT_QUERY_PATH), defaults)
        .otherwise(default_query)
    )


def _computed_query_overrides(
    scope: Construct, *, overridable: Sequence[str], run: sfn.IChainable, form: RequestForm
) -> sfn.IChainable:
    """With a query computed each run (``ComputeRequest``'s ``$requestQuery``, in ``form``):
    ``OverrideQuery``, one JSONata Pass, puts at ``$.query`` the computed query with each
    overridable name's value replaced by the run's input, when it carries one, and sets the
    key suffix and the ``query`` attribute from the values requested with (a name's default may
    be a time placeholder, known only once computed). The input's other keys are never read.
    One state whether or not the run overrides: JSONata picks the allowed names, which a
    JSONPath Pass cannot (``_query_overrides``)."""
    value, replaced, suffix, attribute = _overriding(
        overridable, form, f"${REQUEST_QUERY_VARIABLE}"
    )
    output = (
        f"{{% ({value} {{"
        f'"{SCHEDULED_TIME_KEY}": $states.context.Execution.Input.{SCHEDULED_TIME_KEY}, '
        f'"{QUERY_KEY}": $merge([${REQUEST_QUERY_VARIABLE}, {{{replaced}}}]), '
        f'"{KEY_SUFFIX_PATH[2:]}": {suffix}, "{QUERY_ATTRIBUTE_PATH[2:]}": {{{attribute}}}}}) %}}'
    )
    override = sfn.Pass.jsonata(scope, "OverrideQuery", outputs=output)
    override.next(run)
    return override
