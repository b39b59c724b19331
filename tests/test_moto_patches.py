"""The registry of what the local runner changes in moto (``local/_patch.py``, ``_moto.REGISTRY``).

Every *fix* has a probe here: the behaviour it fixes, run on moto *without* the patches, as AWS
documents it. Each probe is a strict xfail: while moto lacks the behaviour the probe fails (as
expected); the day moto gains it the probe passes and the suite fails, naming the patch to
delete. *Features* (the runner's own) have no probe.
"""

from __future__ import annotations

import contextlib
import inspect
import json
import logging
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any
from unittest import mock as unittest_mock

import pytest

from local_helpers import DefinitionRunner
from sfn_downloader.local._moto import REGISTRY
from sfn_downloader.local._patch import Patch, Patches, resolve

ACCOUNT = "123456789012"
REGION = "us-east-1"


@contextlib.contextmanager
def unpatched() -> Iterator[DefinitionRunner]:
    """moto with its interpreter on, none of the local runner's patches."""
    from moto import mock_aws
    from moto.stepfunctions.parser.asl.parse.preprocessor import Preprocessor

    assert REGISTRY._count == 0, "a runner is open: moto is patched"
    logger = logging.getLogger("moto.stepfunctions.parser")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    # moto keeps the parser's open query-language scopes in a class-level list: a definition it
    # refuses mid-parse (the query-language-scope probe) leaves them open, and every later parse
    # in the process inherits them (tests/test_local_jsonata.py's JSONata Passes were refused).
    scopes = getattr(Preprocessor, "_query_language_per_scope", [])  # moto 5.2.5's place
    opened = list(scopes)
    try:
        with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
            yield DefinitionRunner()
    finally:
        scopes[:] = opened
        logger.setLevel(level)


def run(definition: dict[str, Any], *, input: Any = None, workflow_type: str = "STANDARD") -> Any:
    with unpatched() as machines:
        return machines.run(definition, input=input, workflow_type=workflow_type)


def single(state: dict[str, Any]) -> dict[str, Any]:
    return {"StartAt": "S", "States": {"S": {**state, "End": True}}}


# --- the probes: each passes only once moto behaves as AWS documents ---------------------------


def apigateway_invoke() -> None:
    """'Call API Gateway with Step Functions': the call goes to
    ``https://<ApiEndpoint>/<Stage>/<Path>``, and the task runs with the credentials it is
    given."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_api_gateway as module,
    )

    task = module.StateTaskServiceApiGateway
    assert "state_credentials" in inspect.signature(task._eval_service_task).parameters
    endpoint = "abc123.execute-api.us-east-1.amazonaws.com"
    url = task._invoke_url_of({"ApiEndpoint": endpoint, "Stage": "prod", "Path": "v1/x"})
    assert url == f"https://{endpoint}/prod/v1/x"


def http_invoke() -> None:
    """'Call HTTPS APIs in Step Functions workflows': an ``http`` task, and Retry/Catch naming
    ``States.Http.StatusCode.404``."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_factory as factory,
    )
    from moto.stepfunctions.parser.asl.parse import preprocessor

    assert factory.state_task_service_for("http") is not None
    preprocessor.CustomErrorName("States.Http.StatusCode.404")  # type: ignore[attr-defined]


def jsonata() -> None:
    """'Transforming data with JSONata in Step Functions': JSONata 2.0.6 (15 significant
    digits)."""
    from moto.stepfunctions.parser.asl.jsonata.jsonata import eval_jsonata_expression

    assert eval_jsonata_expression("$string(1764221400123456)") == "1764221400123460"


def definite_jsonpath() -> None:
    """'Using JSONPath paths': a path that identifies one node returns its value."""
    from moto.stepfunctions.parser.asl.utils.json_path import extract_json

    assert extract_json("$.a[0].b", {"a": [{"b": 34}]}) == 34


def _dynamodb_runs(machines: DefinitionRunner) -> tuple[Any, Any]:
    """A putItem DynamoDB refuses (``{"BOOL": "yes"}``), and a JSONata putItem whose
    Arguments cannot be evaluated (DynamoDB is never called)."""
    import boto3  # type: ignore[import-untyped]

    boto3.client("dynamodb", region_name=REGION).create_table(
        TableName="t",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    refused = machines.run(
        single(
            {
                "Type": "Task",
                "Resource": "arn:aws:states:::dynamodb:putItem",
                "Parameters": {
                    "TableName": "t",
                    "Item": {"pk": {"S": "a"}, "flag": {"BOOL": "yes"}},
                },
            }
        )
    )
    unevaluated = machines.run(
        single(
            {
                "Type": "Task",
                "QueryLanguage": "JSONata",
                "Resource": "arn:aws:states:::dynamodb:putItem",
                "Arguments": {
                    "TableName": "t",
                    "Item": {"pk": {"S": "{% $states.input.nothing %}"}},
                },
            }
        ),
        input={},
    )
    return refused, unevaluated


def dynamodb_refusals() -> None:
    """DynamoDB refuses ``{"BOOL": "yes"}``; Step Functions names the unmodelled
    ValidationException ``DynamoDB.AmazonDynamoDBException``; a JSONata Argument that returns
    nothing fails the task with ``States.QueryEvaluationError`` ("Transforming data with
    JSONata in Step Functions", "Error handling": DynamoDB is never called)."""
    with unpatched() as machines:
        refused, unevaluated = _dynamodb_runs(machines)
    assert refused.get("error") == "DynamoDB.AmazonDynamoDBException"
    assert unevaluated.get("error") == "States.QueryEvaluationError"


def test_a_dynamodb_task_whose_arguments_fail_is_a_query_evaluation_error() -> None:
    """The patched runner, as AWS: the evaluation error keeps its name and cause (moto 5.2.5
    names it DynamoDB.AmazonDynamoDBException with an empty cause)."""
    from moto import mock_aws

    with REGISTRY.installed(), mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        refused, unevaluated = _dynamodb_runs(DefinitionRunner())
    assert refused.get("error") == "DynamoDB.AmazonDynamoDBException"
    assert unevaluated.get("error") == "States.QueryEvaluationError"
    assert "returned nothing" in unevaluated.get("cause", ""), unevaluated


def start_execution() -> None:
    """'Start a new AWS Step Functions state machine from a running execution': the task's
    ``StateMachineArn``, ``Input`` and (optional) ``Name``."""
    with unpatched() as machines:
        child = machines.sfn.create_state_machine(
            name="child",
            definition=json.dumps(single({"Type": "Pass"})),
            roleArn=f"arn:aws:iam::{ACCOUNT}:role/r",
        )["stateMachineArn"]
        described = machines.run(
            single(
                {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::states:startExecution",
                    "Parameters": {"StateMachineArn": child, "Input": {"a": 1}},
                }
            )
        )
    assert described["status"] == "SUCCEEDED", described.get("cause")


def parse() -> None:
    """Parsers side by side do not share the query language scope (moto's is a class
    attribute)."""
    from moto.stepfunctions.parser.asl.parse.preprocessor import Preprocessor

    assert "_query_language_per_scope" not in vars(Preprocessor)


def error_matching() -> None:
    """'Handling errors': a Retrier or Catcher of States.ALL matches neither
    States.DataLimitExceeded nor States.Runtime (moto's ErrorEqualsDecl, evaluated as its
    Retry and Catch do)."""
    from moto.stepfunctions.parser.asl.component.common.error_name.error_equals_decl import (
        ErrorEqualsDecl,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import (
        StatesErrorName,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
        StatesErrorNameType,
    )

    catch_all = ErrorEqualsDecl([StatesErrorName(typ=StatesErrorNameType.StatesALL)])
    for error in (
        StatesErrorNameType.StatesStatesDataLimitExceeded,
        StatesErrorNameType.StatesRuntime,
    ):
        env = SimpleNamespace(stack=[StatesErrorName(typ=error)])
        catch_all._eval_body(env)  # type: ignore[arg-type]
        assert env.stack == [False], error


def array_range() -> None:
    """'Intrinsic functions': at most 1,000 items; a failed intrinsic is
    ``States.IntrinsicFailure``."""
    described = run(
        single({"Type": "Pass", "Parameters": {"r.$": "States.ArrayRange(1, 1001, 1)"}})
    )
    assert (described["status"], described.get("error")) == ("FAILED", "States.IntrinsicFailure")


def error_names() -> None:
    """'Parallel workflow state': a branch's unhandled error fails the state with that error."""
    fail = {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "States.TaskFailed"}}}
    described = run(single({"Type": "Parallel", "Branches": [fail]}))
    assert (described["status"], described.get("error")) == ("FAILED", "States.TaskFailed")


def map_run_threshold() -> None:
    """'Using Map state in Distributed mode': one failed item of a tolerance of 0 fails the Map
    Run with ``States.ExceedToleratedFailureThreshold``."""
    definition = single(
        {
            "Type": "Map",
            "ItemsPath": "$.items",
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                "StartAt": "F",
                "States": {"F": {"Type": "Fail", "Error": "Boom"}},
            },
        }
    )
    described = run(definition, input={"items": [1]})
    assert (described["status"], described.get("error")) == (
        "FAILED",
        "States.ExceedToleratedFailureThreshold",
    )


def workflow_type() -> None:
    """The interpreter runs an Express state machine as Express."""
    from moto.stepfunctions.parser.backend.execution import Execution
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends

    with unpatched() as machines:
        arn = machines.sfn.create_state_machine(
            name="express",
            definition=json.dumps(single({"Type": "Pass"})),
            roleArn=f"arn:aws:iam::{ACCOUNT}:role/r",
            type="EXPRESS",
        )["stateMachineArn"]
        machine = stepfunctions_parser_backends[ACCOUNT][REGION].describe_state_machine(arn)
        details = Execution.get_start_state_machine_details(
            SimpleNamespace(state_machine=machine)  # type: ignore[arg-type]
        )
    assert str(getattr(details.typ, "value", details.typ)) == "EXPRESS"


def environment() -> None:
    """'Accessing execution data from the Context object': ``Execution.StartTime`` is ISO 8601
    text. (The history quota this patch also adds has no cheap probe: 25,000 events.)"""
    described = run(single({"Type": "Pass", "Parameters": {"t.$": "$$.Execution.StartTime"}}))
    assert isinstance(json.loads(described["output"])["t"], str)


def map_input_copies() -> None:
    """'Map state': each item's input is the ItemSelector's output; the Map's input is not
    copied again for every item (a run's cost grows with its items, not their square)."""
    import copy

    deepcopy = copy.deepcopy

    def copies(items: int) -> int:
        copied: list[int] = []

        def counting(value: Any, *args: Any) -> Any:
            if isinstance(value, dict) and "big" in value:
                copied.append(1)
            return deepcopy(value, *args)

        definition = single(
            {
                "Type": "Map",
                "ItemsPath": "$.items",
                "ItemSelector": {"item.$": "$$.Map.Item.Value"},
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "INLINE"},
                    "StartAt": "W",
                    "States": {"W": {"Type": "Wait", "Seconds": 0, "End": True}},
                },
            }
        )
        with unittest_mock.patch.object(copy, "deepcopy", counting):
            run(definition, input={"big": list(range(100)), "items": list(range(items))})
        return len(copied)

    assert copies(20) == copies(2)


def map_iterations() -> None:
    """'Map state': an inline Map's items are bounded by its input and the history, not by a
    depth: one worker runs 3,000 items one after another."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.itemprocessor import (  # noqa: E501
        inline_item_processor_worker as module,
    )

    jobs = [SimpleNamespace(job_output=None, job_index=i) for i in range(3_000)]
    frame = unittest_mock.MagicMock()
    frame.open_inner_frame.return_value = frame
    worker = module.InlineItemProcessorWorker.__new__(module.InlineItemProcessorWorker)
    worker._job_pool = SimpleNamespace(  # type: ignore[misc]
        next_job=lambda: jobs.pop() if jobs else None, close_job=lambda job: None
    )
    worker._env = frame  # type: ignore[misc]
    worker._stop_signal_received = False
    worker._eval_job = lambda env, job: None  # type: ignore[method-assign]
    worker.eval()
    assert not jobs


def item_batcher() -> None:
    """'ItemBatcher (Map)': each child execution gets ``{"Items": [...]}`` of at most
    ``MaxItemsPerBatch`` items (a Pass child outputs its input)."""
    definition = single(
        {
            "Type": "Map",
            "ItemsPath": "$.items",
            "ItemBatcher": {"MaxItemsPerBatch": 2},
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                "StartAt": "P",
                "States": {"P": {"Type": "Pass", "End": True}},
            },
        }
    )
    described = run(definition, input={"items": [1, 2, 3]})
    assert json.loads(described["output"]) == [{"Items": [1, 2]}, {"Items": [3]}]


def query_language_scope() -> None:
    """'Transforming data with JSONata in Step Functions': a state without ``QueryLanguage``
    takes the top level's, so a JSONPath state (a ``ResultPath``) may run in a JSONata Map's
    ``ItemProcessor`` under a JSONPath top level."""
    definition = single(
        {
            "Type": "Map",
            "QueryLanguage": "JSONata",
            "Items": [{"n": 1}, {"n": 2}],
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "INLINE"},
                "StartAt": "P",
                "States": {"P": {"Type": "Pass", "Result": 7, "ResultPath": "$.seven",
                                 "End": True}},
            },
        }
    )  # fmt: skip
    described = run(definition)
    assert json.loads(described["output"]) == [{"n": 1, "seven": 7}, {"n": 2, "seven": 7}]


PROBES: dict[str, Callable[[], None]] = {
    "apigateway-invoke": apigateway_invoke,
    "http-invoke": http_invoke,
    "jsonata": jsonata,
    "definite-jsonpath": definite_jsonpath,
    "dynamodb-refusals": dynamodb_refusals,
    "start-execution": start_execution,
    "parse": parse,
    "error-matching": error_matching,
    "array-range": array_range,
    "error-names": error_names,
    "map-run-threshold": map_run_threshold,
    "workflow-type": workflow_type,
    "environment": environment,
    "map-input-copies": map_input_copies,
    "map-iterations": map_iterations,
    "item-batcher": item_batcher,
    "query-language-scope": query_language_scope,
}


def test_a_probe_leaves_no_query_language_scope_open() -> None:
    """A probe moto fails leaves the parser as it found it: the next parse in the process (a
    test file that runs after this one on its worker) does not inherit a refused one's scopes."""
    from moto.stepfunctions.parser.asl.parse.preprocessor import Preprocessor

    with contextlib.suppress(Exception):  # fails while moto still needs the patch
        query_language_scope()
    assert getattr(Preprocessor, "_query_language_per_scope", []) == []


def test_every_fix_has_a_probe_and_every_probe_a_fix() -> None:
    fixes = {patch.name for patch in REGISTRY.patches if patch.kind == "fix"}
    assert fixes == set(PROBES)


def test_every_patch_says_why_and_what_deletes_it() -> None:
    for patch in REGISTRY.patches:
        assert patch.reason and patch.upstream, patch.name
        if patch.kind == "feature":
            assert patch.upstream.startswith("stays:"), patch.name


def test_every_target_exists_in_the_installed_moto() -> None:
    """A target that moved would be patched as a new attribute, silently doing nothing."""
    for patch in REGISTRY.patches:
        for target in patch.targets:
            owner, attribute = resolve(target)
            assert hasattr(owner, attribute), target


def test_an_attribute_belongs_to_one_patch() -> None:
    first = Patch("a", {"m:Owner.attr": lambda original: original}, "why", "issue")
    second = Patch("b", {"m:Owner.attr": lambda original: original}, "why", "issue")
    with pytest.raises(ValueError, match=r"m:Owner\.attr is patched by both 'a' and 'b'"):
        Patches((first, second))


def test_the_registry_is_installed_once_and_undone_by_the_last_runner() -> None:
    from moto.stepfunctions.parser.asl.utils import json_path

    original = json_path.extract_json
    with REGISTRY.installed():
        patched = json_path.extract_json
        with REGISTRY.installed():
            assert json_path.extract_json is patched
        assert json_path.extract_json is patched
    assert patched is not original
    assert json_path.extract_json is original


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(
            name,
            marks=pytest.mark.xfail(
                strict=True,
                reason=f"moto still needs the {name!r} patch ({REGISTRY.by_name(name).upstream})",
            ),
        )
        for name in PROBES
    ],
)
def test_moto_without_the_patch_behaves_as_aws(name: str) -> None:
    """Fails (xfail) while moto lacks the behaviour; when it passes, delete the patch
    ``name`` from ``sfn_downloader.local`` and this probe."""
    PROBES[name]()
