"""JSONata expressions rendered on one line: readable over several lines in the source, one line
in the definition.

AWS accepts a ``{% %}`` string that spans lines, but asl-validator 4 (a popular ASL linter users
run in CI) checks JSONata strings with ``^\\{% .+ %\\}$`` without dotAll and rejects them. Each
whitespace run that holds a line break, outside the expression's string literals, becomes one
space: the expression means the same (JSONata's whitespace is insignificant outside literals),
and nothing else in the definition changes.
"""

from __future__ import annotations

import json
import re
from typing import Any

import jsii
from aws_cdk import IAnyProducer, IResolveContext, Lazy, Stack
from aws_cdk import aws_stepfunctions as sfn

_OPEN, _CLOSE = "{%", "%}"
_BREAKING = re.compile(r"\s*[\r\n]\s*")
# Private-use characters standing for a token of the definition while its text is parsed.
_TOKEN = "\ue000{}\ue001"
_TOKENS = re.compile("\ue000(\\d+)\ue001")


def one_line(expression: str) -> str:
    """``expression`` with every whitespace run holding a line break, outside its string
    literals (``'...'``, ``"..."``, `` `...` ``), made one space."""
    pieces: list[str] = []
    outside, index, length = 0, 0, len(expression)
    while index < length:
        quote = expression[index]
        if quote not in "'\"`":
            index += 1
            continue
        pieces.append(_BREAKING.sub(" ", expression[outside:index]))
        end = index + 1
        while end < length and expression[end] != quote:
            end += 2 if expression[end] == "\\" else 1
        end = min(end + 1, length)
        pieces.append(expression[index:end])
        index = outside = end
    pieces.append(_BREAKING.sub(" ", expression[outside:]))
    return "".join(pieces)


def _rewrite(value: Any) -> Any:
    if isinstance(value, str):
        if value.startswith(_OPEN) and value.endswith(_CLOSE):
            return one_line(value)
        return value
    if isinstance(value, list):
        return [_rewrite(item) for item in value]
    if isinstance(value, dict):
        return {key: _rewrite(item) for key, item in value.items()}
    return value


def one_line_definition(resolved: Any) -> Any:
    """A resolved ``DefinitionString`` (text, or ``Fn::Join`` of text and intrinsics) with its
    JSONata strings on one line; everything else as it was."""
    if isinstance(resolved, str):
        return json.dumps(_rewrite(json.loads(resolved)), ensure_ascii=False, separators=(",", ":"))
    parts = resolved["Fn::Join"][1]
    tokens = [part for part in parts if not isinstance(part, str)]
    text, count = [], 0
    for part in parts:
        if isinstance(part, str):
            text.append(part)
        else:
            text.append(_TOKEN.format(count))
            count += 1
    rewritten = json.dumps(
        _rewrite(json.loads("".join(text))), ensure_ascii=False, separators=(",", ":")
    )
    pieces: list[Any] = []
    for index, piece in enumerate(_TOKENS.split(rewritten)):
        if index % 2:
            pieces.append(tokens[int(piece)])
        elif piece:
            pieces.append(piece)
    return {"Fn::Join": ["", pieces]}


@jsii.implements(IAnyProducer)
class _OneLineDefinition:
    def __init__(self, stack: Stack, original: str) -> None:
        self._stack, self._original = stack, original

    def produce(self, context: IResolveContext) -> Any:
        return one_line_definition(self._stack.resolve(self._original))


def render_jsonata_on_one_line(state_machine: sfn.StateMachine) -> None:
    """Make ``state_machine``'s synthesized definition carry its JSONata strings on one line."""
    cfn = state_machine.node.default_child
    assert isinstance(cfn, sfn.CfnStateMachine)
    original = cfn.definition_string
    assert original is not None
    cfn.add_property_override(
        # Uncached: produced again at each resolution, so that cross-stack references (found
        # in a first pass, then turned into imports) resolve as they do without the override.
        "DefinitionString",
        Lazy.uncached_any(_OneLineDefinition(Stack.of(state_machine), original)),
    )
