"""What a cost estimate is: its line items, totals and assumptions, and its plain-text table."""

from __future__ import annotations

from dataclasses import dataclass

from ._prices import Prices


@dataclass(frozen=True)
class LineItem:
    """One service's usage in a month and what it costs, before and after its free tier."""

    service: str
    """What is billed, e.g. ``"Step Functions Standard"``."""
    quantity: float
    """Units used a month."""
    unit: str
    """The billed unit, e.g. ``"state transitions"``."""
    unit_price: float
    """USD per unit."""
    free_quantity: float = 0.0
    """Units free each month (per account). Default: no free tier."""

    @property
    def cost(self) -> float:
        """USD a month, before the free tier."""
        return self.quantity * self.unit_price

    @property
    def cost_after_free_tier(self) -> float:
        """USD a month once the free units are used up by this downloader alone."""
        return max(0.0, self.quantity - self.free_quantity) * self.unit_price


@dataclass(frozen=True)
class CostEstimate:
    """A downloader's estimated monthly cost: line items, totals and the assumptions made."""

    region: str
    """The region priced."""
    workflow_type: str
    """``"STANDARD"`` or ``"EXPRESS"``."""
    schedule_expression: str
    """The schedule as synthesized, e.g. ``"rate(1 minute)"``."""
    runs_per_month: float
    """Runs in a 30-day month."""
    transitions_per_run: int
    """States a successful run enters (retries excluded)."""
    line_items: tuple[LineItem, ...]
    """One entry a billed service and unit."""
    assumptions: tuple[str, ...]
    """What the figures assume, one sentence each."""
    prices: Prices
    """The unit prices used."""
    period: str = "month"
    """What the figures cover: ``"month"`` (a 30-day month of runs), or ``"backfill"`` (one
    backfill, once). Default: ``"month"``."""
    requests_saved: float = 0.0
    """Requests a month the polite features save (``unchanged_ratio``, ``fresh_ratio``),
    compared with the same downloader requesting every run. Default: none saved."""
    item_writes_saved: float = 0.0
    """Item writes (putItem) a month they save, compared with storing every answer.
    Default: none saved."""

    @property
    def total(self) -> float:
        """USD a month, before free tiers."""
        return sum(item.cost for item in self.line_items)

    @property
    def total_after_free_tier(self) -> float:
        """USD a month after free tiers (as if this downloader were the account's only user)."""
        return sum(item.cost_after_free_tier for item in self.line_items)

    def line_item(self, service: str) -> LineItem:
        """The line item billed as ``service``; ``KeyError`` if there is none."""
        for item in self.line_items:
            if item.service == service:
                return item
        raise KeyError(f"no line item {service!r}; have {[i.service for i in self.line_items]}")

    def table(self) -> str:
        """A plain-text table of the line items and totals, then the assumptions."""
        usage = "Usage a month" if self.period == "month" else "Usage"
        rows = [("Service", usage, "Unit price", "Cost", "After free tier")]
        for item in self.line_items:
            rows.append(
                (
                    item.service,
                    f"{_number(item.quantity)} {item.unit}",
                    _price(item),
                    _usd(item.cost),
                    _usd(item.cost_after_free_tier),
                )
            )
        rows.append(("Total", "", "", _usd(self.total), _usd(self.total_after_free_tier)))
        widths = [max(len(row[i]) for row in rows) for i in range(5)]
        lines = [
            f"{'Monthly cost' if self.period == 'month' else 'One-off cost'}, "
            f"{self.workflow_type.title()} workflow, {self.region} "
            f"(prices of {self.prices.date or 'unknown date'}): {self.schedule_expression}, "
            f"{_number(self.runs_per_month)} runs, {self.transitions_per_run} state "
            "transitions a run",
        ]
        for index, row in enumerate(rows):
            if index == len(rows) - 1:
                lines.append("  ".join("-" * width for width in widths))
            cells = [row[0].ljust(widths[0]), row[1].ljust(widths[1])]
            cells += [cell.rjust(width) for cell, width in zip(row[2:], widths[2:], strict=True)]
            lines.append("  ".join(cells).rstrip())
        if self.requests_saved or self.item_writes_saved:
            lines.append(
                f"Saved a {self.period}: {_number(self.requests_saved)} requests, "
                f"{_number(self.item_writes_saved)} item writes"
            )
        lines += [f"- {assumption}" for assumption in self.assumptions]
        return "\n".join(lines)

    def __str__(self) -> str:
        """The same as ``table()``."""
        return self.table()


def _number(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.2f}"


def _price(item: LineItem) -> str:
    """The unit price as AWS quotes it: per GB-second, else per thousand or per million."""
    scale, suffix = 1, ""
    if item.unit != "GB-seconds" and item.unit_price < 0.01:
        scale, suffix = (1_000, "/1K") if item.unit_price >= 0.00001 else (1_000_000, "/M")
    value = item.unit_price * scale
    text = f"{value:.8f}".rstrip("0")
    return f"${text if len(text.partition('.')[2]) >= 2 else f'{value:.2f}'}{suffix}"


def _usd(value: float) -> str:
    return f"${value:,.4f}"
