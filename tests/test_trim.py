"""trim: the proxy's non-proxy HTTP integration, as synthesized, and the props it refuses."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_events as events
from aws_cdk.assertions import Template

from sfn_downloader import (
    DownloaderConfigError,
    DownloaderPattern,
    ItemField,
    Pagination,
    Transport,
    Trim,
)
from sfn_downloader._defaults import NEXT_LINK_QUERY_NAMES
from sfn_downloader.transport.trim import (
    BODYLESS_STATUSES,
    DEFAULT_RESPONSE_HEADERS,
    TRIMMED_STATUSES,
    fields_template,
    status_pattern,
)

from scenarios import EVE_PROPS, ORDER_FIELDS, Scenario, definition

KEPT_SUCCESS = (*TRIMMED_STATUSES, *BODYLESS_STATUSES)
UNLISTED_2XX = [s for s in range(200, 300) if s not in KEPT_SUCCESS]


def method_of(scenario: Scenario, key: str) -> dict[str, Any]:
    api = scenario.patterns[key].api
    assert api is not None
    resources = scenario.json["Resources"]
    api_id = scenario.stack.get_logical_id(api.node.default_child)  # type: ignore[arg-type]
    [method] = [
        r["Properties"]
        for r in resources.values()
        if r["Type"] == "AWS::ApiGateway::Method"
        and r["Properties"]["RestApiId"] == {"Ref": api_id}
    ]
    return method  # type: ignore[no-any-return]


def responses_by_pattern(method: dict[str, Any]) -> dict[str | None, dict[str, Any]]:
    return {r.get("SelectionPattern"): r for r in method["Integration"]["IntegrationResponses"]}


def test_the_method_is_a_non_proxy_http_integration(trimmed: Scenario) -> None:
    method = method_of(trimmed, "p")
    integration = method["Integration"]
    assert integration["Type"] == "HTTP"
    assert integration["IntegrationHttpMethod"] == "GET"
    assert integration["Uri"] == "https://esi.evetech.net/{proxy}"
    assert method["AuthorizationType"] == "AWS_IAM"


def test_every_query_parameter_is_mapped_by_name(trimmed: Scenario) -> None:
    """The path's own (repeated ones whole, from multivaluequerystring) and the page number."""
    pages, single = method_of(trimmed, "p"), method_of(trimmed, "single")
    assert pages["Integration"]["RequestParameters"] == {
        "integration.request.path.proxy": "method.request.path.proxy",
        "integration.request.querystring.order_type": (
            "method.request.multivaluequerystring.order_type"
        ),
        "integration.request.querystring.page": "method.request.multivaluequerystring.page",
        "integration.request.header.Accept-Encoding": "'identity'",
    }
    assert pages["RequestParameters"] == {
        "method.request.path.proxy": True,
        "method.request.querystring.order_type": False,
        "method.request.querystring.page": False,
    }
    mapped = single["Integration"]["RequestParameters"]
    assert mapped["integration.request.querystring.type"] == (
        "method.request.multivaluequerystring.type"
    )
    assert "integration.request.querystring.region" in mapped


def test_headers_and_the_credential_are_mapped_by_name(trimmed: Scenario) -> None:
    single = method_of(trimmed, "single")
    mapped = single["Integration"]["RequestParameters"]
    assert mapped["integration.request.header.Accept"] == "method.request.header.Accept"
    assert mapped["integration.request.header.User-Agent"] == "method.request.header.User-Agent"
    assert (
        mapped["integration.request.header.Authorization"] == "method.request.header.MyCustomAuth"
    )
    # The custom header carries the credential to the proxy only: it is not sent on.
    assert "integration.request.header.MyCustomAuth" not in mapped
    assert single["RequestParameters"]["method.request.header.MyCustomAuth"] is True


def test_every_status_keeps_its_code(trimmed: Scenario) -> None:
    method = method_of(trimmed, "p")
    responses = responses_by_pattern(method)
    assert set(responses) == (
        {str(s) for s in range(300, 600)} | {str(s) for s in KEPT_SUCCESS}
        | {status_pattern(UNLISTED_2XX), None}
    )  # fmt: skip
    for status in (200, 201, 206, 204, 300, 304, 400, 404, 429, 500, 502, 503, 504, 599):
        assert responses[str(status)]["StatusCode"] == str(status)
    declared = {r["StatusCode"] for r in method["MethodResponses"]}
    assert {r["StatusCode"] for r in responses.values()} <= declared


def test_only_success_is_trimmed_and_unlisted_statuses_fail_naming_theirs(
    trimmed: Scenario,
) -> None:
    responses = responses_by_pattern(method_of(trimmed, "p"))
    template = responses["200"]["ResponseTemplates"]["application/json"]
    assert template == fields_template(ORDER_FIELDS, "$")
    assert "ResponseTemplates" not in responses["404"]  # the body is the failure's cause
    assert "ResponseTemplates" not in responses["204"]  # nothing to trim
    # Every 2xx that is neither trimmed nor bodyless shares one integration response (a 502).
    unlisted = responses[status_pattern(UNLISTED_2XX)]
    assert unlisted["StatusCode"] == "502"
    assert "unregistered 2xx" in unlisted["ResponseTemplates"]["application/json"]
    assert responses[None]["StatusCode"] == "502"  # the default: never a 200


def test_read_headers_and_the_defaults_are_forwarded(trimmed: Scenario) -> None:
    """X-Pages (pagination), ETag, Link, Expires, rate limits, and what result_selector reads."""
    for key, read in (("p", ["X-Pages"]), ("single", ["ETag", "X-Pages", "X-Request-Id"])):
        method = method_of(trimmed, key)
        success = responses_by_pattern(method)["200"]["ResponseParameters"]
        for name in [*DEFAULT_RESPONSE_HEADERS, *read]:
            assert success[f"method.response.header.{name}"] == (
                f"integration.response.multivalueheader.{name}"
            )
        [ok] = [r for r in method["MethodResponses"] if r["StatusCode"] == "200"]
        assert f"method.response.header.{read[-1]}" in ok["ResponseParameters"]
        # Declared optional (false: "not required"): an API may leave any of them out.
        assert {
            required for r in method["MethodResponses"]
            for required in r.get("ResponseParameters", {}).values()
        } == {False}  # fmt: skip
    assert "X-Request-Id" not in DEFAULT_RESPONSE_HEADERS


def test_the_generated_template_writes_values_with_input_json() -> None:
    """Not $util.escapeJavaScript: it turns ' into \\', which is not JSON, and loses types."""
    vtl = fields_template(("price", "type_id"), "$")
    assert "escapeJavaScript" not in vtl
    assert "$input.json(\"$[$i]['price']\")" in vtl
    assert '$item.containsKey("type_id")' in vtl
    nested = fields_template(("id",), "$.data.items")
    assert "$input.path('$.data.items')" in nested and "keySet()" in nested


def test_the_state_machine_is_unchanged_by_trim(trimmed: Scenario, pages: Scenario) -> None:
    """Same states, same tasks: the trim happens in API Gateway."""
    with_trim, without = definition(trimmed, "p"), definition(pages)
    assert sorted(with_trim["States"]) == sorted(without["States"])
    first = with_trim["States"]["DownloadFirstPage"]
    assert first["Resource"].endswith(":apigateway:invoke")


def test_without_trim_the_proxy_is_http_proxy(default: Scenario) -> None:
    assert method_of(default, "p")["Integration"]["Type"] == "HTTP_PROXY"


def _refused(**props: Any) -> str:
    stack = cdk.Stack(cdk.App(), "S")
    with pytest.raises(DownloaderConfigError) as raised:
        DownloaderPattern(stack, "P", **{**EVE_PROPS, **props})
    return str(raised.value)


def test_trim_with_the_http_task_is_refused() -> None:
    stack = cdk.Stack(cdk.App(), "S")
    connection = events.Connection(
        stack, "C",
        authorization=events.Authorization.api_key(
            "X-Api-Key", cdk.SecretValue.secrets_manager("k")
        ),
    )  # fmt: skip
    with pytest.raises(
        DownloaderConfigError, match=r"trim=Trim\.fields\('players'.*HTTP Task"
    ) as e:
        DownloaderPattern(
            stack, "P", **EVE_PROPS, trim=Trim.fields("players"),
            transport=Transport.http_task(connection),
        )  # fmt: skip
    assert "Fix: use transport=Transport.api_gateway()" in str(e.value)


def test_a_template_over_300_kb_is_refused() -> None:
    message = _refused(trim=Trim.template("#set($x = 1)" + " " * 300_000))
    assert "trim='<template of 300,012 bytes>'" in message
    assert "300 KB" in message and "Fix: shorten the template" in message
    # 300,001 bytes are too many; 300,000 are not.
    assert "<template of 300,001 bytes>" in _refused(
        trim=Trim.template("#set($x = 1)".ljust(300_001))
    )
    DownloaderPattern(
        cdk.Stack(cdk.App(), "S"),
        "P",
        **EVE_PROPS,
        trim=Trim.template("#set($x = 1)".ljust(300_000)),
    )


@pytest.mark.parametrize(
    ("trim", "expected"),
    [
        (Trim.fields(), "needs at least one field name"),
        (Trim.fields("price", "price"), "lists a field twice"),
        (Trim.fields("a b"), "trim='a b': is not a field name"),
        (Trim.fields("id", items_path="data"), "trim.items_path='data'"),
        (Trim.fields("id", items_path="$..x"), "trim.items_path='$..x'"),
        (Trim.template("  "), "needs a mapping template"),
        ("fields", "trim='fields': is not a Trim (it is a str). Fix: use Trim.fields"),
    ],
)
def test_bad_trim_settings_are_refused(trim: Any, expected: str) -> None:
    assert expected in _refused(trim=trim)


def test_a_query_parameter_api_gateway_cannot_map_is_refused() -> None:
    message = _refused(path="/v1/x?filter[type]=1", trim=Trim.fields("id"))
    assert "trim='filter[type]'" in message and "^[a-zA-Z0-9._$-]+$" in message


def _mapped_names(pagination: Pagination) -> set[str]:
    stack = cdk.Stack(cdk.App(), "S")
    DownloaderPattern(
        stack, "P", **{**EVE_PROPS, "result_selector": None, "path": "/v1/issues?per_page=2",
                       "item": {"issues": ItemField.json("$.ResponseBody")}},
        pagination=pagination, trim=Trim.fields("number"),
    )  # fmt: skip
    method = next(
        r for r in Template.from_stack(stack).to_json()["Resources"].values()
        if r["Type"] == "AWS::ApiGateway::Method"
    )  # fmt: skip
    mapped = method["Properties"]["Integration"]["RequestParameters"]
    prefix = "integration.request.querystring."
    for name, source in mapped.items():
        if name.startswith(prefix):
            assert source == f"method.request.multivaluequerystring.{name[len(prefix) :]}"
    return {name[len(prefix) :] for name in mapped if name.startswith(prefix)}


@pytest.mark.parametrize(
    "pagination",
    [Pagination.link_header(max_pages=5), Pagination.next_url(path="$.ResponseBody.next")],
    ids=["link_header", "next_url"],
)
def test_trim_with_next_page_urls_maps_the_names_next_links_carry(
    pagination: Pagination,
) -> None:
    """A next URL's query (``page=2``, ``after=...``) is the API's choice, and the non-proxy
    integration passes on only the names it maps (dropping another would store page 1 again
    as pages 2, 3, ...: measured locally before names were mapped). By default the names APIs
    commonly write into next links are mapped, beside the path's own; a link with another
    fails the run (``Downloader.UnmappedQueryName``, see test_pages_compose_local)."""
    names = _mapped_names(pagination)
    assert {"per_page", "page", "cursor", "after", "page_token", "since"} <= names
    assert names == {"per_page", *NEXT_LINK_QUERY_NAMES}


def test_declared_query_names_are_the_only_ones_mapped() -> None:
    names = _mapped_names(Pagination.link_header(query_names=["page", "after_token"]))
    assert names == {"per_page", "page", "after_token"}


@pytest.mark.parametrize(
    ("pagination", "expected"),
    [
        (
            Pagination.link_header(query_names="page"),  # type: ignore[arg-type]
            "pagination.query_names='page': is not a list of query parameter names",
        ),
        (
            Pagination.next_url(query_names=["a b"]),
            "pagination.query_names=('a b',): is not a list of query parameter names",
        ),
        (
            Pagination.link_header(query_names=["page[x]"]),
            "trim='page[x]': the query parameter cannot be mapped by the trimming proxy",
        ),
    ],
    ids=["a string", "white space", "brackets, through a non-proxy integration"],
)
def test_bad_query_names_are_refused(pagination: Pagination, expected: str) -> None:
    message = _refused(
        path="/repos/o/r/issues?per_page=2", pagination=pagination, trim=Trim.fields("number"),
        result_selector=None, item={"issues": ItemField.json("$.ResponseBody")},
    )  # fmt: skip
    assert expected in message


def test_trim_with_a_paginator_whose_parameter_is_known_is_built() -> None:
    stack = cdk.Stack(cdk.App(), "S")
    DownloaderPattern(
        stack, "P", **{**EVE_PROPS, "result_selector": None, "path": "/v1/issues?per_page=2",
                       "item": {"issues": ItemField.json("$.ResponseBody")}},
        pagination=Pagination.page_number(param="page"), trim=Trim.fields("number"),
    )  # fmt: skip
    method = next(
        r for r in Template.from_stack(stack).to_json()["Resources"].values()
        if r["Type"] == "AWS::ApiGateway::Method"
    )  # fmt: skip
    mapped = method["Properties"]["Integration"]["RequestParameters"]
    assert mapped["integration.request.querystring.page"] == (
        "method.request.multivaluequerystring.page"
    )


def test_trim_is_json_serializable_in_its_repr() -> None:
    assert repr(Trim.fields("a", items_path="$.d")) == "Trim.fields('a', items_path='$.d')"
    assert json.dumps(repr(Trim.template("x")))


def test_headers_read_by_the_item_are_forwarded_without_a_selector() -> None:
    stack = cdk.Stack(cdk.App(), "S")
    pattern = DownloaderPattern(
        stack, "P", endpoint="https://api.example.com", path="/v1/x",
        item={"v": ItemField.string("$.Headers['X-Version'][0]")}, trim=Trim.fields("id"),
    )  # fmt: skip
    scenario = Scenario(stack, cdk.assertions.Template.from_stack(stack), {"p": pattern})
    success = responses_by_pattern(method_of(scenario, "p"))["200"]["ResponseParameters"]
    assert "method.response.header.X-Version" in success


def test_fan_out_targets_and_overridable_query_are_mapped() -> None:
    from sfn_downloader import FanOut, Starts

    stack = cdk.Stack(cdk.App(), "S")
    fan = DownloaderPattern(
        stack, "Fan", endpoint="https://api.example.com",
        fan_out=FanOut.paths(["/v1/a?x=1", "/v1/b?y=2&y=3"]),
        item={"v": ItemField.json("$.ResponseBody")}, trim=Trim.fields("id"),
    )  # fmt: skip
    over = DownloaderPattern(
        stack, "Over", endpoint="https://api.example.com", path="/v1/c?region=1&kind=a",
        starts=Starts.on_demand(overridable_query=["region"]),
        item={"v": ItemField.json("$.ResponseBody")}, trim=Trim.fields("id"),
    )  # fmt: skip
    scenario = Scenario(stack, cdk.assertions.Template.from_stack(stack), {"f": fan, "o": over})
    for key, names in (("f", ["x", "y"]), ("o", ["region", "kind"])):
        mapped = method_of(scenario, key)["Integration"]["RequestParameters"]
        for name in names:
            assert mapped[f"integration.request.querystring.{name}"] == (
                f"method.request.multivaluequerystring.{name}"
            )


@pytest.mark.parametrize(
    "statuses",
    [UNLISTED_2XX, [209], [201, 203, 204, 205, 206, 208], [400, 401, 499], list(range(500, 600))],
)
def test_a_status_pattern_matches_exactly_its_statuses(statuses: list[int]) -> None:
    """Anchored: the same statuses whether API Gateway matches the whole code or searches it."""
    import re

    pattern = status_pattern(statuses)
    for status in range(100, 1000):
        assert bool(re.fullmatch(pattern, str(status))) == (status in statuses), status
        assert bool(re.search(pattern, str(status))) == (status in statuses), status


def test_the_unlisted_successes_are_one_integration_response(trimmed: Scenario) -> None:
    """400 integration responses became 311 (one per kept status, one for the 90 other 2xx,
    the default); every kept status still has its own."""
    method = method_of(trimmed, "p")
    assert len(method["Integration"]["IntegrationResponses"]) == 300 + len(KEPT_SUCCESS) + 2
    assert len(method["MethodResponses"]) == 300 + len(KEPT_SUCCESS)


@pytest.mark.slow
def test_thirteen_trimmed_market_downloaders_fit_one_template() -> None:
    """Issue 25 item 8: 13 downloaders shaped like the JitaOrders example (Trim.fields of 5
    names, page_count pages) give a minified template under CloudFormation's 1,000,000 bytes
    (measured 992,524 with Content-Encoding mapped on every kept success, issue 25 item 14;
    1,087,912 before the unlisted 2xx shared one integration response)."""
    app = cdk.App()
    stack = cdk.Stack(
        app, "Market", env=cdk.Environment(account="123456789012", region="us-east-1")
    )
    for index in range(13):
        DownloaderPattern(
            stack, f"JitaOrders{index}", endpoint="https://esi.evetech.net",
            path="/v1/markets/10000002/orders/?order_type=all",
            pagination=Pagination.page_count(header="X-Pages"), trim=Trim.fields(*ORDER_FIELDS),
            item={"orders": ItemField.json("$.ResponseBody")},
        )  # fmt: skip
    template = app.synth().get_stack_by_name("Market").template
    assert len(json.dumps(template, separators=(",", ":"))) < 1_000_000


def test_headers_the_states_read_are_mapped_by_their_lower_case_name_too(
    trimmed: Scenario,
) -> None:
    """API Gateway maps header names case-sensitively: X-Pages (read by page_count) is also
    mapped as x-pages, to a method response header of that name; the defaults nobody reads are
    not doubled (template size, issue 25 item 8)."""
    method = method_of(trimmed, "p")
    success = responses_by_pattern(method)["200"]["ResponseParameters"]
    assert success["method.response.header.x-pages"] == (
        "integration.response.multivalueheader.x-pages"
    )
    assert "method.response.header.etag" not in success
    [ok] = [r for r in method["MethodResponses"] if r["StatusCode"] == "200"]
    assert ok["ResponseParameters"]["method.response.header.x-pages"] is False


def test_content_encoding_is_handed_over_on_every_kept_success(
    trimmed: Scenario, retry_after: Scenario
) -> None:
    """Issue 25 item 14: the checked downloads refuse a compressed answer by its
    ``Content-Encoding``, which a non-proxy integration passes on only when mapped: every kept
    success with a body (200, 201, 203, 206...) and retry_after's throttled answers (handed over
    as a 200) map it by both spellings, each to a header its method response declares; a
    success without a body (204, 205) has nothing to refuse."""
    for scenario, key in ((trimmed, "p"), (retry_after, "status")):
        method = method_of(scenario, key)
        by_pattern = responses_by_pattern(method)
        declared = {r["StatusCode"]: r.get("ResponseParameters") for r in method["MethodResponses"]}
        for name in ("Content-Encoding", "content-encoding"):
            target = f"method.response.header.{name}"
            source = f"integration.response.multivalueheader.{name}"
            for status in map(str, TRIMMED_STATUSES):
                assert by_pattern[status]["ResponseParameters"][target] == source, status
                assert declared[status][target] is False, status
            for status in map(str, BODYLESS_STATUSES):
                assert target not in by_pattern[status]["ResponseParameters"], status
                assert target not in declared[status], status
        if scenario is retry_after:
            throttled = by_pattern["429"]["ResponseParameters"]
            assert throttled["method.response.header.Content-Encoding"] == (
                "integration.response.multivalueheader.Content-Encoding"
            )
