"""Ask a real AWS account what no document settles (docs/checked-on-aws.md).

Deploys a small throwaway stack, runs one small execution per open question, prints what AWS
answered, then deletes everything it made::

    python scripts/verify_on_aws.py --region eu-west-1 [--skip history-quota] [--keep]

The stack is a plain CloudFormation template built here and deployed with boto3, not the CDK
CLI: it needs no CDK bootstrap, no Node, no asset bucket (the echo function is inline code),
and every call is a boto3 call a test can stub. It holds:

* ``Echo``: a Lambda function behind a function URL (auth NONE) that answers with what it
  received: the raw path and query string and the headers. It stands in for the third party;
  ``?big=1`` makes it answer 300 KiB, ``?throttle=1`` a ``429`` with ``Retry-After: 7``,
  ``?gzip=1`` a gzip body with ``Content-Encoding: gzip`` whatever was asked.
* ``Proxy``: a REGIONAL REST API shaped like the construct's proxy: ``{proxy+}`` ANY method,
  AWS_IAM authorization, HTTP_PROXY to the echo, ``X-Api-Key`` mapped onto ``Authorization``.
* ``Connection``: an EventBridge API-key connection for the HTTP Task; ``Role``: the role the
  probe state machines run as.

* ``Table``: an on-demand DynamoDB table the ``dynamodb:putItem`` probes write to (wrongly, on
  purpose: no item is ever stored).

The probe state machines are created with boto3 once the stack is up (their definitions need
its outputs) and deleted at the end. Extra tiny stacks, each deployed on its own so that one
refused deployment hides no other answer (a refusal is itself the answer), and only when its
question is asked:

* ``<name>-fix``: the construct fix proposed for the remapped header (a static ``''`` mapping
  of ``X-Api-Key``);
* ``<name>-trim-single`` and ``<name>-trim-multi``: a non-proxy HTTP integration shaped like
  the trimming proxy (``transport/trim.py``), its query mapped from
  ``method.request.querystring`` (the control) or ``method.request.multivaluequerystring``
  (what the construct writes), its answer rendered by a template that shows what
  ``$input.json('$.missing')`` gives for a path that matches nothing;
* ``<name>-quote-doubled`` and ``<name>-quote-backslash``: a proxy whose static header value
  holds ``'`` (``'it''s'``, ``'it\\'s'``);
* ``<name>-alarm-key``: three customer managed KMS keys, each encrypting an SNS topic that an
  alarm notifies; the keys let ``cloudwatch.amazonaws.com`` use them only with ``aws:SourceArn``
  = the alarm's ARN, with the construct's condition (``alarms.py``), or unconditionally (the
  control).

Costs: cents, plus about $0.31 for the 25,000-event Standard execution (``--skip
history-quota`` leaves it out), about $0.013 for ``child-start-rate`` (500 Express children of
about 1 s, and a Standard transition for each child started), plus the three KMS keys: $1 a
month each, prorated hourly (AWS KMS pricing), so under half a cent for a run; deleting
``<name>-alarm-key`` schedules their deletion with the minimum waiting period (7 days,
``PendingWindowInDays``). ``--skip alarm-key-source-arn`` creates no key; with ``--keep``
nothing is deleted, the keys included.
"""

from __future__ import annotations

import argparse
import json
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from botocore.exceptions import ClientError

QUESTIONS = (
    "http-task-headers",
    "http-task-query",
    "http-task-computed-query",
    "invoke-path-slash",
    "invoke-path-encoding",
    "remap-header",
    "catch-rules",
    "inline-map-data-limit",
    "array-range",
    "throttled-answers",
    "express-patterns",
    "conditional-304",
    "history-quota",
    "dynamodb-error-names",
    "express-child-sync",
    "assign-before-selector",
    "assign-result-path",
    "assign-no-match",
    "trim-query-mapping",
    "proxy-query-encoding",
    "alarm-key-source-arn",
    "header-value-quote",
    "query-secret",
    "compressed-answer",
    "batcher-selector",
    "jsonata-checked-download",
    "trim-compressed",
    "variables-in-jsonpath",
    "input-check",
    "child-start-rate",
    "map-items",
)
STAGE = "probe"
CREDENTIAL = "probe-credential-not-secret"
HISTORY_WAIT_SECONDS = 900.0
SYNC_WAIT_SECONDS = 120.0
ALARM_WAIT_SECONDS = 120.0
SYNC_CHILD = "sync-child"
"""The Express child's name after the stack name: the role may start only this machine."""
BATCHER = "batcher-selector"
"""The Distributed Map probe's name after the stack name: the role may start its children."""
START_RATE = "child-start-rate"
"""The start-rate probe's name after the stack name: the role may start its children."""
START_RATE_CHILDREN = 500
"""Express children the start-rate probe's Map Run starts, all allowed at once."""
QUOTE_HEADER = "X-Probe-Quote"
QUOTED_VALUES = {"doubled": "'it''s'", "backslash": "'it\\'s'"}
"""Static header mapping values holding ``'``, by the escape they try (SQL's, or C's)."""
QUERY_SECRET = "pk+/=~é"
"""``AuthHeader.from_secret(query_param=...)``'s static query value: characters whose
encoding in a query no AWS page states (``+``, ``/``, ``=``, non-ASCII) beside unreserved
ones."""
ALARM_KEY_VARIANTS = ("source-arn", "construct", "open")
"""The alarm key policies: ``aws:SourceArn`` = the alarm, the construct's, none (control)."""
TRIM_SOURCES = {"single": "querystring", "multi": "multivaluequerystring"}
"""The trimming stacks' query sources: the control, and what ``trim.py`` maps."""
TRIM_TEMPLATE = (
    "{\"rawQueryString\": $input.json('$.rawQueryString'), "
    '"missing": "[$util.escapeJavaScript($input.json(\'$.missing\'))]"}'
)
"""The trimming stacks' 200 template: ``missing`` shows, between brackets, the text
``$input.json`` gives for a path matching nothing (``[]`` nothing, ``[null]``, ``[\\"\\"]``)."""

ECHO_CODE = """
import json

def handler(event, context):
    etag = '"probe-etag"'
    if (event.get("headers") or {}).get("if-none-match") == etag:
        return {"statusCode": 304, "headers": {"ETag": etag}}
    body = {
        "rawPath": event.get("rawPath"),
        "rawQueryString": event.get("rawQueryString"),
        "headers": event.get("headers"),
    }
    if "big=1" in (event.get("rawQueryString") or ""):
        body["padding"] = "x" * (300 * 1024)
    if "bigint=1" in (event.get("rawQueryString") or ""):
        return {"statusCode": 200, "headers": {"Content-Type": "application/json"},
                "body": '{"id": 12345678901234567, "price": 0.1000000000000000055511}'}
    gz = (event.get("rawPath") or "").endswith("/gz")
    if gz or "gzip=1" in (event.get("rawQueryString") or ""):
        import base64, gzip
        packed = gzip.compress(json.dumps({"compressed": True}).encode())
        coded = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
        return {"statusCode": 200, "isBase64Encoded": True, "headers": coded,
                "body": base64.b64encode(packed).decode()}
    if "throttle=1" in (event.get("rawQueryString") or ""):
        return {"statusCode": 429, "body": json.dumps({"message": "slow down"}),
                "headers": {"Content-Type": "application/json", "Retry-After": "7"}}
    return {"statusCode": 200, "headers": {"Content-Type": "application/json", "ETag": etag},
            "body": json.dumps(body)}
"""


def _role(service: str, statements: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": service},
                        "Action": "sts:AssumeRole",
                    }
                ],
            },
            "Policies": [
                {
                    "PolicyName": "probe",
                    "PolicyDocument": {"Version": "2012-10-17", "Statement": statements},
                }
            ],
        },
    }


def _arn(service: str, resource: str) -> dict[str, Any]:
    """``arn:<partition>:<service>:<region>:<account>:<resource>`` (``${...}`` substituted)."""
    return {
        "Fn::Sub": f"arn:${{AWS::Partition}}:{service}:${{AWS::Region}}:${{AWS::AccountId}}:"
        + resource
    }


def _echo_host() -> dict[str, Any]:
    # The function URL is https://<host>/: its host is the third element of a split on "/".
    return {"Fn::Select": [2, {"Fn::Split": ["/", {"Fn::GetAtt": ["EchoUrl", "FunctionUrl"]}]}]}


def proxy_resources(extra_mappings: dict[str, str] | None = None) -> dict[str, Any]:
    """The REST API, shaped like the construct's proxy, integrating with ``EchoHost``."""
    mappings = {
        "integration.request.path.proxy": "method.request.path.proxy",
        "integration.request.header.Authorization": "method.request.header.X-Api-Key",
        **(extra_mappings or {}),
    }
    return {
        "Proxy": {
            "Type": "AWS::ApiGateway::RestApi",
            "Properties": {
                "Name": {"Ref": "AWS::StackName"},
                "EndpointConfiguration": {"Types": ["REGIONAL"]},
            },
        },
        "ProxyResource": {
            "Type": "AWS::ApiGateway::Resource",
            "Properties": {
                "RestApiId": {"Ref": "Proxy"},
                "ParentId": {"Fn::GetAtt": ["Proxy", "RootResourceId"]},
                "PathPart": "{proxy+}",
            },
        },
        "ProxyMethod": {
            "Type": "AWS::ApiGateway::Method",
            "Properties": {
                "RestApiId": {"Ref": "Proxy"},
                "ResourceId": {"Ref": "ProxyResource"},
                "HttpMethod": "ANY",
                "AuthorizationType": "AWS_IAM",
                "RequestParameters": {
                    "method.request.path.proxy": True,
                    "method.request.header.X-Api-Key": False,
                },
                "Integration": {
                    "Type": "HTTP_PROXY",
                    "IntegrationHttpMethod": "ANY",
                    "Uri": {"Fn::Join": ["", ["https://", {"Ref": "EchoHost"}, "/{proxy}"]]},
                    "RequestParameters": mappings,
                },
            },
        },
        "ProxyDeployment": {
            "Type": "AWS::ApiGateway::Deployment",
            "DependsOn": ["ProxyMethod"],
            "Properties": {"RestApiId": {"Ref": "Proxy"}, "StageName": STAGE},
        },
    }


def build_template() -> dict[str, Any]:
    """The probe stack: echo, proxy, connection, role (see the module docstring)."""
    connection_secrets = {
        "Fn::Sub": "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:"
        "secret:events!connection/*"
    }
    proxy = proxy_resources()
    # In the main stack the echo host is computed, not a parameter.
    proxy["ProxyMethod"]["Properties"]["Integration"]["Uri"] = {
        "Fn::Join": ["", ["https://", _echo_host(), "/{proxy}"]]
    }
    resources: dict[str, Any] = {
        "EchoRole": _role(
            "lambda.amazonaws.com",
            [
                {
                    "Effect": "Allow",
                    "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                    "Resource": "*",
                }
            ],
        ),
        "Echo": {
            "Type": "AWS::Lambda::Function",
            "Properties": {
                "Runtime": "python3.12",
                "Handler": "index.handler",
                "Role": {"Fn::GetAtt": ["EchoRole", "Arn"]},
                "Timeout": 10,
                "MemorySize": 256,
                "Code": {"ZipFile": ECHO_CODE},
            },
        },
        "EchoUrl": {
            "Type": "AWS::Lambda::Url",
            "Properties": {
                "TargetFunctionArn": {"Fn::GetAtt": ["Echo", "Arn"]},
                "AuthType": "NONE",
            },
        },
        "EchoUrlPermission": {
            "Type": "AWS::Lambda::Permission",
            "Properties": {
                "FunctionName": {"Ref": "Echo"},
                "Action": "lambda:InvokeFunctionUrl",
                "Principal": "*",
                "FunctionUrlAuthType": "NONE",
            },
        },
        "EchoInvokePermission": {
            # Newer accounts also require lambda:InvokeFunction for a public function URL.
            "Type": "AWS::Lambda::Permission",
            "Properties": {
                "FunctionName": {"Ref": "Echo"},
                "Action": "lambda:InvokeFunction",
                "Principal": "*",
                "InvokedViaFunctionUrl": True,
            },
        },
        **proxy,
        "Connection": {
            "Type": "AWS::Events::Connection",
            "Properties": {
                "AuthorizationType": "API_KEY",
                "AuthParameters": {
                    "ApiKeyAuthParameters": {"ApiKeyName": "X-Probe-Key", "ApiKeyValue": CREDENTIAL}
                },
            },
        },
        "Role": _role(
            "states.amazonaws.com",
            [
                {
                    "Effect": "Allow",
                    "Action": "execute-api:Invoke",
                    "Resource": {
                        "Fn::Sub": "arn:${AWS::Partition}:execute-api:${AWS::Region}:"
                        "${AWS::AccountId}:*/" + STAGE + "/*"
                    },
                },
                {"Effect": "Allow", "Action": "states:InvokeHTTPEndpoint", "Resource": "*"},
                {
                    "Effect": "Allow",
                    "Action": "events:RetrieveConnectionCredentials",
                    "Resource": {"Fn::GetAtt": ["Connection", "Arn"]},
                },
                {
                    "Effect": "Allow",
                    "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
                    "Resource": connection_secrets,
                },
                *probe_statements(),
            ],
        ),
        "Table": {
            "Type": "AWS::DynamoDB::Table",
            "DeletionPolicy": "Delete",
            "Properties": {
                "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            },
        },
    }
    outputs = {
        "EchoUrl": {"Value": {"Fn::GetAtt": ["EchoUrl", "FunctionUrl"]}},
        "ApiHost": {"Value": {"Fn::Sub": "${Proxy}.execute-api.${AWS::Region}.${AWS::URLSuffix}"}},
        "ConnectionArn": {"Value": {"Fn::GetAtt": ["Connection", "Arn"]}},
        "RoleArn": {"Value": {"Fn::GetAtt": ["Role", "Arn"]}},
        "TableName": {"Value": {"Ref": "Table"}},
        "MissingTableName": {"Value": {"Fn::Sub": "${AWS::StackName}-missing-table"}},
    }
    return {"AWSTemplateFormatVersion": "2010-09-09", "Resources": resources, "Outputs": outputs}


def probe_statements() -> list[dict[str, Any]]:
    """What the DynamoDB and ``.sync:2`` probes need, and nothing more: PutItem on the probe
    table and on the name of a table that never exists; the documented ``startExecution.sync``
    permissions ("Start a new AWS Step Functions state machine from a running execution", its
    IAM policies, Synchronous) scoped to the one child."""
    child = "${AWS::StackName}-" + SYNC_CHILD
    return [
        {
            "Effect": "Allow",
            "Action": "dynamodb:PutItem",
            "Resource": [
                {"Fn::GetAtt": ["Table", "Arn"]},
                _arn("dynamodb", "table/${AWS::StackName}-missing-table"),
            ],
        },
        {
            "Effect": "Allow",
            "Action": "states:StartExecution",
            "Resource": _arn("states", f"stateMachine:{child}"),
        },
        {
            "Effect": "Allow",
            "Action": ["states:DescribeExecution", "states:StopExecution"],
            "Resource": _arn("states", f"execution:{child}:*"),
        },
        {  # a Distributed Map starts its children as executions of its own state machine
            "Effect": "Allow",
            "Action": ["states:StartExecution"],
            "Resource": _arn("states", f"stateMachine:${{AWS::StackName}}-{BATCHER}"),
        },
        {
            "Effect": "Allow",
            "Action": ["states:DescribeExecution", "states:StopExecution"],
            "Resource": _arn("states", f"execution:${{AWS::StackName}}-{BATCHER}/*"),
        },
        {  # the start-rate probe's Distributed Map, likewise
            "Effect": "Allow",
            "Action": ["states:StartExecution"],
            "Resource": _arn("states", f"stateMachine:${{AWS::StackName}}-{START_RATE}"),
        },
        {
            "Effect": "Allow",
            "Action": ["states:DescribeExecution", "states:StopExecution"],
            "Resource": _arn("states", f"execution:${{AWS::StackName}}-{START_RATE}/*"),
        },
        {
            "Effect": "Allow",
            "Action": ["events:PutTargets", "events:PutRule", "events:DescribeRule"],
            "Resource": _arn("events", "rule/StepFunctionsGetEventsForStepFunctionsExecutionRule"),
        },
    ]


def build_fix_template() -> dict[str, Any]:
    """A second proxy with the proposed fix: ``X-Api-Key`` overridden by a static ``''``."""
    resources = proxy_resources({"integration.request.header.X-Api-Key": "''"})
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Parameters": {"EchoHost": {"Type": "String"}},
        "Resources": resources,
        "Outputs": {
            "ApiHost": {
                "Value": {"Fn::Sub": "${Proxy}.execute-api.${AWS::Region}.${AWS::URLSuffix}"}
            }
        },
    }


def _with_echo_host(resources: dict[str, Any]) -> dict[str, Any]:
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Parameters": {"EchoHost": {"Type": "String"}},
        "Resources": resources,
        "Outputs": {
            "ApiHost": {
                "Value": {"Fn::Sub": "${Proxy}.execute-api.${AWS::Region}.${AWS::URLSuffix}"}
            }
        },
    }


def build_trim_template(source: str) -> dict[str, Any]:
    """A proxy shaped like the trimming one (``trim.py``): a non-proxy HTTP integration whose
    ``type`` query is declared as ``method.request.querystring.type`` and mapped from
    ``method.request.<source>.type``; its 200 answer rendered by ``TRIM_TEMPLATE``."""
    resources = proxy_resources()
    method = resources["ProxyMethod"]["Properties"]
    method["HttpMethod"] = "GET"
    method["RequestParameters"] = {
        "method.request.path.proxy": True,
        "method.request.querystring.type": False,
    }
    method["Integration"] = {
        "Type": "HTTP",
        "IntegrationHttpMethod": "GET",
        "Uri": {"Fn::Join": ["", ["https://", {"Ref": "EchoHost"}, "/{proxy}"]]},
        "RequestParameters": {
            "integration.request.path.proxy": "method.request.path.proxy",
            "integration.request.querystring.type": f"method.request.{source}.type",
        },
        "PassthroughBehavior": "WHEN_NO_TEMPLATES",
        "IntegrationResponses": [
            {
                "StatusCode": "200", "ResponseTemplates": {"application/json": TRIM_TEMPLATE},
                "ResponseParameters": {
                    f"method.response.header.{n}": f"integration.response.multivalueheader.{n}"
                    for n in ("Content-Encoding", "content-encoding")
                },
            }
        ],
    }  # fmt: skip
    method["MethodResponses"] = [
        {
            "StatusCode": "200",
            "ResponseParameters": {
                f"method.response.header.{name}": False
                for name in ("Content-Encoding", "content-encoding")
            },
        }
    ]
    return _with_echo_host(resources)


def build_quote_template(value: str) -> dict[str, Any]:
    """A proxy mapping the static ``value`` (a quoted literal holding ``'``) onto a header."""
    return _with_echo_host(proxy_resources({f"integration.request.header.{QUOTE_HEADER}": value}))


def build_query_secret_template() -> dict[str, Any]:
    """A proxy adding the static query parameter ``appid`` (``from_secret(query_param=...)``)
    to every request, beside the query the caller sends."""
    return _with_echo_host(
        proxy_resources({"integration.request.querystring.appid": f"'{QUERY_SECRET}'"})
    )


def alarm_name(variant: str) -> dict[str, Any]:
    return {"Fn::Sub": "${AWS::StackName}-" + variant}


def build_alarm_key_template() -> dict[str, Any]:
    """For each of ``ALARM_KEY_VARIANTS``: a KMS key, an SNS topic it encrypts, an alarm that
    notifies the topic. Each key lets ``cloudwatch.amazonaws.com`` use it under one condition;
    CloudFormation schedules each key's deletion after ``PendingWindowInDays`` (the minimum, 7)
    when the stack is deleted."""
    conditions: dict[str, dict[str, Any] | None] = {
        "source-arn": {
            "ArnEquals": {"aws:SourceArn": _arn("cloudwatch", "alarm:${AWS::StackName}-source-arn")}
        },
        # The construct's statement (``_flow/alarms.py``, ``let_cloudwatch_use_key``).
        "construct": {
            "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}},
            "ArnLike": {"aws:SourceArn": _arn("cloudwatch", "alarm:*")},
        },
        "open": None,
    }
    resources: dict[str, Any] = {}
    outputs: dict[str, Any] = {}
    for variant in ALARM_KEY_VARIANTS:
        part = "".join(word.title() for word in variant.split("-"))
        publisher: dict[str, Any] = {
            "Sid": "AllowCloudWatchAlarmsToPublish",
            "Effect": "Allow",
            "Principal": {"Service": "cloudwatch.amazonaws.com"},
            "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
            "Resource": "*",
        }
        if conditions[variant] is not None:
            publisher["Condition"] = conditions[variant]
        resources[f"Key{part}"] = {
            "Type": "AWS::KMS::Key",
            "Properties": {
                "Description": {"Fn::Sub": "${AWS::StackName}: sfn-downloader verify probe"},
                "PendingWindowInDays": 7,
                "KeyPolicy": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "AccountAdministers",
                            "Effect": "Allow",
                            "Principal": {
                                "AWS": {
                                    "Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"
                                }
                            },
                            "Action": "kms:*",
                            "Resource": "*",
                        },
                        publisher,
                    ],
                },
            },
        }
        resources[f"Topic{part}"] = {
            "Type": "AWS::SNS::Topic",
            "Properties": {"KmsMasterKeyId": {"Fn::GetAtt": [f"Key{part}", "Arn"]}},
        }
        resources[f"Alarm{part}"] = {
            "Type": "AWS::CloudWatch::Alarm",
            "Properties": {
                "AlarmName": alarm_name(variant),
                "Namespace": "sfn-downloader/verify",
                "MetricName": "NeverPublished",
                "Statistic": "Sum",
                "Period": 60,
                "EvaluationPeriods": 1,
                "Threshold": 1,
                "ComparisonOperator": "GreaterThanOrEqualToThreshold",
                "TreatMissingData": "notBreaching",
                "AlarmActions": [{"Ref": f"Topic{part}"}],
            },
        }
        outputs[f"Alarm{part}"] = {"Value": {"Ref": f"Alarm{part}"}}
    return {"AWSTemplateFormatVersion": "2010-09-09", "Resources": resources, "Outputs": outputs}


EXTRA_STACKS: tuple[tuple[str, str, str, Callable[[], dict[str, Any]]], ...] = (
    ("fix", "Fix", "remap-header", build_fix_template),
    *(
        (f"trim-{kind}", f"Trim{kind.title()}", "trim-query-mapping",
         lambda source=source: build_trim_template(source))
        for kind, source in TRIM_SOURCES.items()
    ),
    *(
        (f"quote-{kind}", f"Quote{kind.title()}", "header-value-quote",
         lambda value=value: build_quote_template(value))
        for kind, value in QUOTED_VALUES.items()
    ),
    ("alarm-key", "AlarmKey", "alarm-key-source-arn", build_alarm_key_template),
    ("query-secret", "QuerySecret", "query-secret", build_query_secret_template),
)  # fmt: skip
"""The extra stacks: ``<name>-<suffix>``, the prefix of their outputs in the probes' outputs
(``<prefix>ApiHost``, or ``<prefix>StackError`` when refused), the question they serve (not
deployed when it is skipped), their template."""


def deploy(
    cloudformation: Any,
    name: str,
    template: dict[str, Any],
    parameters: dict[str, str] | None = None,
) -> dict[str, str]:
    """Create stack ``name``, wait for it, return its outputs; raise with the first failure."""
    start_stack(cloudformation, name, template, parameters)
    return finish_stack(cloudformation, name)


def start_stack(
    cloudformation: Any,
    name: str,
    template: dict[str, Any],
    parameters: dict[str, str] | None = None,
) -> None:
    """Ask CloudFormation to create stack ``name`` (``finish_stack`` waits for it)."""
    cloudformation.create_stack(
        StackName=name,
        TemplateBody=json.dumps(template),
        Parameters=[
            {"ParameterKey": k, "ParameterValue": v} for k, v in (parameters or {}).items()
        ],
        Capabilities=["CAPABILITY_IAM"],
        OnFailure="ROLLBACK",  # keeps the failure's events readable; destroy() deletes it
    )


def finish_stack(cloudformation: Any, name: str) -> dict[str, str]:
    """Wait for stack ``name`` to be created and return its outputs; raise if it failed."""
    cloudformation.get_waiter("stack_create_complete").wait(
        StackName=name, WaiterConfig={"Delay": 10, "MaxAttempts": 90}
    )
    [stack] = cloudformation.describe_stacks(StackName=name)["Stacks"]
    return {output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs", [])}


def failure_reason(cloudformation: Any, name: str) -> str:
    """The first resource failure CloudFormation recorded for stack ``name``."""
    for event in cloudformation.describe_stack_events(StackName=name)["StackEvents"]:
        if str(event.get("ResourceStatus", "")).endswith("_FAILED"):
            return f"{event['LogicalResourceId']}: {event.get('ResourceStatusReason', '')}"
    return "no failed resource recorded"


def extra_stacks(name: str, skip: Sequence[str]) -> list[tuple[str, str, dict[str, Any]]]:
    """The ``EXTRA_STACKS`` whose question is asked: stack name, output prefix, template."""
    return [
        (f"{name}-{suffix}", prefix, build())
        for suffix, prefix, question, build in EXTRA_STACKS
        if question not in skip
    ]


def deploy_extras(
    cloudformation: Any, name: str, skip: Sequence[str], echo_host: str
) -> dict[str, str]:
    """Create the ``EXTRA_STACKS`` whose question is asked, all at once, then wait for each:
    their outputs (``<prefix><output>``), or ``<prefix>StackError`` for each one refused."""
    started: list[tuple[str, str]] = []
    outputs: dict[str, str] = {}
    for stack_name, prefix, template in extra_stacks(name, skip):
        wanted = "EchoHost" in template.get("Parameters", {})
        parameters = {"EchoHost": echo_host} if wanted else {}
        try:
            start_stack(cloudformation, stack_name, template, parameters)
            started.append((stack_name, prefix))
        except Exception as error:  # e.g. a template CloudFormation refuses outright
            outputs[f"{prefix}StackError"] = f"refused: {error}"
    for stack_name, prefix in started:
        try:
            for key, value in finish_stack(cloudformation, stack_name).items():
                outputs[f"{prefix}{key}"] = value
        except Exception as error:
            reason = failure_reason(cloudformation, stack_name)
            outputs[f"{prefix}StackError"] = f"refused: {reason} ({error})"
    return outputs


def destroy(cloudformation: Any, *names: str, emit: Callable[[str], None] = print) -> list[str]:
    """Delete stacks ``names`` (all asked first, then each waited for): a stack that fails to
    delete is reported and the others are still deleted. Returns the names not deleted."""
    asked = []
    failed = []
    for name in names:
        emit(f"Deleting {name} ...")
        try:
            cloudformation.delete_stack(StackName=name)
            asked.append(name)
        except Exception as error:
            emit(f"Could not delete {name}: {error}")
            failed.append(name)
    for name in asked:
        try:
            cloudformation.get_waiter("stack_delete_complete").wait(
                StackName=name, WaiterConfig={"Delay": 10, "MaxAttempts": 90}
            )
        except Exception as error:
            emit(f"Could not delete {name}: {error} (delete it in the console)")
            failed.append(name)
    return failed


class Probe:
    """Creates small state machines, runs each once, and remembers them for deletion."""

    def __init__(
        self,
        sfn: Any,
        role_arn: str,
        prefix: str,
        sleep: Callable[[float], None],
        *,
        cloudwatch: Any = None,
    ):
        self.sfn = sfn
        self.role_arn = role_arn
        self.prefix = prefix
        self.sleep = sleep
        self.cloudwatch = cloudwatch
        """For the alarm probe (``set_alarm_state``, ``describe_alarm_history``)."""
        self.created: list[str] = []

    def create(self, name: str, definition: dict[str, Any], workflow_type: str) -> str:
        for attempt in range(6):
            try:
                arn = str(
                    self.sfn.create_state_machine(
                        name=f"{self.prefix}-{name}",
                        definition=json.dumps(definition),
                        roleArn=self.role_arn,
                        type=workflow_type,
                    )["stateMachineArn"]
                )
                self.created.append(arn)
                return arn
            except ClientError as error:
                # A just-created role may not be assumable yet (IAM is eventually consistent).
                code = error.response.get("Error", {}).get("Code")
                if code != "AccessDeniedException" or attempt == 5:
                    raise
                self.sleep(10)
        raise AssertionError("unreachable")

    def run(
        self,
        name: str,
        definition: dict[str, Any],
        *,
        workflow_type: str = "EXPRESS",
        wait_seconds: float = 300.0,
        execution_input: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Run ``definition`` once: ``status``, ``error``, ``cause``, ``output`` (parsed).

        :param execution_input: The execution's input. Default: ``{}``.
        """
        arn = self.create(name, definition, workflow_type)
        sent = json.dumps(execution_input or {})
        if workflow_type == "EXPRESS":
            answer = self.sfn.start_sync_execution(stateMachineArn=arn, input=sent)
        else:
            execution = self.sfn.start_execution(stateMachineArn=arn, input=sent)["executionArn"]
            waited = 0.0
            while True:
                answer = self.sfn.describe_execution(executionArn=execution)
                if answer["status"] != "RUNNING":
                    break
                if waited >= wait_seconds:
                    # Never leave a Standard execution running (and billing) behind.
                    self.sfn.stop_execution(executionArn=execution, error="Probe.TimedOut")
                    break
                self.sleep(5)
                waited += 5
            answer["history_events"] = last_event_id(self.sfn, execution)
        output = answer.get("output")
        return {
            "status": answer.get("status"),
            "error": answer.get("error"),
            "cause": (answer.get("cause") or "")[:300] or None,
            "output": json.loads(output) if output else None,
            **({"history_events": answer["history_events"]} if "history_events" in answer else {}),
        }

    def delete_all(self) -> None:
        for arn in self.created:
            self.sfn.delete_state_machine(stateMachineArn=arn)
        self.created = []


def last_event_id(sfn: Any, execution_arn: str) -> int | None:
    """The id of an execution's last history event: how many events it has."""
    events = sfn.get_execution_history(executionArn=execution_arn, reverseOrder=True, maxResults=1)
    return int(events["events"][0]["id"]) if events["events"] else None


def task(resource: str, parameters: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"Type": "Task", "Resource": resource, "Parameters": parameters, **fields}


def machine(state: dict[str, Any], *extra: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    """``{"StartAt": "Probe", ...}`` with ``state`` as ``Probe``, ending the machine."""
    states = {"Probe": {**state, **({} if "Next" in state else {"End": True})}, **dict(extra)}
    return {"StartAt": "Probe", "States": states}


MISSING = "$.ResponseBody.missing"
"""A JSONPath that selects nothing in the echo's answer: States.Runtime."""
CAUGHT = ("Caught", {"Type": "Pass", "Result": "caught", "End": True})


def invoke(host: str, path: str, **parameters: Any) -> dict[str, Any]:
    return {
        "ApiEndpoint": host,
        "Method": "GET",
        "Stage": STAGE,
        "Path": path,
        "AuthType": "IAM_ROLE",
        **parameters,
    }


def questions(outputs: dict[str, str]) -> dict[str, Callable[[Probe], Any]]:
    """Each open question as a function of a ``Probe``; its result is what AWS answered."""
    echo = outputs["EchoUrl"].rstrip("/")
    host = outputs["ApiHost"]
    http_auth = {"ConnectionArn": outputs["ConnectionArn"]}
    apigw = "arn:aws:states:::apigateway:invoke"
    http = "arn:aws:states:::http:invoke"

    def http_task_headers(probe: Probe) -> Any:
        params = {"ApiEndpoint": f"{echo}/headers", "Method": "GET", "Authentication": http_auth}
        answer = probe.run("http-headers", machine(task(http, params)))
        output = answer["output"] or {}
        return {"Headers": output.get("Headers"), "upstream saw": output.get("ResponseBody")}

    def http_task_query(probe: Probe) -> Any:
        params = {
            "ApiEndpoint": f"{echo}/q?static=1&dup=a",
            "Method": "GET",
            "Authentication": http_auth,
            "QueryParameters": {"dup": "b", "page": "2"},
        }
        answer = probe.run("http-query", machine(task(http, params)))
        body = (answer["output"] or {}).get("ResponseBody") or {}
        return {
            "status": answer["status"],
            "error": answer["error"],
            "query": body.get("rawQueryString"),
        }

    def http_task_computed_query(probe: Probe) -> Any:
        """A request computed each run, as the construct sends it through the HTTP Task
        (issue 23): ``ApiEndpoint.$`` an intrinsic over a variable, ``QueryParameters.$`` the
        whole variable (one string a name). How does the task encode the values (``:``, ``+``
        of an offset, a space, ``&``, ``/``, non-ASCII)? The local runner's choice is Python's
        ``urlencode``; no document settles it."""
        query = {
            "from": "2026-11-27T03:55:00Z", "since": "2026-03-01T11:30:00+01:00",
            "q": "a b&c=d/é",
        }  # fmt: skip
        compute = {
            "Type": "Pass",
            "Assign": {"requestPath": "v1/2026-11-27", "requestQuery": query},
            "Next": "Download",
        }
        download = task(http, {
            "ApiEndpoint.$": f"States.Format('{{}}/{{}}', '{echo}', $requestPath)",
            "Method": "GET", "Authentication": http_auth, "QueryParameters.$": "$requestQuery",
        }, End=True)  # fmt: skip
        answer = probe.run("http-computed-query", machine(compute, ("Download", download)))
        body = (answer["output"] or {}).get("ResponseBody") or {}
        return {
            "status": answer["status"],
            "error": answer["error"],
            "rawPath": body.get("rawPath") if isinstance(body, dict) else body,
            "rawQueryString": body.get("rawQueryString") if isinstance(body, dict) else None,
            "local runner (urlencode)": urlencode(query),
        }

    def seen_path(name: str, path: str, api: str = host, **extra: Any) -> Any:
        def ask(probe: Probe) -> Any:
            answer = probe.run(name, machine(task(apigw, invoke(api, path, **extra))))
            body = (answer["output"] or {}).get("ResponseBody") or {}
            return {
                "status": answer["status"],
                "error": answer["error"],
                "rawPath": body.get("rawPath") if isinstance(body, dict) else body,
                "headers": body.get("headers") if isinstance(body, dict) else None,
            }

        return ask

    def invoke_path_slash(probe: Probe) -> Any:
        return {
            path: {k: v for k, v in seen_path(f"slash-{n}", path)(probe).items() if k != "headers"}
            for n, path in enumerate(("v1/slash", "/v1/slash"))
        }

    def invoke_path_encoding(probe: Probe) -> Any:
        paths = (
            "/v1/names/Jita%20IV/", "/v1/names/Jita IV/", "/v1/a%2Fb",
            "/v1/things/t%2F0/detail", "/v1/things/%252e%252e/detail",
        )  # fmt: skip
        return {
            path: {k: v for k, v in seen_path(f"enc-{n}", path)(probe).items() if k != "headers"}
            for n, path in enumerate(paths)
        }

    def remap_header(probe: Probe) -> Any:
        headers = {"Headers": {"X-Api-Key": [CREDENTIAL]}}
        seen = seen_path("remap", "/v1/private", **headers)(probe)
        result: dict[str, Any] = {"construct today": _credential_headers(seen.get("headers"))}
        if "FixApiHost" in outputs:
            fixed = seen_path("remap-fixed", "/v1/private", outputs["FixApiHost"], **headers)(probe)
            result["with static '' mapping"] = _credential_headers(fixed.get("headers"))
        else:
            result["with static '' mapping"] = outputs.get("FixStackError", "not deployed")
        return result

    def catch_rules(probe: Probe) -> Any:
        big = invoke(host, "/v1/big", QueryParameters={"big": ["1"]})
        missing = {**invoke(host, "/v1/small")}
        cases = {
            "DataLimitExceeded, Catch States.ALL": (big, ["States.ALL"], None),
            "DataLimitExceeded, Catch States.DataLimitExceeded": (
                big, ["States.DataLimitExceeded"], None
            ),
            "Runtime, Catch States.ALL": (missing, ["States.ALL"], MISSING),
            "Runtime, Catch States.Runtime": (missing, ["States.Runtime"], MISSING),
        }  # fmt: skip
        results = {}
        for n, (label, (params, errors, selected)) in enumerate(cases.items()):
            fields: dict[str, Any] = {"Catch": [{"ErrorEquals": errors, "Next": "Caught"}]}
            if selected:
                fields["ResultSelector"] = {"x.$": selected}
            answer = probe.run(f"catch-{n}", machine(task(apigw, params, **fields), CAUGHT))
            results[label] = {
                "status": answer["status"], "error": answer["error"],
                "caught": answer["output"] == "caught",
            }  # fmt: skip
        return results

    def inline_map_data_limit(probe: Probe) -> Any:
        download = task(
            apigw, invoke(host, "/v1/big", QueryParameters={"big": ["1"]}),
            Catch=[{"ErrorEquals": ["States.ALL"], "Next": "Failed"}], End=True,
        )  # fmt: skip
        definition = {
            "StartAt": "Items",
            "States": {
                "Items": {"Type": "Pass", "Result": {"items": [1, 2]}, "Next": "Map"},
                "Map": {
                    "Type": "Map",
                    "ItemsPath": "$.items",
                    "ItemProcessor": {
                        "ProcessorConfig": {"Mode": "INLINE"},
                        "StartAt": "Download",
                        "States": {"Download": download, "Failed": {"Type": "Pass", "End": True}},
                    },
                    "End": True,
                },
            },
        }
        return {k: v for k, v in probe.run("inline-map", definition).items() if k != "output"}

    def array_range(probe: Probe) -> Any:
        state = {"Type": "Pass", "Parameters": {"r.$": "States.ArrayRange(1, 1001, 1)"}}
        return {k: v for k, v in probe.run("array-range", machine(state)).items() if k != "output"}

    def throttled_answers(probe: Probe) -> Any:
        """retry_after: does a failed task's cause hold the 429's headers (HTTP Task,
        apigateway:invoke), and does AWS's JSONata read an HTTP-date with the picture the
        construct uses (``$toMillis``), next to the Context object's ``State.EnteredTime``?"""
        picture = "[FNn,*-3], [D01] [MNn,*-3] [Y0001] [H01]:[m01]:[s01] GMT"
        throttled = {"ApiEndpoint": f"{echo}/throttled?throttle=1", "Method": "GET",
                     "Authentication": http_auth}  # fmt: skip
        via_proxy = invoke(host, "/v1/throttled", QueryParameters={"throttle": ["1"]})
        date = {
            "Type": "Pass", "QueryLanguage": "JSONata",
            "Output": "{% {'date': $toMillis('Wed, 21 Oct 2015 07:28:00 GMT', '" + picture
            + "'), 'entered': $states.context.State.EnteredTime} %}",
        }  # fmt: skip
        keep = ("status", "error", "cause")
        return {
            "HTTP Task 429": {
                k: v for k, v in probe.run("throttled-http", machine(task(http, throttled))).items()
                if k in keep
            },
            "apigateway:invoke 429": {
                k: v
                for k, v in probe.run("throttled-apigw", machine(task(apigw, via_proxy))).items()
                if k in keep
            },
            "JSONata HTTP-date (1445412480000 expected)": probe.run(
                "http-date", machine(date)
            )["output"],
        }  # fmt: skip

    def express_patterns(probe: Probe) -> Any:
        account = outputs["RoleArn"].split(":")[4]
        region = host.split(".")[2]
        arn = f"arn:aws:%s:{region}:{account}:%s"
        tasks = {
            ".sync:2": task(
                "arn:aws:states:::states:startExecution.sync:2",
                {"StateMachineArn": arn % ("states", "stateMachine:none")},
            ),
            ".waitForTaskToken": task(
                "arn:aws:states:::lambda:invoke.waitForTaskToken",
                {
                    "FunctionName": arn % ("lambda", "function:none"),
                    "Payload": {"token.$": "$$.Task.Token"},
                },
            ),
        }
        results = {}
        for n, (label, state) in enumerate(tasks.items()):
            definition = machine(state)
            try:
                probe.create(f"express-{n}", definition, "EXPRESS")
                results[label] = "accepted (unexpected)"
            except ClientError as error:
                details = error.response.get("Error", {})
                results[label] = f"{details.get('Code')}: {details.get('Message')}"
        return results

    def conditional_304(probe: Probe) -> Any:
        """conditional=True: does If-None-Match reach the backend through HTTP_PROXY, and is its
        304 the task error ApiGateway.304 ("Call API Gateway with Step Functions": every
        non-2xx status is an error) rather than a success?"""
        results = {}
        for n, extra in enumerate(({}, {"Headers": {"If-None-Match": ['"probe-etag"']}})):
            answer = probe.run(f"cond-{n}", machine(task(apigw, invoke(host, "/v1/cond", **extra))))
            output = answer["output"] or {}
            headers = {k.lower(): v for k, v in (output.get("Headers") or {}).items()}
            results["with If-None-Match" if n else "without"] = {
                "status": answer["status"], "error": answer["error"], "cause": answer["cause"],
                "StatusCode": output.get("StatusCode"),
                "ETag": headers.get("etag"),
            }  # fmt: skip
        return results

    def history_quota(probe: Probe) -> Any:
        loop = {"StartAt": "Loop", "States": {"Loop": {"Type": "Pass", "Next": "Loop"}}}
        answer = probe.run(
            "history", loop, workflow_type="STANDARD", wait_seconds=HISTORY_WAIT_SECONDS
        )
        return {k: v for k, v in answer.items() if k != "output"}

    def dynamodb_error_names(probe: Probe) -> Any:
        """Settles how a ``dynamodb:putItem`` task names an error PutItem's model lists
        (``ResourceNotFoundException``) and one it does not (``ValidationException``: the code,
        or the SDK's generic ``AmazonDynamoDBException`` as the local runner answers). It only
        suggests the spelling of ``InternalServerError`` and ``RequestLimitExceeded``, which
        cannot be provoked: the SDK's generic exception (whose cause names
        ``AmazonDynamoDBv2``, the AWS SDK for Java's service name) means names are the Java
        SDK's exception classes, ``InternalServerErrorException``; the code means the codes."""
        put = "arn:aws:states:::dynamodb:putItem"
        cases = {
            "missing table": {"TableName": outputs["MissingTableName"], "Item": {"pk": {"S": "x"}}},
            "item without its key": {"TableName": outputs["TableName"], "Item": {"o": {"S": "x"}}},
        }  # fmt: skip
        results: dict[str, Any] = {}
        for n, (label, params) in enumerate(cases.items()):
            answer = probe.run(f"dynamodb-{n}", machine(task(put, params)))
            results[label] = {k: answer[k] for k in ("status", "error", "cause")}
        unlisted = results["item without its key"]["error"]
        results["reading"] = (
            "unlisted codes take the SDK's generic exception (as the local runner): names are "
            "the SDK's exception classes, which suggests DynamoDB.InternalServerErrorException"
            if unlisted == "DynamoDB.AmazonDynamoDBException"
            else "names are the error codes, which suggests DynamoDB.InternalServerError: the "
            "local runner's DynamoDB.AmazonDynamoDBException is wrong"
            if unlisted == "DynamoDB.ValidationException"
            else f"unexpected: {unlisted}"
        )
        return results

    def express_child_sync(probe: Probe) -> Any:
        """Does a Standard parent wait on an Express child with ``startExecution.sync:2`` (the
        backfill), and what is the task's output? The role has exactly the documented
        permissions (``probe_statements``), which name ``execution:<child>:*`` and no
        ``express:`` ARN (an Express execution's): an access error in the cause would mean the
        backfill's grant (aws-cdk-lib's ``execution:<name>*``) falls short too."""
        child = {"Type": "Pass", "Parameters": {"child": "done", "input.$": "$"}}
        child_arn = probe.create(SYNC_CHILD, machine(child), "EXPRESS")
        start = task(
            "arn:aws:states:::states:startExecution.sync:2",
            {"StateMachineArn": child_arn, "Input": {"from": "parent"}},
        )
        answer = probe.run(
            "sync-parent", machine(start), workflow_type="STANDARD", wait_seconds=SYNC_WAIT_SECONDS
        )
        output = answer["output"]
        return {
            "status": answer["status"],
            "error": answer["error"],
            "cause": answer["cause"],
            "output": output,
            "output keys": sorted(output) if isinstance(output, dict) else None,
        }

    def assign_before_selector(probe: Probe) -> Any:
        """Does ``Assign`` in a JSONPath Task read the raw result, or what ``ResultSelector``
        kept? The whole ``$`` is assigned, so either answer runs to the end."""
        download = task(
            apigw, invoke(host, "/v1/assign"),
            ResultSelector={"StatusCode.$": "$.StatusCode"},
            Assign={"whole.$": "$"},
            Next="Show",
        )  # fmt: skip
        show = {
            "Type": "Pass",
            "Parameters": {"assigned.$": "$whole", "output.$": "$"},
            "End": True,
        }
        answer = probe.run("assign", machine(download, ("Show", show)))
        output = answer["output"] if isinstance(answer["output"], dict) else {}
        assigned = output.get("assigned")
        keys = sorted(assigned) if isinstance(assigned, dict) else assigned
        return {
            "status": answer["status"],
            "error": answer["error"],
            "assigned keys": keys,
            "reading": None
            if not isinstance(assigned, dict)
            else "the raw result"
            if "ResponseBody" in assigned
            else "what ResultSelector kept",
        }

    def assign_result_path(probe: Probe) -> Any:
        """With a ``ResultPath`` (``null``: the input passes on; ``$.result``: the result is
        kept beside it), does ``Assign`` in a JSONPath Task read the result, or the state's
        output? The construct depends on neither (issue 25, item 9: ``ReadState`` is JSONata,
        a kept answer is read by a Pass that only assigns); the answer says whether it could."""
        answers = {}
        for name, result_path in (("null", None), ("kept", "$.result")):
            download = task(
                apigw, invoke(host, "/v1/assign"),
                ResultPath=result_path, Assign={"whole.$": "$"}, Next="Show",
            )  # fmt: skip
            show = {"Type": "Pass", "Parameters": {"assigned.$": "$whole"}, "End": True}
            answer = probe.run(f"assign-{name}", machine(download, ("Show", show)))
            output = answer["output"] if isinstance(answer["output"], dict) else {}
            assigned = output.get("assigned")
            answers[name] = {
                "status": answer["status"],
                "error": answer["error"],
                "assigned keys": sorted(assigned) if isinstance(assigned, dict) else assigned,
                "reading": None
                if not isinstance(assigned, dict)
                else "the result"
                if "ResponseBody" in assigned
                else "the state's output",
            }
        return answers

    def assign_no_match(probe: Probe) -> Any:
        """What does a JSONPath ``Assign`` with a wildcard path that matches nothing assign (a
        throttled page's body has no records): ``[]``, or does the state fail
        ``States.Runtime``? Incremental's ``ReadPage`` assigns ``$cursorValues`` after the throttle
        check (issue 25, item 9); locally it assigns ``[]``."""
        bodies = {
            "object": {"message": "slow down"},  # [*] over an object's values, none has it
            "missing": {"items_elsewhere": []},  # the list's parent is absent
        }
        answers = {}
        for name, body in bodies.items():
            given = {
                "Type": "Pass",
                "Result": {"ResponseBody": body},
                "Assign": {"values.$": "$.ResponseBody.items[*].updated_at"
                           if name == "missing" else "$.ResponseBody[*].updated_at"},
                "Next": "Show",
            }  # fmt: skip
            show = {"Type": "Pass", "Parameters": {"assigned.$": "$values"}, "End": True}
            answer = probe.run(f"assign-{name}", machine(given, ("Show", show)))
            output = answer["output"] if isinstance(answer["output"], dict) else {}
            answers[name] = {
                "status": answer["status"], "error": answer["error"],
                "assigned": output.get("assigned"),
            }  # fmt: skip
        return answers

    def trim_query_mapping(probe: Probe) -> Any:
        """Does ``method.request.multivaluequerystring.<name>`` deploy for a non-proxy HTTP
        integration (trim.py), and what does ``$input.json('$.missing')`` render? The
        ``querystring`` stack is the control: it answers the second question even if the
        first stack is refused."""
        results: dict[str, Any] = {}
        for kind, source in TRIM_SOURCES.items():
            prefix = f"Trim{kind.title()}"
            if f"{prefix}ApiHost" not in outputs:
                results[source] = outputs.get(f"{prefix}StackError", "not deployed")
                continue
            params = invoke(
                outputs[f"{prefix}ApiHost"], "/v1/trim", QueryParameters={"type": ["sell", "buy"]}
            )
            answer = probe.run(f"trim-{kind}", machine(task(apigw, params)))
            body = (answer["output"] or {}).get("ResponseBody")
            results[source] = {
                "deployed": True,
                "status": answer["status"],
                "error": answer["error"],
                "cause": answer["cause"],
                "rendered": body,
            }
        return results

    def trim_compressed(probe: Probe) -> Any:
        """A gzip answer (``/v1/gz``: ``Content-Encoding: gzip``) through the trimming stacks'
        non-proxy integration, whose 200 template reads the body with ``$input.json`` and whose
        200 maps ``Content-Encoding`` (both spellings), as ``trim.py`` does on every kept success
        with a body. What does the template render on a body that is not JSON (no page says: an
        error, a 500, empty text?), and does ``Content-Encoding`` reach ``Headers``? The
        construct relies on neither: a 500 fails the run (``ApiGateway.500``), and a rendered
        answer carrying the header is refused by the checked download
        (``Downloader.CompressedAnswer``); the local runner answers 500 naming the compression."""
        results: dict[str, Any] = {}
        for kind in TRIM_SOURCES:
            prefix = f"Trim{kind.title()}"
            if f"{prefix}ApiHost" not in outputs:
                results[kind] = outputs.get(f"{prefix}StackError", "not deployed")
                continue
            answer = probe.run(
                f"trim-gz-{kind}",
                machine(task(apigw, invoke(outputs[f"{prefix}ApiHost"], "/v1/gz"))),
            )
            output = answer["output"] or {}
            headers = output.get("Headers") or {}
            results[kind] = {
                "status": answer["status"], "error": answer["error"], "cause": answer["cause"],
                "Content-Encoding": [
                    v for k, v in headers.items() if k.lower() == "content-encoding"
                ],
                "ResponseBody": repr(output.get("ResponseBody"))[:200],
            }  # fmt: skip
        return results

    def proxy_query_encoding(probe: Probe) -> Any:
        """How ``QueryParameters`` reach the third party through the HTTP_PROXY (Step Functions
        and API Gateway together), beside what the local runner sends (``urlencode``)."""
        query = {"space": ["a b"], "plus": ["a+b"], "accent": ["é"], "slash": ["a/b"]}
        params = invoke(host, "/v1/query", QueryParameters=query)
        answer = probe.run("query-encoding", machine(task(apigw, params)))
        body = (answer["output"] or {}).get("ResponseBody") or {}
        return {
            "status": answer["status"],
            "error": answer["error"],
            "rawQueryString": body.get("rawQueryString") if isinstance(body, dict) else body,
            "local runner (urlencode)": urlencode(query, doseq=True),
        }

    def alarm_key_source_arn(probe: Probe) -> Any:
        """Do CloudWatch's KMS calls for an alarm's encrypted topic carry ``aws:SourceArn``?
        Each alarm is set to ALARM; its action history says whether it could publish. The
        ``open`` key (no condition) is the control: if it fails too, the condition is not why."""
        if "AlarmKeyAlarmOpen" not in outputs:
            return outputs.get("AlarmKeyStackError", "not deployed")
        names = {
            variant: outputs["AlarmKeyAlarm" + "".join(w.title() for w in variant.split("-"))]
            for variant in ALARM_KEY_VARIANTS
        }
        for name in names.values():
            probe.cloudwatch.set_alarm_state(
                AlarmName=name, StateValue="ALARM", StateReason="sfn-downloader verify probe"
            )
        return {variant: alarm_action(probe, name) for variant, name in names.items()}

    def query_secret(probe: Probe) -> Any:
        """Does a static ``integration.request.querystring.appid`` on an HTTP_PROXY reach the
        backend beside the caller's query, and how is its value encoded? The local runner
        adds it to the query and encodes it as Python's ``urlencode``."""
        if "QuerySecretApiHost" not in outputs:
            return outputs.get("QuerySecretStackError", "not deployed")
        query = {"q": ["London"]}
        api = outputs["QuerySecretApiHost"]
        answer = probe.run(
            "query-secret", machine(task(apigw, invoke(api, "/v1/weather", QueryParameters=query)))
        )
        body = (answer["output"] or {}).get("ResponseBody") or {}
        return {
            "status": answer["status"],
            "error": answer["error"],
            "rawQueryString": body.get("rawQueryString") if isinstance(body, dict) else body,
            "local runner (urlencode)": urlencode({**query, "appid": [QUERY_SECRET]}, doseq=True),
        }

    def header_value_quote(probe: Probe) -> Any:
        """Can a static header mapping value hold ``'``? Deployed or refused, and what the
        third party received."""
        results: dict[str, Any] = {}
        for kind, value in QUOTED_VALUES.items():
            prefix = f"Quote{kind.title()}"
            if f"{prefix}ApiHost" not in outputs:
                results[value] = outputs.get(f"{prefix}StackError", "not deployed")
                continue
            seen = seen_path(f"quote-{kind}", "/v1/quote", outputs[f"{prefix}ApiHost"])(probe)
            found = {str(k).lower(): v for k, v in dict(seen.get("headers") or {}).items()}
            results[value] = {
                "deployed": True,
                "status": seen["status"],
                "error": seen["error"],
                "received": found.get(QUOTE_HEADER.lower(), "<absent>"),
            }
        return results

    def compressed_answer(probe: Probe) -> Any:
        """A server that gzips whatever was asked (``?gzip=1``: ``Content-Encoding: gzip``,
        the body gzip bytes, sent as binary by the function URL). Through the HTTP Task: does
        the task fail (a body that is not a valid string, "Unsupported HTTP Task responses"),
        decompress it, or pass it on, and is ``Content-Encoding`` still in ``Headers``? Through
        the proxy (``apigateway:invoke``, API Gateway passing a compressed integration response
        through, "Receive an API response with a compressed payload"): what ``ResponseBody`` is
        a binary body made into, and does ``Content-Encoding`` reach ``Headers``? The construct
        fails the run (``Downloader.CompressedAnswer``) on a ``Content-Encoding`` other than
        ``identity`` before anything is stored, whatever the answers are."""

        def shown(answer: dict[str, Any]) -> dict[str, Any]:
            output = answer["output"] or {}
            headers = output.get("Headers") or {}
            coding = [v for k, v in headers.items() if k.lower() == "content-encoding"]
            body = output.get("ResponseBody")
            return {
                "status": answer["status"],
                "error": answer["error"],
                "cause": answer["cause"],
                "Content-Encoding": coding[0] if coding else "<absent>",
                "ResponseBody": body if isinstance(body, dict | list) else repr(body)[:200],
            }

        params = {"ApiEndpoint": f"{echo}/gz?gzip=1", "Method": "GET", "Authentication": http_auth}
        through_task = probe.run("http-gzip", machine(task(http, params)))
        through_proxy = probe.run(
            "invoke-gzip",
            machine(task(apigw, invoke(host, "v1/gz", QueryParameters={"gzip": ["1"]}))),
        )
        return {"http task": shown(through_task), "apigateway:invoke": shown(through_proxy)}

    def batcher_selector(probe: Probe) -> Any:
        """A Distributed Map over ``ItemsPath`` with both an ``ItemSelector`` and an
        ``ItemBatcher`` (``FanOut.from_answer`` in batches, and fans-out from S3, issue 28):
        is the selector applied to each item (``$$.Map.Item.Value``/``Index`` that item's) and
        does each Express child get ``{"Items": [<selected>, ...]}``? The children echo their
        input, so the Map's output shows what each got. No page found says it; the construct
        relies on yes (each request's scheduled time and run name come from the selector)."""
        values = {"Type": "Pass", "Result": {"values": [10, 20, 30], "tag": "t"}, "Next": "Map"}
        batched = {
            "Type": "Map", "ItemsPath": "$.values",
            "ItemSelector": {
                "value.$": "$$.Map.Item.Value", "index.$": "$$.Map.Item.Index", "tag.$": "$.tag",
            },
            "ItemBatcher": {"MaxItemsPerBatch": 2},
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
                "StartAt": "Echo", "States": {"Echo": {"Type": "Pass", "End": True}},
            },
            "End": True,
        }  # fmt: skip
        answer = probe.run(
            BATCHER, machine(values, ("Map", batched)), workflow_type="STANDARD",
            wait_seconds=SYNC_WAIT_SECONDS,
        )  # fmt: skip
        expected = [
            {
                "Items": [
                    {"value": 10, "index": 0, "tag": "t"},
                    {"value": 20, "index": 1, "tag": "t"},
                ]
            },
            {"Items": [{"value": 30, "index": 2, "tag": "t"}]},
        ]
        return {
            "status": answer["status"],
            "error": answer["error"],
            "cause": answer["cause"],
            "output": answer["output"],
            "selector applied to each item, as the local runner does": answer["output"] == expected,
        }

    def map_items(probe: Probe) -> Any:
        """A fan-out's ``FetchAll`` (issue 28(a)): a JSONata Map holding its items (``Items``)
        whose ``ItemProcessor`` states set no ``QueryLanguage`` and are JSONPath (a
        ``ResultPath``), under a JSONPath top level. Asked: (1) does CreateStateMachine accept
        it and do those states run as JSONPath (they take the top level's language, "could be
        set and inherited from top-level", not the Map's)? (2) is an ``Items`` array of
        about 300 KiB, computed by JSONata, refused (``States.DataLimitExceeded``: does the
        256 KiB of a state's data bound a Map's items)? The construct relies on (1) and keeps
        the list under 240 KiB whatever (2) says."""
        iterate = {"Type": "Pass", "Result": 7, "ResultPath": "$.seven", "End": True}
        held = {
            "Type": "Map", "QueryLanguage": "JSONata", "Items": [{"n": 1}, {"n": 2}],
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "P", "States": {"P": iterate},
            },
        }  # fmt: skip
        first = probe.run("map-items-language", machine(held))
        large = {
            **held,
            "Items": "{% [$map([1..300], function($i) { $pad('', 1000, 'x') })] %}",
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "P",
                "States": {"P": {"Type": "Pass", "Result": "ok", "End": True}},
            },
        }  # fmt: skip
        second = probe.run("map-items-size", machine(large))
        return {
            "language": {k: first[k] for k in ("status", "error", "cause", "output")},
            "iterations ran as JSONPath": first["output"] == [
                {"n": 1, "seven": 7}, {"n": 2, "seven": 7}
            ],
            "size": {k: second[k] for k in ("status", "error", "cause")},
            "300 KiB of items refused": second["error"] == "States.DataLimitExceeded",
        }  # fmt: skip

    def jsonata_checked_download(probe: Probe) -> Any:
        """The construct's checked download (issue 25 item 14; ``Downloads.checked_task``): a
        JSONata ``apigateway:invoke`` task whose ``Assign`` calls ``$error`` on a compressed
        answer, no ``Output``, a Catch of ``States.QueryEvaluationError`` whose ``Assign``
        reads ``$states.input`` and whose ``Output`` is ``$states.errorOutput``, then a
        JSONPath state reading a variable's path (``$item.key``). Asked: (1) on ``?gzip=1``,
        is the error ``States.QueryEvaluationError``, caught, its Cause holding the
        ``$error`` message, the Catch's variable the task's input? (2) on ``?bigint=1``, does
        the raw answer, passed on by a JSONata task without ``Output``, reach the JSONPath
        state with every digit (``12345678901234567``, ``0.1000000000000000055511``)?
        Documents: "Transforming data with JSONata" (Output defaults to ``$states.result``),
        "Handling errors" (States.QueryEvaluationError), "Passing data between states with
        variables" (``$variable.path`` in JSONPath). The construct stores through exactly
        this chain; the local runner passes every digit (moto's JSON)."""
        check = (
            "{% ($c := $lookup($states.result.Headers, 'Content-Encoding'); $exists($c) ? "
            "$error('compressed: ' & $string($c)) : true) %}"
        )

        def run(name: str, query: str, merged: bool = False) -> dict[str, Any]:
            download = {
                **task(apigw, {}),
                "QueryLanguage": "JSONata",
                "Arguments": invoke(host, "v1/probe", QueryParameters={query: ["1"]}),
                "Assign": {"checked": check, "item": {"key": "k-" + query}},
                "Catch": [{
                    "ErrorEquals": ["States.QueryEvaluationError"], "Next": "Read",
                    "Assign": {"item": "{% $states.input %}"},
                    "Output": {"failure": "{% $states.errorOutput %}"},
                }],
                "Next": "Read",
            }  # fmt: skip
            download.pop("Parameters")
            read = {
                "Type": "Pass", "End": True,
                "Parameters": {
                    "key.$": "$item.key", "input.$": "$item",
                    "body.$": "States.JsonToString($)",
                },
            }  # fmt: skip
            if not merged:
                answer = probe.run(name, machine(download, ("Read", read)))
                return {k: answer[k] for k in ("status", "error", "cause", "output")}
            # The page loop's NextRequest: a JSONata Output that merges the input (the page).
            merge = {
                "Type": "Pass", "QueryLanguage": "JSONata", "Next": "Read",
                "Output": "{% $merge([$states.input, {'page': 2}]) %}",
            }  # fmt: skip
            download["Next"] = "Merge"
            answer = probe.run(name, machine(download, ("Merge", merge), ("Read", read)))
            return {k: answer[k] for k in ("status", "error", "cause", "output")}

        def every_digit(answer: dict[str, Any]) -> bool:
            body = str((answer["output"] or {}).get("body", ""))
            return "12345678901234567" in body and "0.1000000000000000055511" in body

        compressed = run("checked-gzip", "gzip")
        digits = run("checked-bigint", "bigint")
        merged = run("merged-bigint", "bigint", merged=True)
        return {
            "compressed": compressed,
            "big numbers": digits,
            "every digit passed on": every_digit(digits),
            "every digit through a JSONata Output that merges the input (the page loop)": (
                every_digit(merged)
            ),
        }

    def variables_in_jsonpath(probe: Probe) -> Any:
        """Issue 28(a): the single request's download assigns the overrides' key suffix and
        ``query`` attribute (``$keySuffix``, ``$queryAttribute``) and Persist, a JSONPath
        task, reads them in an intrinsic's argument (``States.Format('{}#{}',
        $$.Execution.Input.scheduledTime, $keySuffix)``), whole (``"M.$": "$queryAttribute"``)
        and in its ``ResultSelector`` (the run's output, the stored key). "Passing data between
        states with variables" shows ``$variable`` in JSONPath fields; no example shows one in
        an intrinsic's argument nor in a ``ResultSelector``. Asked: does the last state's
        output hold ``{"sk": "<time>#a=b", "query": {"a": {"S": "b"}}}`` (Parameters) and
        ``{"sk": "<time>#a=b"}`` (a task's ResultSelector)?"""
        assign = {
            "Type": "Pass", "QueryLanguage": "JSONata", "Next": "Read",
            "Assign": {"keySuffix": "a=b", "queryAttribute": {"a": {"S": "b"}}},
        }  # fmt: skip
        sk = "States.Format('{}#{}', $$.Execution.Input.scheduledTime, $keySuffix)"
        read = task(
            apigw, invoke(host, "v1/probe"),
            ResultSelector={"sk.$": sk}, ResultPath="$.selected", Next="Parameters",
        )  # fmt: skip
        parameters = {
            "Type": "Pass", "End": True,
            "Parameters": {"sk.$": sk, "query.$": "$queryAttribute", "selected.$": "$.selected"},
        }  # fmt: skip
        answer = probe.run(
            "variables-in-jsonpath",
            machine(assign, ("Read", read), ("Parameters", parameters)),
            execution_input={"scheduledTime": "2026-11-27T05:30:00Z"},
        )
        expected = {
            "sk": "2026-11-27T05:30:00Z#a=b", "query": {"a": {"S": "b"}},
            "selected": {"sk": "2026-11-27T05:30:00Z#a=b"},
        }  # fmt: skip
        return {
            **{k: answer[k] for k in ("status", "error", "cause", "output")},
            "as the local runner reads them": answer["output"] == expected,
        }

    def input_check(probe: Probe) -> Any:
        """Issue 28(a): ``CheckInput`` is one JSONata Choice whose rules use a regular
        expression (``$contains($t, /^[0-9]{4}-.../)``), ``$fromMillis``/``$toMillis`` and
        ``$lookup`` of a name. JSONata 2.0.6 (named by "Transforming data with JSONata")
        evaluates them as the local runner does; moto (LocalStack's parser) refuses an
        expression naming ``$`` alone, which the construct avoids (not documented either
        way). Asked: the synthesized rule's decision on each input the local tests send."""
        from sfn_downloader.starts import _input_valid

        valid = _input_valid(["datasource", "language"])
        rules = {
            "Type": "Choice", "QueryLanguage": "JSONata",
            "Choices": [
                {"Condition": f"{{% ({valid}; $valid) %}}", "Next": "Valid"},
            ],
            "Default": "Invalid",
        }  # fmt: skip
        ends = (("Valid", {"Type": "Pass", "Result": "valid", "End": True}),
                ("Invalid", {"Type": "Pass", "Result": "invalid", "End": True}))  # fmt: skip
        sent = {
            "2026-11-27T05:30:00Z": "valid", "2026-11-27t05:30:00z": "invalid",
            "2026-11-27T05:30:00.000Z": "invalid", "2026-02-30T05:30:00Z": "invalid",
            "2026-13-45T25:61:61Z": "invalid", "yesterday": "invalid",
        }  # fmt: skip
        found = {}
        for index, (scheduled, expected) in enumerate(sent.items()):
            answer = probe.run(
                f"input-check-{index}", machine(rules, *ends),
                execution_input={"scheduledTime": scheduled},
            )  # fmt: skip
            found[scheduled] = (answer["status"], answer["output"], expected)
        return {"decisions": found, "as the local runner decides": all(
            output == expected for _, output, expected in found.values())}  # fmt: skip

    def child_start_rate(probe: Probe) -> Any:
        """How fast does a Map Run start Express children (issue 28(d))? The quotas page
        names how many run at once (10,000) and how many Map Runs may be open (1,000), not how
        many start a second. A Distributed Map over ``START_RATE_CHILDREN`` items, one a child,
        ``MaxConcurrency`` as many: each Express child waits 1 s and outputs its own start time
        (``$$.Execution.StartTime``). The spread of those times is the start rate; the
        construct assumes none (a run's time is bounded by its requests, ``n`` in flight)."""
        items = {
            "Type": "Pass",
            "Parameters": {"items.$": f"States.ArrayRange(1, {START_RATE_CHILDREN}, 1)"},
            "Next": "Map",
        }
        fanned = {
            "Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": START_RATE_CHILDREN,
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
                "StartAt": "Hold",
                "States": {
                    "Hold": {"Type": "Wait", "Seconds": 1, "Next": "Started"},
                    "Started": {
                        "Type": "Pass", "Parameters": {"at.$": "$$.Execution.StartTime"},
                        "End": True,
                    },
                },
            },
            "End": True,
        }  # fmt: skip
        answer = probe.run(
            START_RATE, machine(items, ("Map", fanned)), workflow_type="STANDARD",
            wait_seconds=SYNC_WAIT_SECONDS,
        )  # fmt: skip
        return {
            "status": answer["status"],
            "error": answer["error"],
            "cause": answer["cause"],
            **start_spread(answer["output"]),
        }

    return {
        "http-task-headers": http_task_headers,
        "http-task-query": http_task_query,
        "http-task-computed-query": http_task_computed_query,
        "invoke-path-slash": invoke_path_slash,
        "invoke-path-encoding": invoke_path_encoding,
        "remap-header": remap_header,
        "catch-rules": catch_rules,
        "inline-map-data-limit": inline_map_data_limit,
        "array-range": array_range,
        "throttled-answers": throttled_answers,
        "express-patterns": express_patterns,
        "conditional-304": conditional_304,
        "history-quota": history_quota,
        "dynamodb-error-names": dynamodb_error_names,
        "express-child-sync": express_child_sync,
        "assign-before-selector": assign_before_selector,
        "assign-result-path": assign_result_path,
        "assign-no-match": assign_no_match,
        "trim-query-mapping": trim_query_mapping,
        "proxy-query-encoding": proxy_query_encoding,
        "alarm-key-source-arn": alarm_key_source_arn,
        "header-value-quote": header_value_quote,
        "query-secret": query_secret,
        "compressed-answer": compressed_answer,
        "batcher-selector": batcher_selector,
        "jsonata-checked-download": jsonata_checked_download,
        "trim-compressed": trim_compressed,
        "variables-in-jsonpath": variables_in_jsonpath,
        "input-check": input_check,
        "child-start-rate": child_start_rate,
        "map-items": map_items,
    }


def start_spread(output: Any) -> dict[str, Any]:
    """The children's start times (``[{"at": <ISO 8601>}, ...]``): how many, the first and the
    last, and children started a second over that spread."""
    times = sorted(
        datetime.fromisoformat(str(o["at"]).replace("Z", "+00:00"))
        for o in (output if isinstance(output, list) else [])
        if isinstance(o, dict) and "at" in o
    )
    if not times:
        return {"children": 0}
    spread = (times[-1] - times[0]).total_seconds()
    return {
        "children": len(times),
        "first started": times[0].isoformat(),
        "last started": times[-1].isoformat(),
        "spread seconds": spread,
        "children a second": round(len(times) / spread, 1) if spread > 0 else None,
    }


def alarm_action(probe: Probe, name: str) -> Any:
    """The first action-history item of alarm ``name`` (its summary and data), polled for up
    to ``ALARM_WAIT_SECONDS``: "Successfully executed action ..." or "Failed to execute ..."."""
    waited = 0.0
    while True:
        items = probe.cloudwatch.describe_alarm_history(
            AlarmName=name, HistoryItemType="Action", MaxRecords=10
        )["AlarmHistoryItems"]
        if items:
            item = items[0]
            return {
                "summary": item.get("HistorySummary"),
                "data": str(item.get("HistoryData") or "")[:500] or None,
            }
        if waited >= ALARM_WAIT_SECONDS:
            return f"no action recorded within {ALARM_WAIT_SECONDS:.0f} s"
        probe.sleep(10)
        waited += 10


def _credential_headers(headers: Any) -> dict[str, Any]:
    """Which of the credential headers the echo received, and with what value."""
    found = {str(k).lower(): v for k, v in dict(headers or {}).items()}
    return {name: found.get(name, "<absent>") for name in ("authorization", "x-api-key")}


def main(
    argv: Sequence[str] | None = None,
    *,
    session: Any = None,
    sleep: Callable[[float], None] = time.sleep,
    emit: Callable[[str], None] = print,
) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--region", help="AWS Region. Default: the session's.")
    parser.add_argument("--stack-name", help="Default: sfn-downloader-verify-<random>.")
    parser.add_argument("--skip", action="append", default=[], choices=QUESTIONS)
    parser.add_argument("--keep", action="store_true", help="Do not delete the stacks.")
    args = parser.parse_args(argv)
    if session is None:
        import boto3  # type: ignore[import-untyped]

        session = boto3.Session(region_name=args.region)
    name = args.stack_name or f"sfn-downloader-verify-{uuid.uuid4().hex[:8]}"
    cloudformation = session.client("cloudformation")
    sfn = session.client("stepfunctions")
    emit(f"Deploying {name} ...")
    stacks = [name]
    probe: Probe | None = None
    try:
        try:
            outputs = deploy(cloudformation, name, build_template())
        except Exception:
            emit(f"Stack {name} failed: {failure_reason(cloudformation, name)}")
            raise
        echo_host = outputs["EchoUrl"].split("/")[2]
        # Listed before they are asked for: each is deleted whatever happens next.
        stacks.extend(stack_name for stack_name, _, _ in extra_stacks(name, args.skip))
        outputs.update(deploy_extras(cloudformation, name, args.skip, echo_host))
        probe = Probe(sfn, outputs["RoleArn"], name, sleep, cloudwatch=session.client("cloudwatch"))
        answers: dict[str, Any] = {}
        for question, ask in questions(outputs).items():
            if question in args.skip:
                continue
            try:
                answers[question] = ask(probe)
            except Exception as error:  # one failed question must not hide the others
                answers[question] = f"probe failed: {type(error).__name__}: {error}"
            emit(f"{question}: {json.dumps(answers[question], indent=2, default=str)}")
        return 0
    finally:
        if not args.keep:
            if probe is not None:
                try:
                    probe.delete_all()
                except Exception as error:  # the stacks must go even so
                    emit(f"Could not delete the probe state machines: {error}")
            destroy(cloudformation, *reversed(stacks), emit=emit)
        else:
            emit(f"Kept {', '.join(stacks)}: delete them when done (each KMS key of an "
                 "alarm-key stack costs $1 a month until its deletion is scheduled).")  # fmt: skip


if __name__ == "__main__":
    raise SystemExit(main())
