"""``Store``: which answers become items: every one (the default), or only the changed ones.

``Store.changes_only()``: after the download, ``AnswerText`` (a JSONPath Pass) assigns
``$answerText = States.JsonToString(<selected result>)`` and ``ReadAnswer`` (JSONata) its hash
in pieces (``_contract.HASH_CHUNK``: ``States.Hash`` takes at most 10,000 characters); one
rule of that Choice compares it with ``resultHash`` in the downloader's state item. Equal:
no item is written, ``RememberUnchanged`` keeps the answer's validators and freshness, and the run
ends in ``Unchanged`` (output ``{"outcome": "unchanged", ...}``). Different (or no hash yet):
``Persist`` stores it and ``Remember`` keeps its hash.

The comparison is meaningful only when the selected result holds nothing that changes from
one answer to the next whatever the content: the raw answer (no ``result_selector``) holds
every response header (``Date`` changes every second), so the rule is: a ``result_selector``
is required, and it may not take ``$.Headers`` whole nor a volatile header
(``VOLATILE_RESPONSE_HEADERS``: ``Date``, ``Age``, request ids, rate-limit counters, ...).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from .._checks import strings_in
from .._contract import VOLATILE_RESPONSE_HEADERS
from ..errors import Problem

_HEADER_READ = re.compile(r"\$\.Headers(?:\.([A-Za-z0-9_-]+)|\[['\"]([^'\"]+)['\"]\])?")


class Store:
    """Which answers a downloader stores. Use the static methods to create one."""

    def __init__(self, *, skips_unchanged: bool) -> None:
        self.skips_unchanged = skips_unchanged
        """True: an answer equal to the last stored one writes no item."""

    @staticmethod
    def every_answer() -> Store:
        """Every answer is an item (the default): a chart has a point every run."""
        return Store(skips_unchanged=False)

    @staticmethod
    def changes_only() -> Store:
        """Only an answer whose selected result differs from the last stored one is an item;
        an unchanged one ends the run with ``{"outcome": "unchanged"}``. Needs a
        ``result_selector`` that reads no volatile response header."""
        return Store(skips_unchanged=True)

    def check(self, result_selector: Mapping[str, Any] | None) -> Iterator[Problem]:
        """The selector must make "equal to the last stored result" meaningful."""
        if not self.skips_unchanged:
            return
        if result_selector is None:
            yield Problem(
                "store",
                "Store.changes_only()",
                "compares the selected result with the last stored one, but without a "
                "result_selector the result is the raw answer, whose headers (Date, request "
                "ids) change on every answer: nothing would ever be unchanged.",
                "pass result_selector={'body.$': '$.ResponseBody'} (or the fields you keep).",
            )
            return
        for path in strings_in(result_selector):
            if path.strip() == "$":
                yield Problem(
                    "store",
                    "Store.changes_only()",
                    "compares the selected result, but result_selector takes '$', the raw "
                    "answer, whose headers (Date, request ids) change on every answer.",
                    "select the body, e.g. {'body.$': '$.ResponseBody'}.",
                )
            for match in _HEADER_READ.finditer(path):
                name = match.group(1) or match.group(2)
                if name is None:
                    yield Problem(
                        "store",
                        "Store.changes_only()",
                        f"compares the selected result, but result_selector takes {path!r}: "
                        "every response header, Date among them, so no two answers are equal.",
                        "select the body (and only stable headers), e.g. "
                        "{'body.$': '$.ResponseBody'}.",
                    )
                elif name.lower() in VOLATILE_RESPONSE_HEADERS:
                    yield Problem(
                        "store",
                        "Store.changes_only()",
                        f"compares the selected result, but result_selector takes {path!r}: "
                        f"{name} changes from one answer to the next whatever the content.",
                        f"drop {name} from result_selector (the downloader remembers "
                        "validators and freshness itself).",
                    )

    def __repr__(self) -> str:
        return "Store.changes_only()" if self.skips_unchanged else "Store.every_answer()"
