"""The request value at synth: POST with a JSON body on both transports, the cursor in the body,
GraphQL's errors check, time placeholders in a body, and the refusals (issue 22)."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest

from sfn_downloader import (
    DownloaderConfigError,
    DownloaderPattern,
    FanOut,
    ItemField,
    Pagination,
    Window,
)

from scenarios import GRAPHQL_QUERY, Scenario, definition, state_machines

BODY = {"query": GRAPHQL_QUERY, "variables": {"owner": "aws", "name": "cdk", "first": 2}}
ITEM = {"answer": ItemField.json("$.ResponseBody")}


def resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: r for k, r in template["Resources"].items() if r["Type"] == kind}


def role_statements(scenario: Scenario, prefix: str) -> list[dict[str, Any]]:
    """The statements of the default policy of ``prefix``'s state machine role."""
    policies = resources(scenario.json, "AWS::IAM::Policy")
    return [
        statement
        for logical_id, policy in policies.items()
        if logical_id.startswith(f"{prefix}StateMachineRoleDefaultPolicy")
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def test_a_posting_downloader_has_one_post_method_on_its_proxy(graphql: Scenario) -> None:
    methods = resources(graphql.json, "AWS::ApiGateway::Method")
    by_downloader = {
        logical_id.split("Proxy")[0]: (
            method["Properties"]["HttpMethod"],
            method["Properties"]["Integration"]["IntegrationHttpMethod"],
        )
        for logical_id, method in methods.items()
    }
    assert by_downloader == {
        "Issues": ("POST", "POST"),
        "Search": ("POST", "POST"),
        "Since": ("POST", "POST"),
    }


def test_the_role_may_invoke_the_downloaders_method_only(graphql: Scenario) -> None:
    invoked = [
        resource
        for statement in role_statements(graphql, "Issues")
        if statement["Action"] == "execute-api:Invoke"
        for resource in (
            statement["Resource"]
            if isinstance(statement["Resource"], list)
            else [statement["Resource"]]
        )
    ]
    joined = [graphql.resolve(r) for r in invoked]
    text = str(joined)
    assert "/prod/POST/graphql" in text
    assert "/GET/" not in text


def test_the_http_task_role_is_denied_every_other_method(graphql_http: Scenario) -> None:
    denied = [
        s["Condition"]["StringNotEquals"]["states:HTTPMethod"]
        for s in role_statements(graphql_http, "Issues")
        if s["Effect"] == "Deny" and "StringNotEquals" in s.get("Condition", {})
    ]
    assert denied == ["POST"]


@pytest.mark.parametrize("fixture", ["graphql", "graphql_http"])
def test_the_first_page_sends_the_body_as_declared_and_the_next_one_the_cursor_in_it(
    fixture: str, request: pytest.FixtureRequest
) -> None:
    scenario: Scenario = request.getfixturevalue(fixture)
    states = definition(scenario, "Issues")["States"]
    # The page loop carries the body in its state: the first page's as declared, ...
    assert states["FirstRequest"]["Result"]["request"]["body"] == BODY
    download = states["DownloadPage"]
    assert download["Arguments"]["Method"] == "POST"
    assert download["Arguments"]["RequestBody"] == "{% $states.input.`request`.`body` %}"
    # ... each next one with the cursor written into it (the other members kept).
    step = download["Assign"]["loop"]
    assert (
        '{"next": $url, "body": $merge([$in.request.body, {"variables": '
        '$merge([$in.request.body.`variables`, {"after": $cursor}])}])}'
    ) in step
    assert "{'body': $exists($step.body) ? $step.body : $in.request.body}" in step
    # No cursor query parameter: body_path replaces `param`.
    assert "$setParam($url" not in step.split("$cursor :=")[1]
    headers = download["Arguments"]["Headers"]
    assert headers == ({"Content-Type": ["application/json"]} if fixture == "graphql"
                       else {"Content-Type": "application/json"})  # fmt: skip


def test_graphql_answers_are_checked_for_errors_before_anything_is_stored(
    graphql: Scenario,
) -> None:
    states = definition(graphql, "Issues")["States"]
    # The checked page loop (issue 28(a)): the raw page is the Choice's input.
    assert states["DownloadPage"]["Next"] == "AnswerHasErrors"
    assert states["AnswerHasErrors"]["Choices"] == [
        {"Variable": "$.ResponseBody.errors", "IsPresent": True, "Next": "AnswerErrors"}
    ]
    assert states["AnswerHasErrors"]["Default"] == "PersistPage"
    assert states["AnswerErrors"]["Error"] == "Downloader.AnswerErrors"
    assert "$loop.stored" in states["AnswerErrors"]["CausePath"]  # names the page
    # A plain JSON POST (no `query` member) is not GraphQL: no check.
    assert "AnswerHasErrors" not in definition(graphql, "Search")["States"]


def test_has_more_path_false_ends_the_loop_and_true_without_a_cursor_fails(
    graphql: Scenario,
) -> None:
    step = definition(graphql, "Issues")["States"]["DownloadPage"]["Assign"]["loop"]
    more = "$raw.`ResponseBody`.`data`.`repository`.`issues`.`pageInfo`.`hasNextPage`"
    assert f"{more} = true ? ($exists($cursor)" in step
    assert '"name": "Downloader.CursorMissing"' in step
    # A paging error is stored first (PersistPage), then MorePages fails the run.
    states = definition(graphql, "Issues")["States"]
    assert states["MorePages"]["Choices"][0] == {
        "Variable": "$.pagingError", "IsPresent": True, "Next": "PagingFailed"
    }  # fmt: skip


def test_time_placeholders_in_a_body_are_computed_and_other_braces_sent_as_written(
    graphql: Scenario,
) -> None:
    states = definition(graphql, "Since")["States"]
    body = states["ComputeRequest"]["Assign"]["requestBody"]
    assert body["query"].startswith("query($since: DateTime!) { viewer {")  # as written
    assert body["variables"]["since"].startswith("{% $fromMillis(($toMillis(")
    assert body["variables"]["until"].endswith("'[Y0001]-[M01]-[D01]') %}")
    assert states["Download"]["Parameters"]["RequestBody.$"] == "$requestBody"
    # Literal braces in a body without placeholders are not computed at all.
    search = definition(graphql, "Search")["States"]
    assert "ComputeRequest" not in search
    assert search["DownloadPage"]["Arguments"]["RequestBody"]["note"] == "{not a placeholder}"


def test_a_get_downloader_sends_no_body_and_keeps_its_get_method(default: Scenario) -> None:
    [download] = [
        s for s in definition(default)["States"].values() if s.get("Type") == "Task"
        and "apigateway" in s.get("Resource", "")
    ]  # fmt: skip
    assert download["Arguments"]["Method"] == "GET"
    assert "RequestBody" not in download["Arguments"]
    assert [m["Properties"]["HttpMethod"] for m in
            resources(default.json, "AWS::ApiGateway::Method").values()] == ["GET"]  # fmt: skip
    assert len(state_machines(default.json)) == 1


# --- refusals, at construction (no synth) -----------------------------------------------------


def build(**props: Any) -> DownloaderPattern:
    stack = cdk.Stack(cdk.App(), "S")
    return DownloaderPattern(
        stack, "D", **{"endpoint": "https://api.example.com", "path": "/graphql", "item": ITEM,
                       **props},
    )  # fmt: skip


REFUSED: list[tuple[str, dict[str, Any], str]] = [
    ("put", {"method": "PUT"}, r"method='PUT': is not a method a downloader makes \('GET', "
                               r"'POST'\)\. Fix: use one of"),
    ("lower-case", {"method": "post"}, r"method='post': .* Fix: write method='POST'"),
    ("body-with-get", {"body": BODY}, r"body=.*: is given with method='GET': a GET request "
                                      r"carries no body .*Fix: pass method='POST'"),
    ("not-json", {"method": "POST", "body": {"ids": {1, 2}}},
     r"body=.*: is not JSON .*Fix: use only str, int"),
    ("selector-key", {"method": "POST", "body": {"query": "q", "variables.$": "$.x"}},
     r"body='variables\.\$': ends with '\.\$'"),
    ("body-path-no-body", {"pagination": Pagination.cursor(next_path="$.ResponseBody.next",
                                                           body_path="$.variables.after")},
     r"pagination\.body_path='\$\.variables\.after': writes the cursor into the body, but the "
     r"downloader sends no body"),
    ("body-path-not-members", {"method": "POST", "body": BODY, "pagination": Pagination.cursor(
        next_path="$.ResponseBody.next", body_path="$.variables[0]")},
     r"pagination\.body_path='\$\.variables\[0\]': is not a path of member names"),
    ("has-more-outside", {"method": "POST", "body": BODY, "pagination": Pagination.cursor(
        next_path="$.ResponseBody.next", body_path="$.variables.after", has_more_path="$.more")},
     r"pagination\.has_more_path='\$\.more': is not a JSONPath into the raw answer"),
    ("body-path-fan-out", {"method": "POST", "body": BODY, "path": None,
                           "fan_out": FanOut.paths(["/graphql", "/v2/graphql"]),
                           "pagination": Pagination.cursor(next_path="$.ResponseBody.next",
                                                           body_path="$.variables.after")},
     r"pagination\.body_path='\$\.variables\.after': is not supported in a fan-out yet"),
    ("graphql-page-count", {"method": "POST", "body": BODY,
                            "pagination": Pagination.page_count()},
     r"body=.*: is a GraphQL request, whose answers may hold `errors` with HTTP 200"),
    ("placeholder-format", {"method": "POST", "body": {"since": "{window_start:day}"},
                            "window": Window.last(cdk.Duration.hours(1))},
     r"body='\{window_start:day\}': formats \{window_start\} as 'day', which is not a format"),
    ("placeholder-fan-out", {"method": "POST", "body": {"since": "{scheduled_time}"},
                             "path": None, "fan_out": FanOut.paths(["/a", "/b"])},
     r"body='\{scheduled_time\}': is a time placeholder, which is not supported with fan_out"),
    ("placeholder-without-window", {"method": "POST", "body": {"since": "{window_start}"}},
     r"body='\{window_start\}': has \{window_start\} but no window is given"),
]  # fmt: skip


@pytest.mark.parametrize(("props", "message"), [(p, m) for _, p, m in REFUSED],
                         ids=[i for i, _, _ in REFUSED])  # fmt: skip
def test_bad_request_props_are_refused_naming_the_prop_and_the_fix(
    props: dict[str, Any], message: str
) -> None:
    with pytest.raises(DownloaderConfigError, match=message):
        build(**props)


def test_graphql_errors_selected_as_data_are_not_checked() -> None:
    pattern = build(
        method="POST", body=BODY, pagination=Pagination.page_number(),
        result_selector={"data.$": "$.ResponseBody.data", "errors.$": "$.ResponseBody.errors"},
        item={"answer": ItemField.json("$")},
    )  # fmt: skip
    assert pattern.state_machine is not None


def test_a_json_body_with_its_own_content_type_keeps_it() -> None:
    pattern = build(
        method="POST", body={"q": 1}, headers={"content-type": "application/vnd.api+json"}
    )
    template = cdk.assertions.Template.from_stack(cdk.Stack.of(pattern))
    rendered = str(template.to_json())
    assert "application/vnd.api+json" in rendered
    assert "'Content-Type'" not in rendered


def test_a_graphql_single_request_without_selector_checks_then_persists(
    graphql: Scenario,
) -> None:
    states = definition(graphql, "Since")["States"]
    assert states["AnswerHasErrors"]["Default"] == "AnswerChecked"
    # A compressed answer fails there too: one rule more, no state on success (issue 25, 14).
    assert states["AnswerHasErrors"]["QueryLanguage"] == "JSONata"
    assert [rule["Next"] for rule in states["AnswerHasErrors"]["Choices"]] == [
        "AnswerCompressed", "AnswerErrors"
    ]  # fmt: skip
    assert states["AnswerCompressed"]["Error"] == "Downloader.CompressedAnswer"
    assert states["AnswerChecked"] == {"Type": "Pass", "Next": "Persist"}
