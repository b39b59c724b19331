"""``FanOut.from_answer``: the states, the grants, and a clear error for each bad setting."""

from __future__ import annotations

import re
from typing import Any

import aws_cdk as cdk
import pytest

from sfn_downloader import DownloaderConfigError, DownloaderPattern, FanOut, ItemField, Pagination
from test_paginators import invoke_suffixes

from scenarios import EXAMPLE_API, Scenario, definition


def test_the_list_is_read_then_the_requests_are_built_from_it(from_answer: Scenario) -> None:
    states = definition(from_answer, "Things")["States"]
    assert states["DownloadList"]["Parameters"]["Path"] == "/v1/things"
    assert states["DownloadList"]["Parameters"]["QueryParameters"] == {"kind": ["all"]}
    # Issue 28(a): no ListRequests; CheckList (JSONata) routes a list error, FetchAll's Items
    # computes the requests from the same input (the list's answer, which CheckList passes on).
    assert "ListRequests" not in states
    assert states["DownloadList"]["Next"] == "CheckList"
    check = states["CheckList"]
    assert check["QueryLanguage"] == "JSONata" and "Output" not in check
    assert check["Choices"][0]["Next"] == "ListRefused"
    assert check["Choices"][0]["Assign"]["listFailure"].endswith(".listError %}")
    assert check["Default"] == "FetchAll"
    assert states["ListRefused"]["Error"] == "{% $listFailure.name %}"
    assert "$encodeUrlComponent($string($item.`id`))" in states["FetchAll"]["Items"]
    assert "ItemsPath" not in states["FetchAll"]


def test_a_paginated_list_is_collected_page_after_page(from_answer: Scenario) -> None:
    states = definition(from_answer, "History")["States"]
    assert states["FirstListRequest"]["Result"]["found"] == []
    assert states["MoreLists"]["Default"] == "CheckList"
    assert "$count($found) < 3" in states["CollectList"]["Output"]  # max_items=3


def test_a_compressed_list_is_a_list_error_in_the_states_that_read_it(
    from_answer: Scenario,
) -> None:
    """Issue 25, item 14: the list is never stored, so a compressed list (or list page) is one
    more error of the requests' expression (CollectList's), which CheckList (MoreLists) already
    routes to its failure: no state added."""
    one = definition(from_answer, "Things")["States"]["FetchAll"]["Items"]
    assert "($coded := $join($filter($map($split($lowercase($join($each(" in one
    assert '"Downloader.CompressedAnswer"' in one and '"/v1/things?kind=all"' in one
    paged = definition(from_answer, "History")["States"]
    assert '"Downloader.CompressedAnswer"' in paged["CollectList"]["Output"]
    assert '"list page " & $page' in paged["CollectList"]["Output"]
    assert "CompressedAnswer" not in paged["FetchAll"]["Items"]  # read page by page


def test_the_role_may_get_the_list_and_each_path(from_answer: Scenario) -> None:
    # The items fill History's query only: its one path; Things' path: any path of the proxy.
    assert invoke_suffixes(from_answer, "History") == {
        "/prod/GET/v1/markets/10000002/types/", "/prod/GET/v1/markets/10000002/history/"
    }  # fmt: skip
    assert invoke_suffixes(from_answer, "Things") == {"/prod/GET/v1/things", "/prod/GET/*"}


def _error(fan_out: FanOut, **props: Any) -> str:
    stack = cdk.Stack(cdk.App(), "S")
    with pytest.raises(DownloaderConfigError) as raised:
        DownloaderPattern(
            stack, "P", endpoint=EXAMPLE_API, fan_out=fan_out,
            item={"page": ItemField.json("$.ResponseBody")}, **props,
        )  # fmt: skip
    return str(raised.value)


EACH = "/v1/h/?type_id={item}"


@pytest.mark.parametrize(
    ("fan_out", "props", "pattern"),
    [
        (FanOut.from_answer(path="/v1/types", each="/v1/h/?type_id=1"), {},
         r"fan_out.each='/v1/h/\?type_id=1': has no \{item\} or \{item.<field>\} placeholder"),
        (FanOut.from_answer(path="/v1/types", each="v1/{item}"), {},
         r"fan_out.each='v1/\{item\}': is not a path starting with '/'"),
        (FanOut.from_answer(path="/v1/types", each="/v1/{id}/{item}"), {},
         r"fan_out.each=.*has a placeholder other than \{item\}"),
        (FanOut.from_answer(path="/v1/types", each="/v1/{item.type-id}"), {},
         r"fan_out.each='/v1/\{item.type-id\}': has no \{item\}"),
        (FanOut.from_answer(path="v1/types", each=EACH), {}, r"fan_out.path='v1/types'"),
        (FanOut.from_answer(path="/v1/types", each=EACH, items="ResponseBody"), {},
         r"fan_out.items='ResponseBody': is not a plain JSONPath"),
        (FanOut.from_answer(path="/v1/types", each=EACH, items="$.types"), {},
         r"fan_out.items='\$.types': is outside the raw answer.*Fix: start it with "
         r"\$.ResponseBody or \$.Headers, e.g. items='\$.ResponseBody'"),
        (FanOut.from_answer(path="/v1/types", each=EACH, max_items=0), {},
         r"fan_out.max_items=0: is not an integer from 1 to 1,000 \(in batches"),
        (FanOut.from_answer(path="/v1/types", each=EACH, max_items=1001), {},
         r"fan_out.max_items=1001"),
        (FanOut.from_answer(path="/v1/types", each=EACH), {"path": "/v1/x"},
         r"FanOut.from_answer is given together with `path`"),
        (FanOut.from_answer(path="/v1/types", each="/v1/h/?page=1&id={item}"),
         {"pagination": Pagination.page_number()},
         r"pagination.param='page': is already in the fan_out.each's query string"),
    ],
)  # fmt: skip
def test_bad_settings_name_the_prop_value_and_fix(
    fan_out: FanOut, props: dict[str, Any], pattern: str
) -> None:
    message = _error(fan_out, **props)
    assert "Fix:" in message
    assert re.search(pattern, message, re.S), message


def test_repr_shows_the_settings() -> None:
    assert repr(FanOut.from_answer(path="/v1/types", each=EACH)) == (
        "FanOut.from_answer(path='/v1/types', items='$.ResponseBody', "
        "each='/v1/h/?type_id={item}', max_items=None)"
    )
