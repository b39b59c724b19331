"""The context object's ``Execution.StartTime`` as text, for moto's interpreter.

Step Functions documents ``$$.Execution.StartTime`` as an ISO 8601 string,
``"2019-03-26T20:14:13.192Z"`` ("Accessing execution data from the Context object in Step
Functions"). moto puts the execution's ``datetime`` there: a ``putItem`` of it fails
(``Object of type datetime is not JSON serializable``) and an execution output holding it
breaks ``describe_execution``. While a runner is open, each execution's context gets the
documented text: UTC, milliseconds, ``Z`` (``_moto_fidelity``'s ``environment`` patch calls
``with_text_start_time``).

Delete this module once moto's context object holds the text itself.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


def iso_text(value: datetime) -> str:
    """``value`` as Step Functions writes a context time: ``2019-03-26T20:14:13.192Z``."""
    when = (value if value.tzinfo is not None else value.replace(tzinfo=UTC)).astimezone(UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def with_text_start_time(env: Any) -> Any:
    """``env`` (an execution's Environment), its context's ``Execution.StartTime`` as text."""
    execution = env.states.context_object.context_object_data["Execution"]
    started: Any = execution.get("StartTime")
    if isinstance(started, datetime):
        execution["StartTime"] = iso_text(started)
    return env
