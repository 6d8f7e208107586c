"""``sp-analytics overview``: the platform at a glance against the previous period."""

from __future__ import annotations

from datetime import UTC, datetime

from rich.table import Table

from systemprompt_analytics.cli import context
from systemprompt_analytics.cli.options import (
    CsvOption,
    DatabaseUrlOption,
    JsonOption,
    SinceOption,
    UntilOption,
)
from systemprompt_analytics.cli.platform_options import IncludeSyntheticOption
from systemprompt_analytics.cli.render import (
    console,
    fmt_change,
    fmt_float,
    fmt_int,
    fmt_rate,
    fmt_usd,
)
from systemprompt_analytics.cli.report_output import write_outputs
from systemprompt_analytics.cli.tables import ColumnSpec, period_title, rows_table, text
from systemprompt_analytics.models.period import resolve_period
from systemprompt_analytics.reports.compare import Comparison
from systemprompt_analytics.reports.overview import OverviewReport, overview

CSV_COLUMNS = ("section", "metric", "current", "previous", "change", "change_unit")

LABELS = {
    ("sessions", "created"): "Human sessions started",
    ("sessions", "active_now"): "Active now",
    ("sessions", "bot_sessions"): "Bot sessions",
    ("sessions", "total"): "All sessions",
    ("traffic", "visitors"): "Visitors",
    ("traffic", "page_views"): "Page views",
    ("traffic", "bot_share"): "Bot share of sessions",
    ("requests", "count"): "AI requests",
    ("requests", "tokens"): "Tokens",
    ("requests", "avg_latency_ms"): "Avg latency (ms)",
    ("costs", "total_usd"): "Cost",
    ("costs", "total_microdollars"): "Cost (microdollars)",
    ("costs", "unpriced_requests"): "Unpriced requests",
    ("tools", "executions"): "Tool executions",
    ("tools", "success_rate"): "Tool success rate",
    ("agents", "tasks"): "Agent tasks",
    ("agents", "success_rate"): "Agent success rate",
    ("conversations", "started"): "Conversations",
    ("conversations", "messages"): "Messages",
    ("users", "active_users"): "Active users",
    ("users", "new_users"): "New users",
    ("users", "registered"): "Registered users (total)",
    ("users", "anonymous"): "Anonymous users (total)",
}
LEADERBOARD_TABLES: dict[str, tuple[str, list[ColumnSpec]]] = {
    "agents": ("Top agents", [("agent", "Agent", text), ("tasks", "Tasks", fmt_int),
                              ("success_rate", "Success", fmt_rate),
                              ("cost_usd", "AI cost", fmt_usd)]),
    "tools": ("Top tools", [("tool", "Tool", text), ("executions", "Executions", fmt_int),
                            ("success_rate", "Success", fmt_rate),
                            ("p95_duration_ms", "p95 (ms)", fmt_int)]),
    "users": ("Top users by AI cost", [("user_id", "User", text),
                                       ("ai_requests", "AI requests", fmt_int),
                                       ("cost_usd", "AI cost", fmt_usd)]),
}  # fmt: skip
HIDDEN_IN_TABLE = {("costs", "total_microdollars")}


def _format(metric: str, value: float | int | None) -> str:
    if metric.endswith("_rate") or metric == "bot_share":
        return fmt_rate(value)
    if metric == "total_usd":
        return fmt_usd(value)
    if metric.startswith("avg_"):
        return fmt_float(value)
    return fmt_int(value)


def render_overview(report: OverviewReport) -> None:
    table = Table(
        title=period_title("Overview", report.period),
        caption="Change is against the previous period of equal length. "
        "Human figures exclude every kind of bot.",
    )
    table.add_column("Section", style="bold")
    table.add_column("Metric")
    table.add_column("Current", justify="right")
    table.add_column("Previous", justify="right")
    table.add_column("Change", justify="right")
    for section_name, section in report.sections.items():
        first = True
        for metric, value in section.items():
            if (section_name, metric) in HIDDEN_IN_TABLE:
                continue
            label = LABELS.get((section_name, metric), metric)
            if isinstance(value, Comparison):
                unit = "pts" if value.kind == "rate" else "%"
                change = value.change_pts if value.kind == "rate" else value.change_pct
                cells = (
                    _format(metric, value.current),
                    _format(metric, value.previous),
                    fmt_change(change, unit),
                )
            else:
                cells = (_format(metric, value), "", "")
            table.add_row(section_name.title() if first else "", label, *cells)
            first = False
        table.add_section()
    console.print(table)
    for name, (title, columns) in LEADERBOARD_TABLES.items():
        rows = report.leaderboards.get(name, [])
        if rows:
            console.print(rows_table(title, columns, rows))


def overview_command(
    since: SinceOption = "24h",
    until: UntilOption = "now",
    include_synthetic: IncludeSyntheticOption = False,
    json_output: JsonOption = False,
    csv_file: CsvOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """The platform at a glance, each figure against the previous period of equal length.

    Sessions, visitors, page views and bot share; AI requests, tokens, latency and cost;
    tool and agent success rates; conversations; active and new users; top agents, tools and
    users.
    """
    now = datetime.now(UTC)
    period = resolve_period(since, until, now)
    report = context.read(
        database_url, lambda conn: overview(conn, period, now, include_synthetic, concurrent=True)
    )
    if not write_outputs(report.to_dict(), csv_file, CSV_COLUMNS, report.rows(), json_output):
        render_overview(report)
