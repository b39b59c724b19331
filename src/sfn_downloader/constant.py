"""Constant: a string kept as written where the construct would take it for a JSONPath typo.

In a ``result_selector`` only keys ending in ``.$`` are paths; any other value is a constant.
So ``{"players": "$.ResponseBody.players"}`` (the ``.$`` forgotten) stores the text
``"$.ResponseBody.players"`` on every run: the construct refuses a constant that looks like a
path (starts with ``$.``, ``$[``, ``$$.`` or ``States.``) in a selector, a header value or an
item. ``Constant("$.x")`` says that the text is meant as written.
"""

from __future__ import annotations

from dataclasses import dataclass

PATH_LIKE_PREFIXES = ("$.", "$[", "$$.", "States.")
"""How a JSONPath or an intrinsic function starts: a constant starting so is almost always a
path whose ``.$`` was forgotten."""


@dataclass(frozen=True)
class Constant:
    """A string sent or stored exactly as written, even though it looks like a JSONPath.

    Use it in ``result_selector`` values (``{"source": Constant("$.not_a_path")}``), in
    ``headers`` values, and as an ``item`` attribute (a constant string attribute, ``S``).
    """

    value: str
    """The text, as written."""


def looks_like_a_path(value: object) -> bool:
    """True for a plain string that starts like a JSONPath or an intrinsic function."""
    return isinstance(value, str) and value.startswith(PATH_LIKE_PREFIXES)
