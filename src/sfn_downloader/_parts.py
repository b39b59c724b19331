"""The small private protocol between the flow and the features.

The flow (``_flow``) never asks which paginator, transport or fan-out it holds: it hands each
feature a ``CheckContext`` to check itself against, and a ``RunParts`` to build its states
from. The features implement ``Downloads`` (a transport), ``Persists`` (the item sink) and
``Maps`` (the concurrency) for each other, without importing each other (those roles are in
``_roles``, re-exported here).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol
from urllib.parse import urlencode

from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from ._contract import KEY_PATH, MAP_SCHEDULED_TIME_PATH, REQUEST_PATH_VARIABLE, SCHEDULED_TIME_PATH
from ._request import QUERY_STRING, HttpRequest
from ._roles import NO_ANSWER_MEMORY as NO_ANSWER_MEMORY
from ._roles import NO_STATUS_ACTIONS as NO_STATUS_ACTIONS
from ._roles import AnswerMemory as AnswerMemory
from ._roles import Downloads as Downloads
from ._roles import EachStored as EachStored
from ._roles import Maps as Maps
from ._roles import PathMarks as PathMarks
from ._roles import Persists as Persists
from ._roles import RequestMemories as RequestMemories
from ._roles import ServerWaits as ServerWaits
from ._roles import StatusReactions as StatusReactions
from ._roles import StoredAnswer as StoredAnswer
from ._roles import Target as Target
from ._roles import WritesRecords as WritesRecords
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
    method: str = "GET"
    body: Mapping[str, Any] | None = None
    """The JSON body as the user wrote it (``None``: no body)."""

    def http(self) -> HttpRequest:
        """The request value a run's first (or only) download makes, before any feature
        edits it: the literal path and query, the method and the body."""
        return HttpRequest(
            path=self.path, method=self.method, query=self.query or None, body=self.body
        )


ANY_PATH = "/*"
"""In ``request_paths``: requests may go to any path of the endpoint (next-page links choose
theirs), so the role may GET any path of the proxy."""


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
    in_flight: int = 1
    """Requests a run sends at once: 1, or the Map's ``max_concurrency`` (the proxy's default
    rate budget follows it)."""


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

    def check_computed_query(
        self,
        prop: str,
        shown: object,
        query: Mapping[str, Sequence[str]],
        *,
        paged: bool = False,
    ) -> Iterator[Problem]:
        """A computed (or overridable) query's parameters against the form the task reads
        (``Downloads.request_form``)."""
        ...

    def refuses_header(self, name: str) -> bool:
        """True when the task refuses to send the request header ``name``."""
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

    @property
    def child_workflow_type(self) -> sfn.StateMachineType | None:
        """A Distributed Map's child executions (``None`` for an inline Map)."""
        ...

    @property
    def items_from_s3(self) -> bool:
        """True when a fan-out's requests are read from S3 in batches."""
        ...

    @property
    def requests_per_child(self) -> int | None:
        """With ``items_from_s3``: the requests each child runs, as given."""
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
    max_pages: int | None = None
    """With ``pagination``: its ``max_pages`` when valid (the most pages a request has)."""
    schedule_expression: str | None = None
    """The schedule's expression (``rate(1 hour)``, ``cron(0 1 * * ? *)``); ``None`` without a
    schedule, or when it is only known at deploy time."""
    schedule_time_zone: str | None = None
    """The schedule's time zone (``None``: UTC)."""
    query_overrides: bool = False
    """True when an on-demand run may override query parameters."""
    overridable_query: tuple[str, ...] = ()
    """The names an on-demand run may override (``Starts.overrides``)."""
    fan_out: bool = False
    """True with ``fan_out`` (with or without pagination)."""
    backfill: bool = False
    """True with ``backfill=True``: a second state machine runs the downloader for past times."""
    post_process: bool = False
    """True with ``post_process`` (the user's states after the run's answers are stored)."""
    body: object | None = None
    """``body`` as given (a POST's JSON body)."""
    remembers_answers: bool = False
    """True with ``conditional``, ``store`` or ``respect_expires``: states follow (and
    remember) a single answer's stored item."""
    records_events: int = 0
    """With ``records``: the history events each stored answer's records add at least (their
    states, with no record); each record adds ``RECORD_EVENTS`` more."""


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


class TimeFill(Protocol):
    """JSONata defining ``$fill(text)`` for ``templates`` (see ``RunParts.time_fill``)."""

    def __call__(self, templates: Sequence[str], scheduled: str | None = None) -> str: ...


class PerRequest(Protocol):
    """What a fan-out runs for each of its requests instead of one download (fan-out with
    pagination: the paginator's loop). The flow composes the two."""

    max_pages: int
    """The most pages of each request."""

    def first_query(self) -> dict[str, list[str]]:
        """Query parameters the first request of each path carries (``page=1``, ...)."""
        ...

    def item_fields(self) -> dict[str, Any]:
        """Fields each Map item starts with, besides the request."""
        ...

    def build(self, scope: Construct, parts: RunParts) -> sfn.IChainable:
        """The states of one request's pages (``parts.frame`` is ``FAN_OUT_FRAME``)."""
        ...


@dataclass(frozen=True)
class PageFold:
    """Variables a page loop folds over its pages: assigned at its first request (``start``)
    and after each page (``each``), JSONata, name → ``{% ... %}``."""

    start: Mapping[str, str]
    each: Mapping[str, str]


@dataclass(frozen=True)
class Computation:
    """Variables a feature computes once a run, before the first request, in a JSONata Pass
    of its own (``state``), unless the shape's first download computes them itself (a JSONata
    task: ``request`` variables in its Arguments, the others in its ``Assign``) and says so
    (``Computations.place``): then the feature leaves its Pass out (``Built.placed``)."""

    state: str
    """The feature's Pass (``ComputeRequest``, ``ComputeExpiry``)."""
    assign: Mapping[str, Any]
    """name → value, as the Pass's ``Assign`` takes them (JSONata ``{% %}``)."""
    request: bool
    """True: only the first request reads them (its path, query or body): a download that
    computes them in its Arguments needs no variable at all. False: states after the answer
    read them (Persist's expiry): a download assigns them in its ``Assign``, evaluated after
    the call and before any later state."""
    rewire: Callable[[RunParts], RunParts] | None = None
    """Where the shape reads what the feature's Pass would have written in the state, when
    the download computes it instead (the query overrides: the query, the key suffix and the
    ``query`` attribute read from variables, not from ``$.query``, ``$.keySuffix``,
    ``$.queryAttribute``). ``None``: the feature writes only variables."""


@dataclass
class Computations:
    """What features compute before the first request (``offered``, added in ``around``) and
    which of them the shape placed in its first download (``placed``, written once, by the
    shape's ``build``): the shape's one word back to the features, which the assembly hands
    them as ``Built.placed``."""

    offered: tuple[Computation, ...] = ()
    placed: set[str] = field(default_factory=set)

    def offering(self, computation: Computation) -> Computations:
        """These computations and ``computation`` (nothing placed yet)."""
        return Computations(offered=(*self.offered, computation))

    def values(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """What a download computing every offered computation takes: the variables its
        Arguments compute (``Downloads.checked_task``'s ``computed``) and those its ``Assign``
        assigns."""
        arguments = {k: v for c in self.offered if c.request for k, v in c.assign.items()}
        assign = {k: v for c in self.offered if not c.request for k, v in c.assign.items()}
        return arguments, assign

    def rewired(self, parts: RunParts) -> RunParts:
        """``parts`` as a shape that places every offered computation reads them
        (``Computation.rewire``)."""
        for computation in self.offered:
            if computation.rewire is not None:
                parts = computation.rewire(parts)
        return parts

    def place(self) -> None:
        """Say that the shape's first download computes every offered computation
        (``values``): their features leave their Passes out."""
        self.placed.update(c.state for c in self.offered)


@dataclass(frozen=True)
class RunParts:
    """What a run's shape builds its states from."""

    downloads: Downloads
    persists: Persists
    maps: Maps
    request: Request
    result_selector: Mapping[str, Any] | None
    query_path: str | None = None
    """With query overrides or a query computed each run: the download reads its query from
    the state here, in the transport's ``RequestForm``."""
    key_suffix_path: str | None = None
    """With query overrides: the state holds the item key's suffix here (``sk = <scheduled
    time>#<suffix>``), so runs requesting other values never share a key."""
    attributes: Mapping[str, Any] = field(default_factory=dict)
    """Attributes the starts add to a single answer's item (``query``), name →
    ``DynamoAttributeValue``."""
    attributes_at: Callable[[str], Mapping[str, Any]] | None = None
    """``attributes`` read where the state is kept instead (``$loop``: the checked page loop,
    whose Persist holds the raw page); ``None`` when there are none."""
    keeps_result: bool = False
    """True when states follow a single answer's Persist (archive, post-processing): the
    selected result is kept under ``$.result`` for them."""
    afterwards: Callable[[Construct], list[sfn.IChainable]] = field(default=lambda _scope: [])
    """The states after a single answer is stored (archive, post-processing)."""
    afterwards_raw: Callable[[Construct], list[sfn.IChainable]] | None = None
    """``afterwards`` reading the raw answer at ``$`` instead of the selection at
    ``$.result``, where every state after a single answer can (the archive alone, issue 25
    item 14): the shape then needs no ``SelectResult`` after its checked download. ``None``: a
    state after reads ``$.result`` or ``$.key`` (``post_process``, an archive of the
    selection: the checked download's shape writes them with ``SelectResult``), or nothing
    follows."""
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
    per_delivery: bool = False
    """True when each delivery of a run stores its own items (``incremental``: two deliveries
    ask from different marks; every run of several answers, so that no delivery overwrites
    another's pages): the execution's name joins the sort key (``<scheduled time>#<execution
    name>``, a page's ``...#<execution name>#<page>``, a path's ``...#<execution
    name>#<key>[#<page>]``)."""
    delivered: Callable[[Construct], list[sfn.IChainable]] = field(default=lambda _scope: [])
    """The states a delivery runs last, once every answer is stored and right before the run
    succeeds (``MarkDelivered``, with several answers a run): built once, at run level."""
    page_fold: PageFold | None = None
    """What a page loop carries from page to page in variables (the incremental mark's
    furthest value), and ``stored`` then reads once the pages end."""
    stored: Callable[[Construct, bool], list[sfn.IChainable]] = field(
        default=lambda _scope, _passes_answer: []
    )
    """The states right after the answers are stored, before ``afterwards`` (advancing the
    incremental mark); the flag is True when a later state stores what the state holds (they
    must then pass it on untouched, never through JSONata)."""
    server_waits: ServerWaits | None = None
    """With ``retry_after``: the states that wait what a throttling server asks."""
    memory: AnswerMemory = NO_ANSWER_MEMORY
    """The polite features' states around a single answer (remembering it)."""
    answer_errors: str | None = None
    """A GraphQL downloader's errors (``$.ResponseBody.errors``): an answer holding them fails
    the run before anything stores it (``Downloader.AnswerErrors``)."""
    computed_body: str | None = None
    """With time placeholders in the body: the download reads its body from here (a
    variable)."""
    records: WritesRecords | None = None
    """With ``records``: the states writing each record of an answer (or page) as an item,
    after the answer's Persist (or instead of it, ``keep_answers=False``)."""
    path_marks: PathMarks | None = None
    """``incremental`` in a fan-out: each path's own mark, read and advanced in its iteration."""
    request_memos: RequestMemories | None = None
    """The polite features in a run of several requests: each request's memory, read before it
    is made and written once it is stored (a fan-out's paths, a page loop's pages)."""
    each_stored: EachStored | None = None
    """In a run of several requests: the states after each stored answer (a fan-out path's, a
    page's), right after its Persist (the archive); a single answer has ``afterwards``.
    ``None``: nothing follows."""
    run_end: Callable[[Construct, int], sfn.State] | None = None
    """In a run of several requests (``post_process``): the states the run ends in once every
    request was made (the summary, the user's states, then success or
    ``Downloader.RequestsFailed``), built by the shape once, in place of its own end (``Done``,
    ``AnyFailed``); its input is the Map's result or the page loop's last state. The number:
    answers stored before a Map's (``page_count``'s first page)."""
    overridable: tuple[str, ...] = ()
    """With query overrides on a fan-out: the names each listed request takes from the run's
    input (``fanout/_overrides.py``), its key and ``query`` attribute saying which values."""
    computations: Computations = field(default_factory=Computations)
    """What features compute once a run before the first request (``ComputeRequest``,
    ``ComputeExpiry``): a shape whose first download can compute them places them there."""
    time_fill: TimeFill | None = None
    """With time placeholders in a fan-out's requests: ``time_fill(templates)`` is JSONata
    defining ``$fill(text)``, ``text`` with the run's time placeholders filled in (the fan-out's
    listing computes every request with it); ``time_fill(templates, scheduled)`` reads the
    scheduled time from ``scheduled`` (JSONata) instead of the run's input."""

    def first_request(self) -> HttpRequest:
        """The run's first (or only) request: the configured one, with what the features
        compute each run (path, query, body) read from where they put it."""
        request = self.request.http()
        if self.computed_path is not None:
            request = request.with_path(self.computed_path)
        if self.computed_body is not None:
            request = request.reading_body(self.computed_body)
        return request.reading_computed_query(self.query_path)

    def request_url(self, first_query: Mapping[str, list[str]] | None = None) -> str:
        """JSONata: the URL of the run's first (or only) request as it is sent, path and
        encoded query (``first_query`` added: a paginator's first page parameters), computed
        each run from ``$requestPath`` / ``$requestQuery`` or an on-demand run's query, else a
        literal: what a request's polite memory is keyed by, and a page loop starts from."""
        request = self.request
        given = request.given or request.path
        extra = dict(first_query or {})
        path = (
            f"${REQUEST_PATH_VARIABLE}" if self.computed_path is not None
            else json.dumps(request.path)
        )  # fmt: skip
        if self.query_path is not None:
            where = self.query_path
            read = f"$states.input.{where[2:]}" if where.startswith("$.") else where
            query = f"$merge([{read}, {json.dumps(extra)}])"
            return f"({QUERY_STRING} $s := $qs({query}); $s ? {path} & '?' & $s : {path})"
        if self.computed_path is not None:  # the path filled each run, its query as given
            static = with_query("", {**request.query, **extra})
            return f"{path} & {json.dumps(static)}" if static else path
        return json.dumps(with_query(given, extra))


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

    @property
    def checks_answers(self) -> bool:
        """True when the shape checks each answer before it stores it (``answer_errors``)."""
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


@dataclass(frozen=True)
class Built:
    """What the features' states are built with, once the resources exist: the transport's
    tasks, the item sink's, the state item, the archive's bucket."""

    downloads: Downloads
    persists: Persists
    memory: Any
    """The downloader's state item (``_memory.StateItem``: one read, named updates)."""
    downloader_id: str
    request: Request
    bucket: Any = None
    """The archive's bucket (``s3.IBucket``), or ``None``."""
    timeout_seconds: float | None = None
    """A run's timeout (``None``: a token, known at deploy time)."""
    table: Any = None
    """The items' table (``dynamodb.ITable``)."""
    max_concurrency: int = 1
    """The most requests (or writes) a Map runs at once (the concurrency's)."""
    placed: frozenset[str] = frozenset()
    """For ``before``: the computations the shape placed in its first download (their
    ``Computation.state``), whose Passes their features leave out."""


class RunFeature:
    """One optional feature of a run, as the flow sees it: the flow iterates the run's features
    (in the order a run meets them) and never names one.

    - ``check``: its settings against the facts of the run (``CheckContext``, computed once).
    - ``around``: what the shape wires around each download and each stored answer (variables
      the download assigns, waits, reactions, states after storing), as edits of ``RunParts``.
    - ``before``: its states before the request (an input check, a read, a computation).
    - ``grant_run``: its statements on the run's state machine.
    Each hook does nothing unless the feature says otherwise.
    """

    @property
    def reads_state(self) -> bool:
        """True when a run reads the downloader's state item first (``ReadState``, one for
        all)."""
        return False

    def state_assign(self, built: Built) -> Mapping[str, Any]:
        """Variables this feature computes from the state item, in ``ReadState``'s own
        ``Assign`` (JSONata reading the item as ``$states.result``, ``_memory.READ_ITEM``), so
        that no Pass of its own follows the read; only asked when ``reads_state``."""
        del built
        return {}

    def around(self, parts: RunParts, built: Built) -> RunParts:
        """``parts`` with what this feature wires around the downloads."""
        del built
        return parts

    def before(self, scope: Construct, run: sfn.IChainable, built: Built) -> sfn.IChainable:
        """``run`` with this feature's states before it."""
        del scope, built
        return run

    def grant_run(self, state_machine: sfn.StateMachine, built: Built) -> None:
        """Add this feature's statements to the run's state machine role."""
        del state_machine, built


def then_stored(
    parts: RunParts, states: Callable[[Construct, bool], list[sfn.IChainable]]
) -> Callable[[Construct, bool], list[sfn.IChainable]]:
    """``parts.stored`` followed by ``states``."""
    earlier = parts.stored
    return lambda scope, passes_answer: [
        *earlier(scope, passes_answer),
        *states(scope, passes_answer),
    ]


def then_afterwards(
    parts: RunParts, states: Callable[[Construct], list[sfn.IChainable]]
) -> Callable[[Construct], list[sfn.IChainable]]:
    """``parts.afterwards`` followed by ``states``."""
    earlier = parts.afterwards
    return lambda scope: [*earlier(scope), *states(scope)]


def then_each_stored(parts: RunParts, states: EachStored) -> EachStored:
    """``parts.each_stored`` followed by ``states``: the earlier states pass the state on
    unchanged, the last places the output the shape asks for."""
    earlier = parts.each_stored
    if earlier is None:
        return states

    def both(scope: Construct, answer: StoredAnswer) -> list[sfn.TaskStateBase]:
        assert earlier is not None
        later = states(scope, answer)
        if not later:
            return earlier(scope, answer)
        passing = replace(answer, result_selector=None, result_path=None)
        return [*earlier(scope, passing), *later]

    return both
