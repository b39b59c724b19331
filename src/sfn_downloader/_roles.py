"""The bound features as a run's shape uses them, and the fan-out target a transport lists.

A shape builds its states from these roles without knowing which feature plays them: the
transport (``Downloads``), the item sink (``Persists``), the concurrency (``Maps``), the actions
on given statuses (``StatusReactions``), the polite features' memory of an answer
(``AnswerMemory``) and the waits a throttling server asks (``ServerWaits``), with the "feature
off" values a run needs. ``_parts`` re-exports them: ``RunParts`` carries them to the shapes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from ._request import HttpRequest, RequestForm


@dataclass(frozen=True)
class Target:
    """One request of a fan-out: its path, query parameters and the key suffix of its item."""

    path: str
    query: Mapping[str, list[str]]
    key: str
    """The path as given (with its query string): ``sk = <scheduled time>#<key>``."""


class Downloads(Protocol):
    """A bound transport: turns one ``HttpRequest`` into one task, with its retry policy."""

    def task(
        self,
        scope: Construct,
        construct_id: str,
        request: HttpRequest,
        *,
        result_selector: Mapping[str, Any] | None = None,
        result_path: str | None = None,
        assign: Mapping[str, Any] | None = None,
    ) -> sfn.TaskStateBase:
        """The task that makes ``request`` (see ``HttpRequest``), with the retry policy.

        ``assign``: workflow variables taken from the answer as the service returned it.
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

    def url_problem(self, url: str) -> str:
        """A JSONata expression: ``""`` when ``request_from_url`` can make a request of ``url``
        (a next link as the API wrote it), else why not: checked before the page that carried
        the link is stored, since JSONata cannot catch the error ``request_from_url`` throws."""
        ...

    def status_error(self, status: int) -> str:
        """The error name a download fails with when the API answers ``status`` (non-2xx)."""
        ...

    @property
    def passed_query_names(self) -> tuple[str, ...] | None:
        """The only query parameters a request reaches the API with, when the transport passes
        on names it maps (a non-proxy integration); ``None``: every name."""
        ...

    def retry_kwargs(self) -> dict[str, Any]:
        """The download retry policy, as ``add_retry`` keyword arguments."""
        ...

    @property
    def relays_throttled_answers(self) -> bool:
        """True when a throttled answer reaches the state machine with its headers (the
        proxy's marked ``200``); else a throttled request fails its task."""
        ...

    def checked_task(
        self, scope: Construct, construct_id: str, request: HttpRequest, *,
        assign: Mapping[str, str], computed: Mapping[str, Any] | None = None,
    ) -> sfn.TaskStateBase | None:  # fmt: skip
        """A JSONata task making ``request`` whose ``Assign`` (JSONata on ``$states.result``)
        may raise and whose output is the raw answer; ``computed``: variables the request
        reads whose values its Arguments compute instead (name → JSONata, as an ``Assign``
        takes them); ``None`` for a request that reads values from the state."""
        ...

    def retrying_first(self, rule: Mapping[str, Any]) -> Downloads:
        """These downloads with ``rule`` (``add_retry`` keyword arguments) tried before the
        retry policy on every task (a Retry's rules are tried in order)."""
        ...

    def static_headers(self) -> dict[str, list[str]]:
        """The headers every request carries, as the task takes them (values are lists)."""
        ...

    @property
    def request_form(self) -> RequestForm:
        """How the task reads a request computed each run (``ComputeRequest``'s variables, the
        query overrides' ``$.query``)."""
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
        through: Mapping[str, Any] | None = None,
        item_at: str = "$",
        output_path: str | None = None,
    ) -> sfn.TaskStateBase:
        """putItem with ``sk = sort_key``; the item's paths rebased onto ``result_under``;
        ``attributes`` (name → ``DynamoAttributeValue``) added to the item; ``through``: the
        state holds the raw answer, read where this ResultSelector would have read it;
        ``item_at``: where a Map iteration's item is; ``output_path``: the task's
        ``OutputPath``."""
        ...

    def reads_through(self, selector: Mapping[str, Any] | None) -> bool:
        """True when the item can be read from the raw answer through ``selector``."""
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
        then: sfn.State | None = None,
        done: sfn.State | None = None,
        item_reader: sfn.IItemReader | None = None,
        batch_items: int | None = None,
        batch_start: sfn.State | None = None,
        items: str | list[Any] | None = None,
    ) -> sfn.Chain:
        """The Map over ``items_path`` (or ``items``, which the Map holds: a JSON array or a
        JSONata expression; or the items ``item_reader`` reads; in a Distributed
        Map ``batch_items`` a child execution, which starts with ``batch_start``), then
        ``AnyFailed`` (or ``then``, which reads the Map's result: the run's end with
        ``post_process``): ``done`` when none failed (default: a Succeed)."""
        ...

    @property
    def is_distributed(self) -> bool:
        """True for a Distributed Map (child executions)."""
        ...

    @property
    def items_from_s3(self) -> bool:
        """True when a fan-out's requests are read from S3 in batches."""
        ...

    @property
    def requests_per_child(self) -> int | None:
        """With ``items_from_s3``: the requests each child runs, as given."""
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
        self, task: sfn.TaskStateBase, *, skip: sfn.IChainable, end: sfn.IChainable | None = None,
        outputs: str | None = None,
    ) -> None:  # fmt: skip
        """Route the non-2xx statuses with an action to ``skip`` (``end`` for END, when given).
        ``outputs``: a JSONata task's catches, the caught state's output (a JSONPath task's
        catch keeps its input, ``ResultPath`` null)."""
        ...

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
        """With a 204 action, a Choice routing a 204 at ``status_path`` to its target; its
        ``otherwise`` is left to the caller. ``None`` without one. ``output``: a JSONata
        Choice instead (``status_path`` then JSONata), whose 204 rule outputs this (the
        checked page loop's next state); its other rules output their input. ``checked``: a
        JSONata Choice too (``status_path`` JSONata), ``checked`` adding its rules before the
        204's (a fan-out path's compressed answer refused, issue 25 item 14)."""
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
        self, task: sfn.TaskStateBase, *, skip: sfn.IChainable, end: sfn.IChainable | None = None,
        outputs: str | None = None,
    ) -> None:  # fmt: skip
        del task, skip, end, outputs

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
        del scope, construct_id, status_path, skip, end, output, checked
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

    @property
    def hashes(self) -> bool:
        """True when the memory hashes the selected result (``changes_only``)."""
        ...

    def guard(self, scope: Construct, task: sfn.TaskStateBase, jsonata: bool = False) -> None:
        """Catches on the download (a ``304`` ending the run successfully)."""
        ...

    def checked_assign(self) -> Mapping[str, Any] | None:
        """What a JSONata download that refuses a compressed answer itself assigns (reading
        ``$states.result``) so that ``Persist`` follows it with no state between (``store``
        left out); ``None`` when a state must come between."""
        ...

    def store(
        self, scope: Construct, persist: sfn.TaskStateBase, selected_path: str,
        described: str = "", text: str | None = None, text_kept: bool = False,
    ) -> sfn.Chain:  # fmt: skip
        """The states from after the download to ``persist`` (the chain ends at it); the
        selected result is at ``selected_path``; ``described``: the request, as a refused
        answer's cause names it; ``text``: the JSONPath intrinsic whose text a changes-only
        memory hashes (default: the selected result's); ``text_kept``: the download assigned
        that text itself (``$answerText``), so no ``AnswerText`` Pass comes first."""
        ...


class _NoAnswerMemory:
    any = False
    hashes = False

    def guard(self, scope: Construct, task: sfn.TaskStateBase, jsonata: bool = False) -> None:
        del scope, task, jsonata

    def checked_assign(self) -> Mapping[str, Any] | None:
        return {}

    def store(
        self, scope: Construct, persist: sfn.TaskStateBase, selected_path: str,
        described: str = "", text: str | None = None, text_kept: bool = False,
    ) -> sfn.Chain:  # fmt: skip
        del scope, selected_path, described, text, text_kept
        return sfn.Chain.start(persist)


NO_ANSWER_MEMORY: AnswerMemory = _NoAnswerMemory()
"""No polite feature: the download goes straight to Persist."""


class WritesRecords(Protocol):
    """``records``: the states that write each record of one answer (or page) as its own item,
    placed right after the answer is stored (or instead of storing it)."""

    @property
    def keeps_answers(self) -> bool:
        """True when the answer is still stored as an item besides its records."""
        ...

    def states(
        self,
        scope: Construct,
        *,
        under: str,
        result_selector: Mapping[str, Any] | None = None,
        result_path: str | None = None,
        failed_key: str | None = None,
        time_path: str = ...,
        prefix: str = "",
        through: Mapping[str, Any] | None = None,
        output_path: str | None = None,
    ) -> sfn.Chain:
        """The states writing the records of the selected result at ``under``; the state passes
        on unchanged unless ``result_selector``/``result_path`` place the Map's result. In a
        Map iteration, ``failed_key`` (the path of its key) makes a bad record or a failed
        write a failed outcome of that iteration, and ``time_path`` is where the iteration
        holds the run's scheduled time; ``prefix`` names a second set of these states.
        ``through``: ``under`` holds the raw answer, read through this ResultSelector
        (``raw_items``); ``output_path``: the Map's ``OutputPath``."""
        ...

    def raw_items(self, selector: Mapping[str, Any] | None) -> str | None:
        """The records' path in the raw answer through ``selector``, or ``None`` when no
        plain path reads them there."""
        ...


@dataclass(frozen=True)
class StoredAnswer:
    """One answer of a run of several requests (a fan-out path's, a page's), just stored: what
    the states that follow each stored answer (``EachStored``: the archive) are built from."""

    under: str
    """Where the selected answer is in the state (``$.response``, ``$.raw``)."""
    sort_key: str
    """Its item's sort key (a JSONPath or an intrinsic): ``<scheduled time>#<suffix>``."""
    name: str = ""
    """What the states' names end with (``"Page"``, ``"FirstPage"``), unique in the run."""
    result_selector: Mapping[str, Any] | None = None
    """What the last of the states outputs (a Map iteration's ``{"ok": true}``, a page loop's
    ``{"stored": true}``); ``None``: its own result, placed at ``result_path``."""
    result_path: str | None = None
    """Where the last state puts its output (``"$"``: it is the output); ``None``: nowhere,
    the state passes on unchanged."""
    failure: sfn.Pass | None = None
    """In a Map iteration: where a failure of the states ends (a failed outcome of that
    iteration); ``None``: a failure fails the run, as the answer's Persist's does."""
    output_path: str | None = None
    """The last state's ``OutputPath`` (the checked page loop's next state, which its
    ``result_selector`` reads from a variable); ``None``: none."""


EachStored = Callable[[Construct, StoredAnswer], list[sfn.TaskStateBase]]
"""The states that follow each stored answer of a run of several requests, built for one
``StoredAnswer`` (at least one); the last applies its ``result_selector`` and
``result_path``."""


class PathMarks(Protocol):
    """``incremental`` in a fan-out: each request (path) keeps its own mark, read at the start
    of its iteration and advanced once its answer (or every page) is stored."""

    def read(
        self, scope: Construct, *, key_path: str, url_path: str, request_path: str,
        request_from_url: str,
    ) -> sfn.TaskStateBase:  # fmt: skip
        """The state that reads the mark of the request at ``key_path`` and sets it into the
        URL at ``url_path`` and the request at ``request_path`` (``request_from_url``: the
        transport's JSONata of a request for the URL ``$u``)."""
        ...

    def advance(self, scope: Construct, *, over_pages: bool) -> list[sfn.IChainable]:
        """The states that move the mark ``read`` read forward (``over_pages``: the pages'
        fold, else the one answer's values)."""
        ...


@dataclass(frozen=True)
class CheckedPage:
    """Where a page of the checked loop (``pagination/_loop``) keeps what its memory writes:
    the loop's variable (``$loop``, ``$pathLoop`` in a fan-out path), the state the download
    computed for the next page, read by JSONPath after the page is stored."""

    loop: str
    """The variable (``$loop``)."""
    stored_at: str
    """JSONPath: the key the page is stored under (``States.Format`` of the variable)."""
    remembered_for: str
    """JSONPath: the run's scheduled time."""

    @property
    def next_state(self) -> str:
        """JSONPath: the request the loop goes on with, as JSON text (what ``go_on`` reads;
        the loop state has more fields, which it ignores)."""
        return sfn.JsonPath.json_to_string(sfn.JsonPath.object_at(self.loop))


class RequestMemories(Protocol):
    """The polite features in a run of several requests: each request's own memory, read before
    it is made and written once its answer is stored (``polite.memos``). ``skip(suffix,
    outcome)`` is the shape's: where a request the memory spares goes."""

    def read(
        self, scope: Construct, *, url_path: str | None = None, url: str | None = None,
        time_path: str, then: sfn.State, skip: Callable[[str, str], sfn.State],
    ) -> sfn.State:  # fmt: skip
        """The states before the download ``then`` of the request whose URL is at
        ``url_path`` (a JSONPath of the state), or is ``url`` (JSONata): its memory read
        (and, while it is fresh, ``skip``)."""
        ...

    def outcome(self, scope: Construct, construct_id: str, outcome: str) -> sfn.State:
        """A run of one request the memory spares: it succeeds with ``outcome`` (``fresh``,
        ``notModified``, ``unchanged``), saying why nothing was written."""
        ...

    @property
    def changes_only(self) -> bool:
        """True when an answer equal to the remembered one is not stored."""
        ...

    def guard(
        self, task: sfn.TaskStateBase, skip: Callable[[str, str], sfn.State], *,
        jsonata: bool = False,
    ) -> None:  # fmt: skip
        """Catches on the download (a ``304``: ``skip``), before any catch-all."""
        ...

    def before_store(
        self, scope: Construct, *, selected_path: str, time_path: str, stored_key: str,
        then: sfn.State, skip: Callable[[str, str], sfn.State], pages: bool,
        compressed: str | None = None, key: str | None = None,
    ) -> sfn.State:  # fmt: skip
        """The states between the selected answer (at ``selected_path``) and ``then``, the
        shape's store under ``stored_key`` (an unchanged answer: ``skip``). ``compressed``
        (JSONata naming the request): a compressed answer is refused there, failing the run
        or, with ``key`` (JSONata: a fan-out path's key), that path."""
        ...

    def remember(
        self, scope: Construct, *, pages: bool, page: CheckedPage | None = None
    ) -> sfn.Chain:
        """The states right after the answer is stored (they read no state; ``page``: a page
        of the checked loop, whose memory reads the loop's variable)."""
        ...

    def checks_in_place(self, selector: Mapping[str, object] | None) -> bool:
        """True when the checked page loop can keep these memories with ``selector``."""
        ...

    def kept_of_answer(self) -> frozenset[str]:
        """The JSONPath download's ``Assign`` names kept for these memories."""
        ...

    def checked_assign(self, time_path: str) -> dict[str, str]:
        """What the checked page download assigns for the page's memory."""
        ...

    def compared(
        self, scope: Construct, *, selector: Mapping[str, object] | None, then: sfn.State,
        skip: Callable[[str, str], sfn.State], page: CheckedPage, selected: bool = False,
    ) -> sfn.State:  # fmt: skip
        """With ``changes_only``: the checked page compared with its memory before ``then``
        (its store); an unchanged one ``skip``. ``selected``: the state holds the selection
        (else the raw page)."""
        ...

    def go_on(self, scope: Construct, construct_id: str, *, max_pages: int) -> sfn.Pass:
        """A page loop's skip: the state going on from the page's remembered next request."""
        ...


class ServerWaits(Protocol):
    """``retry_after`` as a shape wires it around a download that keeps its raw answer (at
    ``raw_path``: a single answer's ``$.result``, a page's ``$.raw``)."""

    def around(
        self,
        scope: Construct,
        name: str,
        task: sfn.TaskStateBase,
        *,
        raw_path: str = "$.result",
        failed: sfn.State | None = None,
        prefix: str = "",
        asked: str = "$states.input",
        checked: Callable[[sfn.Choice], None] | None = None,
    ) -> sfn.Chain:
        """``task``, then a Choice: a throttled answer waits and loops back to ``task``; the
        chain's end goes on with any other answer. ``prefix``: before the names of the wait's
        own states, when a run waits around two downloads in one scope (``List...``).
        ``asked``: JSONata giving the state ``task`` is entered with again (default: the
        state). ``checked``: the Choice is a JSONata one, ``checked`` adding its rules first
        (a fan-out path's compressed answer refused, issue 25 item 14)."""
        ...
