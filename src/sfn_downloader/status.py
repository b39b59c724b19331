"""Actions on given answer statuses (``on_status``): skip an answer, or end the pages.

``on_status={404: StatusAction.SKIP, 204: StatusAction.END}``: a non-2xx answer with an action
is caught by its error name, which the transport gives (``ApiGateway.404`` through the proxy,
``States.Http.StatusCode.404`` with the HTTP Task); a 204 (a success without a body) is
recognised by a Choice on ``StatusCode`` before anything reads the body (a JSONPath that
matches nothing fails with ``States.Runtime``, which no ``States.ALL`` catch handles): the
download then keeps its raw answer, and ``result_selector`` applies after the Choice.

* ``SKIP``: the answer is not stored and the run succeeds; in a fan-out that path ends well,
  the others go on; in a page loop the path's pages end there (those before are stored).
* ``END``: ends a page loop successfully (pagination only); those before are stored.

Statuses the retry policy retries, and 2xx answers other than 204, cannot have an action.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from enum import Enum
from typing import Any

from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from ._parts import Built, CheckContext, RunFeature, RunParts, StatusReactions
from .errors import Problem

NO_CONTENT = 204
_RETRY_ALL = ("States.ALL", "States.TaskFailed")


class StatusAction(Enum):
    """What a downloader does with an answer of a given status (``on_status``)."""

    SKIP = "SKIP"
    """Store nothing for that request and go on: the run succeeds; in a fan-out the other
    paths go on; in a page loop that path's pages end there."""
    END = "END"
    """End the page loop successfully, the pages before stored (pagination only)."""


class OnStatus(RunFeature):
    """The ``on_status`` prop: status → ``StatusAction``."""

    def __init__(self, actions: Mapping[int, StatusAction]) -> None:
        self.actions = actions
        """The actions, as given."""

    def check(self, context: CheckContext) -> Iterator[Problem]:
        """Each status: an answer status, not a success but 204, not retried; each action a
        ``StatusAction`` that the run's shape can take."""
        if not isinstance(self.actions, Mapping) or not self.actions:
            yield Problem(
                "on_status", self.actions, "is not a non-empty mapping of status to StatusAction.",
                "pass e.g. on_status={404: StatusAction.SKIP}.",
            )  # fmt: skip
            return
        retried = _retried_errors(context)
        for status, action in self.actions.items():
            prop = f"on_status[{status!r}]"
            if not isinstance(action, StatusAction):
                yield Problem(
                    prop, action, "is not a StatusAction.",
                    "use StatusAction.SKIP or StatusAction.END.",
                )  # fmt: skip
            if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
                yield Problem(
                    "on_status", status, "is not an HTTP status (an integer from 100 to 599).",
                    "pass e.g. on_status={404: StatusAction.SKIP}.",
                )  # fmt: skip
                continue
            if status < 200:
                yield Problem(
                    prop, status, "is an informational status, never a final answer.",
                    "remove it from on_status.",
                )  # fmt: skip
            elif 200 <= status < 300 and status != NO_CONTENT:
                yield Problem(
                    prop,
                    status,
                    "is a success with a body: it is stored like any answer. Only 204 (no "
                    "content) may have an action.",
                    "remove it from on_status (select what to keep with result_selector).",
                )
            elif status in context.exchange.throttled_statuses:
                yield Problem(
                    prop, status,
                    "is waited for by retry_after (the proxy hands it over as a throttled "
                    "answer, never as a failure): an action would never apply.",
                    "remove it from on_status, or drop retry_after.",
                )  # fmt: skip
            elif status >= 300:
                error = context.transport.status_error(status)
                matched = next((e for e in retried if e in (error, *_RETRY_ALL)), None)
                if matched is not None:
                    yield Problem(
                        prop,
                        status,
                        f"is retried by the retry policy ({matched!r} is in its errors): an "
                        "action would only apply once the retries failed.",
                        "remove it from on_status, or pass retry=sfn.RetryProps(errors=[...]) "
                        f"without {error!r}.",
                    )
            if action is StatusAction.END and not context.paginated:
                yield Problem(
                    prop,
                    "StatusAction.END",
                    "ends a pagination loop, and this downloader has no pagination.",
                    "use StatusAction.SKIP (store nothing, the run succeeds), or add pagination.",
                )

    def around(self, parts: RunParts, built: Built) -> RunParts:
        """The actions, wired by the shape around each download."""
        return replace(parts, on_status=self.bind(built.downloads.status_error))

    def bind(self, status_error: Callable[[int], str]) -> StatusReactions:
        """The reactions the shapes wire, with the transport's error names
        (``status_error(status) -> str``)."""
        return _Reactions(self.actions, status_error)

    def __repr__(self) -> str:
        return repr({status: action.name for status, action in self.actions.items()})


def _retried_errors(context: CheckContext) -> tuple[str, ...]:
    """The error names the download retry policy retries (the user's, else the transport's)."""
    errors = context.retry.errors if context.retry is not None else None
    return tuple(errors or context.transport.retryable_errors)


class _Reactions:
    """``StatusReactions`` for one downloader."""

    def __init__(
        self, actions: Mapping[int, StatusAction], status_error: Callable[[int], str]
    ) -> None:
        self._actions = dict(actions)
        self._status_error = status_error

    @property
    def any(self) -> bool:
        return bool(self._actions)

    @property
    def _no_content(self) -> StatusAction | None:
        return self._actions.get(NO_CONTENT)

    def selector(self, result_selector: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
        return None if self._no_content is not None else result_selector

    def catch(
        self, task: sfn.TaskStateBase, *, skip: sfn.IChainable, end: sfn.IChainable | None = None,
        outputs: str | None = None,
    ) -> None:  # fmt: skip
        for action, target in ((StatusAction.SKIP, skip), (StatusAction.END, end or skip)):
            errors = [
                self._status_error(status)
                for status, chosen in sorted(self._actions.items())
                if chosen is action and status != NO_CONTENT
            ]
            if errors and outputs is not None:
                task.add_catch(target, errors=errors, outputs=outputs)
            elif errors:
                task.add_catch(target, errors=errors, result_path=sfn.JsonPath.DISCARD)

    def no_content(
        self,
        scope: Construct,
        construct_id: str,
        *,
        status_path: str,
        skip: sfn.IChainable,
        end: sfn.IChainable | None = None,
        output: str | None = None,
        checked: Callable[[sfn.Choice], None] | None = None,
    ) -> sfn.Choice | None:
        action = self._no_content
        if action is None:
            return None
        target = end if action is StatusAction.END and end is not None else skip
        if output is not None or checked is not None:
            # no Output on the other rules: the raw answer passes as it is
            choice = sfn.Choice.jsonata(scope, construct_id)
            if checked is not None:  # its rules first (a compressed answer, issue 25 item 14)
                checked(choice)
            return choice.when(
                sfn.Condition.jsonata(f"{{% {status_path} = {NO_CONTENT} %}}"), target,
                outputs=output,
            )  # fmt: skip
        return sfn.Choice(scope, construct_id).when(
            sfn.Condition.number_equals(status_path, NO_CONTENT), target
        )

    def guard(
        self,
        scope: Construct,
        name: str,
        task: sfn.TaskStateBase,
        *,
        result_selector: Mapping[str, Any] | None,
        result_path: str | None,
        skip: sfn.IChainable,
        end: sfn.IChainable | None = None,
    ) -> sfn.Chain:
        self.catch(task, skip=skip, end=end)
        where = result_path or "$"
        choice = self.no_content(
            scope, f"{name}Status", status_path=f"{where}.StatusCode", skip=skip, end=end
        )
        if choice is None:
            return sfn.Chain.start(task)
        select = sfn.Pass(
            scope, f"Select{name}", input_path=where,
            parameters=dict(result_selector) if result_selector is not None else None,
            result_path=where,
        )  # fmt: skip
        task.next(choice.otherwise(select))
        return sfn.Chain.custom(task, [select], select)
