"""What the dashboard shows, on SQLite and PostgreSQL: the same figures as the CLI's reports
for the same window, a chart with data for every panel of the demo, and an empty database."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine

from systemprompt_analytics.demo.generator import generate_demo
from systemprompt_analytics.reports.bots import bot_traffic
from systemprompt_analytics.reports.overview import overview
from systemprompt_analytics.storage.repositories.anomalies import list_alerts
from systemprompt_analytics.web.server.dashboard.assemble import Dashboard, build_dashboard
from systemprompt_analytics.web.server.dashboard.numbers import (
    fmt_count,
    fmt_ms,
    fmt_rate,
    fmt_usd,
)
from systemprompt_analytics.web.server.dashboard.render import render
from systemprompt_analytics.web.server.dashboard.window import DashboardWindow, parse_window

END = datetime(2026, 11, 1, 14, 0, tzinfo=UTC)
BAR_CHARTS = (
    "top-pages", "channels", "sources", "countries", "devices", "browsers", "bot-categories",
    "bot-reasons", "ai-crawlers", "cost-by-model", "latency", "tools", "funnel-1",
)  # fmt: skip
TIME_CHARTS = ("visitors", "page-views", "ai-requests", "ai-cost")
NO_PARAMS = {"range": "", "since": "", "until": ""}


def _build(engine: Engine, params: dict[str, str]) -> tuple[Dashboard, Any, DashboardWindow]:
    window = parse_window(params, END)
    with engine.connect() as conn:
        return build_dashboard(conn, window, END), overview(conn, window.period, END), window


@pytest.fixture
def demo(db_engine: Engine) -> Engine:
    generate_demo(db_engine, days=8, sessions=800, seed=11, end=END)
    return db_engine


def test_the_figures_are_the_reports_figures(demo: Engine) -> None:
    for params in ({"range": "7d"}, {"range": "24h"}, {"since": "2026-10-27", "until": "3d"}):
        dashboard, report, window = _build(demo, params)
        cards = {card.key: card for card in dashboard.cards}
        traffic, requests = report.sections["traffic"], report.sections["requests"]
        assert cards["visitors"].value_text == fmt_count(traffic["visitors"].current)
        assert cards["page-views"].value_text == fmt_count(traffic["page_views"].current)
        assert cards["bot-share"].value_text == fmt_rate(traffic["bot_share"].current)
        assert cards["ai-requests"].value_text == fmt_count(requests["count"].current)
        assert cards["latency"].value_text == fmt_ms(requests["avg_latency_ms"].current)
        assert cards["ai-cost"].value_text == fmt_usd(report.sections["costs"]["total_usd"].current)
        assert cards["active-now"].value_text == fmt_count(
            report.sections["sessions"]["active_now"]
        )

        # The trend series add up to the period's figures (every bucket is in the window).
        series = {s.key: s for chart in dashboard.trends for s in chart.series}
        assert series["sessions"].total == report.sections["sessions"]["created"].current
        assert series["bot_sessions"].total == report.sections["sessions"]["bot_sessions"].current
        assert series["page_views"].total == traffic["page_views"].current
        assert series["requests"].total == requests["count"].current
        cost = report.sections["costs"]["total_usd"].current
        assert series["cost_usd"].total == pytest.approx(cost, abs=1e-6)
        assert not series["visitors"].additive
        assert all(len(chart.buckets) == len(chart.series[0].values) for chart in dashboard.trends)
        assert {chart.granularity for chart in dashboard.trends} == {window.granularity}


def test_every_panel_of_the_demo_has_data(demo: Engine) -> None:
    dashboard, _, window = _build(demo, {"range": "7d"})
    assert [chart.key for chart in dashboard.trends] == list(TIME_CHARTS)
    assert all(chart.has_data for chart in dashboard.trends)
    charts = [
        *dashboard.traffic,
        *dashboard.bots.charts,
        *dashboard.ai.charts,
        *(funnel.chart for funnel in dashboard.funnels),
    ]
    assert [chart.key for chart in charts] == list(BAR_CHARTS)
    empty = [chart.key for chart in charts if not chart.has_data]
    assert empty == []
    assert dashboard.bots.share.has_data and dashboard.ai.agents.rows

    with demo.connect() as conn:
        bots = bot_traffic(conn, window.period)
        alerts = list_alerts(conn)
    human, bot = dashboard.bots.share.parts
    assert human.value + bot.value == bots.totals["sessions"]
    assert bot.hatched and not human.hatched
    assert (human.share or 0) + (bot.share or 0) == pytest.approx(1.0)
    active = [a for a in alerts if a.state.phase.value != "resolved"]
    assert len(dashboard.alerts.active) == len(active) > 0
    assert all(row.level_text.endswith(("Warning", "Critical")) for row in dashboard.alerts.active)

    html = render(
        "dashboard.html", root="", csrf="t", presets={}, params=NO_PARAMS, window=window,
        dashboard=dashboard, error=None,
    )  # fmt: skip
    for key in (*TIME_CHARTS, *BAR_CHARTS, "bot-share"):
        assert f'data-chart="{key}"' in html


def test_an_empty_database_renders_without_data(db_engine: Engine) -> None:
    dashboard, _, window = _build(db_engine, {"range": "30d"})
    assert not any(chart.has_data for chart in dashboard.trends)
    assert not any(chart.has_data for chart in dashboard.traffic)
    assert not dashboard.bots.share.has_data
    assert dashboard.funnels == [] and dashboard.alerts.active == []
    assert dashboard.live.rows == []
    html = render(
        "dashboard.html", root="", csrf="t", presets={}, params=NO_PARAMS, window=window,
        dashboard=dashboard, error=None,
    )  # fmt: skip
    assert "No data in this period." in html and "data-chart" not in html
