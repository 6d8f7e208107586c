"""The bots panel: human against bot sessions, bots by category and by reason (the CLI's
``traffic bots``), and AI crawlers by name — every share of all sessions in the period."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, and_, func

from systemprompt_analytics.reports.bots import bot_traffic
from systemprompt_analytics.reports.compare import ratio
from systemprompt_analytics.reports.definitions import in_period
from systemprompt_analytics.reports.ranking import top_groups
from systemprompt_analytics.storage.schema import sessions
from systemprompt_analytics.web.server.dashboard.charts.models import (
    BarChart,
    ShareChart,
    SharePart,
)
from systemprompt_analytics.web.server.dashboard.numbers import fmt_count, fmt_rate
from systemprompt_analytics.web.server.dashboard.traffic_panel import ROWS, ranked_bars
from systemprompt_analytics.web.server.dashboard.window import DashboardWindow

UNNAMED_CRAWLER = "(unnamed)"
OTHER_CRAWLERS = "(other crawlers)"


@dataclass(frozen=True)
class BotsPanel:
    share: ShareChart
    figures: list[tuple[str, str]]  # (label, value) pairs written under the share bar
    charts: list[BarChart]


def bots_panel(conn: Connection, window: DashboardWindow) -> BotsPanel:
    report = bot_traffic(conn, window.period, ROWS)
    totals = report.totals
    total = int(totals["sessions"])
    share = ShareChart(
        "bot-share",
        "Human and bot sessions",
        (
            SharePart(
                "Human", int(totals["human_sessions"]), ratio(totals["human_sessions"], total)
            ),
            SharePart("Bots", int(totals["bot_sessions"]), totals["bot_share"], hatched=True),
        ),
    )
    figures = [
        ("All sessions", fmt_count(total)),
        ("Engaged human sessions", fmt_count(totals["engaged_sessions"])),
        ("Ghost human sessions", fmt_count(totals["ghost_sessions"])),
        ("AI crawler sessions", fmt_count(totals["ai_crawler_sessions"])),
        ("Throttled sessions", fmt_count(totals["throttled_sessions"])),
        ("Bot share", fmt_rate(totals["bot_share"])),
    ]
    window_sessions = in_period(sessions.c.started_at, window.period)
    crawlers = top_groups(
        conn,
        sessions,
        func.coalesce(sessions.c.bot_name, UNNAMED_CRAWLER).label("crawler"),
        and_(window_sessions, sessions.c.is_ai_crawler),
        total,
        ROWS,
        "sessions",
        OTHER_CRAWLERS,
    )
    charts = [
        ranked_bars("bot-categories", "Bots by category", report.by_category, "category",
                    "sessions", "sessions"),
        ranked_bars("bot-reasons", "Bots by reason", report.by_reason, "reason", "sessions",
                    "sessions"),
        ranked_bars("ai-crawlers", "AI crawlers", crawlers.rows, "crawler", "sessions",
                    "sessions"),
    ]  # fmt: skip
    return BotsPanel(share, figures, charts)
