"""The next-link checks (``transport/_url.py``) against what they stand for: JSONata 2.0.6's
``$decodeUrlComponent`` (ECMAScript's ``decodeURIComponent``), which throws on any ``%`` that
does not start a percent-encoded UTF-8 character, and RFC 3986's percent-encoding."""

from __future__ import annotations

import itertools
import re

import pytest

from sfn_downloader.local._jsonata_node import process
from sfn_downloader.transport._url import url_problem

PIECES = (
    "a", "/", "?q=", "%", "%2", "%41", "%7f", "%80", "%C2%80", "%c3%a9", "%C0%80", "%C1%BF",
    "%E0%80%80", "%E0%A0%80", "%ED%9F%BF", "%ED%A0%80", "%EF%BF%BF", "%F0%8F%BF%BF",
    "%F0%90%80%80", "%F4%8F%BF%BF", "%F4%90%80%80", "%F5%80%80%80", "%FF", "%G0", "%%", "\n",
    "\x7f",
)  # fmt: skip
LINKS = ["".join(pair) for pair in itertools.product(PIECES, repeat=2)]
"""Every pair of pieces (729 links): boundaries, overlong forms, surrogates, truncations."""


def _problems(links: list[str], *, utf8: bool) -> list[str]:
    expression = f"$append([], $map($links, function($x) {{ {url_problem('$x', utf8=utf8)} }}))"
    result = process().evaluate(expression, {"links": links})
    assert result.error is None, result.error
    return list(result.value)


def test_the_proxy_refuses_exactly_what_decode_url_component_throws_on() -> None:
    problems = _problems(LINKS, utf8=True)
    for link, problem in zip(LINKS, problems, strict=True):
        decoded = process().evaluate("$decodeUrlComponent($x)", {"x": link})
        control = re.search(r"[\x00-\x1f\x7f]", link) is not None
        assert (problem == "") == (decoded.error is None and not control), (link, problem)


def test_the_http_task_refuses_what_is_no_uri_only() -> None:
    """``%E9`` (Latin-1) is a URI: the HTTP Task sends the link as written."""
    problems = _problems(LINKS, utf8=False)
    for link, problem in zip(LINKS, problems, strict=True):
        no_uri = re.search(r"%(?![0-9A-Fa-f]{2})|[\x00-\x1f\x7f]", link) is not None
        assert (problem != "") == no_uri, (link, problem)


@pytest.mark.parametrize(
    ("link", "reason"),
    [
        ("/a?q=%ZZ", "does not start a percent-encoded UTF-8 character"),
        ("/a\tb", "holds a control character"),
    ],
)
def test_the_reason_says_what_is_wrong(link: str, reason: str) -> None:
    assert reason in _problems([link], utf8=True)[0]
