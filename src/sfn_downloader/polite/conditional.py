"""``conditional=True``: send back the validators of the last remembered answer.

- ``ReadState``'s own ``Assign`` computes ``$requestHeaders`` (``header_assign``): the
  downloader's own headers plus ``If-None-Match: <etag>`` and ``If-Modified-Since:
  <last-modified>`` when the state item holds them; the download reads its headers from there
  (``Headers.$``). A trimming proxy maps both headers by name (a non-proxy integration passes
  nothing it does not map); the HTTP_PROXY integration passes every request header through.
- ``apigateway:invoke`` fails every non-2xx answer, ``304`` included, with
  ``ApiGateway.<status>`` ("Call API Gateway with Step Functions", Error handling: "A status
  code of 2XX indicates success ... All other status codes ... will result in an error"). So
  the download catches ``ApiGateway.304`` and the run ends in ``NotModified``: a success, no
  item, nothing retried (the default retry policy retries 429 and 5xx only).
- The validators are written by ``Remember``, after ``Persist`` (only an answer that was
  stored, or one equal to the stored one, is described by them), from the raw answer's
  ``ETag`` and ``Last-Modified`` headers (their first value, names compared case-insensitively).
  A failed run never reaches ``Remember``: the next run asks with the old validators.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from .._contract import (
    ETAG_ATTRIBUTE,
    LAST_MODIFIED_ATTRIBUTE,
    REQUEST_HEADERS_VARIABLE,
)
from .._memory import StateItem

IF_NONE_MATCH = "If-None-Match"
IF_MODIFIED_SINCE = "If-Modified-Since"


def header_assign(static: Mapping[str, list[str]], item: str | None = None) -> dict[str, str]:
    """``$requestHeaders`` from the static headers and the validators in ``$stateItem``
    (``item``: read there instead: ``ReadState``'s own ``$states.result``).

    ``static`` values may hold a definition substitution (``${AuthHeaderValue}``): it is
    replaced in the definition text, inside this expression's JSON literal, as it is in a
    task's static ``Headers``."""
    read = {} if item is None else {"item": item}
    etag = StateItem.value(ETAG_ATTRIBUTE, "''", **read)
    modified = StateItem.value(LAST_MODIFIED_ATTRIBUTE, "''", **read)
    expression = (
        f"($e := {etag}; $m := {modified}; "
        f"$merge([{json.dumps(dict(static))}, "
        f"$e != '' ? {{'{IF_NONE_MATCH}': [$e]}} : {{}}, "
        f"$m != '' ? {{'{IF_MODIFIED_SINCE}': [$m]}} : {{}}]))"
    )
    return {REQUEST_HEADERS_VARIABLE: "{% " + expression + " %}"}


def validators() -> dict[str, str]:
    """JSONata (inside ``ReadAnswer``, ``$header`` defined): what ``Remember`` writes."""
    return {
        ETAG_ATTRIBUTE: "$header('etag')",
        LAST_MODIFIED_ATTRIBUTE: "$header('last-modified')",
    }
