"""The small private protocol between the flow and the features.

The flow (``_flow``) never asks which paginator, transport or fan-out it holds: it hands each
feature a ``CheckContext`` to check itself against, and a ``RunParts`` to build its states
from. The features implement ``Downloads`` (a transport), ``Persists`` (the item sink) and
``Maps`` (the concurrency) for each other, without importing each other.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from .auth import AuthHeader
from .errors import Problem


@dataclass(frozen=True)
class Request:
    """The validated request: base URL, path and query parameters."""

    endpoint: str
    path: str
    """The resource (no query string); for a fan-out, the template or ``""``."""
    query: Mapping[str, list[str]]
    given: str | None = None
    """``path`` as the user wrote it (with its query string, or a template)."""


@dataclass(frozen=True)
class Target:
    """One request of a fan-out: its path, query parameters and the key suffix of its item."""

    path: str
    query: Mapping[str, list[str]]
    key: str
    """The path as given (with its query string): ``sk = <scheduled time>#<key>``."""


class TransportTraits(Protocol):
    """What other features may ask of the transport while checking themselves."""

    @property
    def supports_query_overrides(self) -> bool:
        """True when an on-demand run may override query parameters."""
        ...

    @property
    def supports_computed_requests(self) -> bool:
        """True when a run's path and query may be computed each run (time placeholders, an
        incremental mark): the task reads them from variables."""
        ...


@dataclass(frozen=True)
class CheckContext:
    """What a feature checks itself against: the user's props, as far as they are resolved."""

    scope: Construct
    path: str | None
    """``path`` as given (with its query string, or a template)."""
    query: Mapping[str, list[str]]
    """``path``'s query parameters (empty for a fan-out)."""
    headers: Mapping[str, str] | None
    auth_header: AuthHeader | None
    downloader_id: str
    workflow_type: sfn.StateMachineType | None
    """As given (``None``: not given)."""
    several_requests: bool
    """True for a fan-out or pagination: several answers, several items a run."""
    uses_map: bool
    """True when the run has a Map (fan-out, page count pagination)."""
    keeps_result: bool
    """True when the run keeps its result for later states (archive, post-processing)."""
    transport: TransportTraits
    schedule_expression: str | None = None
    """The schedule's expression (``rate(1 hour)``, ``cron(0 1 * * ? *)``); ``None`` without a
    schedule, or when it is only known at deploy time."""
    schedule_time_zone: str | None = None
    """The schedule's time zone (``None``: UTC)."""
    query_overrides: bool = False
    """True when an on-demand run may override query parameters."""
    backfill: bool = False
    """True with ``backfill=True``: a second state machine runs the downloader for past times."""


class Downloads(Protocol):
    """A bound transport: builds the task that GETs one resource, with its retry policy."""

    def task(
        self,
        scope: Construct,
        construct_id: str,
        *,
        path: str,
        query: Mapping[str, list[str]] | None = None,
        query_path: str | None = None,
        page_param: str | None = None,
        page_value: str | None = None,
        result_selector: Mapping[str, Any] | None = None,
        result_path: str | None = None,
        assign: Mapping[str, Any] | None = None,
    ) -> sfn.TaskStateBase:
        """One GET of ``path`` (a literal or a JSONPath token).

        The query is ``query`` (static lists) plus ``page_param=page_value`` (a JSONPath
        token), or the object at ``query_path`` in the state (or a variable). ``assign``:
        workflow variables taken from the answer as the service returned it.
        """
        ...

    def listed(self, target: Target) -> dict[str, Any]:
        """A fan-out request as a Map item holds it: ``{"path", "query", "key"}``, path and
        query as this transport takes them."""
        ...


class Persists(Protocol):
    """The item sink: builds the putItem tasks of one downloader."""

    def task(
        self,
        scope: Construct,
        construct_id: str,
        *,
        sort_key: str,
        result_under: str | None = None,
        result_selector: Mapping[str, Any] | None = None,
        result_path: str | None = None,
        in_map: bool = False,
    ) -> sfn.TaskStateBase:
        """putItem with ``sk = sort_key``; the item's paths rebased onto ``result_under``."""
        ...

    def map_item_fields(self) -> dict[str, str]:
        """What a Map's ItemSelector must pass on so that its iterations can persist."""
        ...

    def key_selector(self, sort_key: str | None = None) -> dict[str, str]:
        """A ResultSelector giving the key of the item a single-path run stores (``sort_key``
        when the run's item has one of its own)."""
        ...


class Maps(Protocol):
    """The bound concurrency: a Map over items, then a Fail listing the failed ones, if any."""

    def build(
        self,
        scope: Construct,
        construct_id: str,
        *,
        items_path: str,
        item_selector: Mapping[str, Any],
        iteration: sfn.IChainable,
    ) -> sfn.Chain:
        """The Map over ``items_path``, then ``AnyFailed``."""
        ...


@dataclass(frozen=True)
class RunParts:
    """What a run's shape builds its states from."""

    downloads: Downloads
    persists: Persists
    maps: Maps
    request: Request
    result_selector: Mapping[str, Any] | None
    query_path: str | None = None
    """With query overrides: the download reads its query from the state here."""
    keeps_result: bool = False
    """True when states follow a single answer's Persist (archive, post-processing): the
    selected result is kept under ``$.result`` for them."""
    afterwards: Callable[[Construct], list[sfn.IChainable]] = field(default=lambda _scope: [])
    """The states after a single answer is stored (archive, post-processing)."""
    computed_path: str | None = None
    """With time placeholders in the path: the download reads its path from here (a variable)."""
    download_assign: Mapping[str, Any] | None = None
    """Variables the download takes from the answer (the incremental cursor values)."""
    sort_key: str | None = None
    """The item's sort key when not the scheduled time alone (with ``incremental``:
    ``<scheduled time>#<execution name>``, each delivery its own item)."""
    stored: Callable[[Construct], list[sfn.IChainable]] = field(default=lambda _scope: [])
    """The states right after a single answer is stored, before ``afterwards`` (advancing the
    incremental mark)."""


class RunShape(Protocol):
    """One request, a fan-out, or the pages of one path: what a run requests."""

    @property
    def several_requests(self) -> bool:
        """True when a run stores several answers (keys ``<scheduled time>#<suffix>``)."""
        ...

    @property
    def uses_map(self) -> bool:
        """True when the run has a Map, so that ``concurrency`` applies."""
        ...

    def build(self, scope: Construct, parts: RunParts) -> sfn.IChainable:
        """The run's states."""
        ...

    def request_paths(self, request: Request) -> tuple[str, ...]:
        """Paths requested through a JSONPath (the transport grants them itself); else ()."""
        ...

    def describe(self, request: Request) -> str:
        """What a run GETs, for the schedule's description."""
        ...


class Grants(Protocol):
    """A feature's permissions on the built state machine, and their cdk-nag notes."""

    def grant(self, state_machine: sfn.StateMachine) -> None:
        """Add the feature's statements (and acknowledgments) to the state machine's role."""
        ...


class Checked(Protocol):
    """A feature that checks itself."""

    def check(self, context: CheckContext) -> Iterator[Problem]:
        """Every problem of this feature's settings in ``context``."""
        ...
