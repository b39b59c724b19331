"""The next-page paginators (link_header, next_url, offset, page_number): the states they
synthesize, the grants they need, and a clear error for each bad setting."""

from __future__ import annotations

import re
from typing import Any

import aws_cdk as cdk
import pytest

from sfn_downloader import DownloaderConfigError, DownloaderPattern, ItemField, Pagination

from scenarios import EXAMPLE_API, Scenario, definition


def invoke_suffixes(scenario: Scenario, pattern: str) -> set[str]:
    """What the pattern's role may invoke on its proxy: the ARN suffixes after the API id
    (aws-cdk-lib also adds ``/prod/GET$.request.path``, for a JSONPath path: it matches
    nothing)."""
    role = scenario.stack.get_logical_id(
        scenario.patterns[pattern].state_machine.role.node.default_child  # type: ignore[arg-type]
    )
    found = set()
    for policy in scenario.template.find_resources("AWS::IAM::Policy").values():
        if policy["Properties"]["Roles"] != [{"Ref": role}]:
            continue
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            if statement["Action"] == "execute-api:Invoke":
                resources = statement["Resource"]
                for arn in resources if isinstance(resources, list) else [resources]:
                    found.add(arn["Fn::Join"][1][-1])
    return found - {"/prod/GET$.request.path"}


def test_the_loop_downloads_from_the_state_and_passes_the_raw_page_to_persist(
    paginators: Scenario,
) -> None:
    """Issue 28(a): a page enters DownloadPage, PersistPage, MorePages. The download (JSONata,
    no Output) reads the request from the loop's state and assigns the next one (``$loop``);
    PersistPage stores the raw page, its key from ``$loop``, and writes ``$loop`` back as the
    state MorePages reads."""
    states = definition(paginators, "Issues")["States"]
    assert states["FirstRequest"]["Result"] == {
        "page": 1,
        "url": "/repos/o/r/issues?per_page=2&state=all",
        "request": {"path": "/repos/o/r/issues", "query": {"per_page": ["2"], "state": ["all"]}},
    }
    download = states["DownloadPage"]
    assert download["QueryLanguage"] == "JSONata" and "Output" not in download
    assert download["Arguments"]["Path"] == "{% $states.input.`request`.`path` %}"
    assert download["Arguments"]["QueryParameters"] == "{% $states.input.`request`.`query` %}"
    assert download["Next"] == "PersistPage"
    assert "$raw := $states.result;" in download["Assign"]["loop"]
    assert {"NextRequest", "SelectPage"}.isdisjoint(states)
    persist = states["PersistPage"]
    assert persist["Parameters"]["Item"]["sk"] == {
        "S.$": "States.Format('{}#{}#{}', $$.Execution.Input.scheduledTime, "
        "$$.Execution.Name, $loop.stored)"
    }
    assert persist["Parameters"]["Item"]["page"] == {"S.$": "States.JsonToString($.ResponseBody)"}
    # Only the next state leaves PersistPage: no page's answer stays in the state.
    assert (persist["ResultSelector"], persist["ResultPath"], persist["OutputPath"]) == (
        {"loop.$": "$loop"}, "$", "$.loop"
    )  # fmt: skip
    assert [c["Next"] for c in states["MorePages"]["Choices"]] == ["PagingFailed", "DownloadPage"]
    assert states["PagingFailed"] == {
        "Type": "Fail", "ErrorPath": "$.pagingError.name", "CausePath": "$.pagingError.cause"
    }  # fmt: skip


def test_the_download_fails_a_compressed_page_before_it_is_stored(paginators: Scenario) -> None:
    """Issue 25, item 14: the download's Assign raises on a compressed page (no state added);
    its Catch of States.QueryEvaluationError goes to PageCompressed, named
    Downloader.CompressedAnswer when the cause is the check's; other failures to PageFailed."""
    states = definition(paginators, "Issues")["States"]
    check = states["DownloadPage"]["Assign"]["answerChecked"]
    assert '$lowercase($k) = "content-encoding"' in check and '$c != "identity"' in check
    assert '"page " & $states.input.page' in check
    catches = states["DownloadPage"]["Catch"]
    assert [(c["ErrorEquals"], c["Next"]) for c in catches] == [
        (["States.QueryEvaluationError"], "PageCompressed"), (["States.ALL"], "PageFailed")
    ]  # fmt: skip
    compressed = states["PageCompressed"]
    assert '? "Downloader.CompressedAnswer" : "States.QueryEvaluationError"' in compressed["Error"]
    assert compressed["Cause"] == "{% $states.input.Cause %}"


def test_a_result_selector_is_read_through_by_persist(paginators: Scenario) -> None:
    states = definition(paginators, "People")["States"]
    assert "SelectPage" not in states
    assert states["PersistPage"]["Parameters"]["Item"]["people"] == {
        "S.$": "States.JsonToString($.ResponseBody.results)"
    }


def test_the_origin_and_max_pages_are_in_the_download(paginators: Scenario) -> None:
    expression = definition(paginators, "Issues")["States"]["DownloadPage"]["Assign"]["loop"]
    assert f'$norm("{EXAMPLE_API}")' in expression
    assert "$page < 10" in expression  # max_pages=10
    assert '$header("Link")' in expression


def test_next_links_may_reach_any_path_of_the_one_proxy(paginators: Scenario) -> None:
    assert invoke_suffixes(paginators, "Issues") == {"/prod/GET/*"}


def test_counters_grant_their_one_path(paginators: Scenario) -> None:
    assert invoke_suffixes(paginators, "Offset") == {"/prod/GET/v1/items"}


def test_the_http_task_takes_the_next_url_in_its_endpoint(paginators_http: Scenario) -> None:
    states = definition(paginators_http, "Issues")["States"]
    params = states["DownloadPage"]["Arguments"]
    assert params["ApiEndpoint"] == (
        f"{{% '{EXAMPLE_API}' & '/' & $states.input.`request`.`path` %}}"
    )
    assert "QueryParameters" not in params
    assert states["FirstRequest"]["Result"]["request"] == {
        "path": "repos/o/r/issues?per_page=2&state=all", "query": {}
    }  # fmt: skip
    # The query as the API wrote it, in the URL: no decoding for the HTTP Task.
    assert "$decodeUrlComponent" not in states["DownloadPage"]["Assign"]["loop"]


def test_counters_add_their_parameters_to_the_first_request(paginators: Scenario) -> None:
    offset = definition(paginators, "Offset")["States"]["FirstRequest"]["Result"]
    assert offset["url"] == "/v1/items?sort=id&offset=0&limit=2"
    assert offset["request"]["query"] == {"sort": ["id"], "offset": ["0"], "limit": ["2"]}
    sized = definition(paginators, "Sized")["States"]["FirstRequest"]["Result"]
    assert sized["url"] == "/v1/events?per_page=2&page=0"


def test_pagination_repr_names_the_factory_and_its_settings() -> None:
    assert repr(Pagination.link_header()) == "Pagination.link_header(max_pages=100, rel='next')"
    assert "items_path='$.ResponseBody'" in repr(Pagination.page_number())


def _error(**props: Any) -> str:
    stack = cdk.Stack(cdk.App(), "S")
    defaults = {"endpoint": EXAMPLE_API, "path": "/v1/items",
                "item": {"page": ItemField.json("$.ResponseBody")}}  # fmt: skip
    with pytest.raises(DownloaderConfigError) as raised:
        DownloaderPattern(stack, "P", **{**defaults, **props})
    return str(raised.value)


def test_one_page_is_a_max_pages_and_one_item_a_page_size() -> None:
    stack = cdk.Stack(cdk.App(), "S")
    for name, pagination in {
        "Cursor": Pagination.cursor(next_path="$.ResponseBody.next", max_pages=1),
        "Numbers": Pagination.page_number(page_size=1, max_pages=1),
    }.items():
        DownloaderPattern(
            stack, name, endpoint=EXAMPLE_API, path="/v1/items", downloader_id=name.lower(),
            item={"page": ItemField.json("$.ResponseBody")}, pagination=pagination,
        )  # fmt: skip


@pytest.mark.parametrize(
    ("pagination", "path", "pattern"),
    [
        (Pagination.link_header(rel="next page"), None,
         r"pagination.rel='next page': is not a link relation type.*Fix: pass e.g. rel='next'"),
        (Pagination.link_header(max_pages=0), None, r"pagination.max_pages=0"),
        (Pagination.next_url(path="ResponseBody.next"), None,
         r"pagination.path='ResponseBody.next': is not a plain JSONPath.*"
         r"Fix: pass e.g. path='\$.ResponseBody.next'"),
        (Pagination.next_url(path="$.ResponseBody.links[*].href"), None,
         r"pagination.path='\$.ResponseBody.links\[\*\].href'"),
        (Pagination.next_url(path="$..next"), None, r"pagination.path='\$..next'"),
        # Issue 25, item 11: paths outside the raw answer (ResponseBody, Headers) never match.
        (Pagination.next_url(path="$.next"), None,
         r"pagination.path='\$.next': is outside the raw answer.*"
         r"Fix: start it with \$.ResponseBody or \$.Headers, e.g. path='\$.ResponseBody.next'"),
        (Pagination.next_url(path="$.StatusText"), None, r"pagination.path='\$.StatusText'"),
        (Pagination.next_url(path="$"), None, r"pagination.path='\$': is outside"),
        (Pagination.offset(items_path="$.results"), None,
         r"pagination.items_path='\$.results': is outside the raw answer"),
        (Pagination.offset(total_path="$.ResponseBodyTotal"), None,
         r"pagination.total_path='\$.ResponseBodyTotal': is outside the raw answer"),
        (Pagination.page_number(items_path="$.data"), None,
         r"pagination.items_path='\$.data': is outside the raw answer.*"
         r"e.g. items_path='\$.ResponseBody'"),
        (Pagination.offset(limit=0), None,
         r"pagination.limit=0: is not an integer from 1 to 10,000"),
        (Pagination.offset(limit_param="offset"), None,
         r"pagination.limit_param='offset': is the same parameter as param"),
        (Pagination.offset(items_path="results"), None, r"pagination.items_path='results'"),
        (Pagination.offset(total_path="$.ResponseBody[?(@.n)]"), None,
         r"pagination.total_path="),
        (Pagination.offset(), "/v1/items?limit=5",
         r"pagination.limit_param='limit': is already in the path's query string.*"
         r"Fix: remove it from the path"),
        (Pagination.offset(param="start page"), None,
         r"pagination.param='start page': is not a query parameter name"),
        (Pagination.page_number(start=-1), None,
         r"pagination.start=-1: is not an integer, 0 or more"),
        (Pagination.page_number(page_size=0), None, r"pagination.page_size=0"),
        (Pagination.page_number(page_size=True), None,
         r"pagination.page_size=True: is not an integer from 1"),
        (Pagination.page_number(page_size="10"), None,  # type: ignore[arg-type]
         r"pagination.page_size='10': is not an integer from 1"),
        (Pagination.page_number(), "/v1/items?page=1",
         r"pagination.param='page': is already in the path's query string"),
    ],
)  # fmt: skip
def test_bad_settings_name_the_prop_value_and_fix(
    pagination: Pagination, path: str | None, pattern: str
) -> None:
    message = _error(pagination=pagination, **({"path": path} if path else {}))
    assert "Fix:" in message
    assert re.search(pattern, message, re.S), message
