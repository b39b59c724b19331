"""Draw docs/architecture.png and docs/state-machine.png from the example's synthesized template.

``make docs`` runs this. Nothing is drawn from a hand-kept list: every box is a resource found in
the template, every arrow a reference between resources (``Ref``/``Fn::GetAtt``, also inside the
state machine definition), and every label a property value. If the construct stops producing an
expected resource or reference, this script fails instead of drawing a stale picture.

Only matplotlib is needed (the ``demo`` extra): no Graphviz, no system packages.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "eve_player_count"
STACK = "EvePlayerCount"

INK = "#232F3E"  # AWS squid ink
MUTED = "#5F6B7A"
EDGE = "#414D5C"
# Header colours by AWS architecture-icon category.
PINK = "#E7157B"  # application integration / management
PURPLE = "#8C4FFF"  # networking (API Gateway)
BLUE = "#C925D1"  # database
GREY = "#7D8998"
FONT = "DejaVu Sans"


# --------------------------------------------------------------------------- template reading


def synthesize() -> dict[str, Any]:
    """Synthesize the example's player count downloader (``player_count``, unchanged) alone:
    what one DownloaderPattern deploys."""
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    sys.path.insert(0, str(EXAMPLE))
    import aws_cdk as cdk
    from app import player_count  # type: ignore[import-not-found]

    with tempfile.TemporaryDirectory() as outdir:
        app = cdk.App(outdir=outdir)
        player_count(cdk.Stack(app, STACK))
        app.synth()
        template: dict[str, Any] = json.loads((Path(outdir) / f"{STACK}.template.json").read_text())
    return template


def references(value: Any) -> Iterator[str]:
    """Logical IDs ``value`` refers to (Ref, Fn::GetAtt, Fn::Sub), at any depth."""
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "Ref" and isinstance(inner, str) and not inner.startswith("AWS::"):
                yield inner
            elif key == "Fn::GetAtt":
                yield inner[0] if isinstance(inner, list) else str(inner).split(".")[0]
            elif key == "Fn::Sub" and isinstance(inner, str):
                yield from (m.split(".")[0] for m in re.findall(r"\$\{([^}!]+)\}", inner))
            else:
                yield from references(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from references(inner)


def literal(value: Any) -> str:
    """A CloudFormation string expression as text, tokens shown as ``${LogicalId}``."""
    if isinstance(value, str):
        return value
    if "Ref" in value:
        return "${" + str(value["Ref"]) + "}"
    if "Fn::GetAtt" in value:
        return "${" + ".".join(value["Fn::GetAtt"]) + "}"
    if "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return str(separator).join(literal(part) for part in parts)
    return json.dumps(value)


class Template:
    """The few questions the diagrams ask of a template."""

    def __init__(self, template: dict[str, Any]) -> None:
        self.resources: dict[str, dict[str, Any]] = template["Resources"]

    def of_type(self, kind: str) -> list[str]:
        return [lid for lid, res in self.resources.items() if res["Type"] == kind]

    def one(self, kind: str) -> str:
        (found,) = self.of_type(kind)
        return found

    def props(self, logical_id: str) -> dict[str, Any]:
        props: dict[str, Any] = self.resources[logical_id].get("Properties", {})
        return props

    def refers(self, source: str, target: str) -> bool:
        return target in set(references(self.props(source)))

    def definition(self) -> dict[str, Any]:
        machine = self.one("AWS::StepFunctions::StateMachine")
        parsed: dict[str, Any] = json.loads(literal(self.props(machine)["DefinitionString"]))
        return parsed


# --------------------------------------------------------------------------- drawing helpers


@dataclass
class Box:
    x: float  # centre
    y: float
    w: float
    h: float

    def side(self, towards: Box) -> tuple[float, float]:
        """The point of this box's edge facing ``towards`` (mid-side, by dominant direction)."""
        dx, dy = towards.x - self.x, towards.y - self.y
        if abs(dx) / self.w >= abs(dy) / self.h:
            return (self.x + (self.w / 2 if dx > 0 else -self.w / 2), self.y)
        return (self.x, self.y + (self.h / 2 if dy > 0 else -self.h / 2))


def card(ax: Axes, box: Box, colour: str, service: str, title: str, lines: list[str]) -> None:
    """A white rounded card with a coloured service header."""
    left, bottom = box.x - box.w / 2, box.y - box.h / 2
    ax.add_patch(
        FancyBboxPatch(
            (left, bottom), box.w, box.h, boxstyle="round,pad=0,rounding_size=0.012",
            facecolor="white", edgecolor=colour, linewidth=1.6, zorder=2,
        )
    )  # fmt: skip
    header = 0.045
    ax.add_patch(
        FancyBboxPatch(
            (left, bottom + box.h - header), box.w, header,
            boxstyle="round,pad=0,rounding_size=0.012", facecolor=colour, edgecolor=colour,
            linewidth=1.6, zorder=3,
        )
    )  # fmt: skip
    ax.text(box.x, bottom + box.h - header / 2, service, ha="center", va="center",
            color="white", fontsize=10.5, fontweight="bold", zorder=4)  # fmt: skip
    ax.text(box.x, bottom + box.h - header - 0.03, title, ha="center", va="center", color=INK,
            fontsize=11, fontweight="bold", zorder=4)  # fmt: skip
    for index, line in enumerate(lines):
        ax.text(box.x, bottom + box.h - header - 0.068 - index * 0.033, line, ha="center",
                va="center", color=MUTED, fontsize=9, zorder=4)  # fmt: skip


def arrow(
    ax: Axes,
    start: tuple[float, float],
    end: tuple[float, float],
    label: str = "",
    *,
    dashed: bool = False,
    rad: float = 0.0,
    label_at: tuple[float, float] | None = None,
    colour: str = EDGE,
) -> None:
    ax.add_patch(
        FancyArrowPatch(
            start, end, arrowstyle="-|>", mutation_scale=16, linewidth=1.5, color=colour,
            linestyle=(0, (4, 3)) if dashed else "-", connectionstyle=f"arc3,rad={rad}",
            shrinkA=2, shrinkB=2, zorder=1,
        )
    )  # fmt: skip
    if label:
        x, y = label_at or ((start[0] + end[0]) / 2, (start[1] + end[1]) / 2)
        ax.text(x, y, label, ha="center", va="center", fontsize=8.5, color=INK, zorder=5,
                bbox={"boxstyle": "round,pad=0.25", "facecolor": "white",
                      "edgecolor": "none", "alpha": 0.95})  # fmt: skip


def canvas(width: float, height: float) -> tuple[Any, Axes]:
    plt.rcParams["font.family"] = FONT
    figure, ax = plt.subplots(figsize=(width, height), dpi=110)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.axis("off")
    figure.subplots_adjust(left=0.01, right=0.99, top=0.99, bottom=0.01)
    return figure, ax


def save(figure: Any, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # No "Software" metadata: the PNG does not change with the matplotlib version.
    figure.savefig(path, facecolor="white", metadata={"Software": None})
    plt.close(figure)


# --------------------------------------------------------------------------- architecture


def draw_architecture(template: Template, path: Path) -> None:
    t = template
    schedule = t.one("AWS::Scheduler::Schedule")
    machine = t.one("AWS::StepFunctions::StateMachine")
    api = t.one("AWS::ApiGateway::RestApi")
    stage = t.one("AWS::ApiGateway::Stage")
    method = t.one("AWS::ApiGateway::Method")
    table = t.one("AWS::DynamoDB::Table")
    queue = t.one("AWS::SQS::Queue")
    logs = next(
        lid for lid in t.of_type("AWS::Logs::LogGroup")
        if t.refers(machine, lid)
    )  # fmt: skip
    alarms = t.of_type("AWS::CloudWatch::Alarm")

    # Every arrow drawn is a reference found in the template.
    assert t.refers(schedule, machine), "schedule does not target the state machine"
    assert t.refers(schedule, queue), "schedule has no dead-letter queue"
    assert t.refers(machine, api), "state machine does not call the proxy"
    assert t.refers(machine, table), "state machine does not write the table"
    watched = {lid: set(references(t.props(lid)["Dimensions"])) for lid in alarms}
    on_machine = [lid for lid, refs in watched.items() if machine in refs]
    on_queue = [lid for lid, refs in watched.items() if queue in refs]
    assert on_machine and on_queue, "alarms watch neither the state machine nor the queue"

    schedule_props, machine_props = t.props(schedule), t.props(machine)
    integration = t.props(method)["Integration"]
    upstream = re.sub(r"/\{proxy\}$", "", integration["Uri"])
    key_schema = {k["KeyType"]: k["AttributeName"] for k in t.props(table)["KeySchema"]}
    states = t.definition()["States"]
    retention = t.props(logs).get("RetentionInDays")
    retry_policy = schedule_props["Target"].get("RetryPolicy", {})
    endpoint_type = t.props(api)["EndpointConfiguration"]["Types"][0]

    figure, ax = canvas(15, 7.6)
    ax.text(0.015, 0.965, "sfn-downloader: what one DownloaderPattern deploys", fontsize=16,
            fontweight="bold", color=INK, va="center")  # fmt: skip
    ax.text(0.015, 0.925, f"Synthesized from examples/eve_player_count ({STACK} stack, "
            f"{len(t.resources)} resources). No Lambda.", fontsize=10, color=MUTED,
            va="center")  # fmt: skip

    # The AWS account boundary around the stack's resources; the third party is outside it.
    ax.add_patch(
        FancyBboxPatch((0.015, 0.03), 0.755, 0.855, boxstyle="round,pad=0,rounding_size=0.015",
                       facecolor="#F8F9FA", edgecolor=GREY, linewidth=1.2, linestyle=(0, (6, 4)),
                       zorder=0)
    )  # fmt: skip
    ax.text(0.03, 0.86, f"AWS account · stack {STACK}", fontsize=10, color=MUTED,
            fontweight="bold", va="center")  # fmt: skip

    top, bottom = 0.66, 0.2
    w, h = 0.17, 0.22
    b_schedule = Box(0.12, top, w, h)
    b_machine = Box(0.39, top, w, h)
    b_api = Box(0.65, top, w - 0.01, h)
    b_upstream = Box(0.89, top, 0.17, 0.17)
    b_queue = Box(0.12, bottom, w, 0.19)
    b_alarms = Box(0.33, bottom, 0.19, 0.25)
    b_table = Box(0.54, bottom, 0.17, 0.19)
    b_logs = Box(0.705, bottom + 0.01, 0.105, 0.17)

    expression = schedule_props["ScheduleExpression"]
    card(ax, b_schedule, PINK, "EventBridge Scheduler", "Schedule", [
        f"{expression} ({schedule_props.get('ScheduleExpressionTimezone', 'UTC')})",
        "input: {scheduledTime}",
        f"retries ≤ {retry_policy.get('MaximumEventAgeInSeconds', 0) // 60} min",
    ])  # fmt: skip
    card(ax, b_machine, PINK, "Step Functions", "State machine", [
        f"{machine_props.get('StateMachineType', 'STANDARD')} · "
        f"{' → '.join(states)}",
        f"X-Ray {'on' if machine_props.get('TracingConfiguration', {}).get('Enabled') else 'off'}"
        f" · logs level {machine_props['LoggingConfiguration']['Level']}",
        "no Lambda",
    ])  # fmt: skip
    card(ax, b_api, PURPLE, "API Gateway (REST)", "Proxy", [
        f"{endpoint_type} · stage {t.props(stage)['StageName']}",
        f"{t.props(method)['HttpMethod']} /{{proxy+}} · {t.props(method)['AuthorizationType']}",
        f"{integration['Type']} integration",
    ])  # fmt: skip
    card(ax, b_queue, PINK, "Amazon SQS", "Dead-letter queue", [
        "starts the schedule could",
        "not deliver",
    ])  # fmt: skip
    alarm_names = [t.props(lid)["MetricName"] for lid in on_machine + on_queue]
    card(ax, b_alarms, PINK, "CloudWatch", f"{len(alarms)} alarms (≥ 1 in 5 min)", [
        *alarm_names,
    ])  # fmt: skip
    card(ax, b_table, BLUE, "DynamoDB", "Table", [
        f"{key_schema['HASH']}: downloader id",
        f"{key_schema['RANGE']}: scheduled time (ISO 8601)",
        "on-demand · PITR · RETAIN",
    ])  # fmt: skip
    card(ax, b_logs, PINK, "CloudWatch Logs", "Log group", [
        f"{retention} days" if retention else "kept forever",
        "every event",
    ])  # fmt: skip

    # The third party, outside AWS.
    u = b_upstream
    ax.add_patch(
        FancyBboxPatch((u.x - u.w / 2, u.y - u.h / 2), u.w, u.h,
                       boxstyle="round,pad=0,rounding_size=0.012", facecolor="white",
                       edgecolor=INK, linewidth=1.6, linestyle=(0, (5, 3)), zorder=2)
    )  # fmt: skip
    ax.text(u.x, u.y + 0.045, "Third-party API", ha="center", va="center", fontsize=11,
            fontweight="bold", color=INK)  # fmt: skip
    ax.text(u.x, u.y + 0.0, upstream.removeprefix("https://"), ha="center", va="center",
            fontsize=10, color=INK)  # fmt: skip
    ax.text(u.x, u.y - 0.04, "HTTPS, outside AWS", ha="center", va="center", fontsize=9,
            color=MUTED)  # fmt: skip

    arrow(ax, b_schedule.side(b_machine), b_machine.side(b_schedule),
          "StartExecution\n(scheduler role)")  # fmt: skip
    arrow(ax, b_machine.side(b_api), b_api.side(b_machine),
          "apigateway:invoke\nSigV4 (IAM_ROLE)")  # fmt: skip
    arrow(ax, b_api.side(b_upstream), b_upstream.side(b_api), "GET",
          label_at=(0.793, top + 0.03))  # fmt: skip
    arrow(ax, (b_schedule.x, b_schedule.y - h / 2), (b_queue.x, b_queue.y + b_queue.h / 2),
          "undeliverable\nstarts", label_at=(b_schedule.x, 0.42))  # fmt: skip
    arrow(ax, (b_machine.x + 0.03, b_machine.y - h / 2), (b_table.x - 0.03, b_table.y + 0.095),
          "dynamodb:PutItem", label_at=(0.48, 0.43))  # fmt: skip
    arrow(ax, (b_machine.x + 0.075, b_machine.y - h / 2), (b_logs.x, b_logs.y + b_logs.h / 2),
          "logs", label_at=(0.6, 0.42))  # fmt: skip
    arrow(ax, (b_alarms.x + 0.02, b_alarms.y + b_alarms.h / 2),
          (b_machine.x - 0.04, b_machine.y - h / 2), "watch", dashed=True,
          colour=PINK, label_at=(0.37, 0.44))  # fmt: skip
    arrow(ax, (b_alarms.x - b_alarms.w / 2, b_alarms.y), (b_queue.x + b_queue.w / 2, b_queue.y),
          "", dashed=True, colour=PINK)  # fmt: skip
    save(figure, path)


# --------------------------------------------------------------------------- state machine

SERVICE_NAMES = {
    "apigateway:invoke": "API Gateway: Invoke",
    "dynamodb:putItem": "DynamoDB: PutItem",
    "http:invoke": "HTTP Endpoint: Invoke",
}


def state_order(definition: dict[str, Any]) -> list[str]:
    """States in the order the console lays them out: from StartAt, following transitions."""
    order: list[str] = []
    pending = [definition["StartAt"]]
    while pending:
        name = pending.pop(0)
        if name in order:
            continue
        order.append(name)
        state = definition["States"][name]
        pending += [state[k] for k in ("Next", "Default") if k in state]
        pending += [choice["Next"] for choice in state.get("Choices", [])]
        pending += [catch["Next"] for catch in state.get("Catch", [])]
    return order


def short_errors(errors: list[str]) -> str:
    """``ApiGateway.429, ApiGateway.500`` → ``ApiGateway.429, .500``."""
    out: list[str] = []
    previous = ""
    for error in errors:
        prefix, _, rest = error.rpartition(".")
        out.append(f".{rest}" if prefix and prefix == previous else error)
        previous = prefix
    return ", ".join(out)


def wrap_errors(errors: list[str], width: int = 52) -> list[str]:
    """The shortened error list in lines of at most ``width`` characters."""
    lines = [""]
    for part in short_errors(errors).split(", "):
        candidate = f"{lines[-1]}, {part}" if lines[-1] else part
        if len(candidate) > width and lines[-1]:
            lines[-1] += ","
            lines.append(f"    {part}")
        else:
            lines[-1] = candidate
    return lines


def retry_lines(retry: dict[str, Any]) -> list[str]:
    attempts, interval = retry.get("MaxAttempts", 3), retry.get("IntervalSeconds", 1)
    rate = retry.get("BackoffRate", 2.0)
    waits = [interval * rate**i for i in range(attempts)]
    errors = wrap_errors(retry["ErrorEquals"])
    lines = [
        f"Retry on {errors[0]}",
        *errors[1:],
        f"{attempts}\u00d7 after {', '.join(f'{w:g}' for w in waits)} s"
        + (f" (max {retry['MaxDelaySeconds']} s)" if "MaxDelaySeconds" in retry else "")
        + (", full jitter" if retry.get("JitterStrategy") == "FULL" else ""),
    ]
    return lines


def draw_state_machine(template: Template, path: Path) -> None:
    definition = template.definition()
    order = state_order(definition)
    states = definition["States"]
    machine_props = template.props(template.one("AWS::StepFunctions::StateMachine"))

    # Fixed spacing in inches, whatever the number of states: title, Start, states..., End.
    title_in, pill_row_in, state_row_in = 0.9, 0.9, 1.45
    height = title_in + 2 * pill_row_in + state_row_in * len(order) + 0.2
    figure, ax = canvas(11, height)

    def y_at(inches_from_top: float) -> float:
        return 1 - inches_from_top / height

    x, w, h = 0.24, 0.3, 0.85 / height
    y_start = y_at(title_in + pill_row_in / 2)
    y_of = {
        name: y_at(title_in + pill_row_in + state_row_in * (i + 0.5))
        for i, name in enumerate(order)
    }
    y_end = y_at(title_in + pill_row_in * 1.5 + state_row_in * len(order))

    ax.text(0.025, y_at(0.32), "State machine: one run", fontsize=15, fontweight="bold",
            color=INK, va="center")  # fmt: skip
    timeout = definition.get("TimeoutSeconds")
    ax.text(0.025, y_at(0.62),
            f"{machine_props.get('StateMachineType', 'STANDARD')} workflow"
            + (f" · run timeout {timeout // 60} min" if timeout else "")
            + " · drawn from the synthesized definition (examples/eve_player_count)",
            fontsize=9.5, color=MUTED, va="center")  # fmt: skip

    def pill(y: float, text: str) -> Box:
        box = Box(x, y, 0.11, 0.4 / height)
        ax.add_patch(
            FancyBboxPatch((box.x - box.w / 2, box.y - box.h / 2), box.w, box.h,
                           boxstyle="round,pad=0,rounding_size=0.02", facecolor=INK,
                           edgecolor=INK, zorder=2, mutation_aspect=11 / height)
        )  # fmt: skip
        ax.text(box.x, box.y, text, ha="center", va="center", color="white", fontsize=10.5,
                fontweight="bold", zorder=3)  # fmt: skip
        return box

    start = pill(y_start, "Start")
    boxes: dict[str, Box] = {}
    for name in order:
        state = states[name]
        box = Box(x, y_of[name], w, h)
        boxes[name] = box
        ax.add_patch(
            FancyBboxPatch((box.x - w / 2, box.y - h / 2), w, h,
                           boxstyle="round,pad=0,rounding_size=0.015", facecolor="white",
                           edgecolor="#5A6B86", linewidth=1.6, zorder=2,
                           mutation_aspect=11 / height)
        )  # fmt: skip
        resource = state.get("Resource", "")
        service = resource.split(":::")[-1].removesuffix(".sync")
        subtitle = SERVICE_NAMES.get(service, state["Type"])
        ax.text(box.x, box.y + h * 0.2, subtitle, ha="center", va="center", fontsize=9.5,
                color=MUTED, zorder=3)  # fmt: skip
        ax.text(box.x, box.y - h * 0.15, name, ha="center", va="center", fontsize=13,
                fontweight="bold", color=INK, zorder=3)  # fmt: skip
        notes: list[str] = []
        for retry in state.get("Retry", []):
            notes += retry_lines(retry)
        if "TimeoutSeconds" in state:
            notes.append(f"Task timeout {state['TimeoutSeconds']} s")
        if state.get("ResultPath", "$") is None:
            notes.append("ResultPath null: passes its input on")
        for catch in state.get("Catch", []):
            notes.append(f"Catch {short_errors(catch['ErrorEquals'])} → {catch['Next']}")
        if state["Type"] == "Task" and not state.get("Catch"):
            notes.append("no Catch: other errors fail the run")
        if notes:
            ax.add_patch(
                FancyArrowPatch((box.x + w / 2, box.y + h * 0.25),
                                (box.x + w / 2, box.y - h * 0.25),
                                connectionstyle="arc3,rad=-1.4", arrowstyle="-|>",
                                mutation_scale=13, color=PINK, linewidth=1.4, zorder=1)
            )  # fmt: skip
            ax.text(box.x + w / 2 + 0.025, box.y + h * 0.36, "retry", ha="left", va="center",
                    fontsize=8.5, color=PINK, fontweight="bold")  # fmt: skip
            ax.text(box.x + w / 2 + 0.075, box.y, "\n".join(notes), ha="left", va="center",
                    fontsize=8.8, color=INK, linespacing=1.45,
                    bbox={"boxstyle": "round,pad=0.5", "facecolor": "#FDF1F7",
                          "edgecolor": PINK, "linewidth": 0.9})  # fmt: skip
    end = pill(y_end, "End")

    arrow(ax, (start.x, start.y - start.h / 2), (x, y_of[order[0]] + h / 2))
    for name in order:
        state, box = states[name], boxes[name]
        targets = [state[k] for k in ("Next", "Default") if k in state]
        targets += [choice["Next"] for choice in state.get("Choices", [])]
        for target in targets:
            arrow(ax, (box.x, box.y - h / 2), (boxes[target].x, boxes[target].y + h / 2))
        for catch in state.get("Catch", []):
            target = boxes[catch["Next"]]
            arrow(ax, (box.x - w / 2, box.y), (target.x - w / 2, target.y), "catch",
                  dashed=True, rad=0.5, colour=PINK)  # fmt: skip
        if state.get("End") or state["Type"] in ("Succeed", "Fail"):
            arrow(ax, (box.x, box.y - h / 2), (end.x, end.y + end.h / 2))
    save(figure, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--outdir", type=Path, default=ROOT / "docs")
    args = parser.parse_args(argv)
    template = Template(synthesize())
    draw_architecture(template, args.outdir / "architecture.png")
    draw_state_machine(template, args.outdir / "state-machine.png")
    for name in ("architecture.png", "state-machine.png"):
        print(f"wrote {args.outdir / name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
