"""The EVE example written by hand with aws-cdk-lib only: the baseline of the synth benchmarks.

It builds exactly what ``DownloaderPattern`` synthesizes for ``examples/eve_player_count``
(same construct ids, so the same logical ids): a regional REST API with an IAM-authorized
``GET /{proxy+}`` HTTP_PROXY method, request validator and X-Ray on the stage, an on-demand pk/sk
table with point-in-time recovery kept on delete, a log group, an Express state machine
(Download with ``apigateway:invoke`` then Persist with ``putItem``, each with its retries;
X-Ray; logging ALL; a /aws/vendedlogs/ log group), an EventBridge Scheduler schedule that starts
it with a dead-letter queue, and four alarms (Express: throttled scheduled starts, not
transitions). No validation, no helpers: the floor. (cdk-nag acknowledgments are left out: they
change no template.) ``bench_synth`` checks the two templates are identical.

``python benchmarks/handwritten_app.py`` writes ``$CDK_OUTDIR`` (default ``cdk.out``).
"""

from __future__ import annotations

import os

import aws_cdk as cdk
from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as scheduler_targets
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

ENDPOINT = "https://esi.evetech.net"


CHECK = (
    "{% ($coded := $join($filter($map($split($lowercase($join($each($states.result.Headers, "
    'function($v, $k) { $lowercase($k) = "content-encoding" ? $join($map($append([], $v), '
    'function($x) { $string($x) }), ",") }), ",")), ","), function($c) { $trim($c) }), '
    'function($c) { $c != "" and $c != "identity" }), ", "); ($exists($coded) and $coded != "") '
    '? $error("The answer to " & "/v2/status?datasource=tranquility" & " is " & $coded & '
    '"-compressed (Content-Encoding: '
    '" & $coded & "): its body is not the JSON the API sent, so it was not stored. Make the API '
    "answer uncompressed (the API Gateway proxy asks Accept-Encoding: identity; a server that "
    'compresses anyway ignores it).") : true) %}'
)
"""The download's answer check: the content codings other than identity its Content-Encoding
names (any letter case); the run fails on one."""


def add_downloader(scope: Construct, construct_id: str, *, downloader_id: str) -> Construct:
    """Add one hand-written EVE downloader under ``scope/construct_id``."""
    root = Construct(scope, construct_id)
    table = dynamodb.Table(
        root,
        "Table",
        partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING),
        sort_key=dynamodb.Attribute(name="sk", type=dynamodb.AttributeType.STRING),
        billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
        point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
            point_in_time_recovery_enabled=True
        ),
        encryption=dynamodb.TableEncryption.AWS_MANAGED,
        removal_policy=RemovalPolicy.RETAIN,
    )
    api = apigw.RestApi(
        root,
        "Proxy",
        rest_api_name=f"{cdk.Names.unique_id(root)}-proxy",
        description=f"Downloader proxy to {ENDPOINT}",
        endpoint_types=[apigw.EndpointType.REGIONAL],
        cloud_watch_role=False,
        deploy_options=apigw.StageOptions(
            stage_name="prod",
            tracing_enabled=True,
            # A rate budget: one request at once, so 4/s (ceil(1 / 0.3 s)), a burst of 2.
            throttling_rate_limit=4,
            throttling_burst_limit=2,
        ),
    )
    api.node.try_remove_child("Endpoint")
    validator = api.add_request_validator(
        "Validator", validate_request_body=True, validate_request_parameters=True
    )
    api.root.add_resource("{proxy+}").add_method(
        "GET",
        apigw.HttpIntegration(
            f"{ENDPOINT}/{{proxy}}",
            http_method="GET",
            proxy=True,
            options=apigw.IntegrationOptions(
                request_parameters={
                    "integration.request.path.proxy": "method.request.path.proxy",
                    # Asked uncompressed: API Gateway passes a gzip answer on as text.
                    "integration.request.header.Accept-Encoding": "'identity'",
                }
            ),
        ),
        authorization_type=apigw.AuthorizationType.IAM,
        request_parameters={"method.request.path.proxy": True},
        request_validator=validator,
    )
    # JSONata, so that its Assign can refuse a compressed answer (API Gateway passes one on
    # as text) before anything stores it; its output is the raw answer, never evaluated.
    download = tasks.CallApiGatewayRestApiEndpoint.jsonata(
        root,
        "Download",
        api=api,
        stage_name="prod",
        method=tasks.HttpMethod.GET,
        api_path="/v2/status",
        query_parameters=sfn.TaskInput.from_object({"datasource": ["tranquility"]}),
        headers=sfn.TaskInput.from_object({"Accept": ["application/json"]}),
        auth_type=tasks.AuthType.IAM_ROLE,
        assign={"answerChecked": CHECK},
        task_timeout=sfn.Timeout.duration(Duration.seconds(35)),
    )
    download.add_retry(
        errors=[
            "ApiGateway.429",
            "ApiGateway.500",
            "ApiGateway.502",
            "ApiGateway.503",
            "ApiGateway.504",
            sfn.Errors.TIMEOUT,
        ],
        interval=Duration.seconds(2),
        max_attempts=3,
        backoff_rate=2,
        max_delay=Duration.seconds(30),
        jitter_strategy=sfn.JitterType.FULL,
    )
    compressed = sfn.Fail.jsonata(
        root,
        "AnswerCompressed",
        error="Downloader.CompressedAnswer",
        cause="{% $states.input.Cause %}",
    )
    download.add_catch(compressed, errors=["States.QueryEvaluationError"])
    persist = tasks.DynamoPutItem(
        root,
        "Persist",
        table=table,
        item={
            "pk": tasks.DynamoAttributeValue.from_string(downloader_id),
            "sk": tasks.DynamoAttributeValue.from_string(
                sfn.JsonPath.string_at("$$.Execution.Input.scheduledTime")
            ),
            "count": tasks.DynamoAttributeValue.number_from_string(
                sfn.JsonPath.format("{}", sfn.JsonPath.string_at("$.ResponseBody.players"))
            ),
            "serverVersion": tasks.DynamoAttributeValue.from_string(
                sfn.JsonPath.string_at("$.ResponseBody.server_version")
            ),
            "responseDate": tasks.DynamoAttributeValue.from_string(
                sfn.JsonPath.string_at("$.Headers.Date[0]")
            ),
        },
        result_selector={
            "pk": downloader_id,
            "sk": sfn.JsonPath.string_at("$$.Execution.Input.scheduledTime"),
        },
        result_path="$",
    )
    persist.add_retry(
        errors=[
            "DynamoDB.ProvisionedThroughputExceededException",
            "DynamoDB.ThrottlingException",
            "DynamoDB.RequestLimitExceeded",
            "DynamoDB.RequestLimitExceededException",
            "DynamoDB.InternalServerError",
            "DynamoDB.InternalServerErrorException",
        ],
        interval=Duration.seconds(1),
        max_attempts=3,
        backoff_rate=2,
        jitter_strategy=sfn.JitterType.FULL,
    )
    log_group = logs.LogGroup(
        root,
        "Logs",
        log_group_name="/aws/vendedlogs/states/"
        + cdk.Names.unique_resource_name(
            root, separator="-", allowed_special_characters="-_.", max_length=157
        ),
        retention=logs.RetentionDays.THREE_MONTHS,
    )
    state_machine = sfn.StateMachine(
        root,
        "StateMachine",
        definition_body=sfn.DefinitionBody.from_chainable(download.next(persist)),
        state_machine_type=sfn.StateMachineType.EXPRESS,
        timeout=Duration.minutes(5),
        tracing_enabled=True,
        logs=sfn.LogOptions(
            destination=log_group, level=sfn.LogLevel.ALL, include_execution_data=True
        ),
    )
    # The role writes no partition but its own, even in a shared table.
    state_machine.add_to_role_policy(
        iam.PolicyStatement(
            sid="WriteOnlyThisDownloadersPartition",
            effect=iam.Effect.DENY,
            actions=["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem",
                     "dynamodb:BatchWriteItem"],
            resources=[table.table_arn],
            conditions={
                "ForAnyValue:StringNotEquals": {"dynamodb:LeadingKeys": [downloader_id]}
            },
        )
    )  # fmt: skip
    dead_letter_queue = sqs.Queue(
        root,
        "DeadLetterQueue",
        encryption=sqs.QueueEncryption.SQS_MANAGED,
        enforce_ssl=True,
        retention_period=Duration.days(14),
    )
    schedule_group = scheduler.ScheduleGroup.from_default_schedule_group(
        root, "DefaultScheduleGroup"
    )
    scheduler.Schedule(
        root,
        "Schedule",
        schedule=scheduler.ScheduleExpression.rate(Duration.minutes(1)),
        description=f"Starts downloader {downloader_id}: GET /v2/status",
        target=scheduler_targets.StepFunctionsStartExecution(
            state_machine,
            input=scheduler.ScheduleTargetInput.from_object(
                {"scheduledTime": scheduler.ContextAttribute.scheduled_time}
            ),
            dead_letter_queue=dead_letter_queue,
            max_event_age=Duration.minutes(5),
        ),
    )
    period = Duration.minutes(5)
    for alarm_id, metric, description in (
        ("ExecutionsFailedAlarm", state_machine.metric_failed(period=period),
         "A download run failed after its retries (see the state machine's logs)."),
        ("ExecutionsTimedOutAlarm", state_machine.metric_timed_out(period=period),
         "A download run exceeded its timeout."),
        ("StartsThrottledAlarm", schedule_group.metric_target_throttled(period=period),
         "Step Functions throttled a scheduled start (StartExecution) in schedule group "
         "default; the schedule retries it for up to 5 minutes, then sends it to the "
         "dead-letter queue."),
        ("DeadLetterQueueAlarm",
         dead_letter_queue.metric_approximate_number_of_messages_visible(
             period=period, statistic=cloudwatch.Stats.MAXIMUM),
         "The schedule could not start a run; the undelivered start is in the dead-letter queue."),
    ):  # fmt: skip
        metric.create_alarm(
            root,
            alarm_id,
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            alarm_description=description,
        )
    return root


def build_app(outdir: str | None = None) -> cdk.App:
    """The hand-written EVE app: stack ``EvePlayerCount`` with downloader ``PlayerCount``."""
    app = cdk.App(outdir=outdir or os.environ.get("CDK_OUTDIR") or "cdk.out")
    stack = cdk.Stack(app, "EvePlayerCount")
    add_downloader(stack, "PlayerCount", downloader_id="eve/player-count")
    return app


if __name__ == "__main__":
    build_app().synth()
