"""Overrides: an on-demand run may change the query parameters the user allowed, nothing else.

The run's input may carry ``"query": {"<name>": "<value>", ...}``. Only names listed in
``overridable_query`` are read (others are ignored), each replacing its default from ``path``;
the path itself never changes, so a caller cannot reach another resource. States, before the
download: ``HasQueryOverrides`` (Choice) → ``DefaultQuery``, or ``QueryDefaults`` →
``MergeQuery`` → ``OverrideQuery``; the download then reads its query from ``$.query``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

INPUT_QUERY = "$$.Execution.Input.query"
QUERY_PATH = "$.query"
"""Where the download finds its query parameters when overrides are allowed."""


def query_overrides(
    scope: Construct,
    *,
    query: Mapping[str, list[str]],
    overridable: Sequence[str],
    run: sfn.IChainable,
) -> sfn.IChainable:
    """Return the states that put the run's query at ``$.query``, then ``run``.

    ``query`` is the path's own query (values are lists, as ``apigateway:invoke`` takes them);
    each overridable name has exactly one default value (validation checks it).
    """
    scheduled_time = sfn.JsonPath.string_at("$$.Execution.Input.scheduledTime")
    fixed = {name: list(values) for name, values in query.items() if name not in overridable}
    default_query = sfn.Pass(
        scope,
        "DefaultQuery",
        parameters={"scheduledTime": scheduled_time, "query": dict(query)},
    )
    # JSONPath has no "pick these keys": merge the caller's values over the defaults, then read
    # back only the allowed names (a key the caller added is never read).
    defaults = sfn.Pass(
        scope,
        "QueryDefaults",
        result=sfn.Result.from_object({name: query[name][0] for name in overridable}),
        result_path="$.queryDefaults",
    )
    merge = sfn.Pass(
        scope,
        "MergeQuery",
        parameters={
            "merged": sfn.JsonPath.json_merge(
                sfn.JsonPath.object_at("$.queryDefaults"), sfn.JsonPath.object_at(INPUT_QUERY)
            )
        },
        result_path="$.queryMerged",
    )
    override = sfn.Pass(
        scope,
        "OverrideQuery",
        parameters={
            "scheduledTime": scheduled_time,
            "query": {
                **fixed,
                **{
                    name: sfn.JsonPath.array(sfn.JsonPath.string_at(f"$.queryMerged.merged.{name}"))
                    for name in overridable
                },
            },
        },
    )
    default_query.next(run)
    defaults.next(merge).next(override).next(run)
    return (
        sfn.Choice(scope, "HasQueryOverrides")
        .when(sfn.Condition.is_present(INPUT_QUERY), defaults)
        .otherwise(default_query)
    )
