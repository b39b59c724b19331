"""Pages: every page of one paginated path, without a Lambda.

Page count (``Pagination.page_count``, EVE's ``X-Pages``)::

    DownloadFirstPage → PersistFirstPage → CountPages → MorePages? ─ no ─────────────→ OnePage
                                             ├ over max_pages → CapPages ─┐
                                             └ yes ───────────────────────┴→ ListPages
    ListPages (States.ArrayRange(2, pages, 1)) → FetchPages (Map: Download → Persist) → AnyFailed

Cursor (``Pagination.cursor``)::

    DownloadFirstPage → PersistPage → HasNext? ─ no / page cap ─→ Done
                          ▲                 └ yes → NextPage (page + 1) → DownloadNextPage ┐
                          └───────────────────────────────────────────────────────────────┘

Each page's item has ``sk = <scheduled time>#<page number>``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from ._definition import SCHEDULED_TIME_PATH, Persists, sort_key
from ._download import Downloads
from ._map import SUCCEEDED, build_map, catch_into, record_failure
from ._props import KEY_SEPARATOR, Request
from .pagination import Pagination, PaginationKind


def build_pages(
    scope: Construct,
    *,
    downloads: Downloads,
    persists: Persists,
    request: Request,
    result_selector: Mapping[str, Any] | None,
    pagination: Pagination,
) -> sfn.IChainable:
    """The paginated run for ``pagination``'s kind."""
    if pagination.kind is PaginationKind.CURSOR:
        return _cursor_pages(
            scope, downloads=downloads, persists=persists, request=request,
            result_selector=result_selector, pagination=pagination,
        )  # fmt: skip
    return _counted_pages(
        scope, downloads=downloads, persists=persists, request=request,
        result_selector=result_selector, pagination=pagination,
    )  # fmt: skip


def _selected(result_selector: Mapping[str, Any] | None) -> dict[str, Any]:
    """The user's selection, nested under ``response`` (the whole answer without one)."""
    if result_selector is None:
        return {"response": sfn.JsonPath.entire_payload}
    return {"response": dict(result_selector)}


def _counted_pages(
    scope: Construct,
    *,
    downloads: Downloads,
    persists: Persists,
    request: Request,
    result_selector: Mapping[str, Any] | None,
    pagination: Pagination,
) -> sfn.IChainable:
    assert pagination.header is not None
    first = downloads.task(
        scope,
        "DownloadFirstPage",
        path=request.path,
        query={**request.query, pagination.param: ["1"]},
        result_selector={
            **_selected(result_selector),
            # Header values are strings in lists: "X-Pages": ["3"]. Bracket notation, as header
            # names hold '-'; the number is parsed by CountPages (intrinsics take no brackets).
            "pages": sfn.JsonPath.string_at(f"$.Headers['{pagination.header}'][0]"),
        },
        result_path="$.first",
    )
    persist_first = persists.task(
        scope,
        "PersistFirstPage",
        sort_key=sfn.JsonPath.format(
            "{}" + KEY_SEPARATOR + "1", sfn.JsonPath.string_at(SCHEDULED_TIME_PATH)
        ),
        result_under="$.first.response",
    )
    done = sfn.Succeed(scope, "OnePage")
    if pagination.max_pages == 1:
        return first.next(persist_first).next(done)

    download = downloads.task(
        scope, "DownloadPage", path=request.path, query=request.query or None,
        page_param=pagination.param,
        page_value=sfn.JsonPath.format("{}", sfn.JsonPath.string_at("$.page")),
        result_selector=result_selector, result_path="$.response",
    )  # fmt: skip
    persist = persists.task(
        scope, "PersistPage", sort_key=sort_key("$.scheduledTime", "$.page"),
        result_under="$.response", result_selector=SUCCEEDED, in_map=True,
    )  # fmt: skip
    catch_into(record_failure(scope, "RecordFailure", key_path="$.page"), download, persist)
    count_pages = sfn.Pass(
        scope,
        "CountPages",
        parameters={"pages": sfn.JsonPath.string_to_json(sfn.JsonPath.string_at("$.first.pages"))},
    )
    list_pages = sfn.Pass(
        scope,
        "ListPages",
        parameters={"pages": sfn.JsonPath.array_range(2, sfn.JsonPath.number_at("$.pages"), 1)},
    )
    fetch_pages = build_map(
        scope,
        "FetchPages",
        request=request,
        items_path="$.pages",
        item_selector={
            "page": sfn.JsonPath.number_at("$$.Map.Item.Value"),
            "scheduledTime": sfn.JsonPath.string_at(SCHEDULED_TIME_PATH),
            **persists.map_item_fields(),
        },
        iteration=download.next(persist),
    )
    cap = sfn.Pass(
        scope,
        "CapPages",
        result=sfn.Result.from_number(pagination.max_pages),
        result_path="$.pages",
    )
    more = (
        sfn.Choice(scope, "MorePages")
        .when(
            sfn.Condition.number_greater_than("$.pages", pagination.max_pages),
            cap.next(list_pages),
        )
        .when(sfn.Condition.number_greater_than("$.pages", 1), list_pages)
        .otherwise(done)
    )
    list_pages.next(fetch_pages)
    return first.next(persist_first).next(count_pages).next(more)


def _cursor_pages(
    scope: Construct,
    *,
    downloads: Downloads,
    persists: Persists,
    request: Request,
    result_selector: Mapping[str, Any] | None,
    pagination: Pagination,
) -> sfn.IChainable:
    assert pagination.next_path is not None
    selector = {**_selected(result_selector), "next": sfn.JsonPath.string_at(pagination.next_path)}
    first = downloads.task(
        scope, "DownloadFirstPage", path=request.path, query=request.query or None,
        result_selector=selector, result_path="$.current",
    )  # fmt: skip
    number_first = sfn.Pass(
        scope, "FirstPage", result=sfn.Result.from_number(1), result_path="$.page"
    )
    following = downloads.task(
        scope, "DownloadNextPage", path=request.path, query=request.query or None,
        page_param=pagination.param,
        page_value=sfn.JsonPath.string_at("$.current.next"),
        result_selector=selector, result_path="$.current",
    )  # fmt: skip
    persist = persists.task(
        scope, "PersistPage", sort_key=sort_key(SCHEDULED_TIME_PATH, "$.page"),
        result_under="$.current.response",
    )  # fmt: skip
    next_page = sfn.Pass(
        scope,
        "NextPage",
        parameters={
            "page": sfn.JsonPath.math_add(sfn.JsonPath.number_at("$.page"), 1),
            "current": {"next": sfn.JsonPath.string_at("$.current.next")},
        },
    )
    done = sfn.Succeed(scope, "Done")
    has_next = (
        sfn.Choice(scope, "HasNextPage")
        .when(
            sfn.Condition.or_(
                sfn.Condition.is_not_present("$.current.next"),
                sfn.Condition.is_null("$.current.next"),
                sfn.Condition.number_greater_than_equals("$.page", pagination.max_pages),
            ),
            done,
        )
        .otherwise(next_page.next(following).next(persist))
    )
    return first.next(number_first).next(persist).next(has_next)
