"""Everything the dashboard page shows, read in one connection from the report functions the
CLI uses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection

from systemprompt_analytics.reports.overview import overview
from systemprompt_analytics.web.server.dashboard.ai_panel import AiPanel, ai_panel
from systemprompt_analytics.web.server.dashboard.alerts_panel import AlertsPanel, alerts_panel
from systemprompt_analytics.web.server.dashboard.bots_panel import BotsPanel, bots_panel
from systemprompt_analytics.web.server.dashboard.cards import Card, overview_cards
from systemprompt_analytics.web.server.dashboard.charts.models import BarChart, TimeChart
from systemprompt_analytics.web.server.dashboard.funnels_panel import FunnelPanel, funnel_panels
from systemprompt_analytics.web.server.dashboard.live_panel import live_table
from systemprompt_analytics.web.server.dashboard.tables import Table
from systemprompt_analytics.web.server.dashboard.traffic_panel import TRAFFIC_CHARTS
from systemprompt_analytics.web.server.dashboard.trends import trend_charts
from systemprompt_analytics.web.server.dashboard.window import DashboardWindow


@dataclass(frozen=True)
class Dashboard:
    window: DashboardWindow
    generated_at: datetime
    cards: list[Card]
    trends: list[TimeChart]
    traffic: list[BarChart]
    bots: BotsPanel
    ai: AiPanel
    funnels: list[FunnelPanel]
    alerts: AlertsPanel
    live: Table


def build_dashboard(conn: Connection, window: DashboardWindow, now: datetime) -> Dashboard:
    report = overview(conn, window.period, now, concurrent=True)
    return Dashboard(
        window=window,
        generated_at=now,
        cards=overview_cards(report, window.previous_label),
        trends=trend_charts(conn, window),
        traffic=[chart for build in TRAFFIC_CHARTS for chart in build(conn, window)],
        bots=bots_panel(conn, window),
        ai=ai_panel(conn, window),
        funnels=funnel_panels(conn, window),
        alerts=alerts_panel(conn, window),
        live=live_table(conn, now),
    )
