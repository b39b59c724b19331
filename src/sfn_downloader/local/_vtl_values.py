"""The values a mapping template sees locally: JSON as Java-like maps and lists, and ``$util``
as the API Gateway developer guide's mapping template reference defines it (see ``_vtl.py``)."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote_plus, unquote_plus

from .errors import LocalRunnerError


class VtlError(LocalRunnerError):
    """A template that cannot be rendered as API Gateway would (the proxy then answers 500)."""


class JavaMap(dict[str, Any]):
    """A JSON object as a Velocity template sees it: a ``java.util.Map``."""

    def containsKey(self, key: object) -> bool:
        return key in self

    def keySet(self) -> list[str]:
        return list(self.keys())

    def entrySet(self) -> list[JavaMap]:
        return [JavaMap(key=k, value=v) for k, v in self.items()]

    def size(self) -> int:
        return len(self)

    def isEmpty(self) -> bool:
        return not self

    def put(self, key: str, value: Any) -> Any:
        previous = self.get(key)
        self[key] = value
        return previous

    def putAll(self, other: Mapping[str, Any]) -> None:
        self.update(other)

    def remove(self, key: str) -> Any:
        return self.pop(key, None)

    def toString(self) -> str:
        return str(self)

    def __str__(self) -> str:
        return "{" + ", ".join(f"{k}={java_text(v)}" for k, v in self.items()) + "}"


class JavaList(list[Any]):
    """A JSON array as a Velocity template sees it: a ``java.util.List``."""

    def size(self) -> int:
        return len(self)

    def isEmpty(self) -> bool:
        return not self

    def contains(self, value: object) -> bool:
        return value in self

    def add(self, value: Any) -> bool:
        self.append(value)
        return True

    def set(self, index: int, value: Any) -> Any:
        previous = self[index]
        self[index] = value
        return previous

    def toString(self) -> str:
        return str(self)

    def __str__(self) -> str:
        return "[" + ", ".join(java_text(v) for v in self) + "]"


class Util:
    """``$util``."""

    @staticmethod
    def escapeJavaScript(value: object) -> str:
        """JavaScript string rules: quotes (single ones too, as the guide warns), backslash,
        ``/``, control characters, and characters outside ASCII as ``\\uXXXX`` (the guide does
        not list each; this follows Apache Commons Lang's ``escapeJavaScript``, the Java
        function of that name)."""
        return "".join(_ESCAPES.get(ch) or _escape_other(ch) for ch in java_text(value))

    @staticmethod
    def parseJson(text: str) -> Any:
        try:
            return java(json.loads(text))
        except (TypeError, ValueError) as error:
            raise VtlError(f"$util.parseJson: not JSON ({error})") from None

    @staticmethod
    def urlEncode(value: object) -> str:
        """application/x-www-form-urlencoded, as java.net.URLEncoder (UTF-8)."""
        return quote_plus(java_text(value), safe="*-._")

    @staticmethod
    def urlDecode(value: object) -> str:
        return unquote_plus(java_text(value))

    @staticmethod
    def base64Encode(value: object) -> str:
        return base64.b64encode(java_text(value).encode()).decode()

    @staticmethod
    def base64Decode(value: object) -> str:
        return base64.b64decode(java_text(value)).decode("utf-8", "replace")


_ESCAPES = {
    "'": "\\'", '"': '\\"', "\\": "\\\\", "/": "\\/",
    "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t",
}  # fmt: skip


def _escape_other(ch: str) -> str:
    code = ord(ch)
    if 32 <= code < 127:
        return ch
    if code > 0xFFFF:  # UTF-16, as Java strings are
        code -= 0x10000
        return f"\\u{0xD800 + (code >> 10):04X}\\u{0xDC00 + (code & 0x3FF):04X}"
    return f"\\u{code:04X}"


def java(value: Any) -> Any:
    if isinstance(value, dict):
        return JavaMap({str(k): java(v) for k, v in value.items()})
    if isinstance(value, list):
        return JavaList(java(v) for v in value)
    return value


def java_text(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
