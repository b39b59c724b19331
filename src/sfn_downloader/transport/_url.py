"""What makes a next link (a ``Link`` header's or a next URL's, resolved to ``/path?query``)
impossible to turn into a request, as JSONata expressions the page loop evaluates before it
stores the page that carried the link.

Each expression gives ``""`` for a link a transport can request, else the reason (a clause that
follows "the link ..."). JSONata cannot catch an error, so a link that would make
``request_from_url`` throw must be recognised first: else ``NextRequest`` fails with
``States.QueryEvaluationError`` before ``PersistPage``, and the page that carried the link is lost.
"""

from __future__ import annotations

_HEX = "[0-9A-F]"
_TAIL = "%[89AB]" + _HEX
"""A continuation byte (``10xxxxxx``), percent-encoded."""

UTF8_PERCENT_SEQUENCE = "|".join(
    (
        "%[0-7]" + _HEX,  # U+0000..U+007F
        "%(?:C[2-9A-F]|D" + _HEX + ")" + _TAIL,  # 2 bytes, no overlong C0/C1
        "%E0%[AB]" + _HEX + _TAIL,  # 3 bytes, no overlong
        "%E[1-9A-CEF]" + _TAIL + _TAIL,
        "%ED%[89]" + _HEX + _TAIL,  # no UTF-16 surrogates (U+D800..U+DFFF)
        "%F0%[9AB]" + _HEX + _TAIL + _TAIL,  # 4 bytes, no overlong
        "%F[1-3]" + _TAIL + _TAIL + _TAIL,
        "%F4%8" + _HEX + _TAIL + _TAIL,  # up to U+10FFFF
    )
)
"""A regular expression (compared case-insensitively) of one percent-encoded UTF-8 character:
the sequences ECMAScript's ``decodeURIComponent`` (JSONata's ``$decodeUrlComponent``) decodes;
it throws ``URIError`` on any other ``%`` (ECMA-262, "Decode": the octets must be a valid UTF-8
encoding of a code point, RFC 3629). Checked against Node's ``decodeURIComponent`` on 400,000
random sequences (``tests/test_url.py`` compares it with JSONata 2.0.6 on every pair of 27
pieces)."""

CONTROL_CHARACTER = "[\\u0000-\\u001F\\u007F]"
"""C0 controls and DEL: no URI holds them raw (RFC 3986, 2)."""


def url_problem(url: str, *, utf8: bool) -> str:
    """A JSONata expression: ``""`` when ``url`` (a JSONata expression of a ``/path?query``)
    can be requested, else why not.

    Every transport refuses a control character and a ``%`` that does not start two hex digits
    (RFC 3986, 2.1: not a URI). ``utf8``: the transport decodes the link once
    (``$decodeUrlComponent``, the proxy's ``request_from_url``), so every ``%`` must also start
    a percent-encoded UTF-8 character."""
    if utf8:
        percent = (
            f'$contains($replace($u, /{UTF8_PERCENT_SEQUENCE}/i, ""), "%") ? "holds a % that '
            "does not start a percent-encoded UTF-8 character (RFC 3986, 2.1; RFC 3629), so it "
            'cannot be decoded into the request"'
        )
    else:
        percent = (
            f'$contains($u, /%(?!{_HEX}{{2}})/i) ? "holds a % not followed by two hex digits '
            '(RFC 3986, 2.1: not a URI)"'
        )
    return (
        f'($u := {url}; $contains($u, /{CONTROL_CHARACTER}/) ? "holds a control character '
        f'(RFC 3986, 2: not a URI)" : {percent} : "")'
    )
