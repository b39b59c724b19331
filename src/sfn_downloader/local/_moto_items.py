"""Distributed Maps that read their items from S3 in batches, as ``cdk deploy`` and AWS run them.

Two things a deployed stack has that a local run must make:

* **The item file.** ``cdk deploy`` uploads each file asset to the bootstrap bucket at the key
  its asset manifest names; a Distributed Map's ``ItemReader`` (``s3:getObject``, ``InputType``
  JSON) reads it there. ``put_item_sources`` puts each file an ``ItemReader`` names into moto's
  S3 at that bucket and key, read from the cloud assembly (``SynthesizedStack.assets``). moto
  5.2.5's ``ItemReader`` then reads it as AWS documents ("ItemReader (Map)": the JSON array's
  items, each one item).
* **``ItemBatcher``**, which moto's States Language grammar does not know (a definition holding
  it fails to parse). ``without_batchers`` takes it out of the definition handed to moto, and
  the runner registers it for its state machine (``BATCHERS``); the ``item-batcher`` patch then
  does what "ItemBatcher (Map)" documents: each item as the ``ItemSelector`` makes it (with
  ``$$.Map.Item.Index``/``Value`` of that item), grouped into ``{"Items": [...]}`` of at most
  ``MaxItemsPerBatch`` items (and ``MaxInputBytesPerBatch`` bytes), one child execution each,
  which sees no ``ItemSelector`` of its own. ``BatchInput`` and the ``*Path`` forms are refused
  locally (the construct uses neither).

DELETE the batching once moto's grammar and Distributed Map know ``ItemBatcher``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from ._moto_distributed import _distributed_processors_with_states
from ._patch import Patch, keeping
from ._recorders import state_machine_of
from ._resolver import Resolver, SynthesizedStack
from .errors import LocalRunnerError

_originals: dict[str, Any] = {}
BATCHERS: dict[tuple[str, str], Mapping[str, Any]] = {}
"""(state machine ARN, Map state name) → its ``ItemBatcher``, while its runner is open."""
_lock = threading.Lock()


def without_batchers(definition: str) -> tuple[str, dict[str, Mapping[str, Any]]]:
    """``definition`` without its Distributed Maps' ``ItemBatcher`` fields, and those fields by
    Map state name."""
    document = json.loads(definition)
    batchers: dict[str, Mapping[str, Any]] = {}
    for name, state in _distributed_processors_with_states(document):
        batcher = state.pop("ItemBatcher", None)
        if batcher is None:
            continue
        unsupported = sorted(
            k for k in batcher if k not in ("MaxItemsPerBatch", "MaxInputBytesPerBatch")
        )
        if unsupported:
            raise LocalRunnerError(
                f"Map state {name!r}: the local runner batches items by MaxItemsPerBatch and "
                f"MaxInputBytesPerBatch only, not {', '.join(unsupported)}."
            )
        batchers[name] = batcher
    if not batchers:
        return definition, {}
    return json.dumps(document, separators=(",", ":")), batchers


@contextmanager
def batching(state_machine_arn: str, batchers: Mapping[str, Mapping[str, Any]]) -> Iterator[None]:
    """While open, the Distributed Maps of ``state_machine_arn`` batch their items."""
    with _lock:
        for name, batcher in batchers.items():
            BATCHERS[(state_machine_arn, name)] = batcher
    try:
        yield
    finally:
        with _lock:
            for name in batchers:
                BATCHERS.pop((state_machine_arn, name), None)


def put_item_sources(
    stack: SynthesizedStack, resolver: Resolver, definition: str, client: Callable[[str], Any]
) -> None:
    """Put every file a Distributed Map's ``ItemReader`` reads into moto's S3, as ``cdk
    deploy`` uploads the stack's file assets."""
    assets = {
        (str(resolver.resolve({"Fn::Sub": bucket})), key): file
        for (bucket, key), file in stack.assets.items()
    }
    for name, state in _distributed_processors_with_states(json.loads(definition)):
        reader = state.get("ItemReader")
        if not isinstance(reader, Mapping):
            continue
        parameters = reader.get("Parameters") or {}
        bucket, key = parameters.get("Bucket"), parameters.get("Key")
        if not isinstance(bucket, str) or not isinstance(key, str):
            continue  # read from a path of the state: the run's own business
        file = assets.get((bucket, key))
        if file is None:
            raise LocalRunnerError(
                f"Map state {name!r} reads s3://{bucket}/{key}, which no file asset of the "
                "cloud assembly provides. Fix: run the synthesized app or its cdk.out (a "
                "template alone has no assets)."
            )
        s3 = client("s3")
        try:
            s3.create_bucket(Bucket=bucket)
        except Exception as error:  # already made by another reader of the same bucket
            if "BucketAlready" not in type(error).__name__ + str(error):
                raise
        with open(file, "rb") as body:
            s3.put_object(Bucket=bucket, Key=key, Body=body.read())


def _batches(items: list[Any], batcher: Mapping[str, Any]) -> list[dict[str, Any]]:
    """``items`` grouped as "ItemBatcher (Map)" documents: ``{"Items": [...]}`` of at most
    ``MaxItemsPerBatch`` items and ``MaxInputBytesPerBatch`` bytes (compact JSON)."""
    most = int(batcher.get("MaxItemsPerBatch") or len(items) or 1)
    max_bytes = batcher.get("MaxInputBytesPerBatch")
    batches: list[dict[str, Any]] = []
    current: list[Any] = []
    size = len('{"Items":[]}')
    for item in items:
        item_size = len(json.dumps(item, separators=(",", ":")).encode()) + 1
        full = len(current) >= most or (
            max_bytes is not None and current and size + item_size > int(max_bytes)
        )
        if full:
            batches.append({"Items": current})
            current, size = [], len('{"Items":[]}')
        current.append(item)
        size += item_size
    if current:
        batches.append({"Items": current})
    return batches


class _BatchingReader:
    """The Map's ``ItemReader``, then each item selected and the items batched."""

    def __init__(self, reader: Any, items: Any, selector: Any, batcher: Mapping[str, Any]) -> None:
        self._reader = reader
        self._items = items
        self._selector = selector
        self._batcher = batcher

    def eval(self, env: Any) -> None:
        from moto.stepfunctions.parser.asl.eval.states import ItemData, MapData

        if self._reader is not None:
            self._reader.eval(env=env)
            items = env.stack.pop()
        else:
            items = self._items
        map_input = env.stack[-1]
        selected = []
        for index, item in enumerate(items):
            if self._selector is None:
                selected.append(item)
                continue
            frame = env.open_inner_frame()
            try:
                frame.states.context_object.context_object_data["Map"] = MapData(
                    Item=ItemData(Index=index, Value=item)
                )
                # What States.reset does, without its deep copy of the Map's input for every
                # item (with ItemsPath, that input holds the N items: N x N copies); the
                # selector only reads it (as ``_moto_map._eval_input``), its output is new.
                states_data = frame.states._states_data
                states_data["input"], states_data["result"] = map_input, None
                states_data["errorOutput"] = None
                frame.stack.append(map_input)
                self._selector.eval(frame)
                selected.append(frame.stack.pop())
            finally:
                env.close_frame(frame)
        env.stack.append(_batches(selected, self._batcher))


def _batched_eval_body(self: Any, env: Any) -> None:
    """Replacement for ``DistributedItemProcessor._eval_body`` (inherited from
    ``DistributedIterationComponent``): with an ``ItemBatcher`` registered for this Map, its
    children get the batches (the selector already applied to each item)."""
    eval_input = env.stack[-1]
    batcher = BATCHERS.get((state_machine_of(env) or "", eval_input.state_name))
    if batcher is not None:
        eval_input.item_reader = _BatchingReader(
            eval_input.item_reader, eval_input.input_items, eval_input.item_selector, batcher
        )
        eval_input.item_selector = None
    _originals["eval_body"](self, env)


_PROCESSOR = "moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.itemprocessor."
PATCHES = (
    Patch(
        name="item-batcher",
        targets={
            f"{_PROCESSOR}distributed_item_processor:DistributedItemProcessor._eval_body": (
                keeping(_originals, "eval_body", _batched_eval_body)
            ),
        },
        reason=(
            "moto's grammar has no ItemBatcher (a definition holding it does not parse), so a "
            "Distributed Map's children got one item each; 'ItemBatcher (Map)': each child gets "
            '{"Items": [...]} of at most MaxItemsPerBatch items, each as the ItemSelector '
            "makes it."
        ),
        upstream="moto parsing and running ItemBatcher in a Distributed Map",
    ),
)
