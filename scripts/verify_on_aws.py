"""Ask a real AWS account what no document settles (README, "Checked on a real account").

Deploys a small throwaway stack, runs one small execution per open question, prints what AWS
answered, then deletes everything it made::

    python scripts/verify_on_aws.py --region eu-west-1 [--skip history-quota] [--keep]

The stack is a plain CloudFormation template built here and deployed with boto3, not the CDK
CLI: it needs no CDK bootstrap, no Node, no asset bucket (the echo function is inline code),
and every call is a boto3 call a test can stub. It holds:

* ``Echo``: a Lambda function behind a function URL (auth NONE) that answers with what it
  received: the raw path and query string and the headers. It stands in for the third party;
  ``?big=1`` makes it answer 300 KiB.
* ``Proxy``: a REGIONAL REST API shaped like the construct's proxy: ``{proxy+}`` ANY method,
  AWS_IAM authorization, HTTP_PROXY to the echo, ``X-Api-Key`` mapped onto ``Authorization``.
* ``Connection``: an EventBridge API-key connection for the HTTP Task; ``Role``: the role the
  probe state machines run as.

The probe state machines are created with boto3 once the stack is up (their definitions need
its outputs) and deleted at the end. A second tiny stack (``<name>-fix``) tries the construct
fix proposed for the remapped header (a static ``''`` mapping of ``X-Api-Key``): if
CloudFormation refuses it, that refusal is the answer. Costs: cents, plus about $0.31 for the
25,000-event Standard execution (``--skip history-quota`` leaves it out).
"""

from __future__ import annotations

import argparse
import json
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from botocore.exceptions import ClientError

QUESTIONS = (
    "http-task-headers",
    "http-task-query",
    "invoke-path-slash",
    "invoke-path-encoding",
    "remap-header",
    "catch-rules",
    "inline-map-data-limit",
    "array-range",
    "express-patterns",
    "conditional-304",
    "history-quota",
)
STAGE = "probe"
CREDENTIAL = "probe-credential-not-secret"
HISTORY_WAIT_SECONDS = 900.0

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
            ],
        ),
    }
    outputs = {
        "EchoUrl": {"Value": {"Fn::GetAtt": ["EchoUrl", "FunctionUrl"]}},
        "ApiHost": {"Value": {"Fn::Sub": "${Proxy}.execute-api.${AWS::Region}.${AWS::URLSuffix}"}},
        "ConnectionArn": {"Value": {"Fn::GetAtt": ["Connection", "Arn"]}},
        "RoleArn": {"Value": {"Fn::GetAtt": ["Role", "Arn"]}},
    }
    return {"AWSTemplateFormatVersion": "2010-09-09", "Resources": resources, "Outputs": outputs}


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


def deploy(
    cloudformation: Any,
    name: str,
    template: dict[str, Any],
    parameters: dict[str, str] | None = None,
) -> dict[str, str]:
    """Create stack ``name``, wait for it, return its outputs; raise with the first failure."""
    cloudformation.create_stack(
        StackName=name,
        TemplateBody=json.dumps(template),
        Parameters=[
            {"ParameterKey": k, "ParameterValue": v} for k, v in (parameters or {}).items()
        ],
        Capabilities=["CAPABILITY_IAM"],
        OnFailure="ROLLBACK",  # keeps the failure's events readable; destroy() deletes it
    )
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


def destroy(cloudformation: Any, name: str) -> None:
    cloudformation.delete_stack(StackName=name)
    cloudformation.get_waiter("stack_delete_complete").wait(
        StackName=name, WaiterConfig={"Delay": 10, "MaxAttempts": 90}
    )


class Probe:
    """Creates small state machines, runs each once, and remembers them for deletion."""

    def __init__(self, sfn: Any, role_arn: str, prefix: str, sleep: Callable[[float], None]):
        self.sfn = sfn
        self.role_arn = role_arn
        self.prefix = prefix
        self.sleep = sleep
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
    ) -> dict[str, Any]:
        """Run ``definition`` once: ``status``, ``error``, ``cause``, ``output`` (parsed)."""
        arn = self.create(name, definition, workflow_type)
        if workflow_type == "EXPRESS":
            answer = self.sfn.start_sync_execution(stateMachineArn=arn, input="{}")
        else:
            execution = self.sfn.start_execution(stateMachineArn=arn, input="{}")["executionArn"]
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
        paths = ("/v1/names/Jita%20IV/", "/v1/names/Jita IV/", "/v1/a%2Fb")
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

    return {
        "http-task-headers": http_task_headers,
        "http-task-query": http_task_query,
        "invoke-path-slash": invoke_path_slash,
        "invoke-path-encoding": invoke_path_encoding,
        "remap-header": remap_header,
        "catch-rules": catch_rules,
        "inline-map-data-limit": inline_map_data_limit,
        "array-range": array_range,
        "express-patterns": express_patterns,
        "conditional-304": conditional_304,
        "history-quota": history_quota,
    }


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
        stacks.append(f"{name}-fix")
        try:
            fix = deploy(
                cloudformation, f"{name}-fix", build_fix_template(), {"EchoHost": echo_host}
            )
            outputs["FixApiHost"] = fix["ApiHost"]
        except Exception as error:
            outputs["FixStackError"] = (
                f"refused: {failure_reason(cloudformation, f'{name}-fix')} ({error})"
            )
        probe = Probe(sfn, outputs["RoleArn"], name, sleep)
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
                probe.delete_all()
            for stack in reversed(stacks):
                emit(f"Deleting {stack} ...")
                destroy(cloudformation, stack)


if __name__ == "__main__":
    raise SystemExit(main())
