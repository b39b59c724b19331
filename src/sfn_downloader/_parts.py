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
from urllib.parse import urlencode

from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from ._contract import KEY_PATH, MAP_SCHEDULED_TIME_PATH, SCHEDULED_TIME_PATH
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


ANY_PATH = "/*"
"""In ``request_paths``: requests may go to any path of the endpoint (next-page links choose
theirs), so the role may GET any path of the proxy."""


@dataclass(frozen=True)
class Target:
    """One request of a fan-out: its path, query parameters and the key suffix of its item."""

    path: str
    query: Mapping[str, list[str]]
    key: str
    """The path as given (with its query string): ``sk = <scheduled time>#<key>``."""


@dataclass(frozen=True)
class Exchange:
    """What a run's requests carry and what its states read of each answer, by name: what a
    non-proxy integration (``trim``) must map, since it passes nothing through by itself."""

    query_names: tuple[str, ...] = ()
    """Every query parameter a request may carry (static, page or cursor, fan-out targets')."""
    response_headers: tuple[str, ...] = ()
    """Every response header the downloader's own states read (``X-Pages``, a cursor header)."""
    throttled_statuses: tuple[int, ...] = ()
    """With ``retry_after``: statuses the proxy hands over as a marked ``200`` with headers."""
    computed_headers: tuple[str, ...] = ()
    """Request headers a run computes (``conditional``'s ``If-None-Match``,
    ``If-Modified-Since``): the download then reads all its headers from ``$requestHeaders``."""
    query_chosen_by_api: bool = False
    """True when the API chooses later requests' query (next-page URLs: ``Pagination.link_header``,
    ``Pagination.next_url``): their names are unknown at synth, so no integration can map them."""


def with_query(path: str, query: Mapping[str, list[str]]) -> str:
    """``path`` (as given, with or without a query) with ``query`` appended, encoded."""
    if not query:
        return path
    return path + ("&" if "?" in path else "?") + urlencode(query, doseq=True)


class TransportTraits(Protocol):
    """What other features may ask of the transport while checking themselves."""

    @property
    def supports_query_overrides(self) -> bool:
        """True when an on-demand run may override query parameters."""
        ...

    @property
    def retryable_errors(self) -> tuple[str, ...]:
        """The error names the default retry policy retries."""
        ...

    def status_error(self, status: int) -> str:
        """The error name a download fails with when the API answers ``status`` (non-2xx)."""
        ...

    @property
    def supports_computed_requests(self) -> bool:
        """True when a run's path and query may be computed each run (time placeholders, an
        incremental mark): the task reads them from variables."""
        ...

    @property
    def relays_throttled_answers(self) -> bool:
        """True when a throttled answer's headers can reach the state machine (``retry_after``)."""
        ...


class ConcurrencyTraits(Protocol):
    """What other features may ask of the concurrency while checking themselves."""

    @property
    def max_concurrency(self) -> int:
        """The most requests in flight at once."""
        ...

    @property
    def is_distributed(self) -> bool:
        """True for a Distributed Map (each request in its own child execution)."""
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
    concurrency: ConcurrencyTraits
    """The concurrency as given, or the default."""
    run_workflow_type: sfn.StateMachineType
    """The workflow type a run has: as given, or the default."""
    timeout_seconds: float | None
    """A run's timeout: as given, or the default (``None``: a token, known at deploy time)."""
    retry: sfn.RetryProps | None = None
    """The download's retry policy, as given."""
    trim: object | None = None
    """``trim`` as given (a ``Trim`` of the API Gateway transport)."""
    exchange: Exchange = field(default_factory=Exchange)
    """The names the run's requests carry and its own states read (see ``Exchange``)."""
    paginated: bool = False
    """True with ``pagination`` (a page loop that an action may end)."""
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

    def request_from_url(self, url: str) -> str:
        """A JSONata expression of the request (``{"path", "query"}``, as ``listed`` holds one)
        for ``url``, a JSONata expression of a same-origin ``/path?query`` whose query is as
        the API wrote it."""
        ...

    def status_error(self, status: int) -> str:
        """The error name a download fails with when the API answers ``status`` (non-2xx)."""
        ...

    def retry_kwargs(self) -> dict[str, Any]:
        """The download retry policy, as ``add_retry`` keyword arguments."""
        ...

    def static_headers(self) -> dict[str, list[str]]:
        """The headers every request carries, as the task takes them (values are lists)."""
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
        attributes: Mapping[str, Any] | None = None,
    ) -> sfn.TaskStateBase:
        """putItem with ``sk = sort_key``; the item's paths rebased onto ``result_under``;
        ``attributes`` (name → ``DynamoAttributeValue``) added to the item."""
        ...

    def map_item_fields(self) -> dict[str, str]:
        """What a Map's ItemSelector must pass on so that its iterations can persist."""
        ...

    def key_selector(self, sort_key: str | None = None) -> dict[str, str]:
        """A ResultSelector giving the key of the item a single-path run stores (``sort_key``,
        default: the scheduled time)."""
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


class StatusReactions(Protocol):
    """The actions on given answer statuses (``on_status``), as the shapes wire them around
    each download: catches for non-2xx statuses, and for a 204 a Choice on the status before
    anything reads the body."""

    @property
    def any(self) -> bool:
        """True when some status has an action."""
        ...

    def selector(self, result_selector: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
        """The download task's own ResultSelector: ``None`` with a 204 action (the body is
        read after the status is known)."""
        ...

    def catch(
        self, task: sfn.TaskStateBase, *, skip: sfn.IChainable, end: sfn.IChainable | None = None
    ) -> None:
        """Route the non-2xx statuses with an action to ``skip`` (``end`` for END, when given)."""
        ...

    def no_content(
        self,
        scope: Construct,
        construct_id: str,
        *,
        status_path: str,
        skip: sfn.IChainable,
        end: sfn.IChainable | None = None,
    ) -> sfn.Choice | None:
        """With a 204 action, a Choice routing a 204 at ``status_path`` to its target; its
        ``otherwise`` is left to the caller. ``None`` without one."""
        ...

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
        """``task`` with its actions: catches, then (with a 204 action) ``<name>Status`` and
        ``Select<name>`` (the selector applied in place). Chain on from the result."""
        ...


class _NoStatusActions:
    """No ``on_status``: downloads are as they are."""

    any = False

    def selector(self, result_selector: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
        return result_selector

    def catch(
        self, task: sfn.TaskStateBase, *, skip: sfn.IChainable, end: sfn.IChainable | None = None
    ) -> None:
        del task, skip, end

    def no_content(
        self,
        scope: Construct,
        construct_id: str,
        *,
        status_path: str,
        skip: sfn.IChainable,
        end: sfn.IChainable | None = None,
    ) -> sfn.Choice | None:
        del scope, construct_id, status_path, skip, end
        return None

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
        del scope, name, result_selector, result_path, skip, end
        return sfn.Chain.start(task)


NO_STATUS_ACTIONS: StatusReactions = _NoStatusActions()
"""The reactions of a downloader without ``on_status``."""


class AnswerMemory(Protocol):
    """What the polite features (``conditional``, ``store``, ``respect_expires``) wire around a
    single answer: a catch on the download, the states between it and Persist."""

    @property
    def any(self) -> bool:
        """True when a polite feature is on."""
        ...

    def guard(self, scope: Construct, task: sfn.TaskStateBase) -> None:
        """Catches on the download (a ``304`` ending the run successfully)."""
        ...

    def store(self, scope: Construct, persist: sfn.TaskStateBase, selected_path: str) -> sfn.Chain:
        """The states from after the download to ``persist`` (the chain ends at it); the
        selected result is at ``selected_path``."""
        ...


class _NoAnswerMemory:
    any = False

    def guard(self, scope: Construct, task: sfn.TaskStateBase) -> None:
        del scope, task

    def store(self, scope: Construct, persist: sfn.TaskStateBase, selected_path: str) -> sfn.Chain:
        del scope, selected_path
        return sfn.Chain.start(persist)


NO_ANSWER_MEMORY: AnswerMemory = _NoAnswerMemory()
"""No polite feature: the download goes straight to Persist."""


@dataclass(frozen=True)
class Frame:
    """Where a shape's states run: the whole run, or one iteration of a fan-out's Map (the
    pages of one of its paths)."""

    in_map: bool = False
    time_path: str = SCHEDULED_TIME_PATH
    """Where the run's scheduled time is."""
    key_path: str | None = None
    """In a fan-out iteration: the request's key (the path as given); its pages are stored as
    ``<scheduled time>#<key>#<page>``."""


RUN_FRAME = Frame()
"""The states of the whole run."""
FAN_OUT_FRAME = Frame(in_map=True, time_path=MAP_SCHEDULED_TIME_PATH, key_path=KEY_PATH)
"""The states of one fan-out request (its Map item carries the scheduled time and the key)."""


class CollectsPages(Protocol):
    """A paginator as ``FanOut.from_answer`` uses it for its list request: every page read,
    nothing stored (``Pagination.collect``)."""

    def collect(
        self,
        scope: Construct,
        parts: RunParts,
        *,
        items: str,
        limit: int | None,
        then: sfn.IChainable,
    ) -> sfn.IChainable:
        """Every page of ``parts.request``, each page's ``items`` (JSONata on ``$raw``)
        appended to ``$.found`` until the pages end or ``limit`` items; then ``then``."""
        ...

    def exchange(self, request: Request) -> Exchange:
        """The query parameters its pages carry and the headers it reads."""
        ...


class PerRequest(Protocol):
    """What a fan-out runs for each of its requests instead of one download (fan-out with
    pagination: the paginator's loop). The flow composes the two."""

    def first_query(self) -> dict[str, list[str]]:
        """Query parameters the first request of each path carries (``page=1``, ...)."""
        ...

    def item_fields(self) -> dict[str, Any]:
        """Fields each Map item starts with, besides the request."""
        ...

    def build(self, scope: Construct, parts: RunParts) -> sfn.IChainable:
        """The states of one request's pages (``parts.frame`` is ``FAN_OUT_FRAME``)."""
        ...


class ServerWaits(Protocol):
    """``retry_after`` as a shape wires it around a download that keeps its raw answer under
    ``$.result``."""

    def around(self, scope: Construct, name: str, task: sfn.TaskStateBase) -> sfn.Chain:
        """``task``, then a Choice: a throttled answer waits and loops back to ``task``; the
        chain's end goes on with any other answer."""
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
    key_suffix_path: str | None = None
    """With query overrides: the state holds the item key's suffix here (``sk = <scheduled
    time>#<suffix>``), so runs requesting other values never share a key."""
    attributes: Mapping[str, Any] = field(default_factory=dict)
    """Attributes the starts add to a single answer's item (``query``), name →
    ``DynamoAttributeValue``."""
    keeps_result: bool = False
    """True when states follow a single answer's Persist (archive, post-processing): the
    selected result is kept under ``$.result`` for them."""
    afterwards: Callable[[Construct], list[sfn.IChainable]] = field(default=lambda _scope: [])
    """The states after a single answer is stored (archive, post-processing)."""
    frame: Frame = RUN_FRAME
    """Where the shape's states run (the whole run, or a fan-out's iteration)."""
    per_request: PerRequest | None = None
    """Fan-out with pagination: what each request of the fan-out runs (else one download)."""
    on_status: StatusReactions = NO_STATUS_ACTIONS
    """The actions on given answer statuses, to wire around each download."""
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
    server_waits: ServerWaits | None = None
    """With ``retry_after``: the states that wait what a throttling server asks."""
    memory: AnswerMemory = NO_ANSWER_MEMORY
    """The polite features' states around a single answer (remembering it)."""


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

    def exchange(self, request: Request) -> Exchange:
        """The query parameters this shape's requests carry, the response headers it reads."""
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
