"""``sp-analytics agents list|stats|show|trends``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from systemprompt_analytics.cli import context
from systemprompt_analytics.cli.options import (
    CsvOption,
    DatabaseUrlOption,
    GroupBy,
    GroupByOption,
    JsonOption,
    LimitOption,
    SinceOption,
    UntilOption,
)
from systemprompt_analytics.cli.platform_options import IncludeSyntheticOption, fmt_seconds
from systemprompt_analytics.cli.render import console, fmt_int, fmt_rate, fmt_usd
from systemprompt_analytics.cli.report_output import output_report, output_trends, write_outputs
from systemprompt_analytics.cli.tables import (
    ColumnSpec,
    Formatter,
    figures_table,
    period_title,
    ranked_table,
    rows_table,
    text,
)
from systemprompt_analytics.models.period import resolve_period
from systemprompt_analytics.reports.agents import (
    LIST_COLUMNS,
    AgentStats,
    agent_list,
    agent_show,
    agent_stats,
    agent_trends,
)
from systemprompt_analytics.reports.figures import STATS_CSV_COLUMNS

app = typer.Typer(
    help="Agents: tasks, success rate (completed / finished), errors, durations and AI cost.",
    no_args_is_help=True,
)


STAT_LABELS: dict[str, tuple[str, Formatter]] = {
    "agents": ("Agents with tasks", fmt_int),
    "tasks": ("Tasks started", fmt_int),
    "finished": ("Finished", fmt_int),
    "completed": ("Completed", fmt_int),
    "failed": ("Failed or rejected", fmt_int),
    "success_rate": ("Success rate (completed / finished)", fmt_rate),
    "avg_duration_ms": ("Avg duration (s)", fmt_seconds),
    "p95_duration_ms": ("p95 duration (s)", fmt_seconds),
    "ai_requests": ("AI requests", fmt_int),
    "tokens": ("Tokens", fmt_int),
    "cost_microdollars": ("AI cost (microdollars)", fmt_int),
    "cost_usd": ("AI cost", fmt_usd),
}
HIDDEN_FIGURES = {"cost_microdollars"}
LIST_TABLE: list[ColumnSpec] = [
    ("agent", "Agent", text),
    ("tasks", "Tasks", fmt_int),
    ("share_of_tasks", "Share", fmt_rate),
    ("completed", "Completed", fmt_int),
    ("failed", "Failed", fmt_int),
    ("success_rate", "Success", fmt_rate),
    ("avg_duration_ms", "Avg (s)", fmt_seconds),
    ("p95_duration_ms", "p95 (s)", fmt_seconds),
    ("ai_requests", "AI requests", fmt_int),
    ("cost_usd", "AI cost", fmt_usd),
    ("share_of_cost", "Cost share", fmt_rate),
]
TREND_FORMATS: dict[str, Formatter] = {"success_rate": fmt_rate, "cost_microdollars": fmt_int}


@app.command("list")
def list_command(
    since: SinceOption = "24h",
    until: UntilOption = "now",
    limit: LimitOption = 20,
    include_synthetic: IncludeSyntheticOption = False,
    json_output: JsonOption = False,
    csv_file: CsvOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Agents by tasks started: outcomes, success rate, duration (avg, p95), AI requests and
    cost. Shares are of all tasks and of all agents' AI cost, not of the rows shown."""
    period = resolve_period(since, until, datetime.now(UTC))
    report = context.read(
        database_url, lambda conn: agent_list(conn, period, limit, include_synthetic)
    )
    rows = report.agents.rows
    if write_outputs(report.to_dict(), csv_file, LIST_COLUMNS, rows, json_output):
        return
    totals = report.totals
    console.print(
        f"[bold]{period_title('Agents', period)}[/]\n{fmt_int(totals['tasks'])} tasks by "
        f"{fmt_int(totals['agents'])} agents, success rate {fmt_rate(totals['success_rate'])}, "
        f"AI cost {fmt_usd(totals['cost_usd'])}",
        highlight=False,
    )
    console.print(ranked_table("Agents", LIST_TABLE, rows, report.agents.total_rows))


def _task_columns(key: str, header: str, share_header: str = "Share") -> list[ColumnSpec]:
    return [
        (key, header, text),
        ("tasks", "Tasks", fmt_int),
        ("share_of_all", share_header, fmt_rate),
    ]


def _render_stats(report: AgentStats) -> None:
    name = f"Agent {report.agent}" if report.agent is not None else "Agents"
    figures = {k: v for k, v in report.figures.items() if k not in HIDDEN_FIGURES}
    console.print(figures_table(period_title(name, report.period), figures, STAT_LABELS))
    status_columns = _task_columns("status", "Status")
    console.print(rows_table("Tasks by status", status_columns, report.status_breakdown))
    errors = report.top_errors
    error_columns = _task_columns("error", "Error", "Share of failed")
    title = f"Top errors ({errors.total_rows} distinct)"
    console.print(rows_table(title, error_columns, errors.rows))
    hour_columns = _task_columns("hour", "Hour (UTC)")
    console.print(rows_table("Tasks by hour of day", hour_columns, report.hourly_distribution))


@app.command("stats")
def stats_command(
    since: SinceOption = "24h",
    until: UntilOption = "now",
    limit: LimitOption = 10,
    include_synthetic: IncludeSyntheticOption = False,
    json_output: JsonOption = False,
    csv_file: CsvOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """All agents against the previous period; tasks by status, top errors (--limit, the
    rest summed) and tasks by hour of day (UTC)."""
    period = resolve_period(since, until, datetime.now(UTC))
    report = context.read(
        database_url, lambda conn: agent_stats(conn, period, limit, include_synthetic)
    )
    output_report(report, STATS_CSV_COLUMNS, json_output, csv_file, _render_stats)


@app.command("show")
def show_command(
    name: Annotated[str, typer.Argument(help="The agent's name, as reported.")],
    since: SinceOption = "24h",
    until: UntilOption = "now",
    limit: LimitOption = 10,
    include_synthetic: IncludeSyntheticOption = False,
    json_output: JsonOption = False,
    csv_file: CsvOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """One agent: figures against the previous period, tasks by status, top errors and
    tasks by hour of day. An agent that never reported anything is an error (exit 2)."""
    period = resolve_period(since, until, datetime.now(UTC))
    report = context.read(
        database_url, lambda conn: agent_show(conn, period, name, limit, include_synthetic)
    )
    output_report(report, STATS_CSV_COLUMNS, json_output, csv_file, _render_stats)


@app.command("trends")
def trends_command(
    since: SinceOption = "7d",
    until: UntilOption = "now",
    group_by: GroupByOption = GroupBy.day,
    agent: Annotated[
        str | None, typer.Option("--agent", help="Only this agent.", show_default=False)
    ] = None,
    include_synthetic: IncludeSyntheticOption = False,
    json_output: JsonOption = False,
    csv_file: CsvOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Tasks, outcomes, success rate, AI requests and cost per hour, day, week or month
    (UTC); empty buckets show as zero."""
    period = resolve_period(since, until, datetime.now(UTC))
    granularity = group_by.value
    trends = context.read(
        database_url,
        lambda conn: agent_trends(conn, period, granularity, include_synthetic, agent),  # type: ignore[arg-type]
    )
    scope = f"Agent {agent}" if agent is not None else "Agent"
    title = f"{scope} trends by {granularity} (UTC)"
    output_trends(trends.to_dict(), trends, title, TREND_FORMATS, json_output, csv_file)
