"""The funnels panel: each active funnel's steps as ``funnels stats`` reports them (units that
entered each step, conversion from step 1, drop-off to the next step)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection

from systemprompt_analytics.reports.funnels import FunnelReport, funnel_report
from systemprompt_analytics.storage.repositories.funnels import load_funnels
from systemprompt_analytics.web.server.dashboard.charts.models import Bar, BarChart
from systemprompt_analytics.web.server.dashboard.numbers import fmt_count, fmt_rate, fmt_seconds
from systemprompt_analytics.web.server.dashboard.window import DashboardWindow

MAX_FUNNELS = 6


@dataclass(frozen=True)
class FunnelPanel:
    name: str
    summary: str
    chart: BarChart


def _drop_off(drop_off: float | None) -> str:
    return "" if drop_off is None else f"{fmt_rate(drop_off)} dropped off before the next step"


def funnel_chart(report: FunnelReport, index: int) -> FunnelPanel:
    bars = tuple(
        Bar(
            label=f"{step.step}. {step.name}",
            value=float(step.entered),
            value_text=fmt_count(step.entered),
            note=f"{fmt_rate(step.conversion_rate)} of step 1",
            detail=_drop_off(step.drop_off_rate),
        )
        for step in report.steps
    )
    summary = (
        f"{fmt_count(report.entered)} {report.unit}s entered, {fmt_count(report.completed)} "
        f"completed ({fmt_rate(report.conversion_rate)}); median time to convert "
        f"{fmt_seconds(report.median_seconds_to_convert)}."
    )
    chart = BarChart(
        f"funnel-{index}",
        f"Funnel: {report.name}",
        bars,
        f"Funnel {report.name}: {report.unit}s that reached each step.",
    )
    return FunnelPanel(report.name, summary, chart)


def funnel_panels(conn: Connection, window: DashboardWindow) -> list[FunnelPanel]:
    stored = load_funnels(conn, active_only=True)[:MAX_FUNNELS]
    return [
        funnel_chart(funnel_report(conn, funnel, window.period), index)
        for index, funnel in enumerate(stored, start=1)
    ]
