"""Read downloaders out of synthesized templates: what the local run executes is what deploys.

A source (pattern object, Stack, App/Stage, template dict, cloud assembly directory) becomes
``SynthesizedStack`` values: a template plus, where known, the construct path of each logical
ID. A downloader is found from its state machine (a definition calling ``apigateway:invoke`` or
``http:invoke``); everything else it needs (tables, REST API or EventBridge connection, schedule
input, role policy) is found by following
the references of that definition, after resolving CloudFormation tokens to local values.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._contract import PARTITION_KEY, SCHEDULED_TIME_KEY, SORT_KEY
from ._resolver import LOCAL_ACCOUNT as LOCAL_ACCOUNT
from ._resolver import LOCAL_REGION as LOCAL_REGION
from ._resolver import PARTITION as PARTITION
from ._resolver import URL_SUFFIX as URL_SUFFIX
from ._resolver import Resolver as Resolver
from ._resolver import SynthesizedStack as SynthesizedStack
from ._resolver import generated_name as generated_name
from ._resolver import physical_id as physical_id
from ._resolver import secret_arn as secret_arn
from .errors import LocalRunnerError

APIGATEWAY_INVOKE = "states:::apigateway:invoke"
HTTP_INVOKE = "states:::http:invoke"
DYNAMODB_PUT_ITEM = "states:::dynamodb:putItem"
S3_PUT_OBJECT = "states:::aws-sdk:s3:putObject"
ON_DEMAND = "on-demand"
"""The schedule name of a downloader started on demand only (it has no schedule)."""
SCHEDULED_TIME = "<aws.scheduler.scheduled-time>"


def stacks_of(source: object) -> list[SynthesizedStack]:
    """Synthesize (if needed) and read every stack of ``source``."""
    if isinstance(source, Mapping):
        return [_from_template(dict(source), "Stack")]
    if isinstance(source, str | os.PathLike):
        return _from_path(Path(source))
    import aws_cdk as cdk
    from constructs import Construct

    if not isinstance(source, Construct):
        raise LocalRunnerError(
            f"Cannot run {type(source).__name__}: pass a DownloaderPattern, a Stack, an App or "
            "Stage, a template dict, or the path of a cloud assembly (cdk.out) or template file."
        )
    if isinstance(source, cdk.Stage):
        stage = source
    else:
        stage = cdk.Stage.of(source) or _raise_unattached(source)
    # The stage caches its assembly; reading it back from disk (the manifest's logicalId
    # metadata gives each resource's construct path) costs no call into the jsii kernel.
    directory = Path(stage.synth().directory)
    stacks = _from_path(directory, nested=False)
    if not isinstance(source, cdk.Stage):
        # A pattern or stack: only its own stack.
        own = cdk.Stack.of(source).stack_name
        stacks = [stack for stack in stacks if stack.name == own]
    return stacks


def default_pattern(source: object) -> str | None:
    """The construct path of ``source`` when it is a construct inside a stack (a pattern)."""
    if isinstance(source, Mapping | str | os.PathLike):
        return None
    import aws_cdk as cdk
    from constructs import Construct

    if isinstance(source, Construct) and not isinstance(source, cdk.Stage | cdk.Stack):
        return source.node.path
    return None


def _raise_unattached(source: object) -> Any:
    raise LocalRunnerError(f"{source} is not inside an App or Stage: nothing to synthesize.")


def _from_template(template: dict[str, Any], name: str) -> SynthesizedStack:
    # `cdk synth` (path metadata on) records each resource's construct path in its Metadata.
    paths = {
        logical_id: str(resource["Metadata"]["aws:cdk:path"])
        for logical_id, resource in template.get("Resources", {}).items()
        if isinstance(resource.get("Metadata"), Mapping) and "aws:cdk:path" in resource["Metadata"]
    }
    return SynthesizedStack(name, template, paths)


def _from_path(path: Path, *, nested: bool = True) -> list[SynthesizedStack]:
    """The stacks of a template file or a cloud assembly (and, if ``nested``, of the
    assemblies of its nested stages)."""
    if path.is_file():
        return [_from_template(json.loads(path.read_text()), path.name.split(".")[0])]
    manifest_file = path / "manifest.json"
    if not manifest_file.is_file():
        raise LocalRunnerError(f"{path}: neither a template file nor a cloud assembly directory.")
    manifest = json.loads(manifest_file.read_text())
    stacks = []
    for artifact_id, artifact in manifest.get("artifacts", {}).items():
        if nested and artifact.get("type") == "cdk:cloud-assembly":  # a nested Stage
            stacks += _from_path(path / artifact["properties"]["directoryName"])
        if artifact.get("type") != "aws:cloudformation:stack":
            continue
        properties = artifact.get("properties", {})
        template = json.loads((path / properties["templateFile"]).read_text())
        metadata: Mapping[str, Any] = artifact.get("metadata") or {}
        if "additionalMetadataFile" in artifact:
            metadata = json.loads((path / artifact["additionalMetadataFile"]).read_text())
        stack = _from_template(template, properties.get("stackName", artifact_id))
        paths = dict(stack.paths)
        for construct_path, entries in metadata.items():
            for entry in entries:
                if entry.get("type") == "aws:cdk:logicalId":
                    paths[str(entry["data"])] = construct_path.lstrip("/")
        assets = _file_assets(path, manifest, artifact.get("dependencies") or [])
        stacks.append(SynthesizedStack(stack.name, template, paths, assets))
    return stacks


def _file_assets(
    path: Path, manifest: Mapping[str, Any], dependencies: list[str]
) -> dict[tuple[str, str], str]:
    """The file assets of a stack's asset manifests (its ``cdk:asset-manifest`` dependencies):
    where ``cdk deploy`` puts each (bucket, key) and the staged file it uploads."""
    assets: dict[tuple[str, str], str] = {}
    for name in dependencies:
        artifact = manifest.get("artifacts", {}).get(name, {})
        if artifact.get("type") != "cdk:asset-manifest":
            continue
        document = json.loads((path / artifact["properties"]["file"]).read_text())
        for entry in document.get("files", {}).values():
            source = entry.get("source", {})
            if source.get("packaging", "file") != "file" or "path" not in source:
                continue
            for destination in entry.get("destinations", {}).values():
                where = (str(destination["bucketName"]), str(destination["objectKey"]))
                assets[where] = str(path / source["path"])
    return assets


@dataclass(frozen=True)
class DownloaderSpec:
    """One downloader as the template declares it, tokens resolved to local values."""

    stack: SynthesizedStack
    state_machine_id: str
    path: str
    """The pattern's construct path (``Stack/PlayerCount``), or the state machine's logical ID."""
    definition: str
    """The definition, tokens resolved; ``{{resolve:...}}`` references are still in it."""
    state_machine_type: str
    state_machine_arn: str
    schedule_input: str
    """The schedule target's Input, placeholders like ``<aws.scheduler.scheduled-time>`` intact;
    without a schedule, the on-demand contract ``{"scheduledTime": ...}``."""
    schedule_name: str
    tables: Mapping[str, Mapping[str, Any]]
    """Table name → the table's CloudFormation properties (resolved)."""
    apis: Mapping[str, str]
    """REST API id (local) → its logical ID."""
    connections: Mapping[str, str]
    """EventBridge connection ARN (local) → its logical ID (the HTTP Task's connections)."""
    role_statements: tuple[Mapping[str, Any], ...]
    """The state machine role's IAM policy statements (resolved)."""
    buckets: tuple[str, ...] = ()
    """The buckets the definition puts objects in (``aws-sdk:s3:putObject``), local names."""

    @property
    def resolver(self) -> Resolver:
        """Token resolver of the downloader's stack."""
        return Resolver(self.stack)


def find_downloaders(stacks: list[SynthesizedStack]) -> list[DownloaderSpec]:
    """Every state machine in ``stacks`` whose definition calls ``apigateway:invoke`` or
    ``http:invoke``."""
    found = []
    for stack in stacks:
        resolver = Resolver(stack)
        for logical_id, resource in stack.template.get("Resources", {}).items():
            if resource.get("Type") != "AWS::StepFunctions::StateMachine":
                continue
            props = resource.get("Properties", {})
            if "DefinitionString" in props:
                definition = str(resolver.resolve(props["DefinitionString"]))
            elif "Definition" in props:
                definition = json.dumps(resolver.resolve(props["Definition"]))
            else:
                continue
            # CloudFormation fills ${name} from DefinitionSubstitutions when it deploys.
            for name, value in resolver.resolve(props.get("DefinitionSubstitutions", {})).items():
                definition = definition.replace(f"${{{name}}}", str(value))
            states = list(_task_states(json.loads(definition)))
            if not any(_calls_out(state) for state in states):
                continue
            found.append(_spec(stack, resolver, logical_id, props, definition, states))
    return found


def _calls_out(state: Mapping[str, Any]) -> bool:
    resource = str(state.get("Resource", ""))
    return resource.endswith(APIGATEWAY_INVOKE) or resource.endswith(HTTP_INVOKE)


def _task_states(definition: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    for state in definition.get("States", {}).values():
        if state.get("Type") == "Task":
            yield state
        for branch in state.get("Branches", []):
            yield from _task_states(branch)
        for key in ("Iterator", "ItemProcessor"):
            if key in state:
                yield from _task_states(state[key])


def _spec(
    stack: SynthesizedStack,
    resolver: Resolver,
    logical_id: str,
    props: Mapping[str, Any],
    definition: str,
    states: list[Mapping[str, Any]],
) -> DownloaderSpec:
    resources: Mapping[str, Any] = stack.template.get("Resources", {})
    arn = resolver.ref(logical_id)
    sm_path = stack.paths.get(logical_id)
    # The pattern owns its state machine as "<pattern>/StateMachine/Resource".
    path = sm_path.removesuffix("/Resource").rsplit("/", 1)[0] if sm_path else logical_id

    table_names = {
        str(_arguments(s).get("TableName"))
        for s in states
        if str(s.get("Resource", "")).endswith(DYNAMODB_PUT_ITEM)
    }
    tables: dict[str, Mapping[str, Any]] = {}
    api_hosts = {
        str(_arguments(s).get("ApiEndpoint", "")).split("://")[-1].split(".")[0]
        for s in states
        if str(s.get("Resource", "")).endswith(APIGATEWAY_INVOKE)
    }
    apis: dict[str, str] = {}
    connection_arns = {
        str(dict(_arguments(s).get("Authentication") or {}).get("ConnectionArn"))
        for s in states
        if str(s.get("Resource", "")).endswith(HTTP_INVOKE)
    }
    connections: dict[str, str] = {}
    for other_id, resource in resources.items():
        kind = resource.get("Type")
        if kind == "AWS::DynamoDB::Table" and resolver.ref(other_id) in table_names:
            tables[resolver.ref(other_id)] = resolver.resolve(resource.get("Properties", {}))
        if kind == "AWS::ApiGateway::RestApi" and resolver.ref(other_id) in api_hosts:
            apis[resolver.ref(other_id)] = other_id
        if kind == "AWS::Events::Connection":
            connection_arn = resolver.get_att(other_id, "Arn")
            if connection_arn in connection_arns:
                connections[connection_arn] = other_id
    for name in table_names - set(tables):
        # A table the user brought (imported by name): the construct's documented key schema.
        tables[name] = {
            "KeySchema": [
                {"AttributeName": PARTITION_KEY, "KeyType": "HASH"},
                {"AttributeName": SORT_KEY, "KeyType": "RANGE"},
            ],
            "AttributeDefinitions": [
                {"AttributeName": PARTITION_KEY, "AttributeType": "S"},
                {"AttributeName": SORT_KEY, "AttributeType": "S"},
            ],
            "BillingMode": "PAY_PER_REQUEST",
        }

    schedule_input, schedule_name = _schedule_of(stack, resolver, arn, path)
    role_arn = resolver.resolve(props.get("RoleArn"))
    statements: list[Mapping[str, Any]] = []
    for resource in resources.values():
        if resource.get("Type") not in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            continue
        policy = resolver.resolve(resource.get("Properties", {}))
        roles = {f"arn:{PARTITION}:iam::{LOCAL_ACCOUNT}:role/{r}" for r in policy.get("Roles", [])}
        if role_arn in roles:
            statements += policy.get("PolicyDocument", {}).get("Statement", [])
    return DownloaderSpec(
        stack=stack,
        state_machine_id=logical_id,
        path=path,
        definition=definition,
        state_machine_type=str(props.get("StateMachineType", "STANDARD")),
        state_machine_arn=arn,
        schedule_input=schedule_input,
        schedule_name=schedule_name,
        tables=tables,
        apis=apis,
        connections=connections,
        role_statements=tuple(statements),
        buckets=tuple(
            sorted(
                {
                    str(_arguments(s).get("Bucket"))
                    for s in states
                    if str(s.get("Resource", "")).endswith(S3_PUT_OBJECT)
                }
            )
        ),
    )


def _arguments(state: Mapping[str, Any]) -> Mapping[str, Any]:
    """A Task's request: its ``Parameters`` (JSONPath) or ``Arguments`` (JSONata)."""
    return state.get("Parameters") or state.get("Arguments") or {}


def _schedule_of(
    stack: SynthesizedStack, resolver: Resolver, state_machine_arn: str, path: str
) -> tuple[str, str]:
    for logical_id, resource in stack.template.get("Resources", {}).items():
        if resource.get("Type") != "AWS::Scheduler::Schedule":
            continue
        target = resource.get("Properties", {}).get("Target", {})
        if resolver.resolve(target.get("Arn")) == state_machine_arn:
            name = resource["Properties"].get("Name") or f"{logical_id}-{physical_id('', '')}"
            return str(resolver.resolve(target.get("Input", "{}"))), str(name)
    # Started on demand only (Starts.on_demand()): the input an on-demand caller must send.
    del path
    return json.dumps({SCHEDULED_TIME_KEY: SCHEDULED_TIME}), ON_DEMAND
