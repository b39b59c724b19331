"""The local mapping-template adapter (local/_vtl.py): API Gateway's variables and limits."""

from __future__ import annotations

import json

import pytest

from sfn_downloader.local._vtl import VtlError, check_installed, check_template, render
from sfn_downloader.local.errors import LocalRunnerError


def out(vtl: str, body: object = None, **params: dict[str, str]) -> str:
    data = b"" if body is None else json.dumps(body).encode()
    return render(vtl, body=data, params=params, context={"stage": "prod"}).body


def test_escape_javascript_escapes_single_quotes_as_the_guide_warns() -> None:
    assert out("$util.escapeJavaScript($input.path('$.s'))", {"s": 'it\'s "x" \\ /'}) == (
        'it\\\'s \\"x\\" \\\\ \\/'
    )
    # The guide's fix for JSON: turn \' back into '.
    fixed = out(
        '"$util.escapeJavaScript($input.path(\'$.s\')).replaceAll("\\\\\'","\'")"',
        {"s": "it's\n\u00e9"},
    )
    assert json.loads(fixed) == "it's\n\u00e9"


def test_util_functions() -> None:
    vtl = (
        "$util.urlEncode('a b&c=d/é') $util.urlDecode('a+b%26c') "
        "$util.base64Encode('hé') $util.base64Decode('aMOp') "
        "$util.parseJson('{\"k\": [1, 2]}').k.size()"
    )
    assert out(vtl) == "a+b%26c%3Dd%2F%C3%A9 a b&c aMOp hé 2"


def test_input_variables() -> None:
    vtl = (
        "$input.json('$.a') $input.path('$.a').b.size() $input.params('page') "
        "$input.params('Accept') $input.body.length() $context.stage"
    )
    text = out(vtl, {"a": {"b": [1, None]}}, querystring={"page": "2"}, header={"Accept": "x"})
    assert text == '{"b":[1,null]} 2 2 x 23 prod'  # the body as sent: 23 characters


def test_response_override_sets_the_status_and_a_header() -> None:
    rendered = render(
        "#set($context.responseOverride.status = 418)"
        '#set($context.responseOverride.header.X-Why = "tea"){}',
        body=b"{}", params={}, context={},
    )  # fmt: skip
    assert (rendered.status, rendered.headers, rendered.body) == (418, {"X-Why": "tea"}, "{}")


def test_input_json_of_nothing_is_not_guessed() -> None:
    with pytest.raises(VtlError, match=r"matches nothing.*no API Gateway document"):
        out("$input.json('$.missing')", {})
    assert out("[$input.path('$.missing')]", {}) == "[]"  # a null reference


def test_foreach_is_limited_to_1000_iterations() -> None:
    loop = "#foreach($x in $input.path('$'))#end"
    assert out(loop, list(range(1_000))) == ""
    with pytest.raises(VtlError, match=r"#foreach over 1,001 items"):
        out(loop, list(range(1_001)))


@pytest.mark.parametrize(
    ("vtl", "message"),
    [
        ("x" * 300_001, "300,001 bytes"),
        ("#if($a)", "opens 1 .* closes 0"),
        ("#foreach($x in $l)#break#end", "#break is not emulated"),
        ("#include('x')", "#include is not emulated"),
        ("$input.path('$').toUpperCase()", "toUpperCase"),
    ],
)
def test_what_cannot_be_rendered_as_aws_would_is_refused_before_the_run(
    vtl: str, message: str
) -> None:
    with pytest.raises(LocalRunnerError, match=message):
        check_template(vtl, "here")


def test_comments_are_not_checked() -> None:
    check_template("## #break and .toUpperCase() in a comment\n#* #include *#[]", "here")


def test_the_engine_version_is_checked() -> None:
    check_installed()
    with pytest.raises(LocalRunnerError, match=r"airspeed-ext==0\.6\.9.*0\.7\.1"):
        check_installed("0.7.1")
