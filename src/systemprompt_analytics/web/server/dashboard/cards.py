"""The overview cards: a figure of the overview report and its change against the previous
period, written out in words and arrows (the colour only repeats what the text says)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from systemprompt_analytics.reports.compare import Comparison
from systemprompt_analytics.reports.overview import OverviewReport
from systemprompt_analytics.web.server.dashboard.numbers import NONE, Unit, fmt

Direction = Literal["up", "down", "flat"]
# Whether a rise is good news, so the card can say so; None: neither (e.g. cost).
Tone = Literal["higher-is-better", "lower-is-better"] | None


@dataclass(frozen=True)
class CardSpec:
    key: str
    section: str
    metric: str
    label: str
    unit: Unit
    tone: Tone = "higher-is-better"


CARDS = (
    CardSpec("visitors", "traffic", "visitors", "Visitors", "count"),
    CardSpec("page-views", "traffic", "page_views", "Page views", "count"),
    CardSpec("sessions", "sessions", "created", "Human sessions", "count"),
    CardSpec("bot-share", "traffic", "bot_share", "Bot share", "rate", None),
    CardSpec("active-now", "sessions", "active_now", "Active now", "count", None),
    CardSpec("ai-requests", "requests", "count", "AI requests", "count"),
    CardSpec("ai-cost", "costs", "total_usd", "AI cost", "usd", None),
    CardSpec("tokens", "requests", "tokens", "Tokens", "count", None),
    CardSpec("latency", "requests", "avg_latency_ms", "Avg AI latency", "ms", "lower-is-better"),
    CardSpec("tool-success", "tools", "success_rate", "Tool success", "rate"),
    CardSpec("agent-success", "agents", "success_rate", "Agent success", "rate"),
    CardSpec("conversations", "conversations", "started", "Conversations", "count"),
)
ARROWS = {"up": "▲", "down": "▼", "flat": "■"}


@dataclass(frozen=True)
class Card:
    key: str
    label: str
    value_text: str
    change_text: str  # e.g. "▲ 12.3% vs the 7 days before", "no earlier data"
    direction: Direction | None
    verdict: Literal["good", "bad", "neutral"]


def change_of(value: Comparison) -> tuple[Direction | None, str]:
    """The direction and size of a change: percent for counts, points for rates."""
    if value.kind == "rate":
        points = value.change_pts
        if points is None:
            return None, ""
        direction: Direction = "up" if points > 0 else "down" if points < 0 else "flat"
        return direction, f"{abs(points):.1f} pts"
    percent = value.change_pct
    if percent is None:
        return None, ""
    direction = "up" if percent > 0 else "down" if percent < 0 else "flat"
    return direction, f"{abs(percent):.1f}%"


def _verdict(direction: Direction | None, tone: Tone) -> Literal["good", "bad", "neutral"]:
    if direction in (None, "flat") or tone is None:
        return "neutral"
    rising_is_good = tone == "higher-is-better"
    return "good" if (direction == "up") == rising_is_good else "bad"


def build_card(spec: CardSpec, value: Comparison | int | float | None, versus: str) -> Card:
    if not isinstance(value, Comparison):
        return Card(spec.key, spec.label, fmt(value, spec.unit), "right now", None, "neutral")
    direction, size = change_of(value)
    if direction is None:
        change = "no earlier data to compare" if value.current is not None else NONE
    elif direction == "flat":
        change = f"{ARROWS['flat']} unchanged vs {versus}"
    else:
        change = f"{ARROWS[direction]} {size} vs {versus}"
    return Card(
        spec.key,
        spec.label,
        fmt(value.current, spec.unit),
        change,
        direction,
        _verdict(direction, spec.tone),
    )


def overview_cards(report: OverviewReport, versus: str) -> list[Card]:
    """The cards, in order, from the overview report (the CLI's ``overview``)."""
    return [
        build_card(spec, report.sections[spec.section].get(spec.metric), versus) for spec in CARDS
    ]
